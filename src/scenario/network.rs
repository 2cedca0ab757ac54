//! The transmission network (optional): `buses.csv`, `lines.csv`, `bus_loads.csv`,
//! `zone_requirements.csv`, the `bus` column of `units.csv` and `[network]` in `scenario.toml`.
//! Data only, checked here; the DC power-flow matrices built from it are in
//! [`crate::network`]. A scenario without `buses.csv` has no network and clears on a copper
//! plate.
//!
//! Conventions: lines are lossless DC power-flow branches with a reactance in per unit (any
//! common base: only ratios of reactances matter to flows); a flow is positive from
//! `from_bus` to `to_bus`; a bus is in exactly one zone, and zones carry FR and reserve
//! minimums on top of the system-wide ones of `requirements.csv`.

use std::collections::HashMap;
use std::ops::Range;

use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::config::{Config, key_error};
use crate::scenario::horizon::{Horizon, TIME_FORMAT};
use crate::scenario::series::Requirements;
use crate::scenario::table::{Row, Table};
use crate::scenario::units::Fleet;

pub const BUSES: &str = "buses.csv";
pub const LINES: &str = "lines.csv";
pub const BUS_LOADS: &str = "bus_loads.csv";
pub const ZONE_REQUIREMENTS: &str = "zone_requirements.csv";

/// How far `requirements.csv`'s `load_mw` may be from the sum of `bus_loads.csv` in one
/// interval, MW: a thousandth of a MW is rounding, more is two different loads.
pub const LOAD_TOLERANCE_MW: Decimal = Decimal::from_parts(1, 0, 0, false, 3);

/// Largest ratio of the largest to the smallest reactance accepted. Flows are computed in
/// f64 (about 16 digits) from susceptances 1/x summed at each bus; beyond 10 orders of
/// magnitude the small susceptances vanish in the sums and the flows keep few true digits.
/// Real grids span about 5 (a 10⁻⁴ p.u. busbar tie beside a 10 p.u. long line).
pub const MAX_REACTANCE_RATIO: f64 = 1e10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bus {
    pub id: String,
    /// Index into [`Network::zones`].
    pub zone: usize,
    /// Line of `buses.csv` it was read from.
    pub line: u64,
}

/// A transmission line (or transformer) in DC power flow: lossless, flow = (θ_from − θ_to)/x.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub from: usize,
    pub to: usize,
    /// Series reactance, per unit, > 0.
    pub reactance_pu: Decimal,
    /// Thermal limit in either direction, MW; `None`: unlimited.
    pub limit_mw: Option<Decimal>,
    /// Line of `lines.csv` it was read from.
    pub line: u64,
}

impl Line {
    /// Susceptance 1/x, per unit.
    pub fn susceptance(&self) -> f64 {
        1.0 / f64::try_from(self.reactance_pu).unwrap_or(f64::NAN)
    }
}

/// The load at each bus per interval (`bus_loads.csv`), MW; a bus without a row has none.
///
/// Kept as one array in interval order, each interval's buses sorted, like the FR mileage:
/// a year of 15-minute intervals for thousands of buses is far too many for a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusLoads {
    /// `starts[i]..starts[i + 1]` are interval `i`'s entries.
    starts: Vec<usize>,
    entries: Vec<(u32, Decimal)>,
}

impl BusLoads {
    /// Interval `i`'s (bus, load MW), buses in index order, buses without a row left out.
    pub fn of_interval(&self, i: usize) -> &[(u32, Decimal)] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.entries[a..b],
            _ => &[],
        }
    }

    /// The load at `bus` in interval `i`, MW (0 where no row gives one).
    pub fn get(&self, bus: usize, i: usize) -> Decimal {
        let list = self.of_interval(i);
        list.binary_search_by_key(&(bus as u32), |&(b, _)| b)
            .map_or(Decimal::ZERO, |k| list[k].1)
    }

    /// The system load in interval `i`: the sum over buses, MW.
    pub fn total(&self, i: usize) -> Decimal {
        self.of_interval(i).iter().map(|&(_, mw)| mw).sum()
    }

    /// Interval `i`'s load at every one of `buses` buses, in bus order, MW (for flows).
    pub fn dense(&self, i: usize, buses: usize) -> Vec<f64> {
        let mut loads = vec![0.0; buses];
        for &(b, mw) in self.of_interval(i) {
            loads[b as usize] = f64::try_from(mw).unwrap_or(f64::NAN);
        }
        loads
    }

    /// Intervals `range`, renumbered from 0.
    pub fn slice(&self, range: Range<usize>) -> BusLoads {
        if self.starts.is_empty() {
            return BusLoads::default();
        }
        let last = self.starts.len() - 1;
        let (from, to) = (range.start.min(last), range.end.min(last));
        let base = self.starts[from];
        BusLoads {
            starts: self.starts[from..=to].iter().map(|s| s - base).collect(),
            entries: self.entries[base..self.starts[to]].to_vec(),
        }
    }
}

