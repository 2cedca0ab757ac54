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
        } => match audit(&scenario, results.as_deref(), out.as_deref()) {
            Ok(false) => ExitCode::SUCCESS,
            Ok(true) => ExitCode::from(1),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
