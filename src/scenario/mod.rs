//! The scenario contract (v1): a folder of `scenario.toml` and CSV files, loaded into typed,
//! validated data. Every rule broken is an [`InputError`] naming file, line and column.
//!
//! ```
//! let scenario = ancillary::scenario::load(std::path::Path::new("scenarios/fr-basic")).unwrap();
//! assert_eq!(scenario.horizon.intervals, 4);
//! ```

pub mod config;
pub mod folder;
pub mod horizon;
pub mod network;
pub mod offers;
pub mod series;
pub mod slice;
pub mod table;
pub mod units;

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::{ErrorKind, InputError};
pub use config::Config;
use config::key_error;
pub use horizon::Horizon;
pub use network::Network;
pub use offers::Offer;
pub use series::{Actuals, Metering, Mileage, Performance, Requirements, Role};
use table::Table;
pub use units::{Fleet, FrParams, Kind, Unit};

/// One file of the contract and its columns, declared once: the loader checks every CSV
/// header against this (required columns present, no name close to a known one, other
/// columns warned about), so each parser can take its columns as given.
#[derive(Debug, Clone, Copy)]
pub struct FileSpec {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

impl FileSpec {
    /// Every column the file may have, required first.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.required.iter().chain(self.optional).copied()
    }
}

const fn spec(
    name: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> FileSpec {
    FileSpec {
        name,
        required,
        optional,
    }
}

/// Every file the contract knows, in the order they are loaded, with its columns.
pub const CONTRACT: [FileSpec; 16] = [
    spec(config::FILE, &[], &[]),
    spec(
        units::FILE,
        &["unit", "owner", "kind", "capacity_mw", "min_output_mw"],
        &[
            "ramp_mw_per_min",
            "capacity_payment",
            "design_rate_pct_per_min",
            "design_precision_pct",
            "design_response_s",
            "energy_capacity_mwh",
            "efficiency",
            "initial_soc_mwh",
            "bus",
        ],
    ),
    spec(
        "requirements.csv",
        &["time"],
        &["fr_mw", "reserve_mw", "peak_mw", "load_mw", "spot_running"],
    ),
    spec(
        "fr_offers.csv",
        &["unit", "start", "end", "capacity_mw", "price_yuan_per_mw"],
        &[],
    ),
    spec(
        "fr_performance.csv",
        &["unit", "rate_pct_per_min", "precision_pct", "response_s"],
        &["day"],
    ),
    spec("fr_mileage.csv", &["time", "unit", "mileage_mw"], &[]),
    spec("agc_setpoints.csv", &["time", "unit", "setpoint_mw"], &[]),
    spec(
        "peak_offers.csv",
        &["unit", "start", "end", "band", "mw", "price_yuan_per_mwh"],
        &[],
    ),
    spec(
        "reserve_offers.csv",
        &["unit", "start", "end", "capacity_mw", "price_yuan_per_mwh"],
        &[],
    ),
    spec(
        "energy_offers.csv",
        &[
            "unit",
            "start",
            "end",
            "segment",
            "mw",
            "price_yuan_per_mwh",
        ],
        &[],
    ),
    spec(
        "actuals.csv",
        &["time", "unit"],
        &["reserve_available_mw", "peak_delivered_mw"],
    ),
    spec("metering.csv", &["day", "party", "role", "energy_mwh"], &[]),
    spec(network::BUSES, &["bus", "zone"], &[]),
    spec(
        network::LINES,
        &["line", "from_bus", "to_bus", "reactance_pu"],
        &["limit_mw"],
    ),
    spec(network::BUS_LOADS, &["time", "bus", "load_mw"], &[]),
    spec(
        network::ZONE_REQUIREMENTS,
        &["time", "zone"],
        &["fr_mw", "reserve_mw"],
    ),
];

/// The names of [`CONTRACT`]'s files, in the same order.
pub const FILES: [&str; CONTRACT.len()] = {
    let mut names = [""; CONTRACT.len()];
    let mut i = 0;
    while i < CONTRACT.len() {
        names[i] = CONTRACT[i].name;
        i += 1;
    }
    names
};

/// The contract's entry for `name`.
pub fn spec_of(name: &str) -> Option<&'static FileSpec> {
    CONTRACT.iter().find(|s| s.name == name)
}

