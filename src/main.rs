//! The `ancillary` command line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ancillary",
    version,
    about = "Ancillary-service markets under notice 196 (发改价格〔2024〕196号): peak regulation (调峰), frequency regulation (调频) and reserve (备用), cleared, priced and billed.",
    after_help = "Examples:\n  ancillary run scenarios/fr-basic --out /tmp/fr-basic\n  ancillary audit scenarios/jiangsu-typical-day\n\nExit status: 0 success, 1 audit failures or differences, 2 bad input or usage (message on stderr),\n3 audit: nothing fails but something rests on the scenario's claim (unverified),\n4 the solver failed (not the input: a solver limit or a bug of ours; please report it)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Clear, price and bill one scenario folder and write the results to OUT_DIR.
    #[command(after_help = run_help())]
    Run {
        /// Scenario folder (scenario.toml and CSV files).
        scenario: PathBuf,
        /// Output folder: created, or replaced whole if it is an earlier ancillary output.
        #[arg(long, short)]
        out: PathBuf,
        /// Write our files into an existing folder that is not an intact earlier ancillary
        /// output, leaving everything else in it alone.
        #[arg(long)]
        force: bool,
        /// Also write report.html (plots, statements, the audit) into OUT_DIR.
        #[arg(long)]
        report: bool,
        /// Show no progress (warnings and errors still show).
        #[arg(long, short)]
        quiet: bool,
        /// The tables' format: csv, or parquet (typed columns, zstd; statements/ and
        /// summary.json as with csv).
        #[arg(long, value_enum, default_value = "csv")]
        format: ancillary::output::Format,
        /// The LP solver: clarabel, or highs in a build with the highs feature. Default: the
        /// scenario's [clearing] solver if built in, else the fastest built in. The outputs are
        /// the same bytes with either; only the time differs.
        #[arg(long, value_parser = solver)]
        solver: Option<ancillary::scenario::config::LpSolver>,
        /// Also write every LP solved into this folder (new or empty) as free MPS: per day
        /// and line-limit round DAY-round-R.mps (the dispatch) and DAY-round-R-price.mps (its
        /// price twin, requirements and loads 0.01 MW lower), for any LP solver to read.
        #[arg(long, value_name = "DIR")]
        write_lp: Option<PathBuf>,
    },
    /// Write a self-contained HTML report (plots, statements, audit) for a run's output folder.
    #[command(
        after_help = "Examples:\n  ancillary report out/jiangsu\n  ancillary report out/jiangsu --html /tmp/jiangsu.html --at 2024-03-01T18:00\n\nThe offer stacks are drawn at --at, or at each product's highest-price interval."
    )]
    Report {
        /// An output folder of `ancillary run`.
        out_dir: PathBuf,
        /// Where to write the HTML instead, outside OUT_DIR (without it: OUT_DIR/report.html, added to the manifest).
        #[arg(long)]
        html: Option<PathBuf>,
        /// The interval of the offer stacks, e.g. 2024-03-01T18:00.
        #[arg(long)]
        at: Option<String>,
        /// Replace an existing --html file, or a report.html in OUT_DIR that we did not write.
        #[arg(long)]
        force: bool,
    },
    /// Import a public test system as a scenario.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Generate a synthetic scenario of any size, deterministic by seed (scale tests, benches).
    #[command(
        after_help = "Examples:\n  ancillary generate --units 300 --days 7 --out /tmp/synthetic-300x7\n  ancillary generate --units 50 --days 1 --spot continuous --seed 3 --out /tmp/joint-50\n  ancillary generate --units 300 --spot continuous --buses 500 --out /tmp/grid-500"
    )]
    Generate {
        /// Number of units (a mix of coal, gas, hydro, storage, wind and PV).
        #[arg(long, default_value_t = 50)]
        units: usize,
        /// Number of days, from 2024-01-01.
        #[arg(long, default_value_t = 1)]
        days: usize,
        /// Interval length in minutes (must divide 1440).
        #[arg(long, default_value_t = 15)]
        interval_minutes: u32,
        /// Random seed: the same seed gives the same scenario, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// none: FR, peak, reserve; continuous: energy, FR, reserve (LP).
        #[arg(long, default_value = "none", value_parser = ["none", "continuous"])]
        spot: String,
        /// Add a meshed transmission network of this many buses (needs --spot continuous):
        /// buses.csv, lines.csv, bus_loads.csv and each unit's bus.
        #[arg(long)]
        buses: Option<usize>,
        /// With --buses: each line's limit as a share of peak load ÷ √buses (smaller: more
        /// lines bind).
        #[arg(long, default_value_t = 2.0, requires = "buses")]
        line_limit_share: f64,
        /// The scenario folder to write (new or empty).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// The caps that apply in a provincial grid on a day, each with its clause and source.
    #[command(
        after_help = "Examples:\n  ancillary caps Hunan\n  ancillary caps 山东 --date 2021-11-30\n\nThe peak, FR mileage, K, energy-market and reserve caps of notice 196 in the grid, from\ndata/provinces.csv and data/spot_markets.csv (the tables the run and the audit read), with\nthe spot status on --date (default: today, UTC). docs/scenario-format.md has them for\nevery grid. Exit status: 0, or 2 for a name that is not exactly one grid."
    )]
    Caps {
        /// A provincial grid of data/provinces.csv (English, Chinese or an alias).
        province: String,
        /// The day, YYYY-MM-DD (the spot status, and so the peak and energy caps, turn on it).
        #[arg(long)]
        date: Option<String>,
    },
    /// Scaffold a valid, commented scenario to edit in a spreadsheet.
    #[command(
        after_help = "Examples:\n  ancillary new my-study --province Guangdong\n  ancillary new spot-study --spot continuous\n  ancillary new tibet-study --province Tibet --peak-cap 300 --peak-cap-source \"DOCUMENT\"\n\nEvery file of the contract, with a README.md explaining each column and its unit. The\nscenario is named after its folder. It runs as is and passes the audit, without a\nwarning where the province has a coal benchmark: ancillary run my-study --out out/my-study"
    )]
    New {
        /// The folder to create (must not exist, or be empty); its name is the scenario's.
        scenario: PathBuf,
        /// Provincial grid, as named in data/provinces.csv (English, Chinese or an alias);
        /// its coal benchmark sets the default peak cap.
        #[arg(long, default_value = "Jiangsu")]
        province: String,
        /// Whether the spot market runs continuously (continuous: no peak market). Default:
        /// as data/spot_markets.csv says for the province on the scaffold's day.
        #[arg(long, value_parser = ["none", "continuous"])]
        spot: Option<String>,
        /// Peak cap, yuan/MWh: at most the province's coal benchmark; required where the
        /// province has none (Tibet; Hebei and Inner Mongolia as a whole).
        #[arg(long)]
        peak_cap: Option<f64>,
        /// Where --peak-cap comes from (the province's price document); required with it
        /// where the province has no coal benchmark.
        #[arg(long, requires = "peak_cap")]
        peak_cap_source: Option<String>,
    },
    /// Check a scenario's rules and results against notice 196, clause by clause.
    #[command(
        after_help = audit_help()
    )]
    Audit {
        /// Scenario folder.
        scenario: PathBuf,
        /// An output folder of `ancillary run` for this scenario (default: run it first).
        #[arg(long)]
        results: Option<PathBuf>,
        /// Where to write audit.csv and audit.json (default: the --results folder; with
        /// neither, they are not written).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Replace an audit.csv or audit.json there that we did not write.
        #[arg(long)]
        force: bool,
        /// Exit 0, not 3, when nothing fails but some check rests on the scenario's own claim
        /// (unverified): for those who accept the claims.
        #[arg(long)]
        accept_unverified: bool,
    },
    /// Compare two output folders row by row; exit 1 when they differ.
    #[command(
        after_help = "Examples:\n  ancillary diff tests/golden/fr-basic out/fr-basic\n  ancillary diff expected/ actual/ --price-tol 1e-4 --money-tol 0.01\n\nRows are matched by their keys (time, product, unit / party, item). Money columns\n(*_yuan) must match within --money-tol, other numbers within --price-tol.\nExit status: 0 equal, 1 different, 2 unreadable input."
    )]
    Diff {
        /// The output folder taken as right (a golden copy).
        expected: PathBuf,
        /// The output folder checked against it.
        actual: PathBuf,
        /// Absolute tolerance on prices and quantities.
        #[arg(long, default_value = "1e-6", value_parser = tolerance)]
        price_tol: rust_decimal::Decimal,
        /// Absolute tolerance on money, 元 (0: to the fen).
        #[arg(long, default_value = "0", value_parser = tolerance)]
        money_tol: rust_decimal::Decimal,
    },
    /// Run many scenarios in parallel, one output folder each, and a batch_summary.csv.
    #[command(
        after_help = "Examples:\n  ancillary batch scenarios --out out/all\n  ancillary batch scenarios/fr-basic scenarios/peak-basic --out out/two --jobs 2\n  ancillary batch scenarios --out out/all --shard 2/4     # the 2nd of 4 slices\n  ancillary batch --merge --out out/all                   # join the shard summaries\n\nA folder without scenario.toml stands for the scenarios inside it. Progress: a bar on a\nterminal, a line per scenario elsewhere. Exit status: 0 all ran, 1 any scenario failed\n(see batch_summary.csv), 2 bad usage."
    )]
    Batch {
        /// Scenario folders, or folders of scenario folders.
        #[arg(required_unless_present = "merge")]
        scenarios: Vec<PathBuf>,
        /// Output root: one folder per scenario under it.
        #[arg(long, short)]
        out: PathBuf,
        /// Threads (default: all cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Run only the K-th of N deterministic slices of the scenario list.
        #[arg(long, value_parser = shard)]
        shard: Option<(usize, usize)>,
        /// Join the shard summaries under --out into batch_summary.csv.
        #[arg(long, conflicts_with_all = ["scenarios", "shard"])]
        merge: bool,
        /// Also write report.html for each scenario.
        #[arg(long)]
        report: bool,
        /// Show no progress (errors still show).
        #[arg(long, short)]
        quiet: bool,
        /// The tables' format: csv, or parquet (typed columns, zstd; statements/ and
        /// summary.json as with csv).
        #[arg(long, value_enum, default_value = "csv")]
        format: ancillary::output::Format,
    },
    /// Run the cross product of settings of one scenario and tabulate the totals.
    #[command(
        after_help = "Examples:\n  ancillary sweep scenarios/jiangsu-typical-day --set caps.fr_mileage_price_yuan_per_mw=5,10,15 --out out/sweep\n  ancillary sweep scenarios/month-spot --set allocation.user_share=0.3,0.5 --set caps.reserve_price_yuan_per_mwh=50,100 --out out/s2\n\nEach variant is the scenario's own scenario.toml with the keys changed in place (a key\nof a table keeps the table's other keys); an error names the line of your file, or\nthe --set that wrote it. Writes one output folder per combination and\nsweep_summary.csv, which is printed too."
    )]
    Sweep {
        /// Scenario folder to vary.
        scenario: PathBuf,
        /// key=v1,v2,… with a dotted scenario.toml key; repeat for a cross product.
        #[arg(long = "set", required = true)]
        settings: Vec<ancillary::batch::Setting>,
        /// Output root: one folder per combination under it, and sweep_summary.csv.
        #[arg(long, short)]
        out: PathBuf,
        /// Threads (default: all cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Show no progress (errors still show).
        #[arg(long, short)]
        quiet: bool,
        /// The tables' format: csv, or parquet (typed columns, zstd; statements/ and
        /// summary.json as with csv).
        #[arg(long, value_enum, default_value = "csv")]
        format: ancillary::output::Format,
    },
}