/// A zone's minimums in one interval (`zone_requirements.csv`), MW; 0 where not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneRequirement {
    pub fr_mw: Decimal,
    pub reserve_mw: Decimal,
}

/// Zonal minimums per (interval, zone), with the line each was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneRequirements {
    zones: usize,
    /// Interval-major: `(i, zone)` at `i * zones + zone`.
    values: Vec<ZoneRequirement>,
    /// Line of `zone_requirements.csv` for each entry; 0 where the file has no row.
    lines: Vec<u64>,
}

impl ZoneRequirements {
    fn new(intervals: usize, zones: usize) -> ZoneRequirements {
        ZoneRequirements {
            zones,
            values: vec![ZoneRequirement::default(); intervals * zones],
            lines: vec![0; intervals * zones],
        }
    }

    /// Zone `zone`'s minimums in interval `i` (0 where the file gives none).
    pub fn get(&self, i: usize, zone: usize) -> ZoneRequirement {
        self.values
            .get(i * self.zones + zone)
            .copied()
            .unwrap_or_default()
    }

    /// The line of `zone_requirements.csv` that gave `(i, zone)`, if one did.
    pub fn line(&self, i: usize, zone: usize) -> Option<u64> {
        self.lines
            .get(i * self.zones + zone)
            .copied()
            .filter(|&l| l > 0)
    }

    /// Whether any interval asks a zone for FR, or for reserve.
    pub fn any(&self) -> bool {
        self.values
            .iter()
            .any(|r| r.fr_mw > Decimal::ZERO || r.reserve_mw > Decimal::ZERO)
    }

    fn slice(&self, range: Range<usize>) -> ZoneRequirements {
        let (a, b) = (range.start * self.zones, range.end * self.zones);
        let b = b.min(self.values.len());
        let a = a.min(b);
        ZoneRequirements {
            zones: self.zones,
            values: self.values[a..b].to_vec(),
            lines: self.lines[a..b].to_vec(),
        }
    }
}

/// The network of a scenario, validated: every bus connected to the reference bus, every unit
/// and load at a known bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// In `buses.csv` order; a bus's index is its position here.
    pub buses: Vec<Bus>,
    /// Zone names, in the order they first appear in `buses.csv`.
    pub zones: Vec<String>,
    /// In `lines.csv` order.
    pub lines: Vec<Line>,
    /// The reference (slack) bus: angle 0, and where an unbalanced injection is balanced.
    pub reference: usize,
    /// The bus of each unit, by unit index.
    pub unit_bus: Vec<usize>,
    /// `None` when `bus_loads.csv` is absent.
    pub loads: Option<BusLoads>,
    /// All zero when `zone_requirements.csv` is absent.
    pub zone_requirements: ZoneRequirements,
    bus_index: HashMap<String, usize>,
    line_index: HashMap<String, usize>,
}

impl Network {
    /// The index of bus `id`.
    pub fn bus(&self, id: &str) -> Option<usize> {
        self.bus_index.get(id).copied()
    }

    /// The index of line `id`.
    pub fn line(&self, id: &str) -> Option<usize> {
        self.line_index.get(id).copied()
    }

    /// The index of zone `name`.
    pub fn zone(&self, name: &str) -> Option<usize> {
        self.zones.iter().position(|z| z == name)
    }

    /// The zone of unit `unit` (the zone of its bus).
    pub fn unit_zone(&self, unit: usize) -> usize {
        self.buses[self.unit_bus[unit]].zone
    }

    /// The network for intervals `range` of the horizon, renumbered from 0.
    pub fn slice(&self, range: Range<usize>) -> Network {
        Network {
            buses: self.buses.clone(),
            zones: self.zones.clone(),
            lines: self.lines.clone(),
            reference: self.reference,
            unit_bus: self.unit_bus.clone(),
            loads: self.loads.as_ref().map(|l| l.slice(range.clone())),
            zone_requirements: self.zone_requirements.slice(range),
            bus_index: self.bus_index.clone(),
            line_index: self.line_index.clone(),
        }
    }
}

