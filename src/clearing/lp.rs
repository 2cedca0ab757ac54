//! The LP engine: joint clearing per day with good_lp (notice 196 §六(十一) asks
//! continuous-spot regions to clear ancillary services jointly with energy).
//!
//! Per day, minimise Σ energy offer cost + Σ ranking price × w × FR + Σ offer × reserve and
//! peak + Σ cap × shortfall, subject to, for every interval t and unit u (every term in 元 per
//! hour: FR is priced per MW of mileage, so its ranking price is weighted by
//! w = expected mileage per MW per interval ÷ interval hours, `Problem::fr_cost_factor`, and FR
//! duals are divided by w to give 元/MW of mileage again):
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
//! price plus its lost opportunity). Prices are rounded to 4 decimals, quantities to 0.001 MW.
//! The second model is the first with those right-hand sides lowered, nothing else: with
//! HiGHS it is the first solve's instance, re-run from its optimal basis (`highs_twin`).
//!
//! # The same bytes from every backend: the tie-break
//!
//! An LP's optimum is often not one point: offers at one price (identical units, a heat-rate
//! curve kept flat, storage that can charge in either of two equal-priced intervals) can be
//! swapped at no cost, and a simplex (HiGHS) returns a vertex of the optimal face where an
//! interior point (Clarabel) returns a point inside it. So neither backend's point is
//! published. Each solve goes through a tie-break that depends only on the optimal face:
//!
//! 1. The face is read from the backend's duals: a variable with a reduced cost (cost − Σ
//!    coefficient × dual) is at the bound the sign points to, a row with a dual holds with
//!    equality. Any optimal duals describe the same face; a reduced cost or dual counts when
//!    it exceeds both `ZERO_COST` (1e-5 yuan per MW: a tenth of the data's price step, 1e-4,
//!    well above the backends' noise once Clarabel is run to 1e-10) and the distance from its
//!    bound or the row's slack (an interior point leaves both small near a bound).
//! 2. On that face, the dispatch minimising Σ x² / (MW offered) over every offer, shortfall
//!    and battery charge or discharge: strictly convex, so one point; where only the tied
//!    offers' total is fixed it is their pro-rata split to the MW offered (the merit order's
//!    tie rule), and where limits couple them the least-squares split within the limits. It
//!    is solved with Clarabel as a quadratic program for both backends, then polished (the
//!    limits it holds become equalities and that linear system is solved again), so that the
//!    point does not depend on how the backend described the face.
//! 3. Within one unit, segments at one price fill in segment order.
//!
//! The prices follow the same way: the duals of the 0.01 MW-lower solve are read complementary
//! to its tie-broken dispatch (a row with slack has dual 0, a variable between its bounds a
//! reduced cost of 0) and, where that still leaves a choice, the least Σ dual² is taken. Then
//! a bid strictly inside its bounds on a unit with room pins its price to its key exactly.
//! Quantities and prices are rounded in two steps (to 1e-6, then to 0.001 MW; to 1e-7, then
//! to 1e-4), so that the last digits of a backend's arithmetic never decide a rounding. The
//! objective reported is that of the published quantities. Where the tie-break fails
//! numerically, the backend's point is kept and a note says so (never seen on the shipped
//! scenarios or the RTS-GMLC weeks; `tests/lp.rs` compares all outputs of both backends).
//!
//! A unit's limit on a single variable (FR ≤ ramp × 5 where the unit has one FR offer in the
//! interval, reserve likewise, the floor of a unit's only segment) is that variable's bound,
//! not a row: a third fewer rows, the same optimum and duals.
//!
//! # The network
//!
//! With a network ([`Problem::grid`]), each limited line is a pair of rows per interval,
//! −limit ≤ Σ_b PTDF[l, b] × (injection_b − load_b) ≤ limit (`line_rows`), added only where
//! a solve without them breaks the limit (`Lp::solve_rounds`); the 0.01 MW shift of the
//! price solve lowers the load at the reference bus, so line rows do not move. Line rows go
//! through the same tie-breaks as every other row. A bus's price is λ + Σ PTDF × (line
//! duals) (`read_network`); `snap` leaves the energy price of an interval with a monitored
//! line to the dual tie-break, since a free segment there pins its own bus's price, not λ.

use std::collections::{BTreeMap, HashMap};

