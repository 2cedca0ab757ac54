//! Cutting a scenario into chunks of whole days, so that a long run is cleared, billed and
//! written a few days at a time (in parallel, in bounded memory).
//!
//! Every rule of notice 196 this crate applies works within a day: prices per interval, K and
//! fees rounded per (day, unit), allocation per (day, product). So the merit-order run of a
//! chunk of whole days gives exactly the rows of those days in a run over the whole horizon —
//! `tests/chunks.rs` checks it byte for byte on every shipped scenario. The LP engine carries
//! storage state from day to day, so its runs stay in one chunk.

use std::ops::Range;

use rust_decimal::Decimal;

use crate::scenario::Scenario;
use crate::scenario::offers::Offer;
use crate::scenario::series::{Actuals, Requirements};

/// A scenario's chunks, with what reaches into each found once for all of them.
pub struct Chunks {
    /// Interval ranges, in order, covering the horizon.
    pub ranges: Vec<Range<usize>>,
    /// Per chunk and offer file (fr, peak, reserve, energy): indices of the offers in it.
    offers: Vec<[Vec<usize>; 4]>,
    /// Per chunk: (unit, interval, value) of reserve availability and peak delivery.
    actuals: Vec<[Vec<(usize, usize, Decimal)>; 2]>,
    /// Per chunk: indices of the metering rows of its days.
    metering: Vec<Vec<usize>>,
}

impl Chunks {
    /// The horizon cut before a calendar day's first interval, at least `days` days a chunk;
    /// one chunk when `days` is 0. No cut splits an offer: an offer row is accepted or refused
    /// whole (a K that rounds to 0 on one of its days refuses all of it), so the days it spans
    /// stay together.
    pub fn by_days(scenario: &Scenario, days: usize) -> Chunks {
        let h = &scenario.horizon;
        // straddling[i]: offers covering both interval i − 1 and interval i.
        let mut straddling = vec![0i64; h.intervals + 1];
        for o in scenario
            .fr_offers
            .iter()
            .chain(&scenario.peak_offers)
            .chain(&scenario.reserve_offers)
            .chain(&scenario.energy_offers)
            .filter(|o| o.intervals.len() > 1)
        {
            straddling[o.intervals.start + 1] += 1;
            straddling[o.intervals.end] -= 1;
        }
        let mut open = 0;
        let mut ranges: Vec<Range<usize>> = Vec::new();
        let mut days_in_chunk = 0;
        for (i, &change) in straddling[..h.intervals].iter().enumerate() {
            open += change;
            let new_day = i == 0 || h.day(i) != h.day(i - 1);
            if new_day && (i == 0 || (days > 0 && days_in_chunk >= days && open == 0)) {
                if let Some(last) = ranges.last_mut() {
                    last.end = i;
                }
                ranges.push(i..h.intervals);
                days_in_chunk = 0;
            }
            if new_day {
                days_in_chunk += 1;
            }
        }
        if ranges.is_empty() {
            ranges.push(0..h.intervals);
        }
        Chunks::of(scenario, ranges)
    }

