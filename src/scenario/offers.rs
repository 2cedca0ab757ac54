//! Offer files: `fr_offers.csv`, `reserve_offers.csv`, `peak_offers.csv` (and later
//! `energy_offers.csv`). A row holds for the intervals whose start t has `start ≤ t < end`.

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::horizon::Horizon;
use crate::scenario::table::Table;
use crate::scenario::units::Fleet;

/// One offer row: a unit's MW and price over a span of intervals (and a band, for peak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub unit: usize,
    pub line: u64,
    /// The row's `start` and `end` as written, for `rejected_offers.csv`.
    pub start: String,
    pub end: String,
    pub intervals: Range<usize>,
    /// Depth band (peak); 1 for products without bands.
    pub band: u32,
    pub mw: Decimal,
    pub price: Decimal,
}

/// The columns that differ between offer files.
pub struct OfferColumns {
    pub mw: &'static str,
    pub price: &'static str,
    /// Peak offers come in depth bands 1, 2, … (`band`), energy offers in segments
    /// (`segment`): the column's name.
    pub band: Option<&'static str>,
}

pub const FR: OfferColumns = OfferColumns {
    mw: "capacity_mw",
    price: "price_yuan_per_mw",
    band: None,
};
pub const RESERVE: OfferColumns = OfferColumns {
    mw: "capacity_mw",
    price: "price_yuan_per_mwh",
    band: None,
};
pub const PEAK: OfferColumns = OfferColumns {
    mw: "mw",
    price: "price_yuan_per_mwh",
    band: Some("band"),
};
/// Energy offers (joint clearing): a price curve in segments 1, 2, … whose prices do not fall.
pub const ENERGY: OfferColumns = OfferColumns {
    mw: "mw",
    price: "price_yuan_per_mwh",
    band: Some("segment"),
};

pub fn parse(
    table: &Table,
    fleet: &Fleet,
    horizon: &Horizon,
    columns: &OfferColumns,
) -> Result<Vec<Offer>, InputError> {
    let mut offers = Vec::with_capacity(table.len());
    for row in table.rows() {
        let id = row.text("unit")?;
        let unit = fleet.get(id).ok_or_else(|| {
            row.error(
                ErrorKind::UnknownReference,
                "unit",
                format!("names unit {id:?}, which is not in units.csv"),
            )
        })?;
        let start = row.time("start")?;
        let end = row.time("end")?;
        if end <= start {
            return Err(row.error(
                ErrorKind::Invalid,
                "end",
                format!(
                    "must be after start {}, got {}",
                    row.text("start")?,
                    row.text("end")?
                ),
            ));
        }
        let intervals = horizon.covered(start, end).ok_or_else(|| {
            let column = if start < horizon.start {
                "start"
            } else {
                "end"
            };
            row.error(
                ErrorKind::Invalid,
                column,
                format!(
                    "the offer {}–{} reaches outside the scenario's horizon {}–{}",
                    row.text("start").unwrap_or_default(),
                    row.text("end").unwrap_or_default(),
                    horizon.start.format(crate::scenario::horizon::TIME_FORMAT),
                    horizon.end().format(crate::scenario::horizon::TIME_FORMAT),
                ),
            )
        })?;
        if intervals.is_empty() {
            return Err(row.error(
                ErrorKind::Invalid,
                "end",
                "the offer covers no interval start",
            ));
        }
        let mw = row.non_negative(columns.mw)?;
        let capacity = fleet.units[unit].capacity_mw;
        if mw > capacity {
            return Err(row.error(
                ErrorKind::Invalid,
                columns.mw,
                format!("must not exceed unit {id}'s capacity_mw {capacity}, got {mw}"),
            ));
        }
        let band = match columns.band {
            Some(column) => row.whole(column)?,
            None => 1,
        };
        offers.push(Offer {
            unit,
            line: row.line,
            start: row.text("start")?.to_string(),
            end: row.text("end")?.to_string(),
            intervals,
            band,
            mw,
            price: row.non_negative(columns.price)?,
        });
    }
    check_overlaps(&table.file, &offers)?;
    if let Some(band) = columns.band {
        check_bands(&table.file, &offers, fleet, columns, band)?;
    }
    Ok(offers)
}

