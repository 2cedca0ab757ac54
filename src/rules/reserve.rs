//! Reserve (备用), notice 196 §四(五)–(六): single-part price on cleared capacity and time;
//! the cap at most the energy-market cap; settled on the actual where it is lower.

use rust_decimal::Decimal;

use crate::outcome::{AwardRow, FeeLine, Rejection};
use crate::product::Product;
use crate::rules::caps::Caps;
use crate::rules::market::{self, Prepared};
use crate::scenario::Scenario;

/// notice 196 §四(六): offers above the cap (itself ≤ the energy-market cap) are refused.
pub fn prepare(scenario: &Scenario, caps: &Caps) -> (Prepared, Vec<Rejection>) {
    let cap = caps.reserve_price_yuan_per_mwh;
    let (offers, mut rejected) = market::reject_above_cap(
        &scenario.reserve_offers,
        Product::Reserve,
        cap,
        &format!("the reserve price cap {cap} yuan/MWh (notice 196 四(六))"),
    );
    let (offers, small) = market::reject_below_minimum(scenario, offers, Product::Reserve);
    rejected.extend(small);
    // With no offers, a requirement still clears, short, at the cap.
    let prepared = Prepared::at_offer_prices(
        Product::Reserve,
        cap,
        offers,
        |i| scenario.requirements.by_interval[i].reserve_mw,
        scenario.horizon.intervals,
    );
    (prepared, rejected)
}

/// notice 196 §四(五): fee = price × capacity × time, on the actual where it is lower.
pub fn fees(scenario: &Scenario, awards: &[AwardRow]) -> Vec<FeeLine> {
    let hours = scenario.horizon.interval_hours();
    awards
        .iter()
        .filter(|a| a.product == Product::Reserve && a.cleared_mw > Decimal::ZERO)
        .map(|a| {
            let held = match scenario
                .actuals
                .reserve_available_mw
                .get(&(a.unit, a.interval))
            {
                Some(&actual) => actual.min(a.cleared_mw),
                None => a.cleared_mw,
            };
            FeeLine {
                interval: a.interval,
                unit: a.unit,
                product: Product::Reserve,
                quantity: held * hours,
                amount: a.paid_price * held * hours,
                unmetered: false,
                capped: false,
            }
        })
        .collect()
}
