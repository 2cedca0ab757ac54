//! Frequency regulation (调频), notice 196 §三(三)–(四): the benchmark, the performance factor
//! K, the ranking price, the clearing, and the fee = clearing price × mileage × K.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{ErrorKind, InputError};

use crate::outcome::{AwardRow, FeeLine, Rejection};
use crate::product::Product;
use crate::rules::caps::{Caps, decimal};
use crate::rules::market::{self, Prepared, PreparedBid, PreparedInterval};
use crate::scenario::config::{PerformanceForm, Ranking, Weights};
use crate::scenario::{FrParams, Kind, MileageSource, Scenario};

/// Decimal places of K (the settlement index) and of ranking and clearing prices. Rounded
/// half away from zero; everything downstream (ranking, ties, fees) uses the rounded values,
/// so a reader can recompute every fee from the published numbers.
pub const DECIMALS: u32 = 4;

fn round(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(DECIMALS, RoundingStrategy::MidpointAwayFromZero)
}

/// The design parameters K is normalised to, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benchmark {
    pub params: FrParams,
    /// The unit id, or `scenario.toml` when the scenario sets it.
    pub source: String,
}

/// The benchmark a run uses: `[fr] benchmark` where the scenario sets one, else the fleet's
/// ([`fleet_benchmark`]). The notice fixes the benchmark, so an override that differs from
/// the fleet's fails the audit (notice 196 §三(四)); it is meant for fleets without a coal
/// unit with design parameters.
pub fn benchmark(scenario: &Scenario) -> Option<Benchmark> {
    scenario
        .config
        .fr
        .benchmark
        .map(|b| Benchmark {
            params: FrParams {
                rate_pct_per_min: decimal(b.rate_pct_per_min),
                precision_pct: decimal(b.precision_pct),
                response_s: decimal(b.response_s),
            },
            source: "scenario.toml".to_string(),
        })
        .or_else(|| fleet_benchmark(&scenario.fleet))
}

/// notice 196 §三(四): sub-factors are normalised to the design parameters of the best local
/// coal unit, coal-plus-storage units (`coal_storage`) excluded.
///
/// "Best" when no unit is best on all three parameters: the coal unit with the highest
/// rate / (precision × response) — the unit that scores highest under the product form of K
/// whatever the normalisation — then the higher rate, the lower precision, the lower response
/// time, and the unit id.
pub fn fleet_benchmark(fleet: &crate::scenario::Fleet) -> Option<Benchmark> {
    fleet
        .units
        .iter()
        .filter(|u| u.kind == Kind::Coal)
        .filter_map(|u| u.design.map(|d| (u, d)))
        .max_by(|(ua, a), (ub, b)| {
            // Design values are anywhere in (0, 1e9], so rate / (precision × response) can
            // leave the decimal range (1e9 / (1e-10 × 1e-10) overflows; 1e-15 × 1e-15 rounds
            // to 0). Exact decimals where both scores fit, else f64, whose range (1e±308)
            // holds any score of such inputs; either way the order is the same rule.
            let exact = |p: &FrParams| {
                p.precision_pct
                    .checked_mul(p.response_s)
                    .filter(|d| !d.is_zero())
                    .and_then(|d| p.rate_pct_per_min.checked_div(d))
                    .filter(|s| !s.is_zero())
            };
            let wide = |p: &FrParams| {
                f64_of(p.rate_pct_per_min) / (f64_of(p.precision_pct) * f64_of(p.response_s))
            };
            match (exact(a), exact(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => wide(a).total_cmp(&wide(b)),
            }
            .then(a.rate_pct_per_min.cmp(&b.rate_pct_per_min))
            .then(b.precision_pct.cmp(&a.precision_pct))
            .then(b.response_s.cmp(&a.response_s))
            .then(ub.id.cmp(&ua.id))
        })
        .map(|(u, d)| Benchmark {
            params: d,
            source: u.id.clone(),
        })
}

/// The override and the fleet's benchmark where both exist and differ: the run uses the
/// override (a study may), warns, and the audit fails notice 196 §三(四), which fixes the
/// benchmark to the best coal unit (a weaker one inflates every K).
pub fn benchmark_override_differs(scenario: &Scenario) -> Option<(Benchmark, Benchmark)> {
    scenario.config.fr.benchmark?;
    let set = benchmark(scenario)?;
    let fleet = fleet_benchmark(&scenario.fleet)?;
    (set.params != fleet.params).then_some((set, fleet))
}

/// `rate %/min, precision %, response s`, for messages.
pub fn describe(p: &FrParams) -> String {
    format!(
        "rate {} %/min, precision {} %, response {} s",
        p.rate_pct_per_min.normalize(),
        p.precision_pct.normalize(),
        p.response_s.normalize()
    )
}

fn f64_of(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64().unwrap_or(0.0)
}

/// K and its parts for one unit and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerformanceFactor {
    /// rate / benchmark rate (调节速率).
    pub k_rate: Decimal,
    /// benchmark precision / precision (调节精度: a deviation, smaller is better).
    pub k_precision: Decimal,
    /// benchmark response / response (响应时间: smaller is better).
    pub k_response: Decimal,
    /// Before the cap.
    pub uncapped: Decimal,
    /// min(uncapped, cap), to [`DECIMALS`] places.
    pub k: Decimal,
    /// Which parts (rate, precision, response) left the decimal range: above
    /// 79228162514264337593543950335 or below 1e-28 (and so not the real ratio). Such a part
    /// is written empty in `performance_factors.csv`, with a warning, and K is then
    /// computed in f64 (see [`performance_factor`]).
    pub out_of_range: [bool; 3],
}

