//! The LP engine: joint clearing per day with good_lp (notice 196 §六(十一) asks
//! continuous-spot regions to clear ancillary services jointly with energy).
//!
//! Per day, minimise Σ energy offer cost + Σ ranking price × FR + Σ offer × reserve and peak
//! + Σ cap × shortfall, subject to, for every interval t and unit u:
//!
//! - balance: Σ energy + Σ (discharge − charge) + short_e − spill = load (dual: energy price;
//!   shortfall and spill both cost the energy cap, so prices stay within ± the cap);
//! - each requirement: Σ accepted + short ≥ requirement (dual: that product's price);
//! - headroom: p + FR + reserve ≤ capacity; footroom: p − FR ≥ min output (units with energy
//!   offers are committed); without energy, FR + reserve ≤ capacity;
//! - response: FR ≤ ramp × `fr_response_minutes`, reserve ≤ ramp × `reserve_response_minutes`;
//! - ramp: |p_t − p_{t−1}| ≤ ramp × interval minutes;
//! - storage: soc_t = soc_{t−1} + efficiency × charge × h − discharge × h, 0 ≤ soc ≤ capacity;
//!   FR both ways: (discharge − charge) ± FR within ± capacity (§六(十)).
//!
//! Prices are duals, made unique by the merit order's convention: they are read from a second
//! solve with every requirement and load lowered by 0.01 MW, where the marginal offer is
//! accepted in part, so the dual is the left end of its interval (the last accepted offer's
//! price plus its lost opportunity). Prices are rounded to 4 decimals, quantities to 0.001 MW,
//! and ties on (ranking price, band) are re-split pro rata by our code within what each unit's
//! constraints leave free (energy ties are left as the solver splits them).

use std::collections::{BTreeMap, HashMap};

use good_lp::solvers::{DualValues, SolutionWithDual};
use good_lp::{
    Expression, ProblemVariables, Solution as _, SolverModel, Variable, constraint, variable,
};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

use super::{
    AuctionResult, EnergyInterval, Engine, Problem, Solution, StorageInterval, merit_order::share,
};
use crate::product::Product;

/// Which LP solver good_lp drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Interior point, pure Rust: builds anywhere.
    Clarabel,
    /// Simplex, C++ (feature `highs`).
    #[cfg(feature = "highs")]
    Highs,
}

pub struct Lp {
    pub backend: Backend,
}

/// The shift that makes duals unique (see the module doc). A marginal bid smaller than this
/// (10 kW) is passed over: the price is then the previous bid's.
const EPS: f64 = 1e-2;
const PRICE_DECIMALS: u32 = 4;

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn mw(v: f64) -> Decimal {
    Decimal::from_f64(v)
        .unwrap_or_default()
        .round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
        .max(Decimal::ZERO)
        .normalize()
}

