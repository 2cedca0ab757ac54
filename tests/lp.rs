//! The LP joint-clearing engine: hand-derived cases, agreement with the merit order where
//! nothing couples, and (with `--features highs`) agreement between Clarabel and HiGHS.

mod common;
use ancillary::product::Product::{self, Energy, Fr, Peak, Reserve};
use ancillary::run::RunResult;
use common::*;
use proptest::prelude::*;

fn hourly(intervals: u32, extra: &str) -> Case {
    let toml = format!(
        "name = \"lp\"\nprovince = \"Shandong\"\nspot_market = \"continuous\"\ninterval_minutes = 60\nstart = \"2024-03-01T00:00\"\nintervals = {intervals}\n[allocation]\nuser_share = 0.5\n{extra}"
    );
    let mut c = Case::new("");
    c.files.insert("scenario.toml".into(), toml.into_bytes());
    c
}

fn award(r: &RunResult, p: Product, i: usize, unit: usize) -> rust_decimal::Decimal {
    cleared(r, p, i, unit)
}

/// REFERENCES.md's worked example: A 20 yuan/MWh, B 60, C 100 (no reserve), 100 MW each;
/// load 180, reserve 40.
fn abc(extra: &str) -> Case {
    hourly(1, extra)
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA,x,coal,100,0\nB,y,gas,100,0\nC,z,gas,100,0\n")
        .file("requirements.csv", "time,load_mw,reserve_mw\n2024-03-01T00:00,180,40\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,1,100,20\nB,2024-03-01T00:00,2024-03-01T01:00,1,100,60\nC,2024-03-01T00:00,2024-03-01T01:00,1,100,100\n")
        .file("reserve_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,100,0\nB,2024-03-01T00:00,2024-03-01T01:00,100,0\n")
}

#[test]
fn worked_example_energy_and_reserve() {
    let r = abc("").run();
    assert!(
        r.engine.starts_with("lp"),
        "energy offers choose the LP: {}",
        r.engine
    );
    // Dispatch 100 / 60 / 20: A full, B holds the 40 MW of reserve (A has no headroom left),
    // C is marginal for energy. Energy price 100 (C). Reserve price = B's lost opportunity in
    // energy, 100 − 60 = 40. Cost 20×100 + 60×60 + 100×20 = 7600.
    assert_eq!(
        (
            award(&r, Energy, 0, 0),
            award(&r, Energy, 0, 1),
            award(&r, Energy, 0, 2)
        ),
        (d("100"), d("60"), d("20"))
    );
    assert_eq!(
        (award(&r, Reserve, 0, 0), award(&r, Reserve, 0, 1)),
        (d("0"), d("40"))
    );
    assert_eq!(price(&r, Energy, 0), d("100"));
    assert_eq!(price(&r, Reserve, 0), d("40"));
    assert!((r.objective - 7600.0).abs() < 1e-3, "{}", r.objective);
    // Billed as before: reserve fee = 40 × 40 × 1 h = 1600 to B.
    assert_eq!(paid(&r, Reserve, "B"), "1600.00");
}

#[test]
fn ramp_couples_intervals() {
    // A: 200 MW at 20, ramp 1 MW/min (60 MW an hour). B: 200 MW at 30. Load 100 then 200.
    // A cannot go from 100 to 200: A 100 → 160, B 0 → 40. Cost 2000 + 3200 + 1200 = 6400.
    // Price at 01:00: B, 30. At 00:00 one more MW of load is met by A, which lets A rise one MW
    // more at 01:00 and displace one MW of B: 20 − (30 − 20) = 10.
    let r = hourly(2, "")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min\nA,x,coal,200,0,1\nB,y,gas,200,0,\n")
        .file("requirements.csv", "time,load_mw\n2024-03-01T00:00,100\n2024-03-01T01:00,200\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T02:00,1,200,20\nB,2024-03-01T00:00,2024-03-01T02:00,1,200,30\n")
        .run();
    assert_eq!(
        (
            award(&r, Energy, 0, 0),
            award(&r, Energy, 1, 0),
            award(&r, Energy, 1, 1)
        ),
        (d("100"), d("160"), d("40"))
    );
    assert_eq!(
        (price(&r, Energy, 0), price(&r, Energy, 1)),
        (d("10"), d("30"))
    );
    assert!((r.objective - 6400.0).abs() < 1e-3, "{}", r.objective);
}