/// A unit bids one MW and price per interval (per band): two rows covering the same interval
/// would be ambiguous.
fn check_overlaps(file: &str, offers: &[Offer]) -> Result<(), InputError> {
    let mut by_key: BTreeMap<(usize, u32), Vec<&Offer>> = BTreeMap::new();
    for o in offers {
        by_key.entry((o.unit, o.band)).or_default().push(o);
    }
    for list in by_key.values_mut() {
        list.sort_by_key(|o| (o.intervals.start, o.line));
        for pair in list.windows(2) {
            if pair[1].intervals.start < pair[0].intervals.end {
                return Err(InputError::new(
                    ErrorKind::Duplicate,
                    file,
                    format!(
                        "overlaps the offer on line {} for the same unit{}: a unit makes one offer per interval",
                        pair[0].line,
                        if pair[0].band > 1 || pair[1].band > 1 {
                            " and band"
                        } else {
                            ""
                        }
                    ),
                )
                .at_line(pair[1].line)
                .at_column("start"));
            }
        }
    }
    Ok(())
}

/// Peak bands: band b needs band b−1 in the same interval, prices do not fall as bands
/// deepen, and the bands together fit in the unit's capacity.
fn check_bands(
    file: &str,
    offers: &[Offer],
    fleet: &Fleet,
    columns: &OfferColumns,
    name: &str,
) -> Result<(), InputError> {
    // Per unit, the offers active between consecutive window edges: the band set only
    // changes at an edge, so each run of intervals is checked once (a year of 15-minute
    // intervals would otherwise be millions of cells).
    let mut by_unit: BTreeMap<usize, Vec<&Offer>> = BTreeMap::new();
    for o in offers {
        by_unit.entry(o.unit).or_default().push(o);
    }
    let mut cells: Vec<(usize, Vec<&Offer>)> = Vec::new();
    for (&unit, list) in &mut by_unit {
        list.sort_by_key(|o| (o.intervals.start, o.line));
        let mut edges: Vec<usize> = list
            .iter()
            .flat_map(|o| [o.intervals.start, o.intervals.end])
            .collect();
        edges.sort_unstable();
        edges.dedup();
        let mut next = 0;
        let mut active: Vec<&Offer> = Vec::new();
        for &edge in &edges {
            active.retain(|o| o.intervals.end > edge);
            while next < list.len() && list[next].intervals.start == edge {
                active.push(list[next]);
                next += 1;
            }
            if !active.is_empty() {
                cells.push((unit, active.clone()));
            }
        }
    }
    for (unit, mut bands) in cells {
        bands.sort_by_key(|o| o.band);
        let mut total = Decimal::ZERO;
        for (k, o) in bands.iter().enumerate() {
            if o.band as usize != k + 1 {
                return Err(InputError::new(
                    ErrorKind::Invalid,
                    file,
                    format!(
                        "{name} {} has no {name} {} before it for the same unit and interval: {name}s start at 1 and go one by one",
                        o.band,
                        k + 1
                    ),
                )
                .at_line(o.line)
                .at_column(name));
            }
            if k > 0 && o.price < bands[k - 1].price {
                return Err(InputError::new(
                    ErrorKind::Invalid,
                    file,
                    format!(
                        "must not fall from one {name} to the next: {name} {} at {} is below {name} {} at {} (line {})",
                        o.band,
                        o.price,
                        bands[k - 1].band,
                        bands[k - 1].price,
                        bands[k - 1].line
                    ),
                )
                .at_line(o.line)
                .at_column(columns.price));
            }
            total += o.mw;
        }
        let capacity = fleet.units[unit].capacity_mw;
        if total > capacity {
            let last = bands[bands.len() - 1];
            return Err(InputError::new(
                ErrorKind::Invalid,
                file,
                format!(
                    "{name}s of unit {} add up to {total} MW, above its capacity_mw {capacity}",
                    fleet.units[unit].id
                ),
            )
            .at_line(last.line)
            .at_column(columns.mw));
        }
    }
    Ok(())
}