/// Intervals accepted in one scenario: ten years of 5-minute intervals.
pub const MAX_INTERVALS: u32 = 10 * 366 * 288;

/// A loaded, validated scenario: plain data, indices into `fleet.units` for units.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub config: Config,
    /// `config.province` resolved, once, at load: the grid whose benchmark, spot status and
    /// caps the run and the audit read (`None` for `province = "none"`, outside China).
    pub grid: Option<crate::rules::province::Grid>,
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
    /// Measured mileage (`fr_mileage.csv` or `agc_setpoints.csv`); empty where it is
    /// synthesised from awards (see `mileage_source`).
    pub mileage: Mileage,
    /// Whether FR is settled on `mileage` or on each award × `[fr] expected_mileage_per_mw`.
    pub mileage_source: MileageSource,
    pub actuals: Actuals,
    /// `None` when `metering.csv` is absent: costs are then not allocated (with a warning).
    pub metering: Option<Vec<Metering>>,
    /// The transmission network; `None` without `buses.csv` (a copper plate).
    pub network: Option<Network>,
    /// SHA-256 over the contract's files present (name, length, bytes, in name order).
    pub input_digest: String,
    /// What loading noticed without refusing (unknown files and columns, a requirement with
    /// no offer file); the run lists them first among its warnings.
    pub warnings: Vec<String>,
    /// FR mileage expected per MW of FR capacity per interval, for the LP's weighting of FR
    /// prices (see [`expected_mileage_per_mw`]); resolved once for the whole horizon, so a
    /// chunk of days weighs FR as the whole run does. `None` where the LP does not run or
    /// nothing gives it.
    pub fr_mileage_per_mw: Option<Decimal>,
}

/// `[fr] expected_mileage_per_mw`, else the scenario's own Σ mileage ÷ Σ FR MW offered over the
/// (unit, interval) pairs that have both; `None` without FR offers with mileage. One pass over
/// the mileage, each unit's offers (which never overlap) walked in time order beside it.
pub fn expected_mileage_per_mw(
    config: &Config,
    fr_offers: &[Offer],
    mileage: &Mileage,
    units: usize,
) -> Option<Decimal> {
    if let Some(v) = config.fr.expected_mileage_per_mw {
        return Decimal::try_from(v).ok().map(|d| d.normalize());
    }
    if mileage.is_empty() || fr_offers.is_empty() {
        return None;
    }
    let mut by_unit: Vec<Vec<&Offer>> = vec![Vec::new(); units];
    for o in fr_offers {
        by_unit[o.unit].push(o);
    }
    for list in &mut by_unit {
        list.sort_by_key(|o| o.intervals.start);
    }
    let mut next = vec![0usize; units];
    let (mut miles, mut offered) = (Decimal::ZERO, Decimal::ZERO);
    for (unit, i, m) in mileage.iter() {
        let list = &by_unit[unit];
        while next[unit] < list.len() && list[next[unit]].intervals.end <= i {
            next[unit] += 1;
        }
        if let Some(o) = list.get(next[unit])
            && o.intervals.contains(&i)
        {
            miles += m;
            offered += o.mw;
        }
    }
    (offered > Decimal::ZERO).then(|| miles / offered)
}

/// Where the FR mileage that is settled comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MileageSource {
    /// `fr_mileage.csv` or `agc_setpoints.csv` ([`Scenario::mileage`]); also a scenario without
    /// FR offers.
    Measured,
    /// Neither file: each FR award's MW × this factor per interval (`[fr]
    /// expected_mileage_per_mw`), a study assumption that the outputs mark.
    FromAwards(Decimal),
}

