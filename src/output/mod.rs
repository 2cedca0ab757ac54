//! Outputs: the run's rows rendered as the contract's CSV files and `summary.json`, in memory
//! first, then written all at once (see [`dir`]).

pub mod dictionary;
pub mod dir;
pub mod names;
pub mod parquet;
pub mod report;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use parquet::Format;

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
    let mut out = Vec::with_capacity(24);
    write_num(&mut out, d);
    String::from_utf8(out).expect("digits, sign and point are ASCII")
}

/// Appends [`num`]'s text to `out` without allocating: a year of awards is twenty million rows
/// of five numbers each, and `Decimal`'s `Display` dominated writing them.
pub fn write_num(out: &mut Vec<u8>, d: Decimal) {
    if d.is_zero() {
        out.push(b'0');
        return;
    }
    let mantissa = d.mantissa();
    if mantissa < 0 {
        out.push(b'-');
    }
    let mut buffer = itoa::Buffer::new();
    // Almost every quantity fits in 64 bits, where formatting is twice as fast.
    let digits = match u64::try_from(mantissa.unsigned_abs()) {
        Ok(small) => buffer.format(small),
        Err(_) => buffer.format(mantissa.unsigned_abs()),
    }
    .as_bytes();
    let scale = d.scale() as usize;
    // Trailing zeros of the fraction are dropped here rather than by `normalize` (a division
    // per zero).
    let zeros = digits[digits.len().saturating_sub(scale)..]
        .iter()
        .rev()
        .take_while(|&&b| b == b'0')
        .count();
    let (digits, scale) = (&digits[..digits.len() - zeros], scale - zeros);
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits);
    }
}

/// A cell CSV must quote: one holding a comma, a quote or a line break.
fn needs_quoting(cell: &str) -> bool {
    cell.bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// A small CSV builder. Cells go straight into the output, separated by commas, so a row
/// costs no allocation; a row whose text cells hold a comma, quote or line break (numbers
/// never do) is rewritten through `csv::Writer` for its quoting.
struct Csv {
    out: Vec<u8>,
    /// Where the row being built starts in `out`, and its cells' ends.
    row_start: usize,
    ends: Vec<usize>,
    needs_quoting: bool,
}

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut c = Csv::headless();
        for column in header {
            c.text(column);
        }
        c.end();
        c
    }
    /// Rows only: a chunk of a file whose header is written once elsewhere.
    fn headless() -> Csv {
        Csv::with_capacity(0)
    }
    fn with_capacity(bytes: usize) -> Csv {
        Csv {
            out: Vec::with_capacity(bytes),
            row_start: 0,
            ends: Vec::new(),
            needs_quoting: false,
        }
    }
    fn row<I: IntoIterator<Item = String>>(&mut self, cells: I) {
        for cell in cells {
            self.text(&cell);
        }
        self.end();
    }
    fn separate(&mut self) {
        if !self.ends.is_empty() {
            self.out.push(b',');
        }
    }
    fn text(&mut self, cell: &str) -> &mut Csv {
        self.separate();
        self.needs_quoting |= needs_quoting(cell);
        self.out.extend_from_slice(cell.as_bytes());
        self.ends.push(self.out.len());
        self
    }
    /// A cell the caller knows holds no comma, quote or line break (times, product names,
    /// checked ids): no scan.
    fn plain(&mut self, cell: &str) -> &mut Csv {
        self.separate();
        self.out.extend_from_slice(cell.as_bytes());
        self.ends.push(self.out.len());
        self
    }
    fn num(&mut self, d: Decimal) -> &mut Csv {
        self.separate();
        write_num(&mut self.out, d);
        self.ends.push(self.out.len());
        self
    }
    fn opt_num(&mut self, d: Option<Decimal>) -> &mut Csv {
        self.separate();
        if let Some(d) = d {
            write_num(&mut self.out, d);
        }
        self.ends.push(self.out.len());
        self
    }
    fn end(&mut self) {
        // A row of one empty cell is quoted too, so that it is not read as a blank line.
        if self.needs_quoting || self.ends.len() == 1 {
            let row = self.out.split_off(self.row_start);
            let mut start = 0;
            let fields = self.ends.iter().map(|&end| {
                let field = &row[start..end - self.row_start];
                start = end - self.row_start + 1;
                field
            });
            let mut w = csv::Writer::from_writer(std::mem::take(&mut self.out));
            w.write_record(fields).expect("writing to memory");
            self.out = w.into_inner().expect("writing to memory");
        } else {
            self.out.push(b'\n');
        }
        self.row_start = self.out.len();
        self.ends.clear();
        self.needs_quoting = false;
    }
    fn bytes(self) -> Vec<u8> {
        self.out
    }
}

