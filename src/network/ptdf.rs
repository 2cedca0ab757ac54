//! Power transfer distribution factors (PTDF): the MW that flow on each line per MW injected at
//! each bus and withdrawn at the reference bus, in lossless DC power flow.
//!
//! With `A` the line–bus incidence (`A[l, from] = 1`, `A[l, to] = −1`) less the reference
//! bus's column, and `b = 1/x` the lines' susceptances:
//!
//! ```text
//! B    = Aᵀ diag(b) A          the reduced bus susceptance matrix, symmetric positive
//!                              definite on a connected network
//! PTDF = diag(b) A B⁻¹         lines × buses; the reference bus's column is 0
//! ```
//!
//! `B` is factored by Cholesky and inverted once (dense: fine up to a few thousand buses, see
//! docs/performance.md); a line's row is then `b_l (B⁻¹[from] − B⁻¹[to])`, so the
//! product with the sparse `A` is never formed. The factorisation runs on one thread, so the
//! bits of every factor are the same at any thread count.

use faer::linalg::solvers::DenseSolveCore;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{ErrorKind, InputError};
use crate::scenario::network::{self, Network};

/// The PTDF matrix of a network, lines × buses.
#[derive(Debug, Clone, PartialEq)]
pub struct Ptdf {
    matrix: Array2<f64>,
    reference: usize,
}

/// The reduced susceptance matrix is not (numerically) positive definite: the network is not
/// connected, or its reactances are too far apart for f64. `bus` is where the factorisation
/// found a pivot ≤ 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Singular {
    pub bus: usize,
}

impl Ptdf {
    /// The PTDF of a scenario's network (which the loader has checked connected, with
    /// reactances within [`network::MAX_REACTANCE_RATIO`] of each other).
    ///
    /// Refused, before anything is allocated, where the dense matrices would not fit in the
    /// memory this machine has available ([`dense_bytes`] against `MemAvailable` on Linux):
    /// a run that asks for more dies by the allocator's abort, not with a message.
    pub fn new(network: &Network) -> Result<Ptdf, InputError> {
        Ptdf::new_within(network, available_memory())
    }

    /// [`Ptdf::new`] with the memory limit given (`None`: no limit), bytes.
    pub fn new_within(network: &Network, limit: Option<u64>) -> Result<Ptdf, InputError> {
        let (buses, lines) = (network.buses.len(), network.lines.len());
        let needed = dense_bytes(buses, lines);
        if let Some(limit) = limit
            && needed > limit
        {
            return Err(InputError::new(
                ErrorKind::Refused,
                network::BUSES,
                format!(
                    "the network's {buses} buses and {lines} lines need about {} of memory for the dense PTDF (8 bytes × (3 × buses² + lines × buses)) and this machine has {} available: clear a reduced network (fewer buses) or run on a machine with more memory",
                    gib(needed),
                    gib(limit)
                ),
            ));
        }
        let branches: Vec<(usize, usize, f64)> = network
            .lines
            .iter()
            .map(|l| {
                (
                    l.from,
                    l.to,
                    f64::try_from(l.reactance_pu).unwrap_or(f64::NAN),
                )
            })
            .collect();
        Ptdf::from_branches(network.buses.len(), network.reference, &branches).map_err(|s| {
            InputError::new(
                ErrorKind::Invalid,
                network::LINES,
                format!(
                    "the lines' reactances give a bus susceptance matrix that cannot be factored (at bus {:?}): DC flows cannot be computed; check for near-zero or huge reactance_pu",
                    network.buses[s.bus].id
                ),
            )
            .at_column("reactance_pu")
        })
    }

