//! `ancillary import rts-gmlc`: a contract-v1 scenario from the public RTS-GMLC test system
//! (NREL; its data-use notice travels with the data in `data/rts-gmlc/LICENSE.md`).
//!
//! The mapping, stated once (RTS-GMLC has no ancillary-service offers, so those follow a rule):
//! - units: every generator but synchronous condensers. Coal → `coal`; gas and oil → `gas`;
//!   nuclear → `nuclear`; hydro and run-of-river → `hydro`; PV, rooftop PV and CSP → `pv`;
//!   wind → `wind`; the battery → `storage`. Owner: the RTS area (bus 1xx → "Area 1").
//!   Minimum outputs are dropped (0): without commitment decisions, every thermal unit would
//!   be forced on all day.
//! - energy offers ($ → 元 at 6.9, the 2020 average rate): thermal units in five segments of
//!   the heat-rate curve: up to `Output_pct_0` × PMax at `HR_avg_0` × fuel price + VOM, then
//!   each further segment at `HR_incr_k` × fuel price + VOM (kept non-decreasing). Wind, PV,
//!   CSP and hydro offer their day-ahead profile at 0.
//! - requirements: load = the sum of the three regions' day-ahead load; FR (`fr_mw`) = Reg_Up;
//!   reserve = Spin_Up_R1 + R2 + R3.
//! - FR offers from units RTS-GMLC lets regulate (coal, gas and oil thermal): capacity
//!   min(5 × ramp, 10 % of PMax), price 5–15 元/MW rising with the unit's full-load heat rate
//!   (the least efficient asks 15). Reserve offers: min(10 × ramp, 20 % of PMax) at 10 % of
//!   the unit's full-load energy cost.
//! - FR performance: design rate = ramp / PMax (%/min); precision 1.0 % (coal), 0.8 % (gas);
//!   response 30 s (steam), 20 s (combined cycle), 15 s (combustion turbine).
//! - mileage: none is metered in RTS-GMLC, so none is written: the scenario sets `[fr]
//!   expected_mileage_per_mw = 3`, and each FR award's mileage is settled as 3 × the award
//!   per hour (a study assumption, marked in the run's outputs).
//! - metering: users consume the day's load; the nuclear unit is non-market generation.
//! - `LICENSE.md`, NREL's data-use notice, is copied with the data: it must appear in all
//!   copies of the data.
//! - the network (unless `Grid::CopperPlate`): the 73 buses of `bus.csv`, zone = `R` + the
//!   bus's area; the 120 AC branches of `branch.csv` as lines (`X` as the reactance, the
//!   continuous rating `Cont Rating` as the limit); each unit at its `Bus ID`. Each area's
//!   load is spread over its buses by their share of the area's `MW Load` (the static load in
//!   `bus.csv`), in whole fen of a MW (0.01 MW) with cumulative rounding, so that each area's
//!   bus loads add up to its rounded load exactly. Spin_Up_R1, R2, R3 become the reserve
//!   minimums of zones R1, R2, R3 (`zone_requirements.csv`; RTS-GMLC's `reserves.csv` makes
//!   each eligible in its own region only), and the system-wide reserve minimum is 0: it
//!   would equal the three zones' sum, a second row for the same need. Reg_Up stays
//!   system-wide. RTS-GMLC's one HVDC link (`dc_branch.csv`, bus 113 to 316) is not in
//!   `data/rts-gmlc` and is left out: the contract has no controllable lines, and its 100 MW
//!   would be a fixed transfer we cannot choose without its schedule.
//!
//! Each raw file is read once; only the rows of the days imported are kept.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Duration, NaiveDate};

use crate::error::{Error, ErrorKind, InputError};

const USD_TO_YUAN: f64 = 6.9;

/// FR mileage per MW of award per hour assumed for RTS-GMLC (`[fr] expected_mileage_per_mw`):
/// a regulating unit's AGC signal typically travels about three times its award in an hour.
const MILEAGE_PER_MW: f64 = 3.0;

