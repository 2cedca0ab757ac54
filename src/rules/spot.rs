//! Provincial spot markets, shipped in `data/spot_markets.csv` (source and firmness in
//! `data/spot_markets.SOURCE.md`): which run continuously (现货市场连续运行) and since when,
//! and their price caps. Notice 196 turns on that status (§二(一), §五(八), §六(十一)), and the
//! reserve cap on the local energy-market cap (§四(六)).

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::rules::province::Grid;
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

/// The row of a grid (`None` outside China, or where the table has no row for it).
pub fn row(grid: Option<Grid>) -> Option<&'static SpotMarketRow> {
    let name = grid?.name();
    ROWS.iter().find(|r| r.province == name)
}

/// Where a scenario's `spot_market` disagrees with the table on some day of its horizon
/// (`first` to `last`, inclusive), checked day by day: the first such day and what the table
/// says, as a sentence. The status changes once, on `continuous_since`, so the first day
/// contradicting is the horizon's first (said continuous before it began) or the later of
/// the first day and `continuous_since` (said none after it began).
pub fn contradiction(
    grid: Option<Grid>,
    said: SpotMarket,
    first: NaiveDate,
    last: NaiveDate,
) -> Option<(NaiveDate, String)> {
    let r = row(grid)?;
    let since = r.continuous_since?;
    match said {
        SpotMarket::None if since <= last => {
            let day = since.max(first);
            Some((
                day,
                format!(
                    "data/spot_markets.csv ({}) says {}'s spot market has run continuously since {since}, but spot_market = \"none\" on {day}, the first day of the horizon it runs: the peak market no longer runs there from that day and users share FR and reserve costs (notice 196 §二(一), §五(八))",
                    r.firmness, r.province
                ),
            ))
        }
        SpotMarket::Continuous if first < since => Some((
            first,
            format!(
                "data/spot_markets.csv ({}) says {}'s spot market runs continuously only from {since}, but spot_market = \"continuous\" on {first} (notice 196 §二(一), §五(八))",
                r.firmness, r.province
            ),
        )),
        _ => None,
    }
}

/// The energy-market price cap (元/MWh) the data give for a scenario, and where it comes from:
/// the spot market's cap under continuous spot; without one, the coal benchmark × 1.2, the
/// most coal-fired market prices may float above it (发改价格〔2021〕1439号).
pub fn energy_cap(grid: Option<Grid>, spot: SpotMarket) -> Option<(Decimal, String)> {
    match spot {
        SpotMarket::Continuous => {
            let r = row(grid)?;
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
            let benchmark = grid?.coal_benchmark_yuan_per_kwh()?;
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

    fn grid(name: &str) -> Option<Grid> {
        crate::rules::province::resolve(name).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rows_by_any_name_and_status_by_day() {
        assert_eq!(
            row(grid("山东省")).map(|r| r.province.as_str()),
            Some("Shandong")
        );
        assert_eq!(
            row(grid("Inner Mongolia West")).map(|r| r.province.as_str()),
            Some("Mengxi")
        );
        assert!(row(grid("Jiangsu")).is_none());
        assert!(row(None).is_none());
        let one = |name, said, day| contradiction(grid(name), said, d(day), d(day));
        // Shandong from 2021-12-01: "none" in 2024 contradicts, "continuous" in 2021-11 too.
        assert!(one("Shandong", SpotMarket::None, "2024-03-01").is_some());
        assert!(one("Shandong", SpotMarket::Continuous, "2024-03-01").is_none());
        assert!(one("Shandong", SpotMarket::Continuous, "2021-11-30").is_some());
        // No data, no contradiction.
        assert!(one("Jiangsu", SpotMarket::Continuous, "2024-03-01").is_none());
    }

    #[test]
    fn status_is_checked_on_every_day_of_the_horizon() {
        // Shandong's continuous spot began 2021-12-01. A horizon 2021-11-30 .. 2021-12-02 said
        // "none" is right on its first day and wrong from 2021-12-01: the first day named.
        let (day, why) = contradiction(
            grid("Shandong"),
            SpotMarket::None,
            d("2021-11-30"),
            d("2021-12-02"),
        )
        .unwrap();
        assert_eq!(day, d("2021-12-01"));
        assert!(why.contains("on 2021-12-01"), "{why}");
        // Said "continuous" over the same days: wrong on 2021-11-30, the first day.
        let (day, _) = contradiction(
            grid("Shandong"),
            SpotMarket::Continuous,
            d("2021-11-30"),
            d("2021-12-02"),
        )
        .unwrap();
        assert_eq!(day, d("2021-11-30"));
        // A horizon ending the day before: "none" is right throughout.
        assert!(
            contradiction(
                grid("Shandong"),
                SpotMarket::None,
                d("2021-11-01"),
                d("2021-11-30")
            )
            .is_none()
        );
    }

    #[test]
    fn energy_caps_from_the_spot_market_or_the_benchmark() {
        // Shandong's spot cap 1500; Jiangsu without spot: 0.391 × 1.2 × 1000 = 469.2 元/MWh.
        assert_eq!(
            energy_cap(grid("Shandong"), SpotMarket::Continuous).map(|c| c.0),
            Some(dec!(1500))
        );
        assert_eq!(
            energy_cap(grid("Jiangsu"), SpotMarket::None).map(|c| c.0),
            Some(dec!(469.2))
        );
        // Gansu's cap is not in the data; Jiangsu has no spot row; outside China, no data.
        assert!(energy_cap(grid("Gansu"), SpotMarket::Continuous).is_none());
        assert!(energy_cap(grid("Jiangsu"), SpotMarket::Continuous).is_none());
        assert!(energy_cap(None, SpotMarket::None).is_none());
    }
}