fn price(v: f64) -> Decimal {
    Decimal::from_f64(v)
        .unwrap_or_default()
        .round_dp_with_strategy(PRICE_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// What falling short costs in the objective: the cap, or more than the dearest bid when an
/// eligible bid ranks above the cap (an FR offer with K < 1), so that the LP, like the merit
/// order, accepts every eligible bid before it falls short. The price is capped all the same.
fn shortfall_cost(a: &super::Auction) -> f64 {
    let top = a.bids.iter().map(|(_, b)| b.key).max().unwrap_or_default();
    if top < a.scarcity_price {
        f(a.scarcity_price)
    } else {
        f(top) + 1.0
    }
}

/// One variable of a day's model.
#[derive(Debug, Clone, Copy)]
struct Var {
    lo: f64,
    hi: f64,
    /// Cost per MW in the objective.
    cost: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sense {
    Le,
    Ge,
    Eq,
}

/// One row: Σ coefficient × variable (sense) rhs.
#[derive(Debug, Clone)]
struct Row {
    terms: Vec<(usize, f64)>,
    sense: Sense,
    rhs: f64,
}

/// A day's LP as plain data, solved by whichever backend is built in.
#[derive(Debug, Default)]
struct Model {
    vars: Vec<Var>,
    rows: Vec<Row>,
}

impl Model {
    fn var(&mut self, lo: f64, hi: f64, cost: f64) -> usize {
        self.vars.push(Var { lo, hi, cost });
        self.vars.len() - 1
    }

    fn row(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) -> usize {
        self.rows.push(Row { terms, sense, rhs });
        self.rows.len() - 1
    }

    /// A unit's limit.
    fn limit(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) {
        self.row(terms, sense, rhs);
    }
}

/// Variables of one day's model (indices into [`Model::vars`]).
struct Layout {
    /// Per auction in the day: (auction index, bid variables, shortfall variable).
    auctions: Vec<(usize, Vec<usize>, usize)>,
    /// Per energy bid in the day: (energy bid index, variable).
    energy: Vec<(usize, usize)>,
    /// Per interval with a balance: (interval, shortfall, spill).
    balance: Vec<(usize, usize, usize)>,
    /// Per (storage unit, interval): charge, discharge, soc.
    storage: Vec<(usize, usize, usize, usize, usize)>,
    /// Rows whose duals are prices: auctions (in `auctions` order), then balances (in
    /// `balance` order).
    priced: Vec<usize>,
}

/// A linear expression: (variable, coefficient).
type Lin = Vec<(usize, f64)>;

/// Builds one day's model; `shift` lowers every requirement and load (the price solve).
fn build(
    p: &Problem,
    day: std::ops::Range<usize>,
    soc0: &HashMap<usize, Decimal>,
    shift: f64,
) -> (Model, Layout) {
    let mut m = Model::default();
    let mut layout = Layout {
        auctions: Vec::new(),
        energy: Vec::new(),
        balance: Vec::new(),
        storage: Vec::new(),
        priced: Vec::new(),
    };
    let hours = f64::from(p.interval_minutes) / 60.0;
    let in_day = |t: usize| day.contains(&t);

    // Per (unit, interval): energy output, FR and reserve held.
    let mut output: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    let mut has_energy: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    let mut fr: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    let mut reserve: BTreeMap<(usize, usize), Lin> = BTreeMap::new();

    for (k, a) in p
        .auctions
        .iter()
        .enumerate()
        .filter(|(_, a)| in_day(a.interval))
    {
        let req = f(a.requirement_mw);
        let short = m.var(0.0, req.max(0.0), shortfall_cost(a));
        let mut sum: Lin = vec![(short, 1.0)];
        let mut bid_vars = Vec::with_capacity(a.bids.len());
        for (unit, b) in &a.bids {
            let x = m.var(0.0, f(b.mw), f(b.key));
            sum.push((x, 1.0));
            let key = (*unit, a.interval);
            match a.product {
                Product::Fr => fr.entry(key).or_default().push((x, 1.0)),
                Product::Reserve => reserve.entry(key).or_default().push((x, 1.0)),
                _ => {}
            }
            bid_vars.push(x);
        }
        let row = m.row(sum, Sense::Ge, req - shift);
        layout.priced.push(row);
        layout.auctions.push((k, bid_vars, short));
    }

    for (k, e) in p
        .energy
        .iter()
        .enumerate()
        .filter(|(_, e)| in_day(e.interval))
    {
        let x = m.var(0.0, f(e.mw), f(e.price));
        output
            .entry((e.unit, e.interval))
            .or_default()
            .push((x, 1.0));
        has_energy.insert((e.unit, e.interval), true);
        layout.energy.push((k, x));
    }

    // Storage, where energy is balanced.
    for (u, limits) in p.units.iter().enumerate() {
        let Some(st) = limits.storage else { continue };
        let mut soc_prev: Result<usize, f64> =
            Err(f(soc0.get(&u).copied().unwrap_or(st.initial_soc_mwh)));
        for t in day.clone() {
            if p.load_mw[t].is_none() {
                continue;
            }
            let cap = f(limits.capacity_mw);
            let c = m.var(0.0, cap, 0.0);
            let d = m.var(0.0, cap, 0.0);
            let soc = m.var(0.0, f(st.energy_capacity_mwh), 0.0);
            let out = output.entry((u, t)).or_default();
            out.push((d, 1.0));
            out.push((c, -1.0));
            // soc_t − soc_{t−1} − efficiency × charge × h + discharge × h = 0.
            let mut balance = vec![(soc, 1.0), (c, -f(st.efficiency) * hours), (d, hours)];
            let rhs = match soc_prev {
                Ok(prev) => {
                    balance.push((prev, -1.0));
                    0.0
                }
                Err(initial) => initial,
            };
            m.row(balance, Sense::Eq, rhs);
            soc_prev = Ok(soc);
            layout.storage.push((u, t, c, d, soc));
        }
    }

    // Balance per interval with a load.
    let mut by_interval: BTreeMap<usize, Lin> = BTreeMap::new();
    for ((_, t), out) in &output {
        by_interval
            .entry(*t)
            .or_default()
            .extend(out.iter().copied());
    }
    for t in day.clone() {
        let Some(load) = p.load_mw[t] else { continue };
        let load = f(load);
        let short = m.var(0.0, load, f(p.energy_cap));
        // Over-generation (must-run output above the load) is spilled at the cap's cost, so
        // it happens only when nothing else can, and prices stay within ± the cap.
        let spill = m.var(0.0, f64::INFINITY, f(p.energy_cap));
        let mut sum: Lin = vec![(short, 1.0), (spill, -1.0)];
        sum.extend(by_interval.get(&t).into_iter().flatten().copied());
        let row = m.row(sum, Sense::Eq, load - shift);
        layout.priced.push(row);
        layout.balance.push((t, short, spill));
    }

    // Unit limits.
    let sum = |parts: &[Option<&Lin>], signs: &[f64]| -> Lin {
        let mut out = Lin::new();
        for (part, sign) in parts.iter().zip(signs) {
            out.extend(
                part.iter()
                    .flat_map(|l| l.iter())
                    .map(|&(j, a)| (j, a * sign)),
            );
        }
        out
    };
    for (u, limits) in p.units.iter().enumerate() {
        let cap = f(limits.capacity_mw);
        let storage = limits.storage.is_some();
        for t in day.clone() {
            let key = (u, t);
            let r = fr.get(&key);
            let q = reserve.get(&key);
            let energy = has_energy.contains_key(&key) || (storage && output.contains_key(&key));
            let p_ut = output.get(&key);
            if energy {
                if r.is_some() || q.is_some() {
                    m.limit(sum(&[p_ut, r, q], &[1.0, 1.0, 1.0]), Sense::Le, cap);
                }
                let floor = if storage {
                    -cap
                } else {
                    f(limits.min_output_mw)
                };
                m.limit(sum(&[p_ut, r], &[1.0, -1.0]), Sense::Ge, floor);
            } else if r.is_some() && q.is_some() {
                m.limit(sum(&[r, q], &[1.0, 1.0]), Sense::Le, cap);
            }
            if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
                if let Some(r) = r {
                    m.limit(r.clone(), Sense::Le, ramp * f(p.fr_response_minutes));
                }
                if let Some(q) = q {
                    m.limit(q.clone(), Sense::Le, ramp * f(p.reserve_response_minutes));
                }
                if !storage
                    && t > day.start
                    && has_energy.contains_key(&key)
                    && has_energy.contains_key(&(u, t - 1))
                {
                    let step = ramp * f64::from(p.interval_minutes);
                    let delta = sum(&[output.get(&key), output.get(&(u, t - 1))], &[1.0, -1.0]);
                    m.limit(delta.clone(), Sense::Le, step);
                    m.limit(delta, Sense::Ge, -step);
                }
            }
        }
    }
    (m, layout)
}

/// Solves with one backend: every variable's value and every row's dual (the change in the
/// objective per unit of its right-hand side).
fn solve_model<M>(
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
    fn run(&self, m: &Model) -> Result<(Vec<f64>, Vec<f64>), String> {
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
            Backend::Clarabel => solve_model(unsolved.using(good_lp::clarabel), &vars, m),
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
                build(p, day.clone(), &soc, 0.0).0.rows.len()
                    + build(p, day.clone(), &soc, EPS).0.rows.len()
            })
            .sum()
    }
}

