//! Allocation (分摊), notice 196 §五(八): who pays each day's cost of each product.
//!
//! The pool of a (day, product) is its compensation less its penalty receipts (§五(九)). It is
//! charged in full, to the fen, by the largest-remainder method, so that for every day and
//! product Σ compensation + Σ penalty + Σ allocation = 0 (charges are negative).
//!
//! - Spot market not running continuously: no cost reaches users. The parties with role
//!   `generator` pay, pro rata to their on-grid energy that day, times a weight: 0 for
//!   `[allocation] exempt_kinds`, `kind_weights` by unit kind, and for FR costs
//!   `non_bidder_weight` on FR-capable units that made no FR offer that day. A metering party
//!   that is not a unit in `units.csv` has weight 1.
//! - Spot market running continuously: FR and reserve costs only. Users (role `user`, pro rata
//!   to consumption) pay `user_share` of the pool, rounded to the fen; non-market generation
//!   (role `non_market_generator`, pro rata to on-grid energy) pays the rest. Market
//!   generators pay none.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::product::Product;
use crate::rules::caps::decimal;
use crate::scenario::config::{SpotMarket, key_error};
use crate::scenario::{Kind, Metering, Role, Scenario};
use crate::settlement::money::{Yuan, split_largest_remainder};
use crate::settlement::{Item, SettlementRow};

/// Units that can regulate frequency: they have design FR parameters or measured performance.
fn fr_capable(scenario: &Scenario, unit: usize) -> bool {
    scenario.fleet.units[unit].design.is_some()
        || scenario
            .horizon
            .days()
            .iter()
            .any(|&d| scenario.performance.get(unit, d).is_some())
}

/// Units with an FR offer covering some interval of each day.
fn fr_bidders(scenario: &Scenario) -> HashSet<(usize, NaiveDate)> {
    let mut out = HashSet::new();
    for o in &scenario.fr_offers {
        for i in o.intervals.clone() {
            out.insert((o.unit, scenario.horizon.day(i)));
        }
    }
    out
}

/// A payer's weight under the non-spot rule.
fn generator_weight(
    scenario: &Scenario,
    m: &Metering,
    product: Product,
    bidders: &HashSet<(usize, NaiveDate)>,
) -> Decimal {
    let a = &scenario.config.allocation;
    let Some(unit) = scenario.fleet.get(&m.party) else {
        return m.energy_mwh;
    };
    let kind = scenario.fleet.units[unit].kind;
    if a.exempt_kinds.iter().any(|k| Kind::parse(k) == Some(kind)) {
        return Decimal::ZERO;
    }
    let mut w = m.energy_mwh
        * a.kind_weights
            .get(kind.as_str())
            .map_or(Decimal::ONE, |&v| decimal(v));
    if product == Product::Fr
        && let Some(nb) = a.non_bidder_weight
        && fr_capable(scenario, unit)
        && !bidders.contains(&(unit, m.day))
    {
        w *= decimal(nb);
    }
    w
}

/// Allocation rows for every (day, product) whose pool is not zero. Without `metering.csv`
/// nothing is allocated.
pub fn allocate(
    scenario: &Scenario,
    items: &[SettlementRow],
) -> Result<Vec<SettlementRow>, InputError> {
    let Some(metering) = &scenario.metering else {
        return Ok(Vec::new());
    };
    let mut pools: BTreeMap<(NaiveDate, Product), Yuan> = BTreeMap::new();
    for r in items {
        *pools.entry((r.day, r.product)).or_default() += r.amount;
    }
    let mut by_day: BTreeMap<NaiveDate, Vec<&Metering>> = BTreeMap::new();
    for m in metering {
        by_day.entry(m.day).or_default().push(m);
    }
    for list in by_day.values_mut() {
        list.sort_by(|a, b| a.party.cmp(&b.party));
    }
    let bidders = fr_bidders(scenario);
    let mut out = Vec::new();
    for ((day, product), pool) in pools {
        if pool == Yuan::ZERO {
            continue;
        }
        let metered = by_day.get(&day).map(Vec::as_slice).unwrap_or_default();
        match scenario.config.spot_market {
            SpotMarket::None => {
                let payers: Vec<(&Metering, Decimal)> = metered
                    .iter()
                    .filter(|m| m.role == Role::Generator)
                    .map(|m| (*m, generator_weight(scenario, m, product, &bidders)))
                    .collect();
                charge(&mut out, day, product, -pool, &payers, "generator")?;
            }
            SpotMarket::Continuous => {
                if !matches!(product, Product::Fr | Product::Reserve) {
                    continue; // §五(八): only FR and reserve pass through; energy never
                }
                let share = scenario.config.allocation.user_share.ok_or_else(|| {
                    key_error(
                        &scenario.config_text,
                        "allocation.user_share",
                        ErrorKind::Invalid,
                        format!(
                            "the spot market runs continuously, so FR and reserve costs are shared by users and non-market generation at a ratio the province sets (notice 196 §五(八)): set user_share (0–1); {day} has {} cost {pool} yuan",
                            product.as_str()
                        ),
                    )
                })?;
                let charge_total = -pool;
                let users_part = Yuan::round_to_fen(charge_total.0 * decimal(share));
                let group = |role: Role| -> Vec<(&Metering, Decimal)> {
                    metered
                        .iter()
                        .filter(|m| m.role == role)
                        .map(|m| (*m, m.energy_mwh))
                        .collect()
                };
                charge(
                    &mut out,
                    day,
                    product,
                    users_part,
                    &group(Role::User),
                    "user",
                )?;
                charge(
                    &mut out,
                    day,
                    product,
                    charge_total - users_part,
                    &group(Role::NonMarketGenerator),
                    "non_market_generator",
                )?;
            }
        }
    }
    Ok(out)
}

/// Charges `amount` (negative: a charge) to `payers` by weight, or fails naming the day.
fn charge(
    out: &mut Vec<SettlementRow>,
    day: NaiveDate,
    product: Product,
    amount: Yuan,
    payers: &[(&Metering, Decimal)],
    role: &str,
) -> Result<(), InputError> {
    if amount == Yuan::ZERO {
        return Ok(());
    }
    let weights: Vec<Decimal> = payers.iter().map(|(_, w)| *w).collect();
    if weights.iter().all(|w| *w <= Decimal::ZERO) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "metering.csv",
            format!(
                "{day} has {} cost {} yuan to allocate but no party with role {role} and energy > 0 to pay it (notice 196 §五(八)): add their metering for that day",
                product.as_str(),
                -amount
            ),
        ));
    }
    let shares = split_largest_remainder(amount, &weights).ok_or_else(|| {
        InputError::new(
            ErrorKind::Invalid,
            "metering.csv",
            format!(
                "{day}: the {} cost {} yuan is too large to split to the fen among the {role} payers (over ~7.9e26 yuan)",
                product.as_str(),
                -amount
            ),
        )
    })?;
    for ((m, _), share) in payers.iter().zip(shares) {
        out.push(SettlementRow {
            day,
            party: m.party.clone(),
            product,
            item: Item::Allocation,
            quantity: m.energy_mwh,
            quantity_unit: "MWh metered",
            amount: share,
        });
    }
    Ok(())
}