/// Appended to the `basis` of settlement rows that rest on mileage synthesised from awards.
pub const MILEAGE_FROM_AWARDS: &str = "+mileage-from-awards";
/// Appended to the `basis` of an FR compensation row whose unit was awarded FR that day in an
/// interval with no mileage metered (paid 0 there: no mileage metered, not no movement).
pub const NO_MILEAGE_METERED: &str = "+no-mileage-metered";
/// Appended to the `basis` of an FR compensation row paid, in some interval of the day, on
/// mileage capped at what the unit and its award can move (`rules::fr::mileage_bound`).
pub const MILEAGE_CAPPED: &str = "+mileage-capped";

impl Scenario {
    /// FR mileage (MW) expected per MW of FR capacity per interval: `[fr]
    /// expected_mileage_per_mw` where set; otherwise Σ measured mileage ÷ Σ FR offered MW over
    /// the (unit, interval) pairs that have both, over the whole horizon; `None` without
    /// either. Converts an FR price per MW of mileage into one per MW of capacity.
    pub fn fr_expected_mileage_per_mw(&self) -> Option<f64> {
        use rust_decimal::prelude::ToPrimitive;
        self.fr_mileage_per_mw
            .or_else(|| {
                expected_mileage_per_mw(
                    &self.config,
                    &self.fr_offers,
                    &self.mileage,
                    self.fleet.units.len(),
                )
            })
            .and_then(|d| d.to_f64())
    }
}

/// Reads the contract's files from `dir` and loads them.
pub fn load(dir: &Path) -> Result<Scenario, InputError> {
    load_files(&read_files(dir)?)
}

/// The files of `dir`, by name: the contract's with their bytes; any other file with no
/// bytes (only its name is checked, by [`load_files`]: a name close to a contract file's is
/// an error). Folders inside `dir` are passed over (an output folder may live there).
pub fn read_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, InputError> {
    if !dir.is_dir() {
        return Err(InputError::new(
            ErrorKind::MissingFile,
            dir.display().to_string(),
            "is not a scenario folder (a folder holding scenario.toml and CSV files)",
        ));
    }
    let listing = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            ErrorKind::Unreadable,
            dir.display().to_string(),
            format!("cannot list the folder: {e}"),
        )
    })?;
    let mut files = BTreeMap::new();
    for entry in listing {
        let entry = entry.map_err(|e| {
            InputError::new(
                ErrorKind::Unreadable,
                dir.display().to_string(),
                format!("cannot list the folder: {e}"),
            )
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if FILES.contains(&name.as_str()) {
            if let Some(bytes) = folder::read_input(&path, &name)? {
                files.insert(name, bytes);
            }
        } else if !path.is_dir() {
            files.insert(name, Vec::new());
        }
    }
    Ok(files)
}

/// Files in the folder that the contract does not name: an error for the first whose name
/// is close to a contract file's, a warning for each other one (hidden files, backups and
/// documentation pass in silence, see [`folder::stranger`]).
fn check_file_names(
    files: &BTreeMap<String, Vec<u8>>,
    warnings: &mut Vec<String>,
) -> Result<(), InputError> {
    for name in files.keys().filter(|n| !FILES.contains(&n.as_str())) {
        match folder::stranger(name, &FILES) {
            folder::Stranger::Ignored => {}
            folder::Stranger::Misspelt(known) => {
                return Err(InputError::new(
                    ErrorKind::Invalid,
                    name.as_str(),
                    format!(
                        "unknown file; did you mean {known}? (a misspelt file would be silently left out)"
                    ),
                ));
            }
            folder::Stranger::Unknown => warnings.push(format!(
                "{name}: unknown file, not read (the files a scenario reads are listed in docs/scenario-format.md)"
            )),
        }
    }
    Ok(())
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

/// The table of contract file `name`, if present, with its header checked against
/// [`CONTRACT`]: required columns present, no column named close to a known one (an error),
/// other unknown columns warned about; and, for an optional file, at least one row (the
/// required ones say what they lack themselves).
fn table(
    tables: &Tables,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Table>, InputError> {
    let table = header_checked(tables, name, warnings)?;
    // An export that stopped at the header is never what was meant: taken as given it would
    // silently mean "no offers", "no mileage" (every FR fee 0) and so on.
    if table.as_ref().is_some_and(Table::is_empty) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            name,
            "has a header but no rows: give its rows, or delete the file if it has nothing to give",
        )
        .at_line(1));
    }
    Ok(table)
}

