//! Allocation, penalties and statements (notice 196 §五): every number derived in a comment.

mod common;
use ancillary::ErrorKind;
use ancillary::product::Product::{self, Fr, Reserve};
use ancillary::run::RunResult;
use ancillary::settlement::Item;
use common::*;

/// One FR provider S1 (storage, K = 1 by its own benchmark) and payers.
const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s
C1,A,coal,600,0,2,1,30
C2,B,coal,600,0,2,1,30
S1,C,storage,100,0,,,
G1,D,gas,300,0,,,
";

fn fr_case(extra: &str, metering: &str, mileage: &str) -> Case {
    // S1 measured 2, 1, 30 against the benchmark C1 (2, 1, 30): K = 1. Requirement 10 MW in
    // interval 0 only; S1 offers 10 MW at 10 yuan/MW → price 10. Fee = 10 × mileage × 1.
    Case::new(extra)
        .file("units.csv", UNITS)
        .file(
            "fr_performance.csv",
            "unit,rate_pct_per_min,precision_pct,response_s\nS1,2,1,30\n",
        )
        .file(
            "requirements.csv",
            &format!("time,fr_mw,reserve_mw\n{T0},10,0\n{T1},0,0\n{T2},0,0\n{T3},0,0\n"),
        )
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nS1,{T0},{T1},10,10\n"),
        )
        .file(
            "fr_mileage.csv",
            &format!("time,unit,mileage_mw\n{T0},S1,{mileage}\n"),
        )
        .file("metering.csv", metering)
}

fn amount(r: &RunResult, party: &str, product: Product, item: Item) -> String {
    r.settlement
        .iter()
        .find(|s| s.party == party && s.product == product && s.item == item)
        .map(|s| s.amount.to_string())
        .unwrap_or_else(|| "none".into())
}

const GENS: &str = "day,party,role,energy_mwh\n2024-03-01,C1,generator,100\n2024-03-01,C2,generator,100\n2024-03-01,G1,generator,100\n2024-03-01,U1,user,500\n";

#[test]
fn non_spot_generators_pay_pro_rata_and_largest_remainder_keeps_the_fen() {
    // Fee 10 × 10 × 1 = 100.00. Three generators of 100 MWh each: 33.333… each. Naive rounding
    // gives 33.33 × 3 = 99.99 and loses a fen; largest remainder (equal remainders by party
    // name) gives C1 the extra fen: 33.34, 33.33, 33.33. The user U1 pays nothing (§五(八)).
    let r = fr_case("", GENS, "10").run();
    assert_eq!(amount(&r, "S1", Fr, Item::Compensation), "100.00");
    assert_eq!(amount(&r, "C1", Fr, Item::Allocation), "-33.34");
    assert_eq!(amount(&r, "C2", Fr, Item::Allocation), "-33.33");
    assert_eq!(amount(&r, "G1", Fr, Item::Allocation), "-33.33");
    assert_eq!(amount(&r, "U1", Fr, Item::Allocation), "none");
}

#[test]
fn exempt_kinds_and_weights() {
    // exempt gas: C1 and C2 split 100.00 → 50.00 each.
    let r = fr_case("[allocation]\nexempt_kinds = [\"gas\"]\n", GENS, "10").run();
    assert_eq!(amount(&r, "C1", Fr, Item::Allocation), "-50.00");
    assert!(
        r.settlement
            .iter()
            .filter(|s| s.party == "G1")
            .all(|s| s.amount.0.is_zero())
    );
    // kind weight coal 2: weights C1 200, C2 200, G1 100 → 40.00, 40.00, 20.00.
    let r = fr_case("[allocation]\nkind_weights = { coal = 2.0 }\n", GENS, "10").run();
    assert_eq!(amount(&r, "C1", Fr, Item::Allocation), "-40.00");
    assert_eq!(amount(&r, "G1", Fr, Item::Allocation), "-20.00");
    // non_bidder_weight 1.5: C1 and C2 are FR-capable (design parameters) and made no FR offer;
    // G1 is not FR-capable. Weights 150, 150, 100 → 37.50, 37.50, 25.00.
    let r = fr_case("[allocation]\nnon_bidder_weight = 1.5\n", GENS, "10").run();
    assert_eq!(amount(&r, "C1", Fr, Item::Allocation), "-37.50");
    assert_eq!(amount(&r, "G1", Fr, Item::Allocation), "-25.00");
}

