//! `ancillary new`: a small, valid scenario to start from, with every file of the contract and a
//! README explaining each column and its unit. It runs as is, without a warning, and passes the
//! audit.

use std::path::Path;

use crate::error::{Error, ErrorKind, InputError};
use crate::rules::caps::{decimal, peak_price_limit};
use crate::rules::province;

const T: [&str; 5] = [
    "2024-03-01T00:00",
    "2024-03-01T00:15",
    "2024-03-01T00:30",
    "2024-03-01T00:45",
    "2024-03-01T01:00",
];

/// What to scaffold.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A provincial grid of `data/provinces.csv`, by any of its names.
    pub province: String,
    /// Whether the spot market runs continuously (no peak market then, notice 196 §二(一)).
    pub continuous: bool,
    /// A peak cap, 元/MWh (required where the province has no coal benchmark).
    pub peak_cap: Option<f64>,
    /// Where that cap comes from (required with it where the province has no benchmark).
    pub peak_cap_source: Option<String>,
}

/// Whether the province's spot market runs continuously on the scaffold's first day, as
/// `data/spot_markets.csv` says (the default of `ancillary new --spot`).
pub fn spot_runs_continuously(province: &str) -> bool {
    let day = T[0]
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let grid = province::resolve(province).ok().flatten();
    match (crate::rules::spot::row(grid), day) {
        (Some(row), Some(day)) => row.continuous_since.is_some_and(|since| since <= day),
        _ => false,
    }
}

/// A string as a TOML literal, quoted and escaped by the `toml` crate.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn arg_error(arg: &str, rule: String) -> Error {
    InputError::new(ErrorKind::Invalid, arg, rule).into()
}

/// The `province` line and the peak cap lines of `scenario.toml`, once the options are checked
/// against the province table: a scaffold must run, so a province whose peak market would have
/// no cap (notice 196 §二(二)) is refused here, not at the first run.
fn province_lines(o: &Options) -> Result<(String, String), Error> {
    let grid = match province::resolve(&o.province) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return Err(arg_error(
                "--province",
                format!(
                    "a scaffold is for a provincial grid; the grids are: {}",
                    province::grid_list()
                ),
            ));
        }
        Err(rule) => return Err(arg_error("--province", rule)),
    };
    let p = grid.row();
    let limit = peak_price_limit(Some(grid));
    let mut line = format!("province = {}", quoted(&p.name));
    line += &match p.coal_benchmark_yuan_per_kwh {
        Some(b) => format!(
            "   # {}: coal benchmark {b} yuan/kWh (data/provinces.csv)",
            p.name_zh
        ),
        None => format!("   # {}: {}", p.name_zh, p.note),
    };
    if o.continuous {
        if o.peak_cap.is_some() {
            return Err(arg_error(
                "--peak-cap",
                "has no use where the spot market runs continuously: there is no peak market (notice 196 §二(一))".into(),
            ));
        }
        let caps = match limit {
            Some(l) => format!(
                "# peak_price_yuan_per_mwh = {l}   # no peak market where spot runs continuously (二(一))"
            ),
            None => "# no peak market where spot runs continuously (二(一)), so no peak cap".into(),
        };
        return Ok((line, caps));
    }
    let source = o
        .peak_cap_source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let caps = match (o.peak_cap, limit) {
        (Some(cap), _) if !cap.is_finite() || cap <= 0.0 => {
            return Err(arg_error(
                "--peak-cap",
                format!("must be a price > 0 in yuan/MWh, got {cap}"),
            ));
        }
        (Some(cap), Some(l)) if decimal(cap) > l => {
            return Err(arg_error(
                "--peak-cap",
                format!(
                    "{} exceeds {}'s limit {l} yuan/MWh, its coal benchmark (notice 196 §二(二))",
                    decimal(cap),
                    p.name
                ),
            ));
        }
        (Some(cap), Some(l)) => {
            let mut s = format!(
                "peak_price_yuan_per_mwh = {}   # notice 196 二(二): ≤ {l}, {}'s coal benchmark × 1000",
                toml::Value::Float(cap),
                p.name
            );
            if let Some(src) = source {
                s += &format!("\npeak_price_source = {}", quoted(src));
            }
            s
        }
        (None, Some(l)) => format!(
            "# peak_price_yuan_per_mwh = {l}   # default: {}'s coal benchmark × 1000 (notice 196 二(二)); lower it here if the province does",
            p.name
        ),
        (Some(cap), None) => {
            let Some(src) = source else {
                return Err(arg_error(
                    "--peak-cap-source",
                    format!(
                        "is needed with --peak-cap: {} has no coal benchmark to check the cap against (notice 196 §二(二)), so say where the cap comes from (the province's price document)",
                        p.name
                    ),
                ));
            };
            format!(
                "peak_price_yuan_per_mwh = {}   # {} has no coal benchmark in data/provinces.csv\npeak_price_source = {}",
                toml::Value::Float(cap),
                p.name,
                quoted(src)
            )
        }
        (None, None) => {
            return Err(arg_error(
                "--province",
                format!(
                    "{} ({}): {}, so its peak market (notice 196 §二(二)) has no default cap: name a grid with a benchmark, give --peak-cap and --peak-cap-source, or use --spot continuous (no peak market)",
                    p.name, p.name_zh, p.note
                ),
            ));
        }
    };
    Ok((line, caps))
}

