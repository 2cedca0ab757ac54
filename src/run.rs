//! One scenario, start to finish: rules → clearing → settlement, as plain data.

use crate::error::InputError;
use crate::outcome::{AwardRow, ClearingRow, FeeLine, Rejection};
use crate::rules::caps::{self, Caps};
use crate::rules::fr::{self, Benchmark, FactorRow};
use crate::rules::{engine, market, peak, reserve};
use crate::scenario::Scenario;
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
    let resolved = caps::resolve(scenario)?;
    let rank = id_rank(scenario);
    let mut warnings = resolved.warnings;

    let fr = fr::prepare(scenario, &resolved.caps, &rank)?;
    let (peak, peak_rejected) = peak::prepare(scenario, &resolved.caps)?;
    let (reserve, reserve_rejected) = reserve::prepare(scenario, &resolved.caps);
    let prepared = [fr.prepared, peak, reserve];

    let (energy, energy_rejected) = engine::eligible_energy(scenario, &resolved.caps);
    let problem = engine::problem(scenario, &prepared, &energy, &rank, &resolved.caps);
    let engine = engine::choose(scenario)?;
    let solution = market::solve(engine.as_ref(), &problem)?;
    let (mut clearing, mut awards) = market::rows(&prepared, &rank, &solution);
    let (energy_clearing, energy_awards) = market::energy_rows(&problem, &solution);
    clearing.extend(energy_clearing);
    awards.extend(energy_awards);
    warnings.extend(solution.notes.iter().cloned());
    peak::apply_pricing(scenario, &mut awards);

    let (mut fees, fr_warnings) = fr::fees(scenario, &clearing, &awards, &rank);
    warnings.extend(fr_warnings);
    fees.extend(peak::fees(scenario, &awards));
    fees.extend(reserve::fees(scenario, &awards));

    let mut rejected: Vec<Rejection> = fr.rejected;
    rejected.extend(peak_rejected);
    rejected.extend(reserve_rejected);
    rejected.extend(energy_rejected);

    // Outputs in a fixed order: time, then product; awards by unit id and band.
    clearing.sort_by_key(|r| (r.interval, r.product));
    awards.sort_by_key(|a| (a.interval, a.product, rank[a.unit], a.band));
    rejected.sort_by(|a, b| {
        (a.product, rank[a.unit], &a.start).cmp(&(b.product, rank[b.unit], &b.start))
    });
    let settlement = settlement::settle(scenario, &fees, &awards)?;
    if scenario.metering.is_none() && !settlement.is_empty() {
        warnings.push(
            "metering.csv is absent, so costs are not allocated (notice 196 §五(八)): add it to get allocation rows and statements that balance".to_string(),
        );
    }
    Ok(RunResult {
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
