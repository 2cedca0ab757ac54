//! The scenario contract (v1): a folder of `scenario.toml` and CSV files, loaded into typed,
//! validated data. Every rule broken is an [`InputError`] naming file, line and column.
//!
//! ```
//! let scenario = ancillary::scenario::load(std::path::Path::new("scenarios/fr-basic")).unwrap();
//! assert_eq!(scenario.horizon.intervals, 4);
//! ```

pub mod config;
pub mod horizon;
pub mod offers;
pub mod series;
pub mod slice;
pub mod table;
pub mod units;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{ErrorKind, InputError};
pub use config::Config;
use config::key_error;
pub use horizon::Horizon;
pub use offers::Offer;
pub use series::{Actuals, Metering, Mileage, Performance, Requirements, Role};
use table::Table;
pub use units::{Fleet, FrParams, Kind, Unit};

/// Every file the contract knows, in the order they are loaded.
pub const FILES: [&str; 12] = [
    config::FILE,
    units::FILE,
    "requirements.csv",
    "fr_offers.csv",
    "fr_performance.csv",
    "fr_mileage.csv",
    "agc_setpoints.csv",
    "peak_offers.csv",
    "reserve_offers.csv",
    "energy_offers.csv",
    "actuals.csv",
    "metering.csv",
];

/// Intervals accepted in one scenario: ten years of 5-minute intervals.
pub const MAX_INTERVALS: u32 = 10 * 366 * 288;

/// A loaded, validated scenario: plain data, indices into `fleet.units` for units.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub config: Config,
    /// `scenario.toml` as written, for positioned errors about settings found later.
    pub config_text: String,
    pub horizon: Horizon,
    pub fleet: Fleet,
    pub requirements: Requirements,
    pub fr_offers: Vec<Offer>,
    pub peak_offers: Vec<Offer>,
    pub reserve_offers: Vec<Offer>,
    /// Energy offers (joint clearing), segments in `band`.
    pub energy_offers: Vec<Offer>,
    pub performance: Performance,
    pub mileage: Mileage,
    pub actuals: Actuals,
    /// `None` when `metering.csv` is absent: costs are then not allocated (with a warning).
    pub metering: Option<Vec<Metering>>,
    /// SHA-256 over the contract's files present (name, length, bytes, in name order).
    pub input_digest: String,
}

/// Reads the contract's files from `dir` and loads them.
pub fn load(dir: &Path) -> Result<Scenario, InputError> {
    load_files(&read_files(dir)?)
}

/// The contract's files present in `dir`, by name.
pub fn read_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, InputError> {
    if !dir.is_dir() {
        return Err(InputError::new(
            ErrorKind::MissingFile,
            dir.display().to_string(),
            "is not a scenario folder (a folder holding scenario.toml and CSV files)",
        ));
    }
    let mut files = BTreeMap::new();
    for name in FILES {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => {
                files.insert(name.to_string(), bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(InputError::new(
                    ErrorKind::Unreadable,
                    name,
                    format!("cannot read: {e}"),
                ));
            }
        }
    }
    Ok(files)
}

