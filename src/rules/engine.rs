//! Which engine clears a scenario, and the problem it is given: the scenario's auctions plus,
//! for the LP, energy offers, loads and the units' physical limits.

use rust_decimal::Decimal;

use crate::clearing::{Engine, MeritOrder, Problem, UnitLimits};
use crate::error::InputError;
use crate::rules::caps::Caps;
use crate::rules::market::{self, Prepared};
use crate::scenario::Scenario;

/// The engine `[clearing]` asks for.
pub fn choose(scenario: &Scenario) -> Result<Box<dyn Engine>, InputError> {
    let _ = scenario;
    Ok(Box::new(MeritOrder))
}

/// The problem for the engine.
pub fn problem(scenario: &Scenario, prepared: &[Prepared], id_rank: &[usize], caps: &Caps) -> Problem {
    let h = &scenario.horizon;
    let mut days = Vec::new();
    let mut start = 0;
    for i in 1..=h.intervals {
        if i == h.intervals || h.day(i) != h.day(start) {
            days.push(start..i);
            start = i;
        }
    }
    Problem {
        interval_minutes: h.interval_minutes,
        days,
        units: scenario
            .fleet
            .units
            .iter()
            .map(|u| UnitLimits {
                capacity_mw: u.capacity_mw,
                min_output_mw: u.min_output_mw,
                ramp_mw_per_min: u.ramp_mw_per_min,
                storage: None,
            })
            .collect(),
        auctions: market::auctions(prepared, id_rank),
        energy: Vec::new(),
        load_mw: vec![None; h.intervals],
        energy_cap: caps.energy_market_price_cap_yuan_per_mwh,
        fr_response_minutes: Decimal::from(5),
        reserve_response_minutes: Decimal::from(10),
    }
}
