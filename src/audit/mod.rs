//! `ancillary audit`: a check per rule of notice 196, on a scenario's rules and on its results.
//! The audit never clamps: a scenario whose caps exceed the notice fails even though `run`
//! would clamp them. Every failure says what breaks the rule and where.

mod five;
mod four;
pub mod recompute;
pub mod results;
mod six;
mod three;
mod two;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde_json::json;

use crate::error::InputError;
use crate::product::Product;
use crate::rules::caps::{self, decimal};
use crate::rules::opportunity::{self, AwardView, Split};
use crate::rules::{fr, peak};
use crate::scenario::config::{OtherCosts, PerformanceForm, SpotMarket};
use crate::scenario::{Kind, Role, Scenario};
use crate::settlement::money::Yuan;
use results::Results;

/// A check's verdict. "Cannot be checked" is never a pass: a check whose yardstick is the
/// scenario's own claim (a `*_source`, an assumed mileage, a reading of §五(八) the scenario
/// chooses) is `Unverified`, and so is the run's exit status (3) unless the caller accepts the
/// claims (`--accept-unverified`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Checked against the notice, the project's own data (`data/`) and the units' physics.
    Pass,
    Fail,
    /// Nothing found against the rule, but it rests on the scenario's claim (see
    /// [`Check::claim`]), which the audit cannot check.
    Unverified,
    /// The clause does not apply (no peak market, say).
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unverified => "unverified",
            Status::NotApplicable => "n/a",
        }
    }
}

/// `ancillary audit`'s exit status: 0 nothing fails and nothing is unverified; 1 something
/// fails; 3 nothing fails but something is unverified (0 with `accept_unverified`). 2 (bad
/// input) is the CLI's.
pub fn exit_status(checks: &[Check], accept_unverified: bool) -> u8 {
    if checks.iter().any(|c| c.status == Status::Fail) {
        1
    } else if !accept_unverified && checks.iter().any(|c| c.status == Status::Unverified) {
        3
    } else {
        0
    }
}

/// What each exit status means, as `help audit`, the docs and audit.json say it.
pub const EXIT_MEANING: &str = "0 nothing fails and nothing is unverified; 1 a rule fails; 2 bad input; 3 nothing fails but a check rests on the scenario's own claim (unverified); --accept-unverified turns 3 into 0";

/// What a check looks at, so a regulator knows what it vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// `scenario.toml`'s settings against the notice's limits.
    Settings,
    /// Recomputed from the scenario's inputs alone, then compared with the results.
    Inputs,
    /// A fee recomputed from the inputs (mileage, K, actuals, offers) and the clearing prices
    /// in `clearing.csv` (themselves checked against the caps, not re-cleared; a fresh run
    /// checks them in 五(七)).
    InputsAndPrices,
    /// The results' own rows against the notice's limits (prices, providers, items).
    Results,
    /// A fresh run of the scenario compared file by file with the results.
    Rerun,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Settings => "settings",
            Basis::Inputs => "inputs",
            Basis::InputsAndPrices => "inputs+prices",
            Basis::Results => "results",
            Basis::Rerun => "re-run",
        }
    }
}

/// One rule of the audit: the clause it checks, the rule as the audit states it, and what the
/// check looks at. Declared once, in [`RULES`]: audit.csv and audit.json take each check's basis
/// from it, and `ancillary help audit` lists it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// As the notice numbers it, ASCII parentheses: `三(四)`.
    pub clause: &'static str,
    pub rule: &'static str,
    pub basis: Basis,
}

