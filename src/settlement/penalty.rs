//! Penalties (考核). Notice 196 §五(九) asks only that they be computed apart from compensation
//! and shown apart; the rule itself (a multiple × price × the MWh short) is ours, the
//! scenario's to set (`[penalty]`), and by default there are none.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::outcome::AwardRow;
use crate::product::Product;
use crate::rules::caps::decimal;
use crate::scenario::Scenario;
use crate::settlement::money::Yuan;
use crate::settlement::{Item, SettlementRow};

/// Penalty rows: multiple × paid price × MWh short, per (day, unit, product), rounded once to
/// the fen and charged (negative).
///
/// - reserve: MWh short = (award − `reserve_available_mw`) × hours where available < award;
/// - peak: MWh short = (award − `peak_delivered_mw`) × hours where delivered < award, filled
///   counted in the deepest bands, since delivery fills the shallow bands first (as in
///   `rules::peak`).
pub fn penalties(scenario: &Scenario, awards: &[AwardRow]) -> Vec<SettlementRow> {
    let cfg = &scenario.config.penalty;
    let hours = scenario.horizon.interval_hours();
    let multiple = |p: Product| match p {
        Product::Reserve => decimal(cfg.reserve_unavailable_multiple),
        Product::Peak => decimal(cfg.peak_undelivered_multiple),
        _ => Decimal::ZERO,
    };
    let mut sums: BTreeMap<(NaiveDate, &str, Product), (Decimal, Decimal)> = BTreeMap::new();
    // Delivered or available MW per (unit, interval, product), consumed band by band.
    let mut left: BTreeMap<(usize, usize, Product), Decimal> = BTreeMap::new();
    for a in awards.iter().filter(|a| a.cleared_mw > Decimal::ZERO) {
        let m = multiple(a.product);
        if m.is_zero() {
            continue;
        }
        let actual = match a.product {
            Product::Reserve => scenario
                .actuals
                .reserve_available_mw
                .get(&(a.unit, a.interval)),
            Product::Peak => scenario
                .actuals
                .peak_delivered_mw
                .get(&(a.unit, a.interval)),
            _ => None,
        };
        let Some(&actual) = actual else { continue };
        let remaining = left
            .entry((a.unit, a.interval, a.product))
            .or_insert(actual);
        let held = a.cleared_mw.min(*remaining);
        *remaining -= held;
        let short = a.cleared_mw - held;
        if short.is_zero() {
            continue;
        }
        let key = (
            scenario.horizon.day(a.interval),
            scenario.fleet.units[a.unit].id.as_str(),
            a.product,
        );
        let e = sums.entry(key).or_default();
        e.0 += short * hours;
        e.1 += m * a.paid_price * short * hours;
    }
    sums.into_iter()
        .map(|((day, party, product), (mwh, amount))| SettlementRow {
            day,
            party: party.to_string(),
            product,
            item: Item::Penalty,
            quantity: mwh,
            quantity_unit: "MWh short",
            amount: -Yuan::round_to_fen(amount),
            role: None,
            lost_opportunity: None,
            no_mileage_metered: false,
            mileage_capped: false,
        })
        .collect()
}
