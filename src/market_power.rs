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
//! Each zonal minimum (a `clearing.csv` row with a zone) is screened as a market of its own:
//! the zone's units' offers against the zone's minimum, so that an owner pivotal in its zone
//! (and setting the zone's price) is flagged even where it is not system-wide.
//!
//! Intervals with no requirement are not screened. The RSI is a ratio to the requirement, so a
//! tiny requirement (1e-28 MW is a valid input) can make it larger than a decimal holds: then
//! `rsi` is left empty and the owner is, exactly, not pivotal (a ratio that large is ≥ 1).

use rust_decimal::Decimal;

use crate::outcome::{AwardRow, ClearingRow};
use crate::product::Product;
use crate::scenario::Scenario;

/// One owner in one product's interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerScreen {
    pub interval: usize,
    pub product: Product,
    /// The zone whose minimum is screened; `None`: the system-wide market.
    pub zone: Option<usize>,
    pub owner: String,
    pub offered_mw: Decimal,
    pub cleared_mw: Decimal,
    /// Residual Supply Index, 4 decimals; `None` where the ratio exceeds what a decimal holds
    /// (a requirement below about 1e-19 of the offered MW).
    pub rsi: Option<Decimal>,
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

pub fn screens(
    scenario: &Scenario,
    clearing: &[ClearingRow],
    awards: &[AwardRow],
) -> Vec<OwnerScreen> {
    let units = &scenario.fleet.units;
    // Owners numbered in name order, so each market's sums sit in a plain array.
    let mut names: Vec<&str> = units.iter().map(|u| u.owner.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let owner_of: Vec<usize> = units
        .iter()
        .map(|u| {
            // Every owner is in `names` (built from the same units), so the search finds it;
            // `unwrap_or_else` keeps the index total without a panic path.
            names
                .binary_search(&u.owner.as_str())
                .unwrap_or_else(|at| at)
        })
        .collect();
    // (interval, product) → where its awards are, found by one sort of indices.
    let mut index: Vec<usize> = (0..awards.len())
        .filter(|&k| awards[k].product != Product::Energy)
        .collect();
    index.sort_by_key(|&k| (awards[k].interval, awards[k].product));
    let mut groups: std::collections::HashMap<(usize, Product), std::ops::Range<usize>> =
        std::collections::HashMap::new();
    let mut start = 0;
    while start < index.len() {
        let key = (awards[index[start]].interval, awards[index[start]].product);
        let mut end = start;
        while end < index.len() && (awards[index[end]].interval, awards[index[end]].product) == key
        {
            end += 1;
        }
        groups.insert(key, start..end);
        start = end;
    }
    let mut sums: Vec<(Decimal, Decimal)> = vec![(Decimal::ZERO, Decimal::ZERO); names.len()];
    let mut present: Vec<bool> = vec![false; names.len()];
    let mut out = Vec::new();
    // The zone of each unit, where the scenario has a network.
    let zone_of = |unit: usize| scenario.network.as_ref().map(|n| n.unit_zone(unit));
    for row in clearing
        .iter()
        .filter(|r| r.product != Product::Energy && r.requirement_mw > Decimal::ZERO)
    {
        let Some(range) = groups.get(&(row.interval, row.product)) else {
            continue;
        };
        sums.fill((Decimal::ZERO, Decimal::ZERO));
        present.fill(false);
        for &k in &index[range.clone()] {
            // A zone's market holds its own units' offers only.
            if row.zone.is_some() && zone_of(awards[k].unit) != row.zone {
                continue;
            }
            let o = owner_of[awards[k].unit];
            present[o] = true;
            sums[o].0 += awards[k].offered_mw;
            sums[o].1 += awards[k].cleared_mw;
        }
        // owner name → (offered, cleared), in name order.
        let owners: Vec<(&str, (Decimal, Decimal))> = (0..names.len())
            .filter(|&o| present[o])
            .map(|o| (names[o], sums[o]))
            .collect();
        let total: Decimal = owners.iter().map(|(_, v)| v.0).sum();
        let cleared_total: Decimal = owners.iter().map(|(_, v)| v.1).sum();
        let hhi: Decimal = if cleared_total.is_zero() {
            Decimal::ZERO
        } else {
            owners
                .iter()
                .map(|(_, v)| {
                    let share = Decimal::ONE_HUNDRED * v.1 / cleared_total;
                    share * share
                })
                .sum::<Decimal>()
                .round_dp(2)
        };
        // Owners by offered MW, largest first (name breaks ties).
        let mut ranked: Vec<(&str, Decimal)> = owners.iter().map(|(o, v)| (*o, v.0)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let price_setters: Vec<&str> = row
            .marginal_units
            .iter()
            .map(|&u| units[u].owner.as_str())
            .collect();
        for (name, (offered, cleared)) in owners {
            // checked: a requirement of 1e-28 MW makes the ratio overflow; it is then far
            // above 1, so the owner is not pivotal.
            let rsi = (total - offered)
                .checked_div(row.requirement_mw)
                .map(|r| r.round_dp(4));
            let two_largest: Decimal = ranked
                .iter()
                .filter(|(o, _)| *o != name)
                .take(2)
                .map(|(_, mw)| *mw)
                .sum();
            let rest = total - offered - two_largest;
            out.push(OwnerScreen {
                interval: row.interval,
                product: row.product,
                zone: row.zone,
                owner: name.to_string(),
                offered_mw: offered,
                cleared_mw: cleared,
                rsi,
                pivotal: rsi.is_some_and(|r| r < Decimal::ONE),
                three_pivotal_fail: rest < row.requirement_mw,
                hhi,
                sets_price: price_setters.contains(&name),
            });
        }
    }
    out
}