#[test]
fn continuous_spot_users_and_non_market_generation_share() {
    let metering = "day,party,role,energy_mwh\n2024-03-01,C1,generator,100\n2024-03-01,U1,user,300\n2024-03-01,U2,user,100\n2024-03-01,NM,non_market_generator,50\n";
    let toml = |share: &str| format!("[allocation]\nuser_share = {share}\n");
    let c = |share: &str| {
        let mut c = fr_case(&toml(share), metering, "10.1");
        c.files.insert(
            "scenario.toml".into(),
            common::toml(&toml(share))
                .replace("\"none\"", "\"continuous\"")
                .into_bytes(),
        );
        c
    };
    // Fee 10 × 10.1 = 101.00; users 0.3 × 101 = 30.30: U1 30.30 × 3/4 = 22.725 → 22.72 (rem .5),
    // U2 7.575 → 7.57 (rem .5); one fen left, equal remainders → U1 (name order): 22.73, 7.57.
    // Non-market generation pays 101 − 30.30 = 70.70. The market generator C1 pays nothing.
    let r = c("0.3").run();
    assert_eq!(amount(&r, "U1", Fr, Item::Allocation), "-22.73");
    assert_eq!(amount(&r, "U2", Fr, Item::Allocation), "-7.57");
    assert_eq!(amount(&r, "NM", Fr, Item::Allocation), "-70.70");
    assert_eq!(amount(&r, "C1", Fr, Item::Allocation), "none");
    // Without user_share the run is refused: the province must set the ratio.
    let mut missing = c("0.3");
    missing.files.insert(
        "scenario.toml".into(),
        common::toml("")
            .replace("\"none\"", "\"continuous\"")
            .into_bytes(),
    );
    let e = missing.error();
    assert_eq!(e.column.as_deref(), Some("allocation.user_share"));
}

#[test]
fn a_day_with_cost_and_nobody_to_pay_is_an_error() {
    let e = fr_case(
        "",
        "day,party,role,energy_mwh\n2024-03-01,U1,user,500\n",
        "10",
    )
    .error();
    assert_eq!(
        (e.kind, e.file.as_str()),
        (ErrorKind::Invalid, "metering.csv")
    );
    assert!(
        e.rule.contains("2024-03-01") && e.rule.contains("fr"),
        "{e}"
    );
}

#[test]
fn penalty_reduces_the_pool() {
    // Reserve: S1 20 MW @ 50 in interval 0 (requirement 20), available 15. ¼ h.
    // Compensation on the actual: 50 × 15 × 0.25 = 187.50. Penalty, multiple 2:
    // 2 × 50 × (20 − 15) × 0.25 = 125.00, charged. Pool = 187.50 − 125.00 = 62.50, split among
    // three generators: 20.83(33…) each, 1 fen left → C1: 20.84, 20.83, 20.83.
    let c = Case::new("[penalty]\nreserve_unavailable_multiple = 2.0\n")
        .file("units.csv", UNITS)
        .file(
            "requirements.csv",
            &format!("time,reserve_mw\n{T0},20\n{T1},0\n{T2},0\n{T3},0\n"),
        )
        .file(
            "reserve_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nS1,{T0},{T1},20,50\n"),
        )
        .file(
            "actuals.csv",
            &format!("time,unit,reserve_available_mw\n{T0},S1,15\n"),
        )
        .file("metering.csv", GENS);
    let r = c.run();
    assert_eq!(amount(&r, "S1", Reserve, Item::Compensation), "187.50");
    assert_eq!(amount(&r, "S1", Reserve, Item::Penalty), "-125.00");
    assert_eq!(amount(&r, "C1", Reserve, Item::Allocation), "-20.84");
    assert_eq!(amount(&r, "C2", Reserve, Item::Allocation), "-20.83");
    let total: rust_decimal::Decimal = r.settlement.iter().map(|s| s.amount.0).sum();
    assert!(total.is_zero());
}

