//! `ancillary audit`: every rule passes on a compliant scenario and fails on a purpose-built
//! one (a non-compliant setting, or results tampered with after the run).

use std::collections::BTreeMap;
use std::path::Path;

use ancillary::audit::{self, Check, Status, results};
use ancillary::scenario::{self, Scenario};

fn load(name: &str) -> Scenario {
    scenario::load(&Path::new("scenarios").join(name)).unwrap()
}

fn render(s: &Scenario) -> BTreeMap<String, Vec<u8>> {
    ancillary::output::render(s, &ancillary::run::run(s).unwrap())
}

/// Audits `s` against its own results after `tamper` has edited them.
fn audit_with(s: &Scenario, tamper: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<Check> {
    let rerun = render(s);
    let mut files = rerun.clone();
    tamper(&mut files);
    let r = results::parse(files, &s.horizon).unwrap();
    audit::audit(s, &r, &rerun).unwrap()
}

fn replace(files: &mut BTreeMap<String, Vec<u8>>, file: &str, from: &str, to: &str) {
    let text = String::from_utf8(files[file].clone()).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    files.insert(file.into(), text.replacen(from, to, 1).into_bytes());
}

fn status(checks: &[Check], clause: &str, rule_starts: &str) -> (Status, String) {
    let c = checks
        .iter()
        .find(|c| c.clause == clause && c.rule.starts_with(rule_starts))
        .unwrap_or_else(|| panic!("no check {clause} {rule_starts}"));
    (c.status, c.detail.clone())
}

fn with_toml(name: &str, edit: impl Fn(&str) -> String) -> Scenario {
    let dir = Path::new("scenarios").join(name);
    let mut files = scenario::read_files(&dir).unwrap();
    let text = String::from_utf8(files["scenario.toml"].clone()).unwrap();
    files.insert("scenario.toml".into(), edit(&text).into_bytes());
    scenario::load_files(&files).unwrap()
}

#[test]
fn shipped_scenarios_pass_every_rule() {
    for name in [
        "fr-basic",
        "peak-basic",
        "reserve-basic",
        "jiangsu-typical-day",
        "month-spot",
    ] {
        let checks = audit_with(&load(name), |_| {});
        let failed: Vec<_> = checks.iter().filter(|c| c.status == Status::Fail).collect();
        assert!(failed.is_empty(), "{name}: {failed:?}");
    }
}

#[test]
fn fr_rules_fail_on_purpose() {
    let s = load("fr-basic");
    // 三(四) K recomputed from the inputs: C1's K is 1 (it is the benchmark).
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "performance_factors.csv",
            "C1,measured,1,1,1,1,1",
            "C1,measured,1,1,1,1,1.2",
        )
    });
    let (st, detail) = status(&checks, "三(四)", "every K");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("unit C1 on 2024-03-01: K 1.2 but the inputs give 1"),
        "{detail}"
    );
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "performance_factors.csv",
            "C1,measured,1,1,1,1,1",
            "C1,measured,1,1,1,1,2.5",
        )
    });
    assert!(status(&checks, "三(四)", "every K").1.contains("K 2.5 > 2"));
    // 三(四) every FR price ≤ 15: the 00:45 price 15 raised to 16.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "clearing.csv",
            "2024-03-01T00:45,fr,,160,150,10,15,",
            "2024-03-01T00:45,fr,,160,150,10,16,",
        )
    });
    let (st, detail) = status(&checks, "三(四)", "every FR clearing price");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("2024-03-01T00:45 FR price 16 > 15 (clearing.csv line 5)"),
        "{detail}"
    );
    // 三(三) one fen off: S1 paid 2314.90 instead of 2314.89.
    let checks = audit_with(&s, |f| replace(f, "settlement.csv", "2314.89", "2314.90"));
    let (st, detail) = status(&checks, "三(三)", "every FR fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("S1 on 2024-03-01: paid 2314.90, the formula gives 2314.89"),
        "{detail}"
    );
    // ... which also unbalances the day (五(九)) and breaks reproducibility (五(七)).
    assert_eq!(status(&checks, "五(九)", "items apart").0, Status::Fail);
    assert!(
        status(&checks, "五(七)", "results")
            .1
            .contains("settlement.csv differs from a re-run")
    );
}

#[test]
fn caps_beyond_the_notice_fail_though_the_run_clamps() {
    let s = with_toml("fr-basic", |t| {
        t.replace(
            "fr_mileage_price_yuan_per_mw = 15.0",
            "fr_mileage_price_yuan_per_mw = 20.0",
        )
        .replace("performance_factor = 2.0", "performance_factor = 3.0")
    });
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "三(四)", "mileage price cap");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("= 20 exceeds 15"), "{detail}");
    assert_eq!(
        status(&checks, "三(四)", "performance-factor cap").0,
        Status::Fail
    );
    // The run clamped to 15, so every price is within the notice.
    assert_eq!(
        status(&checks, "三(四)", "every FR clearing price").0,
        Status::Pass
    );
}

#[test]
fn peak_rules_fail_on_purpose() {
    let s = with_toml("peak-basic", |t| {
        t.replace(
            "[peak]",
            "[caps]\npeak_price_yuan_per_mwh = 450.0\n\n[peak]",
        )
    });
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "二(二)", "peak cap");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("450 exceeds Jiangsu"), "{detail}");
    let s = load("peak-basic");
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "clearing.csv",
            "2024-03-01T02:45,peak,,350,320,30,391,",
            "2024-03-01T02:45,peak,,350,320,30,400,",
        )
    });
    assert_eq!(
        status(&checks, "二(二)", "every peak price").0,
        Status::Fail
    );
    // A wind unit cleared for peak in tampered results (C2's award relabelled as W1's).
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "awards.csv",
            "2024-03-01T02:00,peak,C2,",
            "2024-03-01T02:00,peak,W1,",
        )
    });
    let (st, detail) = status(&checks, "二(一)", "no wind");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("unit W1 (wind) cleared 20 MW"), "{detail}");
    // Storage refused for its kind.
    let checks = audit_with(&s, |f| {
        replace(f, "rejected_offers.csv", "W1,peak", "S1,peak")
    });
    assert_eq!(status(&checks, "六(十)", "storage").0, Status::Fail);
    // Continuous spot with a peak market: the run is refused and the audit fails 二(一).
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir("scenarios/peak-basic").unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let toml = std::fs::read_to_string(dir.path().join("scenario.toml"))
        .unwrap()
        .replace("\"none\"", "\"continuous\"");
    std::fs::write(dir.path().join("scenario.toml"), toml).unwrap();
    let (_, checks) = audit::audit_dir(dir.path(), None).unwrap();
    let (st, detail) = status(&checks, "二(一)", "no peak market");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("does not run where the spot market runs continuously"),
        "{detail}"
    );
    // Only the clause that refuses it fails: nothing else piles on.
    let failed: Vec<_> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    assert!(failed.iter().all(|c| c.clause == "二(一)"), "{failed:?}");
    assert_eq!(
        status(&checks, "五(七)", "results").0,
        Status::NotApplicable
    );
}

#[test]
fn peak_fees_are_recomputed_from_the_inputs() {
    // C2 (band 1: 60 MW at 150; band 2 at 420 is above the 391 cap) clears, by hand:
    //   02:00  need 130: C1 band 1 100 MW at 120, then 30 MW split pro rata between the
    //          150 ties C2 (60) and DR1 (30): C2 20 MW; price 150
    //   02:15  need 190: C1 100, C2 60, DR1 30; price 150
    //   02:30  need 260: + S1 50 at 200, C1 band 2 20 at 300; C2 60; price 300
    //   02:45  need 350, 320 offered: C2 60; shortfall priced at the cap 391
    // Uniform fee: 0.25 h × (20 × 150 + 60 × 150 + 60 × 300 + 60 × 391) = 13365.00.
    let s = load("peak-basic");
    assert_eq!(
        status(&audit_with(&s, |_| {}), "二(一)", "every peak fee").0,
        Status::Pass
    );
    let checks = audit_with(&s, |f| replace(f, "settlement.csv", "13365.00", "14000.00"));
    let (st, detail) = status(&checks, "二(一)", "every peak fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("C2 on 2024-03-01: paid 14000.00, the formula gives 13365.00"),
        "{detail}"
    );
    // Pay-as-bid: each award at its band's own offer, 150 for C2 throughout:
    // 0.25 h × 150 × (20 + 60 + 60 + 60) = 7500.00.
    let s = with_toml("peak-basic", |t| {
        t.replace("pricing = \"uniform\"", "pricing = \"pay_as_bid\"")
    });
    let checks = audit_with(&s, |_| {});
    assert_eq!(status(&checks, "二(一)", "every peak fee").0, Status::Pass);
    let files = render(&s);
    let settlement = String::from_utf8(files["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains("2024-03-01,C2,peak,compensation,50,MWh,7500.00"),
        "{settlement}"
    );
    // The uniform price paid instead of the offer: the audit recomputes from peak_offers.csv.
    let checks = audit_with(&s, |f| {
        replace(f, "settlement.csv", "7500.00", "13365.00");
    });
    assert!(
        status(&checks, "二(一)", "every peak fee")
            .1
            .contains("C2 on 2024-03-01: paid 13365.00, the formula gives 7500.00")
    );
}

#[test]
fn results_made_elsewhere_are_checked_against_the_inputs_not_their_own_columns() {
    let s = load("fr-basic");
    // C1 at 00:00: K 1 (it is the benchmark unit) raised to 2.5 in awards.csv, and its fee
    // raised to match: 1779.45 + 6 yuan/MW × 40 MW mileage × (2.5 − 1) = 2139.45.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "awards.csv",
            "2024-03-01T00:00,fr,C1,60,30,6,6,,1,6",
            "2024-03-01T00:00,fr,C1,60,30,6,6,,2.5,6",
        );
        replace(f, "settlement.csv", "1779.45", "2139.45");
    });
    let (st, detail) = status(&checks, "三(四)", "every K");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("unit C1 at 2024-03-01T00:00: K 2.5 > 2 (awards.csv line 2)"),
        "{detail}"
    );
    let (st, detail) = status(&checks, "三(三)", "every FR fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("C1 on 2024-03-01: paid 2139.45, the formula gives 1779.45"),
        "{detail}"
    );
    // Within the cap but not what the inputs give: 1 → 1.5.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "awards.csv",
            "2024-03-01T00:00,fr,C1,60,30,6,6,,1,6",
            "2024-03-01T00:00,fr,C1,60,30,6,6,,1.5,6",
        )
    });
    assert!(
        status(&checks, "三(四)", "every K")
            .1
            .contains("unit C1 at 2024-03-01T00:00: K 1.5 but the inputs give 1")
    );

    // Reserve: G1 at 08:00 (70 MW, no actual) paid 2000 instead of the clearing price 30, with
    // its fee raised to match: 89150 + (2000 − 30) × 70 MW × 1 h = 227050.00.
    let s = load("reserve-basic");
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "awards.csv",
            "2024-03-01T08:00,reserve,G1,100,70,30,30,,,30",
            "2024-03-01T08:00,reserve,G1,100,70,30,30,,,2000",
        );
        replace(f, "settlement.csv", "89150.00", "227050.00");
    });
    let (st, detail) = status(&checks, "四(六)", "every reserve price");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("2024-03-01T08:00 unit G1 paid 2000 > 800 for reserve (awards.csv line 3)"),
        "{detail}"
    );
    let (st, detail) = status(&checks, "四(五)", "every reserve fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("G1 on 2024-03-01: paid 227050.00, the formula gives 89150.00"),
        "{detail}"
    );
}

