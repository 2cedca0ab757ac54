//! Time series and per-unit measurements: `requirements.csv`, `fr_performance.csv`,
//! `fr_mileage.csv` / `agc_setpoints.csv`, `actuals.csv`, `metering.csv`. The loader has
//! checked each header against [`super::CONTRACT`] before a parser here sees the table.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::horizon::{Horizon, TIME_FORMAT};
use crate::scenario::table::{Row, Table};
use crate::scenario::units::{Fleet, FrParams};

/// The dispatcher's requirements for one interval (notice 196 §四(五): 备用容量需求由电力调度机构
/// … 确定, the reserve requirement is set by the dispatcher; the same for FR and peak).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    pub fr_mw: Decimal,
    pub reserve_mw: Decimal,
    pub peak_mw: Decimal,
    pub load_mw: Option<Decimal>,
    /// Whether the spot market runs in this interval (现货市场运行), from the optional
    /// `spot_running` column; absent: as `spot_market` says for the whole horizon.
    pub spot_running: Option<bool>,
}

/// Which requirement columns the file has; a product whose column is absent has no
/// requirement, and offers for it are an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub by_interval: Vec<Requirement>,
    pub has_fr: bool,
    pub has_reserve: bool,
    pub has_peak: bool,
    pub has_load: bool,
    /// The line of `requirements.csv` each interval was read from, for errors found later.
    pub lines: Vec<u64>,
}

impl Requirements {
    /// Whether any interval asks for peak regulation (a peak market then runs).
    pub fn asks_for_peak(&self) -> bool {
        self.by_interval.iter().any(|r| r.peak_mw > Decimal::ZERO)
    }

    /// The first interval that asks for peak regulation while the spot market runs in it
    /// (`spot_running = true`), with its line: notice 196 §二(一) lets the peak market run
    /// only "在现货市场未运行期间".
    pub fn peak_while_spot_runs(&self) -> Option<(usize, u64)> {
        self.by_interval
            .iter()
            .position(|r| r.peak_mw > Decimal::ZERO && r.spot_running == Some(true))
            .map(|i| (i, self.lines.get(i).copied().unwrap_or_default()))
    }
}

fn interval_of(row: &Row, column: &str, horizon: &Horizon) -> Result<usize, InputError> {
    let t = row.time(column)?;
    horizon.index_at(t).ok_or_else(|| {
        row.error(
            ErrorKind::Invalid,
            column,
            format!(
                "must be an interval start of the horizon ({} every {} minutes until {}), got {}",
                horizon.start.format(TIME_FORMAT),
                horizon.interval_minutes,
                horizon.end().format(TIME_FORMAT),
                row.text(column).unwrap_or_default()
            ),
        )
    })
}

fn unit_of(row: &Row, fleet: &Fleet) -> Result<usize, InputError> {
    let id = row.text("unit")?;
    fleet.get(id).ok_or_else(|| {
        row.error(
            ErrorKind::UnknownReference,
            "unit",
            format!("names unit {id:?}, which is not in units.csv"),
        )
    })
}

/// Keys that must be unique within a file: the second row with a key is an error naming the
/// first one's line.
struct Seen<K>(HashMap<K, u64>);

impl<K: std::hash::Hash + Eq> Seen<K> {
    fn new() -> Self {
        Seen(HashMap::new())
    }

    fn check(
        &mut self,
        key: K,
        row: &Row,
        column: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), InputError> {
        match self.0.insert(key, row.line) {
            Some(first) => Err(row.error(
                ErrorKind::Duplicate,
                column,
                format!("{} already given on line {first}", what()),
            )),
            None => Ok(()),
        }
    }
}