#[test]
fn monthly_is_the_sum_of_daily_across_a_month_end() {
    // Two days, 2024-03-31 and 2024-04-01, one interval each (1440 minutes).
    let toml = "name = \"m\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 1440\nstart = \"2024-03-31T00:00\"\nintervals = 2\n";
    let mut c = Case::new("")
        .file("units.csv", UNITS)
        .file("requirements.csv", "time,reserve_mw\n2024-03-31T00:00,10\n2024-04-01T00:00,10\n")
        .file("reserve_offers.csv", "unit,start,end,capacity_mw,price_yuan_per_mwh\nS1,2024-03-31T00:00,2024-04-02T00:00,10,1\n")
        .file("metering.csv", "day,party,role,energy_mwh\n2024-03-31,C1,generator,1\n2024-04-01,C1,generator,1\n2024-04-01,C2,generator,1\n");
    c.files
        .insert("scenario.toml".into(), toml.as_bytes().to_vec());
    let r = c.run();
    // Each day S1 earns 1 × 10 × 24 = 240.00. March: C1 pays 240; April: C1 and C2 120 each.
    let m = ancillary::settlement::statement::monthly(&r.settlement);
    let row = |month: &str, party: &str| {
        m.iter()
            .find(|x| x.month == month && x.party == party)
            .unwrap()
            .clone()
    };
    assert_eq!(row("2024-03", "S1").compensation.to_string(), "240.00");
    assert_eq!(row("2024-04", "S1").compensation.to_string(), "240.00");
    assert_eq!(row("2024-03", "C1").allocation.to_string(), "-240.00");
    assert_eq!(row("2024-04", "C1").net().to_string(), "-120.00");
}

#[test]
fn hostile_party_names_stay_inside_the_output_folder() {
    let metering = "day,party,role,energy_mwh\n2024-03-01,../../escape,generator,100\n2024-03-01,/abs/path,generator,100\n2024-03-01,CON,generator,100\n";
    let c = fr_case("", metering, "10");
    let s = c.load().unwrap();
    let r = ancillary::run::run(&s).unwrap();
    let files = ancillary::output::render(&s, &r);
    for name in files.keys() {
        assert!(ancillary::output::dir::is_safe_relative(name), "{name}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b/out");
    ancillary::output::dir::write(&out, &files, false).unwrap();
    // Nothing escaped: the only entries above `out` are the folders we made.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("a/b")).unwrap().count(),
        1
    );
    let index = std::fs::read_to_string(out.join("statements/index.csv")).unwrap();
    assert!(
        index.contains("../../escape,statements/%2E.%2F..%2Fescape.csv"),
        "{index}"
    );
    assert!(out.join("statements/_CON.csv").is_file());
}

#[test]
fn market_power_screens_three_owners_one_pivotal() {
    use ancillary::market_power::screens;
    // Four owners offer reserve: O1 A 60 MW @10, O2 B 30 @20, O3 C 20 @30, O4 D 40 @40
    // (total 150).
    let units = "unit,owner,kind,capacity_mw,min_output_mw\nA,O1,coal,100,0\nB,O2,gas,100,0\nC,O3,gas,100,0\nD,O4,gas,100,0\n";
    let offers = format!(
        "unit,start,end,capacity_mw,price_yuan_per_mwh\nA,{T0},{END},60,10\nB,{T0},{END},30,20\nC,{T0},{END},20,30\nD,{T0},{END},40,40\n"
    );
    let c = Case::new("")
        .file("units.csv", units)
        .file("reserve_offers.csv", &offers)
        .file(
            "requirements.csv",
            &format!("time,reserve_mw\n{T0},100\n{T1},25\n{T2},0\n{T3},0\n"),
        );
    let s = c.load().unwrap();
    let r = ancillary::run::run(&s).unwrap();
    let rows = screens(&s, &r.clearing, &r.awards);
    let get = |i: usize, o: &str| {
        rows.iter()
            .find(|x| x.interval == i && x.owner == o)
            .unwrap()
            .clone()
    };
    // Requirement 100: RSI O1 = (150 − 60)/100 = 0.9 → pivotal; O2 = 120/100 = 1.2; O3 = 1.3;
    // O4 = 1.1.
    assert_eq!(
        (get(0, "O1").rsi, get(0, "O1").pivotal),
        (Some(d("0.9")), true)
    );
    assert_eq!(
        (get(0, "O2").rsi, get(0, "O3").rsi, get(0, "O4").rsi),
        (Some(d("1.2")), Some(d("1.3")), Some(d("1.1")))
    );
    assert!(!get(0, "O2").pivotal);
    // Cleared A 60, B 30, C 10 (marginal, price 30): HHI = 60² + 30² + 10² = 4600. O1 is
    // pivotal but C (O3) set the price.
    assert_eq!(get(0, "O1").hhi, d("4600"));
    assert!(get(0, "O3").sets_price && !get(0, "O1").pivotal_sets_price());
    // Requirement 25: no one pivotal alone (RSI ≥ 90/25). Three-pivotal test: O1 with O4 and
    // O2 leaves C's 20 < 25: fails; O2 with O1, O4 leaves 20: fails; O4 with O1, O2 leaves 20:
    // fails; O3 with O1, O4 leaves B's 30 ≥ 25: passes.
    assert!(rows.iter().filter(|x| x.interval == 1).all(|x| !x.pivotal));
    let fails: Vec<bool> = ["O1", "O2", "O3", "O4"]
        .iter()
        .map(|o| get(1, o).three_pivotal_fail)
        .collect();
    assert_eq!(fails, vec![true, true, false, true]);
    // A alone clears 25 at 10: HHI 100² = 10000, and O1, failing the test, set the price.
    assert_eq!(get(1, "O1").hhi, d("10000"));
    assert!(get(1, "O1").pivotal_sets_price());
    // Zero requirement: not screened.
    assert!(rows.iter().all(|x| x.interval < 2));
}