#[test]
fn reserve_and_allocation_rules_fail_on_purpose() {
    let s = load("reserve-basic");
    // 四(五): G1 paid on its award (100 MW) instead of the 90 MW available at 10:00:
    // 89150 + 45 × 10 = 89600.
    let checks = audit_with(&s, |f| replace(f, "settlement.csv", "89150.00", "89600.00"));
    let (st, detail) = status(&checks, "四(五)", "every reserve fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("G1 on 2024-03-01: paid 89600.00, the formula gives 89150.00"),
        "{detail}"
    );
    // 四(六): a reserve cap above the energy cap.
    let s2 = with_toml("reserve-basic", |t| {
        t.replace(
            "reserve_price_yuan_per_mwh = 800.0",
            "reserve_price_yuan_per_mwh = 2000.0",
        )
    });
    assert_eq!(
        status(&audit_with(&s2, |_| {}), "四(六)", "reserve cap").0,
        Status::Fail
    );
    let checks = audit_with(&s, |f| {
        replace(f, "clearing.csv", ",800,yuan/MWh", ",900,yuan/MWh")
    });
    assert_eq!(
        status(&checks, "四(六)", "every reserve price").0,
        Status::Fail
    );
    // 五(八) continuous: a market generator charged, and the users' share changed.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "settlement.csv",
            "2024-03-01,NM1,reserve,allocation,600,MWh metered,-129430.00",
            "2024-03-01,G1,reserve,allocation,600,MWh metered,-129430.00",
        )
    });
    let (st, detail) = status(&checks, "五(八)", "only FR and reserve");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("market generator G1 charged -129430.00"),
        "{detail}"
    );
    let checks = audit_with(&s, |f| {
        replace(f, "settlement.csv", "-112172.67", "-112172.68");
        replace(f, "settlement.csv", "-129430.00", "-129429.99");
    });
    let (st, detail) = status(&checks, "五(八)", "only FR and reserve");
    assert_eq!(st, Status::Fail);
    // users pay 0.6 × 323575 = 194145.00; tampered to 194145.01.
    assert!(
        detail.contains("users paid -194145.01 of the reserve cost"),
        "{detail}"
    );
    assert_eq!(status(&checks, "五(九)", "items apart").0, Status::Pass); // still balanced
}

#[test]
fn users_charged_in_a_non_spot_region_fail() {
    // Make W1 a user in metering: its allocation row is then a charge on a user.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let s = scenario::load_files(&files).unwrap();
    let rerun = render(&s);
    let metering = String::from_utf8(files["metering.csv"].clone())
        .unwrap()
        .replace("W1,generator", "W1,user");
    files.insert("metering.csv".into(), metering.into_bytes());
    let s_user = scenario::load_files(&files).unwrap();
    let r = results::parse(rerun.clone(), &s_user.horizon).unwrap();
    let checks = audit::audit(&s_user, &r, &rerun).unwrap();
    let (st, detail) = status(&checks, "五(八)", "no cost passed");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("user W1 charged -543.35 for fr"),
        "{detail}"
    );
    // The digest no longer matches either (五(七)).
    assert_eq!(status(&checks, "五(七)", "results").0, Status::Fail);
}

#[test]
fn capacity_paid_units_must_offer() {
    // fr-basic's W1 gets a capacity payment and offers nothing.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let units = String::from_utf8(files["units.csv"].clone())
        .unwrap()
        .replace(
            "W1,Longyuan,wind,200,0,,false",
            "W1,Longyuan,wind,200,0,,true",
        );
    files.insert("units.csv".into(), units.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "units paid");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("unit W1 has capacity_payment = true and no offer (units.csv line 7)"),
        "{detail}"
    );
}

#[test]
fn cli_exit_codes_and_files() {
    let bin = env!("CARGO_BIN_EXE_ancillary");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let run = std::process::Command::new(bin)
        .args(["run", "scenarios/fr-basic", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success());
    let a = std::process::Command::new(bin)
        .args([
            "audit",
            "scenarios/fr-basic",
            "--results",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(a.status.code(), Some(0));
    let table = String::from_utf8_lossy(&a.stdout);
    assert!(
        table.contains("三(三)") && table.contains("PASS"),
        "{table}"
    );
    let csv = std::fs::read_to_string(out.join("audit.csv")).unwrap();
    assert!(csv.starts_with("clause,rule,status,detail,basis\n"));
    assert!(out.join("audit.json").is_file());
    // Tamper with a fee: exit 1.
    let s = std::fs::read_to_string(out.join("settlement.csv"))
        .unwrap()
        .replace("2314.89", "2314.90");
    std::fs::write(out.join("settlement.csv"), s).unwrap();
    let a = std::process::Command::new(bin)
        .args([
            "audit",
            "scenarios/fr-basic",
            "--results",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(a.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&a.stdout).contains("FAIL"));
    // Bad input: exit 2.
    let a = std::process::Command::new(bin)
        .args(["audit", "no/such/scenario"])
        .output()
        .unwrap();
    assert_eq!(a.status.code(), Some(2));
}

#[test]
fn joint_clearing_rule() {
    let s = load("joint-spot-day");
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十一)", "cleared jointly");
    assert_eq!(st, Status::Pass, "{detail}");
    assert!(detail.contains("96 intervals of energy"), "{detail}");
    // Results claiming a merit-order clearing of a continuous-spot market with energy fail.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "summary.json",
            "\"engine\": \"lp\"",
            "\"engine\": \"merit_order\"",
        )
    });
    assert_eq!(
        status(&checks, "六(十一)", "cleared jointly").0,
        Status::Fail
    );
    // Non-spot: n/a.
    assert_eq!(
        status(
            &audit_with(&load("fr-basic"), |_| {}),
            "六(十一)",
            "cleared jointly"
        )
        .0,
        Status::NotApplicable
    );
}

#[test]
fn the_benchmark_is_the_best_coal_units_whatever_the_scenario_says() {
    // fr-basic's best coal unit is C1 (rate 2.0 %/min, precision 1.0 %, response 30 s): its
    // score 2 / (1 × 30) = 0.0667 beats C2's 1.5 / (1.2 × 45) = 0.0278; CS1 (coal_storage) is
    // excluded. A weaker override (0.5, 3.0, 120) makes every measured unit's K exceed 2
    // (C2: 1.5/0.5 × 3.0/1.25 × 120/40 = 21.6), so K = 2 for all.
    let s = with_toml("fr-basic", |t| {
        t.replace(
            "ranking = \"price_over_k\"",
            "ranking = \"price_over_k\"\nbenchmark = { rate_pct_per_min = 0.5, precision_pct = 3.0, response_s = 120 }",
        )
    });
    let r = ancillary::run::run(&s).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("[fr] benchmark (rate 0.5 %/min, precision 3 %, response 120 s) is not the best coal unit's design (C1: rate 2 %/min, precision 1 %, response 30 s)")),
        "{:?}",
        r.warnings
    );
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "三(四)", "K normalised");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("(C1: rate 2 %/min"), "{detail}");
    // The audit's K is against C1, so the run's K = 2 for C1 (the benchmark, K 1) fails, and
    // so does every FR fee paid with it.
    assert!(
        status(&checks, "三(四)", "every K")
            .1
            .contains("unit C1 on 2024-03-01: K 2 but the inputs give 1"),
    );
    assert_eq!(status(&checks, "三(三)", "every FR fee").0, Status::Fail);
    // Without the override the shipped scenario names its benchmark and passes.
    let checks = audit_with(&load("fr-basic"), |_| {});
    let (st, detail) = status(&checks, "三(四)", "K normalised");
    assert_eq!(st, Status::Pass);
    assert!(
        detail.starts_with("C1 (rate 2 %/min, precision 1 %, response 30 s)"),
        "{detail}"
    );
}

