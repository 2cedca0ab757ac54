//! Outputs: the run's rows rendered as the contract's CSV files and `summary.json`, in memory
//! first, then written all at once (see [`dir`]).

pub mod dir;
pub mod names;
pub mod report;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::product::Product;
use crate::run::RunResult;
use crate::scenario::Scenario;

/// Version of the rules implemented, written into every summary.
pub const RULES: &str = "notice 196 (发改价格〔2024〕196号), effective 2024-03-01";

/// `basis` column value: whether the run stayed within the notice's limits.
pub fn basis(result: &RunResult) -> &'static str {
    if result.within_notice {
        "notice-196"
    } else {
        "outside-notice-196"
    }
}

/// A decimal as written in outputs: no trailing zeros, no `-0`.
pub fn num(d: Decimal) -> String {
    if d.is_zero() {
        "0".to_string()
    } else {
        d.normalize().to_string()
    }
}

fn opt_num(d: Option<Decimal>) -> String {
    d.map(num).unwrap_or_default()
}

/// A small CSV builder over `csv::Writer` (quoting handled there).
struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(header).expect("writing to memory");
        Csv(w)
    }
    fn row<I: IntoIterator<Item = String>>(&mut self, cells: I) {
        self.0
            .write_record(cells.into_iter().collect::<Vec<_>>())
            .expect("writing to memory");
    }
    fn bytes(self) -> Vec<u8> {
        self.0.into_inner().expect("writing to memory")
    }
}

