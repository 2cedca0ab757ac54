//! Arbitrary input never panics: each loader gives an error or a result, and a loaded
//! scenario runs to a result or an error.

mod common;
use common::*;
use proptest::prelude::*;

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

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