/// The network's files as the loader found them (header-checked), `None` where absent.
pub struct Files {
    pub buses: Option<Table>,
    pub lines: Option<Table>,
    pub bus_loads: Option<Table>,
    pub zone_requirements: Option<Table>,
}

/// Loads the network, or `None` without `buses.csv`. With `bus_loads.csv`, each interval's
/// `load_mw` in `requirements` is checked against the sum of its bus loads, or filled from it
/// where `requirements.csv` leaves it empty.
pub fn load(
    files: Files,
    units: &Table,
    fleet: &Fleet,
    horizon: &Horizon,
    config: (&Config, &str),
    requirements: &mut Requirements,
) -> Result<Option<Network>, InputError> {
    let (config, text) = config;
    let Some(buses_table) = files.buses else {
        return without_buses(&files, units, config, text).map(|()| None);
    };
    let (buses, zones, bus_index) = parse_buses(&buses_table)?;
    let reference = match &config.network.reference_bus {
        None => 0,
        Some(id) => *bus_index.get(id.as_str()).ok_or_else(|| {
            key_error(
                text,
                "network.reference_bus",
                ErrorKind::UnknownReference,
                format!("names bus {id:?}, which is not in {BUSES}"),
            )
        })?,
    };
    let (lines, line_index) = match &files.lines {
        Some(t) => parse_lines(t, &bus_index)?,
        None => (Vec::new(), HashMap::new()),
    };
    check_connected(&buses, &lines, reference)?;
    check_reactance_range(&lines)?;
    let unit_bus = parse_unit_buses(units, &bus_index)?;
    let loads = match &files.bus_loads {
        Some(t) => Some(parse_bus_loads(t, &bus_index, horizon, requirements)?),
        None => None,
    };
    let mut network = Network {
        buses,
        zones,
        lines,
        reference,
        unit_bus,
        loads,
        zone_requirements: ZoneRequirements::new(horizon.intervals, 0),
        bus_index,
        line_index,
    };
    if let Some(t) = &files.zone_requirements {
        network.zone_requirements = parse_zone_requirements(t, &network, horizon, requirements)?;
    }
    debug_assert_eq!(network.unit_bus.len(), fleet.units.len());
    Ok(Some(network))
}

/// Without `buses.csv`, nothing may refer to buses: each such file or setting is an error
/// (a forgotten `buses.csv` must not silently give a copper plate).
fn without_buses(
    files: &Files,
    units: &Table,
    config: &Config,
    text: &str,
) -> Result<(), InputError> {
    for (table, name) in [
        (&files.lines, LINES),
        (&files.bus_loads, BUS_LOADS),
        (&files.zone_requirements, ZONE_REQUIREMENTS),
    ] {
        if table.is_some() {
            return Err(InputError::new(
                ErrorKind::MissingFile,
                name,
                format!(
                    "needs {BUSES}, which names the buses it refers to: add {BUSES}, or delete {name} to clear on a copper plate"
                ),
            ));
        }
    }
    if config.network.reference_bus.is_some() {
        return Err(key_error(
            text,
            "network.reference_bus",
            ErrorKind::MissingFile,
            format!("names a bus, but the scenario has no {BUSES}"),
        ));
    }
    if let Some(row) = units.rows().find(|r| r.optional("bus").is_some()) {
        return Err(row.error(
            ErrorKind::MissingFile,
            "bus",
            format!(
                "names a bus, but the scenario has no {BUSES}: add {BUSES}, or leave the column out to clear on a copper plate"
            ),
        ));
    }
    Ok(())
}

type Buses = (Vec<Bus>, Vec<String>, HashMap<String, usize>);