impl Engine for Lp {
    fn name(&self) -> &'static str {
        match self.backend {
            Backend::Clarabel => "lp (clarabel)",
            #[cfg(feature = "highs")]
            Backend::Highs => "lp (highs)",
        }
    }

    fn solve(&self, p: &Problem) -> Result<Solution, String> {
        let mut sol = Solution {
            auctions: vec![
                AuctionResult {
                    cleared: Vec::new(),
                    total: Decimal::ZERO,
                    shortfall: Decimal::ZERO,
                    price: Decimal::ZERO,
                    marginal: Vec::new()
                };
                p.auctions.len()
            ],
            energy_dispatch: vec![Decimal::ZERO; p.energy.len()],
            ..Solution::default()
        };
        let mut soc: HashMap<usize, Decimal> = HashMap::new();
        for day in &p.days {
            let (model, layout) = build(p, day.clone(), &soc, 0.0);
            if model.vars.is_empty() {
                // Nothing to clear this day (no offers, no load): Clarabel panics on a model
                // without variables, and there is nothing to read back.
                continue;
            }
            let (values, _) = self.run(&model)?;
            let (model, shifted) = build(p, day.clone(), &soc, EPS);
            let (shifted_values, all_duals) = self.run(&model)?;
            let mut duals: Vec<f64> = shifted.priced.iter().map(|&r| all_duals[r]).collect();
            // Complementary slackness: a requirement the shifted solve over-meets has price 0
            // (interior-point duals of slack rows are small but not zero).
            for (i, (k, bids, short)) in shifted.auctions.iter().enumerate() {
                let held: f64 =
                    bids.iter().map(|&x| shifted_values[x]).sum::<f64>() + shifted_values[*short];
                if held - (f(p.auctions[*k].requirement_mw) - EPS) > EPS / 2.0 {
                    duals[i] = 0.0;
                }
            }
            snap(p, &shifted, &shifted_values, &mut duals);
            sol.objective += objective(p, &layout, &values);
            read_day(p, &layout, &values, &duals, &mut sol, &mut soc);
        }
        Ok(sol)
    }
}

