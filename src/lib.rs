//! `ancillary`: China's electricity ancillary-service markets — peak regulation (调峰),
//! frequency regulation (调频) and reserve (备用) — cleared, priced, billed and allocated under
//! notice 196 (发改价格〔2024〕196号).
//!
//! The stages, each a plain function over plain data:
//!
//! | stage | module |
//! | --- | --- |
//! | load and validate a scenario folder | [`scenario`] |
//! | the notice's rules: caps, eligibility, K, prices | [`rules`] |
//! | clearing engines, free of policy | [`clearing`] |
//! | fees to money, to the fen | [`settlement`] |
//! | CSV and JSON outputs, written all at once | [`output`] |
//!
//! ```
//! let scenario = ancillary::scenario::load(std::path::Path::new("scenarios/fr-basic")).unwrap();
//! let result = ancillary::run::run(&scenario).unwrap();
//! assert!(!result.clearing.is_empty());
//! ```

pub mod audit;
pub mod batch;
pub mod clearing;
pub mod diff;
pub mod error;
pub mod generate;
pub mod import;
pub mod market_power;
pub mod new;
pub mod outcome;
pub mod output;
pub mod product;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod settlement;

pub use error::{Error, ErrorKind, InputError};

use std::path::Path;

/// What `ancillary run` does: load `scenario_dir`, run it, write the outputs to `out_dir`
/// (with `report.html` when `report` is set). Returns the warnings (caps clamped, unpaid
/// mileage, …) for the caller to show.
pub fn run_to_dir(
    scenario_dir: &Path,
    out_dir: &Path,
    force: bool,
    report: bool,
) -> Result<Vec<String>, Error> {
    let scenario = scenario::load(scenario_dir)?;
    let result = run::run(&scenario)?;
    let mut files = output::render(&scenario, &result);
    if report {
        add_report(&scenario, &mut files)?;
    }
    output::dir::write(out_dir, &files, force)?;
    Ok(result.warnings)
}

/// Adds `report.html` to a run's files, with the run's audit in it.
pub fn add_report(
    scenario: &scenario::Scenario,
    files: &mut std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<(), InputError> {
    let results = audit::results::parse(files.clone(), &scenario.horizon)?;
    let checks = audit::audit(scenario, &results, files)?;
    let mut with_audit = files.clone();
    with_audit.insert("audit.csv".into(), audit::to_csv(&checks));
    let html = output::report::render(&with_audit, None)?;
    files.insert("report.html".into(), html.into_bytes());
    Ok(())
}
