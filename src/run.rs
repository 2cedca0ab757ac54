//! One scenario, start to finish: rules → clearing → settlement, as plain data.

use std::collections::HashMap;

use crate::error::InputError;
use crate::outcome::{AwardRow, ClearingRow, FeeLine, Rejection};
use crate::product::Product;
use crate::rules::caps::{self, Caps};
use crate::rules::fr::{self, Benchmark, FactorRow};
use crate::rules::{engine, market, participation, peak, reserve};
use crate::scenario::Scenario;
use crate::scenario::slice::Chunks;
use crate::settlement::{self, SettlementRow};

/// Everything a run produced, ready to be written.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub caps: Caps,
    /// False when caps beyond the notice were used (`enforce_notice_limits = false`).
    pub within_notice: bool,
    pub benchmark: Option<Benchmark>,
    pub clearing: Vec<ClearingRow>,
    pub awards: Vec<AwardRow>,
    pub fees: Vec<FeeLine>,
    pub rejected: Vec<Rejection>,
    pub factors: Vec<FactorRow>,
    pub settlement: Vec<SettlementRow>,
    pub warnings: Vec<String>,
    /// The engine that cleared the run.
    pub engine: &'static str,
    /// The engine's objective: offer cost plus scarcity cost, per hour of intervals.
    pub objective: f64,
    /// Storage schedules (LP with storage).
    pub storage: Vec<crate::clearing::StorageInterval>,
    /// With a network cleared by the LP: nodal prices and line flows per interval.
    pub nodal: Vec<crate::clearing::NodalPrice>,
    pub flows: Vec<crate::clearing::LineFlow>,
    /// With a network cleared by the LP: per day, the dispatch solves it took (see
    /// `clearing::lp`); `None` where the run cleared no network.
    pub rounds_per_day: Option<Vec<usize>>,
    /// (interval, line) pairs whose limit binds (a shadow price above 0).
    pub binding_lines: usize,
    /// With `[clearing] write_lp` (`run --write-lp`): every LP solved, as (file name, MPS).
    pub lp_models: Vec<(String, String)>,
}

/// Unit index → rank of its id in sorted order: the deterministic tie-break that does not
/// depend on the order of rows in any file.
pub fn id_rank(scenario: &Scenario) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..scenario.fleet.units.len()).collect();
    ids.sort_by(|&a, &b| scenario.fleet.units[a].id.cmp(&scenario.fleet.units[b].id));
    let mut rank = vec![0; ids.len()];
    for (r, u) in ids.into_iter().enumerate() {
        rank[u] = r;
    }
    rank
}

/// Clears and bills every product the scenario holds offers for.
pub fn run(scenario: &Scenario) -> Result<RunResult, InputError> {
    run_in(scenario, &chunks(scenario)?)
}

/// [`run`] over the given chunks (any cut into whole days gives the same result for the
/// merit-order engine).
pub fn run_in(scenario: &Scenario, chunks: &Chunks) -> Result<RunResult, InputError> {
    let mut merged = Merge::new(scenario, true);
    for k in 0..chunks.len() {
        merged.add(run_chunk(scenario, chunks, k)?);
    }
    Ok(merged.finish())
}

/// The chunks a run is cleared in (see [`crate::scenario::slice`]): about a day each for the
/// merit-order engine, the whole horizon for the LP (storage carries from day to day).
pub fn chunks(scenario: &Scenario) -> Result<Chunks, InputError> {
    let days = match engine::choose(scenario)?.name() {
        "merit_order" => 1,
        _ => 0,
    };
    Ok(Chunks::by_days(scenario, days))
}