fn read_bytes(dir: &Path, rel: &str) -> Result<Vec<u8>, InputError> {
    let path = dir.join(rel);
    std::fs::read(&path).map_err(|e| {
        InputError::new(
            ErrorKind::MissingFile,
            rel,
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

fn csv_error(file: &str, e: &csv::Error) -> InputError {
    let err = InputError::new(
        ErrorKind::Unreadable,
        file,
        format!("is not valid CSV: {e}"),
    );
    match e.position() {
        Some(p) => err.at_line(p.line()),
        None => err,
    }
}

/// A raw file's header, and the records kept from it.
struct Raw {
    header: Vec<String>,
    records: Vec<csv::StringRecord>,
}

impl Raw {
    /// Every record of a small table (`gen.csv`, `storage.csv`).
    fn table(dir: &Path, rel: &str) -> Result<Raw, InputError> {
        let bytes = read_bytes(dir, rel)?;
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let header = header(rel, &mut r)?;
        let records = r
            .records()
            .collect::<Result<_, _>>()
            .map_err(|e| csv_error(rel, &e))?;
        Ok(Raw { header, records })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A record's cell as text, empty when the column is missing.
    fn cell<'a>(&self, record: &'a csv::StringRecord, column: &str) -> &'a str {
        self.column(column)
            .and_then(|i| record.get(i))
            .map_or("", str::trim)
    }

    /// A record's cell as a number, 0 when empty or missing (RTS-GMLC leaves heat-rate cells
    /// of units without fuel empty).
    fn number(&self, record: &csv::StringRecord, column: &str) -> f64 {
        self.cell(record, column).parse().unwrap_or(0.0)
    }
}

fn header<R: std::io::Read>(file: &str, r: &mut csv::Reader<R>) -> Result<Vec<String>, InputError> {
    Ok(r.headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect())
}

/// A time series file's rows for the days imported, read in one pass: each kept row placed
/// in its slot (hour of the window for long files `Year, Month, Day, Period, …`; day of the
/// window for wide files `Year, Month, Day, 1 … 24`).
struct Series {
    file: String,
    header: Vec<String>,
    /// Each slot's row and its line in the file, `None` where the file has no row for it.
    slots: Vec<Option<(u64, csv::StringRecord)>>,
    long: bool,
}

impl Series {
    fn read(dir: &Path, rel: &str, day: NaiveDate, days: i64) -> Result<Series, InputError> {
        let bytes = read_bytes(dir, rel)?;
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let header = header(rel, &mut r)?;
        let at = |name: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                InputError::new(ErrorKind::MissingColumn, rel, "RTS-GMLC series need it")
                    .at_line(1)
                    .at_column(name)
            })
        };
        let (y, m, d) = (at("Year")?, at("Month")?, at("Day")?);
        let period = header.iter().position(|h| h == "Period");
        let per_day = if period.is_some() { 24 } else { 1 };
        let mut slots = vec![None; days as usize * per_day];
        let mut record = csv::ByteRecord::new();
        let whole = |record: &csv::ByteRecord, i: usize| -> Option<u32> {
            std::str::from_utf8(record.get(i)?)
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        while r
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(rel, &e))?
        {
            let line = record.position().map_or(0, |p| p.line());
            let date = match (whole(&record, y), whole(&record, m), whole(&record, d)) {
                (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d),
                _ => None,
            };
            let Some(date) = date else {
                return Err(InputError::new(
                    ErrorKind::Parse,
                    rel,
                    "Year, Month and Day must form a date",
                )
                .at_line(line));
            };
            let offset = (date - day).num_days();
            if !(0..days).contains(&offset) {
                continue;
            }
            let hour = match period {
                Some(p) => match whole(&record, p) {
                    Some(h @ 1..=24) => h as usize - 1,
                    _ => {
                        return Err(InputError::new(
                            ErrorKind::Parse,
                            rel,
                            "Period must be an hour from 1 to 24",
                        )
                        .at_line(line)
                        .at_column("Period"));
                    }
                },
                None => 0,
            };
            let text = csv::StringRecord::from_byte_record(record.clone()).map_err(|_| {
                InputError::new(ErrorKind::Unreadable, rel, "is not valid UTF-8 text").at_line(line)
            })?;
            slots[offset as usize * per_day + hour] = Some((line, text));
        }
        Ok(Series {
            file: rel.to_string(),
            header,
            slots,
            long: period.is_some(),
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn has(&self, column: &str) -> bool {
        self.column(column).is_some()
    }

    /// Hourly values of `column` over the window (long files), or of columns `1` … `24` day by
    /// day (wide files, `column` unused). A missing hour or a cell that is not a number is an
    /// error, never 0.
    fn hourly(&self, column: &str, day: NaiveDate, days: i64) -> Result<Vec<f64>, InputError> {
        let file = &self.file;
        let cell = |line: u64, record: &csv::StringRecord, name: &str| {
            let i = self.column(name).ok_or_else(|| {
                InputError::new(ErrorKind::MissingColumn, file, "the import needs it")
                    .at_line(1)
                    .at_column(name)
            })?;
            let text = record.get(i).unwrap_or("").trim();
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    InputError::new(
                        ErrorKind::Parse,
                        file,
                        format!("must be a number, got {text:?}"),
                    )
                    .at_line(line)
                    .at_column(name)
                })
        };
        let missing = |slot: usize| {
            let (d, h) = if self.long {
                (slot / 24, format!(" hour {}", slot % 24 + 1))
            } else {
                (slot, String::new())
            };
            InputError::new(
                ErrorKind::Invalid,
                file,
                format!(
                    "has no row for {}{h}: the import of {days} day(s) from {day} needs every hour (RTS-GMLC covers 2020)",
                    day + Duration::days(d as i64)
                ),
            )
        };
        let mut out = Vec::with_capacity(days as usize * 24);
        for (slot, row) in self.slots.iter().enumerate() {
            let (line, record) = row.as_ref().ok_or_else(|| missing(slot))?;
            if self.long {
                out.push(cell(*line, record, column)?);
            } else {
                for h in 1..=24 {
                    out.push(cell(*line, record, &h.to_string())?);
                }
            }
        }
        Ok(out)
    }
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// NREL's data-use notice, which must appear in all copies of the data: `LICENSE.md` in the
/// folder given, or in its parent (NREL's repository keeps it above `RTS_Data/`).
fn notice(rts: &Path) -> Result<String, InputError> {
    let candidates = [rts.join("LICENSE.md"), rts.join("../LICENSE.md")];
    for path in &candidates {
        if path.is_file() {
            return std::fs::read_to_string(path).map_err(|e| {
                InputError::new(
                    ErrorKind::Unreadable,
                    path.display().to_string(),
                    format!("cannot read NREL's data-use notice: {e}"),
                )
            });
        }
    }
    Err(InputError::new(
        ErrorKind::MissingFile,
        rts.join("LICENSE.md").display().to_string(),
        "NREL's data-use notice (LICENSE.md) is not here or in the parent folder: it must travel with every copy of the data, so the import copies it into the scenario",
    ))
}

/// What the import writes of RTS-GMLC's transmission grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grid {
    /// Buses, lines, units at their buses, bus loads, zonal reserve (the default).
    #[default]
    Network,
    /// No network files: load, FR and reserve system-wide, as before the network existed.
    CopperPlate,
}

/// Imports `days` days from `day` into scenario files (name → text), `LICENSE.md` included.
pub fn rts_gmlc(
    rts: &Path,
    day: NaiveDate,
    days: i64,
    grid: Grid,
) -> Result<BTreeMap<String, String>, InputError> {
    if !(1..=366).contains(&days) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "--days",
            format!("must be between 1 and 366, got {days}"),
        ));
    }
    let license = notice(rts)?;
    let gens = Raw::table(rts, "SourceData/gen.csv")?;
    let storage = Raw::table(rts, "SourceData/storage.csv")?;
    let series = |rel: &str| Series::read(rts, rel, day, days);
    let n = (days * 24) as usize;

    let load_file = series("timeseries_data_files/Load/DAY_AHEAD_regional_Load.csv")?;
    // Each area's load, hour by hour (areas 1, 2, 3).
    let area_load: Vec<Vec<f64>> = ["1", "2", "3"]
        .iter()
        .map(|c| load_file.hourly(c, day, days))
        .collect::<Result<_, _>>()?;
    let load: Vec<f64> = (0..n)
        .map(|i| area_load.iter().map(|p| p[i]).sum())
        .collect();
    // RTS-GMLC ships both layouts here: Reg_Up is wide (Year, Month, Day, 1…24), the Spin_Up_R*
    // files are long (Year, Month, Day, Period, Spin_Up_Rk). Read by the header.
    let reserve_file = |name: &str| -> Result<Vec<f64>, InputError> {
        series(&format!(
            "timeseries_data_files/Reserves/DAY_AHEAD_regional_{name}.csv"
        ))?
        .hourly(name, day, days)
    };
    let reg_up = reserve_file("Reg_Up")?;
    let spin_by_region: Vec<Vec<f64>> = ["Spin_Up_R1", "Spin_Up_R2", "Spin_Up_R3"]
        .iter()
        .map(|r| reserve_file(r))
        .collect::<Result<_, _>>()?;
    let spin: Vec<f64> = (0..n)
        .map(|i| spin_by_region.iter().map(|v| v[i]).sum())
        .collect();
    let profiles: Vec<(Series, &str)> = vec![
        (
            series("timeseries_data_files/WIND/DAY_AHEAD_wind.csv")?,
            "WIND",
        ),
        (series("timeseries_data_files/PV/DAY_AHEAD_pv.csv")?, "PV"),
        (
            series("timeseries_data_files/RTPV/DAY_AHEAD_rtpv.csv")?,
            "RTPV",
        ),
        (
            series("timeseries_data_files/Hydro/DAY_AHEAD_hydro.csv")?,
            "HYDRO",
        ),
        (
            series("timeseries_data_files/CSP/DAY_AHEAD_Natural_Inflow.csv")?,
            "CSP",
        ),
    ];

    // Every interval boundary's label once.
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    let t: Vec<String> = (0..=n)
        .map(|i| {
            (midnight + Duration::hours(i as i64))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .collect();
    let end = &t[n];
    let network = grid == Grid::Network;
    let mut units = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s,energy_capacity_mwh,efficiency,initial_soc_mwh",
    );
    units.push_str(if network { ",bus\n" } else { "\n" });
    let mut energy = String::from("unit,start,end,segment,mw,price_yuan_per_mwh\n");
    let mut fr = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut reserve = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    let is_thermal_fuel = |fuel: &str| matches!(fuel, "Coal" | "NG" | "Oil");
    let (hr_lo, hr_hi) = gens
        .records
        .iter()
        .filter(|g| is_thermal_fuel(gens.cell(g, "Fuel")))
        .map(|g| gens.number(g, "HR_avg_0"))
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    for g in &gens.records {
        let (id, unit_type, fuel) = (
            gens.cell(g, "GEN UID"),
            gens.cell(g, "Unit Type"),
            gens.cell(g, "Fuel"),
        );
        let kind = match (unit_type, fuel) {
            ("SYNC_COND", _) => continue,
            (_, "Coal") => "coal",
            (_, "NG") | (_, "Oil") => "gas",
            (_, "Nuclear") => "nuclear",
            (_, "Hydro") => "hydro",
            (_, "Solar") => "pv",
            (_, "Wind") => "wind",
            (_, "Storage") => "storage",
            _ => continue,
        };
        let pmax = gens.number(g, "PMax MW");
        let ramp = gens.number(g, "Ramp Rate MW/Min");
        let owner = format!("Area {}", id.chars().next().unwrap_or('?'));
        let is_thermal = is_thermal_fuel(fuel);
        let design = if is_thermal {
            let precision = if fuel == "Coal" { 1.0 } else { 0.8 };
            let response = match unit_type {
                "CT" => 15,
                "CC" => 20,
                _ => 30,
            };
            format!(
                "{},{precision},{response}",
                r2(ramp / pmax * 100.0).max(0.01)
            )
        } else {
            ",,".into()
        };
        let storage_cols = if kind == "storage" {
            let head = storage.records.iter().find(|s| {
                storage.cell(s, "GEN UID") == id && storage.cell(s, "position") == "head"
            });
            let (cap, init) = head.map_or((pmax * 3.0, pmax * 1.5), |s| {
                (
                    storage.number(s, "Max Volume GWh") * 1000.0,
                    storage.number(s, "Initial Volume GWh") * 1000.0,
                )
            });
            format!("{cap},0.9,{init}")
        } else {
            ",,".into()
        };
        let _ = write!(
            units,
            "{id},{owner},{kind},{pmax},0,{},false,{design},{storage_cols}",
            if ramp > 0.0 {
                r2(ramp).to_string()
            } else {
                String::new()
            }
        );
        if network {
            let _ = write!(units, ",{}", gens.cell(g, "Bus ID"));
        }
        units.push('\n');
        if is_thermal {
            let fuel_price = gens.number(g, "Fuel Price $/MMBTU");
            let vom = gens.number(g, "VOM");
            let cost = |hr: f64| r2((hr * fuel_price / 1000.0 + vom) * USD_TO_YUAN);
            let mut last_pct = 0.0;
            let mut last_price = 0.0_f64;
            let mut segment = 1;
            for k in 0..5 {
                let pct = gens.number(g, &format!("Output_pct_{k}"));
                if pct <= last_pct {
                    continue;
                }
                let hr = if k == 0 {
                    gens.number(g, "HR_avg_0")
                } else {
                    gens.number(g, &format!("HR_incr_{k}"))
                };
                let price = cost(hr).max(last_price);
                // Cumulative rounding, so the segments add up to PMax exactly.
                let mw = r2(r2(pct.min(1.0) * pmax) - r2(last_pct.min(1.0) * pmax));
                let _ = writeln!(energy, "{id},{},{end},{segment},{mw},{price}", t[0]);
                segment += 1;
                last_pct = pct;
                last_price = price;
            }
            let full_load_cost = cost(gens.number(g, "HR_avg_0"));
            let fr_mw = r2((5.0 * ramp).min(0.1 * pmax));
            let position = if hr_hi > hr_lo {
                (gens.number(g, "HR_avg_0") - hr_lo) / (hr_hi - hr_lo)
            } else {
                0.5
            };
            let _ = writeln!(
                fr,
                "{id},{},{end},{fr_mw},{}",
                t[0],
                r2(5.0 + 10.0 * position)
            );
            let _ = writeln!(
                reserve,
                "{id},{},{end},{},{}",
                t[0],
                r2((10.0 * ramp).min(0.2 * pmax)),
                r2(0.1 * full_load_cost)
            );
        } else if fuel == "Nuclear" {
            let _ = writeln!(energy, "{id},{},{end},1,{pmax},0", t[0]);
        } else if kind != "storage" {
            let tag = match unit_type {
                "WIND" => "WIND",
                "PV" => "PV",
                "RTPV" => "RTPV",
                "CSP" => "CSP",
                _ => "HYDRO",
            };
            let (profile, _) = profiles
                .iter()
                .find(|(_, name)| *name == tag)
                .expect("a profile file per tag");
            if profile.has(id) {
                for (i, v) in profile.hourly(id, day, days)?.iter().enumerate() {
                    let mw = r2(v.min(pmax).max(0.0));
                    if mw > 0.0 {
                        let _ = writeln!(energy, "{id},{},{},1,{mw},0", t[i], t[i + 1]);
                    }
                }
            }
        }
    }
    let grid_files = match grid {
        Grid::Network => Some(network_files(rts, &t, &area_load, &spin_by_region)?),
        Grid::CopperPlate => None,
    };
    let mut req = String::from("time,load_mw,fr_mw,reserve_mw\n");
    for i in 0..n {
        // With the network, the system load is the bus loads' sum (each area's load rounded
        // to 0.01 MW, then added) and reserve is asked by zone only (see the module doc).
        let (load_mw, reserve_mw) = match &grid_files {
            Some(g) => (g.load_mw[i], 0.0),
            None => (r2(load[i]), r2(spin[i])),
        };
        let _ = writeln!(req, "{},{load_mw},{},{reserve_mw}", t[i], r2(reg_up[i]),);
    }
    let mut metering = String::from("day,party,role,energy_mwh\n");
    for d in 0..days as usize {
        let date = day + Duration::days(d as i64);
        let _ = writeln!(
            metering,
            "{date},RTS users,user,{}",
            r2(load[d * 24..d * 24 + 24].iter().sum())
        );
        let _ = writeln!(
            metering,
            "{date},121_NUCLEAR_1,non_market_generator,{}",
            400.0 * 24.0
        );
    }
    let mut files = BTreeMap::new();
    files.insert(
        "scenario.toml".to_string(),
        format!(
            "# RTS-GMLC (NREL public test system), {days} day(s) from {day}, imported by\n\
             # `ancillary import rts-gmlc` (the mapping is in src/import.rs and the README).\n\
             # Data: NREL RTS-GMLC, under its data-use notice (LICENSE.md, copied with the data).\n\
             name = \"rts-gmlc-{day}\"\n\
             province = \"none\"   # not a Chinese provincial grid: a US test system\n\
             spot_market = \"continuous\"\n\
             interval_minutes = 60\n\
             start = \"{}\"\n\
             intervals = {n}\n\
             \n\
             [caps]\n\
             energy_market_price_cap_yuan_per_mwh = 1500.0\n\
             energy_cap_source = \"RTS-GMLC is not a Chinese province: 1500 yuan/MWh, the spot-market cap of Shanxi, Guangdong and Shandong (data/spot_markets.csv), as a stand-in\"\n\
             \n\
             [fr]\n\
             # RTS-GMLC meters no mileage: each FR award's mileage is settled as this many MW\n\
             # per MW awarded per hour, a study assumption (the run's outputs say so).\n\
             expected_mileage_per_mw = {MILEAGE_PER_MW:.1}\n\
             \n\
             [clearing]\n\
             engine = \"lp\"\n\
             \n\
             [allocation]\n\
             user_share = 0.5\n",
            t[0]
        ),
    );
    for (name, text) in [
        ("units.csv", units),
        ("energy_offers.csv", energy),
        ("fr_offers.csv", fr),
        ("reserve_offers.csv", reserve),
        ("requirements.csv", req),
        ("metering.csv", metering),
        ("LICENSE.md", license),
    ] {
        files.insert(name.to_string(), text);
    }
    if let Some(g) = grid_files {
        files.extend(g.files);
    }
    Ok(files)
}

