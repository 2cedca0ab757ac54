//! Arbitrary input never panics: each loader gives an error or a result, and a loaded
//! scenario runs to a result or an error.

mod common;
use common::*;
use proptest::prelude::*;

/// A shipped scenario's files, to edit a copy in memory.
fn shipped(name: &str) -> Case {
    let dir = std::path::Path::new("scenarios").join(name);
    let mut files = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
    Case { files }
}

/// Replaces `from` by `to` in `file`, failing the test if `from` is not there (so an edit
/// of a shipped scenario cannot silently stop applying).
fn edit(mut c: Case, file: &str, from: &str, to: &str) -> Case {
    let text = String::from_utf8(c.files[file].clone()).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    c.files
        .insert(file.to_string(), text.replacen(from, to, 1).into_bytes());
    c
}

/// Load, run, render and audit (against its own rendered results): each step gives Ok or
/// Err. Returns the rendered files of a successful run.
fn full(c: &Case) -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
    let s = c.load().ok()?;
    let r = ancillary::run::run(&s).ok()?;
    let files = ancillary::output::render(&s, &r);
    if let Ok(results) = ancillary::audit::results::parse(files.clone(), &s.horizon) {
        let _ = ancillary::audit::audit(&s, &results, &files);
    }
    let _ = ancillary::output::report::render(&files, None);
    Some(files)
}

const TINY: &str = "0.0000000000000000000000000001";

/// The market_power.csv rows of interval 0 (its `time` label) for `product`.
fn power_rows(files: &std::collections::BTreeMap<String, Vec<u8>>, time: &str) -> Vec<String> {
    String::from_utf8_lossy(&files["market_power.csv"])
        .lines()
        .filter(|l| l.starts_with(time))
        .map(String::from)
        .collect()
}