fn header_checked(
    tables: &Tables,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Table>, InputError> {
    let Some(table) = tables.0.borrow_mut().remove(name).transpose()? else {
        return Ok(None);
    };
    let spec = spec_of(name).expect("a contract file");
    table.require(spec.required)?;
    let known: Vec<&str> = spec.columns().collect();
    for column in table.column_names() {
        if known.contains(&column) {
            continue;
        }
        if let Some(k) = folder::near_miss(column, &known) {
            return Err(InputError::new(
                ErrorKind::Invalid,
                name,
                format!(
                    "unknown column; did you mean {k}? (a misspelt column would be silently ignored)"
                ),
            )
            .at_line(1)
            .at_column(column));
        }
        warnings.push(format!(
            "{name} line 1, column {column}: unknown column, ignored (its columns are {})",
            known.join(", ")
        ));
    }
    Ok(Some(table))
}

fn required(tables: &Tables, name: &str, warnings: &mut Vec<String>) -> Result<Table, InputError> {
    header_checked(tables, name, warnings)?.ok_or_else(|| {
        InputError::new(
            ErrorKind::MissingFile,
            name,
            "required file is missing from the scenario folder",
        )
    })
}

/// Loads a scenario from file contents keyed by file name (what [`load`] reads from a folder).
pub fn load_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Scenario, InputError> {
    let mut warnings = Vec::new();
    check_file_names(files, &mut warnings)?;
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
    let grid = crate::rules::province::resolve(&config.province)
        .map_err(|rule| key_error(&text, "province", ErrorKind::Invalid, rule))?;
    let horizon = validate_config(&config, &text)?;

    let w = &mut warnings;
    let units_table = required(&tables, units::FILE, w)?;
    let fleet = Fleet::parse(&units_table)?;
    let mut requirements =
        series::parse_requirements(&required(&tables, "requirements.csv", w)?, &horizon)?;
    // Before the checks on load below: bus loads may give the system load.
    let network_files = network::Files {
        buses: table(&tables, network::BUSES, w)?,
        lines: table(&tables, network::LINES, w)?,
        bus_loads: table(&tables, network::BUS_LOADS, w)?,
        zone_requirements: table(&tables, network::ZONE_REQUIREMENTS, w)?,
    };
    let network = network::load(
        network_files,
        &units_table,
        &fleet,
        &horizon,
        (&config, &text),
        &mut requirements,
    )?;

    let offers_of = |name: &str,
                     columns: &offers::OfferColumns,
                     w: &mut Vec<String>|
     -> Result<Vec<Offer>, InputError> {
        match table(&tables, name, w)? {
            Some(t) => offers::parse(&t, &fleet, &horizon, columns),
            None => Ok(Vec::new()),
        }
    };
    let fr_offers = offers_of("fr_offers.csv", &offers::FR, w)?;
    let peak_offers = offers_of("peak_offers.csv", &offers::PEAK, w)?;
    let reserve_offers = offers_of("reserve_offers.csv", &offers::RESERVE, w)?;
    let energy_offers = offers_of("energy_offers.csv", &offers::ENERGY, w)?;
    if config.spot_market == config::SpotMarket::Continuous
        && let Some(i) = requirements
            .by_interval
            .iter()
            .position(|r| r.spot_running == Some(false))
    {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "requirements.csv",
            format!(
                "spot_running is false at {}, but spot_market = \"continuous\" says the spot market runs in every interval: set spot_market = \"none\" and mark the intervals where it runs with spot_running = true",
                horizon.label(i)
            ),
        )
        .at_line(requirements.lines[i])
        .at_column("spot_running"));
    }
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

    warn_requirements_without_offers(files, &requirements, w);

    let performance = match table(&tables, "fr_performance.csv", w)? {
        Some(t) => Performance::parse(&t, &fleet, &horizon)?,
        None => Performance::default(),
    };
    let (mileage, measured) = match (
        table(&tables, "fr_mileage.csv", w)?,
        table(&tables, "agc_setpoints.csv", w)?,
    ) {
        (Some(_), Some(_)) => {
            return Err(InputError::new(
                ErrorKind::Invalid,
                "agc_setpoints.csv",
                "give mileage either as fr_mileage.csv or as agc_setpoints.csv, not both",
            ));
        }
        (Some(t), None) => (series::parse_mileage(&t, &fleet, &horizon)?, true),
        (None, Some(t)) => (series::parse_agc_setpoints(&t, &fleet, &horizon)?, true),
        (None, None) if !fr_offers.is_empty() && config.fr.expected_mileage_per_mw.is_none() => {
            return Err(InputError::new(
                ErrorKind::MissingFile,
                "fr_mileage.csv",
                "fr_offers.csv holds offers, so FR mileage is needed: add fr_mileage.csv or agc_setpoints.csv, or set [fr] expected_mileage_per_mw in scenario.toml to settle each award's MW × that factor (a study assumption)",
            ));
        }
        (None, None) => (Mileage::new(), false),
    };
    let mileage_source = match config.fr.expected_mileage_per_mw {
        Some(factor) if !measured && !fr_offers.is_empty() => {
            let factor = crate::rules::caps::decimal(factor);
            w.push(format!(
                "FR mileage synthesised from awards, not metered: there is no fr_mileage.csv or agc_setpoints.csv, so each FR award's mileage is its MW × [fr] expected_mileage_per_mw = {factor} per interval, a study assumption; FR fees rest on it (settlement.csv marks its FR rows basis …{MILEAGE_FROM_AWARDS})"
            ));
            MileageSource::FromAwards(factor)
        }
        _ => MileageSource::Measured,
    };
    let actuals = match table(&tables, "actuals.csv", w)? {
        Some(t) => Actuals::parse(&t, &fleet, &horizon)?,
        None => Actuals::default(),
    };
    let metering = match table(&tables, "metering.csv", w)? {
        Some(t) => Some(series::parse_metering(&t, &horizon)?),
        None => None,
    };

    // Only the LP weighs FR against energy; a year of merit order need not scan its mileage.
    let lp = config
        .clearing
        .engine
        .map_or(!energy_offers.is_empty(), |e| e == config::Engine::Lp);
    let fr_mileage_per_mw = if lp {
        expected_mileage_per_mw(&config, &fr_offers, &mileage, fleet.units.len())
    } else {
        None
    };
    Ok(Scenario {
        fr_mileage_per_mw,
        grid,
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
        mileage_source,
        actuals,
        metering,
        network,
        input_digest,
        warnings,
    })
}