fn parse_buses(table: &Table) -> Result<Buses, InputError> {
    let mut buses = Vec::with_capacity(table.len());
    let mut zones: Vec<String> = Vec::new();
    let mut zone_index: HashMap<String, usize> = HashMap::new();
    let mut index: HashMap<String, usize> = HashMap::with_capacity(table.len());
    for row in table.rows() {
        let id = row.id("bus")?;
        if let Some(&first) = index.get(id) {
            return Err(row.error(
                ErrorKind::Duplicate,
                "bus",
                format!(
                    "bus {id:?} is already defined on line {}",
                    buses.get(first).map_or(0, |b: &Bus| b.line)
                ),
            ));
        }
        let zone_name = row.id("zone")?;
        let zone = *zone_index.entry(zone_name.to_string()).or_insert_with(|| {
            zones.push(zone_name.to_string());
            zones.len() - 1
        });
        index.insert(id.to_string(), buses.len());
        buses.push(Bus {
            id: id.to_string(),
            zone,
            line: row.line,
        });
    }
    Ok((buses, zones, index))
}

fn bus_of(row: &Row, column: &str, index: &HashMap<String, usize>) -> Result<usize, InputError> {
    let id = row.text(column)?;
    index.get(id).copied().ok_or_else(|| {
        row.error(
            ErrorKind::UnknownReference,
            column,
            format!("names bus {id:?}, which is not in {BUSES}"),
        )
    })
}

fn parse_lines(
    table: &Table,
    buses: &HashMap<String, usize>,
) -> Result<(Vec<Line>, HashMap<String, usize>), InputError> {
    let mut lines: Vec<Line> = Vec::with_capacity(table.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(table.len());
    for row in table.rows() {
        let id = row.id("line")?;
        if let Some(&first) = index.get(id) {
            return Err(row.error(
                ErrorKind::Duplicate,
                "line",
                format!(
                    "line {id:?} is already defined on line {} (parallel lines need ids of their own)",
                    lines[first].line
                ),
            ));
        }
        let from = bus_of(&row, "from_bus", buses)?;
        let to = bus_of(&row, "to_bus", buses)?;
        if from == to {
            return Err(row.error(
                ErrorKind::Invalid,
                "to_bus",
                format!(
                    "must differ from from_bus: a line from bus {:?} to itself carries no flow",
                    row.text("from_bus").unwrap_or_default()
                ),
            ));
        }
        let reactance_pu = row.positive("reactance_pu")?;
        let limit_mw = row.optional_positive("limit_mw").map_err(|e| InputError {
            rule: format!(
                "{} (leave it empty for no limit; take a line out of service by deleting its row)",
                e.rule
            ),
            ..e
        })?;
        index.insert(id.to_string(), lines.len());
        lines.push(Line {
            id: id.to_string(),
            from,
            to,
            reactance_pu,
            limit_mw,
            line: row.line,
        });
    }
    Ok((lines, index))
}

/// Every bus must reach the reference bus through lines: an island has no path to balance
/// its injections, and its rows of the susceptance matrix would make it singular.
fn check_connected(buses: &[Bus], lines: &[Line], reference: usize) -> Result<(), InputError> {
    let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); buses.len()];
    for l in lines {
        adjacent[l.from].push(l.to);
        adjacent[l.to].push(l.from);
    }
    let mut reached = vec![false; buses.len()];
    reached[reference] = true;
    let mut stack = vec![reference];
    while let Some(b) = stack.pop() {
        for &next in &adjacent[b] {
            if !std::mem::replace(&mut reached[next], true) {
                stack.push(next);
            }
        }
    }
    let island: Vec<&Bus> = buses
        .iter()
        .zip(&reached)
        .filter(|(_, r)| !**r)
        .map(|(b, _)| b)
        .collect();
    let Some(first) = island.first() else {
        return Ok(());
    };
    const SHOWN: usize = 10;
    let mut names: Vec<String> = island
        .iter()
        .take(SHOWN)
        .map(|b| format!("{:?}", b.id))
        .collect();
    if island.len() > SHOWN {
        names.push(format!("and {} more", island.len() - SHOWN));
    }
    let (noun, verb) = if island.len() == 1 {
        ("bus", "is")
    } else {
        ("buses", "are")
    };
    Err(InputError::new(
        ErrorKind::Invalid,
        BUSES,
        format!(
            "{noun} {} {verb} not connected to the reference bus {:?} by the lines of {LINES}: an island cannot balance its power; connect it, or take its buses out",
            names.join(", "),
            buses[reference].id
        ),
    )
    .at_line(first.line)
    .at_column("bus"))
}