/// Every rule the audit checks, in the order it checks them (a test checks that every check's
/// rule and clause are here).
pub const RULES: &[Rule] = {
    use Basis::*;
    const fn r(clause: &'static str, rule: &'static str, basis: Basis) -> Rule {
        Rule {
            clause,
            rule,
            basis,
        }
    }
    &[
        r(
            "二(一)",
            "no peak market where the spot market runs continuously",
            Inputs,
        ),
        r(
            "二(一)",
            "peak market only while the spot market does not run",
            Results,
        ),
        r(
            "二(一)",
            "spot_market as the province's spot status (data/spot_markets.csv)",
            Settings,
        ),
        r(
            "二(一)",
            "no wind or PV peak providers; hydro only where enabled",
            Results,
        ),
        r("二(二)", "peak cap ≤ the local grid-parity price", Settings),
        r("二(二)", "every peak price ≤ the cap", Results),
        r(
            "二(一)",
            "every peak fee = price × delivered reduction × time",
            InputsAndPrices,
        ),
        r("三(四)", "performance-factor cap ≤ 2", Settings),
        r(
            "三(四)",
            "K from all three parts: rate, precision and response",
            Settings,
        ),
        r(
            "三(四)",
            "K normalised to the best local coal unit's design parameters",
            Inputs,
        ),
        r("三(四)", "every K ≤ 2 and as the inputs give it", Inputs),
        r(
            "三(四)",
            "mileage price cap ≤ 15 yuan/MW (0.015 yuan/kW)",
            Settings,
        ),
        r("三(四)", "every FR clearing price ≤ the cap", Results),
        r(
            "三(三)",
            "every FR fee = clearing price × mileage × K",
            InputsAndPrices,
        ),
        r(
            "四(六)",
            "the energy-market cap is the local market's, or sourced",
            Settings,
        ),
        r(
            "四(五)",
            "every reserve fee = price × capacity × time, on the actual where lower",
            InputsAndPrices,
        ),
        r("四(六)", "reserve cap ≤ the energy-market cap", Settings),
        r("四(六)", "every reserve price ≤ the cap", Results),
        r("五(七)", "results reproduce from the inputs", Rerun),
        r(
            "五(八)",
            "no cost passed to users where spot does not run continuously",
            Results,
        ),
        r(
            "五(八)",
            "only FR and reserve passed through; users bear the lost opportunity at user_share, market generators the rest",
            Results,
        ),
        r(
            "五(九)",
            "items apart; Σ allocation = Σ compensation − penalties, daily",
            Results,
        ),
        r(
            "六(十)",
            "units paid a capacity price submitted offers",
            Inputs,
        ),
        r(
            "六(十)",
            "capacity-paid units take part every day (admitted offers, not token ones)",
            Inputs,
        ),
        r(
            "六(十)",
            "storage takes part as generator (discharging) and load (charging)",
            Results,
        ),
        r(
            "六(十)",
            "FR and reserve prices set only by offers of at least 1 % of capacity",
            Results,
        ),
        r(
            "六(十一)",
            "each zone's FR and reserve awards + shortfall ≥ its minimum, at a price ≥ the system's",
            Results,
        ),
        r(
            "六(十一)",
            "cleared jointly with energy where spot runs continuously",
            Results,
        ),
    ]
};

/// The basis of a rule, from [`RULES`].
pub fn basis_of(rule: &str) -> Option<Basis> {
    RULES.iter().find(|r| r.rule == rule).map(|r| r.basis)
}

/// `ancillary help audit`'s list of rules, from [`RULES`]: clause, basis, rule.
pub fn rules_help() -> String {
    let mut out = String::from("Rules checked (clause, basis, rule):\n");
    for r in RULES {
        // Chinese characters take two columns in a terminal.
        let width: usize = r
            .clause
            .chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum();
        out += &format!(
            "  {}{}  {:<13}  {}\n",
            r.clause,
            " ".repeat(8usize.saturating_sub(width)),
            r.basis.as_str(),
            r.rule
        );
    }
    out
}

/// One rule checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// As the notice numbers it, ASCII parentheses: `三(四)`.
    pub clause: &'static str,
    pub rule: &'static str,
    pub status: Status,
    /// What breaks the rule and where (for failures), or what was checked.
    pub detail: String,
    /// The scenario's own claim the verdict rests on (a setting that replaces or relaxes the
    /// audit's yardstick), where there is one: a check with a claim never passes.
    pub claim: Option<String>,
}

impl Check {
    /// The verdict resting on the scenario's `claim`: a pass becomes `Unverified` (a failure
    /// stays a failure), the claim recorded either way (after any earlier one).
    pub fn resting_on(mut self, claim: impl Into<String>) -> Check {
        if self.status == Status::Pass {
            self.status = Status::Unverified;
        }
        let claim = claim.into();
        self.claim = Some(match self.claim.take() {
            Some(earlier) => format!("{earlier}; {claim}"),
            None => claim,
        });
        self
    }

    /// [`Check::resting_on`] where `claim` is some.
    pub fn resting_on_any(self, claim: Option<String>) -> Check {
        match claim {
            Some(c) => self.resting_on(c),
            None => self,
        }
    }

