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
//! | DC power flow on the network: PTDF, line flows | [`network`] |
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
pub mod network;
pub mod new;
pub mod outcome;
pub mod output;
pub mod product;
pub mod progress;
pub mod reference;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod settlement;

pub use error::{Error, ErrorKind, InputError};

use std::path::Path;

/// What `ancillary run` does: load `scenario_dir`, run it, write the outputs to `out_dir`
/// (with `report.html` when `report` is set). Returns the warnings (caps clamped, unpaid
/// mileage, …) for the caller to show. Shows no progress.
pub fn run_to_dir(
    scenario_dir: &Path,
    out_dir: &Path,
    force: bool,
    report: bool,
) -> Result<Vec<String>, Error> {
    run_to_dir_showing(
        scenario_dir,
        out_dir,
        force,
        report,
        false,
        None,
        output::Format::Csv,
    )
}

/// [`run_to_dir`], with the days cleared shown on stderr when `progress` is set and the run
/// is cleared in more than one chunk (see [`progress`]), and the LP solver given (`run
/// --solver`) in place of the scenario's preference (the outputs are the same bytes with
/// either solver; only the time differs), the tables written in `format` (`run --format`).
pub fn run_to_dir_showing(
    scenario_dir: &Path,
    out_dir: &Path,
    force: bool,
    report: bool,
    progress: bool,
    solver: Option<scenario::config::LpSolver>,
    format: output::Format,
) -> Result<Vec<String>, Error> {
    let options = RunOptions {
        force,
        report,
        progress,
        solver,
        format,
        write_lp: None,
    };
    run_to_dir_with(scenario_dir, out_dir, &options).map(|ran| ran.warnings)
}

/// How `ancillary run` runs: its flags.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write into an existing folder that is not an intact earlier output (`--force`).
    pub force: bool,
    /// Also write `report.html` (`--report`).
    pub report: bool,
    /// Show the days cleared on stderr.
    pub progress: bool,
    /// The LP solver, in place of the scenario's preference (`--solver`).
    pub solver: Option<scenario::config::LpSolver>,
    /// The tables' format (`--format`).
    pub format: output::Format,
    /// Write every LP solved as MPS into this folder (`--write-lp`): new, or empty.
    pub write_lp: Option<std::path::PathBuf>,
}

/// What a run into a folder tells its caller: the warnings, and `summary.json` as written
/// (the CLI prints its totals).
pub struct Ran {
    pub warnings: Vec<String>,
    pub summary: serde_json::Value,
}

/// [`run_to_dir_showing`] with [`RunOptions`], returning `summary.json` as well.
pub fn run_to_dir_with(
    scenario_dir: &Path,
    out_dir: &Path,
    options: &RunOptions,
) -> Result<Ran, Error> {
    let RunOptions {
        force,
        report,
        progress,
        solver,
        format,
        ref write_lp,
    } = *options;
    let mut scenario = scenario::load(scenario_dir)?;
    if let Some(solver) = solver {
        scenario.config.clearing.solver = Some(solver);
    }
    if let Some(dir) = write_lp {
        lp_dir_ready(dir)?;
        scenario.config.clearing.write_lp = true;
    }
    let chunks = run::chunks(&scenario)?;
    let days = DaysCleared::new(&scenario, &chunks, progress);
    if report {
        // The report audits the outputs it shows, so they are built in memory first.
        let mut merged = run::Merge::new(&scenario, true);
        for k in 0..chunks.len() {
            merged.add(run::run_chunk(&scenario, &chunks, k)?);
            days.chunk_done(k);
        }
        days.finish();
        let result = merged.finish();
        let mut files = output::render_listed(&scenario, &result, format);
        add_report(&scenario, &mut files)?;
        let files = as_format(files, format, out_dir)?;
        output::dir::write(out_dir, &files, force)?;
        if let Some(dir) = write_lp {
            write_lp_files(dir, &result.lp_models)?;
        }
        return Ok(Ran {
            warnings: result.warnings,
            summary: summary_of(&files),
        });
    }
    let (result, summary) = stream(&scenario, &chunks, out_dir, force, &days, format)?;
    if let Some(dir) = write_lp {
        write_lp_files(dir, &result.lp_models)?;
    }
    Ok(Ran {
        warnings: result.warnings,
        summary,
    })
}

/// The `--write-lp` folder: created, or empty (a folder of a user's is never mixed into).
fn lp_dir_ready(dir: &Path) -> Result<(), Error> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Output(
                    dir.to_path_buf(),
                    "exists and is not empty; --write-lp writes into a new or empty folder".into(),
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
        }
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Writes each model solved (`DAY-round-R.mps` and its price twin `…-price.mps`) into `dir`.
fn write_lp_files(dir: &Path, models: &[(String, String)]) -> Result<(), Error> {
    for (name, text) in models {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// `summary.json` of a run's files, parsed (null where absent: never, as every run writes it).
fn summary_of(files: &std::collections::BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    files
        .get("summary.json")
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default()
}

/// A run's files rendered by [`output::render_listed`] for `format`, with the tables in it
/// (Parquet converted from the CSV, so the same values).
pub fn as_format(
    files: std::collections::BTreeMap<String, Vec<u8>>,
    format: output::Format,
    out_dir: &Path,
) -> Result<std::collections::BTreeMap<String, Vec<u8>>, Error> {
    if format == output::Format::Csv {
        return Ok(files);
    }
    output::parquet::convert(files).map_err(|e| Error::io(out_dir, e))
}

/// Progress of a run in days cleared, chunk by chunk.
struct DaysCleared<'a> {
    scenario: &'a scenario::Scenario,
    chunks: &'a scenario::slice::Chunks,
    progress: progress::Progress,
}

impl<'a> DaysCleared<'a> {
    /// Shown only when asked for and the run has more than one chunk: a run in one piece
    /// (a day, or the LP's whole horizon) has nothing to count.
    fn new(
        scenario: &'a scenario::Scenario,
        chunks: &'a scenario::slice::Chunks,
        show: bool,
    ) -> DaysCleared<'a> {
        let total = scenario.horizon.days().len() as u64;
        let quiet = !show || chunks.len() < 2;
        DaysCleared {
            scenario,
            chunks,
            progress: progress::Progress::new(total, "days", quiet),
        }
    }

    fn chunk_done(&self, k: usize) {
        let h = &self.scenario.horizon;
        let last = self.chunks.ranges[k].end.saturating_sub(1);
        let days = (h.day(last) - h.day(0)).num_days() + 1;
        self.progress.reach(days.max(0) as u64);
    }

    fn finish(&self) {
        self.progress.finish();
    }
}

