//! The tie-break (see the module doc of `lp`): among the optimal points of a solve, the one
//! the least-squares problem picks, so that every backend publishes the same bytes.

use super::*;

/// Reduced costs and duals smaller than this (yuan per MW) count as zero when the optimal
/// face is read from a solver's duals: well below the 0.0001 yuan the data's prices are given
/// in, well above the solvers' accuracy on them.
pub(super) const ZERO_COST: f64 = 1e-5;

/// Quantities within this (MW) of a bound count as at it when the optimal prices are read from
/// a dispatch: well below the 0.001 MW outputs show, well above the tie-break's accuracy.
pub(super) const AT_BOUND: f64 = 1e-6;

/// The tie-break (see the module doc): among the optimal solutions of `m`, the one with the
/// least Σ weight × x². The optimal solutions are those complementary to the solver's duals
/// `y` (for any optimal duals, in exact arithmetic): variables with a positive (negative)
/// reduced cost sit at their lower (upper) bound, rows with a non-zero dual hold with
/// equality. What is left free is solved for with a quadratic objective alone, so the result
/// depends on the solver only through which variables and rows are fixed, never on which
/// optimal point it returned. Where it fails (numerically), the solver's point is kept and
/// a note says so.
pub(super) fn tie_break(
    m: &Model,
    x: &[f64],
    y: &[f64],
    notes: &mut Vec<String>,
    day: usize,
) -> Vec<f64> {
    match primal_tie_break(m, x, y) {
        Ok(v) => v,
        Err(e) => {
            notes.push(format!(
                "LP dispatch of the day from interval {day}: ties are left as the solver split them ({e})"
            ));
            x.to_vec()
        }
    }
}

pub(super) fn primal_tie_break(m: &Model, x: &[f64], y: &[f64]) -> Result<Vec<f64>, String> {
    let mut reduced: Vec<f64> = m.vars.iter().map(|v| v.cost).collect();
    for (row, &dual) in m.rows.iter().zip(y) {
        for &(j, a) in &row.terms {
            reduced[j] -= a * dual;
        }
    }
    let mut value = x.to_vec();
    // Per variable: its index among the free ones, or None where fixed.
    let mut free: Vec<Option<usize>> = vec![None; m.vars.len()];
    let mut cols: Vec<usize> = Vec::new();
    for (j, v) in m.vars.iter().enumerate() {
        // A reduced cost counts where it exceeds both the noise and the variable's distance
        // from the bound: an interior point leaves a free variable near a bound (a bid
        // accepted up to 0.01 MW short of its offer) with a small reduced cost of the same
        // order as the one it leaves a fixed variable's distance from it.
        let fixed = if v.lo >= v.hi
            || (reduced[j] > ZERO_COST && reduced[j] > x[j] - v.lo && v.lo.is_finite())
        {
            Some(v.lo)
        } else if reduced[j] < -ZERO_COST && -reduced[j] > v.hi - x[j] && v.hi.is_finite() {
            Some(v.hi)
        } else {
            None
        };
        match fixed {
            Some(b) => value[j] = b,
            None => {
                free[j] = Some(cols.len());
                cols.push(j);
            }
        }
    }
    if cols.is_empty() {
        return Ok(value);
    }
    let mut eq: Vec<(Lin, f64)> = Vec::new();
    let mut le: Vec<(Lin, f64)> = Vec::new();
    for (row, &dual) in m.rows.iter().zip(y) {
        let mut rhs = row.rhs;
        let mut terms = Lin::new();
        for &(j, a) in &row.terms {
            match free[j] {
                Some(k) => terms.push((k, a)),
                None => rhs -= a * value[j],
            }
        }
        // As for variables: the dual counts where it exceeds the noise and the row's slack.
        let slack = (row.terms.iter().map(|&(j, a)| a * x[j]).sum::<f64>() - row.rhs).abs();
        let tight = row.sense == Sense::Eq || (dual.abs() > ZERO_COST && dual.abs() > slack);
        if terms.is_empty() {
            // Fixed entirely: it must hold as it is, or the duals were misread.
            let off = match row.sense {
                _ if tight => rhs.abs(),
                Sense::Le => -rhs,
                _ => rhs,
            };
            if off > AT_BOUND * (1.0 + row.rhs.abs()) {
                return Err(format!(
                    "the optimal face read from the duals leaves a row {off:.1e} off"
                ));
            }
            continue;
        }
        if tight {
            eq.push((terms, rhs));
        } else if row.sense == Sense::Le {
            le.push((terms, rhs));
        } else {
            le.push((terms.into_iter().map(|(k, a)| (k, -a)).collect(), -rhs));
        }
    }
    for (k, &j) in cols.iter().enumerate() {
        let v = m.vars[j];
        if v.hi.is_finite() {
            le.push((vec![(k, 1.0)], v.hi));
        }
        if v.lo.is_finite() {
            le.push((vec![(k, -1.0)], -v.lo));
        }
    }
    let weights: Vec<f64> = cols.iter().map(|&j| m.vars[j].weight).collect();
    let solved = least_squares(&weights, &eq, &le)?;
    for (k, &j) in cols.iter().enumerate() {
        let v = m.vars[j];
        value[j] = solved[k].clamp(v.lo, v.hi);
    }
    Ok(value)
}