#[test]
fn an_override_stands_where_the_fleet_has_no_coal_unit_to_measure_against() {
    // C1 and C2 become gas units: no coal unit has design parameters, so the override is the
    // benchmark (here C1's old design, so K stays as in the shipped scenario) — but only a
    // sourced one: the case, blank designs and a weak override, otherwise passes.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let units = String::from_utf8(files["units.csv"].clone()).unwrap();
    let units = units
        .replace("C1,Huaneng,coal,", "C1,Huaneng,gas,")
        .replace("C2,Datang,coal,", "C2,Datang,gas,");
    files.insert("units.csv".into(), units.into_bytes());
    let toml = String::from_utf8(files["scenario.toml"].clone()).unwrap().replace(
        "ranking = \"price_over_k\"",
        "ranking = \"price_over_k\"\nbenchmark = { rate_pct_per_min = 2.0, precision_pct = 1.0, response_s = 30 }",
    );
    files.insert("scenario.toml".into(), toml.into_bytes());
    // Unsourced: the audit cannot tell a real benchmark from a weak one, so it fails; the run
    // warns.
    let s = scenario::load_files(&files).unwrap();
    let (st, detail) = status(&audit_with(&s, |_| {}), "三(四)", "K normalised");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("is unsourced: set [fr] benchmark_source"),
        "{detail}"
    );
    let warnings = ancillary::run::run(&s).unwrap().warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("set [fr] benchmark_source")),
        "{warnings:?}"
    );
    // Sourced: the benchmark is the scenario's claim, unverified, naming the source; K is
    // recomputed against it, and rests on it too.
    let toml = String::from_utf8(files["scenario.toml"].clone())
        .unwrap()
        .replace(
            "benchmark = {",
            "benchmark_source = \"plant design sheet 2023\"\nbenchmark = {",
        );
    files.insert("scenario.toml".into(), toml.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "三(四)", "K normalised");
    assert_eq!(st, Status::Unverified, "{detail}");
    assert!(detail.contains("from plant design sheet 2023"), "{detail}");
    assert_eq!(status(&checks, "三(四)", "every K").0, Status::Unverified);
}

#[test]
fn a_token_or_refused_offer_is_not_taking_part() {
    let edit = |units_from: &str, units_to: &str, offers_from: &str, offers_to: &str| {
        let mut files = scenario::read_files(Path::new("scenarios/fr-basic")).unwrap();
        for (file, from, to) in [
            ("units.csv", units_from, units_to),
            ("fr_offers.csv", offers_from, offers_to),
        ] {
            let text = String::from_utf8(files[file].clone()).unwrap();
            assert!(text.contains(from), "{file} lacks {from}");
            files.insert(file.into(), text.replace(from, to).into_bytes());
        }
        scenario::load_files(&files).unwrap()
    };
    let rule = "capacity-paid units take part";
    // The shipped scenario: every capacity-paid unit (C1, C2, CS1) offers 00:00–01:00, the
    // four intervals FR is required in.
    assert_eq!(
        status(&audit_with(&load("fr-basic"), |_| {}), "六(十)", rule).0,
        Status::Pass
    );
    // G1 capacity-paid, its only offer (16 yuan/MW) refused above the 15 cap: it bid, but
    // nothing it offered could clear.
    let s = edit(
        "G1,Huadian,gas,400,120,20,false",
        "G1,Huadian,gas,400,120,20,true",
        "G1,",
        "G1,",
    );
    let (st, detail) = status(&audit_with(&s, |_| {}), "六(十)", rule);
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("unit G1 (units.csv line 6) has no admitted offers of at least 1 % of its capacity (4.00 MW) in some interval with a requirement on 1 day(s), first 2024-03-01"),
        "{detail}"
    );
    let warnings = ancillary::run::run(&s).unwrap().warnings;
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "unit G1 is paid a capacity price but did not take part on 1 day(s): 2024-03-01"
        )),
        "{warnings:?}"
    );
    // C1 (600 MW) must hold at least 1 % of its capacity, 6 MW, in each of the four
    // intervals: exactly 6 MW all hour takes part ...
    let s = edit(
        "C1,",
        "C1,",
        "C1,2024-03-01T00:00,2024-03-01T01:00,60,6",
        "C1,2024-03-01T00:00,2024-03-01T01:00,6,6",
    );
    assert_eq!(
        status(&audit_with(&s, |_| {}), "六(十)", rule).0,
        Status::Pass
    );
    // ... while 0 MW, 0.001 MW all hour, or 60 MW for 00:00–00:15 only are token offers.
    for offer in [
        "C1,2024-03-01T00:00,2024-03-01T01:00,0,6",
        "C1,2024-03-01T00:00,2024-03-01T01:00,0.001,6",
        "C1,2024-03-01T00:00,2024-03-01T00:15,60,6",
    ] {
        let s = edit(
            "C1,",
            "C1,",
            "C1,2024-03-01T00:00,2024-03-01T01:00,60,6",
            offer,
        );
        let (st, detail) = status(&audit_with(&s, |_| {}), "六(十)", rule);
        assert_eq!(st, Status::Fail, "{offer}");
        assert!(detail.contains("unit C1 (units.csv line 2)"), "{detail}");
    }
}

#[test]
fn every_check_says_what_it_looks_at() {
    let mut seen = std::collections::BTreeSet::new();
    for name in [
        "fr-basic",
        "peak-basic",
        "reserve-basic",
        "jiangsu-typical-day",
        "month-spot",
        "joint-spot-day",
    ] {
        for c in audit_with(&load(name), |_| {}) {
            // Each check's rule and clause are declared once, in audit::RULES.
            let declared = audit::RULES.iter().find(|r| r.rule == c.rule);
            assert!(
                declared.is_some(),
                "{name}: {} is not in audit::RULES",
                c.rule
            );
            assert_eq!(declared.unwrap().clause, c.clause, "{name}: {}", c.rule);
            seen.insert((c.rule, c.basis().as_str()));
        }
    }
    assert!(seen.contains(&(
        "every FR fee = clearing price × mileage × K",
        "inputs+prices"
    )));
    assert!(seen.contains(&("every K ≤ 2 and as the inputs give it", "inputs")));
    assert!(seen.contains(&("results reproduce from the inputs", "re-run")));
    // The table names each rule once, and `help audit` lists every one of them.
    let rules: std::collections::BTreeSet<_> = audit::RULES.iter().map(|r| r.rule).collect();
    assert_eq!(rules.len(), audit::RULES.len());
    let help = audit::rules_help();
    assert!(audit::RULES.iter().all(|r| help.contains(r.rule)), "{help}");
    let csv = String::from_utf8(audit::to_csv(&audit_with(&load("fr-basic"), |_| {}))).unwrap();
    assert!(
        csv.starts_with("clause,rule,status,detail,basis\n"),
        "{csv}"
    );
}

#[test]
fn a_province_without_a_benchmark_needs_a_sourced_cap() {
    // peak-basic in Tibet (西藏), the one grid without a benchmark, with a cap of 1000 yuan/MWh.
    let toml = |extra: &str| {
        let extra = extra.to_string();
        with_toml("peak-basic", move |t| {
            t.replace("province = \"Jiangsu\"", "province = \"西藏\"")
                .replace(
                    "[peak]",
                    &format!("[caps]\npeak_price_yuan_per_mwh = 1000.0\n{extra}\n[peak]"),
                )
        })
    };
    // Unsourced: refused, naming the key and why.
    let e = ancillary::run::run(&toml("")).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("peak_price_yuan_per_mwh"), "{e}");
    assert!(
        e.rule.contains("no coal benchmark price") && e.rule.contains("caps.peak_price_source"),
        "{e}"
    );
    // Sourced: it runs (peak clears at C1's 300 and the 1000 cap is the shortfall price);
    // the audit cannot check the cap and says whose it is: unverified, never a pass.
    let s = toml("peak_price_source = \"provincial notice 2024-17\"");
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "二(二)", "peak cap ≤");
    assert_eq!(st, Status::Unverified, "{detail}");
    assert!(
        detail.contains("from provincial notice 2024-17"),
        "{detail}"
    );
    // A grid's own names and aliases find its benchmark: 冀北电网 is Hebei North, 0.372
    // yuan/kWh, so the 1000 cap exceeds its limit of 372 and fails.
    let s = with_toml("peak-basic", |t| {
        t.replace("province = \"Jiangsu\"", "province = \"冀北电网\"")
            .replace("[peak]", "[caps]\npeak_price_yuan_per_mwh = 1000.0\n[peak]")
    });
    let (st, detail) = status(&audit_with(&s, |_| {}), "二(二)", "peak cap ≤");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("exceeds Hebei North's grid-parity price 372"),
        "{detail}"
    );
}

/// peak-basic with its province replaced, loaded.
fn in_province(province: &str, extra_caps: &str) -> Result<Scenario, ancillary::InputError> {
    let dir = Path::new("scenarios").join("peak-basic");
    let mut files = scenario::read_files(&dir).unwrap();
    let text = String::from_utf8(files["scenario.toml"].clone())
        .unwrap()
        .replace(
            "province = \"Jiangsu\"",
            &format!("province = \"{province}\""),
        )
        .replace("[peak]", &format!("[caps]\n{extra_caps}\n[peak]"));
    files.insert("scenario.toml".into(), text.into_bytes());
    scenario::load_files(&files)
}