/// The help of `run`: examples, and the files it writes, from the code's own list.
/// `help audit`: examples, verdicts and exit status, then the rules from the audit's table.
fn audit_help() -> String {
    format!(
        "Examples:\n  ancillary audit scenarios/jiangsu-typical-day --out out/jiangsu-audit\n  ancillary audit scenarios/fr-basic --results out/fr-basic\n\nWithout --results the scenario is run first (in memory). The table is printed to stdout;\naudit.csv and audit.json are written to --out, or else into the --results folder. With\nneither, nothing is written.\n\nVerdicts: pass (checked against the notice, the project's data/ tables and the units'\nphysics), fail, unverified (nothing found, but the check rests on the scenario's own claim:\na *_source, [fr] benchmark, [fr] expected_mileage_per_mw, [allocation] user_borne or\nother_costs; the claim is named), n/a (the clause does not apply).\nExit status: 0 nothing fails and nothing is unverified, 1 a rule fails, 2 bad input,\n3 nothing fails but something is unverified (--accept-unverified turns 3 into 0).\n\n{}",
        ancillary::audit::rules_help()
    )
}

fn run_help() -> String {
    let width = ancillary::output::RUN_FILES
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let files: String = ancillary::output::RUN_FILES
        .iter()
        .map(|(name, what)| format!("  {name:width$}  {what}\n"))
        .collect();
    format!(
        "Examples:\n  ancillary run scenarios/fr-basic --out /tmp/fr-basic\n  ancillary run scenarios/month-spot --out /tmp/month-spot --report\n\n\
         Writes into OUT_DIR (a file with no rows is left out):\n{files}\n\
         A run cleared in chunks of days (a long merit-order horizon) shows the days cleared:\n\
         a bar on a terminal, a line per tenth of the horizon elsewhere; --quiet hides it.\n\n\
         OUT_DIR is never torn: the output is built beside it and swapped in whole, so a\n\
         failed or killed run leaves the earlier output as it was. A second run into the same\n\
         OUT_DIR fails at once while the first holds it. An existing OUT_DIR is replaced only\n\
         if it is an intact earlier ancillary output (every file listed in its ancillary.sha256,\n\
         digests matching); any other folder needs --force, and then only our files are written\n\
         into it, one by one."
    )
}