/// The prices' tie-break: among the optimal duals of `m` (those complementary to the
/// dispatch `x`, itself the tie-break's), the one with the least Σ dual². Rows slack at `x`
/// have dual 0; a variable strictly between its bounds has reduced cost 0, one at its lower
/// (upper) bound a reduced cost ≥ 0 (≤ 0). Where the duals are unique (most intervals) this
/// is them. Returns every row's dual.
pub(super) fn dual_tie_break(m: &Model, x: &[f64]) -> Result<Vec<f64>, String> {
    // Per row: its index among the duals solved for (rows that hold with equality at `x`).
    let mut tight: Vec<Option<usize>> = vec![None; m.rows.len()];
    let mut ys: Vec<usize> = Vec::new();
    for (i, row) in m.rows.iter().enumerate() {
        let lhs: f64 = row.terms.iter().map(|&(j, a)| a * x[j]).sum();
        if row.sense == Sense::Eq || (lhs - row.rhs).abs() <= AT_BOUND * (1.0 + row.rhs.abs()) {
            tight[i] = Some(ys.len());
            ys.push(i);
        }
    }
    let mut duals = vec![0.0; m.rows.len()];
    if ys.is_empty() {
        return Ok(duals);
    }
    // Columns: per variable, Σ a × y over the tight rows.
    let mut columns: Vec<Lin> = vec![Lin::new(); m.vars.len()];
    for (i, row) in m.rows.iter().enumerate() {
        if let Some(k) = tight[i] {
            for &(j, a) in &row.terms {
                columns[j].push((k, a));
            }
        }
    }
    let mut eq: Vec<(Lin, f64)> = Vec::new();
    let mut le: Vec<(Lin, f64)> = Vec::new();
    for (j, v) in m.vars.iter().enumerate() {
        let column = std::mem::take(&mut columns[j]);
        if column.is_empty() || v.lo >= v.hi {
            continue;
        }
        let at_lo = v.lo.is_finite() && x[j] - v.lo <= AT_BOUND * (1.0 + v.lo.abs());
        let at_hi = v.hi.is_finite() && v.hi - x[j] <= AT_BOUND * (1.0 + v.hi.abs());
        // Reduced cost: cost − Σ a × y.
        match (at_lo, at_hi) {
            (true, false) => le.push((column, v.cost)),
            (false, true) => le.push((column.into_iter().map(|(k, a)| (k, -a)).collect(), -v.cost)),
            _ => eq.push((column, v.cost)),
        }
    }
    // Signs: a ≥ row's dual is ≥ 0, a ≤ row's ≤ 0.
    for (k, &i) in ys.iter().enumerate() {
        match m.rows[i].sense {
            Sense::Ge => le.push((vec![(k, -1.0)], 0.0)),
            Sense::Le => le.push((vec![(k, 1.0)], 0.0)),
            Sense::Eq => {}
        }
    }
    // Every dual weighs alike: with the prices' alone the problem is flat along the limits'
    // duals, and an interior point's stop there is no point the polish can pin down.
    let weights = vec![1.0; ys.len()];
    let solved = least_squares(&weights, &eq, &le)?;
    for (k, &i) in ys.iter().enumerate() {
        duals[i] = solved[k];
    }
    Ok(duals)
}

