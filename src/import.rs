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
//! - mileage: 3 × each unit's FR award per hour, from a first clearing pass.
//! - metering: users consume the day's load; the nuclear unit is non-market generation.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Duration, NaiveDate};

use crate::error::{Error, ErrorKind, InputError};

const USD_TO_YUAN: f64 = 6.9;

type Rows = Vec<BTreeMap<String, String>>;

fn read(dir: &Path, rel: &str) -> Result<Rows, InputError> {
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).map_err(|e| {
        InputError::new(
            ErrorKind::MissingFile,
            rel,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    crate::scenario::table::named_rows(rel, &bytes)
}

fn f(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row.get(column)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A cell as text, empty when the column is missing (the file is then reported as lacking
/// data, never a panic).
fn cell<'a>(row: &'a BTreeMap<String, String>, column: &str) -> &'a str {
    row.get(column).map_or("", String::as_str)
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Hourly values for `days` from `day`: long files (Year, Month, Day, Period, columns…) give
/// one column per name; wide files (Year, Month, Day, 1…24) give one series.
fn long_series(rows: &Rows, day: NaiveDate, days: i64, column: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for d in 0..days {
        let date = day + Duration::days(d);
        let key = (
            date.format("%Y").to_string(),
            date.format("%-m").to_string(),
            date.format("%-d").to_string(),
        );
        let mut hours: Vec<(u32, f64)> = rows
            .iter()
            .filter(|r| {
                (cell(r, "Year"), cell(r, "Month"), cell(r, "Day"))
                    == (key.0.as_str(), key.1.as_str(), key.2.as_str())
            })
            .map(|r| (cell(r, "Period").parse().unwrap_or(0), f(r, column)))
            .collect();
        hours.sort_by_key(|h| h.0);
        out.extend(hours.into_iter().map(|h| h.1));
    }
    out
}

fn wide_series(rows: &Rows, day: NaiveDate, days: i64) -> Vec<f64> {
    let mut out = Vec::new();
    for d in 0..days {
        let date = day + Duration::days(d);
        if let Some(r) = rows.iter().find(|r| {
            cell(r, "Year") == date.format("%Y").to_string()
                && cell(r, "Month") == date.format("%-m").to_string()
                && cell(r, "Day") == date.format("%-d").to_string()
        }) {
            out.extend((1..=24).map(|h| f(r, &h.to_string())));
        }
    }
    out
}

/// Imports `days` days from `day` into scenario files (name → text).
pub fn rts_gmlc(
    rts: &Path,
    day: NaiveDate,
    days: i64,
) -> Result<BTreeMap<String, String>, InputError> {
    if !(1..=366).contains(&days) {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "--days",
            format!("must be between 1 and 366, got {days}"),
        ));
    }
    let gens = read(rts, "SourceData/gen.csv")?;
    let load_rows = read(
        rts,
        "timeseries_data_files/Load/DAY_AHEAD_regional_Load.csv",
    )?;
    let n = (days * 24) as usize;
    let load: Vec<f64> = {
        let parts: Vec<Vec<f64>> = ["1", "2", "3"]
            .iter()
            .map(|c| long_series(&load_rows, day, days, c))
            .collect();
        (0..parts[0].len())
            .map(|i| parts.iter().map(|p| p[i]).sum())
            .collect()
    };
    if load.len() != n {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "timeseries_data_files/Load/DAY_AHEAD_regional_Load.csv",
            format!("has no complete data for {days} day(s) from {day} (RTS-GMLC covers 2020)"),
        ));
    }
    let reserve_file = |name: &str| -> Result<Vec<f64>, InputError> {
        let rel = format!("timeseries_data_files/Reserves/DAY_AHEAD_regional_{name}.csv");
        let rows = read(rts, &rel)?;
        // RTS-GMLC ships both layouts here: Reg_Up is wide (Year, Month, Day, 1…24), the
        // Spin_Up_R* files are long (Year, Month, Day, Period, Spin_Up_Rk). Read by the header,
        // and never let a missing hour become 0.
        let first = rows.first();
        let values = if first.is_some_and(|r| r.contains_key("Period")) {
            if !first.is_some_and(|r| r.contains_key(name)) {
                return Err(InputError::new(
                    ErrorKind::MissingColumn,
                    rel,
                    format!("has a Period column but no {name} column"),
                ));
            }
            long_series(&rows, day, days, name)
        } else {
            wide_series(&rows, day, days)
        };
        if values.len() != n {
            return Err(InputError::new(
                ErrorKind::Invalid,
                rel,
                format!(
                    "has {} hourly values for {days} day(s) from {day}, not {n} (RTS-GMLC covers 2020)",
                    values.len()
                ),
            ));
        }
        Ok(values)
    };
    let reg_up = reserve_file("Reg_Up")?;
    let spin: Vec<f64> = {
        let s: Vec<Vec<f64>> = ["Spin_Up_R1", "Spin_Up_R2", "Spin_Up_R3"]
            .iter()
            .map(|r| reserve_file(r))
            .collect::<Result<_, _>>()?;
        (0..n).map(|i| s.iter().map(|v| v[i]).sum()).collect()
    };
    let profiles: Vec<(Rows, &str)> = vec![
        (
            read(rts, "timeseries_data_files/WIND/DAY_AHEAD_wind.csv")?,
            "WIND",
        ),
        (
            read(rts, "timeseries_data_files/PV/DAY_AHEAD_pv.csv")?,
            "PV",
        ),
        (
            read(rts, "timeseries_data_files/RTPV/DAY_AHEAD_rtpv.csv")?,
            "RTPV",
        ),
        (
            read(rts, "timeseries_data_files/Hydro/DAY_AHEAD_hydro.csv")?,
            "HYDRO",
        ),
        (
            read(
                rts,
                "timeseries_data_files/CSP/DAY_AHEAD_Natural_Inflow.csv",
            )?,
            "CSP",
        ),
    ];
    let storage = read(rts, "SourceData/storage.csv")?;

    let t = |i: usize| {
        (day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::hours(i as i64))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let end = t(n);
    let mut units = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s,energy_capacity_mwh,efficiency,initial_soc_mwh\n",
    );
    let mut energy = String::from("unit,start,end,segment,mw,price_yuan_per_mwh\n");
    let mut fr = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut reserve = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    let thermal: Vec<&BTreeMap<String, String>> = gens
        .iter()
        .filter(|g| matches!(cell(g, "Fuel"), "Coal" | "NG" | "Oil"))
        .collect();
    let (hr_lo, hr_hi) = thermal
        .iter()
        .map(|g| f(g, "HR_avg_0"))
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    for g in &gens {
        let (id, unit_type, fuel) = (cell(g, "GEN UID"), cell(g, "Unit Type"), cell(g, "Fuel"));
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
        let pmax = f(g, "PMax MW");
        let ramp = f(g, "Ramp Rate MW/Min");
        let owner = format!("Area {}", id.chars().next().unwrap_or('?'));
        let is_thermal = matches!(fuel, "Coal" | "NG" | "Oil");
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
            let head = storage
                .iter()
                .find(|s| cell(s, "GEN UID") == id && cell(s, "position") == "head");
            let (cap, init) = head.map_or((pmax * 3.0, pmax * 1.5), |s| {
                (
                    f(s, "Max Volume GWh") * 1000.0,
                    f(s, "Initial Volume GWh") * 1000.0,
                )
            });
            format!("{cap},0.9,{init}")
        } else {
            ",,".into()
        };
        let _ = writeln!(
            units,
            "{id},{owner},{kind},{pmax},0,{},false,{design},{storage_cols}",
            if ramp > 0.0 {
                r2(ramp).to_string()
            } else {
                String::new()
            }
        );
        if is_thermal {
            let fuel_price = f(g, "Fuel Price $/MMBTU");
            let vom = f(g, "VOM");
            let cost = |hr: f64| r2((hr * fuel_price / 1000.0 + vom) * USD_TO_YUAN);
            let mut last_pct = 0.0;
            let mut last_price = 0.0_f64;
            let mut segment = 1;
            for k in 0..5 {
                let pct = f(g, &format!("Output_pct_{k}"));
                if pct <= last_pct {
                    continue;
                }
                let hr = if k == 0 {
                    f(g, "HR_avg_0")
                } else {
                    f(g, &format!("HR_incr_{k}"))
                };
                let price = cost(hr).max(last_price);
                // Cumulative rounding, so the segments add up to PMax exactly.
                let mw = r2(r2(pct.min(1.0) * pmax) - r2(last_pct.min(1.0) * pmax));
                let _ = writeln!(energy, "{id},{},{end},{segment},{mw},{price}", t(0));
                segment += 1;
                last_pct = pct;
                last_price = price;
            }
            let full_load_cost = cost(f(g, "HR_avg_0"));
            let fr_mw = r2((5.0 * ramp).min(0.1 * pmax));
            let position = if hr_hi > hr_lo {
                (f(g, "HR_avg_0") - hr_lo) / (hr_hi - hr_lo)
            } else {
                0.5
            };
            let _ = writeln!(
                fr,
                "{id},{},{end},{fr_mw},{}",
                t(0),
                r2(5.0 + 10.0 * position)
            );
            let _ = writeln!(
                reserve,
                "{id},{},{end},{},{}",
                t(0),
                r2((10.0 * ramp).min(0.2 * pmax)),
                r2(0.1 * full_load_cost)
            );
        } else if fuel == "Nuclear" {
            let _ = writeln!(energy, "{id},{},{end},1,{pmax},0", t(0));
        } else if kind != "storage" {
            let tag = match unit_type {
                "WIND" => "WIND",
                "PV" => "PV",
                "RTPV" => "RTPV",
                "CSP" => "CSP",
                _ => "HYDRO",
            };
            let (rows, _) = profiles
                .iter()
                .find(|(_, name)| *name == tag)
                .expect("profile file");
            if rows.first().is_some_and(|r| r.contains_key(id)) {
                for (i, v) in long_series(rows, day, days, id).iter().enumerate() {
                    let mw = r2(v.min(pmax).max(0.0));
                    if mw > 0.0 {
                        let _ = writeln!(energy, "{id},{},{},1,{mw},0", t(i), t(i + 1));
                    }
                }
            }
        }
    }
    let mut req = String::from("time,load_mw,fr_mw,reserve_mw\n");
    for i in 0..n {
        let _ = writeln!(
            req,
            "{},{},{},{}",
            t(i),
            r2(load[i]),
            r2(reg_up.get(i).copied().unwrap_or(0.0)),
            r2(spin[i])
        );
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
            "# RTS-GMLC (NREL public test system), {days} day(s) from {day}, imported by\n# `ancillary import rts-gmlc` (the mapping is in src/import.rs and the README).\n# Data: NREL RTS-GMLC, under its data-use notice (data/rts-gmlc/LICENSE.md).\nname = \"rts-gmlc-{day}\"\nprovince = \"RTS-GMLC\"\nspot_market = \"continuous\"\ninterval_minutes = 60\nstart = \"{}\"\nintervals = {n}\n\n[caps]\nenergy_market_price_cap_yuan_per_mwh = 1500.0\nenergy_cap_source = \"RTS-GMLC is not a Chinese province: 1500 yuan/MWh, the spot-market cap of Shanxi, Guangdong and Shandong (data/spot_markets.csv), as a stand-in\"\n\n[clearing]\nengine = \"lp\"\nsolver = \"clarabel\"\n\n[allocation]\nuser_share = 0.5\n",
            t(0)
        ),
    );
    for (name, text) in [
        ("units.csv", units),
        ("energy_offers.csv", energy),
        ("fr_offers.csv", fr),
        ("reserve_offers.csv", reserve),
        ("requirements.csv", req),
        ("metering.csv", metering),
    ] {
        files.insert(name.to_string(), text);
    }
    // First pass: learn the FR awards; mileage = 3 × award. Awards do not depend on mileage,
    // so the pass gives one zero row (the loader refuses a mileage file with no rows).
    let mut bytes: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    let first_unit = files["units.csv"]
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .unwrap_or_default();
    bytes.insert(
        "fr_mileage.csv".into(),
        format!("time,unit,mileage_mw\n{},{first_unit},0\n", t(0)).into_bytes(),
    );
    let scenario = crate::scenario::load_files(&bytes)?;
    let result = crate::run::run(&scenario)?;
    let mut mileage = String::from("time,unit,mileage_mw\n");
    for a in result
        .awards
        .iter()
        .filter(|a| a.product == crate::product::Product::Fr && !a.cleared_mw.is_zero())
    {
        let _ = writeln!(
            mileage,
            "{},{},{}",
            scenario.horizon.label(a.interval),
            scenario.fleet.units[a.unit].id,
            (a.cleared_mw * rust_decimal::Decimal::from(3)).normalize()
        );
    }
    files.insert("fr_mileage.csv".into(), mileage);
    Ok(files)
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