impl PerformanceFactor {
    /// Whether any part left the decimal range, so `uncapped` is not exact.
    pub fn inexact(&self) -> bool {
        self.out_of_range.iter().any(|&b| b)
    }
}

/// notice 196 §三(四): K from rate, precision and response time, by product or weighted
/// average, each normalised so that the benchmark scores 1; K ≤ cap (≤ 2).
pub fn performance_factor(
    measured: FrParams,
    bench: FrParams,
    form: PerformanceForm,
    weights: Weights,
    cap: Decimal,
) -> PerformanceFactor {
    // Inputs lie in (0, 1e9] and may be as small as 1e-28, so a part can be any ratio in
    // about 1e±37: outside the decimal range. Where every part fits, K is exact (the rule as
    // published). Where one does not (absurd design or measured values), the parts are
    // flagged and K is computed from the inputs in f64, whose range holds any such ratio;
    // notice 196 §三(四) caps K at ≤ 2, so only K's order of magnitude matters then, and
    // every such K is the cap or rounds to 0 unless the parts nearly cancel.
    let ratio = |a: Decimal, b: Decimal| a.checked_div(b).filter(|r| !r.is_zero());
    let parts = [
        ratio(measured.rate_pct_per_min, bench.rate_pct_per_min),
        ratio(bench.precision_pct, measured.precision_pct),
        ratio(bench.response_s, measured.response_s),
    ];
    let out_of_range = parts.map(|p| p.is_none());
    let [k_rate, k_precision, k_response] = parts.map(|p| p.unwrap_or(Decimal::MAX));
    let ws = [weights.rate, weights.precision, weights.response];
    let exact = match (form, parts) {
        (_, [Some(r), Some(p), Some(s)]) => match form {
            PerformanceForm::Product => r.checked_mul(p).and_then(|rp| rp.checked_mul(s)),
            PerformanceForm::Weighted => ws
                .iter()
                .zip([r, p, s])
                .try_fold(Decimal::ZERO, |sum, (&w, k)| {
                    decimal(w).checked_mul(k).and_then(|x| sum.checked_add(x))
                }),
        },
        _ => None,
    };
    let uncapped = exact.unwrap_or_else(|| {
        let f = |d: Decimal| f64_of(d);
        let wide = [
            f(measured.rate_pct_per_min) / f(bench.rate_pct_per_min),
            f(bench.precision_pct) / f(measured.precision_pct),
            f(bench.response_s) / f(measured.response_s),
        ];
        let k = match form {
            PerformanceForm::Product => wide[0] * wide[1] * wide[2],
            PerformanceForm::Weighted => ws.iter().zip(wide).map(|(&w, k)| w * k).sum(),
        };
        // Beyond the decimal range K is far above any cap: saturate.
        Decimal::from_f64_retain(k).unwrap_or(Decimal::MAX)
    });
    PerformanceFactor {
        k_rate,
        k_precision,
        k_response,
        uncapped: round(uncapped),
        k: round(uncapped).min(cap),
        out_of_range,
    }
}