/// Headers of the files written row by row (a streamed run writes them chunk by chunk).
pub const CLEARING: (&str, &[&str]) = (
    "clearing.csv",
    &[
        "time",
        "product",
        "zone",
        "requirement_mw",
        "cleared_mw",
        "shortfall_mw",
        "price",
        "price_unit",
        "marginal_unit",
        "basis",
    ],
);
pub const AWARDS: (&str, &[&str]) = (
    "awards.csv",
    &[
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
    ],
);
pub const MARKET_POWER: (&str, &[&str]) = (
    "market_power.csv",
    &[
        "time",
        "product",
        "zone",
        "owner",
        "offered_mw",
        "cleared_mw",
        "rsi",
        "pivotal",
        "three_pivotal_fail",
        "hhi",
        "sets_price",
        "pivotal_sets_price",
    ],
);
pub const PERFORMANCE_FACTORS: (&str, &[&str]) = (
    "performance_factors.csv",
    &[
        "day",
        "unit",
        "basis",
        "k_rate",
        "k_precision",
        "k_response",
        "k_uncapped",
        "performance_factor",
    ],
);
pub const STORAGE: (&str, &[&str]) = (
    "storage.csv",
    &["time", "unit", "charge_mw", "discharge_mw", "soc_mwh"],
);

pub const NODAL_PRICES: (&str, &[&str]) = (
    "nodal_prices.csv",
    &["time", "bus", "price", "energy", "congestion", "at_cap"],
);
pub const FLOWS: (&str, &[&str]) = (
    "flows.csv",
    &["time", "line", "flow_mw", "limit_mw", "shadow_price"],
);

pub const STATEMENT_MONTHLY: (&str, &[&str]) = (
    "statement_monthly.csv",
    &[
        "month",
        "party",
        "product",
        "compensation_yuan",
        "allocation_yuan",
        "penalty_yuan",
        "net_yuan",
        "compensation_lost_opportunity_yuan",
        "allocation_lost_opportunity_yuan",
    ],
);

/// The files written row by row, in the order they are listed in the summary. A file with no
/// rows in the whole run is not written (except clearing and awards, always present).
pub const ROW_FILES: [(&str, &[&str]); 7] = [
    CLEARING,
    AWARDS,
    MARKET_POWER,
    PERFORMANCE_FACTORS,
    STORAGE,
    NODAL_PRICES,
    FLOWS,
];

/// Every file `ancillary run` can write into its output folder, with what it holds: the help
/// of `run` is made from this list, and tests check that runs write nothing else and that the
/// docs/outputs.md lists the same files. `statements/` stands for the files under it.
pub const RUN_FILES: [(&str, &str); 14] = [
    (
        CLEARING.0,
        "per interval and product: requirement, cleared MW, shortfall, price, marginal unit(s)",
    ),
    (
        AWARDS.0,
        "per interval, product and offer: offered and cleared MW, prices, K, price paid",
    ),
    (
        "settlement.csv",
        "per day, party, product and item: quantity and amount in yuan, to the fen",
    ),
    (
        "rejected_offers.csv",
        "each refused offer row and the clause that refused it",
    ),
    (
        PERFORMANCE_FACTORS.0,
        "with FR: per day and unit, K and its three parts",
    ),
    (
        STATEMENT_MONTHLY.0,
        "per month, party and product: compensation, allocation, penalty and net",
    ),
    (
        "statements/",
        "each party's own statement, PARTY.csv, and index.csv mapping parties to files",
    ),
    (
        MARKET_POWER.0,
        "per interval, product and owner: RSI, pivotal, three-pivotal test, HHI",
    ),
    (
        STORAGE.0,
        "with storage in joint clearing: charge, discharge, state of charge",
    ),
    (
        NODAL_PRICES.0,
        "with a network and joint clearing: per interval and bus, price = energy + congestion",
    ),
    (
        FLOWS.0,
        "with a network and joint clearing: per interval and line, flow, limit, shadow price",
    ),
    (
        "report.html",
        "with --report: plots, statements and the audit on one page",
    ),
    (
        "summary.json",
        "totals, caps, FR benchmark, input digest, rules, version, warnings",
    ),
    (
        dir::MANIFEST,
        "every file above and its SHA-256 (check a copy with sha256sum -c)",
    ),
];