/// Solves min ½ Σ weight_k z_k² subject to `eq` (Σ a z = b) and `le` (Σ a z ≤ b) with
/// Clarabel, whatever LP backend is built in. An interior point stops once the objective is
/// within its tolerance, which leaves the point itself off by up to ~1e-4 along flat
/// directions (the objective is quadratic there), and off differently for two descriptions
/// of one face. So the point is polished: the limits it holds with equality (a dual above
/// the slack) become equalities, the others are dropped, and that equality-constrained
/// problem, a linear system, is solved again: exact to rounding, the same for any
/// description of the face.
pub(super) fn least_squares(
    weights: &[f64],
    eq: &[(Lin, f64)],
    le: &[(Lin, f64)],
) -> Result<Vec<f64>, String> {
    // Values an equality pins down alone are computed exactly, and substituted: the problem
    // left is smaller and its objective no longer dominated by them.
    let n = weights.len();
    let mut known: Vec<Option<f64>> = vec![None; n];
    loop {
        let mut progress = false;
        for (terms, rhs) in eq {
            let mut unknown = None;
            let mut count = 0;
            let mut rest = *rhs;
            for &(k, a) in terms {
                match known[k] {
                    Some(v) => rest -= a * v,
                    None => {
                        count += 1;
                        unknown = Some((k, a));
                    }
                }
            }
            if count == 1
                && let Some((k, a)) = unknown
                && a.abs() > 1e-9
            {
                known[k] = Some(rest / a);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let mut index: Vec<Option<usize>> = vec![None; n];
    let mut left: Vec<usize> = Vec::new();
    for k in 0..n {
        if known[k].is_none() {
            index[k] = Some(left.len());
            left.push(k);
        }
    }
    let reduce = |rows: &[(Lin, f64)]| -> Vec<(Lin, f64)> {
        rows.iter()
            .filter_map(|(terms, rhs)| {
                let mut rest = *rhs;
                let mut out = Lin::new();
                for &(k, a) in terms {
                    match (known[k], index[k]) {
                        (Some(v), _) => rest -= a * v,
                        (None, Some(i)) => out.push((i, a)),
                        (None, None) => {}
                    }
                }
                (!out.is_empty()).then_some((out, rest))
            })
            .collect()
    };
    let mut value: Vec<f64> = known.iter().map(|v| v.unwrap_or(0.0)).collect();
    if !left.is_empty() {
        let w: Vec<f64> = left.iter().map(|&k| weights[k]).collect();
        let solved = polished_qp(&w, &reduce(eq), &reduce(le))?;
        for (i, &k) in left.iter().enumerate() {
            value[k] = solved[i];
        }
    }
    Ok(value)
}

/// The least-squares problem by interior point, then polished (see [`least_squares`]).
pub(super) fn polished_qp(
    weights: &[f64],
    eq: &[(Lin, f64)],
    le: &[(Lin, f64)],
) -> Result<Vec<f64>, String> {
    let (_, s, z) = clarabel_qp(weights, eq, le)?;
    let slack = |k: usize| s[eq.len() + k];
    let leaning = |k: usize| z[eq.len() + k] > slack(k);
    let held = |k: usize| slack(k) <= AT_BOUND * (1.0 + le[k].1.abs());
    // First the limits the interior point leans on (dual above slack) or holds (no slack);
    // if those contradict each other, only the ones it holds. A limit the polished point
    // breaks joins them, and the system is solved again.
    for only_held in [false, true] {
        let mut binding: Vec<bool> = (0..le.len())
            .map(|k| held(k) || (!only_held && leaning(k)))
            .collect();
        for _ in 0..20 {
            let rows: Vec<(Lin, f64)> = eq
                .iter()
                .chain(le.iter().zip(&binding).filter(|(_, b)| **b).map(|(r, _)| r))
                .cloned()
                .collect();
            let Ok((polished, _, _)) = clarabel_qp(weights, &rows, &[]) else {
                break;
            };
            let mut broken = false;
            for (k, (terms, rhs)) in le.iter().enumerate() {
                let lhs: f64 = terms.iter().map(|&(j, a)| a * polished[j]).sum();
                if !binding[k] && lhs > rhs + AT_BOUND * (1.0 + rhs.abs()) {
                    binding[k] = true;
                    broken = true;
                }
            }
            if !broken {
                return Ok(polished);
            }
        }
    }
    Err("polishing did not settle".into())
}

/// One Clarabel solve of the least-squares problem: the point, the slacks and the duals of
/// the rows (`eq` first, then `le`).
#[allow(clippy::type_complexity)]
pub(super) fn clarabel_qp(
    weights: &[f64],
    eq: &[(Lin, f64)],
    le: &[(Lin, f64)],
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>), String> {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{
        DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
    };
    let n = weights.len();
    let diag: Vec<usize> = (0..n).filter(|&k| weights[k] != 0.0).collect();
    let quadratic = CscMatrix::new_from_triplets(
        n,
        n,
        diag.clone(),
        diag.clone(),
        diag.iter().map(|&k| weights[k]).collect(),
    );
    let (mut rows, mut cols, mut vals, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, (terms, rhs)) in eq.iter().chain(le).enumerate() {
        for &(k, a) in terms {
            rows.push(i);
            cols.push(k);
            vals.push(a);
        }
        b.push(*rhs);
    }
    let a = CscMatrix::new_from_triplets(b.len(), n, rows, cols, vals);
    let mut cones = Vec::new();
    if !eq.is_empty() {
        cones.push(SupportedConeT::ZeroConeT(eq.len()));
    }
    if !le.is_empty() {
        cones.push(SupportedConeT::NonnegativeConeT(le.len()));
    }
    let mut builder = DefaultSettingsBuilder::default();
    builder.verbose(false);
    let settings = builder.build().map_err(|e| e.to_string())?;
    let q = vec![0.0; n];
    let mut solver =
        DefaultSolver::new(&quadratic, &q, &a, &b, &cones, settings).map_err(|e| e.to_string())?;
    solver.solve();
    let sol = solver.solution;
    match sol.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Ok((sol.x, sol.s, sol.z)),
        status => Err(format!("{status:?}")),
    }
}

/// Within a unit, offer segments at one price are filled in segment order (the first MW of
/// a unit's curve first): the LP is indifferent, and the unit's output is kept.
pub(super) fn fill_segments(p: &Problem, layout: &Layout, mut values: Vec<f64>) -> Vec<f64> {
    // Per (unit, interval): (price, segment, variable, MW offered).
    type Segments = Vec<(Decimal, u32, usize, f64)>;
    let mut by_unit: BTreeMap<(usize, usize), Segments> = BTreeMap::new();
    for &(k, x) in &layout.energy {
        let e = &p.energy[k];
        by_unit
            .entry((e.unit, e.interval))
            .or_default()
            .push((e.price, e.segment, x, f(e.mw)));
    }
    for segments in by_unit.values_mut() {
        segments.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut i = 0;
        while i < segments.len() {
            let same = segments[i..]
                .iter()
                .take_while(|s| s.0 == segments[i].0)
                .count();
            let group = &segments[i..i + same];
            let mut left: f64 = group.iter().map(|s| values[s.2]).sum::<f64>().max(0.0);
            for &(_, _, x, mw) in group {
                let take = left.min(mw);
                values[x] = take;
                left -= take;
            }
            i += same;
        }
    }
    values
}
