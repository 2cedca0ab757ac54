//! `ancillary caps PROVINCE [--date D]`: the caps that apply in one provincial grid on one day,
//! each with its clause of notice 196 and its source, read from the same rules and tables the
//! run and the audit use (`rules::caps`, `rules::spot`, `data/provinces.csv`,
//! `data/spot_markets.csv`). And the table of every grid for the docs ([`docs_table`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::rules::caps::{
    FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW, PERFORMANCE_FACTOR_LIMIT, peak_price_limit,
};
use crate::rules::province::{self, Grid};
use crate::rules::spot;
use crate::scenario::config::SpotMarket;

/// One cap that applies: what it caps, its value, the clause, where the value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    pub cap: &'static str,
    /// The value with its unit, or why there is none.
    pub value: String,
    pub clause: &'static str,
    pub source: String,
}

/// The grid's spot status on `day` as `data/spot_markets.csv` gives it (a grid without a row
/// is taken as not running continuously: the table says "no data" then, and says so).
pub fn spot_status(grid: Grid, day: NaiveDate) -> (SpotMarket, String) {
    match spot::row(Some(grid)) {
        Some(r) => match r.continuous_since {
            Some(since) if since <= day => (
                SpotMarket::Continuous,
                format!(
                    "continuous since {since} (data/spot_markets.csv, {})",
                    r.firmness
                ),
            ),
            Some(since) => (
                SpotMarket::None,
                format!(
                    "not yet continuous: from {since} (data/spot_markets.csv, {})",
                    r.firmness
                ),
            ),
            None => (
                SpotMarket::None,
                "no continuous-spot date in data/spot_markets.csv".into(),
            ),
        },
        None => (
            SpotMarket::None,
            "no row in data/spot_markets.csv (no data, taken as not continuous)".into(),
        ),
    }
}

/// The caps that apply in `grid` on `day`, in the notice's order.
pub fn caps(grid: Grid, day: NaiveDate) -> Vec<Cap> {
    let (market, status) = spot_status(grid, day);
    let mut out = vec![Cap {
        cap: "spot market",
        value: market.as_str().to_string(),
        clause: "二(一), 五(八), 六(十一)",
        source: status,
    }];
    let benchmark = grid.coal_benchmark_yuan_per_kwh();
    out.push(match (market, peak_price_limit(Some(grid))) {
        (SpotMarket::Continuous, _) => Cap {
            cap: "peak price",
            value: "no peak market".into(),
            clause: "二(一)",
            source: "the peak market does not run where the spot market runs continuously".into(),
        },
        (SpotMarket::None, Some(limit)) => Cap {
            cap: "peak price",
            value: format!("{limit} yuan/MWh"),
            clause: "二(二)",
            source: format!(
                "coal benchmark {} yuan/kWh × 1000 (data/provinces.csv): the local grid-parity price",
                benchmark.unwrap_or_default()
            ),
        },
        (SpotMarket::None, None) => Cap {
            cap: "peak price",
            value: "none in the data".into(),
            clause: "二(二)",
            source: format!(
                "{}: a scenario states it with caps.peak_price_source (the audit reports it unverified)",
                grid.note()
            ),
        },
    });
    out.push(Cap {
        cap: "FR mileage price",
        value: format!("{FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW} yuan/MW"),
        clause: "三(四)",
        source: "notice 196: at most 0.015 yuan/kW".into(),
    });
    out.push(Cap {
        cap: "performance factor K",
        value: PERFORMANCE_FACTOR_LIMIT.to_string(),
        clause: "三(四)",
        source: "notice 196: K at most 2".into(),
    });
    let (energy_value, energy_source) = match spot::energy_cap(Some(grid), market) {
        Some((cap, from)) => (format!("{cap} yuan/MWh"), from),
        None => (
            "none in the data".to_string(),
            "a scenario states it with caps.energy_cap_source (the audit reports it unverified)"
                .to_string(),
        ),
    };
    out.push(Cap {
        cap: "energy-market price",
        value: energy_value.clone(),
        clause: "四(六)",
        source: energy_source,
    });
    out.push(Cap {
        cap: "reserve price",
        value: energy_value,
        clause: "四(六)",
        source: "at most the local energy-market cap".into(),
    });
    out
}