#[derive(Subcommand)]
enum ImportSource {
    /// NREL's RTS-GMLC: units, heat-rate energy offers, load, Reg_Up and Spin_Up, renewables.
    #[command(
        name = "rts-gmlc",
        after_help = "Examples:\n  ancillary import rts-gmlc data/rts-gmlc --day 2020-07-10 --out scenarios/my-rts-day\n  ancillary import rts-gmlc data/rts-gmlc --day 2020-01-15 --days 7 --out /tmp/rts-week\n  ancillary import rts-gmlc data/rts-gmlc --day 2020-07-10 --copper-plate --out /tmp/rts-day-no-grid\n\nThe mapping (kinds, offers, FR and reserve offer rule, performance, mileage, network) is in docs/scenarios.md."
    )]
    RtsGmlc {
        /// The RTS-GMLC folder (SourceData/, timeseries_data_files/).
        rts_dir: PathBuf,
        /// First day, 2020-MM-DD.
        #[arg(long)]
        day: chrono::NaiveDate,
        /// Number of days.
        #[arg(long, default_value_t = 1)]
        days: i64,
        /// The scenario folder to write (new or empty).
        #[arg(long, short)]
        out: PathBuf,
        /// Leave the network out: no buses, lines or bus loads, and reserve asked system-wide
        /// (Spin_Up_R1 + R2 + R3) instead of by zone.
        #[arg(long)]
        copper_plate: bool,
    },
}