fn toml(name: &str, o: &Options) -> Result<String, Error> {
    let (province, peak_cap) = province_lines(o)?;
    let spot = if o.continuous { "continuous" } else { "none" };
    let market = if o.continuous {
        crate::scenario::config::SpotMarket::Continuous
    } else {
        crate::scenario::config::SpotMarket::None
    };
    // notice 196 四(六): the reserve cap defaults to the energy-market cap, which defaults to
    // the province's data (rules::spot); without data the scenario must state it and its source.
    let grid = province::resolve(&o.province).ok().flatten();
    let energy_caps = match crate::rules::spot::energy_cap(grid, market) {
        Some((cap, from)) => format!(
            "# reserve_price_yuan_per_mwh = {cap}      # notice 196 四(六): ≤ the energy-market cap (the default)\n# energy_market_price_cap_yuan_per_mwh = {cap}   # default: {from}"
        ),
        None => "reserve_price_yuan_per_mwh = 1500.0      # notice 196 四(六): ≤ the energy-market cap\nenergy_market_price_cap_yuan_per_mwh = 1500.0\nenergy_cap_source = \"set it: where this cap comes from (the province's spot-market rules)\"".to_string(),
    };
    let mut s = format!(
        r#"# A scenario for ancillary (notice 196, 发改价格〔2024〕196号). Edit the CSV files in a
# spreadsheet; README.md explains every column. Run: ancillary run THIS_FOLDER --out OUT
name = {name}
{province}
spot_market = "{spot}"           # "none" | "continuous" (现货市场连续运行)
interval_minutes = 15            # must divide 1440
start = "{start}"  # first interval start
intervals = 4                    # requirements.csv needs a row for each

[caps]                           # stricter than the notice is fine; looser is clamped (and fails the audit)
fr_mileage_price_yuan_per_mw = 15.0      # notice 196 三(四): ≤ 0.015 yuan/kW = 15 yuan/MW
performance_factor = 2.0                 # notice 196 三(四): K ≤ 2
{peak_cap}
{energy_caps}

[fr]
performance = "product"          # K = k_rate × k_precision × k_response; or "weighted"
weights = {{ rate = 0.5, precision = 0.25, response = 0.25 }}   # for "weighted"; sum to 1
ranking = "price_over_k"         # "price_over_k" | "price_over_relative_k" | "price"
# benchmark = {{ rate_pct_per_min = 2.0, precision_pct = 1.0, response_s = 30 }}   # default: best coal unit
# expected_mileage_per_mw = 3.0  # without fr_mileage.csv: mileage = FR award × this (an assumption, marked)

[policy]
enforce_notice_limits = true     # false: study caps beyond the notice (outputs are marked)
"#,
        name = quoted(name),
        start = T[0]
    );
    if o.continuous {
        s += r#"
[allocation]
user_share = 0.5                 # users' share of FR and reserve costs; the rest: non-market generation (五(八))

[clearing]
engine = "lp"                    # energy, FR and reserve cleared jointly (六(十一))
# solver = "highs"              # optional: same results with either; default the fastest built in
fr_response_minutes = 5          # FR ≤ ramp × this
reserve_response_minutes = 10    # reserve ≤ ramp × this
"#;
    } else {
        s += r#"
[peak]
hydro_paid = false               # hydro takes part in paid peak regulation only if true (二(一))
pricing = "uniform"              # or "pay_as_bid"

[allocation]                     # non-spot: generators pay, pro rata to on-grid energy (五(八))
exempt_kinds = []                # e.g. ["storage"]
# kind_weights = { coal = 1.0 }
# non_bidder_weight = 1.5        # FR costs weigh more on FR-capable units that did not bid

[penalty]                        # 考核; 0 = none
reserve_unavailable_multiple = 0.0
peak_undelivered_multiple = 0.0
"#;
    }
    Ok(s)
}