/// Every output file, name → bytes, in a fixed order.
pub fn render(scenario: &Scenario, result: &RunResult) -> BTreeMap<String, Vec<u8>> {
    let h = &scenario.horizon;
    // Every interval's label once: formatting times is the hottest part of writing outputs.
    let labels: Vec<String> = (0..h.intervals).map(|i| h.label(i)).collect();
    let units = &scenario.fleet.units;
    let basis = basis(result);
    let mut files = BTreeMap::new();

    let mut c = Csv::new(&[
        "time",
        "product",
        "requirement_mw",
        "cleared_mw",
        "shortfall_mw",
        "price",
        "price_unit",
        "marginal_unit",
        "basis",
    ]);
    for r in &result.clearing {
        let marginal: Vec<&str> = r
            .marginal_units
            .iter()
            .map(|&u| units[u].id.as_str())
            .collect();
        c.row([
            labels[r.interval].clone(),
            r.product.as_str().into(),
            num(r.requirement_mw),
            num(r.cleared_mw),
            num(r.shortfall_mw),
            num(r.price),
            r.product.price_unit().into(),
            marginal.join(";"),
            basis.into(),
        ]);
    }
    files.insert("clearing.csv".into(), c.bytes());

    let mut c = Csv::new(&[
        "time",
        "product",
        "unit",
        "offered_mw",
        "cleared_mw",
        "offer_price",
        "ranking_price",
        "band",
        "performance_factor",
        "paid_price",
    ]);
    for a in &result.awards {
        c.row([
            labels[a.interval].clone(),
            a.product.as_str().into(),
            units[a.unit].id.clone(),
            num(a.offered_mw),
            num(a.cleared_mw),
            num(a.offer_price),
            num(a.ranking_price),
            a.band.map(|b| b.to_string()).unwrap_or_default(),
            opt_num(a.performance_factor),
            num(a.paid_price),
        ]);
    }
    files.insert("awards.csv".into(), c.bytes());

    let mut c = Csv::new(&[
        "day",
        "party",
        "product",
        "item",
        "quantity",
        "quantity_unit",
        "amount_yuan",
        "basis",
    ]);
    for s in &result.settlement {
        c.row([
            s.day.to_string(),
            s.party.clone(),
            s.product.as_str().into(),
            s.item.as_str().into(),
            num(s.quantity),
            s.quantity_unit.into(),
            s.amount.to_string(),
            basis.into(),
        ]);
    }
    files.insert("settlement.csv".into(), c.bytes());

    let monthly = crate::settlement::statement::monthly(&result.settlement);
    let mut c = Csv::new(&[
        "month",
        "party",
        "product",
        "compensation_yuan",
        "allocation_yuan",
        "penalty_yuan",
        "net_yuan",
    ]);
    for m in &monthly {
        c.row([
            m.month.clone(),
            m.party.clone(),
            m.product.as_str().into(),
            m.compensation.to_string(),
            m.allocation.to_string(),
            m.penalty.to_string(),
            m.net().to_string(),
        ]);
    }
    files.insert("statement_monthly.csv".into(), c.bytes());
    render_statements(&mut files, result, &monthly);

    let screens = crate::market_power::screens(scenario, &result.clearing, &result.awards);
    if !screens.is_empty() {
        let mut c = Csv::new(&[
            "time",
            "product",
            "owner",
            "offered_mw",
            "cleared_mw",
            "rsi",
            "pivotal",
            "three_pivotal_fail",
            "hhi",
            "sets_price",
            "pivotal_sets_price",
        ]);
        for s in &screens {
            c.row([
                labels[s.interval].clone(),
                s.product.as_str().into(),
                s.owner.clone(),
                num(s.offered_mw),
                num(s.cleared_mw),
                num(s.rsi),
                s.pivotal.to_string(),
                s.three_pivotal_fail.to_string(),
                num(s.hhi),
                s.sets_price.to_string(),
                s.pivotal_sets_price().to_string(),
            ]);
        }
        files.insert("market_power.csv".into(), c.bytes());
    }

    let mut c = Csv::new(&["unit", "product", "start", "end", "reason"]);
    for r in &result.rejected {
        c.row([
            units[r.unit].id.clone(),
            r.product.as_str().into(),
            r.start.clone(),
            r.end.clone(),
            r.reason.clone(),
        ]);
    }
    files.insert("rejected_offers.csv".into(), c.bytes());

    if !result.factors.is_empty() {
        let mut c = Csv::new(&[
            "day",
            "unit",
            "basis",
            "k_rate",
            "k_precision",
            "k_response",
            "k_uncapped",
            "performance_factor",
        ]);
        for f in &result.factors {
            let six = |d: Decimal| num(d.round_dp(6));
            c.row([
                f.day.to_string(),
                units[f.unit].id.clone(),
                f.basis.into(),
                six(f.factor.k_rate),
                six(f.factor.k_precision),
                six(f.factor.k_response),
                num(f.factor.uncapped),
                num(f.factor.k),
            ]);
        }
        files.insert("performance_factors.csv".into(), c.bytes());
    }

    if !result.storage.is_empty() {
        let mut c = Csv::new(&["time", "unit", "charge_mw", "discharge_mw", "soc_mwh"]);
        let mut rows: Vec<_> = result.storage.iter().collect();
        rows.sort_by_key(|s| (s.interval, units[s.unit].id.as_str()));
        for s in rows {
            c.row([
                labels[s.interval].clone(),
                units[s.unit].id.clone(),
                num(s.charge_mw),
                num(s.discharge_mw),
                num(s.soc_mwh),
            ]);
        }
        files.insert("storage.csv".into(), c.bytes());
    }

    let mut summary = serde_json::to_vec_pretty(&summary(scenario, result, &files)).expect("json");
    summary.push(b'\n');
    files.insert("summary.json".into(), summary);
    files
}

/// `statements/PARTY.csv`: each party's own statement, every item on its own line — the
/// daily rows, then per month and product each item's total and the net.
fn render_statements(
    files: &mut BTreeMap<String, Vec<u8>>,
    result: &RunResult,
    monthly: &[crate::settlement::statement::MonthlyRow],
) {
    let mut parties: Vec<&str> = result.settlement.iter().map(|r| r.party.as_str()).collect();
    parties.sort_unstable();
    parties.dedup();
    if parties.is_empty() {
        return;
    }
    let names = names::statement_files(&parties);
    let mut index = Csv::new(&["party", "file"]);
    for (party, file) in parties.iter().zip(&names) {
        let mut c = Csv::new(&[
            "period",
            "product",
            "item",
            "quantity",
            "quantity_unit",
            "amount_yuan",
        ]);
        for r in result.settlement.iter().filter(|r| r.party == *party) {
            c.row([
                r.day.to_string(),
                r.product.as_str().into(),
                r.item.as_str().into(),
                num(r.quantity),
                r.quantity_unit.into(),
                r.amount.to_string(),
            ]);
        }
        for m in monthly.iter().filter(|m| m.party == *party) {
            for (item, amount) in [
                ("compensation", m.compensation),
                ("allocation", m.allocation),
                ("penalty", m.penalty),
                ("net", m.net()),
            ] {
                c.row([
                    m.month.clone(),
                    m.product.as_str().into(),
                    item.into(),
                    String::new(),
                    String::new(),
                    amount.to_string(),
                ]);
            }
        }
        files.insert(format!("statements/{file}"), c.bytes());
        index.row([party.to_string(), format!("statements/{file}")]);
    }
    files.insert("statements/index.csv".into(), index.bytes());
}

