//! Frequency regulation (notice 196 §三): every expected number is derived in a comment.

mod common;
use ancillary::product::Product::Fr;
use ancillary::rules::fr;
use ancillary::scenario::FrParams;
use ancillary::scenario::config::{PerformanceForm, Ranking, Weights};
use common::*;

const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s
C1,A,coal,600,300,2.0,1.0,30
C2,B,coal,300,150,1.5,1.2,45
CS1,C,coal_storage,350,175,4.0,0.5,10
S1,D,storage,100,0,,,
";

// Measured: C1 = benchmark → K 1. C2: 1.5/2 × 1/1.25 × 30/40 = 0.75 × 0.8 × 0.75 = 0.45.
// CS1: 3/2 × 1/0.5 × 30/15 = 1.5 × 2 × 2 = 6 → capped at 2. S1: 4/2 × 1/0.8 × 30/20 = 3.75 → 2.
const PERF: &str = "unit,rate_pct_per_min,precision_pct,response_s
C1,2.0,1.0,30
C2,1.5,1.25,40
CS1,3.0,0.5,15
S1,4.0,0.8,20
";

fn offers(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    for (u, mw, p) in rows {
        s += &format!("{u},{T0},{END},{mw},{p}\n");
    }
    s
}

fn mileage_each(units: &[&str], mw: &str) -> String {
    let mut s = String::from("time,unit,mileage_mw\n");
    for t in [T0, T1, T2, T3] {
        for u in units {
            s += &format!("{t},{u},{mw}\n");
        }
    }
    s
}

fn req(fr: [&str; 4]) -> String {
    format!(
        "time,fr_mw\n{T0},{}\n{T1},{}\n{T2},{}\n{T3},{}\n",
        fr[0], fr[1], fr[2], fr[3]
    )
}

fn case(extra: &str, offer_rows: &[(&str, &str, &str)], fr_mw: [&str; 4]) -> Case {
    Case::new(extra)
        .file("units.csv", UNITS)
        .file("fr_performance.csv", PERF)
        .file("requirements.csv", &req(fr_mw))
        .file("fr_offers.csv", &offers(offer_rows))
        .file(
            "fr_mileage.csv",
            &mileage_each(&["C1", "C2", "CS1", "S1"], "10"),
        )
}

fn k_of(r: &ancillary::run::RunResult, unit: usize) -> rust_decimal::Decimal {
    r.factors.iter().find(|f| f.unit == unit).unwrap().factor.k
}

#[test]
fn k_product_weighted_and_cap() {
    let bench = FrParams {
        rate_pct_per_min: d("2"),
        precision_pct: d("1"),
        response_s: d("30"),
    };
    let c2 = FrParams {
        rate_pct_per_min: d("1.5"),
        precision_pct: d("1.25"),
        response_s: d("40"),
    };
    let w = Weights::default();
    // Product: 0.75 × 0.8 × 0.75 = 0.45.
    let k = fr::performance_factor(c2, bench, PerformanceForm::Product, w, d("2"));
    assert_eq!(
        (k.k_rate, k.k_precision, k.k_response),
        (d("0.75"), d("0.8"), d("0.75"))
    );
    assert_eq!(k.k, d("0.45"));
    // Weighted 0.5/0.25/0.25: 0.5×0.75 + 0.25×0.8 + 0.25×0.75 = 0.375 + 0.2 + 0.1875 = 0.7625.
    let k = fr::performance_factor(c2, bench, PerformanceForm::Weighted, w, d("2"));
    assert_eq!(k.k, d("0.7625"));
    // CS1: 1.5 × 2 × 2 = 6, capped at 2 (notice 196 §三(四)); a stricter cap 1.5 gives 1.5.
    let cs1 = FrParams {
        rate_pct_per_min: d("3"),
        precision_pct: d("0.5"),
        response_s: d("15"),
    };
    let k = fr::performance_factor(cs1, bench, PerformanceForm::Product, w, d("2"));
    assert_eq!((k.uncapped, k.k), (d("6"), d("2")));
    let k = fr::performance_factor(cs1, bench, PerformanceForm::Product, w, d("1.5"));
    assert_eq!(k.k, d("1.5"));
    // Rounded to 4 places: 1/3 of the benchmark rate → 0.3333.
    let third = FrParams {
        rate_pct_per_min: d("2") / d("3"),
        ..bench
    };
    let k = fr::performance_factor(third, bench, PerformanceForm::Product, w, d("2"));
    assert_eq!(k.k, d("0.3333"));
}