pub fn parse_requirements(table: &Table, horizon: &Horizon) -> Result<Requirements, InputError> {
    let mut req = Requirements {
        by_interval: vec![Requirement::default(); horizon.intervals],
        has_fr: table.has("fr_mw"),
        has_reserve: table.has("reserve_mw"),
        has_peak: table.has("peak_mw"),
        has_load: table.has("load_mw"),
        lines: Vec::new(),
    };
    let mut seen: Vec<Option<u64>> = vec![None; horizon.intervals];
    let mut unique = Seen::new();
    for row in table.rows() {
        let i = interval_of(&row, "time", horizon)?;
        unique.check(i, &row, "time", || {
            format!("interval {} is", horizon.label(i))
        })?;
        seen[i] = Some(row.line);
        let opt = |c: &str| row.optional_non_negative(c).map(Option::unwrap_or_default);
        req.by_interval[i] = Requirement {
            fr_mw: opt("fr_mw")?,
            reserve_mw: opt("reserve_mw")?,
            peak_mw: opt("peak_mw")?,
            load_mw: row.optional_non_negative("load_mw")?,
            spot_running: match row.optional("spot_running") {
                Some(_) => Some(row.flag("spot_running")?),
                None => None,
            },
        };
    }
    if let Some(i) = seen.iter().position(Option::is_none) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            &table.file,
            format!(
                "has no row for interval {}: every interval of the horizon needs one",
                horizon.label(i)
            ),
        )
        .at_column("time"));
    }
    req.lines = seen.into_iter().map(Option::unwrap_or_default).collect();
    Ok(req)
}

/// Measured FR performance per unit, optionally per day (a `day` row overrides the undated one).
#[derive(Debug, Clone, Default)]
pub struct Performance {
    undated: HashMap<usize, FrParams>,
    dated: HashMap<(usize, NaiveDate), FrParams>,
}

impl Performance {
    /// The unit's measured parameters for `day`, if any were given.
    pub fn get(&self, unit: usize, day: NaiveDate) -> Option<FrParams> {
        self.dated
            .get(&(unit, day))
            .or_else(|| self.undated.get(&unit))
            .copied()
    }

    pub fn parse(
        table: &Table,
        fleet: &Fleet,
        horizon: &Horizon,
    ) -> Result<Performance, InputError> {
        let mut perf = Performance::default();
        let mut seen = Seen::new();
        let (first, last) = (horizon.day(0), horizon.day(horizon.intervals - 1));
        for row in table.rows() {
            let unit = unit_of(&row, fleet)?;
            let day = match row.optional("day") {
                Some(_) => Some(row.date("day")?),
                None => None,
            };
            // A day outside the horizon would apply to no interval: a typo, not a choice.
            if let Some(day) = day
                && !(first..=last).contains(&day)
            {
                return Err(row.error(
                    ErrorKind::Invalid,
                    "day",
                    format!("must be a day of the horizon ({first} to {last}), got {day}"),
                ));
            }
            seen.check((unit, day), &row, "unit", || {
                format!(
                    "performance of unit {} for this day is",
                    fleet.units[unit].id
                )
            })?;
            let params = FrParams {
                rate_pct_per_min: row.positive("rate_pct_per_min")?,
                precision_pct: row.positive("precision_pct")?,
                response_s: row.positive("response_s")?,
            };
            match day {
                Some(d) => perf.dated.insert((unit, d), params),
                None => perf.undated.insert(unit, params),
            };
        }
        Ok(perf)
    }
}

/// 调频里程 — regulation mileage, MW, per (unit, interval).
/// FR mileage (调频里程) per (unit, interval), MW: interval by interval, units in index order.
///
/// Kept as one array in interval order with each interval's start, rather than a map keyed
/// by (unit, interval): a year of 15-minute intervals for 300 units is millions of entries,
/// read in time order and looked up by interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mileage {
    /// `starts[i]..starts[i + 1]` are interval `i`'s entries.
    starts: Vec<usize>,
    entries: Vec<(u32, Decimal)>,
}

impl Mileage {
    pub fn new() -> Mileage {
        Mileage::default()
    }