/// Ranking price of an offer (`[fr] ranking`).
pub fn ranking_price(offer_price: Decimal, k: Decimal, k_max: Decimal, rule: Ranking) -> Decimal {
    // K ≥ 0.0001 here (offers whose K rounds to 0 are refused) and ≤ 2, prices ≤ the cap
    // ≤ 1e9: neither division nor product can overflow.
    match rule {
        Ranking::PriceOverK => round(offer_price / k),
        Ranking::PriceOverRelativeK => round(offer_price * k_max / k),
        Ranking::Price => offer_price,
    }
}

/// One unit's K on one day (a row of `performance_factors.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorRow {
    pub day: NaiveDate,
    pub unit: usize,
    /// `measured` (fr_performance.csv) or `design` (units.csv).
    pub basis: &'static str,
    pub factor: PerformanceFactor,
}

/// The FR market ready to clear, plus the K table it used.
pub struct FrPrepared {
    pub prepared: Prepared,
    pub rejected: Vec<Rejection>,
    pub factors: Vec<FactorRow>,
    pub benchmark: Option<Benchmark>,
}

/// notice 196 §三(四): benchmark, K per unit and day, offers above the cap refused, ranking
/// prices per interval.
pub fn prepare(
    scenario: &Scenario,
    caps: &Caps,
    id_rank: &[usize],
) -> Result<FrPrepared, InputError> {
    let cap = caps.fr_mileage_price_yuan_per_mw;
    if scenario.fr_offers.is_empty() {
        // No offers, no K to compute; a requirement still clears, short, at the cap
        // (§五(七): the requirement is the dispatcher's, whatever was offered).
        return Ok(FrPrepared {
            prepared: Prepared::at_offer_prices(
                Product::Fr,
                cap,
                Vec::new(),
                |i| scenario.requirements.by_interval[i].fr_mw,
                scenario.horizon.intervals,
            ),
            rejected: Vec::new(),
            factors: Vec::new(),
            benchmark: None,
        });
    }
    let bench = benchmark(scenario).ok_or_else(|| {
        InputError::new(
            ErrorKind::Invalid,
            "units.csv",
            "FR offers need a benchmark (notice 196 §三(四)): give at least one coal unit its design_rate_pct_per_min, design_precision_pct and design_response_s, or set [fr] benchmark in scenario.toml",
        )
        .at_column("design_rate_pct_per_min")
    })?;
    let fr = &scenario.config.fr;
    let horizon = &scenario.horizon;

    // K per (unit, day), measured where given, design otherwise.
    let mut factors: HashMap<(usize, NaiveDate), FactorRow> = HashMap::new();
    let mut factor_of = |unit: usize, day: NaiveDate| -> Result<PerformanceFactor, InputError> {
        if let Some(row) = factors.get(&(unit, day)) {
            return Ok(row.factor);
        }
        let u = &scenario.fleet.units[unit];
        let (params, basis) = match scenario.performance.get(unit, day) {
            Some(p) => (p, "measured"),
            None => (
                u.design.ok_or_else(|| {
                    InputError::new(
                        ErrorKind::Invalid,
                        "fr_performance.csv",
                        format!(
                            "unit {} offers FR but has no measured performance for {day} and no design parameters in units.csv (line {})",
                            u.id, u.line
                        ),
                    )
                })?,
                "design",
            ),
        };
        let factor = performance_factor(
            params,
            bench.params,
            fr.performance,
            fr.weights,
            caps.performance_factor,
        );
        factors.insert(
            (unit, day),
            FactorRow {
                day,
                unit,
                basis,
                factor,
            },
        );
        Ok(factor)
    };

    // notice 196 §三(四): offers above the mileage price cap are refused; so are offers of a
    // unit whose K rounds to zero (they could never be ranked).
    let (priced, mut rejected) = market::reject_above_cap(
        &scenario.fr_offers,
        Product::Fr,
        cap,
        &format!("the mileage price cap {cap} yuan/MW (notice 196 三(四))"),
    );
    let (priced, small) = market::reject_below_minimum(scenario, priced, Product::Fr);
    rejected.extend(small);
    let mut offers = Vec::with_capacity(priced.len());
    for o in priced {
        let mut zero_on = None;
        for i in o.intervals.clone() {
            if factor_of(o.unit, horizon.day(i))?.k.is_zero() {
                zero_on = Some(horizon.day(i));
                break;
            }
        }
        match zero_on {
            Some(day) => rejected.push(Rejection {
                unit: o.unit,
                product: Product::Fr,
                start: o.start.clone(),
                end: o.end.clone(),
                reason: format!(
                    "performance factor K rounds to 0 on {day}, so the offer cannot be ranked (our rule: ranking divides by K; notice 196 三(四) defines K)"
                ),
            }),
            None => offers.push(o),
        }
    }

    let mut prepared = Prepared::empty(Product::Fr, cap);
    // The same offers on the same day rank the same: an interval like the one before copies
    // its bids (K and ranking prices are per day).
    let mut previous: Option<(NaiveDate, Vec<usize>, Vec<PreparedBid>)> = None;
    for (i, list) in market::by_interval(&offers, horizon.intervals)
        .into_iter()
        .enumerate()
    {
        let requirement = scenario.requirements.by_interval[i].fr_mw;
        if list.is_empty() && requirement.is_zero() {
            continue; // no market in this interval
        }
        let day = horizon.day(i);
        if let Some((d, before, bids)) = &previous
            && *d == day
            && *before == list
        {
            prepared.intervals.push(PreparedInterval {
                interval: i,
                requirement_mw: requirement,
                bids: bids.clone(),
            });
            continue;
        }
        let ks: Vec<Decimal> = list
            .iter()
            .map(|&k| factor_of(offers[k].unit, day).map(|f| f.k))
            .collect::<Result<_, _>>()?;
        let k_max = ks.iter().copied().max().unwrap_or(Decimal::ONE);
        let bids: Vec<PreparedBid> = list
            .iter()
            .zip(&ks)
            .map(|(&k, &unit_k)| PreparedBid {
                offer: k,
                ranking_price: ranking_price(offers[k].price, unit_k, k_max, fr.ranking),
                performance_factor: Some(unit_k),
            })
            .collect();
        prepared.intervals.push(PreparedInterval {
            interval: i,
            requirement_mw: requirement,
            bids: bids.clone(),
        });
        previous = Some((day, list, bids));
    }
    prepared.offers = offers;
    let mut factors: Vec<FactorRow> = factors.into_values().collect();
    factors.sort_by_key(|r| (r.day, id_rank[r.unit]));
    Ok(FrPrepared {
        prepared,
        rejected,
        factors,
        benchmark: Some(bench),
    })
}