#[test]
fn a_province_resolves_to_exactly_one_grid_or_the_run_is_refused() {
    // Before, a whole province with two grids (Hebei: 冀南 0.3644, 冀北 0.372 yuan/kWh) or a
    // name the alias table lacked, with a "sourced" cap of 950, audited n/a on §二(二) while
    // a peak market cleared at 950, above every grid's benchmark (at most 453). Now the
    // scenario is refused at load, on scenario.toml's `province` key (line 5 of peak-basic),
    // naming the grids.
    for (province, says) in [
        (
            "Hebei",
            "name the grid, Hebei South (冀南) or Hebei North (冀北)",
        ),
        ("内蒙古", "name the grid, Mengxi (蒙西) or Mengdong (蒙东)"),
        ("Inner Mongolia", "Mengxi (蒙西) or Mengdong (蒙东)"),
        ("Atlantis", "The grids are: Beijing (北京)"),
        ("Jaingsu", "did you mean Jiangsu?"),
    ] {
        let e = in_province(
            province,
            "peak_price_yuan_per_mwh = 950.0\npeak_price_source = \"a letter\"",
        )
        .unwrap_err();
        assert_eq!(e.file, "scenario.toml", "{e}");
        assert_eq!(e.column.as_deref(), Some("province"), "{e}");
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.rule.contains(says), "{province}: {e}");
    }
    // Variants of a grid's name resolve to it: Shandong 0.3949 yuan/kWh = 394.9 yuan/MWh, so a
    // cap of 950 fails §二(二) naming Shandong, whichever form names it.
    for province in ["Shandong Province", "山东省", "SHANDONG", "山东"] {
        let s = in_province(province, "peak_price_yuan_per_mwh = 950.0").unwrap();
        assert_eq!(s.grid.unwrap().name(), "Shandong");
        let (st, detail) = status(&audit_with(&s, |_| {}), "二(二)", "peak cap ≤");
        assert_eq!(st, Status::Fail, "{province}");
        assert!(
            detail.contains("exceeds Shandong's grid-parity price 394.9"),
            "{detail}"
        );
    }
}

#[test]
fn peak_cleared_while_the_spot_market_runs_fails() {
    // peak-basic clears 190 MW at 02:15. Results made without the flag, audited against the
    // same scenario whose requirements.csv says the spot market ran at 02:15: §二(一) fails,
    // naming the interval, both from the inputs and from the awards.
    let base = load("peak-basic");
    let rerun = render(&base);
    let dir = Path::new("scenarios").join("peak-basic");
    let mut files = scenario::read_files(&dir).unwrap();
    files.insert(
        "requirements.csv".into(),
        b"time,peak_mw,spot_running\n2024-03-01T02:00,130,false\n2024-03-01T02:15,190,true\n2024-03-01T02:30,260,false\n2024-03-01T02:45,350,false\n".to_vec(),
    );
    let flagged = scenario::load_files(&files).unwrap();
    let r = results::parse(rerun.clone(), &flagged.horizon).unwrap();
    let checks = audit::audit(&flagged, &r, &rerun).unwrap();
    let (st, detail) = status(&checks, "二(一)", "peak market only while");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("line 3"), "{detail}");
    assert!(
        detail.contains("02:15 while the spot market runs"),
        "{detail}"
    );
    // With 02:15 marked as not running, the same results pass.
    files.insert(
        "requirements.csv".into(),
        b"time,peak_mw,spot_running\n2024-03-01T02:00,130,false\n2024-03-01T02:15,190,false\n2024-03-01T02:30,260,false\n2024-03-01T02:45,350,false\n".to_vec(),
    );
    let clean = scenario::load_files(&files).unwrap();
    let checks = audit::audit(&clean, &r, &rerun).unwrap();
    assert_eq!(
        status(&checks, "二(一)", "peak market only while").0,
        Status::Pass
    );
}

#[test]
fn the_lost_opportunity_split_is_recomputed_from_the_awards() {
    // joint-spot-day: take the first FR or reserve compensation row with a lost-opportunity
    // part (a unit whose headroom binds where the energy price is above its next segment)
    // and claim 100 yuan more of it: §五(八) fails, naming the row and the audit's own figure.
    let s = load("joint-spot-day");
    let out = render(&s);
    let text = String::from_utf8(out["settlement.csv"].clone()).unwrap();
    let row = text
        .lines()
        .find(|l| {
            let c: Vec<&str> = l.split(',').collect();
            c.len() == 10 && c[3] == "compensation" && !c[9].is_empty() && c[9] != "0.00"
        })
        .expect("joint-spot-day has a provider held back from selling energy")
        .to_string();
    let cells: Vec<&str> = row.split(',').collect();
    let lost: rust_decimal::Decimal = cells[9].parse().unwrap();
    let claimed = lost + rust_decimal::Decimal::from(100);
    let tampered = format!("{},{claimed:.2}", cells[..9].join(","));
    let checks = audit_with(&s, |f| replace(f, "settlement.csv", &row, &tampered));
    let (st, detail) = status(&checks, "五(八)", "only FR and reserve");
    assert_eq!(st, Status::Fail);
    let want = format!(
        "{} {} on 2024-03-01: lost opportunity {claimed:.2} but the awards give {}",
        cells[1], cells[2], cells[9]
    );
    assert!(detail.contains(&want), "{detail}");
    let checks = audit_with(&s, |_| {});
    assert_eq!(
        status(&checks, "五(八)", "only FR and reserve").0,
        Status::Pass
    );
}

#[test]
fn spot_status_and_energy_cap_are_checked_against_the_provinces_data() {
    // reserve-basic is Shandong under continuous spot, energy cap 1500 = Shandong's spot cap.
    let checks = audit_with(&load("reserve-basic"), |_| {});
    assert_eq!(status(&checks, "二(一)", "spot_market as").0, Status::Pass);
    assert_eq!(
        status(&checks, "四(六)", "the energy-market cap").0,
        Status::Pass
    );
    // Saying there is no continuous spot in Shandong in 2024 contradicts the data (from
    // 2021-12-01): §二(一) fails, naming the date.
    let s = with_toml("reserve-basic", |t| t.replace("\"continuous\"", "\"none\""));
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "二(一)", "spot_market as");
    assert_eq!(st, Status::Fail);
    assert!(detail.contains("since 2021-12-01"), "{detail}");
    // An energy cap of 2000 is above Shandong's 1500: §四(六) fails though the reserve cap
    // (800) is below both.
    let s = with_toml("reserve-basic", |t| {
        t.replace(
            "energy_market_price_cap_yuan_per_mwh = 1500.0",
            "energy_market_price_cap_yuan_per_mwh = 2000.0",
        )
    });
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "四(六)", "the energy-market cap");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("above the local energy-market cap 1500"),
        "{detail}"
    );
    // A province without data needs a source for its cap.
    let s = with_toml("reserve-basic", |t| {
        t.replace("\"Shandong\"", "\"Zhejiang\"")
    });
    let checks = audit_with(&s, |_| {});
    assert_eq!(
        status(&checks, "四(六)", "the energy-market cap").0,
        Status::Fail
    );
    assert_eq!(
        status(&checks, "二(一)", "spot_market as").0,
        Status::NotApplicable
    );
    let s = with_toml("reserve-basic", |t| {
        t.replace("\"Shandong\"", "\"Zhejiang\"").replace(
            "energy_market_price_cap_yuan_per_mwh = 1500.0",
            "energy_market_price_cap_yuan_per_mwh = 1500.0\nenergy_cap_source = \"Zhejiang spot rules\"",
        )
    });
    // Sourced, the cap is the scenario's claim: unverified, never a pass (and so are the
    // reserve checks measured against it).
    let checks = audit_with(&s, |_| {});
    let c = checks
        .iter()
        .find(|c| c.rule.starts_with("the energy-market cap"))
        .unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    assert!(
        c.claim.as_deref().unwrap().contains("Zhejiang spot rules"),
        "{c:?}"
    );
    assert_eq!(
        status(&checks, "四(六)", "reserve cap").0,
        Status::Unverified
    );
}