    /// The PTDF of `buses` buses joined by `branches` (from bus, to bus, reactance in p.u.),
    /// with `reference` the reference bus.
    ///
    /// # Panics
    ///
    /// If a bus index is out of range, a branch joins a bus to itself, or a reactance is not
    /// finite and > 0: callers pass checked data (the loader refuses such input).
    pub fn from_branches(
        buses: usize,
        reference: usize,
        branches: &[(usize, usize, f64)],
    ) -> Result<Ptdf, Singular> {
        assert!(reference < buses, "reference bus {reference} of {buses}");
        for &(f, t, x) in branches {
            assert!(f < buses && t < buses && f != t, "branch {f} → {t}");
            assert!(x.is_finite() && x > 0.0, "reactance {x}");
        }
        // Reduced index: the reference bus's row and column are dropped.
        let reduced = |b: usize| match b.cmp(&reference) {
            std::cmp::Ordering::Less => Some(b),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(b - 1),
        };
        let full = |j: usize| if j < reference { j } else { j + 1 };
        let k = buses - 1;
        let mut matrix = Array2::<f64>::zeros((branches.len(), buses));
        if k == 0 {
            return Ok(Ptdf { matrix, reference });
        }
        let mut b_bus = Array2::<f64>::zeros((k, k));
        for &(f, t, x) in branches {
            let b = 1.0 / x;
            let (rf, rt) = (reduced(f), reduced(t));
            for r in [rf, rt].into_iter().flatten() {
                b_bus[(r, r)] += b;
            }
            if let (Some(i), Some(j)) = (rf, rt) {
                b_bus[(i, j)] -= b;
                b_bus[(j, i)] -= b;
            }
        }
        let slice = b_bus.as_slice().expect("a new array is contiguous");
        let llt = faer::MatRef::from_row_major_slice(slice, k, k)
            .llt(faer::Side::Lower)
            .map_err(|e| match e {
                faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } => {
                    Singular { bus: full(index) }
                }
            })?;
        drop(b_bus);
        // B⁻¹ is symmetric: its row `i` is its column `i`, contiguous in faer's layout.
        let inverse = llt.inverse();
        let zeros = vec![0.0; k];
        for (l, &(f, t, x)) in branches.iter().enumerate() {
            let b = 1.0 / x;
            let of = |bus| reduced(bus).map_or(zeros.as_slice(), |r| inverse.col_as_slice(r));
            let (xf, xt) = (of(f), of(t));
            let mut row = matrix.row_mut(l);
            for j in 0..k {
                row[full(j)] = b * (xf[j] - xt[j]);
            }
        }
        Ok(Ptdf { matrix, reference })
    }

    /// MW on `line` (positive from its `from_bus` to its `to_bus`) per MW injected at `bus` and
    /// withdrawn at the reference bus.
    pub fn get(&self, line: usize, bus: usize) -> f64 {
        self.matrix[(line, bus)]
    }

    /// The whole matrix, lines × buses.
    pub fn matrix(&self) -> ArrayView2<'_, f64> {
        self.matrix.view()
    }

    pub fn reference(&self) -> usize {
        self.reference
    }

    pub fn lines(&self) -> usize {
        self.matrix.nrows()
    }

    pub fn buses(&self) -> usize {
        self.matrix.ncols()
    }

    /// Line flows, MW, for net injections (generation less load) at each bus, MW. What the
    /// injections do not balance is withdrawn at the reference bus (it is the slack); for a
    /// balanced injection the flows do not depend on which bus that is.
    ///
    /// # Panics
    ///
    /// If `injection` does not have one entry per bus.
    pub fn flows(&self, injection: ArrayView1<f64>) -> Array1<f64> {
        assert_eq!(injection.len(), self.buses(), "one injection per bus");
        self.matrix.dot(&injection)
    }
}

/// Bytes the dense PTDF takes at its peak, for `buses` buses and `lines` lines: the reduced
/// susceptance matrix's Cholesky factor and its inverse ((buses − 1)² each, the matrix itself
/// freed before the inverse but counted, as the allocator may not have returned it) and the
/// PTDF (lines × buses), 8 bytes a number, ≤ 8 × (3 × buses² + lines × buses).
pub fn dense_bytes(buses: usize, lines: usize) -> u64 {
    let (b, l) = (buses as u64, lines as u64);
    b.saturating_mul(b)
        .saturating_mul(3)
        .saturating_add(l.saturating_mul(b))
        .saturating_mul(8)
}

/// The memory available to a new allocation, bytes: `MemAvailable` of `/proc/meminfo` on
/// Linux; `None` (no limit) where it cannot be read.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three buses in a line, 0 — 1 — 2, reference 0: with no loop, an injection at bus 2 flows
    /// whole over both lines back to bus 0, so PTDF is −1 on each line (both run towards
    /// bus 2) for bus 2, and for bus 1 −1 on the first line and 0 on the second.
    #[test]
    fn a_radial_network_carries_each_injection_whole() {
        let p = Ptdf::from_branches(3, 0, &[(0, 1, 0.2), (1, 2, 0.05)]).unwrap();
        let expected = [[0.0, -1.0, -1.0], [0.0, 0.0, -1.0]];
        for (l, row) in expected.iter().enumerate() {
            for (b, &v) in row.iter().enumerate() {
                assert!((p.get(l, b) - v).abs() < 1e-12, "{l},{b}: {}", p.get(l, b));
            }
        }
    }

    /// Bus 1 and 2 joined by a stiff line, each tied to the reference by a weak one: in f64,
    /// 1e28 + 1e-9 is 1e28, so the reduced B is [[1e28, −1e28], [−1e28, 1e28]], singular.
    #[test]
    fn reactances_too_far_apart_are_singular() {
        let e = Ptdf::from_branches(3, 0, &[(0, 1, 1e9), (0, 2, 1e9), (1, 2, 1e-28)]).unwrap_err();
        // The second pivot (reduced index 1, bus 2) is the one left at 0.
        assert_eq!(e, Singular { bus: 2 });
    }

    /// 3 buses and 3 lines: 8 × (3 × 3² + 3 × 3) = 8 × 36 = 288 bytes.
    #[test]
    fn the_dense_memory_is_counted_before_allocating() {
        assert_eq!(dense_bytes(3, 3), 288);
        // 100,000 buses and as many lines: 8 × (3e10 + 1e10) = 3.2e11 bytes, about 298 GiB.
        assert_eq!(dense_bytes(100_000, 100_000), 320_000_000_000);
        assert_eq!(dense_bytes(usize::MAX, 2), u64::MAX);
    }

    #[test]
    fn a_single_bus_has_no_flows() {
        let p = Ptdf::from_branches(1, 0, &[]).unwrap();
        assert_eq!((p.lines(), p.buses()), (0, 1));
        assert_eq!(p.flows(ndarray::arr1(&[5.0]).view()).len(), 0);
    }
}
