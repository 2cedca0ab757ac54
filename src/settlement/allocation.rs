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
use crate::outcome::AwardRow;
use crate::product::Product;
use crate::rules::caps::decimal;
use crate::rules::opportunity::{self, Split};
use crate::scenario::config::{OtherCosts, SpotMarket, key_error};
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
/// nothing is allocated. `awards` give the energy cleared per unit, which pays other costs
/// on a day without `generator` metering.
pub fn allocate(
    scenario: &Scenario,
    items: &[SettlementRow],
    awards: &[AwardRow],
) -> Result<Vec<SettlementRow>, InputError> {
    let Some(metering) = &scenario.metering else {
        return Ok(Vec::new());
    };
    let split = opportunity::split(scenario) == Split::Joint;
    let mut pools: BTreeMap<(NaiveDate, Product), (Yuan, Yuan)> = BTreeMap::new();
    for r in items {
        let e = pools.entry((r.day, r.product)).or_default();
        e.0 += r.amount;
        e.1 += r.lost_opportunity.unwrap_or(Yuan::ZERO);
    }
    let mut by_day: BTreeMap<NaiveDate, Vec<&Metering>> = BTreeMap::new();
    for m in metering {
        by_day.entry(m.day).or_default().push(m);
    }
    for list in by_day.values_mut() {
        list.sort_by(|a, b| (&a.party, a.role).cmp(&(&b.party, b.role)));
    }
    let bidders = fr_bidders(scenario);
    let hours = scenario.horizon.interval_hours();
    let mut out = Vec::new();
    for ((day, product), (pool, lost_pool)) in pools {
        if pool == Yuan::ZERO {
            continue;
        }
        let metered = by_day.get(&day).map(Vec::as_slice).unwrap_or_default();
        let group = |role: Role| -> Vec<Payer> {
            metered
                .iter()
                .filter(|m| m.role == role)
                .map(|m| Payer::metered(m, m.energy_mwh))
                .collect()
        };
        match scenario.config.spot_market {
            SpotMarket::None => {
                let payers: Vec<Payer> = metered
                    .iter()
                    .filter(|m| m.role == Role::Generator)
                    .map(|m| Payer::metered(m, generator_weight(scenario, m, product, &bidders)))
                    .collect();
                charge(
                    &mut out,
                    day,
                    product,
                    -pool,
                    &payers,
                    Role::Generator,
                    None,
                )?;
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
                // §五(八): users bear the lost opportunity; penalty receipts (which lower the
                // pool) come off the other part first.
                let user_borne = if !split {
                    pool
                } else if pool >= Yuan::ZERO {
                    lost_pool.min(pool)
                } else {
                    pool
                };
                let other = pool - user_borne;
                let (to_users, to_generators) = match scenario.config.allocation.other_costs {
                    OtherCosts::MarketGenerators => (user_borne, other),
                    OtherCosts::UsersAndNonMarket => (pool, Yuan::ZERO),
                };
                let tag = |part: Yuan| split.then_some(part);
                let users_part = Yuan::round_to_fen(-to_users.0 * decimal(share));
                let non_market_part = -to_users - users_part;
                let users_lost = Yuan::round_to_fen(-user_borne.0 * decimal(share));
                charge(
                    &mut out,
                    day,
                    product,
                    users_part,
                    &group(Role::User),
                    Role::User,
                    tag(users_lost),
                )?;
                charge(
                    &mut out,
                    day,
                    product,
                    non_market_part,
                    &group(Role::NonMarketGenerator),
                    Role::NonMarketGenerator,
                    tag(-user_borne - users_lost),
                )?;
                if to_generators != Yuan::ZERO {
                    let mut payers = group(Role::Generator);
                    if payers.is_empty() {
                        // Units that meter as non-market generation are not market
                        // generators, whatever they cleared.
                        let non_market: HashSet<&str> = metered
                            .iter()
                            .filter(|m| m.role == Role::NonMarketGenerator)
                            .map(|m| m.party.as_str())
                            .collect();
                        payers = cleared_energy(scenario, awards, day, hours);
                        payers.retain(|p| !non_market.contains(p.party.as_str()));
                    }
                    charge(
                        &mut out,
                        day,
                        product,
                        -to_generators,
                        &payers,
                        Role::Generator,
                        tag(Yuan::ZERO),
                    )?;
                }
            }
        }
    }
    Ok(out)
}

