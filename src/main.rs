//! The `ancillary` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ancillary",
    version,
    about = "Ancillary-service markets under notice 196 (发改价格〔2024〕196号): peak regulation (调峰), frequency regulation (调频) and reserve (备用), cleared, priced and billed.",
    after_help = "Examples:\n  ancillary run scenarios/fr-basic --out /tmp/fr-basic\n  ancillary audit scenarios/jiangsu-typical-day\n\nExit status: 0 success, 1 audit failures or differences, 2 bad input or usage (message on stderr)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Clear, price and bill one scenario folder and write the results to OUT_DIR.
    #[command(
        after_help = "Examples:\n  ancillary run scenarios/fr-basic --out /tmp/fr-basic\n\nWrites clearing.csv, awards.csv, settlement.csv, rejected_offers.csv,\nperformance_factors.csv and summary.json. Nothing is written if the run fails.\nAn existing OUT_DIR is replaced only if it holds an earlier ancillary output;\nany other existing folder needs --force (then only our files are written into it)."
    )]
    Run {
        /// Scenario folder (scenario.toml and CSV files).
        scenario: PathBuf,
        /// Output folder.
        #[arg(long, short)]
        out: PathBuf,
        /// Write into an existing folder that is not an earlier ancillary output.
        #[arg(long)]
        force: bool,
    },
    /// Check a scenario's rules and results against notice 196, clause by clause.
    #[command(
        after_help = "Examples:\n  ancillary audit scenarios/jiangsu-typical-day\n  ancillary audit scenarios/fr-basic --results out/fr-basic\n\nWithout --results the scenario is run first. Writes audit.csv and audit.json to --out,\nor into the --results folder. Exit status: 0 nothing fails, 1 a rule fails, 2 bad input."
    )]
    Audit {
        /// Scenario folder.
        scenario: PathBuf,
        /// An output folder of `ancillary run` for this scenario.
        #[arg(long)]
        results: Option<PathBuf>,
        /// Where to write audit.csv and audit.json (default: the --results folder).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Compare two output folders row by row; exit 1 when they differ.
    #[command(
        after_help = "Examples:\n  ancillary diff tests/golden/fr-basic out/fr-basic\n  ancillary diff expected/ actual/ --price-tol 1e-4 --money-tol 0.01\n\nRows are matched by their keys (time, product, unit / party, item). Money columns\n(*_yuan) must match within --money-tol, other numbers within --price-tol.\nExit status: 0 equal, 1 different, 2 unreadable input."
    )]
    Diff {
        expected: PathBuf,
        actual: PathBuf,
        /// Absolute tolerance on prices and quantities.
        #[arg(long, default_value = "1e-6", value_parser = tolerance)]
        price_tol: rust_decimal::Decimal,
        /// Absolute tolerance on money, 元 (0: to the fen).
        #[arg(long, default_value = "0", value_parser = tolerance)]
        money_tol: rust_decimal::Decimal,
    },
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
) -> Result<bool, ancillary::Error> {
    let (s, checks) = ancillary::audit::audit_dir(scenario, results)?;
    print!("{}", ancillary::audit::to_table(&checks));
    if let Some(dir) = out.or(results) {
        let files = [
            ("audit.csv", ancillary::audit::to_csv(&checks)),
            ("audit.json", ancillary::audit::to_json(&s, &checks)),
        ];
        std::fs::create_dir_all(dir).map_err(|e| ancillary::Error::io(dir, e))?;
        for (name, bytes) in files {
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes).map_err(|e| ancillary::Error::io(&tmp, e))?;
            std::fs::rename(&tmp, dir.join(name))
                .map_err(|e| ancillary::Error::io(dir.join(name), e))?;
        }
        eprintln!("wrote {}/audit.csv and audit.json", dir.display());
    }
    Ok(checks
        .iter()
        .any(|c| c.status == ancillary::audit::Status::Fail))
}

fn main() -> ExitCode {
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
        } => match ancillary::run_to_dir(&scenario, &out, force) {
            Ok(warnings) => {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                eprintln!("wrote {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Audit {
            scenario,
            results,
            out,
        } => exit(audit(&scenario, results.as_deref(), out.as_deref())),
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
            ExitCode::from(2)
        }
    }
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