/// The most mileage an award of `award_mw` of FR can be paid for in one interval of
/// `minutes`: the least of what the unit can physically move, its ramp × the interval's
/// minutes (`ramp_mw_per_min` in units.csv; no limit where not given), and what the award can
/// deliver, the awarded capacity swept end to end once a minute, `award_mw` × minutes.
///
/// Mileage is "the sum of the adjustments made in response to AGC commands in the period"
/// (Chongqing, Xinjiang; REFERENCES, trade press): each adjustment stays inside the awarded
/// range, and we take at most one full-range adjustment a minute, the convention here (no
/// provincial text read fixes the command rate). A unit's award must also be deliverable
/// within its ramp, so the physical bound is the one that binds for a unit awarded its full
/// ramp; the award's binds for token awards (a 0.001 MW award is paid for at most 0.015 MW a
/// 15-minute interval, not 30 MW).
pub fn mileage_bound(ramp_mw_per_min: Option<Decimal>, award_mw: Decimal, minutes: u32) -> Decimal {
    let minutes = Decimal::from(minutes);
    // Saturating: a ramp or award near Decimal::MAX bounds nothing it could not already.
    let by_award = award_mw.saturating_mul(minutes);
    match ramp_mw_per_min {
        Some(r) => by_award.min(r.saturating_mul(minutes)),
        None => by_award,
    }
}