#[test]
fn benchmark_excludes_coal_storage_and_picks_best_coal() {
    // CS1 (4.0, 0.5, 10) beats every coal unit but is coal_storage: excluded (§三(四)).
    // C1 scores 2/(1×30) = 0.0667, C2 1.5/(1.2×45) = 0.0278: C1 is the benchmark.
    let s = case("", &[("C1", "60", "6")], ["10", "10", "10", "10"])
        .load()
        .unwrap();
    let b = fr::benchmark(&s).unwrap();
    assert_eq!(b.source, "C1");
    // No unit best on all three: CB has the higher rate (3 > 2) but scores 3/(1.5×40) = 0.05
    // against CA's 2/(1×30) = 0.0667, so CA is the benchmark.
    let units = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s\nCB,x,coal,600,0,3,1.5,40\nCA,x,coal,600,0,2,1,30\n";
    let s = Case::new("")
        .file("units.csv", units)
        .file("requirements.csv", &req(["0", "0", "0", "0"]))
        .load()
        .unwrap();
    assert_eq!(fr::benchmark(&s).unwrap().source, "CA");
    // [fr] benchmark overrides the fleet.
    let s = case(
        "[fr]\nbenchmark = { rate_pct_per_min = 3.0, precision_pct = 1.0, response_s = 30 }\n",
        &[("C1", "60", "6")],
        ["10", "10", "10", "10"],
    );
    let r = s.run();
    // C1 measured 2.0 against 3.0: K = 2/3 × 1 × 1 = 0.6667.
    assert_eq!(k_of(&r, 0), d("0.6667"));
}

#[test]
fn marginal_price_and_pro_rata_tie() {
    // Ranking = offer / K: S1 10/2 = 5; C1 6/1 = 6; CS1 12/2 = 6 (tied with C1); C2 4/0.45 =
    // 8.8889.
    let r = case(
        "",
        &[
            ("C1", "60", "6"),
            ("C2", "30", "4"),
            ("CS1", "40", "12"),
            ("S1", "20", "10"),
        ],
        ["70", "120", "135", "160"],
    )
    .run();
    // 00:00, 70 MW: S1 20, then 50 among the tie C1 60 / CS1 40: 30 and 20. Price 6.
    assert_eq!(cleared(&r, Fr, 0, 3), d("20"));
    assert_eq!(cleared(&r, Fr, 0, 0), d("30"));
    assert_eq!(cleared(&r, Fr, 0, 2), d("20"));
    assert_eq!(price(&r, Fr, 0), d("6"));
    assert_eq!(clearing(&r, Fr, 0).marginal_units, vec![0, 2]);
    // 00:15, 120 MW = 20 + 100 exactly: the tied group is marginal (its edge), price 6.
    assert_eq!(price(&r, Fr, 1), d("6"));
    // 00:30, 135 MW: 15 of C2: price 8.8889.
    assert_eq!(cleared(&r, Fr, 2, 1), d("15"));
    assert_eq!(price(&r, Fr, 2), d("8.8889"));
    // 00:45, 160 MW > 150 offered: shortfall 10, price at the cap 15 (§三(四)).
    let row = clearing(&r, Fr, 3);
    assert_eq!(
        (row.cleared_mw, row.shortfall_mw, row.price),
        (d("150"), d("10"), d("15"))
    );
}

#[test]
fn tie_split_does_not_depend_on_file_order() {
    let a = case(
        "",
        &[("C1", "60", "6"), ("CS1", "40", "12")],
        ["50", "0", "0", "0"],
    )
    .run();
    let b = case(
        "",
        &[("CS1", "40", "12"), ("C1", "60", "6")],
        ["50", "0", "0", "0"],
    )
    .run();
    // 50 × 60/100 = 30 and 50 × 40/100 = 20 either way.
    for r in [&a, &b] {
        assert_eq!(cleared(r, Fr, 0, 0), d("30"));
        assert_eq!(cleared(r, Fr, 0, 2), d("20"));
    }
}

