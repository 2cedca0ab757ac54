//! Provincial reference data shipped in `data/provinces.csv` (source in
//! `data/provinces.SOURCE.md`).

use rust_decimal::Decimal;
use std::str::FromStr;

const TABLE: &str = include_str!("../../data/provinces.csv");

/// A province's coal benchmark price (燃煤发电基准价), 元/kWh, by English or Chinese name.
pub fn coal_benchmark_yuan_per_kwh(province: &str) -> Option<Decimal> {
    let wanted = province.trim().to_lowercase();
    TABLE.lines().skip(1).find_map(|line| {
        let mut cells = line.split(',');
        let (en, zh, price) = (cells.next()?, cells.next()?, cells.next()?);
        (en.to_lowercase() == wanted || zh == wanted)
            .then(|| Decimal::from_str(price.trim()).ok())
            .flatten()
    })
}

/// All provinces in the table, English names.
pub fn names() -> Vec<&'static str> {
    TABLE
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn looks_up_by_either_name() {
        assert_eq!(coal_benchmark_yuan_per_kwh("Jiangsu"), Some(dec!(0.391)));
        assert_eq!(coal_benchmark_yuan_per_kwh("jiangsu"), Some(dec!(0.391)));
        assert_eq!(coal_benchmark_yuan_per_kwh("广东"), Some(dec!(0.453)));
        assert_eq!(coal_benchmark_yuan_per_kwh("Atlantis"), None);
        assert_eq!(names().len(), 32);
    }
}