/// Whether row file `k` of [`ROW_FILES`] is written, given rows for it: clearing and awards
/// always, the others only with rows.
pub fn writes_row_file(k: usize, rows: &[u8]) -> bool {
    k < 2 || !rows.is_empty()
}

/// Every interval's label once: formatting times is the hottest part of writing outputs.
pub fn labels(scenario: &Scenario) -> Vec<String> {
    let h = &scenario.horizon;
    (0..h.intervals).map(|i| h.label(i)).collect()
}

/// The rows a run (or a chunk of one) adds to each of [`ROW_FILES`], without headers, in the
/// same order.
pub fn render_rows(scenario: &Scenario, result: &RunResult, labels: &[String]) -> [Vec<u8>; 7] {
    let units = &scenario.fleet.units;
    let basis = basis(result);

    let mut c = Csv::headless();
    for r in &result.clearing {
        let marginal: Vec<&str> = r
            .marginal_units
            .iter()
            .map(|&u| units[u].id.as_str())
            .collect();
        // A zonal minimum's row names its zone; the system-wide row leaves it empty.
        let zone = match (r.zone, &scenario.network) {
            (Some(z), Some(network)) => network.zones[z].as_str(),
            _ => "",
        };
        c.text(&labels[r.interval])
            .text(r.product.as_str())
            .text(zone)
            .num(r.requirement_mw)
            .num(r.cleared_mw)
            .num(r.shortfall_mw)
            .num(r.price)
            .text(r.product.price_unit())
            .text(&marginal.join(";"))
            .text(basis)
            .end();
    }
    let clearing = c.bytes();

    // About 60 bytes a row: reserved once rather than grown by copying.
    let mut c = Csv::with_capacity(result.awards.len() * 64);
    let mut band = itoa::Buffer::new();
    let plain_ids = units.iter().all(|u| !needs_quoting(&u.id));
    for a in &result.awards {
        c.plain(&labels[a.interval]).plain(a.product.as_str());
        if plain_ids {
            c.plain(&units[a.unit].id);
        } else {
            c.text(&units[a.unit].id);
        }
        c.num(a.offered_mw)
            .num(a.cleared_mw)
            .num(a.offer_price)
            .num(a.ranking_price)
            .plain(a.band.map_or("", |b| band.format(b)))
            .opt_num(a.performance_factor)
            .num(a.paid_price)
            .end();
    }
    let awards = c.bytes();

    let mut c = Csv::headless();
    for s in crate::market_power::screens(scenario, &result.clearing, &result.awards) {
        let zone = match (s.zone, &scenario.network) {
            (Some(z), Some(n)) => n.zones[z].as_str(),
            _ => "",
        };
        c.text(&labels[s.interval])
            .text(s.product.as_str())
            .text(zone)
            .text(&s.owner)
            .num(s.offered_mw)
            .num(s.cleared_mw)
            .opt_num(s.rsi)
            .text(if s.pivotal { "true" } else { "false" })
            .text(if s.three_pivotal_fail {
                "true"
            } else {
                "false"
            })
            .num(s.hhi)
            .text(if s.sets_price { "true" } else { "false" })
            .text(if s.pivotal_sets_price() {
                "true"
            } else {
                "false"
            })
            .end();
    }
    let market_power = c.bytes();

    let mut c = Csv::headless();
    for f in &result.factors {
        let six = |d: Decimal| d.round_dp(6);
        let exact = |i: usize, d: Decimal| (!f.factor.out_of_range[i]).then(|| six(d));
        c.text(&f.day.to_string())
            .text(&units[f.unit].id)
            .text(f.basis)
            // A part outside the decimal range is not the real ratio: written empty (and
            // warned about), never as the ceiling it saturated at.
            .opt_num(exact(0, f.factor.k_rate))
            .opt_num(exact(1, f.factor.k_precision))
            .opt_num(exact(2, f.factor.k_response))
            .opt_num((!f.factor.inexact()).then_some(f.factor.uncapped))
            .num(f.factor.k)
            .end();
    }
    let factors = c.bytes();

    let mut c = Csv::headless();
    let mut rows: Vec<_> = result.storage.iter().collect();
    rows.sort_by_key(|s| (s.interval, units[s.unit].id.as_str()));
    for s in rows {
        c.text(&labels[s.interval])
            .text(&units[s.unit].id)
            .num(s.charge_mw)
            .num(s.discharge_mw)
            .num(s.soc_mwh)
            .end();
    }
    let storage = c.bytes();

    let mut c = Csv::headless();
    if let Some(network) = &scenario.network {
        for n in &result.nodal {
            c.text(&labels[n.interval])
                .text(&network.buses[n.bus].id)
                .num(n.price)
                .num(n.energy)
                .num(n.price - n.energy)
                .text(if n.at_cap { "true" } else { "false" })
                .end();
        }
    }
    let nodal = c.bytes();

    let mut c = Csv::headless();
    if let Some(network) = &scenario.network {
        for f in &result.flows {
            let line = &network.lines[f.line];
            c.text(&labels[f.interval])
                .text(&line.id)
                .num(f.flow_mw)
                .opt_num(line.limit_mw)
                .num(f.shadow_price)
                .end();
        }
    }
    let flows = c.bytes();

    [
        clearing,
        awards,
        market_power,
        factors,
        storage,
        nodal,
        flows,
    ]
}

