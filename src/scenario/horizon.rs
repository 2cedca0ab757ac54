//! The scenario's time grid: `intervals` intervals of `interval_minutes` from `start`.
//! Times are local interval starts written `2024-03-01T00:15`, in inputs and in outputs.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// The output format of every time: the contract's `2024-03-01T00:15`.
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// Parses `2024-03-01T00:15`, also with seconds or with a space for the `T` (as spreadsheets
/// write it back).
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ];
    let s = s.trim();
    // Series files repeat each time once per unit, row after row, and offers repeat their
    // start and end: remembering the last two texts parsed saves chrono's format
    // interpretation on nearly all rows (a year of 15-minute mileage for 300 units is seven
    // million of them).
    type Memo = [(String, Option<NaiveDateTime>); 2];
    thread_local! {
        static LAST: std::cell::RefCell<Memo> =
            const { std::cell::RefCell::new([(String::new(), None), (String::new(), None)]) };
    }
    LAST.with_borrow_mut(|memo| {
        if let Some((_, parsed)) = memo.iter().find(|(text, p)| text == s && p.is_some()) {
            return *parsed;
        }
        let parsed = FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok());
        memo.swap(0, 1);
        memo[0].0.clear();
        memo[0].0.push_str(s);
        memo[0].1 = parsed;
        parsed
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Horizon {
    pub start: NaiveDateTime,
    pub interval_minutes: u32,
    pub intervals: usize,
}

impl Horizon {
    fn step(&self) -> Duration {
        Duration::minutes(i64::from(self.interval_minutes))
    }

    /// The start of interval `i`.
    pub fn time(&self, i: usize) -> NaiveDateTime {
        self.start + Duration::minutes(i as i64 * i64::from(self.interval_minutes))
    }

    /// The end of the last interval.
    pub fn end(&self) -> NaiveDateTime {
        self.time(self.intervals)
    }

    /// Interval `i`'s start as the contract writes it.
    pub fn label(&self, i: usize) -> String {
        self.time(i).format(TIME_FORMAT).to_string()
    }

    /// The calendar day interval `i` belongs to (days run from 00:00).
    pub fn day(&self, i: usize) -> NaiveDate {
        self.time(i).date()
    }

    /// Length of one interval in hours (15 minutes → 0.25).
    pub fn interval_hours(&self) -> Decimal {
        Decimal::from(self.interval_minutes) / Decimal::from(60)
    }

    fn seconds_from_start(&self, t: NaiveDateTime) -> i64 {
        (t - self.start).num_seconds()
    }

    /// The index of the interval that starts exactly at `t`.
    pub fn index_at(&self, t: NaiveDateTime) -> Option<usize> {
        if t < self.start || t >= self.end() {
            return None;
        }
        let offset = t - self.start;
        let step = self.step().num_seconds();
        if offset.num_seconds() % step != 0 {
            return None;
        }
        Some((offset.num_seconds() / step) as usize)
    }

    /// The index of the interval with start ≤ `t` < end.
    pub fn index_containing(&self, t: NaiveDateTime) -> Option<usize> {
        if t < self.start || t >= self.end() {
            return None;
        }
        Some(((t - self.start).num_seconds() / self.step().num_seconds()) as usize)
    }

    /// The intervals an offer row `start ≤ t < end` covers, as a half-open index range.
    /// `None` when the row reaches outside the horizon.
    pub fn covered(
        &self,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> Option<std::ops::Range<usize>> {
        if start < self.start || end > self.end() {
            return None;
        }
        // Both offsets are ≥ 0 here, checked above.
        let step = self.step().num_seconds() as u64;
        let first = (self.seconds_from_start(start) as u64).div_ceil(step);
        let last = (self.seconds_from_start(end) as u64).div_ceil(step);
        Some(first as usize..last as usize)
    }

    /// Distinct days of the horizon, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = Vec::new();
        for i in 0..self.intervals {
            let d = self.day(i);
            if days.last() != Some(&d) {
                days.push(d);
            }
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day96() -> Horizon {
        Horizon {
            start: parse_time("2024-03-01T00:00").unwrap(),
            interval_minutes: 15,
            intervals: 96,
        }
    }

    #[test]
    fn labels_and_indices() {
        let h = day96();
        assert_eq!(h.label(1), "2024-03-01T00:15");
        assert_eq!(
            h.index_at(parse_time("2024-03-01 23:45:00").unwrap()),
            Some(95)
        );
        assert_eq!(h.index_at(parse_time("2024-03-01T00:10").unwrap()), None);
        assert_eq!(h.index_at(parse_time("2024-03-02T00:00").unwrap()), None);
        assert_eq!(
            h.index_containing(parse_time("2024-03-01T00:10").unwrap()),
            Some(0)
        );
    }

    #[test]
    fn offer_cover_is_half_open_on_interval_starts() {
        let h = day96();
        let t = |s| parse_time(s).unwrap();
        // 00:00–01:00 covers the starts 00:00, 00:15, 00:30, 00:45.
        assert_eq!(
            h.covered(t("2024-03-01T00:00"), t("2024-03-01T01:00")),
            Some(0..4)
        );
        // 00:10–00:40 holds at the starts 00:15 and 00:30 only.
        assert_eq!(
            h.covered(t("2024-03-01T00:10"), t("2024-03-01T00:40")),
            Some(1..3)
        );
        assert_eq!(
            h.covered(t("2024-03-01T00:00"), t("2024-03-02T00:15")),
            None
        );
        assert_eq!(h.interval_hours().to_string(), "0.25");
    }
}
