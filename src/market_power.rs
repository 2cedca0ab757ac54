//! Market-power screens per product and interval, by owner (in `market_power.csv` and the
//! report):
//!
//! - Residual Supply Index: RSI = (total eligible offered MW − the owner's offered MW) /
//!   requirement; the owner is pivotal when RSI < 1 (the requirement cannot be met without it);
//! - the three-pivotal-supplier test, as US regulation markets apply it: each owner together
//!   with the two largest other owners; the owner fails when the rest cannot meet the
//!   requirement ((total − the three) / requirement < 1);
//! - HHI of cleared MW: Σ (100 × owner's share of cleared MW)², 0–10,000;
//! - whether a pivotal (or failing) owner's offer set the price.
//!
//! Intervals with no requirement are not screened.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::outcome::{AwardRow, ClearingRow};
use crate::product::Product;
use crate::scenario::Scenario;

/// One owner in one product's interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerScreen {
    pub interval: usize,
    pub product: Product,
    pub owner: String,
    pub offered_mw: Decimal,
    pub cleared_mw: Decimal,
    /// Residual Supply Index, 4 decimals.
    pub rsi: Decimal,
    pub pivotal: bool,
    pub three_pivotal_fail: bool,
    /// The interval's HHI of cleared MW (the same on every owner's row).
    pub hhi: Decimal,
    /// One of the owner's units is marginal: its offer set the price.
    pub sets_price: bool,
}

impl OwnerScreen {
    /// The flag a regulator looks at: an owner who could set the price alone did.
    pub fn pivotal_sets_price(&self) -> bool {
        self.sets_price && (self.pivotal || self.three_pivotal_fail)
    }
}

/// Offered and cleared MW by owner.
type ByOwner<'a> = BTreeMap<&'a str, (Decimal, Decimal)>;

pub fn screens(
    scenario: &Scenario,
    clearing: &[ClearingRow],
    awards: &[AwardRow],
) -> Vec<OwnerScreen> {
    let owner = |u: usize| scenario.fleet.units[u].owner.as_str();
    // (interval, product) → owner → (offered, cleared)
    let mut by_market: BTreeMap<(usize, Product), ByOwner> = BTreeMap::new();
    for a in awards.iter().filter(|a| a.product != Product::Energy) {
        let e = by_market
            .entry((a.interval, a.product))
            .or_default()
            .entry(owner(a.unit))
            .or_default();
        e.0 += a.offered_mw;
        e.1 += a.cleared_mw;
    }
    let mut out = Vec::new();
    for row in clearing
        .iter()
        .filter(|r| r.product != Product::Energy && r.requirement_mw > Decimal::ZERO)
    {
        let Some(owners) = by_market.get(&(row.interval, row.product)) else {
            continue;
        };
        let total: Decimal = owners.values().map(|v| v.0).sum();
        let cleared_total: Decimal = owners.values().map(|v| v.1).sum();
        let hhi: Decimal = if cleared_total.is_zero() {
            Decimal::ZERO
        } else {
            owners
                .values()
                .map(|v| {
                    let share = Decimal::ONE_HUNDRED * v.1 / cleared_total;
                    share * share
                })
                .sum::<Decimal>()
                .round_dp(2)
        };
        // Owners by offered MW, largest first (name breaks ties).
        let mut ranked: Vec<(&str, Decimal)> = owners.iter().map(|(o, v)| (*o, v.0)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let price_setters: Vec<&str> = row.marginal_units.iter().map(|&u| owner(u)).collect();
        for (name, (offered, cleared)) in owners {
            let rsi = ((total - offered) / row.requirement_mw).round_dp(4);
            let two_largest: Decimal = ranked
                .iter()
                .filter(|(o, _)| o != name)
                .take(2)
                .map(|(_, mw)| *mw)
                .sum();
            let rest = total - offered - two_largest;
            out.push(OwnerScreen {
                interval: row.interval,
                product: row.product,
                owner: name.to_string(),
                offered_mw: *offered,
                cleared_mw: *cleared,
                rsi,
                pivotal: rsi < Decimal::ONE,
                three_pivotal_fail: rest < row.requirement_mw,
                hhi,
                sets_price: price_setters.contains(name),
            });
        }
    }
    out
}