/// A header line as the CSV writer writes it.
pub fn header(columns: &[&str]) -> Vec<u8> {
    Csv::new(columns).bytes()
}

/// Per-product figures of `summary.json`, added up chunk by chunk so that a streamed run
/// keeps no clearing rows.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    by_product: BTreeMap<Product, ProductTotals>,
}

#[derive(Debug, Clone, Default)]
struct ProductTotals {
    intervals: usize,
    with_shortfall: usize,
    requirement_mw: Decimal,
    cleared_mw: Decimal,
    max_price: Decimal,
}

impl Totals {
    /// Adds the system-wide rows (a zone's row is a minimum within its product's market).
    pub fn add(&mut self, clearing: &[crate::outcome::ClearingRow]) {
        for r in clearing.iter().filter(|r| r.zone.is_none()) {
            let t = self.by_product.entry(r.product).or_default();
            t.intervals += 1;
            t.with_shortfall += usize::from(r.shortfall_mw > Decimal::ZERO);
            t.requirement_mw += r.requirement_mw;
            t.cleared_mw += r.cleared_mw;
            t.max_price = t.max_price.max(r.price);
        }
    }
}

/// Every output file, name → bytes, in a fixed order.
pub fn render(scenario: &Scenario, result: &RunResult) -> BTreeMap<String, Vec<u8>> {
    render_listed(scenario, result, Format::Csv)
}

/// [`render`] with the tables in `format`.
pub fn render_as(
    scenario: &Scenario,
    result: &RunResult,
    format: Format,
) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let files = render_listed(scenario, result, format);
    match format {
        Format::Csv => Ok(files),
        Format::Parquet => parquet::convert(files),
    }
}

/// The files as CSV, the summary listing them as they will be written in `format` (what a
/// report is made from before the tables are converted).
pub fn render_listed(
    scenario: &Scenario,
    result: &RunResult,
    format: Format,
) -> BTreeMap<String, Vec<u8>> {
    let labels = labels(scenario);
    let rows = render_rows(scenario, result, &labels);
    let mut files = BTreeMap::new();
    for (k, ((name, columns), body)) in ROW_FILES.iter().zip(rows).enumerate() {
        if writes_row_file(k, &body) {
            let mut bytes = header(columns);
            bytes.extend_from_slice(&body);
            files.insert(name.to_string(), bytes);
        }
    }
    let mut totals = Totals::default();
    totals.add(&result.clearing);
    let row_files: Vec<String> = files
        .keys()
        .map(|name| parquet::file_name(name, format))
        .collect();
    files.extend(render_rest_csv(
        scenario, result, &totals, &row_files, format,
    ));
    files
}

