//! The model as plain data: variables with bounds and costs, rows, and the day's layout
//! (which variable is which offer, shortfall or row).

/// One variable of a day's model.
#[derive(Debug, Clone, Copy)]
pub(super) struct Var {
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// Cost per MW in the objective.
    pub(super) cost: f64,
    /// The tie-break's weight: 1 / the MW offered, so that the least Σ weight × x² among
    /// the optimal dispatches shares tied offers pro rata (0: left out of the tie-break).
    pub(super) weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sense {
    Le,
    Ge,
    Eq,
}

/// One row: Σ coefficient × variable (sense) rhs.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) terms: Vec<(usize, f64)>,
    pub(super) sense: Sense,
    pub(super) rhs: f64,
}

/// A day's LP as plain data, solved by whichever backend is built in.
#[derive(Debug, Default)]
pub(super) struct Model {
    pub(super) vars: Vec<Var>,
    pub(super) rows: Vec<Row>,
}

impl Model {
    /// A variable whose tie-break weight is 1 / `offered` (none where nothing is offered).
    pub(super) fn var(&mut self, lo: f64, hi: f64, cost: f64, offered: f64) -> usize {
        let weight = if offered > 0.0 && offered.is_finite() {
            1.0 / offered
        } else {
            0.0
        };
        self.vars.push(Var {
            lo,
            hi,
            cost,
            weight,
        });
        self.vars.len() - 1
    }

    pub(super) fn row(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) -> usize {
        self.rows.push(Row { terms, sense, rhs });
        self.rows.len() - 1
    }

    /// A unit's limit: on the variable's bound where it holds a single variable (most of a
    /// day's limits: FR ≤ ramp × 5 and reserve ≤ ramp × 10 where a unit has one offer of each,
    /// the floor of a unit's only segment), else a row. A bound that would cross the other
    /// stays a row, so the model is infeasible exactly where it was.
    pub(super) fn limit(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) {
        if let [(j, a)] = terms[..]
            && a == 1.0
        {
            let v = &mut self.vars[j];
            match sense {
                Sense::Le if rhs >= v.lo => {
                    v.hi = v.hi.min(rhs);
                    return;
                }
                Sense::Ge if rhs <= v.hi => {
                    v.lo = v.lo.max(rhs);
                    return;
                }
                _ => {}
            }
        }
        self.row(terms, sense, rhs);
    }
}

/// Variables of one day's model (indices into [`Model::vars`]).
pub(super) struct Layout {
    /// Per auction in the day: (auction index, bid variables, shortfall variable).
    pub(super) auctions: Vec<(usize, Vec<usize>, usize)>,
    /// Per energy bid in the day: (energy bid index, variable).
    pub(super) energy: Vec<(usize, usize)>,
    /// Per interval with a balance, its load not served and its spill.
    pub(super) balance: Vec<Balance>,
    /// Per (storage unit, interval): charge, discharge, soc.
    pub(super) storage: Vec<(usize, usize, usize, usize, usize)>,
    /// Rows whose duals are prices: auctions (in `auctions` order), then balances (in
    /// `balance` order), then zonal minimums (in `zones` order).
    pub(super) priced: Vec<usize>,
    /// Per zonal minimum in the day: (index into `Zones::auctions`, position of its system
    /// auction in `auctions`, the zone's bid variables, its shortfall variable).
    pub(super) zones: Vec<(usize, usize, Vec<usize>, usize)>,
    /// Per monitored line limit: (interval, line, its `≤ limit` row, its `≥ −limit` row).
    pub(super) lines: Vec<(usize, usize, usize, usize)>,
}

/// One interval's balance: what is not served and what is spilled, each as (bus, variable).
/// On a copper plate one variable each (bus 0, unused). With a network, load not served is
/// per bus with load and spill per bus with output, each at the energy cap's cost, so that a
/// load pocket sheds its own load, not load across the line, and a unit's minimum output
/// behind a limited line is spilled where it stands (a network the line rows make
/// infeasible otherwise).
#[derive(Debug, Clone)]
pub(super) struct Balance {
    pub(super) interval: usize,
    pub(super) short: Vec<(usize, usize)>,
    pub(super) spill: Vec<(usize, usize)>,
}

impl Balance {
    /// The interval's total load not served (MW) in a solution.
    pub(super) fn short_mw(&self, values: &[f64]) -> f64 {
        self.short.iter().map(|&(_, x)| values[x]).sum()
    }
}

