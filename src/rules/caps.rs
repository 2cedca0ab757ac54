//! Price and performance caps: the scenario's values resolved against the notice's limits.
//! A run never exceeds a limit of the notice unless `[policy] enforce_notice_limits = false`,
//! in which case every output marks the run as outside notice 196. (The audit, not the run,
//! is where a scenario's own over-limit caps are flagged as failures.)

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::error::{ErrorKind, InputError};
use crate::rules::province;
use crate::scenario::Scenario;
use crate::scenario::config::key_error;

/// notice 196 §三(四): performance factor K at most 2.
pub const PERFORMANCE_FACTOR_LIMIT: Decimal = dec!(2);
/// notice 196 §三(四): mileage clearing price at most 0.015 元/kW = 15 元/MW.
pub const FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW: Decimal = dec!(15);
/// Energy-market price cap when neither the scenario nor the data give one: 1500 元/MWh, the
/// cap of the spot markets in `data/spot_markets.csv` that give one. Unsourced: a run that
/// depends on it warns. The notice sets no limit on it.
pub const DEFAULT_ENERGY_CAP_YUAN_PER_MWH: Decimal = dec!(1500);

/// The caps a run applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caps {
    pub fr_mileage_price_yuan_per_mw: Decimal,
    pub performance_factor: Decimal,
    /// `None` when the province is unknown and the scenario states no cap (no peak market
    /// can run then).
    pub peak_price_yuan_per_mwh: Option<Decimal>,
    pub reserve_price_yuan_per_mwh: Decimal,
    pub energy_market_price_cap_yuan_per_mwh: Decimal,
}

/// Caps plus what resolving them said.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub caps: Caps,
    pub warnings: Vec<String>,
    /// False when a cap beyond the notice's limit is in force (only with
    /// `enforce_notice_limits = false`).
    pub within_notice: bool,
}

/// A float from `scenario.toml` as a decimal (0.1 stays 0.1).
pub fn decimal(v: f64) -> Decimal {
    Decimal::try_from(v).unwrap_or_default().normalize()
}

/// The notice's limit for the peak price: the province's grid-parity new-energy price, which
/// for grid-parity projects is its coal benchmark price (notice 196 §二(二)), in 元/MWh.
pub fn peak_price_limit(grid: Option<province::Grid>) -> Option<Decimal> {
    grid?
        .coal_benchmark_yuan_per_kwh()
        .map(|p| (p * dec!(1000)).normalize())
}

pub fn resolve(scenario: &Scenario) -> Result<Resolved, InputError> {
    let config = &scenario.config;
    let enforce = config.policy.enforce_notice_limits;
    let mut warnings = Vec::new();
    let mut within_notice = true;
    // One rule for every capped setting: the scenario may be stricter, never looser.
    let mut apply = |key: &str, given: Option<f64>, limit: Decimal, clause: &str| -> Decimal {
        let Some(given) = given.map(decimal) else {
            return limit;
        };
        if given <= limit {
            given
        } else if enforce {
            warnings.push(format!(
                "scenario.toml {key} = {given} exceeds the notice's limit {limit} (notice 196 {clause}); the run uses {limit}"
            ));
            limit
        } else {
            warnings.push(format!(
                "scenario.toml {key} = {given} exceeds the notice's limit {limit} (notice 196 {clause}); used as given because enforce_notice_limits = false: this run is outside notice 196"
            ));
            within_notice = false;
            given
        }
    };
    let caps_in = &config.caps;
    let fr = apply(
        "caps.fr_mileage_price_yuan_per_mw",
        caps_in.fr_mileage_price_yuan_per_mw,
        FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW,
        "三(四)",
    );
    let k = apply(
        "caps.performance_factor",
        caps_in.performance_factor,
        PERFORMANCE_FACTOR_LIMIT,
        "三(四)",
    );
    let energy_check = energy_cap(scenario);
    let energy = energy_check.cap;
    let reserve_or_energy =
        !scenario.reserve_offers.is_empty() || !scenario.energy_offers.is_empty();
    let energy_problem = energy_check
        .problem
        .filter(|_| reserve_or_energy)
        .map(|p| format!("{p} (the audit fails it, notice 196 §四(六))"));
    // notice 196 §四(六): reserve cap ≤ the energy-market cap.
    let reserve = apply(
        "caps.reserve_price_yuan_per_mwh",
        caps_in.reserve_price_yuan_per_mwh,
        energy,
        "四(六)",
    );
    // notice 196 §二(二): peak cap ≤ the local grid-parity price.
    let peak_runs = !scenario.peak_offers.is_empty() || scenario.requirements.asks_for_peak();
    let peak = match peak_price_limit(scenario.grid) {
        Some(limit) => Some(apply(
            "caps.peak_price_yuan_per_mwh",
            caps_in.peak_price_yuan_per_mwh,
            limit,
            "二(二)",
        )),
        None => {
            let why = province::why_no_benchmark(scenario.grid);
            let source = caps_in
                .peak_price_source
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (caps_in.peak_price_yuan_per_mwh, source) {
                (Some(cap), Some(source)) => {
                    if peak_runs {
                        warnings.push(format!(
                            "{why}: the peak cap {} from scenario.toml (source: {source}) cannot be checked against a grid-parity price (notice 196 §二(二))",
                            decimal(cap)
                        ));
                    }
                    Some(decimal(cap))
                }
                (Some(_), None) if peak_runs => {
                    return Err(key_error(
                        &scenario.config_text,
                        "peak_price_yuan_per_mwh",
                        ErrorKind::Invalid,
                        format!(
                            "{why}, so this cap cannot be checked against the grid-parity price (notice 196 §二(二)): say where it comes from with caps.peak_price_source = \"…\" (the province's price document), or name a grid in the table"
                        ),
                    ));
                }
                (None, _) if peak_runs => {
                    return Err(key_error(
                        &scenario.config_text,
                        "province",
                        ErrorKind::Invalid,
                        format!(
                            "{why}, so the peak price cap (notice 196 §二(二)) has no default: name a grid in the table, or set caps.peak_price_yuan_per_mwh with caps.peak_price_source"
                        ),
                    ));
                }
                (cap, _) => cap.map(decimal),
            }
        }
    };
    warnings.extend(energy_problem);
    Ok(Resolved {
        caps: Caps {
            fr_mileage_price_yuan_per_mw: fr,
            performance_factor: k,
            peak_price_yuan_per_mwh: peak,
            reserve_price_yuan_per_mwh: reserve,
            energy_market_price_cap_yuan_per_mwh: energy,
        },
        warnings,
        within_notice,
    })
}