/// `ancillary caps`' text: a header naming the grid and day, then one line a cap.
pub fn render(grid: Grid, day: NaiveDate) -> String {
    let caps = caps(grid, day);
    // Chinese characters take two columns in a terminal.
    fn width(s: &str) -> usize {
        s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
    }
    let w = |f: fn(&Cap) -> usize| caps.iter().map(f).max().unwrap_or(0);
    let (wc, wv, wl) = (
        w(|c| c.cap.chars().count()),
        w(|c| c.value.chars().count()),
        w(|c| width(c.clause)),
    );
    let mut out = format!(
        "{} ({}) on {day}, notice 196 (发改价格〔2024〕196号):\n",
        grid.name(),
        grid.name_zh()
    );
    for c in &caps {
        let clause_pad = wl.saturating_sub(width(c.clause));
        out += &format!(
            "  {:<wc$}  {:<wv$}  {}{}  {}\n",
            c.cap,
            c.value,
            c.clause,
            " ".repeat(clause_pad),
            c.source
        );
    }
    out
}

/// A cell of the docs table: the value, or `—`.
fn cell(v: Option<Decimal>) -> String {
    v.map_or("—".to_string(), |v| v.to_string())
}

/// The docs' table of every grid (docs/scenario-format.md, "Caps by grid"), generated from the
/// data; a test checks the docs carry it as generated.
pub fn docs_table() -> String {
    let mut out = String::from(
        "| grid | 电网 | peak cap without spot, 元/MWh (二(二)) | energy and reserve cap without spot, 元/MWh (四(六)) | continuous spot since | energy and reserve cap under continuous spot, 元/MWh (四(六)) |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for g in province::grids() {
        let row = spot::row(Some(g));
        out += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            g.name(),
            g.name_zh(),
            cell(peak_price_limit(Some(g))),
            cell(spot::energy_cap(Some(g), SpotMarket::None).map(|c| c.0)),
            row.and_then(|r| r.continuous_since)
                .map_or("—".to_string(), |d| d.to_string()),
            cell(row.and_then(|r| r.price_cap_yuan_per_mwh)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(name: &str) -> Grid {
        province::resolve(name).unwrap().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// docs/scenario-format.md carries [`docs_table`] between its markers, as generated
    /// (`ANCILLARY_BLESS=1 cargo test --lib reference` rewrites it).
    #[test]
    fn the_docs_table_is_the_data() {
        const BEGIN: &str = "<!-- caps-table: generated by ancillary::reference::docs_table -->\n";
        const END: &str = "<!-- /caps-table -->";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario-format.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let start = docs
            .find(BEGIN)
            .expect("the docs have the caps table's markers")
            + BEGIN.len();
        let end = docs[start..].find(END).unwrap() + start;
        let want = docs_table();
        if std::env::var_os("ANCILLARY_BLESS").is_some() {
            std::fs::write(path, format!("{}{want}{}", &docs[..start], &docs[end..])).unwrap();
        } else {
            assert_eq!(
                &docs[start..end],
                want,
                "bless with ANCILLARY_BLESS=1 cargo test --lib reference"
            );
        }
        // Every grid has a row: 33 grids and the two header lines.
        assert_eq!(want.lines().count(), 35);
        assert!(want.contains("| Tibet | 西藏 | — | — | — | — |"), "{want}");
        assert!(
            want.contains("| Shandong | 山东 | 394.9 | 473.88 | 2021-12-01 | 1500 |"),
            "{want}"
        );
    }

    #[test]
    fn hunan_without_spot() {
        // Hunan: benchmark 0.45 yuan/kWh → peak cap 450 yuan/MWh; no spot row, so the energy
        // cap is the benchmark + 20 %: 0.45 × 1.2 × 1000 = 540, and the reserve cap with it.
        let c = caps(grid("湖南"), d("2024-03-01"));
        let value = |cap: &str| c.iter().find(|c| c.cap == cap).unwrap().value.clone();
        assert_eq!(value("spot market"), "none");
        assert_eq!(value("peak price"), "450 yuan/MWh");
        assert_eq!(value("FR mileage price"), "15 yuan/MW");
        assert_eq!(value("performance factor K"), "2");
        assert_eq!(value("energy-market price"), "540 yuan/MWh");
        assert_eq!(value("reserve price"), "540 yuan/MWh");
    }

    #[test]
    fn shandong_by_date() {
        // Shandong's continuous spot from 2021-12-01: before, a peak cap of 394.9 and an energy
        // cap of 0.3949 × 1.2 × 1000 = 473.88; from that day, no peak market and the spot cap
        // 1500.
        let before = caps(grid("Shandong"), d("2021-11-30"));
        let after = caps(grid("Shandong"), d("2021-12-01"));
        let value = |c: &[Cap], cap: &str| c.iter().find(|c| c.cap == cap).unwrap().value.clone();
        assert_eq!(value(&before, "peak price"), "394.9 yuan/MWh");
        assert_eq!(value(&before, "energy-market price"), "473.88 yuan/MWh");
        assert_eq!(value(&after, "peak price"), "no peak market");
        assert_eq!(value(&after, "energy-market price"), "1500 yuan/MWh");
    }
}