fn digest(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in files {
        if FILES.contains(&name.as_str()) {
            hasher.update(name.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The scenario's CSV files, tokenised in parallel (a year of mileage is most of the bytes);
/// a file's error is returned when the loader reaches it, so errors come in the same order
/// as when files are read one by one.
struct Tables(std::cell::RefCell<BTreeMap<String, Result<Table, InputError>>>);

impl Tables {
    fn parse(files: &BTreeMap<String, Vec<u8>>) -> Tables {
        use rayon::prelude::*;
        let parsed = files
            .par_iter()
            .filter(|(name, _)| name.ends_with(".csv") && FILES.contains(&name.as_str()))
            .map(|(name, bytes)| (name.clone(), Table::parse(name, bytes)))
            .collect();
        Tables(std::cell::RefCell::new(parsed))
    }
}

fn table(tables: &Tables, name: &str) -> Result<Option<Table>, InputError> {
    tables.0.borrow_mut().remove(name).transpose()
}

fn required(tables: &Tables, name: &str) -> Result<Table, InputError> {
    table(tables, name)?.ok_or_else(|| {
        InputError::new(
            ErrorKind::MissingFile,
            name,
            "required file is missing from the scenario folder",
        )
    })
}

/// Loads a scenario from file contents keyed by file name (what [`load`] reads from a folder).
pub fn load_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Scenario, InputError> {
    let text = files.get(config::FILE).ok_or_else(|| {
        InputError::new(
            ErrorKind::MissingFile,
            config::FILE,
            "required file is missing from the scenario folder",
        )
    })?;
    let text = std::str::from_utf8(text)
        .map_err(|_| {
            InputError::new(
                ErrorKind::Unreadable,
                config::FILE,
                "is not valid UTF-8 text",
            )
        })?
        .to_string();
    let (tables, input_digest) = rayon::join(|| Tables::parse(files), || digest(files));
    let config = config::parse(&text)?;
    let horizon = validate_config(&config, &text)?;

    let fleet = Fleet::parse(&required(&tables, units::FILE)?)?;
    let requirements =
        series::parse_requirements(&required(&tables, "requirements.csv")?, &horizon)?;

    let offers_of =
        |name: &str, columns: &offers::OfferColumns| -> Result<Vec<Offer>, InputError> {
            match table(&tables, name)? {
                Some(t) => offers::parse(&t, &fleet, &horizon, columns),
                None => Ok(Vec::new()),
            }
        };
    let fr_offers = offers_of("fr_offers.csv", &offers::FR)?;
    let peak_offers = offers_of("peak_offers.csv", &offers::PEAK)?;
    let reserve_offers = offers_of("reserve_offers.csv", &offers::RESERVE)?;
    let energy_offers = offers_of("energy_offers.csv", &offers::ENERGY)?;
    if !energy_offers.is_empty() {
        if config.spot_market != config::SpotMarket::Continuous {
            return Err(key_error(
                &text,
                "spot_market",
                ErrorKind::Invalid,
                "energy_offers.csv clears energy in the spot market, which needs spot_market = \"continuous\" (notice 196 §六(十一))",
            ));
        }
        if !requirements.has_load {
            return Err(InputError::new(
                ErrorKind::MissingColumn,
                "requirements.csv",
                "energy_offers.csv holds offers, so requirements.csv needs the load to balance",
            )
            .at_line(1)
            .at_column("load_mw"));
        }
        if config.clearing.engine == Some(config::Engine::MeritOrder) {
            return Err(key_error(
                &text,
                "clearing.engine",
                ErrorKind::Invalid,
                "energy is cleared jointly with ancillary services only by engine = \"lp\" (notice 196 §六(十一))",
            ));
        }
    }
    for (offers, has, file, column) in [
        (&fr_offers, requirements.has_fr, "fr_offers.csv", "fr_mw"),
        (
            &peak_offers,
            requirements.has_peak,
            "peak_offers.csv",
            "peak_mw",
        ),
        (
            &reserve_offers,
            requirements.has_reserve,
            "reserve_offers.csv",
            "reserve_mw",
        ),
    ] {
        if !offers.is_empty() && !has {
            return Err(InputError::new(
                ErrorKind::MissingColumn,
                "requirements.csv",
                format!("{file} holds offers, so requirements.csv needs this column"),
            )
            .at_line(1)
            .at_column(column));
        }
    }

    let performance = match table(&tables, "fr_performance.csv")? {
        Some(t) => Performance::parse(&t, &fleet)?,
        None => Performance::default(),
    };
    let mileage = match (
        table(&tables, "fr_mileage.csv")?,
        table(&tables, "agc_setpoints.csv")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(InputError::new(
                ErrorKind::Invalid,
                "agc_setpoints.csv",
                "give mileage either as fr_mileage.csv or as agc_setpoints.csv, not both",
            ));
        }
        (Some(t), None) => series::parse_mileage(&t, &fleet, &horizon)?,
        (None, Some(t)) => series::parse_agc_setpoints(&t, &fleet, &horizon)?,
        (None, None) if !fr_offers.is_empty() => {
            return Err(InputError::new(
                ErrorKind::MissingFile,
                "fr_mileage.csv",
                "fr_offers.csv holds offers, so FR mileage is needed: add fr_mileage.csv or agc_setpoints.csv",
            ));
        }
        (None, None) => Mileage::new(),
    };
    let actuals = match table(&tables, "actuals.csv")? {
        Some(t) => Actuals::parse(&t, &fleet, &horizon)?,
        None => Actuals::default(),
    };
    let metering = match table(&tables, "metering.csv")? {
        Some(t) => Some(series::parse_metering(&t, &horizon)?),
        None => None,
    };

    Ok(Scenario {
        config,
        config_text: text,
        horizon,
        fleet,
        requirements,
        fr_offers,
        peak_offers,
        reserve_offers,
        energy_offers,
        performance,
        mileage,
        actuals,
        metering,
        input_digest,
    })
}

/// Checks the settings that do not depend on other files, and builds the horizon.
fn validate_config(config: &Config, text: &str) -> Result<Horizon, InputError> {
    let bad = |key: &str, rule: String| key_error(text, key, ErrorKind::Invalid, rule);
    if config.interval_minutes == 0 || 1440 % config.interval_minutes != 0 {
        return Err(bad(
            "interval_minutes",
            format!(
                "must divide a day (1440 minutes) evenly, e.g. 15, got {}",
                config.interval_minutes
            ),
        ));
    }
    if config.intervals == 0 || config.intervals > MAX_INTERVALS {
        return Err(bad(
            "intervals",
            format!(
                "must be between 1 and {MAX_INTERVALS}, got {}",
                config.intervals
            ),
        ));
    }
    let start = horizon::parse_time(&config.start).ok_or_else(|| {
        key_error(
            text,
            "start",
            ErrorKind::Parse,
            format!(
                "must be a time like 2024-03-01T00:00, got {:?}",
                config.start
            ),
        )
    })?;
    let span =
        chrono::Duration::minutes(i64::from(config.intervals) * i64::from(config.interval_minutes));
    if start.checked_add_signed(span).is_none() {
        return Err(bad(
            "start",
            format!("{} plus the horizon runs past the calendar", config.start),
        ));
    }
    let caps = &config.caps;
    for (key, value) in [
        (
            "caps.fr_mileage_price_yuan_per_mw",
            caps.fr_mileage_price_yuan_per_mw,
        ),
        ("caps.performance_factor", caps.performance_factor),
        ("caps.peak_price_yuan_per_mwh", caps.peak_price_yuan_per_mwh),
        (
            "caps.reserve_price_yuan_per_mwh",
            caps.reserve_price_yuan_per_mwh,
        ),
        (
            "caps.energy_market_price_cap_yuan_per_mwh",
            caps.energy_market_price_cap_yuan_per_mwh,
        ),
    ] {
        if let Some(v) = value
            && !(v.is_finite() && v > 0.0 && v <= 1e9)
        {
            return Err(bad(key, format!("must be a number > 0 and ≤ 1e9, got {v}")));
        }
    }
    let w = config.fr.weights;
    for (key, v) in [
        ("fr.weights.rate", w.rate),
        ("fr.weights.precision", w.precision),
        ("fr.weights.response", w.response),
    ] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(bad(key, format!("must be between 0 and 1, got {v}")));
        }
    }
    let sum = w.rate + w.precision + w.response;
    if (sum - 1.0).abs() > 1e-9 {
        return Err(bad(
            "fr.weights",
            format!(
                "rate + precision + response must sum to 1, got {} + {} + {} = {sum}",
                w.rate, w.precision, w.response
            ),
        ));
    }
    if let Some(b) = config.fr.benchmark {
        for (key, v) in [
            ("fr.benchmark.rate_pct_per_min", b.rate_pct_per_min),
            ("fr.benchmark.precision_pct", b.precision_pct),
            ("fr.benchmark.response_s", b.response_s),
        ] {
            if !(v.is_finite() && (1e-9..=1e9).contains(&v)) {
                return Err(bad(key, format!("must be between 1e-9 and 1e9, got {v}")));
            }
        }
    }
    if let Some(s) = config.allocation.user_share
        && !(s.is_finite() && (0.0..=1.0).contains(&s))
    {
        return Err(bad(
            "allocation.user_share",
            format!("must be between 0 and 1, got {s}"),
        ));
    }
    let a = &config.allocation;
    for kind in a.exempt_kinds.iter().chain(a.kind_weights.keys()) {
        if Kind::parse(kind).is_none() {
            let names: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(bad(
                "allocation",
                format!(
                    "{kind:?} is not a unit kind; kinds are {}",
                    names.join(", ")
                ),
            ));
        }
    }
    for (key, v) in a
        .kind_weights
        .iter()
        .map(|(k, v)| (format!("allocation.kind_weights.{k}"), *v))
        .chain(
            a.non_bidder_weight
                .map(|v| ("allocation.non_bidder_weight".to_string(), v)),
        )
        .chain([
            (
                "penalty.reserve_unavailable_multiple".to_string(),
                config.penalty.reserve_unavailable_multiple,
            ),
            (
                "penalty.peak_undelivered_multiple".to_string(),
                config.penalty.peak_undelivered_multiple,
            ),
        ])
    {
        if !(v.is_finite() && (0.0..=1000.0).contains(&v)) {
            return Err(bad(&key, format!("must be between 0 and 1000, got {v}")));
        }
    }
    if config.clearing.solver == config::LpSolver::Highs && !cfg!(feature = "highs") {
        return Err(key_error(
            text,
            "clearing.solver",
            ErrorKind::Invalid,
            "\"highs\" needs a build with the highs feature (cargo build --release --features highs); use \"clarabel\" or rebuild",
        ));
    }
    for (key, v) in [
        (
            "clearing.fr_response_minutes",
            config.clearing.fr_response_minutes,
        ),
        (
            "clearing.reserve_response_minutes",
            config.clearing.reserve_response_minutes,
        ),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && (0.0..=1440.0).contains(&v))
        {
            return Err(bad(
                key,
                format!("must be between 0 and 1440 minutes, got {v}"),
            ));
        }
    }
    Ok(Horizon {
        start,
        interval_minutes: config.interval_minutes,
        intervals: config.intervals as usize,
    })
}
