//! The user-borne part of FR and reserve pay, notice 196 §五(八): "由用户侧承担的辅助服务成本，
//! 应当为电能量市场无法补偿的因提供辅助服务而未能发电带来的损失" — what users bear is the
//! energy a provider could not sell because it held capacity for the service (its lost
//! opportunity, 机会成本). The rest of the pay (the offer premium, scarcity at the cap) is
//! "其他需由经营主体承担的辅助服务费用" and falls on market generators (`allocation`).
//!
//! Our reading, per award in each interval where energy clears jointly (§六(十一)):
//!
//! - a unit's lost opportunity per MW held is `max(0, λ − c)`, where λ is the interval's energy
//!   price and c the price of the unit's cheapest energy segment not fully dispatched: the
//!   energy it would have sold with one more MW of room. It counts only where the unit's
//!   headroom binds (energy + FR + reserve = capacity): a unit with room to spare lost nothing
//!   to the service. Without an energy segment left (or without energy offers, or for storage,
//!   whose lost energy is a matter of another interval), it is 0.
//! - the part of the fee that is lost opportunity is `min(fee, loss per MW × MW × hours)`, MW
//!   the award (FR: capacity awarded; reserve: the MWh settled, actual if lower), so it never
//!   exceeds what was paid.
//!
//! Everything here reads award rows only (`awards.csv`'s columns), so the audit can apply the
//! same reading to results made elsewhere.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::outcome::{AwardRow, FeeLine};
use crate::product::Product;
use crate::scenario::Kind;
use crate::scenario::Scenario;
use crate::scenario::config::{SpotMarket, UserBorne};

/// Headroom within this much of the capacity binds (quantities are rounded to 0.001 MW).
const BINDS: Decimal = Decimal::from_parts(2, 0, 0, false, 3);

/// Whether and why the §五(八) split applies to a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Continuous spot, energy cleared jointly: each FR and reserve fee is split.
    Joint,
    /// Continuous spot but nothing clears energy (merit order): the split cannot be
    /// computed, and the whole pool is user-borne as before (with a warning).
    NoEnergy,
    /// No split: the spot market does not run continuously (nothing reaches users), or
    /// `[allocation] user_borne = "all"` keeps the earlier reading.
    Off,
}

pub fn split(scenario: &Scenario) -> Split {
    if scenario.config.spot_market != SpotMarket::Continuous
        || scenario.config.allocation.user_borne == UserBorne::All
    {
        Split::Off
    } else if scenario.energy_offers.is_empty() {
        Split::NoEnergy
    } else {
        Split::Joint
    }
}

/// What one unit did in one interval, from its award rows.
#[derive(Debug, Clone, Default)]
pub struct Position {
    pub energy_mw: Decimal,
    pub fr_mw: Decimal,
    pub reserve_mw: Decimal,
    /// The interval's energy price (the energy rows' paid price).
    pub energy_price: Option<Decimal>,
    /// The price of the cheapest energy segment not fully dispatched.
    pub next_segment_price: Option<Decimal>,
}

/// A minimal award: what `position` needs, from `AwardRow` or a row of `awards.csv`.
pub struct AwardView<'a> {
    pub interval: usize,
    pub product: &'a str,
    pub unit: &'a str,
    pub offered_mw: Decimal,
    pub cleared_mw: Decimal,
    pub offer_price: Decimal,
    pub paid_price: Decimal,
}

/// Each (interval, unit)'s position from its awards.
pub fn positions<'a>(
    awards: impl Iterator<Item = AwardView<'a>>,
) -> HashMap<(usize, &'a str), Position> {
    let mut out: HashMap<(usize, &str), Position> = HashMap::new();
    for a in awards {
        let p = out.entry((a.interval, a.unit)).or_default();
        match a.product {
            "energy" => {
                p.energy_mw += a.cleared_mw;
                p.energy_price = Some(a.paid_price);
                if a.cleared_mw < a.offered_mw {
                    p.next_segment_price = Some(
                        p.next_segment_price
                            .map_or(a.offer_price, |c| c.min(a.offer_price)),
                    );
                }
            }
            "fr" => p.fr_mw += a.cleared_mw,
            "reserve" => p.reserve_mw += a.cleared_mw,
            _ => {}
        }
    }
    out
}

/// Lost opportunity per MW per hour (元/MWh) of a unit of `capacity_mw` in `position`.
pub fn loss_per_mwh(position: &Position, capacity_mw: Decimal) -> Decimal {
    let held = position.energy_mw + position.fr_mw + position.reserve_mw;
    match (position.energy_price, position.next_segment_price) {
        (Some(price), Some(next)) if held >= capacity_mw - BINDS => {
            (price - next).max(Decimal::ZERO)
        }
        _ => Decimal::ZERO,
    }
}

/// The lost-opportunity part of one fee (元, exact), at most the fee. `award_mw` is the FR
/// capacity awarded (FR fees are per mileage, so the MW held comes from the award).
pub fn lost_part(
    product: Product,
    fee_quantity: Decimal,
    fee_amount: Decimal,
    award_mw: Decimal,
    loss_per_mwh: Decimal,
    hours: Decimal,
) -> Decimal {
    let held_mwh = match product {
        Product::Fr => award_mw * hours,
        Product::Reserve => fee_quantity,
        _ => return Decimal::ZERO,
    };
    (loss_per_mwh * held_mwh).min(fee_amount).max(Decimal::ZERO)
}

/// The lost-opportunity part of each fee line (aligned with `fees`), for a run whose split is
/// [`Split::Joint`].
pub fn lost_parts(scenario: &Scenario, awards: &[AwardRow], fees: &[FeeLine]) -> Vec<Decimal> {
    let units = &scenario.fleet.units;
    let pos = positions(awards.iter().map(|a| AwardView {
        interval: a.interval,
        product: a.product.as_str(),
        unit: units[a.unit].id.as_str(),
        offered_mw: a.offered_mw,
        cleared_mw: a.cleared_mw,
        offer_price: a.offer_price,
        paid_price: a.paid_price,
    }));
    let hours = scenario.horizon.interval_hours();
    fees.iter()
        .map(|f| {
            let u = &units[f.unit];
            if u.kind == Kind::Storage || !matches!(f.product, Product::Fr | Product::Reserve) {
                return Decimal::ZERO;
            }
            let Some(p) = pos.get(&(f.interval, u.id.as_str())) else {
                return Decimal::ZERO;
            };
            let award = match f.product {
                Product::Fr => p.fr_mw,
                _ => p.reserve_mw,
            };
            lost_part(
                f.product,
                f.quantity,
                f.amount,
                award,
                loss_per_mwh(p, u.capacity_mw),
                hours,
            )
        })
        .collect()
}
