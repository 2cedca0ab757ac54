//! Progress on stderr: a bar where stderr is a terminal, plain lines elsewhere (a log, CI),
//! nothing when quiet. `run` counts days cleared; `batch` and `sweep` count scenarios.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many plain lines a count of days prints at most (one per tenth of the horizon).
const LINES: u64 = 10;

pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Plain lines instead of a bar.
    lines: bool,
    total: u64,
    /// What is counted, plural: "days", "scenarios".
    what: &'static str,
    done: AtomicU64,
    /// The last tenth of `total` a plain line was printed for.
    tenth: AtomicU64,
}

impl Progress {
    /// Progress over `total` things called `what`; silent when `quiet`.
    pub fn new(total: u64, what: &'static str, quiet: bool) -> Progress {
        let terminal = !quiet && std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let template = format!("{{bar:40}} {{pos}}/{{len}} {what} {{elapsed}} {{msg}}");
            bar.set_style(
                indicatif::ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            lines: !quiet && !terminal,
            total,
            what,
            done: 0.into(),
            tenth: 0.into(),
        }
    }

    /// Shows nothing.
    pub fn hidden() -> Progress {
        Progress::new(0, "", true)
    }

    /// One more thing done, named `note` (a scenario and how it went): on the bar as its
    /// message, or as a line of its own.
    pub fn item(&self, note: &str) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(bar) = &self.bar {
            bar.set_message(note.to_string());
            bar.inc(1);
        } else if self.lines {
            eprintln!("[{n}/{}] {note}", self.total);
        }
    }

    /// `done` things done in all (days of a run): on the bar, or a line each time another
    /// tenth of the total is done, so a year prints ten lines, not 365.
    pub fn reach(&self, done: u64) {
        self.done.store(done, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        } else if self.lines && self.total > 0 {
            let tenth = done * LINES / self.total;
            if tenth > self.tenth.fetch_max(tenth, Ordering::SeqCst) {
                eprintln!(
                    "cleared {done}/{} {} ({} %)",
                    self.total,
                    self.what,
                    done * 100 / self.total
                );
            }
        }
    }

    /// Clears the bar, so that what follows (warnings, the summary) starts on a line of its own.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