    /// What the check looks at ([`basis_of`] its rule).
    pub fn basis(&self) -> Basis {
        basis_of(self.rule).unwrap_or(Basis::Results)
    }
}

/// At most this many offenders are named in one detail.
const NAMED: usize = 5;

fn verdict(
    clause: &'static str,
    rule: &'static str,
    offences: Vec<String>,
    checked: String,
) -> Check {
    if offences.is_empty() {
        Check {
            clause,
            rule,
            status: Status::Pass,
            detail: checked,
            claim: None,
        }
    } else {
        let more = offences.len().saturating_sub(NAMED);
        let mut detail = offences
            .into_iter()
            .take(NAMED)
            .collect::<Vec<_>>()
            .join("; ");
        if more > 0 {
            detail += &format!("; and {more} more");
        }
        Check {
            clause,
            rule,
            status: Status::Fail,
            detail,
            claim: None,
        }
    }
}

fn na(clause: &'static str, rule: &'static str, why: &str) -> Check {
    Check {
        clause,
        rule,
        status: Status::NotApplicable,
        detail: why.to_string(),
        claim: None,
    }
}

/// What every section's checks read: the scenario, its results read back, whether the rules
/// refused the run, and the caps the run used.
struct Context<'a> {
    scenario: &'a Scenario,
    results: &'a Results,
    /// The rules refused the run (a peak market under continuous spot): only the clause that
    /// refuses it fails.
    refused: bool,
    /// The caps the run used (clamped to the notice where the scenario asks).
    resolved_caps: caps::Caps,
}

impl Context<'_> {
    /// Interval `i`'s start as the contract writes it.
    fn label(&self, i: usize) -> String {
        self.scenario.horizon.label(i)
    }

    /// The system-wide clearing rows of `product` (a zone's row is a minimum within it).
    fn prices<'b>(&'b self, product: &'b str) -> impl Iterator<Item = &'b results::Clearing> + 'b {
        self.results
            .clearing
            .iter()
            .filter(move |r| r.product == product && r.zone.is_empty())
    }
}

/// notice 196 §五(八): the lost-opportunity part of each FR and reserve fee, recomputed from the
/// audit's own fees (the 三(三) and 四(五) checks add them) and the units' positions in
/// awards.csv (energy, FR, reserve held, energy price); read by the 五(八) check.
struct Lost<'a> {
    scenario: &'a Scenario,
    /// Whether the split applies (continuous spot, energy cleared jointly).
    split: bool,
    positions: HashMap<(usize, &'a str), opportunity::Position>,
    /// (day, unit, product) → the exact lost-opportunity part.
    want: BTreeMap<(String, String, &'static str), Decimal>,
}

impl<'a> Lost<'a> {
    fn new(scenario: &'a Scenario, results: &'a Results) -> Lost<'a> {
        Lost {
            scenario,
            split: opportunity::split(scenario) == Split::Joint,
            positions: opportunity::positions(results.awards.iter().map(|a| AwardView {
                interval: a.interval,
                product: a.product.as_str(),
                unit: a.unit.as_str(),
                offered_mw: a.offered_mw,
                cleared_mw: a.cleared_mw,
                offer_price: a.offer_price,
                paid_price: a.paid_price,
            })),
            want: BTreeMap::new(),
        }
    }

    /// Adds the lost-opportunity part of one award's fee (`quantity` settled, `fee` exact).
    fn add(
        &mut self,
        u: usize,
        a: &results::Award,
        product: Product,
        quantity: Decimal,
        fee: Decimal,
    ) {
        let h = &self.scenario.horizon;
        let unit = &self.scenario.fleet.units[u];
        if !self.split || unit.kind == Kind::Storage {
            return;
        }
        let loss = self
            .positions
            .get(&(a.interval, a.unit.as_str()))
            .map_or(Decimal::ZERO, |p| {
                opportunity::loss_per_mwh(p, unit.capacity_mw)
            });
        let part = opportunity::lost_part(
            product,
            quantity,
            fee,
            a.cleared_mw,
            loss,
            h.interval_hours(),
        );
        *self
            .want
            .entry((
                h.day(a.interval).to_string(),
                a.unit.clone(),
                product.as_str(),
            ))
            .or_default() += part;
    }
}