fn product_totals(result: &RunResult, product: Product) -> Value {
    let rows: Vec<_> = result
        .clearing
        .iter()
        .filter(|r| r.product == product)
        .collect();
    let n = Decimal::from(rows.len().max(1));
    json!({
        "intervals": rows.len(),
        "intervals_with_shortfall": rows.iter().filter(|r| r.shortfall_mw > Decimal::ZERO).count(),
        "mean_requirement_mw": num((rows.iter().map(|r| r.requirement_mw).sum::<Decimal>() / n).round_dp(3)),
        "mean_cleared_mw": num((rows.iter().map(|r| r.cleared_mw).sum::<Decimal>() / n).round_dp(3)),
        "max_price": num(rows.iter().map(|r| r.price).max().unwrap_or_default()),
        "price_unit": product.price_unit(),
        "compensation_yuan": crate::run::total_item(result, product, crate::settlement::Item::Compensation).to_string(),
        "penalty_yuan": crate::run::total_item(result, product, crate::settlement::Item::Penalty).to_string(),
        "allocation_yuan": crate::run::total_item(result, product, crate::settlement::Item::Allocation).to_string(),
        "rejected_offers": result.rejected.iter().filter(|r| r.product == product).count(),
    })
}

fn summary(scenario: &Scenario, result: &RunResult, files: &BTreeMap<String, Vec<u8>>) -> Value {
    let c = &scenario.config;
    let mut products = serde_json::Map::new();
    for p in [
        Product::Fr,
        Product::Peak,
        Product::Reserve,
        Product::Energy,
    ] {
        if result.clearing.iter().any(|r| r.product == p) {
            products.insert(p.as_str().into(), product_totals(result, p));
        }
    }
    let caps = &result.caps;
    let mut names: Vec<&str> = files.keys().map(String::as_str).collect();
    names.push("summary.json");
    json!({
        "program": "ancillary",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": RULES,
        "basis": basis(result),
        "scenario": {
            "name": c.name,
            "province": c.province,
            "spot_market": match c.spot_market {
                crate::scenario::config::SpotMarket::None => "none",
                crate::scenario::config::SpotMarket::Continuous => "continuous",
            },
            "start": scenario.horizon.label(0),
            "intervals": scenario.horizon.intervals,
            "interval_minutes": scenario.horizon.interval_minutes,
        },
        "input_digest": format!("sha256:{}", scenario.input_digest),
        "engine": result.engine,
        "objective": format!("{:.2}", result.objective),
        "caps": {
            "fr_mileage_price_yuan_per_mw": num(caps.fr_mileage_price_yuan_per_mw),
            "performance_factor": num(caps.performance_factor),
            "peak_price_yuan_per_mwh": caps.peak_price_yuan_per_mwh.map(num),
            "reserve_price_yuan_per_mwh": num(caps.reserve_price_yuan_per_mwh),
            "energy_market_price_cap_yuan_per_mwh": num(caps.energy_market_price_cap_yuan_per_mwh),
        },
        "fr_benchmark": result.benchmark.as_ref().map(|b| json!({
            "source": b.source,
            "rate_pct_per_min": num(b.params.rate_pct_per_min),
            "precision_pct": num(b.params.precision_pct),
            "response_s": num(b.params.response_s),
        })),
        "products": products,
        "warnings": result.warnings,
        "files": names,
    })
}