/// One payer: a party, its weight, and the quantity shown on its row.
struct Payer {
    party: String,
    weight: Decimal,
    quantity: Decimal,
    quantity_unit: &'static str,
}

impl Payer {
    fn metered(m: &Metering, weight: Decimal) -> Payer {
        Payer {
            party: m.party.clone(),
            weight,
            quantity: m.energy_mwh,
            quantity_unit: "MWh metered",
        }
    }
}

/// Each unit's energy cleared on `day` (MWh), for a day without `generator` metering.
fn cleared_energy(
    scenario: &Scenario,
    awards: &[AwardRow],
    day: NaiveDate,
    hours: Decimal,
) -> Vec<Payer> {
    let mut by_unit: BTreeMap<&str, Decimal> = BTreeMap::new();
    for a in awards
        .iter()
        .filter(|a| a.product == Product::Energy && scenario.horizon.day(a.interval) == day)
    {
        *by_unit
            .entry(scenario.fleet.units[a.unit].id.as_str())
            .or_default() += a.cleared_mw * hours;
    }
    by_unit
        .into_iter()
        .filter(|(_, mwh)| *mwh > Decimal::ZERO)
        .map(|(party, mwh)| Payer {
            party: party.to_string(),
            weight: mwh,
            quantity: mwh,
            quantity_unit: "MWh cleared",
        })
        .collect()
}

/// Charges `amount` (negative: a charge) to `payers` by weight, or fails naming the day.
/// `lost` is the part of `amount` that is lost opportunity (§五(八)), split the same way.
fn charge(
    out: &mut Vec<SettlementRow>,
    day: NaiveDate,
    product: Product,
    amount: Yuan,
    payers: &[Payer],
    role: Role,
    lost: Option<Yuan>,
) -> Result<(), InputError> {
    if amount == Yuan::ZERO {
        return Ok(());
    }
    let weights: Vec<Decimal> = payers.iter().map(|p| p.weight).collect();
    if weights.iter().all(|w| *w <= Decimal::ZERO) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "metering.csv",
            format!(
                "{day} has {} cost {} yuan to allocate but no party with role {} and energy > 0 to pay it (notice 196 §五(八)): add their metering for that day",
                product.as_str(),
                -amount,
                role.as_str()
            ),
        ));
    }
    let too_large = || {
        InputError::new(
            ErrorKind::Invalid,
            "metering.csv",
            format!(
                "{day}: the {} cost {} yuan is too large to split to the fen among the {} payers (over ~7.9e26 yuan)",
                product.as_str(),
                -amount,
                role.as_str()
            ),
        )
    };
    let shares = split_largest_remainder(amount, &weights).ok_or_else(too_large)?;
    let lost_shares = match lost {
        Some(l) if l != Yuan::ZERO => {
            Some(split_largest_remainder(l, &weights).ok_or_else(too_large)?)
        }
        Some(_) => Some(vec![Yuan::ZERO; payers.len()]),
        None => None,
    };
    for (i, (p, share)) in payers.iter().zip(shares).enumerate() {
        out.push(SettlementRow {
            day,
            party: p.party.clone(),
            product,
            item: Item::Allocation,
            quantity: p.quantity,
            quantity_unit: p.quantity_unit,
            amount: share,
            role: Some(role),
            lost_opportunity: lost_shares.as_ref().map(|l| l[i]),
            no_mileage_metered: false,
            mileage_capped: false,
        });
    }
    Ok(())
}