/// Runs every check, section by section of the notice (二 two.rs, 三 three.rs, 四 four.rs,
/// 五 five.rs, 六 six.rs) over one [`Context`]. `rerun` is the output of running the scenario
/// again now (for §五(七)).
pub fn audit(
    scenario: &Scenario,
    results: &Results,
    rerun: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<Check>, InputError> {
    let cx = Context {
        scenario,
        results,
        // The rules refused the run (a peak market under continuous spot): only the clause
        // that refuses it fails; checks of what the run would have done do not pile on.
        refused: results.files.is_empty() && rerun.is_empty(),
        // The caps the run used (clamped to the notice where the scenario asks): K and
        // admission are recomputed with them, while the checks of the caps themselves read
        // the raw settings.
        resolved_caps: caps::resolve(scenario)?.caps,
    };
    let mut checks = two::checks(&cx);
    let mut lost = Lost::new(scenario, results);
    checks.extend(three::checks(&cx, &mut lost));
    checks.extend(four::checks(&cx, &mut lost));
    checks.extend(five::checks(&cx, rerun, lost.split, &lost.want));
    checks.extend(six::checks(&cx));
    Ok(checks)
}

/// The scenario's `[fr] benchmark`, where it stands in for the fleet's (no coal unit has
/// design parameters): the yardstick of every K, and the scenario's claim (notice 196 §三(四)
/// asks for the best local coal unit's design parameters, which the audit cannot see then).
fn benchmark_claim(c: &crate::scenario::config::Config) -> Option<String> {
    let b = c.fr.benchmark.as_ref()?;
    Some(format!(
        "[fr] benchmark (rate {} %/min, precision {} %, response {} s) from [fr] benchmark_source = {:?}",
        b.rate_pct_per_min,
        b.precision_pct,
        b.response_s,
        c.fr.benchmark_source.as_deref().unwrap_or("")
    ))
}

/// notice 196 §五(八) under continuous spot: users bear only "电能量市场无法补偿的因提供辅助服务而
/// 未能发电带来的损失" (the lost opportunity), the rest falls on market generators. Where the
/// scenario replaces that reading, or gives the audit no energy clearing to compute the lost
/// opportunity from, users' charges rest on the scenario's claim.
fn allocation_claim(scenario: &Scenario) -> Option<String> {
    use crate::scenario::config::UserBorne;
    let c = &scenario.config;
    if c.spot_market != SpotMarket::Continuous {
        return None;
    }
    let mut claims = Vec::new();
    if c.allocation.user_borne == UserBorne::All {
        claims.push("[allocation] user_borne = \"all\": users bear the whole FR and reserve pool, not only the lost opportunity");
    } else if scenario.energy_offers.is_empty() {
        claims.push("no energy is cleared (no energy_offers.csv), so the lost opportunity cannot be computed and the whole FR and reserve pool is taken as user-borne");
    } else if c.allocation.other_costs == OtherCosts::UsersAndNonMarket {
        claims.push("[allocation] other_costs = \"users_and_non_market\": users and non-market generation bear the other costs too");
    }
    (!claims.is_empty()).then(|| claims.join("; "))
}

/// The price an award of `product` is paid at, by (interval, unit index), from clearing.csv:
/// its unit's zone's row where clearing.csv has one for the interval (a zonal minimum), else
/// the system-wide row. The zone of a unit is read from the scenario (its bus in units.csv,
/// the bus's zone in buses.csv), not from the clearing code.
fn price_paid<'a>(
    scenario: &'a Scenario,
    results: &'a Results,
    product: &'static str,
) -> impl Fn(usize, usize) -> Decimal + 'a {
    let mut system: HashMap<usize, Decimal> = HashMap::new();
    let mut zonal: HashMap<(usize, &str), Decimal> = HashMap::new();
    for r in results.clearing.iter().filter(|r| r.product == product) {
        if r.zone.is_empty() {
            system.insert(r.interval, r.price);
        } else {
            zonal.insert((r.interval, r.zone.as_str()), r.price);
        }
    }
    move |interval, unit| {
        scenario
            .network
            .as_ref()
            .and_then(|n| zonal.get(&(interval, n.zones[n.unit_zone(unit)].as_str())))
            .or_else(|| system.get(&interval))
            .copied()
            .unwrap_or_default()
    }
}

