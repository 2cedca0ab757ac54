//! The `ancillary` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ancillary",
    version,
    about = "Ancillary-service markets under notice 196 (发改价格〔2024〕196号): peak regulation (调峰), frequency regulation (调频) and reserve (备用), cleared, priced and billed.",
    after_help = "Examples:\n  ancillary run scenarios/fr-basic --out /tmp/fr-basic\n  ancillary run scenarios/jiangsu-typical-day --out out/jiangsu --force\n\nExit status: 0 success, 2 bad input or usage (message on stderr)."
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
    }
}