#[test]
fn storage_shifts_cheap_energy() {
    // A: 120 MW at 20; B: 200 MW at 80; battery S: 50 MW, 50 MWh, charging efficiency 0.9,
    // empty at the start. Load 80 then 150. Without S, B would serve 30 MW at 01:00 (price 80).
    // With S: charge c at 00:00 from A, discharge 0.9 c at 01:00: 0.9 c = 30 → c = 33.333;
    // A 113.333 then 120. Prices: 20 at 00:00 (A has room); at 01:00 one more MW costs
    // 1/0.9 MW from A at 00:00: 20 / 0.9 = 22.2222.
    let r = hourly(2, "")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,energy_capacity_mwh,efficiency,initial_soc_mwh\nA,x,coal,120,0,,,\nB,y,gas,200,0,,,\nS,z,storage,50,0,50,0.9,0\n")
        .file("requirements.csv", "time,load_mw\n2024-03-01T00:00,80\n2024-03-01T01:00,150\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T02:00,1,120,20\nB,2024-03-01T00:00,2024-03-01T02:00,1,200,80\n")
        .run();
    assert_eq!(
        (
            award(&r, Energy, 0, 0),
            award(&r, Energy, 1, 0),
            award(&r, Energy, 1, 1)
        ),
        (d("113.333"), d("120"), d("0"))
    );
    let s: Vec<_> = r
        .storage
        .iter()
        .map(|s| (s.charge_mw, s.discharge_mw, s.soc_mwh))
        .collect();
    assert_eq!(
        s,
        vec![(d("33.333"), d("0"), d("30")), (d("0"), d("30"), d("0"))]
    );
    assert_eq!(
        (price(&r, Energy, 0), price(&r, Energy, 1)),
        (d("20"), d("22.2222"))
    );
}

#[test]
fn scarcity_is_priced_at_the_caps() {
    // Load 250 > 200 of capacity: 50 MW short at the energy cap 1500. Reserve 40 with nothing
    // left to hold it: short 40 at the reserve cap 800.
    let r = hourly(1, "[caps]\nreserve_price_yuan_per_mwh = 800.0\n")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA,x,coal,100,0\nB,y,gas,100,0\n")
        .file("requirements.csv", "time,load_mw,reserve_mw\n2024-03-01T00:00,250,40\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,1,100,20\nB,2024-03-01T00:00,2024-03-01T01:00,1,100,60\n")
        .file("reserve_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,50,5\n")
        .run();
    let e = clearing(&r, Energy, 0);
    assert_eq!(
        (e.cleared_mw, e.shortfall_mw, e.price),
        (d("200"), d("50"), d("1500"))
    );
    let q = clearing(&r, Reserve, 0);
    assert_eq!(
        (q.cleared_mw, q.shortfall_mw, q.price),
        (d("0"), d("40"), d("800"))
    );
}

#[test]
fn merit_order_engine_refuses_energy() {
    let e = abc("[clearing]\nengine = \"merit_order\"\n").error();
    assert_eq!(e.column.as_deref(), Some("clearing.engine"));
    // Energy offers in a non-spot region are refused too.
    let mut c = abc("");
    let t = String::from_utf8(c.files["scenario.toml"].clone())
        .unwrap()
        .replace("continuous", "none");
    c.files.insert("scenario.toml".into(), t.into_bytes());
    assert_eq!(c.error().column.as_deref(), Some("spot_market"));
}

#[test]
fn energy_ties_share_pro_rata_and_fill_segments_in_order() {
    // C (200 MW at 10) runs flat out; the other 60 MW of the 260 MW load come from A (60 + 40
    // MW, both at 30) and B (50 MW at 30), tied. The tie-break (least Σ x² / offered MW among
    // the optimal dispatches) shares the 60 MW pro rata to the MW offered at 30: A 100 → 40,
    // B 50 → 20. Within A, segment 1 fills first: 40 + 0. Price 30 (A and B both free).
    let r = hourly(1, "")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA,x,coal,100,0\nB,y,gas,50,0\nC,z,coal,200,0\n")
        .file("requirements.csv", "time,load_mw\n2024-03-01T00:00,260\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,1,60,30\nA,2024-03-01T00:00,2024-03-01T01:00,2,40,30\nB,2024-03-01T00:00,2024-03-01T01:00,1,50,30\nC,2024-03-01T00:00,2024-03-01T01:00,1,200,10\n")
        .run();
    let segments = |unit: usize| -> Vec<rust_decimal::Decimal> {
        r.awards
            .iter()
            .filter(|w| w.product == Energy && w.unit == unit)
            .map(|w| w.cleared_mw)
            .collect()
    };
    assert_eq!(segments(0), vec![d("40"), d("0")]);
    assert_eq!(segments(1), vec![d("20")]);
    assert_eq!(segments(2), vec![d("200")]);
    assert_eq!(price(&r, Energy, 0), d("30"));
    // Cost 200 × 10 + 60 × 30 = 3800, from the published quantities.
    assert!((r.objective - 3800.0).abs() < 1e-9, "{}", r.objective);
}

