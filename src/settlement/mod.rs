//! Settlement: exact fees become money on the statement. Compensation (补偿), penalty (考核)
//! and allocation (分摊) are computed apart and itemised apart (notice 196 §五(九)); each is
//! rounded once per (day, party, product) to the fen, and allocation charges each day's pool
//! exactly.

pub mod allocation;
pub mod money;
pub mod penalty;
pub mod statement;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::InputError;
use crate::outcome::{AwardRow, FeeLine};
use crate::product::Product;
use crate::scenario::Scenario;
use money::Yuan;

/// The settlement items of notice 196 §五(九), kept apart on every statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// 补偿 — paid to the provider.
    Compensation,
    /// 分摊 — charged to the payers.
    Allocation,
    /// 考核 — charged to a provider that fell short.
    Penalty,
}

impl Item {
    pub fn as_str(self) -> &'static str {
        match self {
            Item::Compensation => "compensation",
            Item::Allocation => "allocation",
            Item::Penalty => "penalty",
        }
    }
}

/// A row of `settlement.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    pub day: NaiveDate,
    pub party: String,
    pub product: Product,
    pub item: Item,
    pub quantity: Decimal,
    pub quantity_unit: &'static str,
    /// Paid to the party positive, charged negative.
    pub amount: Yuan,
    /// Allocation rows: the role the party pays in (a party may meter as generator and as
    /// user on one day, §六(十)); `None` for compensation and penalties.
    pub role: Option<crate::scenario::Role>,
    /// Where the §五(八) split applies (continuous spot, joint clearing): the part of `amount`
    /// that is lost energy opportunity, borne by users and non-market generation; the rest is
    /// other cost. `None` where no split is made.
    pub lost_opportunity: Option<Yuan>,
    /// FR compensation: some interval of the day was awarded with no mileage metered (paid 0
    /// there; the basis column says `…+no-mileage-metered`).
    pub no_mileage_metered: bool,
    /// FR compensation: some interval of the day was paid on mileage capped at what the unit
    /// and its award can move (the basis column says `…+mileage-capped`).
    pub mileage_capped: bool,
}

/// Sums exact fee lines per (day, unit, product) and rounds each sum once to the fen; with
/// `lost` (each fee line's lost-opportunity part, §五(八)), that part is summed and rounded
/// the same way (rounding is monotone, so it never exceeds the amount).
pub fn compensation(
    scenario: &Scenario,
    fees: &[FeeLine],
    lost: Option<&[Decimal]>,
) -> Vec<SettlementRow> {
    // Summed by unit index (fee lines are many), then ordered by the unit's id.
    type Sums = (Decimal, Decimal, Decimal, bool, bool);
    let mut by_unit: std::collections::HashMap<(NaiveDate, usize, Product), Sums> =
        std::collections::HashMap::new();
    for (i, f) in fees.iter().enumerate() {
        let e = by_unit
            .entry((scenario.horizon.day(f.interval), f.unit, f.product))
            .or_default();
        e.0 += f.quantity;
        e.1 += f.amount;
        e.2 += lost.map_or(Decimal::ZERO, |l| l[i]);
        e.3 |= f.unmetered;
        e.4 |= f.capped;
    }
    let sums: BTreeMap<(NaiveDate, &str, Product), Sums> = by_unit
        .into_iter()
        .map(|((day, unit, product), v)| {
            ((day, scenario.fleet.units[unit].id.as_str(), product), v)
        })
        .collect();
    sums.into_iter()
        .map(
            |((day, party, product), (quantity, amount, lost_sum, unmetered, capped))| {
                SettlementRow {
                    day,
                    party: party.to_string(),
                    product,
                    item: Item::Compensation,
                    quantity,
                    quantity_unit: product.quantity_unit(),
                    amount: Yuan::round_to_fen(amount),
                    role: None,
                    lost_opportunity: (lost.is_some()
                        && matches!(product, Product::Fr | Product::Reserve))
                    .then(|| Yuan::round_to_fen(lost_sum)),
                    no_mileage_metered: unmetered,
                    mileage_capped: capped,
                }
            },
        )
        .collect()
}

/// Every settlement row of a run: compensation, penalties, then allocation of what is left, in
/// (day, party, product, item) order.
pub fn settle(
    scenario: &Scenario,
    fees: &[FeeLine],
    awards: &[AwardRow],
) -> Result<Vec<SettlementRow>, InputError> {
    let lost = (crate::rules::opportunity::split(scenario)
        == crate::rules::opportunity::Split::Joint)
        .then(|| crate::rules::opportunity::lost_parts(scenario, awards, fees));
    let mut rows = compensation(scenario, fees, lost.as_deref());
    rows.extend(penalty::penalties(scenario, awards));
    let allocation = allocation::allocate(scenario, &rows, awards)?;
    rows.extend(allocation);
    rows.sort_by(|a, b| {
        (a.day, &a.party, a.product, a.item, a.role)
            .cmp(&(b.day, &b.party, b.product, b.item, b.role))
    });
    Ok(rows)
}