    /// Chunks at the given ranges (in order, covering the horizon).
    fn of(scenario: &Scenario, ranges: Vec<Range<usize>>) -> Chunks {
        let n = ranges.len();
        let mut chunk_of = vec![0; scenario.horizon.intervals];
        for (k, r) in ranges.iter().enumerate() {
            chunk_of[r.clone()].fill(k);
        }
        let mut offers: Vec<[Vec<usize>; 4]> = (0..n).map(|_| Default::default()).collect();
        for (file, list) in [
            &scenario.fr_offers,
            &scenario.peak_offers,
            &scenario.reserve_offers,
            &scenario.energy_offers,
        ]
        .into_iter()
        .enumerate()
        {
            for (index, o) in list.iter().enumerate() {
                if o.intervals.is_empty() {
                    continue;
                }
                let (first, last) = (chunk_of[o.intervals.start], chunk_of[o.intervals.end - 1]);
                for chunk in &mut offers[first..=last] {
                    chunk[file].push(index);
                }
            }
        }
        let mut actuals: Vec<[Vec<(usize, usize, Decimal)>; 2]> =
            (0..n).map(|_| Default::default()).collect();
        let a = &scenario.actuals;
        for (kind, map) in [&a.reserve_available_mw, &a.peak_delivered_mw]
            .into_iter()
            .enumerate()
        {
            for (&(unit, i), &v) in map {
                actuals[chunk_of[i]][kind].push((unit, i, v));
            }
        }
        let mut metering: Vec<Vec<usize>> = vec![Vec::new(); n];
        if let Some(rows) = &scenario.metering {
            let first_day: Vec<_> = ranges
                .iter()
                .map(|r| scenario.horizon.day(r.start))
                .collect();
            for (index, m) in rows.iter().enumerate() {
                // The chunk whose first day is the last one not after the row's day; days
                // outside the horizon go nowhere (a run over the whole horizon ignores them).
                let k = first_day.partition_point(|&d| d <= m.day);
                if k > 0 && m.day <= scenario.horizon.day(ranges[k - 1].end - 1) {
                    metering[k - 1].push(index);
                }
            }
        }
        Chunks {
            ranges,
            offers,
            actuals,
            metering,
        }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Chunk `k` as a scenario of its own, intervals renumbered from 0.
    pub fn scenario(&self, scenario: &Scenario, k: usize) -> Scenario {
        let range = self.ranges[k].clone();
        let offset = range.start;
        let clip = |list: &[Offer], file: usize| -> Vec<Offer> {
            self.offers[k][file]
                .iter()
                .map(|&index| {
                    let mut o = list[index].clone();
                    o.intervals = o.intervals.start.max(range.start) - offset
                        ..o.intervals.end.min(range.end) - offset;
                    o
                })
                .collect()
        };
        let mut horizon = scenario.horizon.clone();
        horizon.start = scenario.horizon.time(range.start);
        horizon.intervals = range.len();
        let r = &scenario.requirements;
        let requirements = Requirements {
            by_interval: r.by_interval[range.clone()].to_vec(),
            has_fr: r.has_fr,
            has_reserve: r.has_reserve,
            has_peak: r.has_peak,
            has_load: r.has_load,
            lines: r
                .lines
                .get(range.clone())
                .map(<[u64]>::to_vec)
                .unwrap_or_default(),
        };
        let mut actuals = Actuals::default();
        for (kind, map) in [
            &mut actuals.reserve_available_mw,
            &mut actuals.peak_delivered_mw,
        ]
        .into_iter()
        .enumerate()
        {
            map.extend(
                self.actuals[k][kind]
                    .iter()
                    .map(|&(unit, i, v)| ((unit, i - offset), v)),
            );
        }
        Scenario {
            fr_mileage_per_mw: scenario.fr_mileage_per_mw,
            grid: scenario.grid,
            config: scenario.config.clone(),
            config_text: scenario.config_text.clone(),
            horizon,
            fleet: scenario.fleet.clone(),
            requirements,
            fr_offers: clip(&scenario.fr_offers, 0),
            peak_offers: clip(&scenario.peak_offers, 1),
            reserve_offers: clip(&scenario.reserve_offers, 2),
            energy_offers: clip(&scenario.energy_offers, 3),
            performance: scenario.performance.clone(),
            mileage: scenario.mileage.slice(range.clone()),
            mileage_source: scenario.mileage_source,
            actuals,
            metering: scenario.metering.as_ref().map(|rows| {
                self.metering[k]
                    .iter()
                    .map(|&index| rows[index].clone())
                    .collect()
            }),
            network: scenario.network.as_ref().map(|n| n.slice(range.clone())),
            input_digest: scenario.input_digest.clone(),
            // The whole run reports the loader's warnings once (`run::Merge::finish`).
            warnings: Vec::new(),
        }
    }
}