fn shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected K/N with 1 ≤ K ≤ N, got {s:?}");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n) = (
        k.trim().parse::<usize>().map_err(|_| bad())?,
        n.trim().parse::<usize>().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

fn solver(s: &str) -> Result<ancillary::scenario::config::LpSolver, String> {
    use ancillary::scenario::config::LpSolver;
    let solver = match s {
        "clarabel" => LpSolver::Clarabel,
        "highs" => LpSolver::Highs,
        _ => return Err(format!("expected clarabel or highs, got {s:?}")),
    };
    if !solver.built_in() {
        return Err(format!(
            "{s} is not built in: rebuild with `cargo build --release --features {s}` (needs cmake, libclang and a C++ compiler), or use clarabel, which gives the same results"
        ));
    }
    Ok(solver)
}

fn threads(jobs: Option<usize>) -> usize {
    jobs.filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether the `--html` path `html` lies inside `out_dir`: its nearest existing ancestor,
/// resolved, is `out_dir` resolved or below it (a missing folder on the way would be created
/// there).
fn html_inside(out_dir: &std::path::Path, html: &std::path::Path) -> bool {
    let Ok(out) = std::fs::canonicalize(out_dir) else {
        return false;
    };
    let mut at = html;
    loop {
        let probe = if at.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            at
        };
        if std::fs::symlink_metadata(probe).is_ok() {
            // An existing file at `html` itself is judged by the folder it is in.
            let folder = if probe == html && !probe.is_dir() {
                probe.parent().filter(|p| !p.as_os_str().is_empty())
            } else {
                Some(probe)
            };
            let folder = folder.unwrap_or(std::path::Path::new("."));
            return std::fs::canonicalize(folder).is_ok_and(|f| f.starts_with(&out));
        }
        match at.parent() {
            Some(p) => at = p,
            None => return false,
        }
    }
}