/// Pins a price exactly where the optimality conditions do: a bid (or energy segment) accepted
/// strictly between its bounds, on a unit none of whose limits bind, has a reduced cost of
/// zero, so the price is its key. An interior-point dual near such a point is only accurate
/// to the solver's tolerance; the key is exact, and the same for every backend.
fn snap(p: &Problem, layout: &Layout, values: &[f64], duals: &mut [f64]) {
    let tol = EPS / 2.0;
    let mut output: HashMap<(usize, usize), f64> = HashMap::new();
    let mut held: HashMap<(Product, usize, usize), f64> = HashMap::new();
    for (k, x) in &layout.energy {
        let e = &p.energy[*k];
        *output.entry((e.unit, e.interval)).or_default() += values[*x];
    }
    for &(u, t, c, d, _) in &layout.storage {
        *output.entry((u, t)).or_default() += values[d] - values[c];
    }
    for (k, bids, _) in &layout.auctions {
        let a = &p.auctions[*k];
        for (x, (u, _)) in bids.iter().zip(&a.bids) {
            *held.entry((a.product, *u, a.interval)).or_default() += values[*x];
        }
    }
    let get = |m: &HashMap<(Product, usize, usize), f64>, k| m.get(&k).copied().unwrap_or(0.0);
    // Room to take more of `product` at (u, t), everything else fixed.
    let room = |product: Product, u: usize, t: usize| -> f64 {
        let limits = &p.units[u];
        if !matches!(product, Product::Fr | Product::Reserve) {
            return f64::MAX;
        }
        let (r, q) = (
            get(&held, (Product::Fr, u, t)),
            get(&held, (Product::Reserve, u, t)),
        );
        let cap = f(limits.capacity_mw);
        let mut room = f64::MAX;
        match output.get(&(u, t)) {
            Some(&e) => {
                room = room.min(cap - e - r - q);
                if product == Product::Fr {
                    let floor = if limits.storage.is_some() {
                        -cap
                    } else {
                        f(limits.min_output_mw)
                    };
                    room = room.min(e - r - floor);
                }
            }
            None => room = room.min(cap - r - q),
        }
        if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
            room = room.min(match product {
                Product::Fr => ramp * f(p.fr_response_minutes) - r,
                _ => ramp * f(p.reserve_response_minutes) - q,
            });
        }
        room
    };
    for (i, (k, bids, _)) in layout.auctions.iter().enumerate() {
        let a = &p.auctions[*k];
        // An interior point spreads the shift over tied bids: each is EPS / n inside.
        let tol = EPS / (2.0 * bids.len().max(1) as f64);
        if let Some((_, (_, b))) = bids.iter().zip(&a.bids).find(|(x, (u, b))| {
            let v = values[**x];
            v > tol && v < f(b.mw) - tol && room(a.product, *u, a.interval) > tol
        }) {
            duals[i] = f(b.key).min(f(a.scarcity_price));
        }
    }
    // Energy: a segment strictly inside its bounds, on a unit free to move both ways.
    let step = f64::from(p.interval_minutes);
    let free = |u: usize, t: usize| -> bool {
        let limits = &p.units[u];
        if limits.storage.is_some() {
            return false;
        }
        let e = output.get(&(u, t)).copied().unwrap_or(0.0);
        let (r, q) = (
            get(&held, (Product::Fr, u, t)),
            get(&held, (Product::Reserve, u, t)),
        );
        if f(limits.capacity_mw) - e - r - q <= tol || e - r - f(limits.min_output_mw) <= tol {
            return false;
        }
        if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
            for other in [t.checked_sub(1), Some(t + 1)].into_iter().flatten() {
                if let Some(&o) = output.get(&(u, other))
                    && (e - o).abs() >= ramp * step - tol
                {
                    return false;
                }
            }
        }
        true
    };
    let n = layout.auctions.len();
    for (i, (t, _, _)) in layout.balance.iter().enumerate() {
        let segments = layout
            .energy
            .iter()
            .filter(|(k, _)| p.energy[*k].interval == *t)
            .count();
        let tol = EPS / (2.0 * segments.max(1) as f64);
        if let Some((k, _)) = layout.energy.iter().find(|(k, x)| {
            let e = &p.energy[*k];
            let v = values[*x];
            e.interval == *t && v > tol && v < f(e.mw) - tol && free(e.unit, *t)
        }) {
            duals[n + i] = f(p.energy[*k].price);
        }
    }
}

