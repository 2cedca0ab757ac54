//! notice 196 §六(十): units paid a capacity price (容量电价) must take part in the
//! ancillary-service markets ("应当参与辅助服务市场").
//!
//! The notice does not say what taking part is; this is our reading, stated once here. A unit
//! with `capacity_payment = true` takes part on a day when, in **every** interval of that day
//! where a product it is eligible for (FR, peak or reserve, by its kind as the rules admit
//! kinds: FR and reserve any kind; peak not wind or PV, hydro only where `[peak] hydro_paid`,
//! none where the spot market runs continuously) has a requirement, its admitted offers for
//! such products hold more than 0 MW and at least `[policy] participation_min_share` of its
//! capacity (default 1 %): admitted meaning not refused (eligible for the product, at or below
//! the cap). Offering only a product nobody asks for, while one it could provide is asked
//! for, is not taking part. A token offer — a few kW, one interval of the day, or only offers the rules refuse
//! — does not count. A province that asks otherwise (a share of the day) would change this one
//! function.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::product::Product;
use crate::rules::market::Prepared;
use crate::scenario::Scenario;

/// The share of its capacity the audit asks a capacity-paid unit's admitted offers to hold,
/// whatever `[policy] participation_min_share` says (the run warns with the scenario's own
/// share; the audit does not let a scenario lower the bar it is judged by): 1 %, the default.
pub const AUDIT_MIN_SHARE: Decimal = rust_decimal_macros::dec!(0.01);

/// The (unit, day) pairs where a capacity-paid unit did not take part, in unit then day order.
/// `admitted` holds each product's admitted offers (what the rules left after refusals);
/// `min_share` the share of capacity they must hold (the scenario's for the run's warnings,
/// [`AUDIT_MIN_SHARE`] for the audit).
pub fn absent(
    scenario: &Scenario,
    admitted: &[&Prepared],
    min_share: Decimal,
) -> Vec<(usize, NaiveDate)> {
    let h = &scenario.horizon;
    let required = |product: Product, i: usize| {
        let r = &scenario.requirements.by_interval[i];
        let mw = match product {
            Product::Fr => r.fr_mw,
            Product::Peak => r.peak_mw,
            Product::Reserve => r.reserve_mw,
            Product::Energy => Decimal::ZERO,
        };
        mw > Decimal::ZERO
    };
    let offered = |unit: usize| {
        scenario
            .fr_offers
            .iter()
            .chain(&scenario.peak_offers)
            .chain(&scenario.reserve_offers)
            .any(|o| o.unit == unit)
    };
    // The products a unit of `kind` may provide, as the rules admit kinds (one place each:
    // rules::peak::ineligibility; FR and reserve admit every kind).
    let eligible = |kind: crate::scenario::Kind, product: Product| match product {
        Product::Fr | Product::Reserve => true,
        Product::Peak => {
            scenario.config.spot_market != crate::scenario::config::SpotMarket::Continuous
                && crate::rules::peak::ineligibility(kind, scenario.config.peak.hydro_paid)
                    .is_none()
        }
        Product::Energy => false,
    };
    let mut out = Vec::new();
    for (unit, u) in scenario.fleet.units.iter().enumerate() {
        if !u.capacity_payment {
            continue;
        }
        // A unit with no offer at all is the audit's other 六(十) check.
        if !offered(unit) {
            continue;
        }
        let products: Vec<Product> = [Product::Fr, Product::Peak, Product::Reserve]
            .into_iter()
            .filter(|&p| eligible(u.kind, p))
            .collect();
        // Admitted MW per interval, over the products asked for in it.
        let mut held = vec![Decimal::ZERO; h.intervals];
        for p in admitted.iter().filter(|p| products.contains(&p.product)) {
            for o in p.offers.iter().filter(|o| o.unit == unit) {
                for i in o.intervals.clone().filter(|&i| i < h.intervals) {
                    if required(p.product, i) {
                        held[i] = held[i].saturating_add(o.mw);
                    }
                }
            }
        }
        let least = u.capacity_mw.saturating_mul(min_share);
        let covered = |i: usize| held[i] > Decimal::ZERO && held[i] >= least;
        let mut missed: Vec<NaiveDate> = (0..h.intervals)
            .filter(|&i| !covered(i) && products.iter().any(|&p| required(p, i)))
            .map(|i| h.day(i))
            .collect();
        missed.dedup();
        out.extend(missed.into_iter().map(|d| (unit, d)));
    }
    out
}

/// One line for a unit's absent days: the first few named, then a count.
pub fn warning(scenario: &Scenario, unit: usize, days: &[NaiveDate]) -> String {
    const NAMED: usize = 3;
    let mut named: Vec<String> = days.iter().take(NAMED).map(|d| d.to_string()).collect();
    if days.len() > NAMED {
        named.push(format!("and {} more", days.len() - NAMED));
    }
    format!(
        "unit {} is paid a capacity price but did not take part on {} day(s): {} (notice 196 §六(十); taking part = admitted offers of at least [policy] participation_min_share of its capacity in every interval where a product it is eligible for has a requirement)",
        scenario.fleet.units[unit].id,
        days.len(),
        named.join(", ")
    )
}