fn report(
    out_dir: &std::path::Path,
    html: Option<&std::path::Path>,
    at: Option<&str>,
    force: bool,
) -> Result<(), ancillary::Error> {
    use ancillary::output::dir;
    let shown = html.map_or_else(|| out_dir.join("report.html"), PathBuf::from);
    match html {
        Some(path) => {
            if html_inside(out_dir, path) {
                return Err(ancillary::Error::Output(
                    path.to_path_buf(),
                    format!(
                        "is inside the output folder {}, whose manifest would not list it (the next run would refuse the folder as not ours): use `ancillary report {}`, which adds report.html to the folder and its manifest, or give --html a path outside it",
                        out_dir.display(),
                        out_dir.display()
                    ),
                ));
            }
            let files = ancillary::audit::results::read_dir(out_dir)?;
            let page = ancillary::output::report::render(&files, at)?;
            dir::write_file(path, page.as_bytes(), force)?;
        }
        None => {
            // Held from reading to writing, so the report is of the output it lands in.
            let lock = dir::lock(out_dir)?;
            let files = ancillary::audit::results::read_dir(out_dir)?;
            let page = ancillary::output::report::render(&files, at)?;
            let add = BTreeMap::from([("report.html".to_string(), page.into_bytes())]);
            lock.add(&add, force)?;
        }
    }
    eprintln!("wrote {}", shown.display());
    Ok(())
}

fn batch(
    scenarios: &[PathBuf],
    out: &std::path::Path,
    shard: Option<(usize, usize)>,
    options: ancillary::batch::Options,
) -> Result<bool, ancillary::Error> {
    let all = ancillary::batch::collect(scenarios)?;
    let jobs_list = match shard {
        Some((k, n)) => ancillary::batch::shard(all, k, n),
        None => all,
    };
    let outcomes = ancillary::batch::run_batch(jobs_list, out, options)?;
    let path = out.join(ancillary::batch::summary_name(shard));
    ancillary::output::dir::write_file(&path, &ancillary::batch::summary_csv(&outcomes), true)?;
    let failed: Vec<_> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    for o in &failed {
        eprintln!(
            "error: {}: {}",
            o.job.dir.display(),
            o.result.as_ref().err().map_or("", |e| e.as_str())
        );
    }
    eprintln!(
        "{} scenarios, {} failed; summary in {}",
        outcomes.len(),
        failed.len(),
        path.display()
    );
    Ok(!failed.is_empty())
}

fn sweep(
    scenario: &std::path::Path,
    settings: &[ancillary::batch::Setting],
    out: &std::path::Path,
    options: ancillary::batch::Options,
) -> Result<bool, ancillary::Error> {
    let rows = ancillary::batch::run_sweep(scenario, settings, out, options)?;
    let table = ancillary::batch::sweep_csv(settings, &rows);
    let path = out.join("sweep_summary.csv");
    ancillary::output::dir::write_file(&path, &table, true)?;
    print!("{}", String::from_utf8_lossy(&table));
    eprintln!("summary in {}", path.display());
    Ok(rows.iter().any(|(_, o)| o.result.is_err()))
}

