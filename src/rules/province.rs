//! Provincial reference data shipped in `data/provinces.csv` (source in
//! `data/provinces.SOURCE.md`): every provincial grid's coal benchmark price (燃煤发电基准价),
//! the peak cap's limit under notice 196 §二(二).
//!
//! A scenario's `province` is resolved once, strictly, when it loads ([`resolve`]): to exactly
//! one grid, found by its English (pinyin) name, its Chinese name, or an alias (the full
//! Chinese name, sub-grid names), in any case, with or without `省`, `市` or ` Province`; or
//! the load is refused naming the grids. Hebei and Inner Mongolia each have two grids with
//! their own benchmark, so the whole province is refused: name the grid. Tibet is a grid with
//! no benchmark in the source table. `"none"` marks a system outside China.

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

/// The whole provinces with two grids, each grid with its own benchmark: a scenario must name
/// the grid (the whole province's row carries no price, only a note saying which).
const SPLIT: [(&str, [&str; 2]); 2] = [
    ("Hebei", ["Hebei South", "Hebei North"]),
    ("Inner Mongolia", ["Mengxi", "Mengdong"]),
];

/// `province = "none"`: a system outside China (a test system such as RTS-GMLC). No grid, so
/// every check that turns on the province (its benchmark, its spot status, its energy cap)
/// rests on the scenario's own settings.
pub const OUTSIDE_CHINA: &str = "none";

/// One provincial grid of `data/provinces.csv`: every row but the whole provinces with two
/// grids. Resolved once, when a scenario loads ([`resolve`]); the run and the audit share it.
#[derive(Debug, Clone, Copy)]
pub struct Grid(&'static Province);

impl Grid {
    /// As the table names it (`Jiangsu`, `Hebei North`, `Mengxi`).
    pub fn name(self) -> &'static str {
        &self.0.name
    }

    pub fn name_zh(self) -> &'static str {
        &self.0.name_zh
    }

    /// 元/kWh; `None` for Tibet, which has none in the source table.
    pub fn coal_benchmark_yuan_per_kwh(self) -> Option<Decimal> {
        self.0.coal_benchmark_yuan_per_kwh
    }

    /// Why the grid has no benchmark (empty where it has one).
    pub fn note(self) -> &'static str {
        &self.0.note
    }

    /// The row.
    pub fn row(self) -> &'static Province {
        self.0
    }
}

/// A name as compared: trimmed, lower case, without a trailing `省`, `市` or ` Province`, so
/// that `Shandong`, `山东省`, `Shandong Province` and `shandong province` are one key.
fn key(name: &str) -> String {
    let mut k = name.trim().to_lowercase();
    for suffix in [" province", "province", "省", "市"] {
        if let Some(stem) = k.strip_suffix(suffix)
            && !stem.trim().is_empty()
        {
            k = stem.trim_end().to_string();
            break;
        }
    }
    k
}

/// The row `name` names: by English (pinyin) name, Chinese name or alias, in any case, with or
/// without `省`, `市` or ` Province`.
fn find(name: &str) -> Option<&'static Province> {
    let wanted = key(name);
    PROVINCES.iter().find(|p| {
        key(&p.name) == wanted
            || key(&p.name_zh) == wanted
            || p.aliases.iter().any(|a| key(a) == wanted)
    })
}

/// Every grid of the table, in its order (Tibet included: a grid without a benchmark).
pub fn grids() -> impl Iterator<Item = Grid> {
    PROVINCES
        .iter()
        .filter(|p| !SPLIT.iter().any(|(whole, _)| *whole == p.name))
        .map(Grid)
}