fn check_reactance_range(lines: &[Line]) -> Result<(), InputError> {
    let (Some(smallest), Some(largest)) = (
        lines.iter().min_by_key(|l| l.reactance_pu),
        lines.iter().max_by_key(|l| l.reactance_pu),
    ) else {
        return Ok(());
    };
    // Checked: 1e9 / 1e-28 overflows a decimal (beyond 7.9e28), and any ratio that does is
    // far beyond the limit.
    let ratio = largest
        .reactance_pu
        .checked_div(smallest.reactance_pu)
        .and_then(|r| f64::try_from(r).ok())
        .unwrap_or(f64::INFINITY);
    if ratio > MAX_REACTANCE_RATIO {
        return Err(InputError::new(
            ErrorKind::Invalid,
            LINES,
            format!(
                "is {} on line {:?} while line {:?} (line {}) has {}: reactances spanning more than {MAX_REACTANCE_RATIO:e} to 1 leave DC flows with few true digits; merge buses joined by a near-zero reactance",
                smallest.reactance_pu, smallest.id, largest.id, largest.line, largest.reactance_pu
            ),
        )
        .at_line(smallest.line)
        .at_column("reactance_pu"));
    }
    Ok(())
}

fn parse_unit_buses(
    units: &Table,
    buses: &HashMap<String, usize>,
) -> Result<Vec<usize>, InputError> {
    if !units.has("bus") {
        return Err(InputError::new(
            ErrorKind::MissingColumn,
            &units.file,
            format!("the scenario has {BUSES}, so every unit needs the bus it is connected to"),
        )
        .at_line(1)
        .at_column("bus"));
    }
    units
        .rows()
        .map(|row| {
            if row.optional("bus").is_none() {
                return Err(row.error(
                    ErrorKind::Parse,
                    "bus",
                    format!(
                        "must not be empty: the scenario has {BUSES}, so every unit needs its bus"
                    ),
                ));
            }
            bus_of(&row, "bus", buses)
        })
        .collect()
}

fn interval_of(row: &Row, horizon: &Horizon) -> Result<usize, InputError> {
    let t = row.time("time")?;
    horizon.index_at(t).ok_or_else(|| {
        row.error(
            ErrorKind::Invalid,
            "time",
            format!(
                "must be an interval start of the horizon ({} every {} minutes until {}), got {}",
                horizon.start.format(TIME_FORMAT),
                horizon.interval_minutes,
                horizon.end().format(TIME_FORMAT),
                row.text("time").unwrap_or_default()
            ),
        )
    })
}

/// `bus_loads.csv`, checked against (or filling) `requirements.csv`'s `load_mw`.
fn parse_bus_loads(
    table: &Table,
    buses: &HashMap<String, usize>,
    horizon: &Horizon,
    requirements: &mut Requirements,
) -> Result<BusLoads, InputError> {
    let mut seen: HashMap<(usize, usize), u64> = HashMap::with_capacity(table.len());
    let mut rows: Vec<(u32, u32, Decimal)> = Vec::with_capacity(table.len());
    for row in table.rows() {
        let i = interval_of(&row, horizon)?;
        let bus = bus_of(&row, "bus", buses)?;
        if let Some(first) = seen.insert((i, bus), row.line) {
            return Err(row.error(
                ErrorKind::Duplicate,
                "bus",
                format!(
                    "the load of bus {:?} at {} is already given on line {first}",
                    row.text("bus").unwrap_or_default(),
                    horizon.label(i)
                ),
            ));
        }
        rows.push((i as u32, bus as u32, row.non_negative("load_mw")?));
    }
    rows.sort_unstable_by_key(|&(i, b, _)| (i, b));
    let mut starts = vec![0usize; horizon.intervals + 1];
    for &(i, _, _) in &rows {
        starts[i as usize + 1] += 1;
    }
    for i in 0..horizon.intervals {
        starts[i + 1] += starts[i];
    }
    if let Some(i) = (0..horizon.intervals).find(|&i| starts[i] == starts[i + 1]) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            BUS_LOADS,
            format!(
                "has no row for interval {}: every interval of the horizon needs its loads (write 0 where a bus has none)",
                horizon.label(i)
            ),
        )
        .at_column("time"));
    }
    let loads = BusLoads {
        starts,
        entries: rows.into_iter().map(|(_, b, mw)| (b, mw)).collect(),
    };
    for (i, r) in requirements.by_interval.iter_mut().enumerate() {
        let total = loads.total(i);
        match r.load_mw {
            None => r.load_mw = Some(total),
            Some(given) if (given - total).abs() > LOAD_TOLERANCE_MW => {
                return Err(InputError::new(
                    ErrorKind::Invalid,
                    "requirements.csv",
                    format!(
                        "is {given} MW at {}, but the loads of {BUS_LOADS} sum to {total} MW there: they must agree to {LOAD_TOLERANCE_MW} MW (or leave load_mw empty to take the sum)",
                        horizon.label(i)
                    ),
                )
                .at_line(requirements.lines.get(i).copied().unwrap_or_default())
                .at_column("load_mw"));
            }
            Some(_) => {}
        }
    }
    requirements.has_load = true;
    Ok(loads)
}