fn diff(
    expected: &std::path::Path,
    actual: &std::path::Path,
    tol: ancillary::diff::Tolerances,
) -> Result<bool, ancillary::Error> {
    for dir in [expected, actual] {
        if !dir.is_dir() {
            return Err(ancillary::InputError::new(
                ancillary::ErrorKind::MissingFile,
                dir.display().to_string(),
                "is not a folder",
            )
            .into());
        }
    }
    let a = ancillary::audit::results::read_dir(expected)?;
    let b = ancillary::audit::results::read_dir(actual)?;
    let differences = ancillary::diff::diff(&a, &b, tol)?;
    for d in &differences {
        println!("{d}");
    }
    if differences.is_empty() {
        eprintln!("no differences ({} files)", a.len().max(b.len()));
    } else {
        eprintln!("{} differences", differences.len());
    }
    Ok(!differences.is_empty())
}

fn audit(
    scenario: &std::path::Path,
    results: Option<&std::path::Path>,
    out: Option<&std::path::Path>,
    force: bool,
) -> Result<Vec<ancillary::audit::Check>, ancillary::Error> {
    // Held from reading the results to writing the audit beside them.
    let lock = out
        .or(results)
        .map(ancillary::output::dir::lock)
        .transpose()?;
    let (s, checks) = ancillary::audit::audit_dir(scenario, results)?;
    print!("{}", ancillary::audit::to_table(&checks));
    if let Some(lock) = lock {
        let files = BTreeMap::from([
            ("audit.csv".to_string(), ancillary::audit::to_csv(&checks)),
            (
                "audit.json".to_string(),
                ancillary::audit::to_json(&s, &checks),
            ),
        ]);
        lock.add(&files, force)?;
        if let Some(dir) = out.or(results) {
            eprintln!("wrote {}/audit.csv and audit.json", dir.display());
        }
    } else {
        eprintln!("audit.csv and audit.json not written: give --out DIR to keep them");
    }
    Ok(checks)
}

/// `ancillary caps`: prints the caps of the grid `province` names on `date`.
fn caps(province: &str, date: Option<&str>) -> Result<bool, ancillary::Error> {
    use ancillary::{ErrorKind, InputError};
    let grid = match ancillary::rules::province::resolve(province) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return Err(InputError::new(
                ErrorKind::Invalid,
                "PROVINCE",
                "\"none\" names no grid: give a provincial grid of data/provinces.csv",
            )
            .into());
        }
        Err(rule) => return Err(InputError::new(ErrorKind::Invalid, "PROVINCE", rule).into()),
    };
    let day = match date {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| {
            InputError::new(
                ErrorKind::Invalid,
                "--date",
                format!("{d:?} is not a day YYYY-MM-DD: {e}"),
            )
        })?,
        // Today, UTC (chrono is built without its clock: the days since 1970-01-01).
        None => {
            let days = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() / 86_400);
            chrono::NaiveDate::default() + chrono::Days::new(days)
        }
    };
    print!("{}", ancillary::reference::render(grid, day));
    Ok(false)
}

