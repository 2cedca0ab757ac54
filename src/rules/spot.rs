//! Provincial spot markets, shipped in `data/spot_markets.csv` (source and firmness in
//! `data/spot_markets.SOURCE.md`): which run continuously (现货市场连续运行) and since when,
//! and their price caps. Notice 196 turns on that status (§二(一), §五(八), §六(十一)), and the
//! reserve cap on the local energy-market cap (§四(六)).

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::rules::province::{self, Lookup};
use crate::scenario::config::SpotMarket;

const TABLE: &str = include_str!("../../data/spot_markets.csv");

/// One row of the table.
#[derive(Debug, Clone)]
pub struct SpotMarketRow {
    /// As `provinces.csv` names it.
    pub province: String,
    pub continuous_since: Option<NaiveDate>,
    pub formal_since: Option<NaiveDate>,
    pub price_cap_yuan_per_mwh: Option<Decimal>,
    pub price_floor_yuan_per_mwh: Option<Decimal>,
    pub firmness: String,
}

static ROWS: LazyLock<Vec<SpotMarketRow>> = LazyLock::new(|| {
    let date = |s: Option<&str>| s.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let number = |s: Option<&str>| s.and_then(|s| Decimal::from_str(s.trim()).ok());
    csv::Reader::from_reader(TABLE.as_bytes())
        .records()
        .flatten()
        .map(|r| SpotMarketRow {
            province: r.get(0).unwrap_or("").to_string(),
            continuous_since: date(r.get(1)),
            formal_since: date(r.get(2)),
            price_cap_yuan_per_mwh: number(r.get(3)),
            price_floor_yuan_per_mwh: number(r.get(4)),
            firmness: r.get(5).unwrap_or("").to_string(),
        })
        .collect()
});

/// The row of a province, by any of the names `provinces.csv` knows it by.
pub fn row(province_name: &str) -> Option<&'static SpotMarketRow> {
    let name = match province::lookup(province_name) {
        Lookup::Found(p) | Lookup::NoBenchmark(p) => p.name.as_str(),
        Lookup::Unknown { .. } => return None,
    };
    ROWS.iter().find(|r| r.province == name)
}

/// Where a scenario's `spot_market` disagrees with the table on its start day: what the table
/// says, as a sentence.
pub fn contradiction(province_name: &str, said: SpotMarket, day: NaiveDate) -> Option<String> {
    let r = row(province_name)?;
    let since = r.continuous_since?;
    let running = since <= day;
    match (said, running) {
        (SpotMarket::None, true) => Some(format!(
            "data/spot_markets.csv ({}) says {}'s spot market has run continuously since {since}, but spot_market = \"none\" on {day}: the peak market would no longer run there and users would share FR and reserve costs (notice 196 §二(一), §五(八))",
            r.firmness, r.province
        )),
        (SpotMarket::Continuous, false) => Some(format!(
            "data/spot_markets.csv ({}) says {}'s spot market runs continuously only from {since}, but spot_market = \"continuous\" on {day} (notice 196 §二(一), §五(八))",
            r.firmness, r.province
        )),
        _ => None,
    }
}

/// The energy-market price cap (元/MWh) the data give for a scenario, and where it comes from:
/// the spot market's cap under continuous spot; without one, the coal benchmark × 1.2, the
/// most coal-fired market prices may float above it (发改价格〔2021〕1439号).
pub fn energy_cap(province_name: &str, spot: SpotMarket) -> Option<(Decimal, String)> {
    match spot {
        SpotMarket::Continuous => {
            let r = row(province_name)?;
            r.price_cap_yuan_per_mwh.map(|cap| {
                (
                    cap,
                    format!(
                        "{}'s spot-market price cap (data/spot_markets.csv, {})",
                        r.province, r.firmness
                    ),
                )
            })
        }
        SpotMarket::None => {
            let benchmark = province::coal_benchmark_yuan_per_kwh(province_name)?;
            Some((
                (benchmark * dec!(1200)).normalize(),
                format!(
                    "coal benchmark {benchmark} yuan/kWh + 20 % (发改价格〔2021〕1439号: coal-fired market prices float at most 20 % above it)"
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_any_name_and_status_by_day() {
        assert_eq!(row("山东省").map(|r| r.province.as_str()), Some("Shandong"));
        assert_eq!(
            row("Inner Mongolia West").map(|r| r.province.as_str()),
            Some("Mengxi")
        );
        assert!(row("Jiangsu").is_none());
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Shandong from 2021-12-01: "none" in 2024 contradicts, "continuous" in 2021-11 too.
        assert!(contradiction("Shandong", SpotMarket::None, d("2024-03-01")).is_some());
        assert!(contradiction("Shandong", SpotMarket::Continuous, d("2024-03-01")).is_none());
        assert!(contradiction("Shandong", SpotMarket::Continuous, d("2021-11-30")).is_some());
        // No data, no contradiction.
        assert!(contradiction("Jiangsu", SpotMarket::Continuous, d("2024-03-01")).is_none());
    }

    #[test]
    fn energy_caps_from_the_spot_market_or_the_benchmark() {
        // Shandong's spot cap 1500; Jiangsu without spot: 0.391 × 1.2 × 1000 = 469.2 元/MWh.
        assert_eq!(
            energy_cap("Shandong", SpotMarket::Continuous).map(|c| c.0),
            Some(dec!(1500))
        );
        assert_eq!(
            energy_cap("Jiangsu", SpotMarket::None).map(|c| c.0),
            Some(dec!(469.2))
        );
        // Gansu's cap is not in the data; Jiangsu has no spot row.
        assert!(energy_cap("Gansu", SpotMarket::Continuous).is_none());
        assert!(energy_cap("Jiangsu", SpotMarket::Continuous).is_none());
        assert!(energy_cap("RTS-GMLC", SpotMarket::None).is_none());
    }
}