#[test]
fn fr_fees_on_mileage_synthesised_from_awards_are_recomputed() {
    // fr-basic without its mileage file and with [fr] expected_mileage_per_mw = 2: C1 is
    // awarded 30, 60, 60, 60 MW (the README's fr-basic) at prices 6, 6, 8.8889, 15 with K 1,
    // so its mileage is 60 + 120 + 120 + 120 = 420 and its fee 360 + 720 + 1066.668 + 1800 = 3946.668
    // → 3946.67.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    files.remove("fr_mileage.csv");
    let text = String::from_utf8(files["scenario.toml"].clone()).unwrap();
    files.insert(
        "scenario.toml".into(),
        text.replace("[fr]\n", "[fr]\nexpected_mileage_per_mw = 2\n")
            .into_bytes(),
    );
    let s = scenario::load_files(&files).unwrap();
    let settlement = String::from_utf8(render(&s)["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains("C1,fr,compensation,420,MW mileage,3946.67,"),
        "{settlement}"
    );
    // Fees on assumed mileage are the scenario's claim: unverified, never a pass.
    let checks = audit_with(&s, |_| {});
    assert_eq!(
        status(&checks, "三(三)", "every FR fee").0,
        Status::Unverified
    );
    // awards.csv says C1 cleared 31 MW at 00:00 instead of 30: the audit takes mileage from
    // the award, 2 × 31 = 62, so its formula gives 6 × 62 = 372 for that interval, 12 more
    // than the 360 paid: 3958.67 against 3946.67.
    let checks = audit_with(&s, |f| {
        replace(
            f,
            "awards.csv",
            "2024-03-01T00:00,fr,C1,60,30,",
            "2024-03-01T00:00,fr,C1,60,31,",
        )
    });
    let (st, detail) = status(&checks, "三(三)", "every FR fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("C1 on 2024-03-01: paid 3946.67, the formula gives 3958.67"),
        "{detail}"
    );
}

#[test]
fn a_setting_that_replaces_the_audits_yardstick_is_unverified_never_pass() {
    // The coal units' design parameters removed from fr-basic, and a weak benchmark "sourced"
    // in its place: rate 0.5 %/min, precision 5 %, response 120 s. C1's measured 2.0 / 1.0 /
    // 30 then gives k_rate 2.0/0.5 = 4, k_precision 5/1 = 5, k_response 120/30 = 4, product 80,
    // capped at 2: every K is lifted to the cap. The audit cannot see the best coal unit's
    // design (notice 196 §三(四)), so the benchmark, every K and every FR fee rest on the claim.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let units = String::from_utf8(files["units.csv"].clone())
        .unwrap()
        .replace(",2.0,1.0,30\n", ",,,\n")
        .replace(",1.5,1.2,45\n", ",,,\n")
        .replace(",4.0,0.5,10\n", ",,,\n");
    files.insert("units.csv".into(), units.into_bytes());
    let toml = String::from_utf8(files["scenario.toml"].clone())
        .unwrap()
        .replace(
            "[fr]\n",
            "[fr]\nbenchmark = { rate_pct_per_min = 0.5, precision_pct = 5.0, response_s = 120 }\nbenchmark_source = \"a letter\"\n",
        );
    files.insert("scenario.toml".into(), toml.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    for rule in ["K normalised", "every K", "every FR fee"] {
        let c = checks.iter().find(|c| c.rule.starts_with(rule)).unwrap();
        assert_eq!(c.status, Status::Unverified, "{c:?}");
        assert!(c.claim.as_deref().unwrap().contains("a letter"), "{c:?}");
    }
    assert_eq!(audit::exit_status(&checks, false), 3);
    assert_eq!(audit::exit_status(&checks, true), 0);

    // joint-spot-day (Shandong, continuous spot, energy cleared jointly) with user_borne =
    // "all": users bear the whole pool, a reading of §五(八) the scenario claims, not the
    // audit's (users bear only the lost opportunity).
    let s = with_toml("joint-spot-day", |t| {
        t.replace("[allocation]\n", "[allocation]\nuser_borne = \"all\"\n")
    });
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "五(八)", "only FR and reserve");
    assert_eq!(st, Status::Unverified, "{detail}");
    // reserve-basic clears no energy: the lost opportunity cannot be computed, and users bear
    // the whole pool: unverified too.
    let checks = audit_with(&load("reserve-basic"), |_| {});
    let c = checks
        .iter()
        .find(|c| c.rule.starts_with("only FR and reserve"))
        .unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    assert!(c.claim.as_deref().unwrap().contains("no energy is cleared"));
}

#[test]
fn participation_is_judged_by_the_audits_floor_not_the_scenarios() {
    // fr-basic's G1 (gas, 400 MW) made capacity-paid, its 30 MW FR offer at 16 (above the cap
    // 15, refused) cut to 1 kW at 10 (admitted), and the scenario's floor set to 0: the run sees a unit taking part (0.001 MW > 0 and ≥ 0 × 400),
    // the audit's floor is 1 % of 400 = 4 MW, which 0.001 MW is not: 六(十) fails.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let edit = |files: &mut BTreeMap<String, Vec<u8>>, f: &str, from: &str, to: &str| {
        let t = String::from_utf8(files[f].clone()).unwrap();
        assert!(t.contains(from), "{f}: {from}");
        files.insert(f.into(), t.replace(from, to).into_bytes());
    };
    edit(
        &mut files,
        "units.csv",
        "G1,Huadian,gas,400,120,20,false",
        "G1,Huadian,gas,400,120,20,true",
    );
    edit(
        &mut files,
        "fr_offers.csv",
        "G1,2024-03-01T00:00,2024-03-01T01:00,30,16",
        "G1,2024-03-01T00:00,2024-03-01T01:00,0.001,10",
    );
    edit(
        &mut files,
        "scenario.toml",
        "[fr]\n",
        "[policy]\nparticipation_min_share = 0.0\n\n[fr]\n",
    );
    let s = scenario::load_files(&files).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    assert!(
        !r.warnings.iter().any(|w| w.contains("did not take part")),
        "{:?}",
        r.warnings
    );
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "capacity-paid units take part");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(detail.contains("unit G1"), "{detail}");
}

#[test]
fn exit_status_tells_unverified_from_pass_and_audit_json_counts_them() {
    // fr-basic without fr_mileage.csv, on assumed mileage ([fr] expected_mileage_per_mw = 2):
    // nothing fails, 三(三) rests on the assumption: exit 3, 0 with --accept-unverified.
    let bin = env!("CARGO_BIN_EXE_ancillary");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir("scenarios/fr-basic").unwrap() {
        let e = e.unwrap();
        if e.file_name() != "fr_mileage.csv" {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
    }
    let toml = std::fs::read_to_string(dir.join("scenario.toml"))
        .unwrap()
        .replace("[fr]\n", "[fr]\nexpected_mileage_per_mw = 2\n");
    std::fs::write(dir.join("scenario.toml"), toml).unwrap();
    let out = tmp.path().join("a");
    let audit = |extra: &[&str]| {
        std::process::Command::new(bin)
            .args([
                "audit",
                dir.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--force",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let a = audit(&[]);
    assert_eq!(
        a.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&a.stdout)
    );
    let table = String::from_utf8_lossy(&a.stdout);
    assert!(table.contains("UNVERIFIED"), "{table}");
    assert!(table.contains("1 unverified"), "{table}");
    assert_eq!(audit(&["--accept-unverified"]).status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("audit.json")).unwrap()).unwrap();
    assert_eq!(json["summary"]["unverified"], 1);
    assert_eq!(json["summary"]["fail"], 0);
    assert_eq!(json["summary"]["exit_status"], 3);
    let fee = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clause"] == "三(三)")
        .unwrap();
    assert_eq!(fee["status"], "unverified");
    assert!(
        fee["claim"]
            .as_str()
            .unwrap()
            .contains("expected_mileage_per_mw = 2")
    );
    let help = std::process::Command::new(bin)
        .args(["help", "audit"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--accept-unverified") && help.contains("3 nothing fails"),
        "{help}"
    );
}

#[test]
fn spot_status_is_checked_on_every_day_of_the_horizon() {
    // peak-basic moved to Shandong and to 2021-11-30T23:30 .. 2021-12-01T00:30 (the same four
    // 15-minute intervals, shifted): Shandong's continuous spot began 2021-12-01
    // (data/spot_markets.csv), so spot_market = "none" is right on the start day and wrong
    // from the third interval on. Checked on the start day only (before), §二(一) passed and
    // the peak market kept clearing after spot began; now it fails, naming 2021-12-01.
    let dir = Path::new("scenarios").join("peak-basic");
    let mut files = scenario::read_files(&dir).unwrap();
    let shift = [
        ("2024-03-01T02:00", "2021-11-30T23:30"),
        ("2024-03-01T02:15", "2021-11-30T23:45"),
        ("2024-03-01T02:30", "2021-12-01T00:00"),
        ("2024-03-01T02:45", "2021-12-01T00:15"),
        ("2024-03-01T03:00", "2021-12-01T00:30"),
        ("2024-03-01,", "2021-11-30,"),
        ("province = \"Jiangsu\"", "province = \"Shandong\""),
    ];
    for bytes in files.values_mut() {
        let mut text = String::from_utf8(bytes.clone()).unwrap();
        for (from, to) in shift {
            text = text.replace(from, to);
        }
        *bytes = text.into_bytes();
    }
    // Each day's metering (the same energy on both) pays that day's peak cost.
    let metering = String::from_utf8(files["metering.csv"].clone()).unwrap();
    let next: String = metering
        .lines()
        .skip(1)
        .map(|l| format!("{}\n", l.replace("2021-11-30,", "2021-12-01,")))
        .collect();
    files.insert(
        "metering.csv".into(),
        format!("{metering}{next}").into_bytes(),
    );
    let s = scenario::load_files(&files).unwrap();
    assert_eq!(s.horizon.day(3).to_string(), "2021-12-01");
    let r = ancillary::run::run(&s).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("spot_market = \"none\" on 2021-12-01")),
        "{:?}",
        r.warnings
    );
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "二(一)", "spot_market as");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("since 2021-12-01, but spot_market = \"none\" on 2021-12-01"),
        "{detail}"
    );
    assert!(
        detail.contains("peak awards in awards.csv on or after 2021-12-01"),
        "{detail}"
    );
}

#[test]
fn an_fr_award_with_no_mileage_metered_is_no_silent_zero() {
    // fr-basic without C1's four fr_mileage.csv rows. C1 is still awarded FR in every
    // interval (30, 60, 60, 60 MW: its offer is the same), so it is paid 0 for want of a meter,
    // not of movement. Before, it got no settlement row, no warning, and the audit passed
    // 三(三). Now: a warning naming C1 and its intervals, a compensation row of 0.00 with basis
    // notice-196+no-mileage-metered, and 三(三) unverified naming C1.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let mileage: String = String::from_utf8(files["fr_mileage.csv"].clone())
        .unwrap()
        .lines()
        .filter(|l| !l.contains(",C1,"))
        .map(|l| format!("{l}\n"))
        .collect();
    files.insert("fr_mileage.csv".into(), mileage.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.starts_with(
            "unit C1 is awarded FR in 4 interval(s) with no mileage metered (no row in fr_mileage.csv or agc_setpoints.csv): 2024-03-01T00:00, 2024-03-01T00:15, 2024-03-01T00:30, and 1 more; it is paid 0"
        )),
        "{:?}",
        r.warnings
    );
    let settlement = String::from_utf8(render(&s)["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains(
            "2024-03-01,C1,fr,compensation,0,MW mileage,0.00,notice-196+no-mileage-metered,,"
        ),
        "{settlement}"
    );
    let checks = audit_with(&s, |_| {});
    let c = checks
        .iter()
        .find(|c| c.rule.starts_with("every FR fee"))
        .unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    assert!(
        c.claim.as_deref().unwrap().contains(
            "unit C1 awarded FR with no mileage metered in 4 interval(s), first 2024-03-01T00:00"
        ),
        "{c:?}"
    );
}