    fn of_interval(&self, i: usize) -> &[(u32, Decimal)] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.entries[a..b],
            _ => &[],
        }
    }

    /// Mileage of `unit` in interval `i`, if given.
    pub fn get(&self, unit: usize, i: usize) -> Option<Decimal> {
        let list = self.of_interval(i);
        list.binary_search_by_key(&(unit as u32), |&(u, _)| u)
            .ok()
            .map(|k| list[k].1)
    }

    /// Every (unit, interval, mileage), interval by interval.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, Decimal)> + '_ {
        (0..self.starts.len().saturating_sub(1)).flat_map(move |i| {
            self.of_interval(i)
                .iter()
                .map(move |&(u, m)| (u as usize, i, m))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The mileage of intervals `range`, renumbered from 0.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Mileage {
        if self.starts.is_empty() {
            return Mileage::new();
        }
        let last = self.starts.len() - 1;
        let (from, to) = (range.start.min(last), range.end.min(last));
        let base = self.starts[from];
        Mileage {
            starts: self.starts[from..=to].iter().map(|s| s - base).collect(),
            entries: self.entries[base..self.starts[to]].to_vec(),
        }
    }

    /// From (unit, interval, mileage) in any order, each (unit, interval) once: placed by a
    /// counting pass, no per-interval allocation.
    fn from_entries<'a>(
        intervals: usize,
        parts: impl Iterator<Item = &'a [(u32, u32, Decimal)]> + Clone,
    ) -> Mileage {
        let mut starts = vec![0usize; intervals + 1];
        for part in parts.clone() {
            for &(_, i, _) in part {
                starts[i as usize + 1] += 1;
            }
        }
        for i in 0..intervals {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut entries = vec![(0u32, Decimal::ZERO); starts[intervals]];
        for part in parts {
            for &(u, i, m) in part {
                entries[next[i as usize]] = (u, m);
                next[i as usize] += 1;
            }
        }
        for i in 0..intervals {
            entries[starts[i]..starts[i + 1]].sort_unstable_by_key(|&(u, _)| u);
        }
        Mileage { starts, entries }
    }
}

pub fn parse_mileage(
    table: &Table,
    fleet: &Fleet,
    horizon: &Horizon,
) -> Result<Mileage, InputError> {
    use rayon::prelude::*;
    // Rows are read in blocks in parallel (a year for 300 units is millions of rows); each
    // block stops at its first bad row. Repeats are then found in file order, so the error
    // reported is the first one in the file, as when reading row by row.
    const BLOCK: usize = 1 << 16;
    /// A block's (unit, interval, mileage) rows up to its first bad row, and that row's error.
    type Block = (Vec<(u32, u32, Decimal)>, Option<InputError>);
    let blocks: Vec<Block> = (0..table.len().div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut entries: Vec<(u32, u32, Decimal)> = Vec::with_capacity(BLOCK);
            for row in table.rows_in(b * BLOCK..((b + 1) * BLOCK).min(table.len())) {
                let entry = interval_of(&row, "time", horizon).and_then(|i| {
                    let unit = unit_of(&row, fleet)?;
                    Ok((unit as u32, i as u32, row.non_negative("mileage_mw")?))
                });
                match entry {
                    Ok(e) => entries.push(e),
                    Err(e) => return (entries, Some(e)),
                }
            }
            (entries, None)
        })
        .collect();
    let units = fleet.units.len();
    // One bit per (interval, unit) finds a repeated row without a map of millions of
    // entries; the first row's line is looked up only when there is one.
    let mut seen = vec![false; horizon.intervals * units];
    for (b, (entries, error)) in blocks.iter().enumerate() {
        for (k, &(unit, i, _)) in entries.iter().enumerate() {
            let (unit, i) = (unit as usize, i as usize);
            if std::mem::replace(&mut seen[i * units + unit], true) {
                let row = table
                    .rows_in(b * BLOCK + k..b * BLOCK + k + 1)
                    .next()
                    .expect("an entry per row");
                let first = table
                    .rows()
                    .find(|r| {
                        r.line < row.line
                            && r.time("time").ok().and_then(|t| horizon.index_at(t)) == Some(i)
                            && r.text("unit").ok() == Some(fleet.units[unit].id.as_str())
                    })
                    .map_or(0, |r| r.line);
                return Err(row.error(
                    ErrorKind::Duplicate,
                    "time",
                    format!(
                        "mileage of unit {} for this interval is already given on line {first}",
                        fleet.units[unit].id
                    ),
                ));
            }
        }
        if let Some(e) = error {
            return Err(e.clone());
        }
    }
    Ok(Mileage::from_entries(
        horizon.intervals,
        blocks.iter().map(|(entries, _)| entries.as_slice()),
    ))
}

