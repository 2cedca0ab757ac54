//! The shipped scenarios give the numbers the README derives by hand.

mod common;
use ancillary::product::Product::{self, Fr, Peak, Reserve};
use ancillary::run::RunResult;
use common::{d, paid, price};
use std::path::Path;

fn run(name: &str) -> RunResult {
    let s = ancillary::scenario::load(&Path::new("scenarios").join(name)).unwrap();
    ancillary::run::run(&s).unwrap()
}

fn prices(r: &RunResult, p: Product) -> Vec<String> {
    (0..4).map(|i| price(r, p, i).to_string()).collect()
}

#[test]
fn fr_basic_matches_the_readme() {
    let r = run("fr-basic");
    // README "fr-basic by hand": prices 6, 6, 8.8889 (C2: 4 / 0.45), 15 (shortfall → cap).
    assert_eq!(prices(&r, Fr), ["6", "6", "8.8889", "15"]);
    // S1: K 2; 6×30×2 + 6×28×2 + 8.8889×32×2 + 15×35×2 = 360 + 336 + 568.8896 + 1050 = 2314.8896.
    assert_eq!(paid(&r, Fr, "S1"), "2314.89");
    // C1: K 1; 240 + 270 + 444.445 + 825 = 1779.445 → 1779.45.
    assert_eq!(paid(&r, Fr, "C1"), "1779.45");
    // CS1: K 2; 300 + 360 + 355.556 + 660 = 1675.556 → 1675.56.
    assert_eq!(paid(&r, Fr, "CS1"), "1675.56");
    // C2: K 0.45, awarded 00:30 and 00:45: 72.00009 + 135 = 207.00009 → 207.00.
    assert_eq!(paid(&r, Fr, "C2"), "207.00");
    // G1 offered 16 > 15: rejected.
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.benchmark.unwrap().source, "C1");
}

#[test]
fn peak_basic_matches_the_readme() {
    let r = run("peak-basic");
    // Prices 150, 150 (tie group at its edge), 300, 391 (shortfall → Jiangsu cap).
    assert_eq!(prices(&r, Peak), ["150", "150", "300", "391"]);
    // C1 (¼ h): (150×100 + 150×100 + 300×110 delivered + 391×180) / 4 = 33345.
    assert_eq!(paid(&r, Peak, "C1"), "33345.00");
    // C2: (150×20 + 150×60 + 300×60 + 391×60) / 4 = 13365.
    assert_eq!(paid(&r, Peak, "C2"), "13365.00");
    // DR1: (150×10 + 150×30 + 300×30 + 391×30) / 4 = 6682.5.
    assert_eq!(paid(&r, Peak, "DR1"), "6682.50");
    // S1: (300×50 + 391×45 delivered) / 4 = 8148.75.
    assert_eq!(paid(&r, Peak, "S1"), "8148.75");
    assert_eq!(r.rejected.len(), 3); // C2 band 2 (420 > 391), H1 (hydro), W1 (wind)
}

#[test]
fn reserve_basic_matches_the_readme() {
    let r = run("reserve-basic");
    assert_eq!(prices(&r, Reserve), ["30", "30", "45", "800"]);
    // 1-hour intervals: S1 50×30 + 50×30 + 50×45 + 50×800 = 45250.
    assert_eq!(paid(&r, Reserve, "S1"), "45250.00");
    // G1 70×30 + 100×30 + 90×45 (actual) + 100×800 = 89150.
    assert_eq!(paid(&r, Reserve, "G1"), "89150.00");
    // G2 40×45 + 80×800 = 65800; C1 75×45 + 150×800 = 123375.
    assert_eq!(paid(&r, Reserve, "G2"), "65800.00");
    assert_eq!(paid(&r, Reserve, "C1"), "123375.00");
    assert_eq!(r.caps.reserve_price_yuan_per_mwh, d("800"));
}

#[test]
fn jiangsu_day_clears_all_three_products() {
    let r = run("jiangsu-typical-day");
    for p in [Fr, Peak, Reserve] {
        assert!(r.clearing.iter().any(|c| c.product == p), "{p:?}");
        assert!(r.settlement.iter().any(|s| s.product == p), "{p:?}");
        // No price above its cap.
        let cap = match p {
            Fr => r.caps.fr_mileage_price_yuan_per_mw,
            Peak => r.caps.peak_price_yuan_per_mwh.unwrap(),
            _ => r.caps.reserve_price_yuan_per_mwh,
        };
        assert!(
            r.clearing
                .iter()
                .filter(|c| c.product == p)
                .all(|c| c.price <= cap)
        );
    }
    // Peak runs only in the night valley: 24 intervals 00:00–06:00.
    assert_eq!(r.clearing.iter().filter(|c| c.product == Peak).count(), 24);
    // The generated AGC setpoints ask more of two units than they can move (issue 22: paid
    // mileage follows physics), and the run says so and pays the bound: C08 (ramp 7.29 MW/min)
    // meters Σ|Δ setpoint| = 129.99 MW at 07:45 > 7.29 × 15 = 109.35, in 6 intervals; CS3 once,
    // above its award × 15 at 23:45. Nothing else warns.
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with(
            "unit C08's metered mileage exceeds what it can move in 6 interval(s): 2024-03-01T07:45"
        ) && r.warnings[1].starts_with(
            "unit CS3's metered mileage exceeds what it can move in 1 interval(s): 2024-03-01T23:45"
        ),
        "{:?}",
        r.warnings
    );
}
