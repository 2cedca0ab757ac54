//! `ancillary generate`: synthetic scenarios of any size, deterministic by seed, for scale
//! tests and benches. A fleet of coal, gas, storage and wind units; daily FR, reserve and
//! (non-spot) peak offers, or (continuous spot) energy offers; requirements following a daily
//! load curve; mileage for every FR offer; metering for allocation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{ErrorKind, InputError};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub units: usize,
    pub days: usize,
    pub interval_minutes: u32,
    pub seed: u64,
    pub continuous: bool,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The scenario's files, name → text.
pub fn scenario(size: Size) -> Result<BTreeMap<String, String>, InputError> {
    if size.units == 0
        || size.units > 100_000
        || size.days == 0
        || size.days > 3660
        || size.interval_minutes == 0
        || 1440 % size.interval_minutes != 0
    {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "generate",
            "needs 1–100000 units, 1–3660 days and interval minutes that divide 1440",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(size.seed);
    let per_day = (1440 / size.interval_minutes) as usize;
    let n = per_day * size.days;
    let start = NaiveDate::from_ymd_opt(2024, 1, 1)
        .expect("a date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let t = |i: usize| {
        (start + Duration::minutes(i as i64 * i64::from(size.interval_minutes)))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    // Fleet: 60 % coal, 20 % gas, 10 % storage, 10 % wind.
    struct U {
        id: String,
        kind: &'static str,
        cap: f64,
    }
    let units: Vec<U> = (0..size.units)
        .map(|k| {
            let kind = match k % 10 {
                0..=5 => "coal",
                6 | 7 => "gas",
                8 => "storage",
                _ => "wind",
            };
            let cap = match kind {
                "coal" => [350.0, 600.0, 660.0, 1000.0][rng.random_range(0..4)],
                "gas" => rng.random_range(300.0..460.0_f64).round(),
                "storage" => [50.0, 100.0, 200.0][rng.random_range(0..3)],
                _ => rng.random_range(100.0..400.0_f64).round(),
            };
            U {
                id: format!("U{k:05}"),
                kind,
                cap,
            }
        })
        .collect();
    let total: f64 = units.iter().map(|u| u.cap).sum();
    let mut files = BTreeMap::new();
    let spot = if size.continuous {
        "continuous"
    } else {
        "none"
    };
    let mut toml = format!(
        "# Synthetic: {} units, {} days, seed {} (ancillary generate).\nname = \"synthetic-{}u-{}d-s{}\"\nprovince = \"Jiangsu\"\nspot_market = \"{spot}\"\ninterval_minutes = {}\nstart = \"{}\"\nintervals = {n}\n",
        size.units,
        size.days,
        size.seed,
        size.units,
        size.days,
        size.seed,
        size.interval_minutes,
        t(0)
    );
    if size.continuous {
        toml += "\n[clearing]\nengine = \"lp\"\n\n[allocation]\nuser_share = 0.5\n";
    }
    files.insert("scenario.toml".to_string(), toml);
    let mut s = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s\n",
    );
    for (k, u) in units.iter().enumerate() {
        let design = if u.kind == "coal" {
            format!(
                "{:.2},{:.2},{}",
                rng.random_range(1.0..2.5),
                rng.random_range(0.8..1.5),
                rng.random_range(20..60)
            )
        } else {
            ",,".into()
        };
        let _ = writeln!(
            s,
            "{},Owner{},{},{},{},{},{},{design}",
            u.id,
            k % 7,
            u.kind,
            u.cap,
            if u.kind == "coal" {
                r2(u.cap * 0.3)
            } else {
                0.0
            },
            r2(u.cap * 0.02),
            matches!(u.kind, "coal" | "gas")
        );
    }
    files.insert("units.csv".to_string(), s);
    let mut perf = String::from("unit,rate_pct_per_min,precision_pct,response_s\n");
    for u in units
        .iter()
        .filter(|u| u.kind == "gas" || u.kind == "storage")
    {
        let (r, p, rs) = if u.kind == "gas" {
            (rng.random_range(3.0..5.0), 0.8, 20.0)
        } else {
            (rng.random_range(8.0..15.0), 0.4, 2.0)
        };
        let _ = writeln!(perf, "{},{r:.2},{p},{rs}", u.id);
    }
    files.insert("fr_performance.csv".to_string(), perf);

    let mut req = String::from(if size.continuous {
        "time,fr_mw,reserve_mw,load_mw\n"
    } else {
        "time,fr_mw,reserve_mw,peak_mw\n"
    });
    for i in 0..n {
        let h = (i % per_day) as f64 * f64::from(size.interval_minutes) / 60.0;
        let load = total
            * (0.45
                + 0.15 * (-(h - 11.0_f64).powi(2) / 10.0).exp()
                + 0.2 * (-(h - 19.0_f64).powi(2) / 5.0).exp());
        let third = if size.continuous {
            r2(load)
        } else if h < 6.0 {
            r2(total * 0.05)
        } else {
            0.0
        };
        let _ = writeln!(
            req,
            "{},{},{},{third}",
            t(i),
            r2(load * 0.02),
            r2(load * 0.05)
        );
    }
    files.insert("requirements.csv".to_string(), req);

    let mut fr = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut rs = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    let mut pk = String::from("unit,start,end,band,mw,price_yuan_per_mwh\n");
    let mut en = String::from("unit,start,end,segment,mw,price_yuan_per_mwh\n");
    let fr_units: Vec<&U> = units.iter().filter(|u| u.kind != "wind").collect();
    for d in 0..size.days {
        let (d0, d1) = (t(d * per_day), t((d + 1) * per_day));
        for u in &units {
            if u.kind != "wind" {
                let share = if u.kind == "storage" { 0.8 } else { 0.06 };
                let _ = writeln!(
                    fr,
                    "{},{d0},{d1},{},{:.2}",
                    u.id,
                    r2(u.cap * share),
                    rng.random_range(4.0..14.0)
                );
                let _ = writeln!(
                    rs,
                    "{},{d0},{d1},{},{:.2}",
                    u.id,
                    r2(u.cap * 0.1),
                    rng.random_range(5.0..80.0)
                );
            }
            if size.continuous {
                let base = match u.kind {
                    "coal" => rng.random_range(280.0..360.0),
                    "gas" => rng.random_range(450.0..600.0),
                    _ => 0.0,
                };
                if u.kind != "storage" {
                    let _ = writeln!(
                        en,
                        "{},{d0},{d1},1,{},{:.2}",
                        u.id,
                        r2(u.cap * 0.5),
                        base * 0.8
                    );
                    let _ = writeln!(
                        en,
                        "{},{d0},{d1},2,{},{:.2}",
                        u.id,
                        r2(u.cap - r2(u.cap * 0.5)),
                        base
                    );
                }
            } else if u.kind == "coal" {
                let p1 = rng.random_range(50.0..150.0);
                let p6 = t(d * per_day + per_day / 4);
                let _ = writeln!(pk, "{},{d0},{p6},1,{},{p1:.2}", u.id, r2(u.cap * 0.1));
                let _ = writeln!(
                    pk,
                    "{},{d0},{p6},2,{},{:.2}",
                    u.id,
                    r2(u.cap * 0.1),
                    p1 + rng.random_range(50.0..150.0)
                );
            }
        }
    }
    files.insert("fr_offers.csv".to_string(), fr);
    files.insert("reserve_offers.csv".to_string(), rs);
    if size.continuous {
        files.insert("energy_offers.csv".to_string(), en);
    } else {
        files.insert("peak_offers.csv".to_string(), pk);
    }
    let mut m = String::from("time,unit,mileage_mw\n");
    for i in 0..n {
        for u in &fr_units {
            let share = if u.kind == "storage" { 0.8 } else { 0.06 };
            let _ = writeln!(
                m,
                "{},{},{:.1}",
                t(i),
                u.id,
                u.cap * share * rng.random_range(1.0..4.0)
            );
        }
    }
    files.insert("fr_mileage.csv".to_string(), m);
    let mut met = String::from("day,party,role,energy_mwh\n");
    for d in 0..size.days {
        let date = (start + Duration::days(d as i64)).date();
        for u in &units {
            let role = if size.continuous && u.kind == "wind" {
                "non_market_generator"
            } else {
                "generator"
            };
            let _ = writeln!(
                met,
                "{date},{},{role},{:.1}",
                u.id,
                u.cap * 24.0 * rng.random_range(0.2..0.7)
            );
        }
        if size.continuous {
            let _ = writeln!(met, "{date},Users,user,{:.1}", total * 24.0 * 0.6);
            // Under a continuous spot market the non-market generators pay a share of the
            // cost (notice 196 §五(八)); the wind units are they, and a fleet of fewer than
            // ten units has none, so a non-market party stands in (no random draw: the rest
            // of the scenario is as before).
            if !units.iter().any(|u| u.kind == "wind") {
                let _ = writeln!(
                    met,
                    "{date},NonMarket,non_market_generator,{:.1}",
                    total * 24.0 * 0.1
                );
            }
        }
    }
    files.insert("metering.csv".to_string(), met);
    // A small fleet can leave a file with no rows (no coal unit: no peak offers); the loader
    // refuses header-only files, so such a file is left out.
    files.retain(|name, text| !name.ends_with(".csv") || text.lines().nth(1).is_some());
    Ok(files)
}

/// Adds a meshed transmission network of `buses` buses to a generated continuous-spot
/// scenario (`ancillary generate --buses N`): `buses.csv` (five zones of consecutive buses),
/// `lines.csv`, a `bus` for every unit and `bus_loads.csv`. The grid is a spanning tree in
/// which each bus hangs on one of the ten before it, plus chords between buses at most 50
/// apart, 1.5 lines per bus in all; reactances 0.01–0.2 p.u. (RTS-GMLC's range). Each line's
/// limit is `line_limit_share` × the peak load ÷ √buses, rounded to 1 MW: with the default
/// 2.0 a few lines bind at the peak (a synthetic grid has no planner, so the share is the
/// knob for congestion). Units sit at random buses, load is spread over every bus by fixed
/// random weights, each interval's bus loads adding up to `load_mw` exactly (cumulative
/// rounding in 0.01 MW). Its own random stream (from `seed`), so the rest of the scenario is
/// the same as without `--buses`.
pub fn add_network(
    files: &mut BTreeMap<String, String>,
    buses: usize,
    line_limit_share: f64,
    seed: u64,
) -> Result<(), InputError> {
    let bad = |rule: &str| Err(InputError::new(ErrorKind::Invalid, "generate", rule));
    if !(2..=100_000).contains(&buses) {
        return bad("--buses must be between 2 and 100000");
    }
    if !(line_limit_share.is_finite() && line_limit_share > 0.0) {
        return bad("--line-limit-share must be a number above 0");
    }
    let Some(requirements) = files.get("requirements.csv") else {
        return bad("--buses needs requirements");
    };
    let mut rows = requirements.lines();
    let header: Vec<&str> = rows.next().unwrap_or_default().split(',').collect();
    let Some(load_col) = header.iter().position(|&h| h == "load_mw") else {
        return bad("--buses needs --spot continuous: the network acts on the energy dispatch");
    };
    // Each interval's time and load, in whole 0.01 MW.
    let load: Vec<(String, i64)> = rows
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let mw: f64 = cells[load_col].parse().unwrap_or(0.0);
            (cells[0].to_string(), (mw * 100.0).round() as i64)
        })
        .collect();
    let peak = load.iter().map(|(_, c)| *c).max().unwrap_or(0) as f64 / 100.0;

    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e65_7477_6f72_6b00);
    let mut b = String::from("bus,zone\n");
    for k in 0..buses {
        let _ = writeln!(b, "n{k},z{}", k * 5 / buses + 1);
    }
    let lines = buses * 3 / 2;
    let limit = (line_limit_share * peak / (buses as f64).sqrt())
        .round()
        .max(1.0);
    let mut l = String::from("line,from_bus,to_bus,reactance_pu,limit_mw\n");
    for k in 0..lines {
        let (from, to) = if k + 1 < buses {
            let to = k + 1;
            (to - 1 - rng.random_range(0..to.min(10)), to)
        } else {
            let a = rng.random_range(0..buses);
            let mut z = (a + rng.random_range(1..=50)) % buses;
            if z == a {
                z = (a + 1) % buses;
            }
            (a, z)
        };
        let x = rng.random_range(0.01..0.2);
        let _ = writeln!(l, "l{k},n{from},n{to},{x:.4},{limit}");
    }
    if let Some(units) = files.get_mut("units.csv") {
        let mut with_bus = String::with_capacity(units.len() + units.lines().count() * 8);
        for (k, line) in units.lines().enumerate() {
            with_bus.push_str(line);
            if k == 0 {
                with_bus.push_str(",bus\n");
            } else {
                let _ = writeln!(with_bus, ",n{}", rng.random_range(0..buses));
            }
        }
        *units = with_bus;
    }
    let weights: Vec<f64> = (0..buses).map(|_| rng.random_range(0.2..1.0)).collect();
    let whole: f64 = weights.iter().sum();
    let mut bl = String::from("time,bus,load_mw\n");
    for (time, cents) in &load {
        let (mut running, mut given) = (0.0, 0_i64);
        for (k, w) in weights.iter().enumerate() {
            running += w;
            let upto = if k + 1 == buses {
                *cents
            } else {
                (*cents as f64 * running / whole).round() as i64
            };
            let _ = writeln!(bl, "{time},n{k},{}", (upto - given) as f64 / 100.0);
            given = upto;
        }
    }
    files.insert("buses.csv".to_string(), b);
    files.insert("lines.csv".to_string(), l);
    files.insert("bus_loads.csv".to_string(), bl);
    Ok(())
}
