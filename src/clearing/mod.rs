//! Clearing engines. They know nothing of the notice: they take auctions (a requirement, a
//! scarcity price and bids with a ranking key, per product and interval), optionally an energy
//! market and the units' physical limits, and return who is accepted for how much and at what
//! price. Caps arrive as scarcity prices; eligibility and fees are the rules' business.
//!
//! Two engines implement [`Engine`]: the merit order (exact, per product and interval, no
//! coupling) and the LP (joint clearing per day: energy, ramps, storage, headroom).
//!
//! Shared conventions, so that the engines agree where prices are not unique:
//! - the price of an auction is the ranking key of its marginal accepted bid (when the
//!   requirement is met exactly at a bid's edge, that bid's key: the left end of the dual
//!   interval), at most the scarcity price, and the scarcity price when short;
//! - bids tied on (key, tier) share pro rata to offered MW in 0.001 MW steps.

pub mod lp;
pub mod merit_order;

use std::ops::Range;

use rust_decimal::Decimal;

use crate::product::Product;
pub use merit_order::Bid;

/// One product's auction in one interval.
#[derive(Debug, Clone)]
pub struct Auction {
    pub product: Product,
    pub interval: usize,
    pub requirement_mw: Decimal,
    /// The price when the requirement is not met (the cap): the demand curve's height.
    pub scarcity_price: Decimal,
    /// `(unit, bid)`.
    pub bids: Vec<(usize, Bid)>,
}

/// One energy offer segment of a unit in one interval (joint clearing).
#[derive(Debug, Clone)]
pub struct EnergyBid {
    pub unit: usize,
    pub interval: usize,
    pub segment: u32,
    pub mw: Decimal,
    pub price: Decimal,
}

/// A storage unit's energy limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Storage {
    pub energy_capacity_mwh: Decimal,
    /// Charging efficiency: stored MWh per MWh drawn.
    pub efficiency: Decimal,
    pub initial_soc_mwh: Decimal,
}

/// What the LP needs to know of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLimits {
    pub capacity_mw: Decimal,
    pub min_output_mw: Decimal,
    pub ramp_mw_per_min: Option<Decimal>,
    pub storage: Option<Storage>,
}

/// Everything to clear.
#[derive(Debug, Clone)]
pub struct Problem {
    pub interval_minutes: u32,
    /// Intervals grouped by day: the LP solves one day at a time, in order.
    pub days: Vec<Range<usize>>,
    pub units: Vec<UnitLimits>,
    pub auctions: Vec<Auction>,
    pub energy: Vec<EnergyBid>,
    /// Per interval; `Some` where energy is cleared (a power balance).
    pub load_mw: Vec<Option<Decimal>>,
    /// Energy shortfall price (the energy-market cap).
    pub energy_cap: Decimal,
    /// FR must be deliverable within this many minutes of ramp.
    pub fr_response_minutes: Decimal,
    pub reserve_response_minutes: Decimal,
    /// FR bids are priced per MW of mileage, energy, reserve and peak per MWh: the LP weighs
    /// an FR bid's ranking price by this (expected mileage per MW per interval ÷ interval
    /// hours), so that every term of its objective is 元 per hour, and divides FR duals by it
    /// to give prices per MW of mileage again. 1 where no conversion applies.
    pub fr_cost_factor: Decimal,
    /// The transmission network where the scenario has one and energy is cleared (the LP
    /// enforces its line limits); `None`: a copper plate.
    pub grid: Option<Grid>,
    /// Zonal minimums of FR and reserve (`zone_requirements.csv`), cleared by the LP on top
    /// of the system-wide auctions; empty without them.
    pub zones: Zones,
}

/// Zonal minimums: which zone each unit is in, and a requirement per zone, product and
/// interval where the zone asks for some.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    /// The zone of each unit (its bus's), by unit index; empty where there are no zones.
    pub unit_zone: Vec<usize>,
    pub auctions: Vec<ZoneAuction>,
}

/// One zone's minimum of one product in one interval: Σ awards of its units + shortfall ≥
/// `requirement_mw`, the shortfall priced as the system-wide auction's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneAuction {
    pub zone: usize,
    /// The system-wide auction of the same product and interval (index into
    /// [`Problem::auctions`]): its bids in the zone count toward the zone's minimum.
    pub auction: usize,
    pub requirement_mw: Decimal,
}

/// One zone's result: the zone's price is at least the system's (the system dual plus the
/// zone row's), the product's cap where the zone is short.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZoneResult {
    /// Σ accepted MW of the zone's units.
    pub total: Decimal,
    pub shortfall: Decimal,
    pub price: Decimal,
}

/// What the LP needs of a network: DC power-flow factors, where each unit is, each bus's
/// load per interval and the lines' limits.
#[derive(Debug, Clone)]
pub struct Grid {
    pub ptdf: crate::network::Ptdf,
    /// The bus of each unit, by unit index.
    pub unit_bus: Vec<usize>,
    /// Per line: its limit in either direction, MW (`None`: unlimited).
    pub limits: Vec<Option<f64>>,
    /// Each bus's load per interval (`bus_loads.csv`).
    pub loads: crate::scenario::network::BusLoads,
}

/// A bus's price in one interval, 元/MWh: `price` = `energy` (the reference bus's price, the
/// balance dual) + congestion (Σ over lines of −PTDF × the line's dual).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodalPrice {
    pub interval: usize,
    pub bus: usize,
    pub price: Decimal,
    pub energy: Decimal,
    /// The bus's (or the reference bus's) shadow price lies beyond ± the energy cap, and
    /// `price` is held at the cap.
    pub at_cap: bool,
}

