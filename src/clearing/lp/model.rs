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
