//! Provincial reference data shipped in `data/provinces.csv` (source in
//! `data/provinces.SOURCE.md`): every provincial grid's coal benchmark price (燃煤发电基准价),
//! the peak cap's limit under notice 196 §二(二).
//!
//! A grid is found by its English (pinyin) name, its Chinese name, or an alias (the full
//! Chinese name, sub-grid names), in any ASCII case. Hebei and Inner Mongolia each have two
//! grids with their own benchmark, so the whole province names none; Tibet has no benchmark in
//! the source table.

use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::Decimal;

const TABLE: &str = include_str!("../../data/provinces.csv");

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Province {
    pub name: String,
    pub name_zh: String,
    /// 元/kWh; `None` where the row names no single benchmark (see `note`).
    pub coal_benchmark_yuan_per_kwh: Option<Decimal>,
    pub aliases: Vec<String>,
    /// Why a row has no benchmark, and what to do instead.
    pub note: String,
}

static PROVINCES: LazyLock<Vec<Province>> = LazyLock::new(|| {
    let mut reader = csv::Reader::from_reader(TABLE.as_bytes());
    reader
        .records()
        .flatten()
        .map(|r| Province {
            name: r.get(0).unwrap_or("").to_string(),
            name_zh: r.get(1).unwrap_or("").to_string(),
            coal_benchmark_yuan_per_kwh: r.get(2).and_then(|p| Decimal::from_str(p.trim()).ok()),
            aliases: r
                .get(3)
                .unwrap_or("")
                .split('|')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
            note: r.get(4).unwrap_or("").to_string(),
        })
        .collect()
});

/// What a scenario's `province` names.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A grid with its benchmark.
    Found(&'static Province),
    /// A province in the table without a single benchmark (Hebei, Inner Mongolia, Tibet).
    NoBenchmark(&'static Province),
    /// Not in the table; the closest name when one is near (a likely misspelling).
    Unknown { closest: Option<&'static str> },
}

/// Looks `name` up by English name, Chinese name or alias.
pub fn lookup(name: &str) -> Lookup {
    let wanted = name.trim().to_lowercase();
    let matches = |p: &Province| {
        p.name.to_lowercase() == wanted
            || p.name_zh == wanted
            || p.aliases.iter().any(|a| a.to_lowercase() == wanted)
    };
    match PROVINCES.iter().find(|p| matches(p)) {
        Some(p) if p.coal_benchmark_yuan_per_kwh.is_some() => Lookup::Found(p),
        Some(p) => Lookup::NoBenchmark(p),
        None => {
            let known: Vec<&'static str> = PROVINCES
                .iter()
                .flat_map(|p| {
                    std::iter::once(p.name.as_str()).chain(p.aliases.iter().map(String::as_str))
                })
                .collect();
            Lookup::Unknown {
                closest: crate::scenario::folder::near_miss(name.trim(), &known),
            }
        }
    }
}

/// A province's coal benchmark price (燃煤发电基准价), 元/kWh, by any of its names.
pub fn coal_benchmark_yuan_per_kwh(province: &str) -> Option<Decimal> {
    match lookup(province) {
        Lookup::Found(p) => p.coal_benchmark_yuan_per_kwh,
        _ => None,
    }
}

/// Why `province` gives no peak-cap limit, as a phrase for messages.
pub fn why_no_benchmark(province: &str) -> String {
    match lookup(province) {
        Lookup::Found(_) => String::new(),
        Lookup::NoBenchmark(p) => format!("{} ({}): {}", p.name, p.name_zh, p.note),
        Lookup::Unknown { closest: Some(c) } => {
            format!(
                "{province:?} is not a provincial grid in data/provinces.csv; did you mean {c}?"
            )
        }
        Lookup::Unknown { closest: None } => {
            format!("{province:?} is not a provincial grid in data/provinces.csv")
        }
    }
}

/// The grids with a benchmark, English names.
pub fn names() -> Vec<&'static str> {
    PROVINCES
        .iter()
        .filter(|p| p.coal_benchmark_yuan_per_kwh.is_some())
        .map(|p| p.name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn looks_up_by_any_name() {
        assert_eq!(coal_benchmark_yuan_per_kwh("Jiangsu"), Some(dec!(0.391)));
        assert_eq!(coal_benchmark_yuan_per_kwh("jiangsu"), Some(dec!(0.391)));
        assert_eq!(coal_benchmark_yuan_per_kwh("江苏省"), Some(dec!(0.391)));
        assert_eq!(coal_benchmark_yuan_per_kwh("广东"), Some(dec!(0.453)));
        assert_eq!(coal_benchmark_yuan_per_kwh("冀北电网"), Some(dec!(0.372)));
        assert_eq!(
            coal_benchmark_yuan_per_kwh("Inner Mongolia West"),
            Some(dec!(0.2829))
        );
        assert_eq!(coal_benchmark_yuan_per_kwh("Atlantis"), None);
        // 31 mainland provincial-level regions, Hebei and Inner Mongolia split into two grids
        // each (33), less Tibet, which has no benchmark: 32.
        assert_eq!(names().len(), 32);
    }

    #[test]
    fn whole_provinces_with_two_grids_or_none_say_why() {
        for (name, says) in [
            ("Hebei", "Hebei South (冀南) or Hebei North (冀北)"),
            ("内蒙古", "Mengxi (蒙西) or Mengdong (蒙东)"),
            ("西藏", "no coal benchmark"),
        ] {
            assert!(matches!(lookup(name), Lookup::NoBenchmark(_)), "{name}");
            assert!(why_no_benchmark(name).contains(says), "{name}");
        }
        assert!(why_no_benchmark("Jaingsu").contains("did you mean Jiangsu?"));
        assert!(matches!(
            lookup("RTS-GMLC"),
            Lookup::Unknown { closest: None }
        ));
    }
}