/// notice 196 §三(三): fee = clearing price × mileage × K, for units with cleared capacity;
/// the clearing price is the award's paid price (its zone's where its zone has a minimum).
/// Mileage is the measured one, or the award × `[fr] expected_mileage_per_mw` where the
/// scenario gives none ([`MileageSource`]). Mileage without an award earns nothing: the second
/// list counts such intervals per unit (see [`unpaid_warnings`]).
pub fn fees(scenario: &Scenario, awards: &[AwardRow]) -> (Vec<FeeLine>, Vec<(usize, usize)>) {
    // Dense by interval and unit: a chunk's awards are many, its intervals and units few.
    let intervals = scenario.horizon.intervals;
    let units = scenario.fleet.units.len();
    let mut fees = Vec::new();
    let mut awarded = vec![false; intervals * units];
    for a in awards
        .iter()
        .filter(|a| a.product == Product::Fr && a.cleared_mw > Decimal::ZERO)
    {
        awarded[a.interval * units + a.unit] = true;
        let mileage = match scenario.mileage_source {
            MileageSource::Measured => match scenario.mileage.get(a.unit, a.interval) {
                Some(m) => m,
                None => {
                    // Awarded, yet no mileage metered: no silent zero. A 0 fee line marks it,
                    // so the day's settlement row exists and says why (see
                    // [`unmetered_warnings`]).
                    fees.push(FeeLine {
                        interval: a.interval,
                        unit: a.unit,
                        product: Product::Fr,
                        quantity: Decimal::ZERO,
                        amount: Decimal::ZERO,
                        unmetered: true,
                        capped: false,
                    });
                    continue;
                }
            },
            // No mileage given: the scenario's assumption of mileage per MW awarded.
            MileageSource::FromAwards(per_mw) => a.cleared_mw * per_mw,
        };
        if mileage.is_zero() {
            continue;
        }
        // Paid mileage follows physics: at most what the unit and its award can move
        // ([`mileage_bound`]); beyond it, capped, with a warning and the row marked.
        let bound = mileage_bound(
            scenario.fleet.units[a.unit].ramp_mw_per_min,
            a.cleared_mw,
            scenario.horizon.interval_minutes,
        );
        let capped = mileage > bound;
        let mileage = mileage.min(bound);
        fees.push(FeeLine {
            interval: a.interval,
            unit: a.unit,
            product: Product::Fr,
            quantity: mileage,
            amount: a.paid_price * mileage * a.performance_factor.unwrap_or_default(),
            unmetered: false,
            capped,
        });
    }
    let mut unpaid = vec![0usize; units];
    for (unit, i, m) in scenario.mileage.iter() {
        if m > Decimal::ZERO && !awarded[i * units + unit] {
            unpaid[unit] += 1;
        }
    }
    let unpaid = unpaid
        .into_iter()
        .enumerate()
        .filter(|&(_, n)| n > 0)
        .collect();
    (fees, unpaid)
}

/// A warning per unit awarded FR in intervals with no mileage metered ((unit, interval) of the
/// `unmetered` fee lines of [`fees`], over the whole run), in unit id order, naming the first intervals and the count: such a unit
/// is paid 0 there, and the settlement row says `no mileage metered`.
pub fn unmetered_warnings(
    scenario: &Scenario,
    unmetered: &[(usize, usize)],
    id_rank: &[usize],
) -> Vec<String> {
    const NAMED: usize = 3;
    let mut by_unit: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for &(unit, interval) in unmetered {
        by_unit.entry(id_rank[unit]).or_default().push(interval);
    }
    let unit_of_rank: HashMap<usize, usize> =
        id_rank.iter().enumerate().map(|(u, &r)| (r, u)).collect();
    by_unit
        .into_iter()
        .map(|(rank, intervals)| {
            let named = first_intervals(scenario, &intervals, NAMED);
            format!(
                "unit {} is awarded FR in {} interval(s) with no mileage metered (no row in fr_mileage.csv or agc_setpoints.csv): {}; it is paid 0 for them, marked {} in settlement.csv, and the audit cannot verify it (notice 196 §三(三): fee = price × mileage × K)",
                scenario.fleet.units[unit_of_rank[&rank]].id,
                intervals.len(),
                named.join(", "),
                crate::scenario::NO_MILEAGE_METERED
            )
        })
        .collect()
}