fn parse_zone_requirements(
    table: &Table,
    network: &Network,
    horizon: &Horizon,
    requirements: &Requirements,
) -> Result<ZoneRequirements, InputError> {
    let zones = network.zones.len();
    let mut out = ZoneRequirements::new(horizon.intervals, zones);
    let mut has_units = vec![false; zones];
    for u in 0..network.unit_bus.len() {
        has_units[network.unit_zone(u)] = true;
    }
    for row in table.rows() {
        let i = interval_of(&row, horizon)?;
        let name = row.text("zone")?;
        let zone = network.zone(name).ok_or_else(|| {
            row.error(
                ErrorKind::UnknownReference,
                "zone",
                format!(
                    "names zone {name:?}, which no bus of {BUSES} is in (its zones are {})",
                    network.zones.join(", ")
                ),
            )
        })?;
        let k = i * zones + zone;
        if out.lines[k] > 0 {
            return Err(row.error(
                ErrorKind::Duplicate,
                "zone",
                format!(
                    "the requirements of zone {name:?} at {} are already given on line {}",
                    horizon.label(i),
                    out.lines[k]
                ),
            ));
        }
        let value = ZoneRequirement {
            fr_mw: row.optional_non_negative("fr_mw")?.unwrap_or_default(),
            reserve_mw: row.optional_non_negative("reserve_mw")?.unwrap_or_default(),
        };
        for (mw, column, has) in [
            (value.fr_mw, "fr_mw", requirements.has_fr),
            (value.reserve_mw, "reserve_mw", requirements.has_reserve),
        ] {
            if mw.is_zero() {
                continue;
            }
            if !has {
                return Err(row.error(
                    ErrorKind::Invalid,
                    column,
                    format!(
                        "asks zone {name:?} for {mw} MW, but requirements.csv has no {column} column, so the product is not cleared: add the column (0 where the system as a whole needs none)"
                    ),
                ));
            }
            if !has_units[zone] {
                return Err(row.error(
                    ErrorKind::Invalid,
                    "zone",
                    format!(
                        "asks zone {name:?} for {mw} MW of {column}, but no unit of units.csv is at a bus of that zone, so nothing could meet it"
                    ),
                ));
            }
        }
        out.values[k] = value;
        out.lines[k] = row.line;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_loads_slice_like_the_whole() {
        // Interval 0: bus 1 10 MW; interval 1: buses 0 and 2; interval 2: bus 2.
        let loads = BusLoads {
            starts: vec![0, 1, 3, 4],
            entries: vec![
                (1, Decimal::TEN),
                (0, Decimal::ONE),
                (2, Decimal::TWO),
                (2, Decimal::ONE_HUNDRED),
            ],
        };
        assert_eq!(loads.total(1), Decimal::from(3));
        assert_eq!(loads.get(2, 1), Decimal::TWO);
        assert_eq!(loads.get(1, 1), Decimal::ZERO);
        assert_eq!(loads.dense(1, 3), vec![1.0, 0.0, 2.0]);
        let tail = loads.slice(1..3);
        for i in 0..2 {
            assert_eq!(tail.of_interval(i), loads.of_interval(i + 1));
        }
        assert!(tail.of_interval(2).is_empty());
    }

    #[test]
    fn zone_requirements_slice_like_the_whole() {
        let mut z = ZoneRequirements::new(3, 2);
        z.values[2 * 2 + 1].fr_mw = Decimal::TEN;
        z.lines[2 * 2 + 1] = 7;
        let tail = z.slice(1..3);
        assert_eq!(tail.get(1, 1).fr_mw, Decimal::TEN);
        assert_eq!(tail.line(1, 1), Some(7));
        assert_eq!(tail.line(0, 1), None);
        assert!(tail.any() && !z.slice(0..1).any());
    }
}