#[test]
fn coupled_ties_take_the_least_squares_split() {
    // A (100 MW, energy 100 at 50, reserve 30 at 5) and B (80 MW, energy 80 at 50, reserve 30
    // at 5) meet a load of 160 and a reserve of 20 with no room to spare: pA + qA = 100,
    // pB + qB = 80, pA + pB = 160, qA + qB = 20. Every split costs 160 × 50 + 20 × 5, so the
    // tie-break decides: with pA = t (pB = 160 − t, qA = 100 − t, qB = t − 80, 80 ≤ t ≤ 100)
    // it minimises t²/100 + (160 − t)²/80 + (100 − t)²/30 + (t − 80)²/30. Its derivative is
    // zero where (× 600) 12t − 15(160 − t) − 40(100 − t) + 40(t − 80) = 0, i.e. 107t = 9600,
    // t = 89.7196…: A 89.72 + 10.28, B 70.28 + 9.72 (pro rata alone, 80/100 of the energy to
    // each, would break B's capacity).
    let r = hourly(1, "")
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw\nA,x,coal,100,0\nB,y,coal,80,0\n")
        .file("requirements.csv", "time,load_mw,reserve_mw\n2024-03-01T00:00,160,20\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,1,100,50\nB,2024-03-01T00:00,2024-03-01T01:00,1,80,50\n")
        .file("reserve_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,30,5\nB,2024-03-01T00:00,2024-03-01T01:00,30,5\n")
        .run();
    assert_eq!(
        (award(&r, Energy, 0, 0), award(&r, Reserve, 0, 0)),
        (d("89.72"), d("10.28"))
    );
    assert_eq!(
        (award(&r, Energy, 0, 1), award(&r, Reserve, 0, 1)),
        (d("70.28"), d("9.72"))
    );
}

// Property: with nothing coupling the products (no energy, no ramp limits, each unit's FR and
// reserve offers fitting in its capacity), the LP gives the merit order's prices and awards,
// edges and ties included.
const T: [&str; 3] = ["2024-03-01T00:00", "2024-03-01T00:15", "2024-03-01T00:30"];