/// Where `product` is awarded but no actual is metered at all (no actuals.csv, or one with no
/// value in it), every award is settled as if held or delivered in full: the claim a fee check
/// then rests on (notice 196 §四(五) settles reserve on the actual where lower; a peak fee is
/// paid on the delivered reduction). An actuals.csv with values lists where delivery fell
/// short, and a unit and interval it leaves out delivered as awarded.
fn no_actuals_claim(scenario: &Scenario, results: &Results, product: &str) -> Option<String> {
    let a = &scenario.actuals;
    (a.reserve_available_mw.is_empty()
        && a.peak_delivered_mw.is_empty()
        && awarded(scenario, results, product).next().is_some())
    .then(|| {
        format!(
            "no actuals metered (no actuals.csv, or one with no value): {product} delivery taken as awarded"
        )
    })
}

/// The results' awards of `product` with MW cleared, with their unit's index (an award of a
/// unit the scenario does not know is left out here).
fn awarded<'a>(
    scenario: &'a Scenario,
    results: &'a Results,
    product: &'a str,
) -> impl Iterator<Item = (usize, &'a results::Award)> + 'a {
    results
        .awards
        .iter()
        .filter(move |a| a.product == product && a.cleared_mw > Decimal::ZERO)
        .filter_map(|a| scenario.fleet.get(&a.unit).map(|u| (u, a)))
}

/// Every clearing price and every award's paid price of `product` above `limit`: a price paid
/// above the cap breaks the cap whatever clearing.csv says.
fn prices_above(
    results: &Results,
    product: &str,
    limit: Decimal,
    name: &str,
    label: &dyn Fn(usize) -> String,
) -> Vec<String> {
    let clearing = results
        .clearing
        .iter()
        .filter(|r| r.product == product && r.price > limit)
        .map(|r| {
            format!(
                "{} {name} price {} > {limit} (clearing.csv line {})",
                label(r.interval),
                r.price,
                r.line
            )
        });
    let awards = results
        .awards
        .iter()
        .filter(|a| a.product == product && a.paid_price > limit)
        .map(|a| {
            format!(
                "{} unit {} paid {} > {limit} for {name} (awards.csv line {})",
                label(a.interval),
                a.unit,
                a.paid_price,
                a.line
            )
        });
    clearing.chain(awards).collect()
}

/// Compares recomputed exact fees, rounded per (day, unit), with the compensation rows.
fn fee_offences(
    clause: &'static str,
    rule: &'static str,
    product: &str,
    want: BTreeMap<(String, String), Decimal>,
    results: &Results,
) -> Check {
    let got: BTreeMap<(String, String), (Decimal, u64)> = results
        .settlement
        .iter()
        .filter(|s| s.product == product && s.item == "compensation")
        .map(|s| ((s.day.clone(), s.party.clone()), (s.amount, s.line)))
        .collect();
    let mut offences = Vec::new();
    for (key, exact) in &want {
        let w = Yuan::round_to_fen(*exact).0;
        match got.get(key) {
            Some((g, _)) if *g == w => {}
            Some((g, line)) => offences.push(format!(
                "{} on {}: paid {}, the formula gives {} (settlement.csv line {line})",
                key.1,
                key.0,
                Yuan(*g),
                Yuan(w)
            )),
            None if w.is_zero() => {}
            None => offences.push(format!(
                "{} on {}: no compensation row, the formula gives {}",
                key.1,
                key.0,
                Yuan(w)
            )),
        }
    }
    for (key, (g, line)) in &got {
        if !want.contains_key(key) && !g.is_zero() {
            offences.push(format!(
                "{} on {}: paid {} with no award to pay for (settlement.csv line {line})",
                key.1,
                key.0,
                Yuan(*g)
            ));
        }
    }
    verdict(
        clause,
        rule,
        offences,
        format!(
            "{} day-unit fees recomputed, all equal to the fen",
            want.len()
        ),
    )
}

/// A check's detail with the claim it rests on, as audit.csv and the table show it.
fn detail_with_claim(c: &Check) -> String {
    match &c.claim {
        Some(claim) => format!("rests on the scenario's claim: {claim}; {}", c.detail),
        None => c.detail.clone(),
    }
}

/// The count of checks with `status`.
fn count(checks: &[Check], status: Status) -> usize {
    checks.iter().filter(|c| c.status == status).count()
}

/// `audit.csv`: `clause, rule, status, detail, basis`; an unverified check's detail starts
/// with the claim it rests on.
pub fn to_csv(checks: &[Check]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["clause", "rule", "status", "detail", "basis"])
        .expect("memory");
    for c in checks {
        w.write_record([
            c.clause,
            c.rule,
            c.status.as_str(),
            &detail_with_claim(c),
            c.basis().as_str(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// `audit.json`.
pub fn to_json(scenario: &Scenario, checks: &[Check]) -> Vec<u8> {
    let v = json!({
        "program": "ancillary",
        "rules": crate::output::RULES,
        "scenario": scenario.config.name,
        "input_digest": format!("sha256:{}", scenario.input_digest),
        "failed": count(checks, Status::Fail),
        "summary": {
            "checks": checks.len(),
            "pass": count(checks, Status::Pass),
            "fail": count(checks, Status::Fail),
            "unverified": count(checks, Status::Unverified),
            "n/a": count(checks, Status::NotApplicable),
            "exit_status": exit_status(checks, false),
            "exit_status_accepting_unverified": exit_status(checks, true),
            "exit_meaning": EXIT_MEANING,
        },
        "checks": checks.iter().map(|c| json!({"clause": c.clause, "rule": c.rule, "status": c.status.as_str(), "detail": c.detail, "claim": c.claim, "basis": c.basis().as_str()})).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&v).expect("json");
    out.push(b'\n');
    out
}

/// The table printed on a terminal: one line a check, failures marked.
pub fn to_table(checks: &[Check]) -> String {
    let rows: Vec<[String; 5]> = checks
        .iter()
        .map(|c| {
            [
                c.clause.to_string(),
                c.status.as_str().to_uppercase(),
                c.basis().as_str().to_string(),
                c.rule.to_string(),
                detail_with_claim(c),
            ]
        })
        .collect();
    let header = ["clause", "status", "basis", "rule", "detail"].map(String::from);
    // Each column as wide as its widest cell, as a terminal shows it (Chinese characters take
    // two columns); the detail, last, is not padded.
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        for (cell, w) in row.iter().zip(widths) {
            out.push_str(cell);
            out.push_str(&" ".repeat(w - display_width(cell) + 2));
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    out += &format!(
        "{} checks: {} pass, {} fail, {} unverified, {} n/a\n",
        checks.len(),
        count(checks, Status::Pass),
        count(checks, Status::Fail),
        count(checks, Status::Unverified),
        count(checks, Status::NotApplicable),
    );
    out
}

/// Columns a terminal gives `s`: two for East Asian wide characters (CJK ideographs, kana,
/// hangul, full-width forms), one for the rest (`≤`, `×`, `§` are narrow).
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// What `ancillary audit` does: audits `scenario_dir` against the results in `results_dir`, or
/// against a fresh run when none is given. A scenario the rules refuse (a peak market under
/// continuous spot) is audited with no results, and fails the rule that refuses it.
pub fn audit_dir(
    scenario_dir: &std::path::Path,
    results_dir: Option<&std::path::Path>,
) -> Result<(Scenario, Vec<Check>), InputError> {
    let scenario = crate::scenario::load(scenario_dir)?;
    // The results' tables read as CSV, whichever format they were written in; the re-run is
    // rendered as CSV listing the files in that format, so that it compares the same.
    let (files, format) = match results_dir {
        Some(dir) => {
            let (files, format) = results::read_dir_as_csv(dir)?;
            (Some(files), format)
        }
        None => (None, crate::output::Format::Csv),
    };
    let rerun = match crate::run::run(&scenario) {
        Ok(r) => crate::output::render_listed(&scenario, &r, format),
        Err(e) if e.kind == crate::error::ErrorKind::Refused => BTreeMap::new(),
        Err(e) => return Err(e),
    };
    let files = files.unwrap_or_else(|| rerun.clone());
    let results = if files.is_empty() {
        Results::default()
    } else {
        results::parse(files, &scenario.horizon)?
    };
    let checks = audit(&scenario, &results, &rerun)?;
    Ok((scenario, checks))
}

#[cfg(test)]
mod table_tests {
    use super::display_width;

    /// 二(一): 二 and 一 wide (2 each), the parentheses narrow: 6. `≤ 15` is 4 narrow columns.
    #[test]
    fn display_width_counts_wide_characters_twice() {
        assert_eq!(display_width("二(一)"), 6);
        assert_eq!(display_width("六(十一)"), 8);
        assert_eq!(display_width("≤ 15"), 4);
        assert_eq!(display_width("（"), 2);
    }
}