/// The files written once at the end of a run, from its settlement, rejections, totals and
/// warnings: settlement, monthly and per-party statements, rejected offers and the summary.
/// `row_files` names the files already written row by row, for the summary's list.
pub fn render_rest(
    scenario: &Scenario,
    result: &RunResult,
    totals: &Totals,
    row_files: &[String],
) -> BTreeMap<String, Vec<u8>> {
    render_rest_csv(scenario, result, totals, row_files, Format::Csv)
}

/// [`render_rest`] with the tables in `format`.
pub fn render_rest_as(
    scenario: &Scenario,
    result: &RunResult,
    totals: &Totals,
    row_files: &[String],
    format: Format,
) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let files = render_rest_csv(scenario, result, totals, row_files, format);
    match format {
        Format::Csv => Ok(files),
        Format::Parquet => parquet::convert(files),
    }
}

/// [`render_rest`] as CSV, the summary listing the files as written in `format`.
fn render_rest_csv(
    scenario: &Scenario,
    result: &RunResult,
    totals: &Totals,
    row_files: &[String],
    format: Format,
) -> BTreeMap<String, Vec<u8>> {
    let units = &scenario.fleet.units;
    let basis = basis(result);
    let mut files = BTreeMap::new();

    let mut c = Csv::new(&[
        "day",
        "party",
        "product",
        "item",
        "quantity",
        "quantity_unit",
        "amount_yuan",
        "basis",
        "role",
        "lost_opportunity_yuan",
    ]);
    // FR rows rest on mileage synthesised from awards where the scenario gives none: marked,
    // so that no one reads them as metered mileage.
    let fr_basis = match scenario.mileage_source {
        crate::scenario::MileageSource::FromAwards(_) => {
            format!("{basis}{}", crate::scenario::MILEAGE_FROM_AWARDS)
        }
        crate::scenario::MileageSource::Measured => basis.to_string(),
    };
    let fr_row_basis = |s: &crate::settlement::SettlementRow| {
        let mut b = fr_basis.clone();
        if s.no_mileage_metered {
            b += crate::scenario::NO_MILEAGE_METERED;
        }
        if s.mileage_capped {
            b += crate::scenario::MILEAGE_CAPPED;
        }
        b
    };
    for s in &result.settlement {
        c.text(&s.day.to_string())
            .text(&s.party)
            .text(s.product.as_str())
            .text(s.item.as_str())
            .num(s.quantity)
            .text(s.quantity_unit)
            .text(&s.amount.to_string())
            .text(&if s.product == Product::Fr {
                fr_row_basis(s)
            } else {
                basis.to_string()
            })
            .text(s.role.map_or("", |r| r.as_str()))
            .text(&s.lost_opportunity.map_or(String::new(), |y| y.to_string()))
            .end();
    }
    files.insert("settlement.csv".into(), c.bytes());

    let monthly = crate::settlement::statement::monthly(&result.settlement);
    let mut c = Csv::new(STATEMENT_MONTHLY.1);
    for m in &monthly {
        c.row([
            m.month.clone(),
            m.party.clone(),
            m.product.as_str().into(),
            m.compensation.to_string(),
            m.allocation.to_string(),
            m.penalty.to_string(),
            m.net().to_string(),
            m.compensation_lost.map_or(String::new(), |y| y.to_string()),
            m.allocation_lost.map_or(String::new(), |y| y.to_string()),
        ]);
    }
    files.insert(STATEMENT_MONTHLY.0.into(), c.bytes());
    render_statements(&mut files, result, &monthly);

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

    let mut names: Vec<String> = files
        .keys()
        .map(|name| parquet::file_name(name, format))
        .chain(row_files.iter().cloned())
        .collect();
    names.sort_unstable();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut summary =
        serde_json::to_vec_pretty(&summary(scenario, result, totals, names)).expect("json");
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
            "role",
            "lost_opportunity_yuan",
        ]);
        for r in result.settlement.iter().filter(|r| r.party == *party) {
            c.row([
                r.day.to_string(),
                r.product.as_str().into(),
                r.item.as_str().into(),
                num(r.quantity),
                r.quantity_unit.into(),
                r.amount.to_string(),
                r.role.map_or("", |r| r.as_str()).into(),
                r.lost_opportunity.map_or(String::new(), |y| y.to_string()),
            ]);
        }
        for m in monthly.iter().filter(|m| m.party == *party) {
            for (item, amount) in [
                ("compensation", m.compensation),
                ("allocation", m.allocation),
                ("penalty", m.penalty),
                ("net", m.net()),
            ] {
                let lost = match item {
                    "compensation" => m.compensation_lost,
                    "allocation" => m.allocation_lost,
                    _ => None,
                };
                c.row([
                    m.month.clone(),
                    m.product.as_str().into(),
                    item.into(),
                    String::new(),
                    String::new(),
                    amount.to_string(),
                    String::new(),
                    lost.map_or(String::new(), |y| y.to_string()),
                ]);
            }
        }
        files.insert(format!("statements/{file}"), c.bytes());
        index.row([party.to_string(), format!("statements/{file}")]);
    }
    files.insert("statements/index.csv".into(), index.bytes());
}