#[test]
fn fr_money_follows_the_metered_physics() {
    // fr-basic with C2's 00:45 mileage 20 raised to 100 MW. C2 ramps 4.5 MW/min, so in 15
    // minutes it can move at most 4.5 × 15 = 67.5 MW; its award then, 30 MW, bounds it at
    // 30 × 15 = 450 (one full-range adjustment a minute): the bound is 67.5. Paid on the
    // bound: 00:30 8.8889 × 18 × 0.45 = 72.00009, 00:45 15 × 67.5 × 0.45 = 455.625, the day
    // 527.62509 → 527.63 on 18 + 67.5 = 85.5 MW, the row marked +mileage-capped, a warning
    // naming C2. Before, C2 was paid on all 100: 72.00009 + 15 × 100 × 0.45 = 747.00.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let mileage = String::from_utf8(files["fr_mileage.csv"].clone())
        .unwrap()
        .replace("2024-03-01T00:45,C2,20", "2024-03-01T00:45,C2,100");
    files.insert("fr_mileage.csv".into(), mileage.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.starts_with(
            "unit C2's metered mileage exceeds what it can move in 1 interval(s): 2024-03-01T00:45; paid on the bound"
        )),
        "{:?}",
        r.warnings
    );
    let settlement = String::from_utf8(render(&s)["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains(
            "2024-03-01,C2,fr,compensation,85.5,MW mileage,527.63,notice-196+mileage-capped,,"
        ),
        "{settlement}"
    );
    let checks = audit_with(&s, |_| {});
    assert_eq!(status(&checks, "三(三)", "every FR fee").0, Status::Pass);
    // Results that pay the whole 100 MW fail 三(三), naming the audit's own figure.
    let checks = audit_with(&s, |f| replace(f, "settlement.csv", "527.63", "747.00"));
    let (st, detail) = status(&checks, "三(三)", "every FR fee");
    assert_eq!(st, Status::Fail);
    assert!(
        detail.contains("C2 on 2024-03-01: paid 747.00, the formula gives 527.63"),
        "{detail}"
    );

    // Assumed mileage bounded the same way: fr-basic without fr_mileage.csv and [fr]
    // expected_mileage_per_mw = 1000, so C1's awards 30, 60, 60, 60 MW would be paid for
    // 30000 to 60000 MW of movement a quarter hour from a 12 MW/min ramp. Bound: 12 × 15 =
    // 180 MW (the awards' 450 and 900 are looser). C1 (K 1) at prices 6, 6, 8.8889, 15:
    // 180 × (6 + 6 + 8.8889 + 15) = 180 × 35.8889 = 6460.002 → 6460.00; and the fees on
    // assumed mileage are unverified.
    let mut files = scenario::read_files(dir).unwrap();
    files.remove("fr_mileage.csv");
    let text = String::from_utf8(files["scenario.toml"].clone()).unwrap();
    files.insert(
        "scenario.toml".into(),
        text.replace("[fr]\n", "[fr]\nexpected_mileage_per_mw = 1000\n")
            .into_bytes(),
    );
    let s = scenario::load_files(&files).unwrap();
    let settlement = String::from_utf8(render(&s)["settlement.csv"].clone()).unwrap();
    assert!(
        settlement.contains(
            "2024-03-01,C1,fr,compensation,720,MW mileage,6460.00,notice-196+mileage-from-awards+mileage-capped,,"
        ),
        "{settlement}"
    );
    let checks = audit_with(&s, |_| {});
    assert_eq!(
        status(&checks, "三(三)", "every FR fee").0,
        Status::Unverified
    );
}

/// One 15-minute interval in Jiangsu: three coal units with the same design, each measured at
/// it (so each K is 1: rate 2/2, precision 1/1, response 30/30), offering FR 60 MW at 6 (C1,
/// 600 MW), 0.001 MW at 10 (C2, 300 MW) and 50 MW at 12 (C3, 300 MW), for 60.001 MW.
fn token_case(policy: &str) -> Scenario {
    let files: BTreeMap<String, Vec<u8>> = [
        ("scenario.toml", format!("name = \"t\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 15\nstart = \"2024-03-01T00:00\"\nintervals = 1\n{policy}")),
        ("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s\nC1,A,coal,600,240,12,false,2.0,1.0,30\nC2,B,coal,300,120,6,false,2.0,1.0,30\nC3,C,coal,300,120,6,false,2.0,1.0,30\n".into()),
        ("fr_performance.csv", "unit,rate_pct_per_min,precision_pct,response_s\nC1,2.0,1.0,30\nC2,2.0,1.0,30\nC3,2.0,1.0,30\n".into()),
        ("fr_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mw\nC1,2024-03-01T00:00,2024-03-01T00:15,60,6\nC2,2024-03-01T00:00,2024-03-01T00:15,0.001,10\nC3,2024-03-01T00:00,2024-03-01T00:15,50,12\n".into()),
        ("fr_mileage.csv", "time,unit,mileage_mw\n2024-03-01T00:00,C1,40\n2024-03-01T00:00,C2,0.01\n2024-03-01T00:00,C3,10\n".into()),
        ("requirements.csv", "time,fr_mw\n2024-03-01T00:00,60.001\n".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_bytes()))
    .collect();
    scenario::load_files(&files).unwrap()
}

#[test]
fn only_real_offers_set_prices() {
    // Without a minimum: C1's 60 MW and C2's 0.001 MW meet the 60.001 MW, so C2's 1 kW sets
    // the FR price at 10 (its ranking price 10 / K 1). The audit's floor is 1 % of capacity,
    // 3 MW for C2: 六(十) fails, naming the offer. (Before, no check looked at it.)
    let s = token_case("");
    let r = ancillary::run::run(&s).unwrap();
    assert_eq!(r.clearing[0].price.to_string(), "10");
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "FR and reserve prices set only");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("2024-03-01T00:00 FR price 10 set by unit C2's offer of 0.001 MW, below 1 % of its 300 MW capacity"),
        "{detail}"
    );
    // With Guangdong's 3 % ([policy] min_offer_share = 0.03): C2's 0.001 MW < 0.03 × 300 = 9
    // MW is refused (rejected_offers.csv names the rule); C1's 60 and 0.001 MW of C3 clear,
    // and C3's real offer sets the price at 12. The check passes.
    let s = token_case("[policy]\nmin_offer_share = 0.03\n");
    let files = render(&s);
    let rejected = String::from_utf8(files["rejected_offers.csv"].clone()).unwrap();
    assert!(
        rejected.contains("C2,fr,") && rejected.contains("below the minimum offer, [policy] min_offer_share = 0.03 of its 300 MW capacity = 9"),
        "{rejected}"
    );
    let r = ancillary::run::run(&s).unwrap();
    assert_eq!(r.clearing[0].price.to_string(), "12");
    // The price is set by a real offer now, but the admission rule is the scenario's
    // (issue 22, finding 12): unverified, not pass.
    let checks = audit_with(&s, |_| {});
    let c = checks
        .iter()
        .find(|c| c.rule.starts_with("FR and reserve prices set only"))
        .unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    assert!(
        c.claim
            .as_deref()
            .unwrap()
            .contains("[policy] min_offer_share = 0.03")
    );
}

#[test]
fn a_token_offer_into_a_market_that_asks_for_nothing_is_not_taking_part() {
    // fr-basic asking for 0 MW of FR in every interval, with G1 (gas, 400 MW) made
    // capacity-paid and offering 1 kW at 10. No interval asks for FR, so the day-by-day test
    // has nothing to look at and passed before; but G1's only offer, 0.001 MW, is below 1 % of
    // its capacity (4 MW): it holds token offers only, and 六(十) fails naming it. C1, C2, CS1
    // (capacity-paid, offering 60, 30, 40 MW ≥ 6, 3, 3.5) are not named.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let edit = |files: &mut BTreeMap<String, Vec<u8>>, f: &str, from: &str, to: &str| {
        let t = String::from_utf8(files[f].clone()).unwrap();
        assert!(t.contains(from), "{f}: {from}");
        files.insert(f.into(), t.replace(from, to).into_bytes());
    };
    edit(
        &mut files,
        "units.csv",
        "G1,Huadian,gas,400,120,20,false",
        "G1,Huadian,gas,400,120,20,true",
    );
    edit(
        &mut files,
        "fr_offers.csv",
        "G1,2024-03-01T00:00,2024-03-01T01:00,30,16",
        "G1,2024-03-01T00:00,2024-03-01T01:00,0.001,10",
    );
    files.insert(
        "requirements.csv".into(),
        b"time,fr_mw\n2024-03-01T00:00,0\n2024-03-01T00:15,0\n2024-03-01T00:30,0\n2024-03-01T00:45,0\n".to_vec(),
    );
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "capacity-paid units take part");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("unit G1 (units.csv line 6) holds only token offers: its largest admitted offer is 0.001 MW, below 1 % of its capacity (4.00 MW)"),
        "{detail}"
    );
    assert!(!detail.contains("unit C1"), "{detail}");
}

