//! Reserve (备用), notice 196 §四(五)–(六): single-part price on cleared capacity and time;
//! the cap at most the energy-market cap; settled on the actual where it is lower.

use rust_decimal::Decimal;

use crate::outcome::{FeeLine, ProductOutcome};
use crate::product::Product;
use crate::rules::caps::Caps;
use crate::rules::market;
use crate::scenario::Scenario;

pub fn run(scenario: &Scenario, caps: &Caps, id_rank: &[usize]) -> ProductOutcome {
    let mut out = ProductOutcome::default();
    if scenario.reserve_offers.is_empty() {
        return out;
    }
    let cap = caps.reserve_price_yuan_per_mwh;
    // notice 196 §四(六): offers above the cap (itself ≤ the energy-market cap) are refused.
    let (offers, rejected) = market::reject_above_cap(
        &scenario.reserve_offers,
        Product::Reserve,
        cap,
        &format!("the reserve price cap {cap} yuan/MWh (notice 196 四(六))"),
    );
    out.rejected = rejected;
    let h = &scenario.horizon;
    let (clearing, awards) = market::clear_at_offer_prices(
        Product::Reserve,
        &offers,
        |i| scenario.requirements.by_interval[i].reserve_mw,
        h.intervals,
        cap,
        id_rank,
    );
    let hours = h.interval_hours();
    for a in awards.iter().filter(|a| a.cleared_mw > Decimal::ZERO) {
        // notice 196 §四(五): fee = price × capacity × time, on the actual where it is lower.
        let held = match scenario
            .actuals
            .reserve_available_mw
            .get(&(a.unit, a.interval))
        {
            Some(&actual) => actual.min(a.cleared_mw),
            None => a.cleared_mw,
        };
        out.fees.push(FeeLine {
            interval: a.interval,
            unit: a.unit,
            product: Product::Reserve,
            quantity: held * hours,
            amount: a.paid_price * held * hours,
        });
    }
    out.clearing = clearing;
    out.awards = awards;
    out
}