/// The first `shown` of `intervals` by their times, then "and N more" where there are more.
fn first_intervals(scenario: &Scenario, intervals: &[usize], shown: usize) -> Vec<String> {
    let mut named: Vec<String> = intervals
        .iter()
        .take(shown)
        .map(|&i| scenario.horizon.label(i))
        .collect();
    if intervals.len() > shown {
        named.push(format!("and {} more", intervals.len() - shown));
    }
    named
}

/// A warning per unit paid on mileage capped at [`mileage_bound`] ((unit, interval) of the
/// `capped` fee lines of [`fees`], over the whole run), in unit id order, naming the first
/// intervals and the count.
pub fn capped_warnings(
    scenario: &Scenario,
    capped: &[(usize, usize)],
    id_rank: &[usize],
) -> Vec<String> {
    const NAMED: usize = 3;
    let mut by_unit: std::collections::BTreeMap<usize, (usize, Vec<usize>)> = Default::default();
    for &(unit, interval) in capped {
        let e = by_unit.entry(id_rank[unit]).or_insert((unit, Vec::new()));
        e.1.push(interval);
    }
    by_unit
        .into_values()
        .map(|(unit, intervals)| {
            let u = &scenario.fleet.units[unit];
            let named = first_intervals(scenario, &intervals, NAMED);
            let source = match scenario.mileage_source {
                MileageSource::Measured => "metered mileage",
                MileageSource::FromAwards(_) => "assumed mileage (award × [fr] expected_mileage_per_mw)",
            };
            format!(
                "unit {}'s {source} exceeds what it can move in {} interval(s): {}; paid on the bound, the least of its ramp × {} min ({}) and its award × {} min (one full-range adjustment a minute), marked {} in settlement.csv (notice 196 §三(三); the audit fails a fee paid beyond it)",
                u.id,
                intervals.len(),
                named.join(", "),
                scenario.horizon.interval_minutes,
                u.ramp_mw_per_min
                    .map_or("no ramp_mw_per_min given".to_string(), |r| format!("ramp {r} MW/min")),
                scenario.horizon.interval_minutes,
                crate::scenario::MILEAGE_CAPPED
            )
        })
        .collect()
}

/// A warning per unit with mileage but no award, in unit id order, with its count of
/// intervals.
pub fn unpaid_warnings(
    scenario: &Scenario,
    unpaid: &HashMap<usize, usize>,
    id_rank: &[usize],
) -> Vec<String> {
    let mut unpaid: Vec<_> = unpaid.iter().map(|(&u, &n)| (u, n)).collect();
    unpaid.sort_by_key(|&(u, _)| id_rank[u]);
    unpaid
        .into_iter()
        .map(|(unit, n)| {
            format!(
                "unit {} has FR mileage in {n} interval(s) without an FR award; it is not paid for them (notice 196 §三(三) pays cleared capacity)",
                scenario.fleet.units[unit].id
            )
        })
        .collect()
}

/// A warning per unit-day whose K has a part outside the decimal range (see
/// [`PerformanceFactor::out_of_range`]): the part is written empty, and K is the one computed
/// in f64 and capped (notice 196 §三(四): K ≤ 2).
pub fn out_of_range_warnings(scenario: &Scenario, factors: &[FactorRow]) -> Vec<String> {
    factors
        .iter()
        .filter(|f| f.factor.inexact())
        .map(|f| {
            let names = ["k_rate", "k_precision", "k_response"];
            let parts: Vec<&str> = names
                .iter()
                .zip(f.factor.out_of_range)
                .filter(|(_, out)| *out)
                .map(|(n, _)| *n)
                .collect();
            format!(
                "unit {} on {}: {} outside the decimal range (its {} parameters are over 1e28 times the benchmark's or under 1e-28 of them); written empty in performance_factors.csv; K = {} from an f64 estimate of the uncapped value, then the cap (notice 196 §三(四): K ≤ 2)",
                scenario.fleet.units[f.unit].id,
                f.day,
                parts.join(", "),
                f.basis,
                f.factor.k,
            )
        })
        .collect()
}