/// The energy-market cap a scenario runs with, where it comes from, and what is wrong with it.
#[derive(Debug, Clone)]
pub struct EnergyCap {
    pub cap: Decimal,
    pub source: String,
    /// Why the cap cannot stand as it is: above the data's cap, or from nowhere.
    pub problem: Option<String>,
}

/// The scenario's energy-market cap, else the data's (`rules::spot::energy_cap`), else 1500
/// unsourced; checked against the data, or against `caps.energy_cap_source` where the data
/// give none.
pub fn energy_cap(scenario: &Scenario) -> EnergyCap {
    let caps = &scenario.config.caps;
    let data = crate::rules::spot::energy_cap(scenario.grid, scenario.config.spot_market);
    let stated = caps
        .energy_cap_source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let given = caps.energy_market_price_cap_yuan_per_mwh.map(decimal);
    match (given, data) {
        (Some(given), Some((cap, from))) if given > cap => EnergyCap {
            cap: given,
            source: "scenario.toml".into(),
            problem: Some(format!(
                "caps.energy_market_price_cap_yuan_per_mwh = {given} is above the local energy-market cap {cap}, the {from}; the reserve cap may not exceed the local cap"
            )),
        },
        (Some(given), Some(_)) => EnergyCap {
            cap: given,
            source: "scenario.toml".into(),
            problem: None,
        },
        (None, Some((cap, from))) => EnergyCap {
            cap,
            source: from,
            problem: None,
        },
        (given, None) => {
            let cap = given.unwrap_or(DEFAULT_ENERGY_CAP_YUAN_PER_MWH);
            match stated {
                Some(s) => EnergyCap {
                    cap,
                    source: s.to_string(),
                    problem: None,
                },
                None => EnergyCap {
                    cap,
                    source: "unsourced".into(),
                    problem: Some(format!(
                        "the energy-market cap {cap} yuan/MWh ({}) has no source: data/spot_markets.csv and data/provinces.csv give none for {:?} with spot_market = {:?}; say where it comes from with caps.energy_cap_source = \"…\"",
                        if given.is_some() {
                            "from scenario.toml"
                        } else {
                            "the default"
                        },
                        scenario.config.province,
                        scenario.config.spot_market.as_str()
                    )),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_the_decimals_written() {
        assert_eq!(decimal(0.1).to_string(), "0.1");
        assert_eq!(decimal(15.0).to_string(), "15");
        assert_eq!(decimal(391.0).to_string(), "391");
    }

    #[test]
    fn peak_limit_is_the_benchmark_in_yuan_per_mwh() {
        // Jiangsu 0.391 元/kWh × 1000 = 391 元/MWh.
        let jiangsu = province::resolve("Jiangsu").unwrap();
        assert_eq!(peak_price_limit(jiangsu), Some(dec!(391)));
    }
}