use good_lp::solvers::{DualValues, SolutionWithDual};
use good_lp::{
    Expression, ProblemVariables, Solution as _, SolverModel, Variable, constraint, variable,
};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

use super::{
    AuctionResult, EnergyInterval, Engine, Grid, LineFlow, NodalPrice, Problem, Solution,
    StorageInterval, ZoneResult, merit_order::share,
};
use crate::product::Product;

#[cfg(feature = "highs")]
mod highs_twin;

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

/// Rounds in two steps: first to `fine` decimals, which absorbs a solver's last-digit noise
/// (so that a value exactly halfway between two outputs rounds the same way from either
/// backend), then to `places`, half away from zero.
fn round2(v: f64, fine: u32, places: u32) -> Decimal {
    Decimal::from_f64(v)
        .unwrap_or_default()
        .round_dp_with_strategy(fine, RoundingStrategy::MidpointNearestEven)
        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

fn mw(v: f64) -> Decimal {
    round2(v, 6, 3).max(Decimal::ZERO).normalize()
}

fn price(v: f64) -> Decimal {
    round2(v, PRICE_DECIMALS + 3, PRICE_DECIMALS).normalize()
}

/// What falling short costs in the objective: the cap, or more than the dearest bid when an
/// eligible bid ranks above the cap (an FR offer with K < 1), so that the LP, like the merit
/// order, accepts every eligible bid before it falls short. The price is capped all the same.
fn shortfall_cost(a: &super::Auction) -> Decimal {
    let top = a.bids.iter().map(|(_, b)| b.key).max().unwrap_or_default();
    if top < a.scarcity_price {
        a.scarcity_price
    } else {
        top + Decimal::ONE
    }
}

/// What one MW of a product's bid costs in the objective per unit of its price: FR prices are
/// per MW of mileage, converted to 元 per hour by the expected mileage (`fr_cost_factor`);
/// the others are per MWh already.
fn cost_weight(p: &Problem, product: Product) -> f64 {
    match product {
        Product::Fr => f(p.fr_cost_factor),
        _ => 1.0,
    }
}

/// [`cost_weight`], exact: for the objective as published.
fn cost_weight_decimal(p: &Problem, product: Product) -> Decimal {
    match product {
        Product::Fr => p.fr_cost_factor,
        _ => Decimal::ONE,
    }
}

/// One variable of a day's model.
#[derive(Debug, Clone, Copy)]
struct Var {
    lo: f64,
    hi: f64,
    /// Cost per MW in the objective.
    cost: f64,
    /// The tie-break's weight: 1 / the MW offered, so that the least Σ weight × x² among
    /// the optimal dispatches shares tied offers pro rata (0: left out of the tie-break).
    weight: f64,
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
    /// A variable whose tie-break weight is 1 / `offered` (none where nothing is offered).
    fn var(&mut self, lo: f64, hi: f64, cost: f64, offered: f64) -> usize {
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

    fn row(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) -> usize {
        self.rows.push(Row { terms, sense, rhs });
        self.rows.len() - 1
    }

    /// A unit's limit: on the variable's bound where it holds a single variable (most of a
    /// day's limits: FR ≤ ramp × 5 and reserve ≤ ramp × 10 where a unit has one offer of each,
    /// the floor of a unit's only segment), else a row. A bound that would cross the other
    /// stays a row, so the model is infeasible exactly where it was.
    fn limit(&mut self, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) {
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
    /// `balance` order), then zonal minimums (in `zones` order).
    priced: Vec<usize>,
    /// Per zonal minimum in the day: (index into `Zones::auctions`, position of its system
    /// auction in `auctions`, the zone's bid variables, its shortfall variable).
    zones: Vec<(usize, usize, Vec<usize>, usize)>,
    /// Per monitored line limit: (interval, line, its `≤ limit` row, its `≥ −limit` row).
    lines: Vec<(usize, usize, usize, usize)>,
}

/// A linear expression: (variable, coefficient).
type Lin = Vec<(usize, f64)>;

/// The (interval, line) limits a day's model enforces: only those a solve without them broke
/// (see [`Lp::solve_rounds`]).
type Monitored = std::collections::BTreeSet<(usize, usize)>;

/// Builds one day's model; `shift` lowers every requirement and load (the price solve; the
/// load is lowered at the reference bus, so line rows do not move); `monitored` names the
/// line limits it enforces.
fn build(
    p: &Problem,
    day: std::ops::Range<usize>,
    soc0: &HashMap<usize, Decimal>,
    shift: f64,
    monitored: &Monitored,
) -> (Model, Layout) {
    let mut m = Model::default();
    let mut layout = Layout {
        auctions: Vec::new(),
        energy: Vec::new(),
        balance: Vec::new(),
        storage: Vec::new(),
        priced: Vec::new(),
        zones: Vec::new(),
        lines: Vec::new(),
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
        let weight = cost_weight(p, a.product);
        let short = m.var(0.0, req.max(0.0), f(shortfall_cost(a)) * weight, req);
        let mut sum: Lin = vec![(short, 1.0)];
        let mut bid_vars = Vec::with_capacity(a.bids.len());
        for (unit, b) in &a.bids {
            let x = m.var(0.0, f(b.mw), f(b.key) * weight, f(b.mw));
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
        let x = m.var(0.0, f(e.mw), f(e.price), f(e.mw));
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
            let c = m.var(0.0, cap, 0.0, cap);
            let d = m.var(0.0, cap, 0.0, cap);
            // Follows from charge and discharge: no weight of its own.
            let soc = m.var(0.0, f(st.energy_capacity_mwh), 0.0, 0.0);
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
        let short = m.var(0.0, load, f(p.energy_cap), load);
        // Over-generation (must-run output above the load) is spilled at the cap's cost, so
        // it happens only when nothing else can, and prices stay within ± the cap.
        let spill = m.var(0.0, f64::INFINITY, f(p.energy_cap), load);
        let mut sum: Lin = vec![(short, 1.0), (spill, -1.0)];
        sum.extend(by_interval.get(&t).into_iter().flatten().copied());
        let row = m.row(sum, Sense::Eq, load - shift);
        layout.priced.push(row);
        layout.balance.push((t, short, spill));
    }
    zone_rows(p, &mut m, &mut layout, shift);
    if let Some(grid) = &p.grid {
        line_rows(grid, &mut m, &mut layout, &output, monitored);
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

/// The zonal minimums of the day's auctions: per zone z, product and interval with a minimum,
///
/// ```text
/// Σ awards of the auction's bids from units in z + short_z ≥ minimum_z
/// ```
///
/// with its own shortfall at the system auction's shortfall cost (the cap). A bid counts in
/// its zone's row and in the system-wide row alike. Zone rows are priced rows: the price solve
/// lowers them by `shift` too, and their duals are the zone's premium over the system price.
fn zone_rows(p: &Problem, m: &mut Model, layout: &mut Layout, shift: f64) {
    let position: HashMap<usize, usize> = layout
        .auctions
        .iter()
        .enumerate()
        .map(|(i, (k, _, _))| (*k, i))
        .collect();
    for (z, za) in p.zones.auctions.iter().enumerate() {
        let Some(&i) = position.get(&za.auction) else {
            continue;
        };
        let a = &p.auctions[za.auction];
        let req = f(za.requirement_mw);
        let weight = cost_weight(p, a.product);
        let short = m.var(0.0, req.max(0.0), f(shortfall_cost(a)) * weight, req);
        let bids: Vec<usize> = layout.auctions[i]
            .1
            .iter()
            .zip(&a.bids)
            .filter(|(_, (u, _))| p.zones.unit_zone.get(*u) == Some(&za.zone))
            .map(|(&x, _)| x)
            .collect();
        let mut sum: Lin = vec![(short, 1.0)];
        sum.extend(bids.iter().map(|&x| (x, 1.0)));
        let row = m.row(sum, Sense::Ge, req - shift);
        layout.priced.push(row);
        layout.zones.push((z, i, bids, short));
    }
}

/// The monitored line limits as rows (DC power flow, PTDF form): per (interval t, line l),
///
/// ```text
/// −limit ≤ Σ_u PTDF[l, bus(u)] × output_u,t + c_l,t × (short_t − spill_t) − Σ_b PTDF[l, b] × load_b,t ≤ limit
/// ```
///
/// with output = energy + discharge − charge. A shortfall is load not served at every bus
/// pro rata to its load (spill likewise), so its factor is c = Σ_b PTDF[l, b] × load_b ÷ Σ_b
/// load_b. The load terms move to the right-hand side.
fn line_rows(
    grid: &Grid,
    m: &mut Model,
    layout: &mut Layout,
    output: &BTreeMap<(usize, usize), Lin>,
    monitored: &Monitored,
) {
    if monitored.is_empty() {
        return;
    }
    let intervals: std::collections::BTreeSet<usize> = monitored.iter().map(|&(t, _)| t).collect();
    // Per (interval, bus): the output terms of its units.
    let mut by_bus: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    for ((u, t), out) in output {
        if intervals.contains(t) {
            by_bus
                .entry((*t, grid.unit_bus[*u]))
                .or_default()
                .extend(out.iter().copied());
        }
    }
    let balance: HashMap<usize, (usize, usize)> = layout
        .balance
        .iter()
        .map(|&(t, short, spill)| (t, (short, spill)))
        .collect();
    for &(t, l) in monitored {
        let (Some(&(short, spill)), Some(limit)) = (balance.get(&t), grid.limits[l]) else {
            continue;
        };
        let loads = grid.loads.of_interval(t);
        let total: f64 = loads.iter().map(|&(_, mw)| f(mw)).sum();
        let shifted: f64 = loads
            .iter()
            .map(|&(b, mw)| grid.ptdf.get(l, b as usize) * f(mw))
            .sum();
        let mut terms = Lin::new();
        for ((_, bus), out) in by_bus.range((t, 0)..(t + 1, 0)) {
            let k = grid.ptdf.get(l, *bus);
            if k != 0.0 {
                terms.extend(out.iter().map(|&(j, a)| (j, a * k)));
            }
        }
        if total > 0.0 && shifted != 0.0 {
            let c = shifted / total;
            terms.push((short, c));
            terms.push((spill, -c));
        }
        let le = m.row(terms.clone(), Sense::Le, limit + shifted);
        let ge = m.row(terms, Sense::Ge, -limit + shifted);
        layout.lines.push((t, l, le, ge));
    }
}

/// Every line's flow per interval of a day's balance, MW (`layout.balance` order), from a
/// dispatch `values`: PTDF × the net injection at each bus (see [`line_rows`]).
fn flows(grid: &Grid, p: &Problem, layout: &Layout, values: &[f64]) -> Vec<Vec<f64>> {
    let buses = grid.ptdf.buses();
    let index: HashMap<usize, usize> = layout
        .balance
        .iter()
        .enumerate()
        .map(|(i, &(t, _, _))| (t, i))
        .collect();
    let mut injection: Vec<ndarray::Array1<f64>> = layout
        .balance
        .iter()
        .map(|&(t, short, spill)| {
            let loads = grid.loads.dense(t, buses);
            let total: f64 = loads.iter().sum();
            let served = if total > 0.0 {
                (values[short] - values[spill]) / total
            } else {
                0.0
            };
            loads.iter().map(|&l| l * served - l).collect()
        })
        .collect();
    for &(k, x) in &layout.energy {
        let e = &p.energy[k];
        if let Some(&i) = index.get(&e.interval) {
            injection[i][grid.unit_bus[e.unit]] += values[x];
        }
    }
    for &(u, t, c, d, _) in &layout.storage {
        if let Some(&i) = index.get(&t) {
            injection[i][grid.unit_bus[u]] += values[d] - values[c];
        }
    }
    injection
        .iter()
        .map(|inj| grid.ptdf.flows(inj.view()).to_vec())
        .collect()
}

/// The (interval, line) limits `values` break by more than a millionth (of the limit, or of a
/// MW for small limits), not yet in `monitored`.
fn violated(
    grid: &Grid,
    p: &Problem,
    layout: &Layout,
    values: &[f64],
    monitored: &Monitored,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, flow) in flows(grid, p, layout, values).iter().enumerate() {
        let t = layout.balance[i].0;
        for (l, &mw) in flow.iter().enumerate() {
            if let Some(limit) = grid.limits[l]
                && mw.abs() > limit + 1e-6 * limit.max(1.0)
                && !monitored.contains(&(t, l))
            {
                out.push((t, l));
            }
        }
    }
    out
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
    fn run(&self, m: &Model) -> Result<Solved, String> {
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
type Solved = (Vec<f64>, Vec<f64>);

/// A day solved: tie-broken quantities, and the prices read from the shifted twin.
struct Day {
    /// The dispatch published (tie-broken, segments filled in order).
    values: Vec<f64>,
    /// The shifted twin's dispatch, tie-broken the same way (what the prices are read at).
    shifted_values: Vec<f64>,
    /// Per priced row (`Layout::priced`), the price in its product's own unit, before `snap`.
    prices: Vec<f64>,
    /// Every row's dual in the shifted twin after the dual tie-break (line rows included:
    /// nodal prices read them), in 元 per hour.
    all_duals: Vec<f64>,
}

/// The price model: `m` with every requirement and load (the priced rows) lowered by `EPS`,
/// as `build` with `shift = EPS` makes it (see the module doc).
fn shifted(m: &Model, layout: &Layout) -> Model {
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
    fn solve_day(
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

impl Engine for Lp {
    /// The same for every backend: they give the same results (see the module doc).
    fn name(&self) -> &'static str {
        "lp"
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
            zones: vec![ZoneResult::default(); p.zones.auctions.len()],
            ..Solution::default()
        };
        let mut soc: HashMap<usize, Decimal> = HashMap::new();
        for day in &p.days {
            // Line limits are added in rounds (see `violated`): solve the day and its shifted
            // twin with the lines monitored so far, add those either dispatch breaks, again
            // until none is broken. A copper plate takes one round.
            let mut monitored = Monitored::new();
            let mut rounds = 0;
            let (layout, mut solved) = loop {
                let (model, layout) = build(p, day.clone(), &soc, 0.0, &monitored);
                if model.vars.is_empty() {
                    // Nothing to clear this day (no offers, no load): Clarabel panics on a
                    // model without variables, and there is nothing to read back.
                    break (layout, None);
                }
                rounds += 1;
                let solved = self.solve_day(p, &model, &layout, &mut sol.notes, day.start)?;
                let broken: Monitored = match &p.grid {
                    Some(grid) => violated(grid, p, &layout, &solved.values, &monitored)
                        .into_iter()
                        .chain(violated(
                            grid,
                            p,
                            &layout,
                            &solved.shifted_values,
                            &monitored,
                        ))
                        .collect(),
                    None => Monitored::new(),
                };
                if broken.is_empty() {
                    break (layout, Some(solved));
                }
                monitored.extend(broken);
            };
            let Some(solved) = solved.as_mut() else {
                continue;
            };
            if p.grid.is_some() {
                sol.rounds_per_day.push(rounds);
            }
            snap(p, &layout, &solved.shifted_values, &mut solved.prices);
            sol.objective += read_day(
                p,
                &layout,
                &solved.values,
                &solved.prices,
                &mut sol,
                &mut soc,
            );
            if let Some(grid) = &p.grid {
                let lambda = &solved.prices[layout.auctions.len()..];
                read_network(
                    p,
                    grid,
                    &layout,
                    &solved.values,
                    &layout,
                    lambda,
                    &solved.all_duals,
                    &mut sol,
                );
            }
        }
        Ok(sol)
    }
}

/// Whether zonal minimum `z` holds with equality in the price solve (its requirement lowered
/// by `EPS`): only then can its dual be non-zero. `bids` and `short` are its variables.
fn zone_tight(p: &Problem, z: usize, bids: &[usize], short: usize, shifted: &[f64]) -> bool {
    let held: f64 = bids.iter().map(|&x| shifted[x]).sum::<f64>() + shifted[short];
    held - (f(p.zones.auctions[z].requirement_mw) - EPS) <= EPS / 2.0
}

/// A day's nodal prices and line flows. The price at bus b is the change in the objective per
/// MW more load at b: it enters the balance (dual λ, the energy price after `snap`) and
/// each monitored line's two rows with factor PTDF[l, b] (duals μ≤ ≤ 0, μ≥ ≥ 0), so
/// price_b = λ + Σ_l PTDF[l, b] × (μ≤ + μ≥); the reference bus's PTDF column is 0, so its
/// price is λ. Flows are those of the dispatch; a line's shadow price is what one more MW of
/// its limit saves, μ≥ − μ≤ (limit enters the ≤ row as +limit, the ≥ row as −limit).
#[allow(clippy::too_many_arguments)]
fn read_network(
    p: &Problem,
    grid: &Grid,
    layout: &Layout,
    values: &[f64],
    shifted: &Layout,
    lambda: &[f64],
    duals: &[f64],
    sol: &mut Solution,
) {
    let cap = p.energy_cap;
    let buses = grid.ptdf.buses();
    let mut mu: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for &(t, l, le, ge) in &shifted.lines {
        *mu.entry((t, l)).or_default() += duals[le] + duals[ge];
    }
    let mut shadow: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for &(t, l, le, ge) in &shifted.lines {
        *shadow.entry((t, l)).or_default() += duals[ge] - duals[le];
    }
    for (i, &(t, _, _)) in shifted.balance.iter().enumerate() {
        let energy = price(lambda[i]).clamp(-cap, cap);
        for b in 0..buses {
            let congestion: f64 = mu
                .range((t, 0)..(t + 1, 0))
                .map(|(&(_, l), &m)| grid.ptdf.get(l, b) * m)
                .sum();
            let at_bus = if b == grid.ptdf.reference() {
                energy
            } else {
                price(lambda[i] + congestion).clamp(-cap, cap)
            };
            sol.nodal.push(NodalPrice {
                interval: t,
                bus: b,
                price: at_bus,
                energy,
            });
        }
    }
    for (i, flow) in flows(grid, p, layout, values).into_iter().enumerate() {
        let t = layout.balance[i].0;
        for (l, mw) in flow.into_iter().enumerate() {
            let s = shadow.get(&(t, l)).copied().unwrap_or(0.0);
            sol.flows.push(LineFlow {
                interval: t,
                line: l,
                flow_mw: round2(mw, 6, 3).normalize(),
                shadow_price: price(s).max(Decimal::ZERO),
            });
        }
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
    // The zonal minimums that bind in the price solve, by (auction position, zone): a bid in
    // such a zone has reduced cost key − system dual − zone dual, so it pins the zone's price,
    // not the system's.
    let first_zone = layout.auctions.len() + layout.balance.len();
    let tight: BTreeMap<(usize, usize), usize> = layout
        .zones
        .iter()
        .enumerate()
        .filter(|(_, (z, _, bids, short))| zone_tight(p, *z, bids, *short, values))
        .map(|(i, &(z, a, _, _))| ((a, p.zones.auctions[z].zone), i))
        .collect();
    let zone_of = |u: usize| p.zones.unit_zone.get(u).copied();
    // A bid strictly inside its bounds on a unit with room, among those `keep` lets through.
    let interior = |i: usize, keep: &dyn Fn(usize) -> bool| -> Option<f64> {
        let (k, bids, _) = &layout.auctions[i];
        let a = &p.auctions[*k];
        // An interior point spreads the shift over tied bids: each is EPS / n inside.
        let tol = EPS / (2.0 * bids.len().max(1) as f64);
        bids.iter()
            .zip(&a.bids)
            .find(|(x, (u, b))| {
                let v = values[**x];
                keep(*u) && v > tol && v < f(b.mw) - tol && room(a.product, *u, a.interval) > tol
            })
            .map(|(_, (_, b))| f(b.key).min(f(a.scarcity_price)))
    };
    for (i, dual) in duals.iter_mut().enumerate().take(layout.auctions.len()) {
        let outside_tight = |u: usize| zone_of(u).is_none_or(|z| !tight.contains_key(&(i, z)));
        if let Some(key) = interior(i, &outside_tight) {
            *dual = key;
        }
    }
    for (&(i, zone), &z) in &tight {
        if let Some(key) = interior(i, &|u| zone_of(u) == Some(zone)) {
            duals[first_zone + z] = key - duals[i];
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
    // Each interval's segments, grouped once (in the problem's order within an interval).
    let mut segments: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for &(k, x) in &layout.energy {
        segments
            .entry(p.energy[k].interval)
            .or_default()
            .push((k, x));
    }
    // With a monitored line, a free segment pins the price at its own bus, which is not the
    // balance's dual: those intervals keep the dual tie-break's (exact to rounding) value.
    let congested: std::collections::BTreeSet<usize> =
        layout.lines.iter().map(|&(t, _, _, _)| t).collect();
    let n = layout.auctions.len();
    for (i, (t, _, _)) in layout.balance.iter().enumerate() {
        if congested.contains(t) {
            continue;
        }
        let segments = segments.get(t).map_or(&[][..], Vec::as_slice);
        let tol = EPS / (2.0 * segments.len().max(1) as f64);
        if let Some((k, _)) = segments.iter().find(|(k, x)| {
            let e = &p.energy[*k];
            let v = values[*x];
            v > tol && v < f(e.mw) - tol && free(e.unit, *t)
        }) {
            duals[n + i] = f(p.energy[*k].price);
        }
    }
}

/// Turns one day's solution into rounded quantities, pro-rata ties and unique prices.
fn read_day(
    p: &Problem,
    layout: &Layout,
    values: &[f64],
    duals: &[f64],
    sol: &mut Solution,
    soc: &mut HashMap<usize, Decimal>,
) -> f64 {
    // The day's objective, from the quantities as published (the same for every backend).
    let mut cost = Decimal::ZERO;
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
    // The day's energy segments per interval, in the layout's order: each interval's search
    // below looks at its own segments only (a scan of the whole day per interval grew with
    // intervals × segments).
    let mut segments: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(k, _) in &layout.energy {
        segments.entry(p.energy[k].interval).or_default().push(k);
    }
    let n_auctions = layout.auctions.len();
    for (i, &(t, short, _)) in layout.balance.iter().enumerate() {
        let at_t: &[usize] = segments.get(&t).map_or(&[], Vec::as_slice);
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
            let target = at_t
                .iter()
                .filter(|&&k| {
                    let e = &p.energy[k];
                    let d = sol.energy_dispatch[k];
                    d + residual >= Decimal::ZERO
                        && d + residual <= e.mw
                        && (d > Decimal::ZERO || residual > Decimal::ZERO)
                })
                // The dearest; at one price a segment dispatched in part (the one the fill in
                // segment order left partial), then the first in the problem's order.
                .max_by_key(|&&k| {
                    let d = sol.energy_dispatch[k];
                    let partial = d > Decimal::ZERO && d < p.energy[k].mw;
                    (p.energy[k].price, partial, std::cmp::Reverse(k))
                })
                .copied();
            if let Some(k) = target {
                sol.energy_dispatch[k] += residual;
                *output.entry((p.energy[k].unit, t)).or_default() += residual;
                got += residual;
            }
        }
        let energy_price = price(duals[n_auctions + i]).clamp(-p.energy_cap, p.energy_cap);
        // Marginal: units with a dispatched segment at the price, else the dearest dispatched.
        let dispatched_at = |price: Decimal| -> Vec<usize> {
            at_t.iter()
                .filter(|&&k| sol.energy_dispatch[k] > Decimal::ZERO && p.energy[k].price == price)
                .map(|&k| p.energy[k].unit)
                .collect()
        };
        let mut marginal = dispatched_at(energy_price);
        if marginal.is_empty()
            && let Some(top) = at_t
                .iter()
                .filter(|&&k| sol.energy_dispatch[k] > Decimal::ZERO)
                .map(|&k| p.energy[k].price)
                .max()
        {
            marginal = dispatched_at(top);
        }
        marginal.sort_unstable();
        marginal.dedup();
        let spill = (got + shortfall - load).max(Decimal::ZERO);
        cost += (shortfall + spill) * p.energy_cap;
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
        // Groups by (key, tier), cheapest first; where the auction has zonal minimums, by
        // (key, tier, zone) for the zones with one, so that a pro-rata split never moves MW
        // out of a zone its minimum holds them in.
        let zoned: Vec<usize> = layout
            .zones
            .iter()
            .filter(|z| z.1 == i)
            .map(|z| p.zones.auctions[z.0].zone)
            .collect();
        let mut groups: BTreeMap<(Decimal, u32, usize), Vec<usize>> = BTreeMap::new();
        for (j, (u, b)) in a.bids.iter().enumerate() {
            let zone = p
                .zones
                .unit_zone
                .get(*u)
                .copied()
                .filter(|z| zoned.contains(z))
                .unwrap_or(usize::MAX);
            groups.entry((b.key, b.tier, zone)).or_default().push(j);
        }
        let mut totals: Vec<((Decimal, u32, usize), Decimal)> = groups
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
        let dual = if shortfall > Decimal::ZERO {
            a.scarcity_price
        } else {
            price(duals[i]).clamp(Decimal::ZERO, a.scarcity_price)
        };
        // Marginal: the dearest accepted (key, tier), in every zone. With zonal minimums, a
        // bid a zone's minimum holds in may rank above the system price: the system's
        // marginal group is then the dearest at or below it (none where every accepted bid
        // is held by a zone, e.g. a system-wide requirement of 0 with zonal ones).
        let accepted = |t: &&((Decimal, u32, usize), Decimal)| {
            t.1 > Decimal::ZERO && (zoned.is_empty() || t.0.0 <= dual)
        };
        let marginal = totals
            .iter()
            .rev()
            .find(accepted)
            .map(|&((key, tier, _), _)| {
                groups
                    .iter()
                    .filter(|(g, _)| (g.0, g.1) == (key, tier))
                    .flat_map(|(_, js)| js.iter().copied())
                    .filter(|&j| cleared[j] > Decimal::ZERO)
                    .collect::<Vec<usize>>()
            })
            .unwrap_or_default();
        let weight = cost_weight_decimal(p, a.product);
        cost += (a
            .bids
            .iter()
            .zip(&cleared)
            .map(|((_, b), c)| b.key * c)
            .sum::<Decimal>()
            + shortfall * shortfall_cost(a))
            * weight;
        sol.auctions[*k] = AuctionResult {
            cleared,
            total,
            shortfall,
            price: dual,
            marginal,
        };
    }
    // Zonal minimums: the zone's units' awards as published, its own shortfall, and its price
    // = the system dual + the zone row's (never below the system price), the cap where short.
    let first_zone = n_auctions + layout.balance.len();
    for (i, &(z, at, _, short)) in layout.zones.iter().enumerate() {
        let za = &p.zones.auctions[z];
        let a = &p.auctions[za.auction];
        let system = &sol.auctions[za.auction];
        let total: Decimal = a
            .bids
            .iter()
            .zip(&system.cleared)
            .filter(|((u, _), _)| p.zones.unit_zone.get(*u) == Some(&za.zone))
            .map(|(_, c)| *c)
            .sum();
        let shortfall = if values[short] < 5e-4 {
            Decimal::ZERO
        } else {
            mw(values[short]).min(za.requirement_mw)
        };
        let zone_price = if shortfall > Decimal::ZERO {
            a.scarcity_price
        } else {
            price(duals[at] + duals[first_zone + i]).clamp(system.price, a.scarcity_price)
        };
        cost += shortfall * shortfall_cost(a) * cost_weight_decimal(p, a.product);
        sol.zones[z] = ZoneResult {
            total,
            shortfall,
            price: zone_price,
        };
    }
    cost += layout
        .energy
        .iter()
        .map(|&(k, _)| sol.energy_dispatch[k] * p.energy[k].price)
        .sum::<Decimal>();
    f(cost)
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

/// Reduced costs and duals smaller than this (yuan per MW) count as zero when the optimal
/// face is read from a solver's duals: well below the 0.0001 yuan the data's prices are given
/// in, well above the solvers' accuracy on them.
const ZERO_COST: f64 = 1e-5;

/// Quantities within this (MW) of a bound count as at it when the optimal prices are read from
/// a dispatch: well below the 0.001 MW outputs show, well above the tie-break's accuracy.
const AT_BOUND: f64 = 1e-6;

/// The tie-break (see the module doc): among the optimal solutions of `m`, the one with the
/// least Σ weight × x². The optimal solutions are those complementary to the solver's duals
/// `y` (for any optimal duals, in exact arithmetic): variables with a positive (negative)
/// reduced cost sit at their lower (upper) bound, rows with a non-zero dual hold with
/// equality. What is left free is solved for with a quadratic objective alone, so the result
/// depends on the solver only through which variables and rows are fixed, never on which
/// optimal point it returned. Where it fails (numerically), the solver's point is kept and
/// a note says so.
fn tie_break(m: &Model, x: &[f64], y: &[f64], notes: &mut Vec<String>, day: usize) -> Vec<f64> {
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

fn primal_tie_break(m: &Model, x: &[f64], y: &[f64]) -> Result<Vec<f64>, String> {
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
fn dual_tie_break(m: &Model, x: &[f64]) -> Result<Vec<f64>, String> {
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
fn least_squares(
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
fn polished_qp(weights: &[f64], eq: &[(Lin, f64)], le: &[(Lin, f64)]) -> Result<Vec<f64>, String> {
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
fn clarabel_qp(
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
fn fill_segments(p: &Problem, layout: &Layout, mut values: Vec<f64>) -> Vec<f64> {
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