/// A requirement with no offer file for its product still clears, short in every interval
/// that asks for it (at the product's cap, as any shortfall); this says why.
fn warn_requirements_without_offers(
    files: &BTreeMap<String, Vec<u8>>,
    requirements: &Requirements,
    warnings: &mut Vec<String>,
) {
    type Of = fn(&series::Requirement) -> Decimal;
    let products: [(&str, &str, &str, Of); 3] = [
        ("fr_offers.csv", "fr_mw", "FR", |r| r.fr_mw),
        ("peak_offers.csv", "peak_mw", "peak regulation", |r| {
            r.peak_mw
        }),
        ("reserve_offers.csv", "reserve_mw", "reserve", |r| {
            r.reserve_mw
        }),
    ];
    for (file, column, product, of) in products {
        let asking = requirements
            .by_interval
            .iter()
            .filter(|r| of(r) > Decimal::ZERO)
            .count();
        if asking > 0 && !files.contains_key(file) {
            warnings.push(format!(
                "requirements.csv asks for {column} > 0 in {asking} interval(s) but there is no {file}: {product} clears short in each, at its price cap"
            ));
        }
    }
}

/// Smallest magnitude of a non-zero number in `scenario.toml`. Settings are read as `f64` and
/// computed with as decimals; far smaller values (`1e-300`) would become 0 on the way and,
/// as a cap, silently refuse every offer. No price, share, weight or time means anything
/// that small.
pub const MIN_SETTING: f64 = 1e-9;