fn uncoupled(lp: bool, units: &[(u32, u32, u32, u32, u32, u32)], req: &[(u32, u32, u32)]) -> Case {
    let extra = if lp {
        "[clearing]\nengine = \"lp\"\n"
    } else {
        ""
    };
    let toml = format!(
        "name = \"p\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 15\nstart = \"{}\"\nintervals = 3\n[fr]\nbenchmark = {{ rate_pct_per_min = 2.0, precision_pct = 1.0, response_s = 30 }}\n{extra}",
        T[0]
    );
    let mut u = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s\n",
    );
    let mut fr = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut rs = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    let mut pk = String::from("unit,start,end,band,mw,price_yuan_per_mwh\n");
    let mut mileage = String::from("time,unit,mileage_mw\n");
    for (k, &(fr_mw, fr_p, r_mw, r_p, pk_mw, pk_p)) in units.iter().enumerate() {
        // Rate k+1 against the benchmark's 2: K = (k+1)/2, capped at 2.
        u += &format!(
            "U{k},O,coal,{},0,{},1,30\n",
            fr_mw + r_mw + pk_mw + 1,
            k + 1
        );
        fr += &format!("U{k},{},2024-03-01T00:45,{fr_mw},{fr_p}\n", T[0]);
        rs += &format!("U{k},{},2024-03-01T00:45,{r_mw},{r_p}\n", T[0]);
        pk += &format!("U{k},{},2024-03-01T00:45,1,{pk_mw},{}\n", T[0], pk_p * 10);
        mileage += &format!("{},U{k},10\n", T[0]);
    }
    let mut r = String::from("time,fr_mw,reserve_mw,peak_mw\n");
    for (t, (a, b, c)) in T.iter().zip(req) {
        r += &format!("{t},{a},{b},{c}\n");
    }
    let mut c = Case::new("")
        .file("units.csv", &u)
        .file("fr_offers.csv", &fr)
        .file("reserve_offers.csv", &rs)
        .file("peak_offers.csv", &pk)
        .file("fr_mileage.csv", &mileage)
        .file("requirements.csv", &r);
    c.files.insert("scenario.toml".into(), toml.into_bytes());
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn lp_equals_merit_order_without_coupling(
        units in proptest::collection::vec((1u32..60, 1u32..15, 1u32..60, 1u32..40, 1u32..60, 1u32..30), 1..5),
        req in proptest::collection::vec((0u32..150, 0u32..150, 0u32..150), 3),
    ) {
        let a = uncoupled(false, &units, &req).run();
        let b = uncoupled(true, &units, &req).run();
        prop_assert!(b.engine.starts_with("lp"));
        for p in [Fr, Reserve, Peak] {
            for i in 0..3 {
                let (x, y) = (clearing(&a, p, i), clearing(&b, p, i));
                prop_assert_eq!(x.price, y.price, "{:?} {} price", p, i);
                prop_assert_eq!(x.shortfall_mw, y.shortfall_mw, "{:?} {} shortfall", p, i);
            }
        }
        let awards = |r: &RunResult| r.awards.iter().map(|w| (w.interval, w.product, w.unit, w.cleared_mw)).collect::<Vec<_>>();
        prop_assert_eq!(awards(&a), awards(&b));
    }
}

#[cfg(feature = "highs")]
mod backends {
    use super::*;

    fn both(c: &Case) -> (RunResult, RunResult) {
        let with = |solver: &str| {
            let mut c = c.clone();
            let t = String::from_utf8(c.files["scenario.toml"].clone()).unwrap()
                + &format!("\n[clearing]\nengine = \"lp\"\nsolver = \"{solver}\"\n");
            c.files.insert("scenario.toml".into(), t.into_bytes());
            c.run()
        };
        (with("clarabel"), with("highs"))
    }

    #[test]
    fn clarabel_and_highs_agree() {
        for c in [
            abc(""),
            uncoupled(
                false,
                &[
                    (30, 5, 20, 10, 15, 12),
                    (25, 7, 30, 8, 20, 9),
                    (40, 3, 10, 20, 30, 15),
                ],
                &[(50, 40, 30), (95, 60, 65), (0, 10, 200)],
            ),
        ] {
            let (a, b) = both(&c);
            prop_assert_rel(a.objective, b.objective);
            let rows = |r: &RunResult| {
                r.clearing
                    .iter()
                    .map(|x| (x.interval, x.product, x.price, x.cleared_mw))
                    .collect::<Vec<_>>()
            };
            assert_eq!(rows(&a), rows(&b));
        }
    }