/// Issue 26: the terminal table has a header, and its columns line up as a terminal shows
/// them (Chinese characters two columns wide, `≤` one): the status, basis and rule columns
/// start at the same display column on every line.
#[test]
fn the_audit_table_has_a_header_and_aligned_columns() {
    use ancillary::audit::display_width;
    let (_, checks) =
        ancillary::audit::audit_dir(std::path::Path::new("scenarios/jiangsu-typical-day"), None)
            .unwrap();
    let table = ancillary::audit::to_table(&checks);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("clause  "), "{}", lines[0]);
    let starts = |line: &str| -> Vec<usize> {
        // The display column where each of the first four cells' successors begins: after
        // a run of two or more spaces.
        let mut out = Vec::new();
        let mut col = 0;
        let mut spaces = 0;
        for ch in line.chars() {
            if ch == ' ' {
                spaces += 1;
            } else {
                if spaces >= 2 {
                    out.push(col);
                }
                spaces = 0;
            }
            col += display_width(ch.encode_utf8(&mut [0; 4]));
        }
        out.truncate(3);
        out
    };
    let header = starts(lines[0]);
    assert_eq!(header.len(), 3);
    for line in &lines[1..lines.len() - 1] {
        assert_eq!(starts(line), header, "{line}");
    }
}

/// A scenario from its files, in memory.
fn from_files(files: &[(&str, &str)]) -> Scenario {
    let files: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    scenario::load_files(&files).unwrap()
}

const JIANGSU_4: &str = "name = \"t\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 15\nstart = \"2024-03-01T00:00\"\nintervals = 4\n";
const UNITS_HEAD: &str = "unit,owner,kind,capacity_mw,min_output_mw,ramp_mw_per_min,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s";

#[test]
fn a_token_offer_sets_the_price_even_where_the_price_is_held_at_the_cap() {
    // Issue 22, finding 13. C1 (600 MW coal, design rate 2) offers 100 MW at 1; T1 (600 MW,
    // design rate 1, so K = 1/2 × 1 × 1 = 0.5 against C1's benchmark) offers 0.001 MW at 14.9.
    // The requirement is 100.001 MW: C1's 100 MW (ranking 1 / 1 = 1) and T1's 0.001 MW
    // (ranking 14.9 / 0.5 = 29.8) clear; T1 is marginal and its 29.8 is held at Jiangsu's cap
    // of 15. T1's 0.001 MW < 1 % × 600 = 6 MW: a token offer set the price, whatever the
    // price. Before, the check looked only for an award whose ranking price equals the price
    // (29.8 ≠ 15), found none and passed.
    let s = from_files(&[
        ("scenario.toml", JIANGSU_4),
        (
            "units.csv",
            &format!(
                "{UNITS_HEAD}\nC1,A,coal,600,300,12,false,2.0,1.0,30\nT1,A,coal,600,300,12,false,1.0,1.0,30\n"
            ),
        ),
        (
            "requirements.csv",
            "time,fr_mw\n2024-03-01T00:00,100.001\n2024-03-01T00:15,100.001\n2024-03-01T00:30,100.001\n2024-03-01T00:45,100.001\n",
        ),
        (
            "fr_offers.csv",
            "unit,start,end,capacity_mw,price_yuan_per_mw\nC1,2024-03-01T00:00,2024-03-01T01:00,100,1\nT1,2024-03-01T00:00,2024-03-01T01:00,0.001,14.9\n",
        ),
        (
            "fr_mileage.csv",
            "time,unit,mileage_mw\n2024-03-01T00:00,C1,150\n2024-03-01T00:15,C1,150\n2024-03-01T00:30,C1,150\n2024-03-01T00:45,C1,150\n2024-03-01T00:00,T1,0.01\n2024-03-01T00:15,T1,0.01\n2024-03-01T00:30,T1,0.01\n2024-03-01T00:45,T1,0.01\n",
        ),
        (
            "metering.csv",
            "day,party,role,energy_mwh\n2024-03-01,C1,generator,100\n2024-03-01,G2,generator,900\n",
        ),
    ]);
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "FR and reserve prices set only");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("2024-03-01T00:00 FR price 15 set by unit T1's offer of 0.001 MW, below 1 % of its 600 MW capacity"),
        "{detail}"
    );
}

#[test]
fn a_token_offer_that_sets_a_zones_price_fails() {
    // Issue 22, finding 17. LP engine, zones north (b1: C1) and south (b2: C2, T1), all three
    // 600 MW coal with the same design (K = 1). The system asks 100 MW; south's minimum is
    // 50.5 MW. C1 100 MW at 1, C2 50 MW at 1, T1 1 MW at 14.9: south needs 0.5 MW of T1 beyond
    // C2's 50, so T1 is the zone's marginal unit and south's price is 14.9. T1's 1 MW < 1 % ×
    // 600 = 6 MW: a token offer set a zone's price. Before, only rows without a zone were
    // looked at and the check passed.
    let s = from_files(&[
        (
            "scenario.toml",
            &format!("{JIANGSU_4}\n[clearing]\nengine = \"lp\"\n"),
        ),
        (
            "units.csv",
            &format!(
                "{UNITS_HEAD},bus\nC1,A,coal,600,300,12,false,2.0,1.0,30,b1\nC2,B,coal,600,300,12,false,2.0,1.0,30,b2\nT1,B,coal,600,300,12,false,2.0,1.0,30,b2\n"
            ),
        ),
        ("buses.csv", "bus,zone\nb1,north\nb2,south\n"),
        (
            "lines.csv",
            "line,from_bus,to_bus,reactance_pu,limit_mw\nL12,b1,b2,0.1,\n",
        ),
        (
            "requirements.csv",
            "time,fr_mw\n2024-03-01T00:00,100\n2024-03-01T00:15,100\n2024-03-01T00:30,100\n2024-03-01T00:45,100\n",
        ),
        (
            "zone_requirements.csv",
            "time,zone,fr_mw\n2024-03-01T00:00,south,50.5\n2024-03-01T00:15,south,50.5\n2024-03-01T00:30,south,50.5\n2024-03-01T00:45,south,50.5\n",
        ),
        (
            "fr_offers.csv",
            "unit,start,end,capacity_mw,price_yuan_per_mw\nC1,2024-03-01T00:00,2024-03-01T01:00,100,1\nC2,2024-03-01T00:00,2024-03-01T01:00,50,1\nT1,2024-03-01T00:00,2024-03-01T01:00,1,14.9\n",
        ),
        (
            "fr_mileage.csv",
            "time,unit,mileage_mw\n2024-03-01T00:00,C1,100\n2024-03-01T00:15,C1,100\n2024-03-01T00:30,C1,100\n2024-03-01T00:45,C1,100\n2024-03-01T00:00,C2,100\n2024-03-01T00:15,C2,100\n2024-03-01T00:30,C2,100\n2024-03-01T00:45,C2,100\n2024-03-01T00:00,T1,1\n2024-03-01T00:15,T1,1\n2024-03-01T00:30,T1,1\n2024-03-01T00:45,T1,1\n",
        ),
        (
            "metering.csv",
            "day,party,role,energy_mwh\n2024-03-01,G9,generator,1000\n",
        ),
    ]);
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "FR and reserve prices set only");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("2024-03-01T00:00 FR zone south price 14.9 set by unit T1's offer of 1 MW, below 1 % of its 600 MW capacity"),
        "{detail}"
    );
}

#[test]
fn settings_that_change_who_pays_are_the_scenarios_claim() {
    // Issue 22, finding 03. jiangsu-typical-day (non-spot) with every kind but wind and PV
    // exempt and PV weighted 1000×: the coal, gas and storage units' own compensation falls
    // on the wind and PV plants. Who pays is then a provincial rule the audit cannot see
    // (notice 196 §五(八) "按程序报批"): 五(八) rests on the scenario's claim, unverified,
    // naming both settings; the pools still balance, so 五(九) passes. Before, 五(八) passed.
    let s = with_toml("jiangsu-typical-day", |t| {
        format!(
            "{t}\n[allocation]\nexempt_kinds = [\"coal\", \"coal_storage\", \"gas\", \"hydro\", \"nuclear\", \"storage\", \"demand_response\", \"aggregator\"]\nkind_weights = {{ pv = 1000.0 }}\n"
        )
    });
    let checks = audit_with(&s, |_| {});
    let c = checks.iter().find(|c| c.clause == "五(八)").unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    let claim = c.claim.as_deref().unwrap();
    assert!(
        claim.contains("[allocation] exempt_kinds = [\"coal\""),
        "{claim}"
    );
    assert!(
        claim.contains("[allocation] kind_weights = { pv = 1000 }"),
        "{claim}"
    );
    assert_eq!(status(&checks, "五(九)", "items apart").0, Status::Pass);
    // non_bidder_weight alone (Hunan's 1.5) is a claim too.
    let s = with_toml("jiangsu-typical-day", |t| {
        format!("{t}\n[allocation]\nnon_bidder_weight = 1.5\n")
    });
    let checks = audit_with(&s, |_| {});
    let c = checks.iter().find(|c| c.clause == "五(八)").unwrap();
    assert_eq!(c.status, Status::Unverified, "{c:?}");
    assert!(
        c.claim
            .as_deref()
            .unwrap()
            .contains("non_bidder_weight = 1.5"),
        "{c:?}"
    );
}