#[test]
fn ranking_rules() {
    let offers = [("C1", "60", "6"), ("S1", "20", "10")];
    // price_over_k: C1 6/1 = 6, S1 10/2 = 5 → S1 first; 30 MW = S1 20 + C1 10, price 6.
    let r = case("", &offers, ["30", "0", "0", "0"]).run();
    assert_eq!(cleared(&r, Fr, 0, 3), d("20"));
    assert_eq!(price(&r, Fr, 0), d("6"));
    // price_over_relative_k (K_max = 2): C1 6 × 2/1 = 12, S1 10 × 2/2 = 10 → S1 first, then C1
    // at 12.
    let r = case(
        "[fr]\nranking = \"price_over_relative_k\"\n",
        &offers,
        ["30", "0", "0", "0"],
    )
    .run();
    assert_eq!(cleared(&r, Fr, 0, 3), d("20"));
    assert_eq!(price(&r, Fr, 0), d("12"));
    // price: C1 6 < S1 10 → C1 first; 30 MW all from C1 at 6.
    let r = case(
        "[fr]\nranking = \"price\"\n",
        &offers,
        ["30", "0", "0", "0"],
    )
    .run();
    assert_eq!(cleared(&r, Fr, 0, 0), d("30"));
    assert_eq!(cleared(&r, Fr, 0, 3), d("0"));
    assert_eq!(price(&r, Fr, 0), d("6"));
    let rule = fr::ranking_price(d("10"), d("0.45"), d("2"), Ranking::PriceOverK);
    assert_eq!(rule, d("22.2222")); // 10 / 0.45 = 22.2222…
}

#[test]
fn ranking_price_above_cap_does_not_lift_the_price() {
    // C2 offers 8 (≤ 15), K 0.45 → ranking 8/0.45 = 17.7778 > 15. As the marginal offer it sets
    // the price, capped at 15.
    let r = case("", &[("C2", "30", "8")], ["20", "0", "0", "0"]).run();
    let row = clearing(&r, Fr, 0);
    assert_eq!(row.shortfall_mw, d("0"));
    assert_eq!(row.price, d("15"));
}

#[test]
fn offers_above_cap_rejected_and_listed() {
    // S1 at 16 > 15: rejected (§三(四)); C1 at 6 carries the 30 MW alone.
    let r = case(
        "",
        &[("C1", "60", "6"), ("S1", "20", "16")],
        ["30", "0", "0", "0"],
    )
    .run();
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].unit, 3);
    assert!(
        r.rejected[0].reason.contains("三(四)"),
        "{}",
        r.rejected[0].reason
    );
    assert_eq!(cleared(&r, Fr, 0, 0), d("30"));
    // A stricter scenario cap of 5: C1 at 6 is rejected too, leaving nothing: shortfall at 5.
    let r = case(
        "[caps]\nfr_mileage_price_yuan_per_mw = 5.0\n",
        &[("C1", "60", "6")],
        ["30", "0", "0", "0"],
    )
    .run();
    assert_eq!(r.rejected.len(), 1);
    let row = clearing(&r, Fr, 0);
    assert_eq!((row.shortfall_mw, row.price), (d("30"), d("5")));
}

#[test]
fn caps_above_the_notice_are_clamped_with_a_warning() {
    // Cap 20 > 15 and K cap 3 > 2: the run uses 15 and 2 and warns.
    let extra = "[caps]\nfr_mileage_price_yuan_per_mw = 20.0\nperformance_factor = 3.0\n";
    let r = case(extra, &[("CS1", "40", "12")], ["50", "0", "0", "0"]).run();
    assert_eq!(r.caps.fr_mileage_price_yuan_per_mw, d("15"));
    assert_eq!(k_of(&r, 2), d("2"));
    assert_eq!(
        r.warnings
            .iter()
            .filter(|w| w.contains("exceeds the notice's limit"))
            .count(),
        2
    );
    assert!(r.within_notice);
    // Shortfall 10 priced at the clamped cap 15.
    assert_eq!(price(&r, Fr, 0), d("15"));
    // With enforce_notice_limits = false the scenario's caps are used and the run is marked.
    let r = case(
        &format!("{extra}[policy]\nenforce_notice_limits = false\n"),
        &[("CS1", "40", "12")],
        ["50", "0", "0", "0"],
    )
    .run();
    assert!(!r.within_notice);
    // CS1's K is 6 uncapped → 3 under the scenario's cap; shortfall price 20.
    assert_eq!(k_of(&r, 2), d("3"));
    assert_eq!(price(&r, Fr, 0), d("20"));
}

