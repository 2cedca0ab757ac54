//! Peak regulation (§二) and reserve (§四): every expected number is derived in a comment.

mod common;
use ancillary::ErrorKind;
use ancillary::product::Product::{Peak, Reserve};
use common::*;

const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw
C1,A,coal,600,240
C2,B,coal,300,120
S1,C,storage,100,0
DR1,D,demand_response,50,0
H1,E,hydro,200,0
W1,F,wind,200,0
P1,F,pv,100,0
";

fn peak_offers(rows: &[(&str, u32, &str, &str)]) -> String {
    let mut s = String::from("unit,start,end,band,mw,price_yuan_per_mwh\n");
    for (u, band, mw, p) in rows {
        s += &format!("{u},{T0},{END},{band},{mw},{p}\n");
    }
    s
}

fn peak_case(extra: &str, rows: &[(&str, u32, &str, &str)], mw: [&str; 4]) -> Case {
    Case::new(extra)
        .file("units.csv", UNITS)
        .file(
            "requirements.csv",
            &format!(
                "time,peak_mw\n{T0},{}\n{T1},{}\n{T2},{}\n{T3},{}\n",
                mw[0], mw[1], mw[2], mw[3]
            ),
        )
        .file("peak_offers.csv", &peak_offers(rows))
}

/// peak-basic's offers (C2's band 2 at 420 is above Jiangsu's 391 cap).
const BASIC: [(&str, u32, &str, &str); 6] = [
    ("C1", 1, "100", "120"),
    ("C1", 2, "80", "300"),
    ("C2", 1, "60", "150"),
    ("C2", 2, "40", "420"),
    ("S1", 1, "50", "200"),
    ("DR1", 1, "30", "150"),
];

#[test]
fn eligibility_by_kind() {
    let rows = [
        ("C1", 1, "100", "120"),
        ("W1", 1, "100", "10"),
        ("P1", 1, "50", "10"),
        ("H1", 1, "100", "50"),
        ("S1", 1, "50", "200"),
        ("DR1", 1, "30", "150"),
    ];
    // Wind, PV and hydro (hydro_paid false) are refused (§二(一)); storage and DR take part.
    let r = peak_case("", &rows, ["150", "0", "0", "0"]).run();
    let refused: Vec<usize> = r.rejected.iter().map(|x| x.unit).collect();
    assert_eq!(refused, vec![4, 6, 5]); // H1, P1, W1 in unit-id order
    assert!(r.rejected.iter().all(|x| x.reason.contains("二(一)")));
    // 150 MW: C1 100 @120, DR1 30 @150, S1 20 of 50 @200 → price 200.
    assert_eq!(cleared(&r, Peak, 0, 2), d("20"));
    assert_eq!(price(&r, Peak, 0), d("200"));
    // With hydro_paid = true, H1 @50 goes first: 150 = H1 100 + C1 50 → price 120.
    let r = peak_case("[peak]\nhydro_paid = true\n", &rows, ["150", "0", "0", "0"]).run();
    assert_eq!(r.rejected.len(), 2);
    assert_eq!(cleared(&r, Peak, 0, 4), d("100"));
    assert_eq!(price(&r, Peak, 0), d("120"));
}

#[test]
fn uniform_pricing_bands_ties_shortfall_and_cap_from_province() {
    // Jiangsu's coal benchmark 0.391 元/kWh → cap 391 元/MWh (§二(二)); C2 band 2 at 420 is
    // refused. Order: C1b1 120 (100), {C2b1, DR1} 150 (60 + 30), S1 200 (50), C1b2 300 (80).
    let r = peak_case("", &BASIC, ["130", "190", "260", "350"]).run();
    assert_eq!(r.caps.peak_price_yuan_per_mwh, Some(d("391")));
    assert_eq!(r.rejected.len(), 1);
    // 130: C1 100 + 30 shared 60:30 → C2 20, DR1 10; price 150.
    assert_eq!(
        (cleared(&r, Peak, 0, 1), cleared(&r, Peak, 0, 3)),
        (d("20"), d("10"))
    );
    assert_eq!(price(&r, Peak, 0), d("150"));
    // 260: 100 + 90 + 50 + 20 of C1's band 2 → price 300.
    assert_eq!(cleared(&r, Peak, 2, 0), d("120"));
    assert_eq!(price(&r, Peak, 2), d("300"));
    // 350 > 320 offered: shortfall 30 at the cap 391.
    let row = clearing(&r, Peak, 3);
    assert_eq!((row.shortfall_mw, row.price), (d("30"), d("391")));
    // Fees (¼ h): C1 = 150×100 + 150×100 + 300×120 + 391×180, × 0.25
    //   = (15000 + 15000 + 36000 + 70380) × 0.25 = 34095.
    assert_eq!(paid(&r, Peak, "C1"), "34095.00");
    // DR1 = (150×10 + 150×30 + 300×30 + 391×30) × 0.25 = (1500 + 4500 + 9000 + 11730)/4 = 6682.5.
    assert_eq!(paid(&r, Peak, "DR1"), "6682.50");
}