fn main() -> ExitCode {
    // A file size limit (`ulimit -f`) then fails the write with EFBIG, and the run exits 2 as
    // on a full disk, its staging removed, instead of being killed by SIGXFSZ mid-write.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN at startup, before any thread runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Run {
            scenario,
            out,
            force,
            report,
            quiet,
            solver,
            format,
            write_lp,
        } => {
            let options = ancillary::RunOptions {
                force,
                report,
                progress: !quiet,
                solver,
                format,
                write_lp,
            };
            match ancillary::run_to_dir_with(&scenario, &out, &options) {
                Ok(ancillary::Ran { warnings, summary }) => {
                    // A long run can warn about hundreds of units: the first few here, all of
                    // them in summary.json.
                    const SHOWN: usize = 20;
                    for w in warnings.iter().take(SHOWN) {
                        eprintln!("warning: {w}");
                    }
                    if warnings.len() > SHOWN {
                        eprintln!(
                            "warning: … and {} more, all listed under \"warnings\" in {}",
                            warnings.len() - SHOWN,
                            out.join("summary.json").display()
                        );
                    }
                    for line in totals(&summary) {
                        eprintln!("{line}");
                    }
                    eprintln!("wrote {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => exit(Err(e)),
            }
        }
        Command::Audit {
            scenario,
            results,
            out,
            force,
            accept_unverified,
        } => match audit(&scenario, results.as_deref(), out.as_deref(), force) {
            Ok(checks) => ExitCode::from(ancillary::audit::exit_status(&checks, accept_unverified)),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Report {
            out_dir,
            html,
            at,
            force,
        } => exit(report(&out_dir, html.as_deref(), at.as_deref(), force).map(|()| false)),
        Command::Generate {
            units,
            days,
            interval_minutes,
            seed,
            spot,
            buses,
            line_limit_share,
            out,
        } => exit(
            ancillary::generate::scenario(ancillary::generate::Size {
                units,
                days,
                interval_minutes,
                seed,
                continuous: spot == "continuous",
            })
            .and_then(|mut files| match buses {
                Some(buses) => {
                    ancillary::generate::add_network(&mut files, buses, line_limit_share, seed)
                        .map(|()| files)
                }
                None => Ok(files),
            })
            .map_err(ancillary::Error::from)
            .and_then(|files| ancillary::import::write(&out, &files))
            .map(|()| {
                eprintln!("wrote {}", out.display());
                false
            }),
        ),
        Command::Import {
            source:
                ImportSource::RtsGmlc {
                    rts_dir,
                    day,
                    days,
                    out,
                    copper_plate,
                },
        } => exit(
            ancillary::import::rts_gmlc(
                &rts_dir,
                day,
                days,
                if copper_plate {
                    ancillary::import::Grid::CopperPlate
                } else {
                    ancillary::import::Grid::Network
                },
            )
            .map_err(ancillary::Error::from)
            .and_then(|files| ancillary::import::write(&out, &files))
            .map(|()| {
                eprintln!("wrote {}", out.display());
                false
            }),
        ),
        Command::Caps { province, date } => exit(caps(&province, date.as_deref())),
        Command::New {
            scenario,
            province,
            spot,
            peak_cap,
            peak_cap_source,
        } => exit(
            ancillary::new::scaffold(
                &scenario,
                &ancillary::new::Options {
                    continuous: match spot.as_deref() {
                        Some(s) => s == "continuous",
                        None => ancillary::new::spot_runs_continuously(&province),
                    },
                    province,
                    peak_cap,
                    peak_cap_source,
                },
            )
            .map(|()| {
                eprintln!(
                    "wrote {}; run it with: ancillary run {} --out out/{}",
                    scenario.display(),
                    scenario.display(),
                    scenario
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().to_string())
                );
                false
            }),
        ),
        Command::Batch {
            scenarios,
            out,
            jobs,
            shard,
            merge,
            report,
            quiet,
            format,
        } => {
            if merge {
                match ancillary::batch::merge(&out) {
                    Ok((n, rows)) => {
                        eprintln!(
                            "merged {n} shards, {rows} scenarios, into {}",
                            out.join("batch_summary.csv").display()
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => exit(Err(e)),
                }
            } else {
                let options = ancillary::batch::Options {
                    threads: threads(jobs),
                    report,
                    quiet,
                    format,
                };
                exit(batch(&scenarios, &out, shard, options))
            }
        }
        Command::Sweep {
            scenario,
            settings,
            out,
            jobs,
            quiet,
            format,
        } => {
            let options = ancillary::batch::Options {
                threads: threads(jobs),
                report: false,
                quiet,
                format,
            };
            exit(sweep(&scenario, &settings, &out, options))
        }
        Command::Diff {
            expected,
            actual,
            price_tol,
            money_tol,
        } => exit(diff(
            &expected,
            &actual,
            ancillary::diff::Tolerances {
                price: price_tol,
                money: money_tol,
            },
        )),
    }
}

/// 0 when fine, 1 when a check found something, 2 on error.
fn exit(result: Result<bool, ancillary::Error>) -> ExitCode {
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                ancillary::Error::Input(e) if e.kind == ancillary::ErrorKind::Solver => {
                    ExitCode::from(4)
                }
                _ => ExitCode::from(2),
            }
        }
    }
}