#[test]
fn fee_is_price_times_mileage_times_k_rounded_once_a_day() {
    // fr-basic's C1: prices 6, 6, 8.8889, 15 with K 1 and mileage 40, 45, 50, 55:
    // 240 + 270 + 444.445 + 825 = 1779.445 → 1779.45 (half away from zero, once per day).
    let r = case(
        "",
        &[("C1", "60", "6"), ("C2", "30", "4"), ("CS1", "40", "12"), ("S1", "20", "10")],
        ["70", "120", "135", "160"],
    )
    .file(
        "fr_mileage.csv",
        &format!("time,unit,mileage_mw\n{T0},C1,40\n{T1},C1,45\n{T2},C1,50\n{T3},C1,55\n{T2},C2,18\n{T3},C2,20\n{T0},C2,10\n"),
    )
    .run();
    assert_eq!(paid(&r, Fr, "C1"), "1779.45");
    // C2: awarded only at 00:30 and 00:45. 8.8889 × 18 × 0.45 = 72.00009; 15 × 20 × 0.45 = 135
    // → 207.00009 → 207.00. Its 10 MW at 00:00 without an award is not paid, with a warning.
    assert_eq!(paid(&r, Fr, "C2"), "207.00");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("C2") && w.contains("without an FR award"))
    );
    // S1 is awarded FR but has no mileage row: paid 0, never silently (issue 22): its row is
    // there, 0.00, and a warning names it.
    assert_eq!(paid(&r, Fr, "S1"), "0.00");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("unit S1 is awarded FR in") && w.contains("no mileage metered"))
    );
}

#[test]
fn mileage_from_agc_setpoints() {
    // C1's setpoints 100 @00:00, 110 @00:05, 105 @00:10 → interval 0: |110−100| + |105−110| = 15.
    // 120 @00:15, 120 @00:20, 100 @00:29 → interval 1: |120−105| + 0 + |100−120| = 35 (a step
    // counts where its later sample falls).
    let agc = "time,unit,setpoint_mw\n2024-03-01T00:10,C1,105\n2024-03-01T00:00,C1,100\n2024-03-01T00:05,C1,110\n2024-03-01T00:15,C1,120\n2024-03-01T00:20,C1,120\n2024-03-01T00:29,C1,100\n";
    let s = case("", &[("C1", "60", "6")], ["10", "10", "0", "0"])
        .without("fr_mileage.csv")
        .file("agc_setpoints.csv", agc)
        .load()
        .unwrap();
    assert_eq!(s.mileage.get(0, 0), Some(d("15")));
    assert_eq!(s.mileage.get(0, 1), Some(d("35")));
    // Fee: price 6 (C1 marginal), K 1: 6 × 15 + 6 × 35 = 300.
    let r = ancillary::run::run(&s).unwrap();
    assert_eq!(paid(&r, Fr, "C1"), "300.00");
}

#[test]
fn same_inputs_same_bytes() {
    let c = case(
        "",
        &[("C1", "60", "6"), ("CS1", "40", "12"), ("S1", "20", "10")],
        ["33.3333", "70", "10", "0"],
    );
    let s = c.load().unwrap();
    let a = ancillary::output::render(&s, &ancillary::run::run(&s).unwrap());
    let b = ancillary::output::render(&s, &ancillary::run::run(&s).unwrap());
    assert_eq!(a, b);
}

#[test]
fn a_benchmark_that_zeroes_every_k_is_named() {
    // C1's design precision and response of 1e-15 make it the benchmark (its score 2 / 1e-30
    // beats every coal unit's), and against it every unit's K = rate/2 × 1e-15/precision ×
    // 1e-15/response rounds to 0 at 4 decimals: every FR offer is refused.
    let dir = std::path::Path::new("scenarios/fr-basic");
    let mut files = ancillary::scenario::read_files(dir).unwrap();
    let units = String::from_utf8(files["units.csv"].clone())
        .unwrap()
        .replace(
            "C1,Huaneng,coal,600,300,12,true,2.0,1.0,30",
            "C1,Huaneng,coal,600,300,12,true,2.0,0.000000000000001,0.000000000000001",
        );
    files.insert("units.csv".into(), units.into_bytes());
    let s = ancillary::scenario::load_files(&files).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    assert!(r.awards.iter().all(|a| a.cleared_mw.is_zero()));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("every unit's K rounds to 0 against the FR benchmark C1")),
        "{:?}",
        r.warnings
    );
}

/// C1 (K 1) offers 60 MW at 6 and C2 (K 0.45, ranking price 4 / 0.45 = 8.8889) 30 MW at 4;
/// the requirement is 70 MW at 00:00 and 50 MW at 00:15: C1 60 + C2 10 at 8.8889 (C2
/// marginal), then C1 50 at 6.
fn two_unit_case(extra: &str) -> Case {
    case(
        extra,
        &[("C1", "60", "6"), ("C2", "30", "4")],
        ["70", "50", "0", "0"],
    )
}