fn offers(rows: &[(&str, &str, &str)], header: &str) -> String {
    let mut s = format!("{header}\n");
    for (u, mw, p) in rows {
        s += &format!("{u},{},{},{mw},{p}\n", T[0], T[4]);
    }
    s
}

const README: &str = r#"# My scenario

A scenario for `ancillary` (notice 196, 发改价格〔2024〕196号): a folder of `scenario.toml` and
CSV files. Edit the CSV files in a spreadsheet (save as CSV, UTF-8). Times are interval starts
written `2024-03-01T00:15`; an offer row holds for every interval start t with
`start ≤ t < end`. Units: MW, MWh, minutes, seconds, yuan (元). Extra columns are ignored.

Run it: `ancillary run THIS_FOLDER --out OUT_FOLDER` (add `--report` for report.html), and check it
against the notice: `ancillary audit THIS_FOLDER`.

## units.csv: one row per unit
- `unit`: unique id. `owner`: owning company (market-power screens).
- `kind`: coal, coal_storage (火储联合, excluded from the FR benchmark), gas, hydro, nuclear, wind, pv,
  storage, demand_response, aggregator.
- `capacity_mw` (> 0), `min_output_mw` (≥ 0, ≤ capacity), `ramp_mw_per_min` (empty: no limit).
- `capacity_payment`: true if the unit is paid a capacity price (it must then bid, 六(十)).
- `design_rate_pct_per_min`, `design_precision_pct`, `design_response_s`: design FR parameters
  (all three or none). The best coal unit's are the FR benchmark.
- `energy_capacity_mwh`, `efficiency`, `initial_soc_mwh`: storage only, for joint clearing.

## requirements.csv: one row per interval
- `time`; `fr_mw`, `reserve_mw`, `peak_mw` (MW, ≥ 0); `load_mw` for joint clearing with energy.

## Offers
- `fr_offers.csv`: `unit, start, end, capacity_mw, price_yuan_per_mw` (per MW of mileage, ≤ 15).
- `reserve_offers.csv`: `unit, start, end, capacity_mw, price_yuan_per_mwh`.
- `peak_offers.csv` (non-spot only): `unit, start, end, band, mw, price_yuan_per_mwh`. Band 1 is the
  shallowest output reduction; prices may not fall as bands deepen; wind and PV may not offer.
- `energy_offers.csv` (continuous spot only): `unit, start, end, segment, mw, price_yuan_per_mwh`.

## Performance and mileage (FR)
- `fr_performance.csv`: measured `rate_pct_per_min`, `precision_pct`, `response_s` (> 0), optional `day`.
- `fr_mileage.csv`: `time, unit, mileage_mw` (调频里程, MW per interval). Or, instead of it,
  `agc_setpoints.csv`: `time, unit, setpoint_mw` at finer steps (mileage = Σ |Δ setpoint|).

## actuals.csv
- `time, unit, reserve_available_mw, peak_delivered_mw`: settle on the actual where lower.

## metering.csv
- `day, party, role, energy_mwh`; role: user, generator, non_market_generator. Who pays the costs.
"#;

/// The scenario's name: its folder's (`.` and `..` resolved), or `my-scenario` for a root.
fn scenario_name(dir: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().to_string());
    named(dir)
        .or_else(|| std::fs::canonicalize(dir).ok().as_deref().and_then(named))
        .unwrap_or_else(|| "my-scenario".into())
}