/// The objective at the solution, from the problem's own costs.
fn objective(p: &Problem, layout: &Layout, values: &[f64]) -> f64 {
    let mut total = 0.0;
    for (k, bids, short) in &layout.auctions {
        let a = &p.auctions[*k];
        total += bids
            .iter()
            .zip(&a.bids)
            .map(|(x, (_, b))| values[*x] * f(b.key))
            .sum::<f64>();
        total += values[*short] * shortfall_cost(a);
    }
    for (k, x) in &layout.energy {
        total += values[*x] * f(p.energy[*k].price);
    }
    for (_, short, spill) in &layout.balance {
        total += (values[*short] + values[*spill]) * f(p.energy_cap);
    }
    total
}

/// Turns one day's solution into rounded quantities, pro-rata ties and unique prices.
fn read_day(
    p: &Problem,
    layout: &Layout,
    values: &[f64],
    duals: &[f64],
    sol: &mut Solution,
    soc: &mut HashMap<usize, Decimal>,
) {
    // Energy first: output per (unit, interval) bounds what the auctions may re-split.
    let mut output: HashMap<(usize, usize), Decimal> = HashMap::new();
    let mut dispatched: BTreeMap<usize, Decimal> = BTreeMap::new();
    for (k, x) in &layout.energy {
        let e = &p.energy[*k];
        let v = mw(values[*x]).min(e.mw);
        sol.energy_dispatch[*k] = v;
        *output.entry((e.unit, e.interval)).or_default() += v;
        *dispatched.entry(e.interval).or_default() += v;
    }
    for &(u, t, c, d, s) in &layout.storage {
        let (c, d, s) = (mw(values[c]), mw(values[d]), mw(values[s]));
        *output.entry((u, t)).or_default() += d - c;
        *dispatched.entry(t).or_default() += d - c;
        sol.storage.push(StorageInterval {
            unit: u,
            interval: t,
            charge_mw: c,
            discharge_mw: d,
            soc_mwh: s,
        });
        soc.insert(u, s);
    }
    let n_auctions = layout.auctions.len();
    for (i, &(t, short, _)) in layout.balance.iter().enumerate() {
        let load = p.load_mw[t].unwrap_or_default();
        let shortfall = if values[short] < 5e-4 {
            Decimal::ZERO
        } else {
            mw(values[short])
        };
        let mut got = dispatched.get(&t).copied().unwrap_or_default();
        // Rounding to 0.001 MW can leave the balance a few kW off: the dearest dispatched
        // segment with room takes the difference, so that dispatch + shortfall = load.
        let residual = load - shortfall - got;
        if !residual.is_zero() && residual.abs() <= dec!(0.01) {
            let target = layout
                .energy
                .iter()
                .filter(|(k, _)| {
                    let e = &p.energy[*k];
                    let d = sol.energy_dispatch[*k];
                    e.interval == t
                        && d + residual >= Decimal::ZERO
                        && d + residual <= e.mw
                        && (d > Decimal::ZERO || residual > Decimal::ZERO)
                })
                .max_by(|(a, _), (b, _)| p.energy[*a].price.cmp(&p.energy[*b].price).then(b.cmp(a)))
                .map(|(k, _)| *k);
            if let Some(k) = target {
                sol.energy_dispatch[k] += residual;
                *output.entry((p.energy[k].unit, t)).or_default() += residual;
                got += residual;
            }
        }
        let energy_price = price(duals[n_auctions + i]).clamp(-p.energy_cap, p.energy_cap);
        // Marginal: units with a dispatched segment at the price, else the dearest dispatched.
        let mut marginal: Vec<usize> = layout
            .energy
            .iter()
            .filter(|(k, _)| {
                p.energy[*k].interval == t
                    && sol.energy_dispatch[*k] > Decimal::ZERO
                    && p.energy[*k].price == energy_price
            })
            .map(|(k, _)| p.energy[*k].unit)
            .collect();
        if marginal.is_empty()
            && let Some(top) = layout
                .energy
                .iter()
                .filter(|(k, _)| {
                    p.energy[*k].interval == t && sol.energy_dispatch[*k] > Decimal::ZERO
                })
                .map(|(k, _)| p.energy[*k].price)
                .max()
        {
            marginal = layout
                .energy
                .iter()
                .filter(|(k, _)| {
                    p.energy[*k].interval == t
                        && sol.energy_dispatch[*k] > Decimal::ZERO
                        && p.energy[*k].price == top
                })
                .map(|(k, _)| p.energy[*k].unit)
                .collect();
        }
        marginal.sort_unstable();
        marginal.dedup();
        sol.energy.push(EnergyInterval {
            interval: t,
            load_mw: load,
            dispatched_mw: got.min(load),
            shortfall_mw: shortfall,
            price: energy_price,
            marginal_units: marginal,
        });
    }

    // Auctions: rounded group totals, re-split pro rata within each unit's free room.
    let mut held: HashMap<(Product, usize, usize), Decimal> = HashMap::new(); // (product, unit, t)
    for (k, bids, _) in &layout.auctions {
        let a = &p.auctions[*k];
        for (x, (u, _)) in bids.iter().zip(&a.bids) {
            *held.entry((a.product, *u, a.interval)).or_default() += mw(values[*x]);
        }
    }
    for (i, (k, bids, short)) in layout.auctions.iter().enumerate() {
        let a = &p.auctions[*k];
        let lp: Vec<Decimal> = bids
            .iter()
            .zip(&a.bids)
            .map(|(x, (_, b))| mw(values[*x]).min(b.mw))
            .collect();
        let shortfall = if values[*short] < 5e-4 {
            Decimal::ZERO
        } else {
            mw(values[*short]).min(a.requirement_mw)
        };
        // Groups by (key, tier), cheapest first.
        let mut groups: BTreeMap<(Decimal, u32), Vec<usize>> = BTreeMap::new();
        for (j, (_, b)) in a.bids.iter().enumerate() {
            groups.entry((b.key, b.tier)).or_default().push(j);
        }
        let mut totals: Vec<((Decimal, u32), Decimal)> = groups
            .iter()
            .map(|(g, js)| (*g, js.iter().map(|&j| lp[j]).sum()))
            .collect();
        // The rounded totals must add up to what is procured: fix the residual on the
        // marginal (dearest accepted) group.
        let target = (a.requirement_mw - shortfall).max(Decimal::ZERO);
        let sum: Decimal = totals.iter().map(|t| t.1).sum();
        if let Some(m) = totals.iter().rposition(|t| t.1 > Decimal::ZERO)
            && (sum - target).abs() <= dec!(0.01)
        {
            let room: Decimal = groups[&totals[m].0].iter().map(|&j| a.bids[j].1.mw).sum();
            totals[m].1 = (totals[m].1 + target - sum).clamp(Decimal::ZERO, room);
        }
        let mut cleared = lp.clone();
        for (g, total) in &totals {
            let js = &groups[g];
            if js.len() < 2 || total.is_zero() {
                if let [j] = js.as_slice() {
                    cleared[*j] = *total;
                }
                continue;
            }
            // Each bid may take up to its own value plus its unit's free room.
            let items: Vec<(Decimal, Decimal, usize)> = js
                .iter()
                .map(|&j| {
                    let (u, b) = &a.bids[j];
                    let room = free_room(p, a.product, *u, a.interval, &held, &output);
                    (
                        b.mw,
                        b.mw.min(lp[j].checked_add(room).unwrap_or(Decimal::MAX)),
                        b.order,
                    )
                })
                .collect();
            match share(*total, &items) {
                Some(shares) => {
                    for (&j, s) in js.iter().zip(shares) {
                        let (u, _) = &a.bids[j];
                        *held.entry((a.product, *u, a.interval)).or_default() += s - lp[j];
                        cleared[j] = s;
                    }
                }
                None => sol.notes.push(format!("{} at interval {}: a tie could not be split pro rata within the units' limits; the solver's split is kept", a.product.as_str(), a.interval)),
            }
        }
        let total: Decimal = cleared.iter().sum();
        let marginal = totals
            .iter()
            .rev()
            .find(|t| t.1 > Decimal::ZERO)
            .map(|(g, _)| {
                groups[g]
                    .iter()
                    .copied()
                    .filter(|&j| cleared[j] > Decimal::ZERO)
                    .collect()
            })
            .unwrap_or_default();
        let dual = if shortfall > Decimal::ZERO {
            a.scarcity_price
        } else {
            price(duals[i]).clamp(Decimal::ZERO, a.scarcity_price)
        };
        sol.auctions[*k] = AuctionResult {
            cleared,
            total,
            shortfall,
            price: dual,
            marginal,
        };
    }
}