/// A linear expression: (variable, coefficient).
pub(super) type Lin = Vec<(usize, f64)>;

/// The (interval, line) limits a day's model enforces: only those a solve without them broke
/// (the rounds in the engine's `solve`).
pub(super) type Monitored = std::collections::BTreeSet<(usize, usize)>;

impl Model {
    /// The model in free MPS, as HiGHS, Gurobi, CPLEX and GLPK read it: variables `x0…`, rows
    /// `r0…` in the model's order, the objective `obj` (minimised), every bound written out.
    /// Numbers are f64's shortest round-trip form, so the file is the model to the last bit.
    pub(super) fn to_mps(&self, name: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "NAME {name}\nROWS\n N obj");
        for (i, row) in self.rows.iter().enumerate() {
            let sense = match row.sense {
                Sense::Le => 'L',
                Sense::Ge => 'G',
                Sense::Eq => 'E',
            };
            let _ = writeln!(out, " {sense} r{i}");
        }
        // Columns hold their entries together: the rows' terms, transposed.
        let mut columns: Vec<Vec<(usize, f64)>> = vec![Vec::new(); self.vars.len()];
        for (i, row) in self.rows.iter().enumerate() {
            for &(j, a) in &row.terms {
                columns[j].push((i, a));
            }
        }
        out.push_str("COLUMNS\n");
        for (j, (v, column)) in self.vars.iter().zip(&columns).enumerate() {
            if v.cost != 0.0 {
                let _ = writeln!(out, " x{j} obj {:?}", v.cost);
            }
            for &(i, a) in column {
                let _ = writeln!(out, " x{j} r{i} {a:?}");
            }
            if v.cost == 0.0 && column.is_empty() {
                // A column must appear to exist: a zero in the objective.
                let _ = writeln!(out, " x{j} obj 0.0");
            }
        }
        out.push_str("RHS\n");
        for (i, row) in self.rows.iter().enumerate() {
            if row.rhs != 0.0 {
                let _ = writeln!(out, " rhs r{i} {:?}", row.rhs);
            }
        }
        out.push_str("BOUNDS\n");
        for (j, v) in self.vars.iter().enumerate() {
            if v.lo == v.hi {
                let _ = writeln!(out, " FX bnd x{j} {:?}", v.lo);
                continue;
            }
            if v.lo == f64::NEG_INFINITY {
                let _ = writeln!(out, " MI bnd x{j}");
            } else if v.lo != 0.0 {
                let _ = writeln!(out, " LO bnd x{j} {:?}", v.lo);
            }
            if v.hi.is_finite() {
                let _ = writeln!(out, " UP bnd x{j} {:?}", v.hi);
            }
        }
        out.push_str("ENDATA\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// min 10 x0 + 30 x1 + 1500 x2 s.t. x0 + x1 + x2 = 150 (r0), x0 ≤ 80 (r1, a row here to
    /// show one), with 0 ≤ x0, x1 ≤ 200, 0 ≤ x2 ≤ 150 and a free x3 fixed nowhere: every
    /// section by hand.
    #[test]
    fn a_model_is_written_as_free_mps() {
        let mut m = Model::default();
        let x0 = m.var(0.0, 200.0, 10.0, 200.0);
        let x1 = m.var(0.0, 200.0, 30.0, 200.0);
        let x2 = m.var(0.0, 150.0, 1500.0, 150.0);
        let x3 = m.var(f64::NEG_INFINITY, f64::INFINITY, 0.0, 0.0);
        m.row(vec![(x0, 1.0), (x1, 1.0), (x2, 1.0)], Sense::Eq, 150.0);
        m.row(vec![(x0, 1.0)], Sense::Le, 80.0);
        let _ = x3;
        assert_eq!(
            m.to_mps("day"),
            "NAME day\nROWS\n N obj\n E r0\n L r1\nCOLUMNS\n x0 obj 10.0\n x0 r0 1.0\n x0 r1 1.0\n x1 obj 30.0\n x1 r0 1.0\n x2 obj 1500.0\n x2 r0 1.0\n x3 obj 0.0\nRHS\n rhs r0 150.0\n rhs r1 80.0\nBOUNDS\n UP bnd x0 200.0\n UP bnd x1 200.0\n UP bnd x2 150.0\n MI bnd x3\nENDATA\n"
        );
    }
}
