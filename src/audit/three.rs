//! notice 196 §三 (frequency regulation, 调频): the K cap, the benchmark, every K recomputed, the mileage price cap and prices (三(四)); every FR fee on mileage bounded by physics (三(三)).

use super::*;
use crate::rules::caps::{FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW, PERFORMANCE_FACTOR_LIMIT};

/// The checks of §三, in the audit's order; the FR and reserve fees' lost-opportunity parts
/// go to `lost` (§五(八)).
pub(super) fn checks(cx: &Context, lost: &mut Lost) -> Vec<Check> {
    let (scenario, results) = (cx.scenario, cx.results);
    let c = &scenario.config;
    let h = &scenario.horizon;
    let resolved_caps = &cx.resolved_caps;
    let label = |i: usize| cx.label(i);
    let prices = |product: &'static str| cx.prices(product);
    let cap_of = |v: Option<f64>, default: Decimal| v.map(decimal).unwrap_or(default);
    let mut checks = Vec::new();
    // 三(四): K and the mileage price.
    let k_cap = cap_of(c.caps.performance_factor, PERFORMANCE_FACTOR_LIMIT);
    checks.push(verdict(
        "三(四)",
        "performance-factor cap ≤ 2",
        if k_cap > PERFORMANCE_FACTOR_LIMIT {
            vec![format!(
                "scenario.toml caps.performance_factor = {k_cap} exceeds 2"
            )]
        } else {
            vec![]
        },
        format!("K cap {k_cap}"),
    ));
    let fr_runs = !scenario.fr_offers.is_empty();
    // notice 196 §三(四): "调频性能系数由调节速率、调节精度、响应时间三个分项参数乘积或加权平均确定":
    // a weighted average of the three, each weight > 0. A weight of 0 (or less) drops a part,
    // and K is then set by fewer than the three. Under the product the weights are unused.
    let rule = "K from all three parts: rate, precision and response";
    checks.push(if !fr_runs {
        na("三(四)", rule, "no FR market")
    } else if c.fr.performance == PerformanceForm::Weighted {
        let w = c.fr.weights;
        verdict(
            "三(四)",
            rule,
            [("rate", w.rate), ("precision", w.precision), ("response", w.response)]
                .into_iter()
                .filter(|(_, v)| v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
                .map(|(part, v)| {
                    format!(
                        "scenario.toml [fr] weights.{part} = {v}: with performance = \"weighted\" every part needs a weight > 0, or K is set without the {part} part"
                    )
                })
                .collect(),
            format!(
                "weighted average, weights rate {}, precision {}, response {}",
                w.rate, w.precision, w.response
            ),
        )
    } else {
        verdict(
            "三(四)",
            rule,
            vec![],
            "product of the three parts".into(),
        )
    });
    // The benchmark is the notice's, computed here from the fleet: the best coal unit's design
    // parameters. `[fr] benchmark` stands only where the fleet has no such unit.
    let fleet_bench = fr::fleet_benchmark(&scenario.fleet);
    // notice 196 §三(四) "以当地性能最优煤电机组主机（不含火储联合机组）对应的设计参数为基准": a coal
    // unit in the market without design parameters may be the best one, so the benchmark
    // taken from the others (or from `[fr] benchmark`) is not shown to be the notice's.
    let undesigned: Vec<String> = {
        let offering: std::collections::BTreeSet<usize> =
            scenario.fr_offers.iter().map(|o| o.unit).collect();
        offering
            .into_iter()
            .map(|u| &scenario.fleet.units[u])
            .filter(|u| u.kind == Kind::Coal && u.design.is_none())
            .map(|u| format!("{} (units.csv line {})", u.id, u.line))
            .collect()
    };
    let undesigned_claim = (!undesigned.is_empty()).then(|| {
        format!(
            "coal unit(s) {} offer FR without design parameters in units.csv: the best local coal unit cannot be established, and the benchmark is the best of the others'",
            undesigned.join(", ")
        )
    });
    let rule = "K normalised to the best local coal unit's design parameters";
    checks.push(match (fr_runs, &fleet_bench, fr::benchmark_override_differs(scenario)) {
        (false, _, _) => na("三(四)", rule, "no FR market"),
        (true, _, Some((set, fleet))) => verdict(
            "三(四)",
            rule,
            vec![format!(
                "scenario.toml [fr] benchmark ({}) is not the best coal unit's design ({}: {}); a weaker benchmark raises every K",
                fr::describe(&set.params),
                fleet.source,
                fr::describe(&fleet.params)
            )],
            String::new(),
        ),
        (true, Some(b), None) => verdict(
            "三(四)",
            rule,
            vec![],
            format!("{} ({}), coal_storage excluded", b.source, fr::describe(&b.params)),
        ),
        (true, None, None) => match c.fr.benchmark_source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(source) => verdict(
                "三(四)",
                rule,
                vec![],
                format!("no coal unit in units.csv has design parameters: the benchmark is [fr] benchmark, from {source}, and cannot be checked here"),
            )
            .resting_on(benchmark_claim(c).unwrap_or_default()),
            None => verdict(
                "三(四)",
                rule,
                vec![match &c.fr.benchmark {
                    Some(b) => format!(
                        "no coal unit in units.csv has design parameters, and [fr] benchmark (rate {} %/min, precision {} %, response {} s) is unsourced: set [fr] benchmark_source, or give the best coal unit its design parameters",
                        b.rate_pct_per_min, b.precision_pct, b.response_s
                    ),
                    None => "no coal unit in units.csv has design parameters and no [fr] benchmark is set".into(),
                }],
                String::new(),
            ),
        },
    }
    .resting_on_any(undesigned_claim.clone()));
    // K per unit and day from the inputs alone: measured parameters (else design) against the
    // audit's own benchmark. The results' own K columns are what is checked, never what is used.
    let fleet_has_bench = fleet_bench.is_some();
    let bench = fleet_bench.or_else(|| fr::benchmark(scenario));
    let k_cap_used = if fr_runs {
        resolved_caps.performance_factor
    } else {
        k_cap
    };
    let not_recomputed = std::cell::Cell::new(0usize);
    let k_from_inputs = |unit: usize, day: chrono::NaiveDate| -> Option<Decimal> {
        let b = bench.as_ref()?;
        let params = scenario
            .performance
            .get(unit, day)
            .or(scenario.fleet.units[unit].design)?;
        // The audit's own K (recompute.rs), not the run's rules::fr::performance_factor;
        // only where parts leave the decimal range (absurd parameters) does it take the run's
        // f64 estimate, and says so (unverified).
        Some(
            match recompute::performance_factor(
                params,
                b.params,
                c.fr.performance,
                c.fr.weights,
                k_cap_used,
            ) {
                Some(k) => k,
                None => {
                    not_recomputed.set(not_recomputed.get() + 1);
                    fr::performance_factor(
                        params,
                        b.params,
                        c.fr.performance,
                        c.fr.weights,
                        k_cap_used,
                    )
                    .k
                }
            },
        )
    };
    if fr_runs {
        let mut offences = Vec::new();
        for f in &results.factors {
            if f.k > PERFORMANCE_FACTOR_LIMIT {
                offences.push(format!(
                    "unit {} on {}: K {} > 2 (performance_factors.csv line {})",
                    f.unit, f.day, f.k, f.line
                ));
                continue;
            }
            let (Some(u), Ok(day)) = (scenario.fleet.get(&f.unit), f.day.parse()) else {
                continue;
            };
            if let Some(want) = k_from_inputs(u, day)
                && want != f.k
            {
                offences.push(format!("unit {} on {}: K {} but the inputs give {want} (performance_factors.csv line {})", f.unit, f.day, f.k, f.line));
            }
        }
        // The K each award is paid with, as awards.csv says it.
        let mut awards_checked = 0;
        for (u, a) in awarded(scenario, results, "fr") {
            awards_checked += 1;
            let want = k_from_inputs(u, h.day(a.interval));
            match a.performance_factor {
                Some(k) if k > PERFORMANCE_FACTOR_LIMIT => offences.push(format!(
                    "unit {} at {}: K {k} > 2 (awards.csv line {})",
                    a.unit,
                    label(a.interval),
                    a.line
                )),
                got if got != want => offences.push(format!(
                    "unit {} at {}: K {} but the inputs give {} (awards.csv line {})",
                    a.unit,
                    label(a.interval),
                    got.map_or("empty".into(), |k| k.to_string()),
                    want.map_or("none".into(), |k| k.to_string()),
                    a.line
                )),
                _ => {}
            }
        }
        checks.push(verdict(
            "三(四)",
            "every K ≤ 2 and as the inputs give it",
            offences,
            format!(
                "{} unit-days and {awards_checked} FR awards recomputed from rate, precision and response against the benchmark{}",
                results.factors.len(),
                bench
                    .as_ref()
                    .map_or(String::new(), |b| format!(" ({})", b.source))
            ),
        )
        .resting_on_any((!fleet_has_bench).then(|| benchmark_claim(c)).flatten())
        .resting_on_any(undesigned_claim.clone())
        .resting_on_any((not_recomputed.get() > 0).then(|| {
            format!(
                "{} K value(s) with a part outside the decimal range: the run's f64 estimate, not recomputed exactly",
                not_recomputed.get()
            )
        })));
    } else {
        checks.push(na(
            "三(四)",
            "every K ≤ 2 and as the inputs give it",
            "no FR market",
        ));
    }
    let fr_cap = cap_of(
        c.caps.fr_mileage_price_yuan_per_mw,
        FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW,
    );
    checks.push(verdict(
        "三(四)",
        "mileage price cap ≤ 15 yuan/MW (0.015 yuan/kW)",
        if fr_cap > FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW {
            vec![format!(
                "scenario.toml caps.fr_mileage_price_yuan_per_mw = {fr_cap} exceeds 15"
            )]
        } else {
            vec![]
        },
        format!("cap {fr_cap} yuan/MW"),
    ));
    let fr_limit = fr_cap.min(FR_MILEAGE_PRICE_LIMIT_YUAN_PER_MW);
    checks.push(if fr_runs {
        verdict(
            "三(四)",
            "every FR clearing price ≤ the cap",
            prices_above(results, "fr", fr_limit, "FR", &label),
            format!(
                "{} intervals and every FR award's paid price ≤ {fr_limit} yuan/MW",
                prices("fr").count()
            ),
        )
    } else {
        na(
            "三(四)",
            "every FR clearing price ≤ the cap",
            "no FR market",
        )
    });

    // 三(三): FR fee = clearing price × mileage × K, recomputed per day and unit.
    checks.push(if fr_runs {
        let price = price_paid(scenario, results, "fr");
        let mut want: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        // Awards with no mileage metered: paid 0, which no meter backs (never a silent pass).
        let mut unmetered: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut no_ramp: std::collections::BTreeSet<&str> = Default::default();
        let mut beyond = 0usize;
        for (u, a) in awarded(scenario, results, "fr") {
            if scenario.mileage_source == crate::scenario::MileageSource::Measured
                && scenario.mileage.get(u, a.interval).is_none()
            {
                unmetered.entry(a.unit.as_str()).or_default().push(a.interval);
            }
            // Without measured mileage, the scenario's assumption: awards.csv's award × [fr]
            // expected_mileage_per_mw, recomputed here from the setting itself.
            let mileage = match scenario.mileage_source {
                crate::scenario::MileageSource::FromAwards(_) => {
                    a.cleared_mw
                        * c.fr
                            .expected_mileage_per_mw
                            .map(decimal)
                            .unwrap_or_default()
                }
                crate::scenario::MileageSource::Measured => {
                    scenario.mileage.get(u, a.interval).unwrap_or_default()
                }
            };
            if mileage.is_zero() {
                continue;
            }
            // Paid mileage follows physics, recomputed here from units.csv and awards.csv:
            // at most the unit's ramp × the interval's minutes, and the award swept once a
            // minute (award × minutes; the convention of rules::fr::mileage_bound). A fee
            // paid on more fails below; a unit without a ramp cannot be bounded by physics.
            let minutes = Decimal::from(h.interval_minutes);
            let by_award = a.cleared_mw.saturating_mul(minutes);
            let ramp = scenario.fleet.units[u].ramp_mw_per_min;
            if ramp.is_none() {
                no_ramp.insert(a.unit.as_str());
            }
            let bound = ramp.map_or(by_award, |r| by_award.min(r.saturating_mul(minutes)));
            if mileage > bound {
                beyond += 1;
            }
            let mileage = mileage.min(bound);
            // K from the inputs, not from awards.csv (which the 三(四) check compares).
            let k = k_from_inputs(u, h.day(a.interval)).unwrap_or_default();
            let fee = price(a.interval, u) * mileage * k;
            lost.add(u, a, Product::Fr, mileage, fee);
            *want
                .entry((h.day(a.interval).to_string(), a.unit.clone()))
                .or_default() += fee;
        }
        let mut check = fee_offences(
            "三(三)",
            "every FR fee = clearing price × mileage × K",
            "fr",
            want,
            results,
        );
        if beyond > 0 {
            check.detail += &format!(
                "; {beyond} award-interval(s) paid on mileage bounded by ramp × minutes and award × minutes"
            );
        }
        check
        .resting_on_any((!no_ramp.is_empty()).then(|| {
            format!(
                "units.csv gives no ramp_mw_per_min for {}: their mileage is bounded by the award alone, not by physics",
                no_ramp.iter().copied().collect::<Vec<_>>().join(", ")
            )
        }))
        .resting_on_any(match scenario.mileage_source {
            crate::scenario::MileageSource::FromAwards(f) => Some(format!(
                "[fr] expected_mileage_per_mw = {f}: fees on assumed mileage (award × {f}), not metered"
            )),
            crate::scenario::MileageSource::Measured => None,
        })
        .resting_on_any((!fleet_has_bench).then(|| benchmark_claim(c)).flatten())
        .resting_on_any(undesigned_claim.clone())
        .resting_on_any((!unmetered.is_empty()).then(|| {
            unmetered
                .iter()
                .map(|(unit, intervals)| {
                    format!(
                        "unit {unit} awarded FR with no mileage metered in {} interval(s), first {} (paid 0: nothing to verify the fee against)",
                        intervals.len(),
                        label(intervals[0])
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }))
    } else {
        na(
            "三(三)",
            "every FR fee = clearing price × mileage × K",
            "no FR market",
        )
    });

    checks
}