/// Mileage from AGC setpoints: per unit, the samples in time order; each step's |Δ setpoint|
/// counts in the interval that holds the later sample (the one the unit moved to). A unit's
/// first sample has nothing before it and adds nothing.
pub fn parse_agc_setpoints(
    table: &Table,
    fleet: &Fleet,
    horizon: &Horizon,
) -> Result<Mileage, InputError> {
    let mut samples: BTreeMap<(usize, NaiveDateTime), Decimal> = BTreeMap::new();
    let mut seen = Seen::new();
    for row in table.rows() {
        let t = row.time("time")?;
        if horizon.index_containing(t).is_none() {
            return Err(row.error(
                ErrorKind::Invalid,
                "time",
                format!(
                    "must fall inside the horizon {}–{}, got {}",
                    horizon.start.format(TIME_FORMAT),
                    horizon.end().format(TIME_FORMAT),
                    row.text("time").unwrap_or_default()
                ),
            ));
        }
        let unit = unit_of(&row, fleet)?;
        seen.check((unit, t), &row, "time", || {
            format!(
                "a setpoint of unit {} at this time is",
                fleet.units[unit].id
            )
        })?;
        samples.insert((unit, t), row.decimal("setpoint_mw")?);
    }
    let mut mileage: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
    let mut previous: Option<(usize, Decimal)> = None;
    for (&(unit, t), &setpoint) in &samples {
        if let Some((prev_unit, prev)) = previous
            && prev_unit == unit
        {
            let i = horizon
                .index_containing(t)
                .expect("checked inside the horizon above");
            *mileage.entry((unit, i)).or_default() += (setpoint - prev).abs();
        }
        previous = Some((unit, setpoint));
    }
    let entries: Vec<(u32, u32, Decimal)> = mileage
        .into_iter()
        .map(|((u, i), m)| (u as u32, i as u32, m))
        .collect();
    Ok(Mileage::from_entries(
        horizon.intervals,
        std::iter::once(entries.as_slice()),
    ))
}

/// Delivered quantities per (unit, interval), where the file gives them.
#[derive(Debug, Clone, Default)]
pub struct Actuals {
    pub reserve_available_mw: HashMap<(usize, usize), Decimal>,
    pub peak_delivered_mw: HashMap<(usize, usize), Decimal>,
}

impl Actuals {
    pub fn parse(table: &Table, fleet: &Fleet, horizon: &Horizon) -> Result<Actuals, InputError> {
        let mut actuals = Actuals::default();
        let mut seen = Seen::new();
        for row in table.rows() {
            let i = interval_of(&row, "time", horizon)?;
            let unit = unit_of(&row, fleet)?;
            seen.check((unit, i), &row, "time", || {
                format!(
                    "actuals of unit {} for this interval are",
                    fleet.units[unit].id
                )
            })?;
            if let Some(v) = row.optional_non_negative("reserve_available_mw")? {
                actuals.reserve_available_mw.insert((unit, i), v);
            }
            if let Some(v) = row.optional_non_negative("peak_delivered_mw")? {
                actuals.peak_delivered_mw.insert((unit, i), v);
            }
        }
        Ok(actuals)
    }
}

/// A metering party's role, which decides what it pays (§五(八)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    User,
    Generator,
    NonMarketGenerator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Generator => "generator",
            Role::NonMarketGenerator => "non_market_generator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metering {
    pub day: NaiveDate,
    pub party: String,
    pub role: Role,
    pub energy_mwh: Decimal,
    pub line: u64,
}

pub fn parse_metering(table: &Table, horizon: &Horizon) -> Result<Vec<Metering>, InputError> {
    let days = horizon.days();
    let mut out = Vec::with_capacity(table.len());
    let mut seen = Seen::new();
    for row in table.rows() {
        let day = row.date("day")?;
        if !days.contains(&day) {
            return Err(row.error(
                ErrorKind::Invalid,
                "day",
                format!("must be a day of the horizon, got {day}"),
            ));
        }
        let party = row.id("party")?.to_string();
        let role = match row.text("role")? {
            "user" => Role::User,
            "generator" => Role::Generator,
            "non_market_generator" => Role::NonMarketGenerator,
            other => {
                return Err(row.error(
                    ErrorKind::Parse,
                    "role",
                    format!("must be one of user, generator, non_market_generator, got {other:?}"),
                ));
            }
        };
        // §六(十): a party that both generates and consumes (storage) meters as generator
        // when discharging and as user when charging, so it may have a row in each role. A
        // market and a non-market generator at once is a contradiction.
        let class = match role {
            Role::User => 0,
            Role::Generator | Role::NonMarketGenerator => 1,
        };
        seen.check((day, party.clone(), class), &row, "party", || {
            let what = if class == 0 {
                "user"
            } else {
                "generator (market or not)"
            };
            format!("metering of party {party:?} as {what} for {day} is")
        })?;
        out.push(Metering {
            day,
            party,
            role,
            energy_mwh: row.non_negative("energy_mwh")?,
            line: row.line,
        });
    }
    Ok(out)
}
