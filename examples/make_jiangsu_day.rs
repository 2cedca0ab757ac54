//! Writes `scenarios/jiangsu-typical-day/`: a realistic, deterministic (seeded) typical day of
//! a non-spot province with high night-time wind. Run: `cargo run --example make_jiangsu_day`.
//!
//! Where the numbers come from is written to the scenario's `SOURCE.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DIR: &str = "scenarios/jiangsu-typical-day";
const START: &str = "2024-03-01T00:00";
const INTERVALS: usize = 96;

struct U {
    id: String,
    owner: &'static str,
    kind: &'static str,
    capacity: f64,
    min_frac: f64,
    ramp_pct: f64,
    capacity_payment: bool,
    design: Option<(f64, f64, f64)>,
}

fn time(i: usize) -> String {
    let m = i * 15;
    format!("2024-03-01T{:02}:{:02}", m / 60, m % 60)
}

fn minute(m: usize) -> String {
    format!("2024-03-01T{:02}:{:02}", m / 60, m % 60)
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(196);
    let owners = [
        "Huaneng",
        "Datang",
        "Huadian",
        "Guoneng",
        "SPIC",
        "Jiangsu Guoxin",
    ];
    let mut units: Vec<U> = Vec::new();
    // 14 coal units: 1000, 660, 600 and 350 MW classes; design parameters spread around the
    // 1.5 %/min, 1 %, 30 s typical of provincial AGC test reports.
    let coal_sizes = [
        1000.0, 1000.0, 1000.0, 660.0, 660.0, 660.0, 660.0, 600.0, 600.0, 600.0, 350.0, 350.0,
        350.0, 350.0,
    ];
    for (k, &cap) in coal_sizes.iter().enumerate() {
        units.push(U {
            id: format!("C{:02}", k + 1),
            owner: owners[k % owners.len()],
            kind: "coal",
            capacity: cap,
            min_frac: 0.3,
            ramp_pct: rng.random_range(1.0..2.5),
            capacity_payment: true,
            design: Some((
                r2(rng.random_range(1.0..2.5)),
                r2(rng.random_range(0.8..1.5)),
                rng.random_range(20..=60) as f64,
            )),
        });
    }
    for k in 0..3 {
        units.push(U {
            id: format!("CS{}", k + 1),
            owner: owners[(k + 2) % owners.len()],
            kind: "coal_storage",
            capacity: 660.0,
            min_frac: 0.3,
            ramp_pct: 4.0,
            capacity_payment: true,
            design: Some((
                r2(rng.random_range(3.0..5.0)),
                r2(rng.random_range(0.4..0.6)),
                rng.random_range(5..=10) as f64,
            )),
        });
    }
    for k in 0..5 {
        units.push(U {
            id: format!("G{}", k + 1),
            owner: owners[(k + 1) % owners.len()],
            kind: "gas",
            capacity: [390.0, 420.0, 460.0, 390.0, 420.0][k],
            min_frac: 0.4,
            ramp_pct: 5.0,
            capacity_payment: true,
            design: Some((
                r2(rng.random_range(3.0..5.0)),
                0.8,
                rng.random_range(15..=25) as f64,
            )),
        });
    }
    for k in 0..2 {
        units.push(U {
            id: format!("H{}", k + 1),
            owner: "Jiangsu Guoxin",
            kind: "hydro",
            capacity: 300.0,
            min_frac: 0.0,
            ramp_pct: 20.0,
            capacity_payment: false,
            design: None,
        });
    }
    units.push(U {
        id: "N1".into(),
        owner: "CGN",
        kind: "nuclear",
        capacity: 1000.0,
        min_frac: 0.9,
        ramp_pct: 0.5,
        capacity_payment: false,
        design: None,
    });
    for (k, cap) in [100.0, 150.0, 200.0, 100.0].into_iter().enumerate() {
        units.push(U {
            id: format!("S{}", k + 1),
            owner: ["Ningde", "SPIC", "Huaneng", "Ningde"][k],
            kind: "storage",
            capacity: cap,
            min_frac: 0.0,
            ramp_pct: 100.0,
            capacity_payment: false,
            design: None,
        });
    }
    for k in 0..4 {
        units.push(U {
            id: format!("W{}", k + 1),
            owner: "Longyuan",
            kind: "wind",
            capacity: 300.0,
            min_frac: 0.0,
            ramp_pct: 10.0,
            capacity_payment: false,
            design: None,
        });
    }
    for k in 0..2 {
        units.push(U {
            id: format!("P{}", k + 1),
            owner: "SPIC",
            kind: "pv",
            capacity: 200.0,
            min_frac: 0.0,
            ramp_pct: 10.0,
            capacity_payment: false,
            design: None,
        });
    }
    units.push(U {
        id: "DR1".into(),
        owner: "Suzhou Industrial Park",
        kind: "demand_response",
        capacity: 80.0,
        min_frac: 0.0,
        ramp_pct: 100.0,
        capacity_payment: false,
        design: None,
    });
    units.push(U {
        id: "AG1".into(),
        owner: "Nanjing VPP",
        kind: "aggregator",
        capacity: 60.0,
        min_frac: 0.0,
        ramp_pct: 100.0,
        capacity_payment: false,
        design: None,
    });

    let mut files: BTreeMap<&str, String> = BTreeMap::new();
    files.insert("scenario.toml", format!(
        "# A typical day in Jiangsu (non-spot): FR all day, peak regulation in the windy night\n\
         # valley, reserve all day. Generated by `cargo run --example make_jiangsu_day`;\n\
         # SOURCE.md says where the numbers come from.\n\
         name = \"jiangsu-typical-day\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 15\nstart = \"{START}\"\nintervals = {INTERVALS}\n\n\
         [caps]\nfr_mileage_price_yuan_per_mw = 15.0\nperformance_factor = 2.0\n# peak cap: Jiangsu's coal benchmark, 391 yuan/MWh, from data/provinces.csv\n# energy-market cap: without a spot market, the coal benchmark + 20 % (发改价格〔2021〕1439号),\n# 0.391 × 1.2 = 469.2 yuan/MWh; the reserve cap defaults to it (notice 196 四(六))\n\n\
         [fr]\nperformance = \"product\"\nranking = \"price_over_k\"\n\n[peak]\nhydro_paid = false\npricing = \"uniform\"\n"));

    let mut s = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s\n",
    );
    for u in &units {
        let (r, p, t) = u.design.map_or(
            (String::new(), String::new(), String::new()),
            |(r, p, t)| (r.to_string(), p.to_string(), t.to_string()),
        );
        writeln!(
            s,
            "{},{},{},{},{},{},{},{r},{p},{t}",
            u.id,
            u.owner,
            u.kind,
            u.capacity,
            r2(u.capacity * u.min_frac),
            r2(u.capacity * u.ramp_pct / 100.0),
            u.capacity_payment
        )
        .unwrap();
    }
    files.insert("units.csv", s);

    // Requirements. FR: ~3.5 % of a 24 GW slice's load, higher on the morning and evening ramps.
    // Peak: the night valley 00:00–06:00 when wind is high. Reserve: ~6 % of load.
    let mut s = String::from("time,fr_mw,reserve_mw,peak_mw\n");
    for i in 0..INTERVALS {
        let h = i as f64 / 4.0;
        let load = 17000.0
            + 4000.0 * (-(h - 11.0_f64).powi(2) / 18.0).exp()
            + 5000.0 * (-(h - 19.5_f64).powi(2) / 6.0).exp()
            - 2500.0 * (-(h - 3.5_f64).powi(2) / 6.0).exp();
        let ramp = if (7.0..9.5).contains(&h) || (16.5..20.0).contains(&h) {
            180.0
        } else {
            0.0
        };
        let fr = (load * 0.035 + ramp + rng.random_range(-20.0..20.0)).round();
        let reserve = (load * 0.06).round();
        let peak = if h < 6.0 {
            (1400.0 + 900.0 * (-(h - 3.0_f64).powi(2) / 3.0).exp() + rng.random_range(-50.0..50.0))
                .round()
        } else {
            0.0
        };
        writeln!(s, "{},{fr},{reserve},{peak}", time(i)).unwrap();
    }
    files.insert("requirements.csv", s);

    // FR offers in four 6-hour segments. Thermal capacity 3–7.5 % of rated (Guangdong bounds),
    // storage 60–100 %; prices 4–15 yuan/MW as in provincial markets, one bid at 16 to show
    // the cap's rejection.
    let mut s = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut perf = String::from("unit,rate_pct_per_min,precision_pct,response_s\n");
    for u in &units {
        let frac = match u.kind {
            "coal" => rng.random_range(0.03..0.075),
            "coal_storage" => rng.random_range(0.10..0.15),
            "gas" => rng.random_range(0.05..0.10),
            "storage" => rng.random_range(0.6..1.0),
            "hydro" => 0.1,
            _ => continue,
        };
        for seg in 0..4 {
            let price = if u.id == "C14" && seg == 2 {
                16.0
            } else {
                r2(rng.random_range(4.0..15.0))
            };
            writeln!(
                s,
                "{},{},{},{},{price}",
                u.id,
                time(seg * 24),
                if seg == 3 {
                    "2024-03-02T00:00".to_string()
                } else {
                    time(seg * 24 + 24)
                },
                (u.capacity * frac).round()
            )
            .unwrap();
        }
        // Measured performance: design parameters degraded a little; storage and hydro measured.
        let (r, p, t) = u.design.unwrap_or(match u.kind {
            "storage" => (
                rng.random_range(8.0..15.0),
                rng.random_range(0.3..0.6),
                rng.random_range(1.0..3.0),
            ),
            _ => (rng.random_range(2.0..4.0), 1.0, 20.0),
        });
        writeln!(
            perf,
            "{},{},{},{}",
            u.id,
            r2(r * rng.random_range(0.85..1.0)),
            r2(p * rng.random_range(1.0..1.2)),
            r2(t * rng.random_range(1.0..1.2))
        )
        .unwrap();
    }
    files.insert("fr_offers.csv", s);
    files.insert("fr_performance.csv", perf);

    // Peak offers 00:00–06:00: coal in three depth bands of 10 % of capacity each, prices rising
    // with depth (the deepest band sometimes above the 391 cap); storage charging; demand
    // response; a hydro and a wind offer that the rules refuse.
    let mut s = String::from("unit,start,end,band,mw,price_yuan_per_mwh\n");
    for u in &units {
        let bands: Vec<(f64, f64)> = match u.kind {
            "coal" | "coal_storage" => {
                let p1 = r2(rng.random_range(50.0..150.0));
                let p2 = r2(p1 + rng.random_range(60.0..150.0));
                let p3 = r2(p2 + rng.random_range(60.0..150.0));
                vec![
                    (u.capacity * 0.1, p1),
                    (u.capacity * 0.1, p2),
                    (u.capacity * 0.1, p3),
                ]
            }
            "gas" => vec![(u.capacity * 0.15, r2(rng.random_range(150.0..300.0)))],
            "storage" => vec![(u.capacity, r2(rng.random_range(100.0..250.0)))],
            "demand_response" | "aggregator" => {
                vec![(u.capacity, r2(rng.random_range(120.0..300.0)))]
            }
            "hydro" if u.id == "H1" => vec![(100.0, 80.0)],
            "wind" if u.id == "W1" => vec![(150.0, 20.0)],
            _ => continue,
        };
        for (b, (mw, price)) in bands.into_iter().enumerate() {
            writeln!(
                s,
                "{},2024-03-01T00:00,2024-03-01T06:00,{},{},{price}",
                u.id,
                b + 1,
                mw.round()
            )
            .unwrap();
        }
    }
    files.insert("peak_offers.csv", s);

    // Reserve offers all day: thermal and hydro headroom at their opportunity cost.
    let mut s = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    for u in &units {
        let (frac, lo, hi) = match u.kind {
            "coal" => (0.08, 10.0, 60.0),
            "coal_storage" => (0.10, 10.0, 50.0),
            "gas" => (0.25, 20.0, 120.0),
            "hydro" => (0.5, 5.0, 30.0),
            "storage" => (0.5, 30.0, 150.0),
            _ => continue,
        };
        writeln!(
            s,
            "{},2024-03-01T00:00,2024-03-02T00:00,{},{}",
            u.id,
            (u.capacity * frac).round(),
            r2(rng.random_range(lo..hi))
        )
        .unwrap();
    }
    files.insert("reserve_offers.csv", s);

    // Actuals: two shortfalls against awards, for settlement on the actual.
    files.insert("actuals.csv", "time,unit,reserve_available_mw,peak_delivered_mw\n2024-03-01T18:00,G2,60,\n2024-03-01T03:00,C05,,40\n".into());

    let mut s = String::from("day,party,role,energy_mwh\n");
    for u in &units {
        if u.kind != "demand_response" && u.kind != "aggregator" {
            let cf = match u.kind {
                "nuclear" => 0.95,
                "coal" | "coal_storage" => 0.6,
                "gas" => 0.35,
                "hydro" => 0.4,
                "wind" => 0.3,
                "pv" => 0.15,
                _ => 0.1,
            };
            writeln!(
                s,
                "2024-03-01,{},generator,{}",
                u.id,
                (u.capacity * 24.0 * cf).round()
            )
            .unwrap();
        }
    }
    files.insert("metering.csv", s);

    // Pass 1: clear with no mileage to learn the FR awards; pass 2: AGC setpoints only where a
    // unit holds an award (units not in FR service do not follow AGC).
    let mut bytes: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    bytes.insert("fr_mileage.csv".into(), b"time,unit,mileage_mw\n".to_vec());
    let scenario = ancillary::scenario::load_files(&bytes).expect("generated scenario loads");
    let result = ancillary::run::run(&scenario).expect("generated scenario runs");
    let mut awarded: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for a in result
        .awards
        .iter()
        .filter(|a| a.product == ancillary::product::Product::Fr)
    {
        let mw: f64 = a.cleared_mw.to_string().parse().unwrap();
        if mw > 0.0 {
            awarded.insert((scenario.fleet.units[a.unit].id.clone(), a.interval), mw);
        }
    }
    // One setpoint a minute. While awarded, each minute moves by up to ±40 % of the award
    // (mean |Δ| 20 %: about 3 × the award per 15 minutes, a typical mileage ratio), pulled back
    // toward the base point so it stays within the regulation range.
    let mut s = String::from("time,unit,setpoint_mw\n");
    for u in &units {
        if !awarded.keys().any(|(id, _)| id == &u.id) {
            continue;
        }
        let base = r2(u.capacity * if u.kind == "storage" { 0.0 } else { 0.6 });
        let mut dev = 0.0_f64;
        for m in 0..INTERVALS * 15 {
            // Outside an award the setpoint holds still: no mileage there.
            if let Some(&mw) = awarded.get(&(u.id.clone(), m / 15)) {
                dev = (dev * 0.7 + rng.random_range(-0.4..0.4) * mw).clamp(-mw, mw);
            }
            writeln!(s, "{},{},{}", minute(m), u.id, r2(base + dev)).unwrap();
        }
    }
    files.insert("agc_setpoints.csv", s);

    std::fs::create_dir_all(DIR).unwrap();
    for (name, text) in &files {
        std::fs::write(Path::new(DIR).join(name), text).unwrap();
    }
    eprintln!("wrote {DIR}");
}