/// How much more of `product` a unit could hold at `t` with everything else fixed.
fn free_room(
    p: &Problem,
    product: Product,
    u: usize,
    t: usize,
    held: &HashMap<(Product, usize, usize), Decimal>,
    output: &HashMap<(usize, usize), Decimal>,
) -> Decimal {
    let limits = &p.units[u];
    let r = held.get(&(Product::Fr, u, t)).copied().unwrap_or_default();
    let q = held
        .get(&(Product::Reserve, u, t))
        .copied()
        .unwrap_or_default();
    let energy = output.get(&(u, t)).copied();
    let mut room = Decimal::MAX;
    if matches!(product, Product::Fr | Product::Reserve) {
        match energy {
            Some(e) => {
                room = room.min(limits.capacity_mw - e - r - q);
                if product == Product::Fr {
                    let floor = if limits.storage.is_some() {
                        -limits.capacity_mw
                    } else {
                        limits.min_output_mw
                    };
                    room = room.min(e - r - floor);
                }
            }
            None if r > Decimal::ZERO || q > Decimal::ZERO => {
                room = room.min(limits.capacity_mw - r - q)
            }
            None => {}
        }
        if let Some(ramp) = limits.ramp_mw_per_min {
            room = room.min(match product {
                Product::Fr => ramp * p.fr_response_minutes - r,
                _ => ramp * p.reserve_response_minutes - q,
            });
        }
    }
    room.max(Decimal::ZERO)
}