/// The grids as a list for messages: `Beijing (北京), …, Tibet (西藏, no benchmark), …`.
pub fn grid_list() -> String {
    grids()
        .map(|g| match g.coal_benchmark_yuan_per_kwh() {
            Some(_) => format!("{} ({})", g.name(), g.name_zh()),
            None => format!("{} ({}, no benchmark)", g.name(), g.name_zh()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a scenario's `province` names, strictly: exactly one grid, or `None` for
/// [`OUTSIDE_CHINA`]; else why not, as a sentence naming the grids (a whole province with two
/// grids must name one; a name the table does not know gets its near miss, if any).
pub fn resolve(name: &str) -> Result<Option<Grid>, String> {
    if name.trim() == OUTSIDE_CHINA {
        return Ok(None);
    }
    match find(name) {
        Some(p) => match SPLIT.iter().find(|(whole, _)| *whole == p.name) {
            None => Ok(Some(Grid(p))),
            Some((_, [a, b])) => {
                let zh = |n: &str| find(n).map_or(String::new(), |p| p.name_zh.clone());
                Err(format!(
                    "{:?} is {} ({}), which has two grids with their own coal benchmark: name the grid, {a} ({}) or {b} ({}) (notice 196 §二(二) caps peak prices at the local benchmark)",
                    name,
                    p.name,
                    p.name_zh,
                    zh(a),
                    zh(b)
                ))
            }
        },
        None => {
            let known: Vec<&'static str> = PROVINCES
                .iter()
                .flat_map(|p| {
                    std::iter::once(p.name.as_str()).chain(p.aliases.iter().map(String::as_str))
                })
                .collect();
            let near = crate::scenario::folder::near_miss(name.trim(), &known)
                .map_or(".".to_string(), |c| format!("; did you mean {c}?"));
            Err(format!(
                "{name:?} is not a provincial grid in data/provinces.csv{near} The grids are: {}; or \"{OUTSIDE_CHINA}\" for a system outside China (every check that turns on the province then rests on the scenario's settings)",
                grid_list()
            ))
        }
    }
}

/// Why a scenario's grid gives no peak-cap limit, as a phrase for messages.
pub fn why_no_benchmark(grid: Option<Grid>) -> String {
    match grid {
        Some(g) if g.coal_benchmark_yuan_per_kwh().is_some() => String::new(),
        Some(g) => format!("{} ({}): {}", g.name(), g.name_zh(), g.note()),
        None => format!(
            "province = \"{OUTSIDE_CHINA}\": not a Chinese provincial grid, so data/provinces.csv gives no benchmark"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn benchmark(name: &str) -> Option<Decimal> {
        resolve(name)
            .unwrap()
            .unwrap()
            .coal_benchmark_yuan_per_kwh()
    }

    #[test]
    fn resolves_by_any_name_and_form() {
        for name in [
            "Jiangsu",
            "jiangsu",
            "JIANGSU",
            "江苏",
            "江苏省",
            "Jiangsu Province",
            "jiangsu province",
            " Jiangsu ",
        ] {
            assert_eq!(benchmark(name), Some(dec!(0.391)), "{name}");
        }
        assert_eq!(benchmark("广东"), Some(dec!(0.453)));
        assert_eq!(benchmark("北京市"), Some(dec!(0.3598)));
        assert_eq!(benchmark("Beijing"), Some(dec!(0.3598)));
        assert_eq!(benchmark("重庆市"), Some(dec!(0.3964)));
        assert_eq!(benchmark("冀北电网"), Some(dec!(0.372)));
        assert_eq!(benchmark("Inner Mongolia West"), Some(dec!(0.2829)));
        assert_eq!(benchmark("Tibet"), None);
        assert_eq!(resolve("Xizang").unwrap().unwrap().name(), "Tibet");
        assert!(resolve("none").unwrap().is_none());
    }

    #[test]
    fn a_whole_province_with_two_grids_or_an_unknown_name_is_refused_naming_the_grids() {
        for (name, says) in [
            ("Hebei", "Hebei South (冀南) or Hebei North (冀北)"),
            ("河北省", "Hebei South (冀南) or Hebei North (冀北)"),
            ("内蒙古", "Mengxi (蒙西) or Mengdong (蒙东)"),
            ("Inner Mongolia", "Mengxi (蒙西) or Mengdong (蒙东)"),
        ] {
            assert!(resolve(name).unwrap_err().contains(says), "{name}");
        }
        let e = resolve("Jaingsu").unwrap_err();
        assert!(e.contains("did you mean Jiangsu?"), "{e}");
        assert!(e.contains("Tibet (西藏, no benchmark)"), "{e}");
        let e = resolve("Atlantis").unwrap_err();
        assert!(
            e.contains("The grids are: Beijing (北京), Tianjin (天津), Hebei South"),
            "{e}"
        );
        assert!(resolve("RTS-GMLC").is_err());
        // 31 mainland provincial-level regions, Hebei and Inner Mongolia split into two grids
        // each: 33 grids, Tibet among them (without a benchmark).
        assert_eq!(grids().count(), 33);
        assert_eq!(
            grids()
                .filter(|g| g.coal_benchmark_yuan_per_kwh().is_none())
                .count(),
            1
        );
        // The whole provinces' rows carry no price (the table asks for the grid).
        for (whole, _) in SPLIT {
            let p = find(whole).unwrap();
            assert!(p.coal_benchmark_yuan_per_kwh.is_none(), "{whole}");
        }
    }
}
