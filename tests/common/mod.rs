//! Building small scenarios in memory for tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use ancillary::InputError;
use ancillary::product::Product;
use ancillary::run::RunResult;
use ancillary::scenario::{self, Scenario};
use rust_decimal::Decimal;

/// A four-interval, 15-minute scenario from 2024-03-01T00:00 in Jiangsu (non-spot).
pub fn toml(extra: &str) -> String {
    format!(
        "name = \"t\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 15\nstart = \"2024-03-01T00:00\"\nintervals = 4\n{extra}"
    )
}

pub const T0: &str = "2024-03-01T00:00";
pub const T1: &str = "2024-03-01T00:15";
pub const T2: &str = "2024-03-01T00:30";
pub const T3: &str = "2024-03-01T00:45";
pub const END: &str = "2024-03-01T01:00";

#[derive(Clone)]
pub struct Case {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Case {
    pub fn new(toml_extra: &str) -> Case {
        let mut files = BTreeMap::new();
        files.insert("scenario.toml".to_string(), toml(toml_extra).into_bytes());
        Case { files }
    }

    pub fn file(mut self, name: &str, text: &str) -> Case {
        self.files
            .insert(name.to_string(), text.as_bytes().to_vec());
        self
    }

    pub fn without(mut self, name: &str) -> Case {
        self.files.remove(name);
        self
    }

    /// Writes the scenario's files into a new folder `dir` (for tests that run the binary).
    pub fn write_to(&self, dir: &std::path::Path) {
        std::fs::create_dir_all(dir).unwrap();
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }

    pub fn load(&self) -> Result<Scenario, InputError> {
        scenario::load_files(&self.files)
    }

    pub fn run(&self) -> RunResult {
        let s = self.load().expect("scenario loads");
        ancillary::run::run(&s).expect("scenario runs")
    }

    pub fn error(&self) -> InputError {
        match self.load() {
            Ok(s) => ancillary::run::run(&s).expect_err("expected an error"),
            Err(e) => e,
        }
    }
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The clearing price of `product` in interval `i`.
pub fn price(r: &RunResult, product: Product, i: usize) -> Decimal {
    r.clearing
        .iter()
        .find(|c| c.product == product && c.interval == i)
        .expect("clearing row")
        .price
}

pub fn clearing(r: &RunResult, product: Product, i: usize) -> ancillary::outcome::ClearingRow {
    r.clearing
        .iter()
        .find(|c| c.product == product && c.interval == i)
        .expect("clearing row")
        .clone()
}

/// Cleared MW of unit index `u` (all bands) in interval `i`.
pub fn cleared(r: &RunResult, product: Product, i: usize, u: usize) -> Decimal {
    r.awards
        .iter()
        .filter(|a| a.product == product && a.interval == i && a.unit == u)
        .map(|a| a.cleared_mw)
        .sum()
}

/// The day's compensation of `party` for `product`, as written (2 decimals).
pub fn paid(r: &RunResult, product: Product, party: &str) -> String {
    r.settlement
        .iter()
        .find(|s| s.product == product && s.party == party)
        .map(|s| s.amount.to_string())
        .unwrap_or_else(|| "none".into())
}

/// The shipped scenario folders (those with a scenario.toml), in name order.
pub fn shipped_scenarios() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}