/// A setting as a message shows it: plain, or in e-notation where plain would run to hundreds
/// of digits (`1e-300`, not 0.000…0001).
fn shown(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A non-zero setting too small to compute with (see [`MIN_SETTING`]).
fn tiny(v: f64) -> bool {
    v != 0.0 && v.abs() < MIN_SETTING
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
            && !(v.is_finite() && (MIN_SETTING..=1e9).contains(&v))
        {
            return Err(bad(
                key,
                format!(
                    "must be between {MIN_SETTING:e} and 1e9 (a smaller positive value would compute as 0), got {}",
                    shown(v)
                ),
            ));
        }
    }
    // notice 196 §三(四) caps mileage at 0.015 元/kW; the setting is per MW. A cap below
    // 1 元/MW is all but surely the notice's figure typed without the × 1000.
    if let Some(v) = caps.fr_mileage_price_yuan_per_mw
        && v < 1.0
    {
        return Err(bad(
            "caps.fr_mileage_price_yuan_per_mw",
            format!(
                "is in 元/MW (yuan/MW), got {v}: the notice's 0.015 元/kW (yuan/kW) is 0.015 × 1000 = 15 元/MW; a cap below 1 元/MW is refused as a unit slip"
            ),
        ));
    }
    let share = config.policy.participation_min_share;
    if !(share.is_finite() && (0.0..=1.0).contains(&share)) || tiny(share) {
        return Err(bad(
            "policy.participation_min_share",
            format!(
                "must be 0 or between {MIN_SETTING:e} and 1 (a share of capacity), got {}",
                shown(share)
            ),
        ));
    }
    if let Some(share) = config.policy.min_offer_share
        && (!(share.is_finite() && (0.0..=1.0).contains(&share)) || tiny(share))
    {
        return Err(bad(
            "policy.min_offer_share",
            format!(
                "must be 0 or between {MIN_SETTING:e} and 1 (a share of capacity), got {}",
                shown(share)
            ),
        ));
    }
    let w = config.fr.weights;
    for (key, v) in [
        ("fr.weights.rate", w.rate),
        ("fr.weights.precision", w.precision),
        ("fr.weights.response", w.response),
    ] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) || tiny(v) {
            return Err(bad(
                key,
                format!(
                    "must be 0 or between {MIN_SETTING:e} and 1, got {}",
                    shown(v)
                ),
            ));
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
            if !(v.is_finite() && (MIN_SETTING..=1e9).contains(&v)) {
                return Err(bad(
                    key,
                    format!("must be between {MIN_SETTING:e} and 1e9, got {}", shown(v)),
                ));
            }
        }
    }
    // Mileage per MW awarded per interval: a few for a regulating unit (the shipped scenarios
    // have about 3); 1000 is far past any AGC signal, so larger is a slip (MW for kW, …).
    if let Some(v) = config.fr.expected_mileage_per_mw
        && !(v.is_finite() && (MIN_SETTING..=1000.0).contains(&v))
    {
        return Err(bad(
            "fr.expected_mileage_per_mw",
            format!(
                "must be between {MIN_SETTING:e} and 1000 (MW of mileage per MW of FR award per interval), got {}",
                shown(v)
            ),
        ));
    }
    if let Some(s) = config.allocation.user_share
        && (!(s.is_finite() && (0.0..=1.0).contains(&s)) || tiny(s))
    {
        return Err(bad(
            "allocation.user_share",
            format!("must be 0 or between {MIN_SETTING:e} and 1, got {s}"),
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
        if !(v.is_finite() && (0.0..=1000.0).contains(&v)) || tiny(v) {
            return Err(bad(
                &key,
                format!(
                    "must be 0 or between {MIN_SETTING:e} and 1000, got {}",
                    shown(v)
                ),
            ));
        }
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
            && (!(v.is_finite() && (0.0..=1440.0).contains(&v)) || tiny(v))
        {
            return Err(bad(
                key,
                format!(
                    "must be 0 or between {MIN_SETTING:e} and 1440 minutes, got {}",
                    shown(v)
                ),
            ));
        }
    }
    Ok(Horizon {
        start,
        interval_minutes: config.interval_minutes,
        intervals: config.intervals as usize,
    })
}