/// The co-optimisation textbook case (A 20 yuan/MWh, B 60, C 100, each 100 MW; load 180,
/// reserve 40 from B) on four 15-minute intervals of continuous spot, for §五(八)'s split.
fn lost_opportunity_case(extra: &str, metering: &str) -> Case {
    let mut toml = toml(&format!(
        "[clearing]\nengine = \"lp\"\n[caps]\nenergy_market_price_cap_yuan_per_mwh = 1500\n[allocation]\nuser_share = 0.5\n{extra}"
    ));
    toml = toml.replace("\"none\"", "\"continuous\"");
    let mut c = Case::new("")
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nA,a,coal,100,0\nB,b,coal,100,0\nC,c,gas,100,0\n",
        )
        .file(
            "requirements.csv",
            &format!("time,load_mw,reserve_mw\n{T0},180,40\n{T1},180,40\n{T2},180,40\n{T3},180,40\n"),
        )
        .file(
            "energy_offers.csv",
            &format!("unit,start,end,segment,mw,price_yuan_per_mwh\nA,{T0},{END},1,100,20\nB,{T0},{END},1,100,60\nC,{T0},{END},1,100,100\n"),
        )
        .file(
            "reserve_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mwh\nB,{T0},{END},50,5\n"),
        )
        .file("metering.csv", metering);
    c.files.insert("scenario.toml".into(), toml.into_bytes());
    c
}

fn row<'a>(
    r: &'a RunResult,
    party: &str,
    item: Item,
    role: Option<ancillary::scenario::Role>,
) -> &'a ancillary::settlement::SettlementRow {
    r.settlement
        .iter()
        .find(|s| s.party == party && s.item == item && s.role == role)
        .unwrap_or_else(|| panic!("no {party} {item:?} {role:?} row"))
}

