//! What a run produces, as plain rows: the stages after clearing read these and nothing else.

use rust_decimal::Decimal;

use crate::product::Product;

/// One product in one interval (a row of `clearing.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingRow {
    pub interval: usize,
    pub product: Product,
    pub requirement_mw: Decimal,
    pub cleared_mw: Decimal,
    pub shortfall_mw: Decimal,
    pub price: Decimal,
    /// Unit indices of the marginal group (several when tied).
    pub marginal_units: Vec<usize>,
    /// The zone (index into the network's zones) of a zonal minimum's row; `None` for the
    /// system-wide row.
    pub zone: Option<usize>,
}

/// One offer in one interval (a row of `awards.csv`); offers not accepted have cleared 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardRow {
    pub interval: usize,
    pub product: Product,
    pub unit: usize,
    /// Peak depth band; `None` for products without bands.
    pub band: Option<u32>,
    pub offered_mw: Decimal,
    pub cleared_mw: Decimal,
    pub offer_price: Decimal,
    pub ranking_price: Decimal,
    /// K (FR only).
    pub performance_factor: Option<Decimal>,
    /// The price this award is paid at (the clearing price, or its own offer under
    /// pay-as-bid).
    pub paid_price: Decimal,
}

/// An exact fee for one unit in one interval, before rounding (which happens once per day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeLine {
    pub interval: usize,
    pub unit: usize,
    pub product: Product,
    /// The settled quantity (MW mileage for FR, MWh for peak and reserve).
    pub quantity: Decimal,
    /// 元, exact.
    pub amount: Decimal,
    /// FR only: the unit was awarded FR in this interval but no mileage was metered for it (no
    /// row in `fr_mileage.csv` or `agc_setpoints.csv`): the fee is 0 for want of a meter, not
    /// for want of movement, and says so (warning, settlement basis, audit unverified).
    pub unmetered: bool,
    /// FR only: the mileage was above what the unit and its award can move in the interval
    /// (`rules::fr::mileage_bound`) and is paid on that bound instead.
    pub capped: bool,
}

/// An offer row the rules refused (a row of `rejected_offers.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub unit: usize,
    pub product: Product,
    pub start: String,
    pub end: String,
    /// Names the clause.
    pub reason: String,
}

/// Everything one product's market produced.
#[derive(Debug, Clone, Default)]
pub struct ProductOutcome {
    pub clearing: Vec<ClearingRow>,
    pub awards: Vec<AwardRow>,
    pub fees: Vec<FeeLine>,
    pub rejected: Vec<Rejection>,
    pub warnings: Vec<String>,
}