/// Runs `scenario` a few chunks of days at a time, in parallel, appending each chunk's rows
/// to the output files as it goes, so memory stays at a few days however long the horizon.
/// The files are byte for byte those of [`output::render`] over [`run::run`] (tested). The
/// result holds everything but the rows already written (clearing, awards, fees, storage).
pub fn stream_to_dir(
    scenario: &scenario::Scenario,
    out_dir: &Path,
    force: bool,
) -> Result<run::RunResult, Error> {
    let chunks = run::chunks(scenario)?;
    stream(
        scenario,
        &chunks,
        out_dir,
        force,
        &DaysCleared::new(scenario, &chunks, false),
        output::Format::Csv,
    )
    .map(|(result, _)| result)
}

/// [`stream_to_dir`] over `chunks`, counting the days cleared.
fn stream(
    scenario: &scenario::Scenario,
    chunks: &scenario::slice::Chunks,
    out_dir: &Path,
    force: bool,
    days: &DaysCleared,
    format: output::Format,
) -> Result<(run::RunResult, serde_json::Value), Error> {
    use rayon::prelude::*;
    let labels = output::labels(scenario);
    let mut staged = output::dir::Staged::begin(out_dir, force)?;
    let mut merge = run::Merge::new(scenario, false);
    let mut totals = output::Totals::default();
    // Chunks are cleared and rendered in parallel a window at a time and written in order
    // (the bytes do not depend on the number of threads); a window is written while the next
    // one is computed.
    type Rendered = (run::Chunk, [Vec<u8>; 7]);
    let compute = |range: std::ops::Range<usize>| -> Vec<Result<Rendered, InputError>> {
        range
            .into_par_iter()
            .map(|k| {
                let chunk = run::run_chunk(scenario, chunks, k)?;
                let rows = output::render_rows(scenario, &chunk.result, &labels);
                Ok((chunk, rows))
            })
            .collect()
    };
    let window = 4 * rayon::current_num_threads().max(1);
    let windows: Vec<std::ops::Range<usize>> = (0..chunks.len())
        .step_by(window)
        .map(|start| start..(start + window).min(chunks.len()))
        .collect();
    let mut written = 0;
    // Parquet tables, each opened at its first rows as the CSV files are, a row group a chunk.
    type Table = output::parquet::Table<std::io::BufWriter<std::fs::File>>;
    let mut tables: std::collections::BTreeMap<String, Table> = Default::default();
    let mut write = |done: Vec<Result<Rendered, InputError>>| -> Result<(), Error> {
        for d in done {
            let (chunk, rows) = d?;
            totals.add(&chunk.result.clearing);
            for (k, ((name, columns), body)) in output::ROW_FILES.iter().zip(rows).enumerate() {
                if !output::writes_row_file(k, &body) {
                    continue;
                }
                match format {
                    output::Format::Csv => staged.append(name, &output::header(columns), &body)?,
                    output::Format::Parquet => {
                        let file = output::parquet::file_name(name, format);
                        if !tables.contains_key(&file) {
                            let f = staged.create(&file)?;
                            let w = std::io::BufWriter::with_capacity(1 << 20, f);
                            let t = Table::new(name, columns, w)
                                .map_err(|e| Error::io(out_dir.join(&file), e))?;
                            tables.insert(file.clone(), t);
                        }
                        if let Some(t) = tables.get_mut(&file) {
                            t.write_rows(&body)
                                .map_err(|e| Error::io(out_dir.join(&file), e))?;
                        }
                    }
                }
            }
            merge.add(chunk);
            days.chunk_done(written);
            written += 1;
        }
        Ok(())
    };
    let mut pending = compute(windows[0].clone());
    for next in windows.iter().skip(1) {
        let (written, computed) = rayon::join(|| write(pending), || compute(next.clone()));
        written?;
        pending = computed;
    }
    write(pending)?;
    for (file, table) in tables {
        table
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| Error::io(out_dir.join(&file), e))?;
    }
    days.finish();
    let result = merge.finish();
    let row_files: Vec<String> = staged.names().iter().cloned().collect();
    let rest = output::render_rest_as(scenario, &result, &totals, &row_files, format)
        .map_err(|e| Error::io(out_dir, e))?;
    let summary = summary_of(&rest);
    for (name, bytes) in rest {
        staged.write(&name, &bytes)?;
    }
    staged.commit()?;
    Ok((result, summary))
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
