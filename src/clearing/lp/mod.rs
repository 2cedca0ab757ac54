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
//!   shortfall and spill both cost the energy cap, so prices stay within ± the cap; with a
//!   network, one short variable per bus with load and one spill per bus with output, see
//!   [`model::Balance`]);
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
//! a solve without them breaks the limit (the rounds in `Engine::solve`); the 0.01 MW shift of the
//! price solve lowers the load at the reference bus, so line rows do not move. Line rows go
//! through the same tie-breaks as every other row. A bus's price is λ + Σ PTDF × (line
//! duals) (`read_network`); `snap` leaves the energy price of an interval with a monitored
//! line to the dual tie-break, since a free segment there pins its own bus's price, not λ.
//!
//! # Where each part lives
//!
//! - `model`: the model as plain data (variables, rows, the day's layout);
//! - `build`: one day's model (requirements, balance, storage, zonal minimums, unit limits);
//! - `network`: line rows, flows, broken limits, nodal prices;
//! - `solve`: the day's solve and its price twin (`highs_twin`: the twin from HiGHS's basis);
//! - `ties`: the tie-breaks that make every backend's point the same;
//! - `read`: prices pinned by optimality (`snap`), rounded quantities and prices;
//! - here: the engine's loop over days and line-limit rounds.

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
    SolveError, StorageInterval, ZoneResult, merit_order::share,
};
use crate::product::Product;

mod build;
#[cfg(feature = "highs")]
mod highs_twin;
mod model;
mod network;
mod read;
mod solve;
mod ties;

use build::build;
use model::{Balance, Layout, Lin, Model, Monitored, Sense};
use network::{line_rows, read_network, violated};
use read::{read_day, snap, zone_tight};
use solve::shifted;
use ties::{dual_tie_break, fill_segments, tie_break};

/// Which LP solver good_lp drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Interior point, pure Rust: builds anywhere.
    Clarabel,
    /// Simplex, C++ (feature `highs`).
    #[cfg(feature = "highs")]
    Highs,
}

impl Backend {
    /// The name `--solver` and `[clearing] solver` give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            #[cfg(feature = "highs")]
            Backend::Highs => "highs",
        }
    }
}

pub struct Lp {
    pub backend: Backend,
    /// Keep each solve as MPS text (`run --write-lp`), named by this map from a day's first
    /// interval to its date (`Solution::lp_models`); `None`: keep nothing.
    pub write_lp: Option<BTreeMap<usize, String>>,
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

impl Engine for Lp {
    /// The same for every backend: they give the same results (see the module doc).
    fn name(&self) -> &'static str {
        "lp"
    }

    fn solve(&self, p: &Problem) -> Result<Solution, SolveError> {
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
                if let Some(names) = &self.write_lp {
                    let day_name = names
                        .get(&day.start)
                        .cloned()
                        .unwrap_or_else(|| format!("interval-{}", day.start));
                    let name = format!("{day_name}-round-{rounds}");
                    let twin = shifted(&model, &layout);
                    sol.lp_models
                        .push((format!("{name}.mps"), model.to_mps(&name)));
                    let price = format!("{name}-price");
                    sol.lp_models
                        .push((format!("{price}.mps"), twin.to_mps(&price)));
                }
                let solved = self
                    .solve_day(p, &model, &layout, &mut sol.notes, day.start)
                    .map_err(|status| SolveError::Solver {
                        solver: self.backend.as_str(),
                        interval: day.start,
                        status,
                    })?;
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