/// Writes the scaffold into `dir`, which must not exist or be empty.
pub fn scaffold(dir: &Path, options: &Options) -> Result<(), Error> {
    let continuous = options.continuous;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(InputError::new(
            ErrorKind::Invalid,
            dir.display().to_string(),
            "exists and is not empty: choose a new folder",
        )
        .into());
    }
    let name = scenario_name(dir);
    let mut files: Vec<(&str, String)> = vec![
        ("scenario.toml", toml(&name, options)?),
        ("README.md", README.replacen("My scenario", &name, 1)),
    ];
    let storage_cols = if continuous {
        ",energy_capacity_mwh,efficiency,initial_soc_mwh"
    } else {
        ""
    };
    let storage_vals = |s: &str| {
        if continuous {
            s.to_string()
        } else {
            String::new()
        }
    };
    files.push((
        "units.csv",
        format!(
            "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s{storage_cols}\n\
             C1,Owner A,coal,600,240,12,true,2.0,1.0,30{}\nC2,Owner B,coal,350,100,7,true,1.6,1.2,40{}\nG1,Owner C,gas,400,60,20,true,,,{}\nS1,Owner D,storage,100,0,100,false,,,{}\nW1,Owner E,wind,200,0,,false,,,{}\n",
            storage_vals(",,,"),
            storage_vals(",,,"),
            storage_vals(",,,"),
            storage_vals(",200,0.9,50"),
            storage_vals(",,,")
        ),
    ));
    let mut req = String::from(if continuous {
        "time,fr_mw,reserve_mw,load_mw\n"
    } else {
        "time,fr_mw,reserve_mw,peak_mw\n"
    });
    // FR: the offers hold 130 MW and C2 (20 MW) ranks last (5 / K 0.4688 = 10.67), so any
    // requirement above 110 MW awards every offer something and every unit's mileage is paid
    // (mileage without an award is not, and warns: notice 196 §三(三)). Each mileage is within
    // what its unit can move (rules::fr::mileage_bound): C2, awarded 112 − 110 = 2 MW at
    // 00:00, is paid for at most 2 × 15 = 30 MW there, so it meters 25.
    // Spot: C2 and G1 run above their minimum output (footroom for FR) and S1's 50 MWh at
    // 50 MW leaves it 50 MW of FR headroom; the load keeps C2's second segment marginal.
    for (i, t) in T[..4].iter().enumerate() {
        let (fr, reserve, third) = if continuous {
            (112 + 4 * i, 80, 900 + 25 * i)
        } else {
            (112 + 4 * i, 80, 150 + 50 * i)
        };
        req += &format!("{t},{fr},{reserve},{third}\n");
    }
    files.push(("requirements.csv", req));
    files.push((
        "fr_offers.csv",
        offers(
            &[
                ("C1", "30", "6"),
                ("C2", "20", "5"),
                ("G1", "30", "8"),
                ("S1", "50", "10"),
            ],
            "unit,start,end,capacity_mw,price_yuan_per_mw",
        ),
    ));
    files.push(("fr_performance.csv", "unit,rate_pct_per_min,precision_pct,response_s\nC1,2.0,1.0,30\nC2,1.5,1.2,40\nG1,3.0,0.9,20\nS1,10.0,0.5,2\n".into()));
    let mut mileage = String::from("time,unit,mileage_mw\n");
    for t in &T[..4] {
        for (u, m) in [("C1", 90), ("C2", 25), ("G1", 80), ("S1", 150)] {
            mileage += &format!("{t},{u},{m}\n");
        }
    }
    files.push(("fr_mileage.csv", mileage));
    files.push((
        "reserve_offers.csv",
        offers(
            &[("C1", "60", "20"), ("C2", "30", "25"), ("G1", "80", "40")],
            "unit,start,end,capacity_mw,price_yuan_per_mwh",
        ),
    ));
    if continuous {
        let mut e = String::from("unit,start,end,segment,mw,price_yuan_per_mwh\n");
        for (u, segs) in [
            ("C1", vec![(240, 200), (180, 330), (180, 380)]),
            ("C2", vec![(140, 220), (210, 360)]),
            ("G1", vec![(120, 300), (280, 520)]),
            ("W1", vec![(150, 0)]),
        ] {
            for (k, (mw, p)) in segs.into_iter().enumerate() {
                e += &format!("{u},{},{},{},{mw},{p}\n", T[0], T[4], k + 1);
            }
        }
        files.push(("energy_offers.csv", e));
        files.push(("metering.csv", "day,party,role,energy_mwh\n2024-03-01,Users,user,24000\n2024-03-01,Local Hydro,non_market_generator,1200\n".into()));
    } else {
        let mut p = String::from("unit,start,end,band,mw,price_yuan_per_mwh\n");
        for (u, band, mw, price) in [
            ("C1", 1, 60, 100),
            ("C1", 2, 60, 250),
            ("C2", 1, 35, 120),
            ("C2", 2, 35, 280),
            ("S1", 1, 100, 200),
        ] {
            p += &format!("{u},{},{},{band},{mw},{price}\n", T[0], T[4]);
        }
        files.push(("peak_offers.csv", p));
        files.push(("metering.csv", "day,party,role,energy_mwh\n2024-03-01,C1,generator,9000\n2024-03-01,C2,generator,5000\n2024-03-01,G1,generator,3000\n2024-03-01,W1,generator,1500\n".into()));
    }
    files.push((
        "actuals.csv",
        format!(
            "time,unit,reserve_available_mw,peak_delivered_mw\n{},C2,15,\n",
            T[3]
        ),
    ));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