// Fuzzer find 1: a requirement of 1e-28 MW (a valid input) made RSI = offered / requirement
// overflow in market_power::screens. Now the RSI cell is empty (the ratio exceeds any decimal)
// and the owner is not pivotal (a ratio that large is ≥ 1).
#[test]
fn tiny_requirement_in_market_power_screens() {
    let cases = [
        // fr-basic 00:00: fr_mw 70 → 1e-28; FR offers by several owners.
        (
            shipped("fr-basic"),
            "requirements.csv",
            "00:00,70",
            "2024-03-01T00:00",
        ),
        // peak-basic 02:00: peak_mw 130 → 1e-28.
        (
            shipped("peak-basic"),
            "requirements.csv",
            "02:00,130",
            "2024-03-01T02:00",
        ),
        // reserve-basic 08:00: reserve_mw 120 → 1e-28.
        (
            shipped("reserve-basic"),
            "requirements.csv",
            "08:00,120",
            "2024-03-01T08:00",
        ),
    ];
    for (c, file, from, time) in cases {
        let hhmm_and = format!("{},{TINY}", &from[..5]);
        let c = edit(c, file, from, &hhmm_and);
        let files = full(&c).expect("runs");
        let rows = power_rows(&files, time);
        assert!(rows.len() >= 2, "{time}: {rows:?}");
        // The rsi and pivotal cells, found by the header's names.
        let text = String::from_utf8_lossy(&files["market_power.csv"]).into_owned();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (rsi, pivotal) = (at("rsi"), at("pivotal"));
        for r in rows {
            let cells: Vec<&str> = r.split(',').collect();
            assert_eq!((cells[rsi], cells[pivotal]), ("", "false"), "{r}");
        }
    }
    // The brief's own case: a reserve requirement of 1e-28 with two owners offering.
    let c = Case::new("")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA1,A,gas,100,0\nB1,B,gas,100,0\n")
        .file("requirements.csv", &format!("time,reserve_mw\n{T0},{TINY}\n{T1},0\n{T2},0\n{T3},0\n"))
        .file("reserve_offers.csv", &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nA1,{T0},{END},50,10\nB1,{T0},{END},50,20\n"));
    let files = full(&c).expect("runs");
    assert_eq!(power_rows(&files, T0).len(), 2);
}

/// fr-basic with C1's design parameters replaced (C1 is the benchmark: coal, best score).
fn fr_basic_c1_design(rate: &str, precision: &str, response: &str) -> Case {
    edit(
        shipped("fr-basic"),
        "units.csv",
        "C1,Huaneng,coal,600,300,12,true,2.0,1.0,30",
        &format!("C1,Huaneng,coal,600,300,12,true,{rate},{precision},{response}"),
    )
}

// Fuzzer find 2: design precision and response 1e-15 made the benchmark score
// rate / (precision × response) divide by zero (1e-30 rounds to 0 in a decimal); rate 1e9
// with precision = response = 1e-10 made it overflow. `audit` on the latter exited 101.
#[test]
fn extreme_design_parameters_choose_a_benchmark() {
    for (rate, precision, response) in [
        ("2.0", "0.000000000000001", "0.000000000000001"),
        ("1000000000", "0.0000000001", "0.0000000001"),
    ] {
        let c = fr_basic_c1_design(rate, precision, response);
        let s = c.load().expect("loads");
        // C1's score is far above C2's 1.5 / (1.2 × 45): C1 stays the benchmark.
        let b = ancillary::rules::fr::benchmark(&s).expect("a benchmark");
        assert_eq!(b.source, "C1");
        let files = full(&c).expect("runs");
        // The measured C1 (2.0, 1.0, 30) against these design values: k_precision =
        // precision / 1.0 and k_response = response / 30 are tiny, so K rounds to 0 for every
        // unit and all FR offers are refused.
        let factors = String::from_utf8_lossy(&files["performance_factors.csv"]).to_string();
        assert!(
            factors.lines().skip(1).all(|l| l.ends_with(",0")),
            "{factors}"
        );
    }
}

// Fuzzer find 4: a sub-factor beyond the decimal range was printed as 79228162514264337593543950335.
// Benchmark precision 1000 (scenario.toml) against S1's measured precision 1e-28:
// k_precision = 1000 / 1e-28 = 1e31 > Decimal::MAX ≈ 7.9e28. Written empty, warned about, and
// K = the cap 2 (S1's other parts: rate 4.0 / 2.0 = 2, response 30 / 20 = 1.5).
#[test]
fn sub_factor_beyond_decimal_range_is_not_printed_as_a_number() {
    let c = shipped("fr-basic");
    let c = edit(
        c,
        "scenario.toml",
        "[fr]\n",
        "[fr]\nbenchmark = { rate_pct_per_min = 2.0, precision_pct = 1000.0, response_s = 30 }\n",
    );
    let c = edit(
        c,
        "fr_performance.csv",
        "S1,4.0,0.8,20",
        &format!("S1,4.0,{TINY},20"),
    );
    let s = c.load().expect("loads");
    let r = ancillary::run::run(&s).expect("runs");
    let files = ancillary::output::render(&s, &r);
    let factors = String::from_utf8_lossy(&files["performance_factors.csv"]).to_string();
    let s1 = factors
        .lines()
        .find(|l| l.contains(",S1,"))
        .expect("S1 row");
    // day, unit, basis, k_rate, k_precision, k_response, k_uncapped, performance_factor
    assert_eq!(s1, "2024-03-01,S1,measured,2,,1.5,,2");
    assert!(!factors.contains("79228162514264337593543950335"));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("unit S1") && w.contains("k_precision outside the decimal range")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn performance_factor_out_of_range_parts() {
    use ancillary::rules::fr::performance_factor;
    use ancillary::scenario::FrParams;
    use ancillary::scenario::config::{PerformanceForm, Weights};
    let p = |r: &str, pr: &str, s: &str| FrParams {
        rate_pct_per_min: d(r),
        precision_pct: d(pr),
        response_s: d(s),
    };
    let w = Weights {
        rate: 0.5,
        precision: 0.25,
        response: 0.25,
    };
    let bench = p("1000000000", "1000000000", "1");
    // k_rate = 1 / 1e9 = 1e-9 fits; k_precision = 1e9 / 1e-28 = 1e37 is out of range;
    // k_response = 1. Product 1e-9 × 1e37 × 1 = 1e28 → the cap 2.
    let k = performance_factor(
        p("1", TINY, "1"),
        bench,
        PerformanceForm::Product,
        w,
        d("2"),
    );
    assert_eq!((k.out_of_range, k.k), ([false, true, false], d("2")));
    // k_rate = 1e-28 / 1e9 = 1e-37 underflows and k_precision = 1e9 / 1e-28 = 1e37 overflows:
    // the exact product is 1e-37 × 1e37 × 1 = 1, which the f64 path finds.
    let k = performance_factor(
        p(TINY, TINY, "1"),
        bench,
        PerformanceForm::Product,
        w,
        d("2"),
    );
    assert_eq!((k.out_of_range, k.k), ([true, true, false], d("1")));
    // Weighted: 0.5 × 1e-37 + 0.25 × 1e37 + 0.25 × 1 → far above the cap.
    let k = performance_factor(
        p(TINY, TINY, "1"),
        bench,
        PerformanceForm::Weighted,
        w,
        d("2"),
    );
    assert_eq!(k.k, d("2"));
}

const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s
C1,A,coal,600,300,2.0,1.0,30
S1,D,storage,100,0,,,
H1,E,hydro,100,0,,,
";

fn valid() -> Case {
    Case::new("")
        .file("units.csv", UNITS)
        .file("requirements.csv", &format!("time,fr_mw,reserve_mw,peak_mw\n{T0},10,5,5\n{T1},10,5,5\n{T2},10,5,5\n{T3},10,5,5\n"))
        .file("fr_offers.csv", &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},60,6\n"))
        .file("fr_mileage.csv", &format!("time,unit,mileage_mw\n{T0},C1,5\n"))
        .file("reserve_offers.csv", &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nS1,{T0},{END},60,6\n"))
        .file("peak_offers.csv", &format!("unit,start,end,band,mw,price_yuan_per_mwh\nC1,{T0},{END},1,60,6\n"))
        .file("metering.csv", "day,party,role,energy_mwh\n2024-03-01,C1,generator,10\n")
}

fn exercise(c: &Case) {
    if let Ok(s) = c.load() {
        let _ = ancillary::run::run(&s).map(|r| ancillary::output::render(&s, &r));
    }
}

const FILES: [&str; 12] = [
    "scenario.toml",
    "units.csv",
    "requirements.csv",
    "fr_offers.csv",
    "fr_performance.csv",
    "fr_mileage.csv",
    "agc_setpoints.csv",
    "peak_offers.csv",
    "reserve_offers.csv",
    "actuals.csv",
    "metering.csv",
    "fr_offers.csv",
];

/// Cells that stress parsers: numbers at and past every limit, times off the grid.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_string()),
        Just("-0".to_string()),
        Just("1e30".to_string()),
        Just("1e-30".to_string()),
        Just("999999999".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("C1".to_string()),
        Just("S1".to_string()),
        Just("H1".to_string()),
        Just(T0.to_string()),
        Just(END.to_string()),
        Just("2024-03-01T00:10".to_string()),
        Just("9999-12-31T23:59".to_string()),
        Just("2024-03-01".to_string()),
        Just("coal".to_string()),
        Just("storage".to_string()),
        Just("generator".to_string()),
        (-1000.0f64..1000.0).prop_map(|v| format!("{v:.3}")),
        (0u32..5).prop_map(|v| v.to_string()),
        "[ -~]{0,8}",
    ]
}

/// Cases per property: `PROPTEST_CASES`, default 64 (a few seconds in debug). To fuzz longer:
/// `PROPTEST_CASES=100000 cargo test --release --test never_panics`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Positive numbers at the limits of the input contract (1e9, 1e-28) and ordinary ones.
fn positive() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1u32..500).prop_map(|v| v.to_string()),
        2 => Just("1000000000".to_string()),
        2 => Just(TINY.to_string()),
        1 => Just("999999999.9999999999".to_string()),
        1 => Just("0.001".to_string()),
        1 => Just("1e-9".to_string()),
        2 => (0.0f64..1000.0).prop_map(|v| format!("{:.3}", v + 0.001)),
    ]
}

