//! Solving a day's model and its shifted twin (the price solve) with the backend built in.

use super::*;

/// Solves with one backend: every variable's value and every row's dual (the change in the
/// objective per unit of its right-hand side).
pub(super) fn solve_model<M>(
    mut model: M,
    vars: &[Variable],
    m: &Model,
) -> Result<(Vec<f64>, Vec<f64>), String>
where
    M: SolverModel,
    for<'a> M::Solution: SolutionWithDual<'a>,
{
    let refs: Vec<_> = m
        .rows
        .iter()
        .map(|row| {
            let mut e = Expression::with_capacity(row.terms.len());
            for &(j, a) in &row.terms {
                e.add_mul(a, vars[j]);
            }
            model.add_constraint(match row.sense {
                Sense::Le => constraint::leq(e, row.rhs),
                Sense::Ge => constraint::geq(e, row.rhs),
                Sense::Eq => constraint::eq(e, row.rhs),
            })
        })
        .collect();
    let mut solution = model
        .solve()
        .map_err(|e| format!("the LP solver failed: {e}"))?;
    let values = vars.iter().map(|&v| solution.value(v)).collect();
    let dual = solution.compute_dual();
    let duals = refs.into_iter().map(|r| dual.dual(r)).collect();
    Ok((values, duals))
}

impl Lp {
    pub(super) fn run(&self, m: &Model) -> Result<Solved, String> {
        let mut problem = ProblemVariables::new();
        let vars: Vec<Variable> = m
            .vars
            .iter()
            .map(|v| problem.add(variable().min(v.lo).max(v.hi)))
            .collect();
        let mut objective = Expression::with_capacity(m.vars.len());
        for (v, &x) in m.vars.iter().zip(&vars) {
            if v.cost != 0.0 {
                objective.add_mul(v.cost, x);
            }
        }
        let unsolved = problem.minimise(objective);
        match self.backend {
            Backend::Clarabel => {
                let mut model = unsolved.using(good_lp::clarabel);
                // Tighter than Clarabel's defaults (1e-8): the tie-break reads which reduced
                // costs are zero from the duals, and at the defaults their noise reaches
                // 1e-4 yuan, the data's price step (measured on joint-spot-day).
                model
                    .settings()
                    .tol_gap_abs(1e-10)
                    .tol_gap_rel(1e-10)
                    .tol_feas(1e-10)
                    .tol_ktratio(1e-8);
                solve_model(model, &vars, m)
            }
            #[cfg(feature = "highs")]
            Backend::Highs => {
                let mut model = unsolved.using(good_lp::highs).set_threads(1);
                model.set_verbose(false);
                solve_model(model, &vars, m)
            }
        }
    }
}

impl Lp {
    /// Builds every day's two models without solving them, for measuring the build's share
    /// of a solve (benches). Returns the number of constraints built.
    pub fn build_only(p: &Problem) -> usize {
        let soc = HashMap::new();
        p.days
            .iter()
            .map(|day| {
                let none = Monitored::new();
                build(p, day.clone(), &soc, 0.0, &none).0.rows.len()
                    + build(p, day.clone(), &soc, EPS, &none).0.rows.len()
            })
            .sum()
    }
}

/// One variable's value and one row's dual per entry of the model's.
pub(super) type Solved = (Vec<f64>, Vec<f64>);

/// A day solved: tie-broken quantities, and the prices read from the shifted twin.
pub(super) struct Day {
    /// The dispatch published (tie-broken, segments filled in order).
    pub(super) values: Vec<f64>,
    /// The shifted twin's dispatch, tie-broken the same way (what the prices are read at).
    pub(super) shifted_values: Vec<f64>,
    /// Per priced row (`Layout::priced`), the price in its product's own unit, before `snap`.
    pub(super) prices: Vec<f64>,
    /// Every row's dual in the shifted twin after the dual tie-break (line rows included:
    /// nodal prices read them), in 元 per hour.
    pub(super) all_duals: Vec<f64>,
}

/// The price model: `m` with every requirement and load (the priced rows) lowered by `EPS`,
/// as `build` with `shift = EPS` makes it (see the module doc).
pub(super) fn shifted(m: &Model, layout: &Layout) -> Model {
    let mut rows = m.rows.clone();
    for &r in &layout.priced {
        rows[r].rhs -= EPS;
    }
    Model {
        vars: m.vars.clone(),
        rows,
    }
}

impl Lp {
    /// Solves the day's model and its shifted twin (the module doc's two solves): with HiGHS
    /// the twin re-solves from the first solve's basis, only its right-hand sides changed;
    /// with Clarabel, from scratch. Then both tie-breaks, and the prices per priced row.
    pub(super) fn solve_day(
        &self,
        p: &Problem,
        model: &Model,
        layout: &Layout,
        notes: &mut Vec<String>,
        start: usize,
    ) -> Result<Day, String> {
        let twin = shifted(model, layout);
        let ((values, duals), (shifted_values, shifted_duals)) = match self.backend {
            #[cfg(feature = "highs")]
            Backend::Highs => highs_twin::solve_twin(model, &twin)?,
            Backend::Clarabel => (self.run(model)?, self.run(&twin)?),
        };
        let values = tie_break(model, &values, &duals, notes, start);
        let values = fill_segments(p, layout, values);
        let shifted_values = tie_break(&twin, &shifted_values, &shifted_duals, notes, start);
        let shifted_values = fill_segments(p, layout, shifted_values);
        let all_duals = match dual_tie_break(&twin, &shifted_values) {
            Ok(y) => y,
            Err(e) => {
                notes.push(format!("LP prices of the day from interval {start}: where they are not unique, the solver's are kept ({e})"));
                shifted_duals
            }
        };
        let mut prices: Vec<f64> = layout.priced.iter().map(|&r| all_duals[r]).collect();
        // Back from 元 per hour to each product's own price unit.
        for (i, (k, _, _)) in layout.auctions.iter().enumerate() {
            prices[i] /= cost_weight(p, p.auctions[*k].product);
        }
        let first_zone = layout.auctions.len() + layout.balance.len();
        for (i, (_, a, _, _)) in layout.zones.iter().enumerate() {
            prices[first_zone + i] /= cost_weight(p, p.auctions[layout.auctions[*a].0].product);
        }
        // Complementary slackness: a requirement the shifted solve over-meets has price 0
        // (the tie-break's duals say so already; this covers a fallback to the solver's,
        // where an interior point leaves slack rows small non-zero duals).
        for (i, (k, bids, short)) in layout.auctions.iter().enumerate() {
            let held: f64 =
                bids.iter().map(|&x| shifted_values[x]).sum::<f64>() + shifted_values[*short];
            if held - (f(p.auctions[*k].requirement_mw) - EPS) > EPS / 2.0 {
                prices[i] = 0.0;
            }
        }
        for (i, &(z, _, ref bids, short)) in layout.zones.iter().enumerate() {
            if !zone_tight(p, z, bids, short, &shifted_values) {
                prices[first_zone + i] = 0.0;
            }
        }
        Ok(Day {
            values,
            shifted_values,
            prices,
            all_duals,
        })
    }
}