/// A line's flow in one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFlow {
    pub interval: usize,
    pub line: usize,
    /// MW, positive from the line's `from_bus` to its `to_bus`, from the published dispatch.
    pub flow_mw: Decimal,
    /// What one more MW of the line's limit would save, 元/MWh (≥ 0; 0 where not binding).
    pub shadow_price: Decimal,
}

/// One auction's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionResult {
    /// Accepted MW per bid, in the auction's bid order.
    pub cleared: Vec<Decimal>,
    pub total: Decimal,
    pub shortfall: Decimal,
    pub price: Decimal,
    /// Indices (into the auction's bids) of the marginal group.
    pub marginal: Vec<usize>,
}

/// Energy in one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnergyInterval {
    pub interval: usize,
    pub load_mw: Decimal,
    pub dispatched_mw: Decimal,
    pub shortfall_mw: Decimal,
    pub price: Decimal,
    pub marginal_units: Vec<usize>,
}

/// A storage unit's schedule in one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInterval {
    pub unit: usize,
    pub interval: usize,
    pub charge_mw: Decimal,
    pub discharge_mw: Decimal,
    pub soc_mwh: Decimal,
}

#[derive(Debug, Clone, Default)]
pub struct Solution {
    /// One per auction, in the problem's order.
    pub auctions: Vec<AuctionResult>,
    /// Dispatch per energy bid, in the problem's order.
    pub energy_dispatch: Vec<Decimal>,
    pub energy: Vec<EnergyInterval>,
    pub storage: Vec<StorageInterval>,
    /// The objective (offer cost plus scarcity cost), 元 per hour of intervals.
    pub objective: f64,
    /// Notes from the engine (ties it could not split pro rata, say).
    pub notes: Vec<String>,
    /// With a network: every bus's price per interval with a balance, interval-major.
    pub nodal: Vec<NodalPrice>,
    /// With a network: every line's flow per interval with a balance, interval-major.
    pub flows: Vec<LineFlow>,
    /// With a network: per day, how many times the dispatch LP was solved before no line
    /// was over its limit (1: none had to be added).
    pub rounds_per_day: Vec<usize>,
    /// With `Lp::write_lp`: every model solved, as (file name, free MPS), in solve order: per
    /// day and line-limit round, the dispatch model and its price twin.
    pub lp_models: Vec<(String, String)>,
    /// One per zonal minimum, in [`Zones::auctions`] order (LP only).
    pub zones: Vec<ZoneResult>,
}

/// A clearing engine.
pub trait Engine {
    fn name(&self) -> &'static str;
    fn solve(&self, problem: &Problem) -> Result<Solution, SolveError>;
}

/// Why an engine did not clear a problem. Neither is a fault in the scenario's files: the
/// loader and the rules refuse bad input before clearing, and with every shortfall and spill
/// priced at the caps every problem they pass has a solution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolveError {
    /// The engine does not clear this kind of problem (a setting chose the wrong engine).
    #[error("{0}")]
    Unsupported(String),
    /// The solver failed, or reported a status a feasible, bounded LP cannot have: a limit
    /// of the solver or a bug of ours.
    #[error("the {solver} solver failed on the day from interval {interval}: {status}")]
    Solver {
        /// The backend, as `--solver` names it.
        solver: &'static str,
        /// The first interval of the day it failed on.
        interval: usize,
        status: String,
    },
}

/// The merit-order engine: each auction alone, exactly.
pub struct MeritOrder;

impl Engine for MeritOrder {
    fn name(&self) -> &'static str {
        "merit_order"
    }

    fn solve(&self, problem: &Problem) -> Result<Solution, SolveError> {
        if !problem.energy.is_empty() {
            return Err(SolveError::Unsupported(
                "energy is cleared jointly only by the LP engine ([clearing] engine = \"lp\")"
                    .into(),
            ));
        }
        let mut solution = Solution::default();
        // Offers usually hold for hours: an auction with the same bids as the one before
        // reuses its sorted order.
        let mut previous: Option<(Vec<Bid>, Vec<usize>)> = None;
        for a in &problem.auctions {
            let bids: Vec<Bid> = a.bids.iter().map(|(_, b)| b.clone()).collect();
            let order = match previous.take() {
                Some((before, order)) if before == bids => order,
                _ => merit_order::merit_order(&bids),
            };
            let out = merit_order::clear_in_order(a.requirement_mw, &bids, &order);
            let price = if out.shortfall > Decimal::ZERO {
                a.scarcity_price
            } else {
                out.marginal
                    .iter()
                    .map(|&i| bids[i].key)
                    .max()
                    .map_or(Decimal::ZERO, |p| p.min(a.scarcity_price))
            };
            solution.objective += bids
                .iter()
                .zip(&out.cleared)
                .filter(|(_, c)| !c.is_zero())
                .map(|(b, c)| f64::try_from(b.key * c).unwrap_or(0.0))
                .sum::<f64>()
                + f64::try_from(out.shortfall * a.scarcity_price).unwrap_or(0.0);
            previous = Some((bids, order));
            solution.auctions.push(AuctionResult {
                cleared: out.cleared,
                total: out.total,
                shortfall: out.shortfall,
                price,
                marginal: out.marginal,
            });
        }
        Ok(solution)
    }
}