/// Chunk `k` of a run, cleared and billed, with intervals numbered as in the whole horizon.
/// Unpaid-mileage and missing-metering warnings are left to [`Merge::finish`].
pub fn run_chunk(scenario: &Scenario, chunks: &Chunks, k: usize) -> Result<Chunk, InputError> {
    let offset = chunks.ranges[k].start;
    let Chunk {
        mut result,
        unpaid,
        absent,
        mut unmetered,
        mut capped,
    } = run_days(&chunks.scenario(scenario, k))?;
    for (_, i) in unmetered.iter_mut().chain(capped.iter_mut()) {
        *i += offset;
    }
    for r in &mut result.clearing {
        r.interval += offset;
    }
    for a in &mut result.awards {
        a.interval += offset;
    }
    for f in &mut result.fees {
        f.interval += offset;
    }
    for s in &mut result.storage {
        s.interval += offset;
    }
    for n in &mut result.nodal {
        n.interval += offset;
    }
    for f in &mut result.flows {
        f.interval += offset;
    }
    Ok(Chunk {
        result,
        unpaid,
        absent,
        unmetered,
        capped,
    })
}

/// One chunk's result, before merging.
pub struct Chunk {
    pub result: RunResult,
    /// Per unit, intervals with FR mileage but no FR award.
    pub unpaid: Vec<(usize, usize)>,
    /// Days a capacity-paid unit did not take part (notice 196 §六(十), [`participation`]).
    pub absent: Vec<(usize, chrono::NaiveDate)>,
    /// (unit, interval) awarded FR with no mileage metered (paid 0).
    pub unmetered: Vec<(usize, usize)>,
    /// (unit, interval) paid on mileage capped at `fr::mileage_bound`.
    pub capped: Vec<(usize, usize)>,
}

/// Chunks put back together in order. With `keep_rows` false, clearing rows, awards and fee
/// lines are dropped as they arrive (a streamed run has written them already).
pub struct Merge<'a> {
    scenario: &'a Scenario,
    keep_rows: bool,
    merged: Option<RunResult>,
    unpaid: HashMap<usize, usize>,
    absent: std::collections::BTreeMap<usize, Vec<chrono::NaiveDate>>,
    unmetered: Vec<(usize, usize)>,
    capped: Vec<(usize, usize)>,
}

