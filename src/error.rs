//! Errors a user can act on: every input error names the file, the line (the header is line 1),
//! the column and the rule broken, as one sentence.

use std::fmt;
use std::path::PathBuf;

/// What kind of rule an input broke. Callers and tests match on it; the text is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A required file is not in the scenario folder.
    MissingFile,
    /// A file exists but cannot be read or is not valid CSV/TOML/UTF-8.
    Unreadable,
    /// A required column is absent from a CSV header.
    MissingColumn,
    /// A value does not parse (number, time, boolean, name from a fixed list).
    Parse,
    /// A value parses but breaks a rule (negative, out of range, above capacity, …).
    Invalid,
    /// A row names something that does not exist (an unknown unit, say).
    UnknownReference,
    /// A key that must be unique appears twice.
    Duplicate,
    /// The scenario as a whole is refused by a rule of the notice.
    Refused,
    /// Not the input's fault: the solver failed on a problem the input rules let through
    /// (a limit of the solver or a bug of ours). No file, line or column; the CLI exits 4.
    Solver,
}

/// An error in a scenario's input, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub kind: ErrorKind,
    /// File name inside the scenario folder, e.g. `units.csv`.
    pub file: String,
    /// Line as an editor counts it (the CSV header is line 1).
    pub line: Option<u64>,
    /// Column (CSV) or key (TOML) name.
    pub column: Option<String>,
    /// The rule broken, as a phrase: `must be > 0, got -600`.
    pub rule: String,
}

impl InputError {
    pub fn new(kind: ErrorKind, file: impl Into<String>, rule: impl Into<String>) -> Self {
        InputError {
            kind,
            file: file.into(),
            line: None,
            column: None,
            rule: rule.into(),
        }
    }

    /// A failure of the solver, not of any file ([`ErrorKind::Solver`]).
    pub fn solver(rule: impl Into<String>) -> Self {
        InputError::new(ErrorKind::Solver, "", rule)
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ErrorKind::Solver {
            return write!(f, "{}", self.rule);
        }
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
            if self.column.is_some() {
                write!(f, ",")?;
            }
        }
        if let Some(column) = &self.column {
            let word = if self.file.ends_with(".toml") {
                "key"
            } else {
                "column"
            };
            write!(f, " {word} {column}")?;
        }
        write!(f, ": {}", self.rule)
    }
}

impl std::error::Error for InputError {}

/// Anything `run` can fail with. All of them are the user's to fix, so the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0}: exists and is not an earlier ancillary output; choose another folder or pass --force to write into it"
    )]
    OutputNotOurs(PathBuf),
    #[error("{0}: {1}")]
    Output(PathBuf, String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
