//! `units.csv`: the fleet. One row per unit (机组), with what the rules need to know of it.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::table::Table;

pub const FILE: &str = "units.csv";

/// What a unit is; decides which markets it may enter and how the benchmark is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Coal,
    /// 火储联合: coal plus storage; excluded from the FR benchmark (§三(四)).
    CoalStorage,
    Gas,
    Hydro,
    Nuclear,
    Wind,
    Pv,
    Storage,
    DemandResponse,
    Aggregator,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Coal,
        Kind::CoalStorage,
        Kind::Gas,
        Kind::Hydro,
        Kind::Nuclear,
        Kind::Wind,
        Kind::Pv,
        Kind::Storage,
        Kind::DemandResponse,
        Kind::Aggregator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Coal => "coal",
            Kind::CoalStorage => "coal_storage",
            Kind::Gas => "gas",
            Kind::Hydro => "hydro",
            Kind::Nuclear => "nuclear",
            Kind::Wind => "wind",
            Kind::Pv => "pv",
            Kind::Storage => "storage",
            Kind::DemandResponse => "demand_response",
            Kind::Aggregator => "aggregator",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Design (or measured) FR parameters: 调节速率, 调节精度, 响应时间.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrParams {
    /// Regulation rate, % of capacity per minute (larger is better).
    pub rate_pct_per_min: Decimal,
    /// Regulation precision as a deviation, % of capacity (smaller is better).
    pub precision_pct: Decimal,
    /// Response time, seconds (smaller is better).
    pub response_s: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub owner: String,
    pub kind: Kind,
    pub capacity_mw: Decimal,
    pub min_output_mw: Decimal,
    /// `None`: no ramp limit given.
    pub ramp_mw_per_min: Option<Decimal>,
    /// Receives a capacity payment (容量电费), so must bid (§六(十)).
    pub capacity_payment: bool,
    /// Design FR parameters; needed for the benchmark and as a fallback for measurements.
    pub design: Option<FrParams>,
    /// Storage energy limits (joint clearing), from `energy_capacity_mwh`, `efficiency` and
    /// `initial_soc_mwh`.
    pub storage: Option<StorageParams>,
    pub line: u64,
}

/// A storage unit's energy limits (joint clearing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageParams {
    pub energy_capacity_mwh: Decimal,
    /// Charging efficiency (stored MWh per MWh drawn), 0 < efficiency ≤ 1; default 0.9.
    pub efficiency: Decimal,
    /// Default: half the energy capacity.
    pub initial_soc_mwh: Decimal,
}

/// The fleet, with a lookup from unit id to index.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub units: Vec<Unit>,
    index: HashMap<String, usize>,
}

impl Fleet {
    pub fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn parse(table: &Table) -> Result<Fleet, InputError> {
        let mut fleet = Fleet::default();
        let mut lines: HashMap<String, u64> = HashMap::new();
        for row in table.rows() {
            let id = row.id("unit")?.to_string();
            if let Some(first) = lines.get(&id) {
                return Err(row.error(
                    ErrorKind::Duplicate,
                    "unit",
                    format!("unit {id:?} is already defined on line {first}"),
                ));
            }
            let kind_text = row.text("kind")?;
            let kind = Kind::parse(kind_text).ok_or_else(|| {
                let names: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                row.error(
                    ErrorKind::Parse,
                    "kind",
                    format!("must be one of {}, got {kind_text:?}", names.join(", ")),
                )
            })?;
            let capacity_mw = row.positive("capacity_mw")?;
            let min_output_mw = row.non_negative("min_output_mw")?;
            if min_output_mw > capacity_mw {
                return Err(row.error(
                    ErrorKind::Invalid,
                    "min_output_mw",
                    format!("must not exceed capacity_mw {capacity_mw}, got {min_output_mw}"),
                ));
            }
            let design_cols = [
                "design_rate_pct_per_min",
                "design_precision_pct",
                "design_response_s",
            ];
            let values = [
                row.optional_positive(design_cols[0])?,
                row.optional_positive(design_cols[1])?,
                row.optional_positive(design_cols[2])?,
            ];
            let design = match values {
                [Some(r), Some(p), Some(t)] => Some(FrParams {
                    rate_pct_per_min: r,
                    precision_pct: p,
                    response_s: t,
                }),
                [None, None, None] => None,
                _ => {
                    let missing = design_cols
                        .iter()
                        .zip(values)
                        .find(|(_, v)| v.is_none())
                        .map_or(design_cols[0], |(c, _)| c);
                    return Err(row.error(
                        ErrorKind::Invalid,
                        missing,
                        "the three design FR parameters go together: give all three or none",
                    ));
                }
            };
            let storage = match row.optional_positive("energy_capacity_mwh")? {
                None => {
                    for column in ["efficiency", "initial_soc_mwh"] {
                        if row.optional(column).is_some() {
                            return Err(row.error(
                                ErrorKind::Invalid,
                                column,
                                "applies to storage only: give energy_capacity_mwh too",
                            ));
                        }
                    }
                    None
                }
                Some(energy_capacity_mwh) => {
                    if kind != Kind::Storage {
                        return Err(row.error(
                            ErrorKind::Invalid,
                            "energy_capacity_mwh",
                            format!("applies to kind storage only, got kind {}", kind.as_str()),
                        ));
                    }
                    let efficiency = row
                        .optional_positive("efficiency")?
                        .unwrap_or(Decimal::new(9, 1));
                    if efficiency > Decimal::ONE {
                        return Err(row.error(
                            ErrorKind::Invalid,
                            "efficiency",
                            format!("must be at most 1, got {efficiency}"),
                        ));
                    }
                    let initial_soc_mwh = row
                        .optional_non_negative("initial_soc_mwh")?
                        .unwrap_or(energy_capacity_mwh / Decimal::TWO);
                    if initial_soc_mwh > energy_capacity_mwh {
                        return Err(row.error(
                            ErrorKind::Invalid,
                            "initial_soc_mwh",
                            format!("must not exceed energy_capacity_mwh {energy_capacity_mwh}, got {initial_soc_mwh}"),
                        ));
                    }
                    Some(StorageParams {
                        energy_capacity_mwh,
                        efficiency,
                        initial_soc_mwh,
                    })
                }
            };
            lines.insert(id.clone(), row.line);
            fleet.index.insert(id.clone(), fleet.units.len());
            fleet.units.push(Unit {
                id,
                owner: row.id("owner")?.to_string(),
                kind,
                capacity_mw,
                min_output_mw,
                ramp_mw_per_min: row.optional_non_negative("ramp_mw_per_min")?,
                capacity_payment: row.flag("capacity_payment")?,
                design,
                storage,
                line: row.line,
            });
        }
        if fleet.units.is_empty() {
            return Err(InputError::new(
                ErrorKind::Invalid,
                FILE,
                "has no units: a scenario needs at least one",
            ));
        }
        Ok(fleet)
    }
}