#[test]
fn k_from_fewer_than_three_parts_fails() {
    // Issue 22, finding 06. fr-basic with performance = "weighted" and weights rate 0,
    // precision 0, response 1 (they sum to 1, so the run takes them). C2 measured at rate
    // 0.1 %/min, precision 5 %, response 10 s against C1's design (2, 1, 30): parts 0.1/2 =
    // 0.05, 1/5 = 0.2, 30/10 = 3; K = 0 × 0.05 + 0 × 0.2 + 1 × 3 = 3, capped at 2, for a unit
    // 20× slower than the benchmark. Notice 196 §三(四) sets K from all three parts: 三(四)
    // fails naming the two zero weights. Before, every 三(四) check passed.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let toml = String::from_utf8(files["scenario.toml"].clone()).unwrap();
    assert!(toml.contains("performance = \"product\""));
    files.insert(
        "scenario.toml".into(),
        toml.replace(
            "performance = \"product\"",
            "performance = \"weighted\"\nweights = { rate = 0.0, precision = 0.0, response = 1.0 }",
        )
        .into_bytes(),
    );
    let perf = String::from_utf8(files["fr_performance.csv"].clone()).unwrap();
    let perf: String = perf
        .lines()
        .map(|l| {
            if l.starts_with("C2,") {
                "C2,0.1,5.0,10".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    files.insert("fr_performance.csv".into(), perf.into_bytes());
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "三(四)", "K from all three parts");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(detail.contains("[fr] weights.rate = 0"), "{detail}");
    assert!(detail.contains("[fr] weights.precision = 0"), "{detail}");
    assert!(!detail.contains("weights.response"), "{detail}");
    // The product form (fr-basic as shipped) uses no weights: the check passes.
    let checks = audit_with(&load("fr-basic"), |_| {});
    assert_eq!(
        status(&checks, "三(四)", "K from all three parts").0,
        Status::Pass
    );
}

#[test]
fn an_admission_rule_of_the_scenarios_is_its_claim() {
    // Issue 22, finding 12. jiangsu-typical-day with [policy] min_offer_share = 0.9 and no
    // capacity-paid unit: the storage units S1–S4 (100, 150, 200, 100 MW) offer FR and reserve
    // below 90 % of their capacity (S1's 79 MW < 90 MW, say), so each of their 16 FR and 4
    // reserve offer rows is refused (peak is not subject to it: 4 of 4 stand). Whether a 90 %
    // floor is fair admission (notice 196 §六(十) "公平准入") is the scenario's claim: the
    // 六(十) checks of admitted offers are unverified, naming it, and the storage check no
    // longer says storage was admitted as generation (it says FR 0 of 16, reserve 0 of 4).
    // Before, every 六(十) check passed and said "storage offers admitted as generation".
    let dir = Path::new("scenarios/jiangsu-typical-day");
    let mut files = scenario::read_files(dir).unwrap();
    let toml = String::from_utf8(files["scenario.toml"].clone()).unwrap();
    files.insert(
        "scenario.toml".into(),
        format!("{toml}\n[policy]\nmin_offer_share = 0.9\n").into_bytes(),
    );
    let units = String::from_utf8(files["units.csv"].clone()).unwrap();
    files.insert(
        "units.csv".into(),
        units.replace(",true,", ",false,").into_bytes(),
    );
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    for rule in [
        "capacity-paid units take part",
        "storage takes part",
        "FR and reserve prices set only",
    ] {
        let c = checks.iter().find(|c| c.rule.starts_with(rule)).unwrap();
        assert_eq!(c.status, Status::Unverified, "{c:?}");
        assert!(
            c.claim
                .as_deref()
                .unwrap()
                .contains("[policy] min_offer_share = 0.9"),
            "{c:?}"
        );
    }
    let (_, detail) = status(&checks, "六(十)", "storage takes part");
    assert!(
        detail.contains("FR 0 of 16, reserve 0 of 4, peak 4 of 4"),
        "{detail}"
    );
    assert!(!detail.contains("admitted as generation"), "{detail}");
}

#[test]
fn no_actuals_metered_is_no_pass() {
    // Issue 22, finding 16. jiangsu-typical-day without actuals.csv: the shipped file meters
    // G2 holding 60 MW of reserve at 18:00 and C05 delivering 40 MW of peak at 03:00; without
    // it every reserve and peak award is settled as held or delivered in full, and nothing
    // shows it was. 四(五) and the peak fee check rest on that (unverified, "no actuals
    // metered"), as FR without mileage does. Before, both passed. With the file (as shipped)
    // both pass.
    let dir = Path::new("scenarios/jiangsu-typical-day");
    let mut files = scenario::read_files(dir).unwrap();
    files.remove("actuals.csv").unwrap();
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    for (clause, rule, product) in [
        ("四(五)", "every reserve fee", "reserve"),
        ("二(一)", "every peak fee", "peak"),
    ] {
        let c = checks
            .iter()
            .find(|c| c.clause == clause && c.rule.starts_with(rule))
            .unwrap();
        assert_eq!(c.status, Status::Unverified, "{c:?}");
        assert!(
            c.claim.as_deref().unwrap().contains(&format!("no actuals metered (no actuals.csv, or one with no value): {product} delivery taken as awarded")),
            "{c:?}"
        );
    }
    let checks = audit_with(&load("jiangsu-typical-day"), |_| {});
    assert_eq!(
        status(&checks, "四(五)", "every reserve fee").0,
        Status::Pass
    );
    assert_eq!(status(&checks, "二(一)", "every peak fee").0, Status::Pass);
}

#[test]
fn a_coal_unit_in_the_fr_market_without_design_parameters_leaves_the_benchmark_unverified() {
    // Issue 22, finding 09. fr-basic with C1's design parameters (2.0 %/min, 1.0 %, 30 s, the
    // best coal unit's) left blank; C1 still offers FR. The fleet's best design is then C2's
    // (1.5, 1.2, 45), and C1's K rises from 1 to 2 (uncapped 2.0/1.5 × 1.2/1.0 × 45/30 = 2.4).
    // Whether C1 is the best local coal unit cannot be told: the benchmark check (and every
    // K and FR fee on it) is unverified, naming C1 (units.csv line 2). Before, all passed.
    let dir = Path::new("scenarios/fr-basic");
    let mut files = scenario::read_files(dir).unwrap();
    let units = String::from_utf8(files["units.csv"].clone()).unwrap();
    let from = "C1,Huaneng,coal,600,300,12,true,2.0,1.0,30";
    assert!(units.contains(from));
    files.insert(
        "units.csv".into(),
        units
            .replace(from, "C1,Huaneng,coal,600,300,12,true,,,")
            .into_bytes(),
    );
    let s = scenario::load_files(&files).unwrap();
    let checks = audit_with(&s, |_| {});
    for rule in ["K normalised", "every K", "every FR fee"] {
        let c = checks.iter().find(|c| c.rule.starts_with(rule)).unwrap();
        assert_eq!(c.status, Status::Unverified, "{c:?}");
        assert!(
            c.claim
                .as_deref()
                .unwrap()
                .contains("coal unit(s) C1 (units.csv line 2) offer FR without design parameters"),
            "{c:?}"
        );
    }
    // As shipped (every coal unit with its design), the benchmark check passes.
    let checks = audit_with(&load("fr-basic"), |_| {});
    assert_eq!(status(&checks, "三(四)", "K normalised").0, Status::Pass);
}

#[test]
fn a_capacity_paid_unit_offering_only_a_product_nobody_asks_for_is_not_taking_part() {
    // Issue 22, finding 02. C1 (600 MW coal) is paid a capacity price. FR is asked for, 50 MW
    // in each of the 4 intervals; reserve 0 MW. C1 offers no FR, only 6 MW of reserve in the
    // first interval (6 MW = 1 % of 600, so not a token). Coal may provide FR, and FR is asked
    // for in every interval of 2024-03-01 while C1 holds no admitted FR offer: it did not take
    // part that day, and 六(十) fails naming it. Before, only products it offered (reserve,
    // never asked for) were looked at, and the check passed.
    let s = from_files(&[
        ("scenario.toml", JIANGSU_4),
        (
            "units.csv",
            &format!(
                "{UNITS_HEAD}\nC1,A,coal,600,300,12,true,2.0,1.0,30\nC2,B,coal,600,300,12,false,2.0,1.0,30\n"
            ),
        ),
        (
            "requirements.csv",
            "time,fr_mw,reserve_mw\n2024-03-01T00:00,50,0\n2024-03-01T00:15,50,0\n2024-03-01T00:30,50,0\n2024-03-01T00:45,50,0\n",
        ),
        (
            "fr_offers.csv",
            "unit,start,end,capacity_mw,price_yuan_per_mw\nC2,2024-03-01T00:00,2024-03-01T01:00,100,10\n",
        ),
        (
            "reserve_offers.csv",
            "unit,start,end,capacity_mw,price_yuan_per_mwh\nC1,2024-03-01T00:00,2024-03-01T00:15,6,469\n",
        ),
        (
            "fr_mileage.csv",
            "time,unit,mileage_mw\n2024-03-01T00:00,C2,40\n2024-03-01T00:15,C2,40\n2024-03-01T00:30,C2,40\n2024-03-01T00:45,C2,40\n",
        ),
        (
            "metering.csv",
            "day,party,role,energy_mwh\n2024-03-01,C1,generator,100\n2024-03-01,G2,generator,900\n",
        ),
    ]);
    let checks = audit_with(&s, |_| {});
    let (st, detail) = status(&checks, "六(十)", "capacity-paid units take part");
    assert_eq!(st, Status::Fail, "{detail}");
    assert!(
        detail.contains("unit C1 (units.csv line 2) has no admitted offers of at least 1 % of its capacity (6.00 MW) in some interval with a requirement on 1 day(s), first 2024-03-01"),
        "{detail}"
    );
}