#[test]
fn deeper_band_never_before_shallower_at_equal_price() {
    // C1 band 1 and band 2 both at 100, C2 band 1 at 100: band 1s first (160 MW), pro rata
    // only among them. 120 MW: C1b1 120 × 100/160 = 75, C2b1 45, C1b2 0.
    let rows = [
        ("C1", 1, "100", "100"),
        ("C1", 2, "80", "100"),
        ("C2", 1, "60", "100"),
    ];
    let r = peak_case("", &rows, ["120", "0", "0", "0"]).run();
    let c1b2 = r
        .awards
        .iter()
        .find(|a| a.unit == 0 && a.band == Some(2) && a.interval == 0)
        .unwrap();
    assert_eq!(c1b2.cleared_mw, d("0"));
    assert_eq!(cleared(&r, Peak, 0, 0), d("75"));
    assert_eq!(cleared(&r, Peak, 0, 1), d("45"));
}

#[test]
fn pay_as_bid_and_delivered_below_award() {
    // 260 MW at 00:30 as above; C1 delivers only 110 of its 120 (100 in band 1, 20 in band 2).
    let c = peak_case(
        "[peak]\npricing = \"pay_as_bid\"\n",
        &BASIC,
        ["0", "0", "260", "0"],
    )
    .file(
        "actuals.csv",
        &format!("time,unit,peak_delivered_mw\n{T2},C1,110\n"),
    );
    let r = c.run();
    // Delivered fills the shallow band first: band 1 100 @120, band 2 10 @300:
    // (100×120 + 10×300) × 0.25 = (12000 + 3000)/4 = 3750.
    assert_eq!(paid(&r, Peak, "C1"), "3750.00");
    // C2 60 @150 × 0.25 = 2250; S1 50 @200 × 0.25 = 2500.
    assert_eq!(paid(&r, Peak, "C2"), "2250.00");
    assert_eq!(paid(&r, Peak, "S1"), "2500.00");
    // Uniform at 300 instead: C1 110 × 300 × 0.25 = 8250.
    let r = peak_case("", &BASIC, ["0", "0", "260", "0"])
        .file(
            "actuals.csv",
            &format!("time,unit,peak_delivered_mw\n{T2},C1,110\n"),
        )
        .run();
    assert_eq!(paid(&r, Peak, "C1"), "8250.00");
}

#[test]
fn peak_cap_stricter_and_looser_than_the_province() {
    // A scenario cap of 250: S1 @200 stays, C1 band 2 @300 is refused.
    let r = peak_case(
        "[caps]\npeak_price_yuan_per_mwh = 250.0\n",
        &BASIC,
        ["0", "0", "0", "0"],
    )
    .run();
    assert_eq!(r.rejected.len(), 2);
    // A cap of 500 > 391: clamped to 391 with a warning (§二(二)).
    let r = peak_case(
        "[caps]\npeak_price_yuan_per_mwh = 500.0\n",
        &BASIC,
        ["0", "0", "0", "0"],
    )
    .run();
    assert_eq!(r.caps.peak_price_yuan_per_mwh, Some(d("391")));
    assert!(r.warnings.iter().any(|w| w.contains("二(二)")));
    // Another province's table value: Guangdong 0.453 → 453.
    let c = peak_case("", &BASIC, ["0", "0", "0", "0"]);
    let mut c = c;
    c.files.insert(
        "scenario.toml".into(),
        toml("").replace("Jiangsu", "Guangdong").into_bytes(),
    );
    assert_eq!(c.run().caps.peak_price_yuan_per_mwh, Some(d("453")));
}

#[test]
fn continuous_spot_refuses_the_peak_market() {
    let mut c = peak_case("", &BASIC, ["100", "0", "0", "0"]);
    c.files.insert(
        "scenario.toml".into(),
        toml("").replace("\"none\"", "\"continuous\"").into_bytes(),
    );
    let e = c.error();
    assert_eq!(e.kind, ErrorKind::Refused);
    assert_eq!(e.file, "scenario.toml");
    assert_eq!(e.line, Some(3));
    assert!(
        e.to_string()
            .contains("does not run where the spot market runs continuously"),
        "{e}"
    );
    // A non-zero peak_mw alone is refused too.
    let c = c.without("peak_offers.csv");
    assert!(c.error().to_string().contains("peak_mw"));
}