#[test]
fn mileage_from_awards_when_none_is_given() {
    let c = two_unit_case("[fr]\nexpected_mileage_per_mw = 2.5\n").without("fr_mileage.csv");
    let s = c.load().unwrap();
    assert_eq!(
        s.mileage_source,
        ancillary::scenario::MileageSource::FromAwards(d("2.5"))
    );
    assert!(s.mileage.is_empty());
    let r = ancillary::run::run(&s).unwrap();
    // Mileage = award × 2.5. C1: 60 × 2.5 = 150 at 8.8889, 50 × 2.5 = 125 at 6, K 1:
    // 1333.335 + 750 = 2083.335 → 2083.34 (half away from zero), quantity 275.
    assert_eq!(paid(&r, Fr, "C1"), "2083.34");
    // C2: 10 × 2.5 = 25 at 8.8889 × K 0.45 = 100.000125 → 100.00, quantity 25.
    assert_eq!(paid(&r, Fr, "C2"), "100.00");
    let quantity = |party: &str| {
        r.settlement
            .iter()
            .find(|s| s.product == Fr && s.party == party)
            .unwrap()
            .quantity
    };
    assert_eq!((quantity("C1"), quantity("C2")), (d("275"), d("25")));
    // Marked as an assumption: the warning, and the FR rows' basis in settlement.csv.
    assert!(
        r.warnings.iter().any(
            |w| w.starts_with("FR mileage synthesised from awards, not metered")
                && w.contains("expected_mileage_per_mw = 2.5")
        ),
        "{:?}",
        r.warnings
    );
    let out = ancillary::output::render(&s, &r);
    let settlement = String::from_utf8(out["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains(
            "2024-03-01,C1,fr,compensation,275,MW mileage,2083.34,notice-196+mileage-from-awards,,\n"
        ),
        "{settlement}"
    );
    let summary = String::from_utf8(out["summary.json"].clone()).unwrap();
    assert!(summary.contains("FR mileage synthesised from awards"));
    assert_eq!(s.fr_expected_mileage_per_mw(), Some(2.5));
}

#[test]
fn measured_mileage_wins_over_the_expectation() {
    // The same case with fr_mileage.csv (10 MW per unit and interval) and the setting: the
    // measured mileage is settled. C1: 8.8889 × 10 + 6 × 10 = 148.889 → 148.89; C2: 8.8889 ×
    // 10 × 0.45 = 40.00005 → 40.00.
    let s = two_unit_case("[fr]\nexpected_mileage_per_mw = 2.5\n")
        .load()
        .unwrap();
    assert_eq!(
        s.mileage_source,
        ancillary::scenario::MileageSource::Measured
    );
    let r = ancillary::run::run(&s).unwrap();
    assert_eq!(paid(&r, Fr, "C1"), "148.89");
    assert_eq!(paid(&r, Fr, "C2"), "40.00");
    assert!(r.warnings.iter().all(|w| !w.contains("synthesised")));
    let out = ancillary::output::render(&s, &r);
    let settlement = String::from_utf8(out["settlement.csv"].clone()).unwrap();
    assert!(!settlement.contains("mileage-from-awards"), "{settlement}");
    // The setting stays the expectation.
    assert_eq!(s.fr_expected_mileage_per_mw(), Some(2.5));
}

#[test]
fn expected_mileage_from_measured_mileage_and_offers() {
    // Every unit has 10 MW of mileage in each of the four intervals. C1 offers 60 MW all hour,
    // C2 30 MW from 00:30 only; CS1 and S1 offer nothing, so their mileage does not count.
    // Σ mileage over (unit, interval) pairs with an offer: C1 4 × 10 + C2 2 × 10 = 60;
    // Σ offered there: 4 × 60 + 2 × 30 = 300; 60 / 300 = 0.2.
    let offers = format!(
        "unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},60,6\nC2,{T2},{END},30,4\n"
    );
    let c = case("", &[], ["10", "10", "10", "10"]).file("fr_offers.csv", &offers);
    let s = c.load().unwrap();
    assert_eq!(s.fr_expected_mileage_per_mw(), Some(0.2));
    // No FR at all: nothing to expect.
    let s = Case::new("")
        .file("units.csv", UNITS)
        .file("requirements.csv", &req(["0", "0", "0", "0"]))
        .load()
        .unwrap();
    assert_eq!(s.fr_expected_mileage_per_mw(), None);
}