#[test]
fn users_bear_only_the_lost_energy_opportunity() {
    use ancillary::scenario::Role::{Generator, NonMarketGenerator, User};
    // Dispatch A 100, B 60, C 20 (marginal): energy price λ = 100. B holds the 40 MW of
    // reserve, so its headroom binds (60 + 40 = 100) and its next energy (its own segment at
    // 60) is what it could not sell: lost opportunity 100 − 60 = 40 yuan/MWh. Reserve price =
    // B's offer 5 + 40 = 45 (the marginal offer plus its lost opportunity).
    // Per interval (¼ h): fee 45 × 40 × ¼ = 450, lost part min(450, 40 × 40 × ¼) = 400.
    // Day: compensation 1800.00, of which 1600.00 lost opportunity, 200.00 other.
    // S1 (a storage party, not a unit here) meters as user (charging, 40 MWh) and as
    // generator (discharging, 30 MWh) the same day (§六(十)).
    let metering = "day,party,role,energy_mwh
2024-03-01,U1,user,300
2024-03-01,U2,user,100
2024-03-01,S1,user,40
2024-03-01,S1,generator,30
2024-03-01,A,generator,100
2024-03-01,B,generator,60
2024-03-01,C,generator,20
2024-03-01,NM,non_market_generator,100
";
    let r = lost_opportunity_case("", metering).run();
    assert_eq!(price(&r, Reserve, 0), d("45"));
    let b = row(&r, "B", Item::Compensation, None);
    assert_eq!(b.amount.to_string(), "1800.00");
    assert_eq!(b.lost_opportunity.unwrap().to_string(), "1600.00");
    // User-borne 1600: users 0.5 × 1600 = 800 by consumption 300 : 100 : 40 (of 440):
    // 545.4545…, 181.8181…, 72.7272… → floors 545.45 + 181.81 + 72.72 = 799.98; the two fen
    // go to the largest remainders (.8181, .7272): 545.45, 181.82, 72.73. NM pays 800.
    let charged = |p: &str, role| row(&r, p, Item::Allocation, Some(role)).amount.to_string();
    assert_eq!(charged("U1", User), "-545.45");
    assert_eq!(charged("U2", User), "-181.82");
    assert_eq!(charged("S1", User), "-72.73");
    assert_eq!(charged("NM", NonMarketGenerator), "-800.00");
    // Other 200: market generators by on-grid energy 100 : 60 : 20 : 30 (of 210): 95.238…,
    // 57.142…, 19.047…, 28.571… → floors 95.23 + 57.14 + 19.04 + 28.57 = 199.98; the two fen
    // to .8095 (A) and .7619 (C): 95.24, 57.14, 19.05, 28.57.
    assert_eq!(charged("A", Generator), "-95.24");
    assert_eq!(charged("B", Generator), "-57.14");
    assert_eq!(charged("C", Generator), "-19.05");
    assert_eq!(charged("S1", Generator), "-28.57");
    // Users' rows are all lost opportunity; generators' none.
    let u1 = row(&r, "U1", Item::Allocation, Some(User));
    assert_eq!(u1.lost_opportunity.unwrap().to_string(), "-545.45");
    let a = row(&r, "A", Item::Allocation, Some(Generator));
    assert_eq!(a.lost_opportunity.unwrap().to_string(), "0.00");
    // Monthly statement: S1's allocation is both roles, −72.73 − 28.57 = −101.30, of which
    // −72.73 lost opportunity.
    let m = ancillary::settlement::statement::monthly(&r.settlement);
    let s1 = m.iter().find(|m| m.party == "S1").unwrap();
    assert_eq!(
        (
            s1.allocation.to_string(),
            s1.allocation_lost.unwrap().to_string()
        ),
        ("-101.30".to_string(), "-72.73".to_string())
    );

    // Without generator metering, the other part goes by energy cleared: A 100 MW × 1 h =
    // 100 MWh, B 60, C 20 (of 180): 111.111…, 66.666…, 22.222… → 111.11, 66.67, 22.22.
    let users_only = "day,party,role,energy_mwh\n2024-03-01,U1,user,300\n2024-03-01,NM,non_market_generator,100\n";
    let r = lost_opportunity_case("", users_only).run();
    let b = row(&r, "B", Item::Allocation, Some(Generator));
    assert_eq!(
        (b.amount.to_string(), b.quantity_unit),
        ("-66.67".to_string(), "MWh cleared")
    );
    assert_eq!(
        row(&r, "A", Item::Allocation, Some(Generator))
            .amount
            .to_string(),
        "-111.11"
    );
    assert_eq!(
        row(&r, "C", Item::Allocation, Some(Generator))
            .amount
            .to_string(),
        "-22.22"
    );
    assert_eq!(
        row(&r, "U1", Item::Allocation, Some(User))
            .amount
            .to_string(),
        "-800.00"
    );

    // The earlier reading: users and non-market generation share the whole 1800.
    let r = lost_opportunity_case("user_borne = \"all\"\n", users_only).run();
    assert_eq!(
        row(&r, "U1", Item::Allocation, Some(User))
            .amount
            .to_string(),
        "-900.00"
    );
    assert!(r.settlement.iter().all(|s| s.role != Some(Generator)));
    assert!(r.settlement.iter().all(|s| s.lost_opportunity.is_none()));
}

#[test]
fn a_party_meters_once_per_role_class_a_day() {
    // S1 twice as user on one day: a duplicate; as market and non-market generator: too.
    let m = |rows: &str| format!("day,party,role,energy_mwh\n{rows}");
    let e = lost_opportunity_case("", &m("2024-03-01,S1,user,1\n2024-03-01,S1,user,2\n")).error();
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("metering.csv", Some(3), Some("party"))
    );
    let e = lost_opportunity_case(
        "",
        &m("2024-03-01,S1,generator,1\n2024-03-01,S1,non_market_generator,2\n"),
    )
    .error();
    assert_eq!(e.line, Some(3));
    assert!(
        e.to_string().contains("as generator (market or not)"),
        "{e}"
    );
}