#[test]
fn peak_runs_only_in_intervals_where_the_spot_market_does_not() {
    // §二(一) "在现货市场未运行期间": the spot market runs at 00:00 and 00:15 only.
    let req = |mw: [&str; 4]| {
        format!(
            "time,peak_mw,spot_running\n{T0},{},true\n{T1},{},TRUE\n{T2},{},false\n{T3},{},\n",
            mw[0], mw[1], mw[2], mw[3]
        )
    };
    // No peak asked while it runs: the other two intervals clear exactly as without the
    // column (the uniform test above: 260 → 300, 350 → short 30 at the cap 391).
    let r = peak_case("", &BASIC, ["0", "0", "260", "350"])
        .file("requirements.csv", &req(["0", "0", "260", "350"]))
        .run();
    assert_eq!(price(&r, Peak, 2), d("300"));
    assert_eq!(clearing(&r, Peak, 3).shortfall_mw, d("30"));
    assert_eq!(clearing(&r, Peak, 0).cleared_mw, d("0"));
    // Peak asked at 00:15 while the spot market runs: refused, naming line 3 and peak_mw.
    let e = peak_case("", &BASIC, ["0", "0", "0", "0"])
        .file("requirements.csv", &req(["0", "190", "260", "350"]))
        .error();
    assert_eq!(e.kind, ErrorKind::Refused);
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("requirements.csv", Some(3), Some("peak_mw"))
    );
    assert!(e.to_string().contains("§二(一)"), "{e}");
    // Continuous spot with an interval where it does not run contradicts itself: an error.
    let mut c = peak_case("", &[], ["0", "0", "0", "0"])
        .without("peak_offers.csv")
        .file("requirements.csv", &req(["0", "0", "0", "0"]));
    c.files.insert(
        "scenario.toml".into(),
        toml("").replace("\"none\"", "\"continuous\"").into_bytes(),
    );
    let e = c.error();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(4), Some("spot_running"))
    );
    // Neither true nor false: a parse error at its cell.
    let e = peak_case("", &BASIC, ["0", "0", "0", "0"])
        .file(
            "requirements.csv",
            &format!("time,peak_mw,spot_running\n{T0},0,maybe\n{T1},0,\n{T2},0,\n{T3},0,\n"),
        )
        .error();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(2), Some("spot_running"))
    );
}

#[test]
fn band_prices_must_not_fall() {
    let rows = [("C1", 1, "100", "300"), ("C1", 2, "80", "200")];
    let e = peak_case("", &rows, ["0", "0", "0", "0"]).error();
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("peak_offers.csv", Some(3), Some("price_yuan_per_mwh"))
    );
    let rows = [("C1", 2, "80", "200")];
    let e = peak_case("", &rows, ["0", "0", "0", "0"]).error();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("band")));
}

const RUNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw
G1,A,gas,400,120
G2,A,gas,300,90
C1,B,coal,600,240
S1,C,storage,100,0
H1,D,hydro,200,0
";

fn reserve_case(extra: &str, mw: [&str; 4], actuals: &str) -> Case {
    // reserve-basic in 15-minute intervals.
    Case::new(extra)
        .file("units.csv", RUNITS)
        .file(
            "requirements.csv",
            &format!("time,reserve_mw\n{T0},{}\n{T1},{}\n{T2},{}\n{T3},{}\n", mw[0], mw[1], mw[2], mw[3]),
        )
        .file(
            "reserve_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nG1,{T0},{END},100,30\nG2,{T0},{END},80,45\nC1,{T0},{END},150,45\nS1,{T0},{END},50,20\nH1,{T0},{END},120,900\n"),
        )
        .file("actuals.csv", actuals)
}

#[test]
fn reserve_clearing_cap_and_actuals() {
    let actuals = format!("time,unit,reserve_available_mw\n{T2},G1,90\n{T3},C1,160\n");
    // reserve-basic's caps: energy 1500 (above Jiangsu's 469.2 without spot, so it warns),
    // reserve 800.
    let r = reserve_case(
        "[caps]\nreserve_price_yuan_per_mwh = 800.0\nenergy_market_price_cap_yuan_per_mwh = 1500.0\n",
        ["120", "150", "265", "400"],
        &actuals,
    )
    .run();
    // H1 at 900 > cap 800 (§四(六)) refused.
    assert_eq!(r.rejected.len(), 1);
    assert!(r.rejected[0].reason.contains("四(六)"));
    // Order S1 20 (50), G1 30 (100), {G2, C1} 45 (80 + 150).
    assert_eq!(price(&r, Reserve, 0), d("30")); // 120 = 50 + 70 of G1
    assert_eq!(price(&r, Reserve, 1), d("30")); // 150 = 50 + 100: G1 at its edge sets it
    // 265: 115 shared 80:150 → G2 40, C1 75; price 45.
    assert_eq!(
        (cleared(&r, Reserve, 2, 1), cleared(&r, Reserve, 2, 2)),
        (d("40"), d("75"))
    );
    assert_eq!(price(&r, Reserve, 2), d("45"));
    // 400 > 380: shortfall 20 at 800.
    assert_eq!(clearing(&r, Reserve, 3).shortfall_mw, d("20"));
    assert_eq!(price(&r, Reserve, 3), d("800"));
    // G1 (¼ h): 70×30 + 100×30 + min(100, 90)×45 + 100×800 = 2100 + 3000 + 4050 + 80000
    //   = 89150 × 0.25 = 22287.5 (§四(五): on the actual where lower).
    assert_eq!(paid(&r, Reserve, "G1"), "22287.50");
    // C1: 75×45 + 150×800 (available 160 > 150: the award) = 3375 + 120000 = 123375 × 0.25
    //   = 30843.75.
    assert_eq!(paid(&r, Reserve, "C1"), "30843.75");
}