impl<'a> Merge<'a> {
    pub fn new(scenario: &'a Scenario, keep_rows: bool) -> Merge<'a> {
        Merge {
            scenario,
            keep_rows,
            merged: None,
            unpaid: HashMap::new(),
            absent: std::collections::BTreeMap::new(),
            unmetered: Vec::new(),
            capped: Vec::new(),
        }
    }

    pub fn add(&mut self, chunk: Chunk) {
        let mut r = chunk.result;
        for (unit, n) in chunk.unpaid {
            *self.unpaid.entry(unit).or_default() += n;
        }
        for (unit, day) in chunk.absent {
            self.absent.entry(unit).or_default().push(day);
        }
        self.unmetered.extend(chunk.unmetered);
        self.capped.extend(chunk.capped);
        if !self.keep_rows {
            r.clearing = Vec::new();
            r.awards = Vec::new();
            r.fees = Vec::new();
            r.storage = Vec::new();
            r.nodal = Vec::new();
            r.flows = Vec::new();
        }
        let Some(m) = &mut self.merged else {
            self.merged = Some(r);
            return;
        };
        m.clearing.extend(r.clearing);
        m.awards.extend(r.awards);
        m.fees.extend(r.fees);
        m.factors.extend(r.factors);
        m.settlement.extend(r.settlement);
        m.storage.extend(r.storage);
        m.nodal.extend(r.nodal);
        m.flows.extend(r.flows);
        if let Some(rounds) = r.rounds_per_day {
            m.rounds_per_day.get_or_insert_default().extend(rounds);
        }
        m.objective += r.objective;
        m.binding_lines += r.binding_lines;
        m.lp_models.extend(r.lp_models);
        // An offer lies in one chunk, so its rejection is reported once; the same settings
        // warn the same way in every chunk.
        m.rejected.extend(r.rejected);
        for w in r.warnings {
            if !m.warnings.contains(&w) {
                m.warnings.push(w);
            }
        }
    }

    /// The whole run: rejections in order, warnings completed.
    pub fn finish(self) -> RunResult {
        let scenario = self.scenario;
        let mut r = self
            .merged
            .expect("a horizon has at least one interval, so one chunk");
        let rank = id_rank(scenario);
        r.rejected.sort_by(|a, b| {
            (a.product, rank[a.unit], &a.start).cmp(&(b.product, rank[b.unit], &b.start))
        });
        // What loading noticed comes first: it is about the inputs the rest derives from.
        r.warnings.splice(0..0, scenario.warnings.iter().cloned());
        r.warnings
            .extend(fr::unpaid_warnings(scenario, &self.unpaid, &rank));
        r.warnings
            .extend(fr::unmetered_warnings(scenario, &self.unmetered, &rank));
        r.warnings
            .extend(fr::capped_warnings(scenario, &self.capped, &rank));
        let mut absent: Vec<_> = self.absent.into_iter().collect();
        absent.sort_by_key(|(u, _)| rank[*u]);
        for (unit, days) in absent {
            r.warnings
                .push(participation::warning(scenario, unit, &days));
        }
        if scenario.metering.is_none() && !r.settlement.is_empty() {
            r.warnings.push(
                "metering.csv is absent, so costs are not allocated (notice 196 §五(八)): add it to get allocation rows and statements that balance".to_string(),
            );
        }
        r
    }
}

/// Clears and bills a scenario in one piece (a chunk's, in practice).
fn run_days(scenario: &Scenario) -> Result<Chunk, InputError> {
    let resolved = caps::resolve(scenario)?;
    let rank = id_rank(scenario);
    let mut warnings = resolved.warnings;
    let h = &scenario.horizon;
    if let Some((_, w)) = crate::rules::spot::contradiction(
        scenario.grid,
        scenario.config.spot_market,
        h.day(0),
        h.day(h.intervals.saturating_sub(1)),
    ) {
        warnings.push(format!("{w} (the audit fails it)"));
    }

    let fr = fr::prepare(scenario, &resolved.caps, &rank)?;
    warnings.extend(fr::out_of_range_warnings(scenario, &fr.factors));
    // One implausible benchmark (a design precision of 1e-15 %, say) can round every K to 0
    // and refuse every FR offer: say so once, naming the benchmark, not only offer by offer.
    if !fr.factors.is_empty()
        && fr.factors.iter().all(|f| f.factor.k.is_zero())
        && let Some(b) = &fr.benchmark
    {
        warnings.push(format!(
            "every unit's K rounds to 0 against the FR benchmark {} ({}), so every FR offer is refused: check that benchmark's design parameters (notice 196 §三(四))",
            b.source,
            fr::describe(&b.params)
        ));
    }
    let source = scenario.config.fr.benchmark_source.as_deref();
    if !scenario.fr_offers.is_empty()
        && scenario.config.fr.benchmark.is_some()
        && fr::fleet_benchmark(&scenario.fleet).is_none()
        && source.is_none_or(|s| s.trim().is_empty())
    {
        warnings.push(
            "[fr] benchmark stands in for the best coal unit's design parameters, which units.csv does not give, and says not where it comes from: set [fr] benchmark_source (the audit fails an unsourced benchmark, notice 196 §三(四))".to_string(),
        );
    }
    if !scenario.fr_offers.is_empty()
        && let Some((set, fleet)) = fr::benchmark_override_differs(scenario)
    {
        warnings.push(format!(
            "[fr] benchmark ({}) is not the best coal unit's design ({}: {}); K is normalised to the override, which notice 196 §三(四) does not allow (the audit fails it)",
            fr::describe(&set.params),
            fleet.source,
            fr::describe(&fleet.params)
        ));
    }
    let (peak, peak_rejected) = peak::prepare(scenario, &resolved.caps)?;
    let (reserve, reserve_rejected) = reserve::prepare(scenario, &resolved.caps);
    let absent = participation::absent(
        scenario,
        &[&fr.prepared, &peak, &reserve],
        caps::decimal(scenario.config.policy.participation_min_share),
    );
    let prepared = [fr.prepared, peak, reserve];

    let (energy, energy_rejected) = engine::eligible_energy(scenario, &resolved.caps);
    let mut problem = engine::problem(scenario, &prepared, &energy, &rank, &resolved.caps);
    let engine = engine::choose(scenario)?;
    problem.grid = engine::grid(scenario, engine.as_ref())?;
    warnings.extend(engine::network_warnings(scenario, engine.as_ref())?);
    if engine.name().starts_with("lp") {
        engine::check_lp_range(scenario, &resolved.caps)?;
    }
    let solution = market::solve(engine.as_ref(), &problem)?;
    let (mut clearing, mut awards) = market::rows(&prepared, &rank, &solution, &problem.zones);
    let (energy_clearing, energy_awards) = market::energy_rows(&problem, &solution);
    clearing.extend(energy_clearing);
    awards.extend(energy_awards);
    warnings.extend(solution.notes.iter().cloned());
    peak::apply_pricing(scenario, &mut awards);

    let (mut fees, unpaid) = fr::fees(scenario, &awards);
    let marked = |f: fn(&FeeLine) -> bool| -> Vec<(usize, usize)> {
        fees.iter()
            .filter(|l| f(l))
            .map(|l| (l.unit, l.interval))
            .collect()
    };
    let unmetered = marked(|l| l.unmetered);
    let capped = marked(|l| l.capped);
    fees.extend(peak::fees(scenario, &awards));
    fees.extend(reserve::fees(scenario, &awards));

    let mut rejected: Vec<Rejection> = fr.rejected;
    rejected.extend(peak_rejected);
    rejected.extend(reserve_rejected);
    rejected.extend(energy_rejected);

    // Outputs in a fixed order: time, then product; awards by unit id and band. Each key is
    // unique (one offer per unit, band and interval), so an unstable sort is deterministic.
    // Zone rows follow their product's system-wide row, zones in buses.csv order.
    clearing.sort_unstable_by_key(|r| (r.interval, r.product, r.zone.map_or(0, |z| z + 1)));
    // Award rows come in this order from the merit order already (checking is one pass);
    // energy rows from the LP need the sort. Rows are large: keys are sorted, rows moved once.
    let key = |a: &AwardRow| (a.interval, a.product, rank[a.unit], a.band);
    if !awards.is_sorted_by_key(key) {
        awards.sort_by_cached_key(key);
    }
    let settlement = settlement::settle(scenario, &fees, &awards)?;
    if crate::rules::opportunity::split(scenario) == crate::rules::opportunity::Split::NoEnergy
        && scenario.metering.is_some()
        && fees
            .iter()
            .any(|f| matches!(f.product, Product::Fr | Product::Reserve))
    {
        warnings.push(
            "users bear only the lost energy opportunity of FR and reserve (notice 196 §五(八)), which needs energy cleared jointly (energy_offers.csv); without it the whole FR and reserve cost is passed to users and non-market generation at user_share".to_string(),
        );
    }
    let binding_lines = solution
        .flows
        .iter()
        .filter(|f| f.shadow_price > rust_decimal::Decimal::ZERO)
        .count();
    let result = RunResult {
        caps: resolved.caps,
        within_notice: resolved.within_notice,
        benchmark: fr.benchmark,
        clearing,
        awards,
        fees,
        rejected,
        factors: fr.factors,
        settlement,
        warnings,
        engine: engine.name(),
        objective: solution.objective,
        storage: solution.storage,
        nodal: solution.nodal,
        flows: solution.flows,
        rounds_per_day: problem.grid.is_some().then_some(solution.rounds_per_day),
        binding_lines,
        lp_models: solution.lp_models,
    };
    Ok(Chunk {
        result,
        unpaid,
        absent,
        unmetered,
        capped,
    })
}

/// Σ of one settlement item of a product, 元.
pub fn total_item(
    result: &RunResult,
    product: crate::product::Product,
    item: settlement::Item,
) -> crate::settlement::money::Yuan {
    result
        .settlement
        .iter()
        .filter(|r| r.product == product && r.item == item)
        .map(|r| r.amount)
        .sum()
}