/// The network's files, and the system load they add up to per hour.
struct GridFiles {
    files: Vec<(String, String)>,
    load_mw: Vec<f64>,
}

/// A cell of a small source table that must be a number: an error naming the file, line and
/// column where it is not (a grid with a made-up 0 reactance or rating is worse than none).
fn number_at(
    raw: &Raw,
    file: &str,
    record: &csv::StringRecord,
    column: &str,
) -> Result<f64, InputError> {
    let cell = raw.cell(record, column);
    cell.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            let err = InputError::new(
                ErrorKind::Invalid,
                file,
                format!("must be a number, got {cell:?}"),
            )
            .at_column(column);
            match record.position() {
                Some(p) => err.at_line(p.line()),
                None => err,
            }
        })
}

/// buses.csv, lines.csv, bus_loads.csv and zone_requirements.csv from `bus.csv`, `branch.csv`
/// and the regional series (the mapping is in the module doc).
fn network_files(
    rts: &Path,
    t: &[String],
    area_load: &[Vec<f64>],
    spin_by_region: &[Vec<f64>],
) -> Result<GridFiles, InputError> {
    const BUS_FILE: &str = "SourceData/bus.csv";
    const BRANCH_FILE: &str = "SourceData/branch.csv";
    let bus = Raw::table(rts, BUS_FILE)?;
    let branch = Raw::table(rts, BRANCH_FILE)?;
    let n = t.len() - 1;
    let mut buses = String::from("bus,zone\n");
    // Per area (1, 2, 3): its buses with a static load, and that load (MW).
    let mut loaded: [Vec<(&str, f64)>; 3] = Default::default();
    for b in &bus.records {
        let id = bus.cell(b, "Bus ID");
        let area = number_at(&bus, BUS_FILE, b, "Area")?;
        let a = match [1.0, 2.0, 3.0].iter().position(|&x| x == area) {
            Some(a) => a,
            None => {
                let err = InputError::new(
                    ErrorKind::Invalid,
                    BUS_FILE,
                    format!(
                        "must be 1, 2 or 3 (the regions of the load and reserve series), got {area}"
                    ),
                )
                .at_column("Area");
                return Err(match b.position() {
                    Some(p) => err.at_line(p.line()),
                    None => err,
                });
            }
        };
        let _ = writeln!(buses, "{id},R{}", a + 1);
        let mw = number_at(&bus, BUS_FILE, b, "MW Load")?;
        if mw > 0.0 {
            loaded[a].push((id, mw));
        }
    }
    let mut lines = String::from("line,from_bus,to_bus,reactance_pu,limit_mw\n");
    for l in &branch.records {
        // Checked as numbers here; written as the source spells them.
        number_at(&branch, BRANCH_FILE, l, "X")?;
        number_at(&branch, BRANCH_FILE, l, "Cont Rating")?;
        let _ = writeln!(
            lines,
            "{},{},{},{},{}",
            branch.cell(l, "UID"),
            branch.cell(l, "From Bus"),
            branch.cell(l, "To Bus"),
            branch.cell(l, "X"),
            branch.cell(l, "Cont Rating"),
        );
    }
    let mut bus_loads = String::from("time,bus,load_mw\n");
    let mut load_mw = vec![0.0; n];
    for (i, total) in load_mw.iter_mut().enumerate() {
        let mut cents_of_hour = 0_i64;
        for (a, buses) in loaded.iter().enumerate() {
            // In whole 0.01 MW: bus k gets round(L × S_k / S) − round(L × S_{k−1} / S), S_k the
            // running sum of static loads, so the parts add up to round(L) exactly.
            let cents = (area_load[a][i] * 100.0).round() as i64;
            let whole: f64 = buses.iter().map(|(_, mw)| mw).sum();
            let (mut running, mut given) = (0.0, 0_i64);
            for (id, mw) in buses {
                running += mw;
                let upto = (cents as f64 * running / whole).round() as i64;
                let part = upto - given;
                given = upto;
                let _ = writeln!(bus_loads, "{},{id},{}", t[i], part as f64 / 100.0);
            }
            cents_of_hour += cents;
        }
        *total = cents_of_hour as f64 / 100.0;
    }
    let mut zone_req = String::from("time,zone,fr_mw,reserve_mw\n");
    for i in 0..n {
        for (r, spin) in spin_by_region.iter().enumerate() {
            let _ = writeln!(zone_req, "{},R{},,{}", t[i], r + 1, r2(spin[i]));
        }
    }
    Ok(GridFiles {
        files: vec![
            ("buses.csv".into(), buses),
            ("lines.csv".into(), lines),
            ("bus_loads.csv".into(), bus_loads),
            ("zone_requirements.csv".into(), zone_req),
        ],
        load_mw,
    })
}

/// Writes the imported scenario to `out` (a new or empty folder).
pub fn write(out: &Path, files: &BTreeMap<String, String>) -> Result<(), Error> {
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(InputError::new(
            ErrorKind::Invalid,
            out.display().to_string(),
            "exists and is not empty: choose a new folder",
        )
        .into());
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