/// One line per product of a run's `summary.json`: what was cleared against what was asked,
/// the dearest price, what was paid, and how many offers were refused (and where to look).
fn totals(summary: &serde_json::Value) -> Vec<String> {
    let Some(products) = summary["products"].as_object() else {
        return Vec::new();
    };
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    products
        .iter()
        .map(|(product, p)| {
            let short = p["intervals_with_shortfall"].as_u64().unwrap_or(0);
            let refused = p["rejected_offers"].as_u64().unwrap_or(0);
            let mut line = format!(
                "{product}: {} of {} MW cleared on average over {} intervals",
                ancillary::output::report::thousands(&text(&p["mean_cleared_mw"])),
                ancillary::output::report::thousands(&text(&p["mean_requirement_mw"])),
                text(&p["intervals"]),
            );
            if short > 0 {
                line.push_str(&format!(" (short in {short})"));
            }
            line.push_str(&format!(
                ", price up to {} {}",
                text(&p["max_price"]),
                text(&p["price_unit"]),
            ));
            // Energy is cleared with the services but not settled here: nothing is paid for it.
            if product != "energy" {
                line.push_str(&format!(
                    ", paid {} yuan",
                    ancillary::output::report::thousands(&text(&p["compensation_yuan"]))
                ));
            }
            if refused > 0 {
                let s = if refused == 1 { "" } else { "s" };
                line.push_str(&format!(
                    "; {refused} offer{s} refused (reasons in rejected_offers.csv)"
                ));
            }
            line
        })
        .collect()
}

/// A tolerance: a number ≥ 0, plain or scientific (`1e-6`).
fn tolerance(s: &str) -> Result<rust_decimal::Decimal, String> {
    use std::str::FromStr;
    rust_decimal::Decimal::from_str(s)
        .or_else(|_| rust_decimal::Decimal::from_scientific(s))
        .ok()
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| format!("must be a number ≥ 0, got {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every subcommand says what it does, and every argument and option has a description.
    /// fr-basic's golden summary: mean cleared 118.75 of 121.25 MW over 4 intervals, short in
    /// 1, max 15 yuan/MW, compensation 5976.90, 1 offer refused.
    #[test]
    fn a_run_ends_with_a_line_of_totals_per_product() {
        let summary: serde_json::Value =
            serde_json::from_str(include_str!("../tests/golden/fr-basic/summary.json")).unwrap();
        assert_eq!(
            totals(&summary),
            [
                "fr: 118.75 of 121.25 MW cleared on average over 4 intervals (short in 1), price up to 15 yuan/MW, paid 5,976.90 yuan; 1 offer refused (reasons in rejected_offers.csv)"
            ]
        );
        use ancillary::output::report::thousands;
        assert_eq!(thousands("578892.13"), "578,892.13");
        assert_eq!(thousands("-1234567"), "-1,234,567");
        assert_eq!(thousands("999.5"), "999.5");
        assert_eq!(thousands("0.00"), "0.00");
        assert_eq!(thousands("n/a"), "n/a");
    }

    #[test]
    fn every_argument_is_described() {
        fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands() {
                let here = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() {
                    missing.push(format!("{here}: no description"));
                }
                for arg in sub.get_arguments() {
                    let id = arg.get_id().as_str();
                    if !matches!(id, "help" | "version") && arg.get_help().is_none() {
                        missing.push(format!("{here} {id}"));
                    }
                }
                check(sub, &here, missing);
            }
        }
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        let mut missing = Vec::new();
        check(&cmd, "ancillary", &mut missing);
        assert!(missing.is_empty(), "no help for: {missing:?}");
    }
}