fn product_totals(result: &RunResult, totals: &Totals, product: Product) -> Value {
    let t = totals.by_product.get(&product).cloned().unwrap_or_default();
    let n = Decimal::from(t.intervals.max(1));
    json!({
        "intervals": t.intervals,
        "intervals_with_shortfall": t.with_shortfall,
        "mean_requirement_mw": num((t.requirement_mw / n).round_dp(3)),
        "mean_cleared_mw": num((t.cleared_mw / n).round_dp(3)),
        "max_price": num(t.max_price),
        "price_unit": product.price_unit(),
        "compensation_yuan": crate::run::total_item(result, product, crate::settlement::Item::Compensation).to_string(),
        "penalty_yuan": crate::run::total_item(result, product, crate::settlement::Item::Penalty).to_string(),
        "allocation_yuan": crate::run::total_item(result, product, crate::settlement::Item::Allocation).to_string(),
        "rejected_offers": result.rejected.iter().filter(|r| r.product == product).count(),
    })
}

fn summary(
    scenario: &Scenario,
    result: &RunResult,
    totals: &Totals,
    mut names: Vec<&str>,
) -> Value {
    let c = &scenario.config;
    let mut products = serde_json::Map::new();
    for p in [
        Product::Fr,
        Product::Peak,
        Product::Reserve,
        Product::Energy,
    ] {
        if totals.by_product.contains_key(&p) {
            products.insert(p.as_str().into(), product_totals(result, totals, p));
        }
    }
    let caps = &result.caps;
    names.push("summary.json");
    let mut summary = json!({
        "program": "ancillary",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": RULES,
        "basis": basis(result),
        "scenario": {
            "name": c.name,
            "province": c.province,
            "spot_market": c.spot_market.as_str(),
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
    });
    // Only for a network cleared by the LP, so a copper plate's summary is as it was.
    if let (Some(rounds), Value::Object(map)) = (&result.rounds_per_day, &mut summary) {
        map.insert(
            "network".into(),
            json!({ "rounds_per_day": rounds, "binding_lines": result.binding_lines }),
        );
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Rows joined as they are, or quoted, read the same as `csv::Writer`'s (the
        /// independent method), whatever the cells hold.
        #[test]
        fn rows_match_csv_writer(rows in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9 .,\"\n\r调峰-]{0,6}", 1..6), 1..5)) {
            let mut ours = Csv::headless();
            let mut theirs = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows {
                ours.row(row.iter().cloned());
                theirs.write_record(row).unwrap();
            }
            prop_assert_eq!(ours.bytes(), theirs.into_inner().unwrap());
        }

        /// The allocation-free writer says what `Decimal`'s own `Display` says of the
        /// normalised value (the independent method), for any mantissa and scale.
        #[test]
        fn write_num_matches_display(lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
                                     negative in any::<bool>(), scale in 0u32..=28) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            let want = if d.is_zero() { "0".to_string() } else { d.normalize().to_string() };
            prop_assert_eq!(num(d), want);
        }
    }

    #[test]
    fn write_num_by_hand() {
        // 0.0500 → "0.05"; -12.300 → "-12.3"; 7 × 10⁰ → "7"; -0 → "0".
        for (d, want) in [
            (Decimal::new(500, 4), "0.05"),
            (Decimal::new(-12300, 3), "-12.3"),
            (Decimal::new(7, 0), "7"),
            (Decimal::new(-0, 2), "0"),
            (Decimal::new(1, 28), "0.0000000000000000000000000001"),
        ] {
            assert_eq!(num(d), want);
        }
    }
}