#[test]
fn reserve_cap_defaults_to_and_is_bounded_by_the_energy_cap() {
    // Energy cap 700, no reserve cap: the reserve cap is 700, so H1 at 900 is refused.
    // No actuals: a header-only actuals.csv is refused (an empty export is never meant).
    let r = reserve_case(
        "[caps]\nenergy_market_price_cap_yuan_per_mwh = 700.0\n",
        ["0"; 4],
        "time,unit\n",
    )
    .without("actuals.csv")
    .run();
    assert_eq!(r.caps.reserve_price_yuan_per_mwh, d("700"));
    // Reserve cap 1000 > energy cap 700: clamped to 700 with a warning (§四(六)).
    let r = reserve_case("[caps]\nenergy_market_price_cap_yuan_per_mwh = 700.0\nreserve_price_yuan_per_mwh = 1000.0\n", ["0"; 4], "time,unit\n").without("actuals.csv").run();
    assert_eq!(r.caps.reserve_price_yuan_per_mwh, d("700"));
    assert!(r.warnings.iter().any(|w| w.contains("四(六)")));
}

#[test]
fn the_energy_cap_comes_from_the_provinces_market_or_a_stated_source() {
    let run = |extra: &str, province: &str, spot: &str| {
        let mut c = reserve_case(extra, ["0"; 4], "time,unit\n").without("actuals.csv");
        let t = toml(extra)
            .replace("\"Jiangsu\"", &format!("{province:?}"))
            .replace("\"none\"", &format!("{spot:?}"));
        c.files.insert("scenario.toml".into(), t.into_bytes());
        c.run()
    };
    let about_cap = |r: &ancillary::run::RunResult| {
        r.warnings
            .iter()
            .filter(|w| w.contains("energy-market cap") || w.contains("energy_market_price_cap"))
            .cloned()
            .collect::<Vec<_>>()
    };
    // Jiangsu, no continuous spot: coal benchmark 0.391 yuan/kWh + 20 % (发改价格〔2021〕1439号)
    // = 0.4692 yuan/kWh = 469.2 yuan/MWh, and the reserve cap defaults to it (§四(六)).
    let r = run("", "Jiangsu", "none");
    assert_eq!(r.caps.energy_market_price_cap_yuan_per_mwh, d("469.2"));
    assert_eq!(r.caps.reserve_price_yuan_per_mwh, d("469.2"));
    assert!(about_cap(&r).is_empty(), "{:?}", r.warnings);
    // A stated 700 is above the local cap: used as given (it is the energy market's rule, not
    // the notice's), with a warning naming 469.2.
    let r = run(
        "[caps]\nenergy_market_price_cap_yuan_per_mwh = 700.0\n",
        "Jiangsu",
        "none",
    );
    assert_eq!(r.caps.energy_market_price_cap_yuan_per_mwh, d("700"));
    assert!(
        about_cap(&r)
            .iter()
            .any(|w| w.contains("above the local energy-market cap 469.2"))
    );
    // Shandong under continuous spot: its spot cap 1500 from data/spot_markets.csv.
    let r = run("", "Shandong", "continuous");
    assert_eq!(r.caps.energy_market_price_cap_yuan_per_mwh, d("1500"));
    assert!(about_cap(&r).is_empty(), "{:?}", r.warnings);
    // Gansu's cap is not in the data: the 1500 default is unsourced and says so, until the
    // scenario states a source.
    let r = run("", "Gansu", "continuous");
    assert!(
        about_cap(&r).iter().any(|w| w.contains("has no source")),
        "{:?}",
        r.warnings
    );
    let r = run(
        "[caps]\nenergy_cap_source = \"Gansu spot rules 2024\"\n",
        "Gansu",
        "continuous",
    );
    assert!(about_cap(&r).is_empty(), "{:?}", r.warnings);
    // Shandong's spot market runs continuously from 2021-12-01 in the data: "none" on
    // 2024-03-01 contradicts it.
    let r = run("", "Shandong", "none");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("has run continuously since 2021-12-01"))
    );
}