    /// Issue 15: the same inputs give the same output bytes whichever solver is built in.
    /// Every shipped scenario, each cleared by the LP engine (forced where it would use the
    /// merit order), once with Clarabel and once with HiGHS: every output file byte for byte.
    /// Neither may have fallen back on the solver's own tie split.
    #[test]
    fn every_shipped_scenario_gives_the_same_bytes_with_clarabel_and_highs() {
        use ancillary::scenario::config::{Engine, LpSolver};
        let names = common::shipped_scenarios();
        assert!(names.len() >= 8, "{names:?}");
        for dir in names {
            let mut s = ancillary::scenario::load(&dir).unwrap();
            s.config.clearing.engine = Some(Engine::Lp);
            let render = |solver: LpSolver| {
                let mut s = s.clone();
                s.config.clearing.solver = Some(solver);
                let r = ancillary::run::run(&s).unwrap();
                assert_eq!(r.engine, "lp");
                for w in &r.warnings {
                    assert!(
                        !w.starts_with("LP "),
                        "{}, {}: {w}",
                        dir.display(),
                        solver.as_str()
                    );
                }
                ancillary::output::render(&s, &r)
            };
            let (a, b) = (render(LpSolver::Clarabel), render(LpSolver::Highs));
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{}",
                dir.display()
            );
            for (name, bytes) in &a {
                if bytes != &b[name] {
                    let (x, y) = (
                        String::from_utf8_lossy(bytes),
                        String::from_utf8_lossy(&b[name]),
                    );
                    let first = x.lines().zip(y.lines()).find(|(p, q)| p != q).map_or_else(
                        || "(lengths differ)".to_string(),
                        |(p, q)| format!("{p}\n{q}"),
                    );
                    panic!(
                        "{}: {name} differs between Clarabel and HiGHS, first at\n{first}",
                        dir.display()
                    );
                }
            }
        }
    }

    fn prop_assert_rel(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// Two coal units with K = 1 (measured = design = benchmark 2 %/min, 1 %, 30 s): A energy at
/// 20, FR at 10 yuan/MW; B energy at 50, FR at 12; 100 MW each, load 150, FR 20 MW, one hour.
fn fr_cost(extra: &str) -> Case {
    hourly(1, extra)
        .file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s\nA,x,coal,100,0,2,1,30\nB,y,coal,100,0,2,1,30\n")
        .file("fr_performance.csv", "unit,rate_pct_per_min,precision_pct,response_s\nA,2,1,30\nB,2,1,30\n")
        .file("requirements.csv", "time,load_mw,fr_mw\n2024-03-01T00:00,150,20\n")
        .file("energy_offers.csv", "unit,start,end,segment,mw,price_yuan_per_mwh\nA,2024-03-01T00:00,2024-03-01T01:00,1,100,20\nB,2024-03-01T00:00,2024-03-01T01:00,1,100,50\n")
        .file("fr_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mw\nA,2024-03-01T00:00,2024-03-01T01:00,20,10\nB,2024-03-01T00:00,2024-03-01T01:00,20,12\n")
        .file("fr_mileage.csv", "time,unit,mileage_mw\n2024-03-01T00:00,A,400\n")
}

#[test]
fn fr_prices_are_converted_to_yuan_by_the_expected_mileage() {
    // Expected mileage 20 MW per MW of FR per hour: an FR MW costs its price × 20 in 元/h.
    // A holding FR: 10 × 20 = 200 plus its lost energy 50 − 20 = 30, i.e. 230; B: 12 × 20 =
    // 240 (B has room, nothing lost). A holds the 20 MW, energy A 80, B 70, price 50.
    // FR price = 230 / 20 = 11.5 yuan/MW of mileage. Objective 20×80 + 50×70 + 200×20 = 9100.
    let r = fr_cost("[fr]\nexpected_mileage_per_mw = 20\n").run();
    assert_eq!(
        (award(&r, Fr, 0, 0), award(&r, Fr, 0, 1)),
        (d("20"), d("0"))
    );
    assert_eq!(
        (award(&r, Energy, 0, 0), award(&r, Energy, 0, 1)),
        (d("80"), d("70"))
    );
    assert_eq!(price(&r, Energy, 0), d("50"));
    assert_eq!(price(&r, Fr, 0), d("11.5"));
    assert!((r.objective - 9100.0).abs() < 1e-3, "{}", r.objective);
    // A's fee: 11.5 × 400 MW mileage × K 1 = 4600.
    assert_eq!(paid(&r, Fr, "A"), "4600.00");
    // Without the setting the expectation is the scenario's own: A's 400 MW of mileage over
    // its 20 MW offered = 20 per MW per hour, the same result.
    let r = fr_cost("").run();
    assert_eq!(price(&r, Fr, 0), d("11.5"));
    // One MW of mileage per MW per hour: A costs 10 + 30 = 40, B 12: B holds the FR with
    // room to spare (50 + 20 ≤ 100), so its offer sets the price, 12; energy A 100, B 50.
    // Objective 2000 + 2500 + 12 × 20 = 4740. (Before the conversion every scenario was
    // cleared as if this were the expectation, whatever its mileage.)
    let r = fr_cost("[fr]\nexpected_mileage_per_mw = 1\n").run();
    assert_eq!(
        (award(&r, Fr, 0, 0), award(&r, Fr, 0, 1)),
        (d("0"), d("20"))
    );
    assert_eq!(price(&r, Fr, 0), d("12"));
    assert!((r.objective - 4740.0).abs() < 1e-3, "{}", r.objective);
}