/// Numbers at every limit the contract allows (0, 1e-28, 1e9) and ordinary ones. Values past
/// the limits are the other properties' job: here the scenario must load, so that run,
/// render, audit and report see the extremes.
fn extreme() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => positive(),
        1 => Just("0".to_string()),
    ]
}

/// A whole scenario folder: every file, 1–4 units of any kind, any spot market and engine,
/// caps and weights at their limits, every number drawn from [`extreme`].
fn scenario() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    let kinds = prop_oneof![
        Just("coal"),
        Just("coal_storage"),
        Just("gas"),
        Just("hydro"),
        Just("storage"),
        Just("wind"),
        Just("demand_response"),
    ];
    let units = proptest::collection::vec(
        (
            kinds,
            proptest::collection::vec(positive(), 6),
            Just("0".to_string()),
        ),
        1..4,
    );
    let reqs = proptest::collection::vec(proptest::collection::vec(extreme(), 4), 4);
    // Per unit and product (fr, reserve, peak, energy): an offer of the unit's whole capacity
    // (the limit) or of none, at a price from `extreme`; and a measured-performance value.
    let offers = proptest::collection::vec(
        (
            proptest::collection::vec(any::<bool>(), 4),
            extreme(),
            positive(),
        ),
        3,
    );
    let settings = (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just("1500"), Just("1e9"), Just("0.000000001"), Just("15")],
        prop_oneof![Just("1.0"), Just("1000.0"), Just("0.0")],
        proptest::collection::vec(extreme(), 4),
    );
    (units, reqs, offers, settings).prop_map(|(units, reqs, offers, (spot, lp, cap, weight, meter))| {
        let spot_text = if spot { "continuous" } else { "none" };
        let mut extra = format!(
            "[caps]\nreserve_price_yuan_per_mwh = {cap}\nenergy_market_price_cap_yuan_per_mwh = {cap}\n[allocation]\nuser_share = 0.5\nkind_weights = {{ gas = {weight} }}\nnon_bidder_weight = {weight}\n[penalty]\nreserve_unavailable_multiple = {weight}\n[policy]\nenforce_notice_limits = {}\n",
            !lp
        );
        if lp {
            extra += "[clearing]\nengine = \"lp\"\n";
        }
        let toml = toml(&extra).replace("\"none\"", &format!("\"{spot_text}\""));
        let mut u = "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,design_rate_pct_per_min,design_precision_pct,design_response_s\n".to_string();
        for (k, (kind, v, min)) in units.iter().enumerate() {
            // The first unit is coal with design values: FR then has a benchmark (§三(四)).
            let kind = if k == 0 { "coal" } else { kind };
            u += &format!("U{k},O{},{kind},{},{min},{},{},{},{}\n", k % 2, v[0], v[2], v[3], v[4], v[5]);
        }
        let times = [T0, T1, T2, T3];
        let mut r = "time,fr_mw,reserve_mw,peak_mw,load_mw\n".to_string();
        for (t, v) in times.iter().zip(&reqs) {
            // No peak market where the spot market runs continuously (§二(一)).
            let peak = if spot { "0" } else { v[2].as_str() };
            r += &format!("{t},{},{},{peak},{}\n", v[0], v[1], v[3]);
        }
        let (mut fr, mut res, mut pk, mut en, mut perf, mut mil, mut act) = (
            "unit,start,end,capacity_mw,price_yuan_per_mw\n".to_string(),
            "unit,start,end,capacity_mw,price_yuan_per_mwh\n".to_string(),
            "unit,start,end,band,mw,price_yuan_per_mwh\n".to_string(),
            "unit,start,end,segment,mw,price_yuan_per_mwh\n".to_string(),
            "unit,rate_pct_per_min,precision_pct,response_s\n".to_string(),
            "time,unit,mileage_mw\n".to_string(),
            "time,unit,reserve_available_mw,peak_delivered_mw\n".to_string(),
        );
        for (k, (_, v, _)) in units.iter().enumerate() {
            let u = format!("U{k}");
            let mw = &v[0]; // the unit's capacity
            let (which, price, measured) = &offers[k];
            if which[0] {
                fr += &format!("{u},{T0},{END},{mw},{price}\n");
            }
            if which[1] {
                res += &format!("{u},{T0},{END},{mw},{price}\n");
            }
            if which[2] && !spot {
                pk += &format!("{u},{T0},{END},1,{mw},{price}\n");
            }
            if which[3] && spot {
                en += &format!("{u},{T0},{END},1,{mw},{price}\n");
            }
            perf += &format!("{u},{measured},{measured},{measured}\n");
            for t in times {
                mil += &format!("{t},{u},{price}\n");
                act += &format!("{t},{u},{measured},{measured}\n");
            }
        }
        let mut m = "day,party,role,energy_mwh\n".to_string();
        for (k, v) in meter.iter().enumerate().take(units.len()) {
            let role = ["generator", "user", "non_market_generator"][k % 3];
            m += &format!("2024-03-01,U{k},{role},{v}\n");
        }
        // A party that is not a unit, so that each role has someone.
        m += &format!("2024-03-01,Users,user,{}\n", meter[3]);
        let mut files = std::collections::BTreeMap::new();
        for (name, text) in [
            ("scenario.toml", toml), ("units.csv", u), ("requirements.csv", r),
            ("fr_offers.csv", fr), ("reserve_offers.csv", res), ("peak_offers.csv", pk),
            ("energy_offers.csv", en), ("fr_performance.csv", perf), ("fr_mileage.csv", mil),
            ("actuals.csv", act), ("metering.csv", m),
        ] {
            files.insert(name.to_string(), text);
        }
        files
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Whole scenario folders at every limit: load → run → render → audit → report.
    #[test]
    fn whole_scenarios_at_the_limits(files in scenario()) {
        let c = Case { files: files.into_iter().map(|(k, v)| (k, v.into_bytes())).collect() };
        let _ = full(&c);
    }

    #[test]
    fn arbitrary_bytes_in_any_file(which in 0usize..FILES.len(), bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut c = valid();
        c.files.insert(FILES[which].to_string(), bytes);
        exercise(&c);
    }

    #[test]
    fn well_formed_rows_with_wild_cells(which in 1usize..FILES.len(), rows in proptest::collection::vec(proptest::collection::vec(cell(), 8), 0..6)) {
        let headers = match FILES[which] {
            "units.csv" => "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s",
            "requirements.csv" => "time,fr_mw,reserve_mw,peak_mw,load_mw,x,y,z",
            "fr_offers.csv" | "reserve_offers.csv" => "unit,start,end,capacity_mw,price_yuan_per_mw,price_yuan_per_mwh,x,y",
            "peak_offers.csv" => "unit,start,end,band,mw,price_yuan_per_mwh,x,y",
            "fr_performance.csv" => "unit,rate_pct_per_min,precision_pct,response_s,day,x,y,z",
            "fr_mileage.csv" => "time,unit,mileage_mw,x,y,z,w,v",
            "agc_setpoints.csv" => "time,unit,setpoint_mw,x,y,z,w,v",
            "actuals.csv" => "time,unit,reserve_available_mw,peak_delivered_mw,x,y,z,w",
            _ => "day,party,role,energy_mwh,x,y,z,w",
        };
        let mut text = format!("{headers}\n");
        for r in rows {
            text += &r.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
            text.push('\n');
        }
        let mut c = valid();
        if FILES[which] == "agc_setpoints.csv" {
            c = c.without("fr_mileage.csv");
        }
        c.files.insert(FILES[which].to_string(), text.into_bytes());
        exercise(&c);
    }

    #[test]
    fn wild_settings(key in prop_oneof![
            Just("interval_minutes"), Just("intervals"), Just("start"),
        ], value in prop_oneof![
            Just("0".to_string()), Just("4294967295".to_string()), Just("\"9999-12-31T23:00\"".to_string()),
            Just("-5".to_string()), Just("1.5".to_string()), Just("\"x\"".to_string()), (1u32..2000).prop_map(|v| v.to_string()),
        ], caps in proptest::collection::vec(prop_oneof![Just(1e-300f64), Just(0.0), Just(1e12), Just(2.5), Just(15.0)], 5)) {
        let mut toml = toml("");
        let line = toml.lines().find(|l| l.starts_with(key)).unwrap().to_string();
        toml = toml.replace(&line, &format!("{key} = {value}"));
        toml += &format!(
            "[caps]\nfr_mileage_price_yuan_per_mw = {:e}\nperformance_factor = {:e}\npeak_price_yuan_per_mwh = {:e}\nreserve_price_yuan_per_mwh = {:e}\nenergy_market_price_cap_yuan_per_mwh = {:e}\n[fr]\nbenchmark = {{ rate_pct_per_min = {:e}, precision_pct = 1.0, response_s = 30 }}\n",
            caps[0], caps[1], caps[2], caps[3], caps[4], caps[0]
        );
        let mut c = valid();
        c.files.insert("scenario.toml".into(), toml.into_bytes());
        exercise(&c);
    }
}

// Fuzzer find 3: values inside the documented ±1e9 range overflowed the allocation's
// fen × weight product in settlement::money::split_largest_remainder.
#[test]
fn pool_and_weights_at_the_input_limits_split_exactly() {
    let c = Case::new(
        "[caps]\nreserve_price_yuan_per_mwh = 1e9\nenergy_market_price_cap_yuan_per_mwh = 1e9\n[allocation]\nkind_weights = { gas = 1000.0 }\n",
    )
    .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nG1,A,gas,1000000000,0\nC1,B,coal,1000000000,0\n")
    .file("requirements.csv", &format!("time,reserve_mw\n{T0},1000000000\n{T1},1000000000\n{T2},1000000000\n{T3},1000000000\n"))
    .file("reserve_offers.csv", &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nG1,{T0},{END},1000000000,1000000000\n"))
    .file("metering.csv", "day,party,role,energy_mwh\n2024-03-01,C1,generator,1000000000\n2024-03-01,G1,generator,1000000000\n");
    let r = c.run();
    let alloc = |party: &str| {
        r.settlement
            .iter()
            .find(|s| s.party == party && s.item == ancillary::settlement::Item::Allocation)
            .map(|s| s.amount.to_string())
    };
    // Pool: 1e9 yuan/MWh × 1e9 MW × ¼ h × 4 intervals = 1e18 yuan = 1e20 fen. Weights:
    // G1 1e9 MWh × 1000 = 1e12, C1 1e9 × 1 = 1e9 (Σ 1001e9).
    // G1: 1e20 × 1000 / 1001 = 99900099900099900099.90… fen; C1: 1e20 / 1001 =
    // 99900099900099900.09… fen. Floors sum to 99999999999999999999: one fen left, to G1's
    // larger remainder (.90 > .09).
    assert_eq!(alloc("G1").as_deref(), Some("-999000999000999001.00"));
    assert_eq!(alloc("C1").as_deref(), Some("-999000999000999.00"));
    assert_eq!(
        paid(&r, ancillary::product::Product::Reserve, "G1"),
        "1000000000000000000.00"
    );
}

/// A continuous-spot scenario cleared by the LP, with `load` MW in the first interval.
fn lp_case(load: &str) -> Case {
    Case::new("[allocation]\nuser_share = 0.5\n")
        .file("scenario.toml", &toml("[allocation]\nuser_share = 0.5\n").replace("\"none\"", "\"continuous\""))
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA,A,coal,100,0\nB,B,gas,100,0\n")
        .file("requirements.csv", &format!("time,load_mw\n{T0},{load}\n{T1},50\n{T2},50\n{T3},50\n"))
        .file("energy_offers.csv", &format!("unit,start,end,segment,mw,price_yuan_per_mwh\nA,{T0},{END},1,100,200\nB,{T0},{END},1,100,300\n"))
}

// Fuzzer find 5: a load of 1e8 MW made the LP solver report the (always feasible) problem
// infeasible. Such a load is refused by name; one within the limit clears as a shortfall.
#[test]
fn lp_load_beyond_the_solver_range_is_refused_by_name() {
    // 1e8 MW × the energy cap 1500 yuan/MWh (Jiangsu default) = 1.5e11 > 1e9.
    let e = lp_case("100000000").error();
    // The first interval's row is line 2 (the header is line 1).
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("requirements.csv", Some(2), Some("load_mw"))
    );
    assert!(
        e.rule.contains("2024-03-01T00:00") && e.rule.contains("1000000000"),
        "{e}"
    );
    // 600000 MW × 1500 = 9e8 ≤ 1e9: A and B give 200 MW, the rest, 599800 MW, falls short
    // and the energy price is the cap.
    let r = lp_case("600000").run();
    let row = clearing(&r, ancillary::product::Product::Energy, 0);
    assert_eq!(
        (row.cleared_mw, row.shortfall_mw, row.price),
        (d("200"), d("599800"), d("1500"))
    );
}

// Found by `whole_scenarios_at_the_limits`: `engine = "lp"` with a requirement and no offers
// built a model without variables, and the LP solver panicked (index out of bounds). Such a
// day has nothing to clear: the merit order's answer, nothing cleared, is the LP's too.
#[test]
fn lp_day_without_offers_clears_nothing() {
    let c = Case::new("[clearing]\nengine = \"lp\"\n")
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nU0,O0,coal,1,0\n",
        )
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},1\n{T1},1\n{T2},1\n{T3},1\n"),
        );
    let r = c.run();
    assert!(r.awards.is_empty());
    assert!(r.settlement.is_empty());
    // A requirement with no offer file clears short at the cap (docs/scenario-format.md),
    // the same in both engines: 4 intervals, each 1 MW short, at FR's cap of 15 yuan/MW.
    let merit = Case {
        files: c.files.clone(),
    }
    .file(
        "scenario.toml",
        &toml("[clearing]\nengine = \"merit_order\"\n"),
    )
    .run();
    for run in [&r, &merit] {
        assert_eq!(run.clearing.len(), 4);
        for row in &run.clearing {
            assert_eq!(row.shortfall_mw, rust_decimal::Decimal::ONE);
            assert_eq!(row.price, rust_decimal::Decimal::from(15));
        }
    }
}
