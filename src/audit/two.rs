//! notice 196 §二 (peak regulation, 调峰): where the peak market may run, who may provide, the cap, the fee: 二

use super::*;

/// The checks of §二, in the audit's order.
pub(super) fn checks(cx: &Context) -> Vec<Check> {
    let (scenario, results) = (cx.scenario, cx.results);
    let c = &scenario.config;
    let h = &scenario.horizon;
    let label = |i: usize| cx.label(i);
    let prices = |product: &'static str| cx.prices(product);
    let mut checks = Vec::new();
    // 二(一): where the peak market may run, and who may provide.
    let peak_runs =
        !scenario.peak_offers.is_empty() || results.clearing.iter().any(|r| r.product == "peak");
    checks.push(if c.spot_market == SpotMarket::Continuous {
        match peak::check_market_runs(scenario) {
            Err(e) => verdict(
                "二(一)",
                "no peak market where the spot market runs continuously",
                vec![e.rule],
                String::new(),
            ),
            Ok(()) if peak_runs => verdict(
                "二(一)",
                "no peak market where the spot market runs continuously",
                vec!["results hold peak clearing rows".into()],
                String::new(),
            ),
            Ok(()) => verdict(
                "二(一)",
                "no peak market where the spot market runs continuously",
                vec![],
                "continuous spot, no peak offers or requirement".into(),
            ),
        }
    } else if scenario
        .requirements
        .by_interval
        .iter()
        .any(|r| r.spot_running.is_some())
    {
        // Partial spot running: peak only in the intervals where the spot market does not run.
        let mut offences: Vec<String> = peak::check_market_runs(scenario)
            .err()
            .map(|e| e.to_string())
            .into_iter()
            .collect();
        offences.extend(
            results
                .awards
                .iter()
                .filter(|a| {
                    a.product == "peak"
                        && a.cleared_mw > Decimal::ZERO
                        && scenario
                            .requirements
                            .by_interval
                            .get(a.interval)
                            .is_some_and(|r| r.spot_running == Some(true))
                })
                .map(|a| {
                    format!(
                        "unit {} cleared {} MW of peak at {} while the spot market runs (awards.csv line {})",
                        a.unit,
                        a.cleared_mw,
                        label(a.interval),
                        a.line
                    )
                }),
        );
        verdict(
            "二(一)",
            "peak market only while the spot market does not run",
            offences,
            "spot_running per interval checked against peak requirements and clearing".into(),
        )
    } else {
        na(
            "二(一)",
            "no peak market where the spot market runs continuously",
            "the spot market does not run continuously",
        )
    });
    let spot_rule = "spot_market as the province's spot status (data/spot_markets.csv)";
    // Checked day by day over the horizon (the status changes on the day a province's
    // continuous spot began), the first day contradicting named.
    let peak_days_after = |from: chrono::NaiveDate| {
        results
            .awards
            .iter()
            .filter(|a| {
                a.product == "peak" && a.cleared_mw > Decimal::ZERO && h.day(a.interval) >= from
            })
            .count()
    };
    checks.push(
        match (scenario.grid, crate::rules::spot::row(scenario.grid)) {
            (None, _) => verdict(
                "二(一)",
                spot_rule,
                vec![],
                "province = \"none\": no provincial spot status to check".into(),
            )
            .resting_on(format!(
                "spot_market = {:?} outside China (province = \"none\")",
                c.spot_market.as_str()
            )),
            (Some(_), None) => na(
                "二(一)",
                spot_rule,
                "the province has no row in data/spot_markets.csv",
            ),
            (Some(_), Some(row)) => verdict(
                "二(一)",
                spot_rule,
                crate::rules::spot::contradiction(
                    scenario.grid,
                    c.spot_market,
                    h.day(0),
                    h.day(h.intervals.saturating_sub(1)),
                )
                .map(|(day, why)| match peak_days_after(day) {
                    0 => why,
                    n => format!("{why}; {n} peak awards in awards.csv on or after {day}"),
                })
                .into_iter()
                .collect(),
                format!(
                    "{} runs continuously since {} ({}); every day {} to {} checked",
                    row.province,
                    row.continuous_since
                        .map_or("(not given)".to_string(), |d| d.to_string()),
                    row.firmness,
                    h.day(0),
                    h.day(h.intervals.saturating_sub(1))
                ),
            ),
        },
    );
    if peak_runs {
        let mut offences = Vec::new();
        for a in results
            .awards
            .iter()
            .filter(|a| a.product == "peak" && a.cleared_mw > Decimal::ZERO)
        {
            if let Some(u) = scenario.fleet.get(&a.unit) {
                let kind = scenario.fleet.units[u].kind;
                if peak::ineligibility(kind, c.peak.hydro_paid).is_some() {
                    offences.push(format!(
                        "unit {} ({}) cleared {} MW of peak at {} (awards.csv line {})",
                        a.unit,
                        kind.as_str(),
                        a.cleared_mw,
                        label(a.interval),
                        a.line
                    ));
                }
            }
        }
        checks.push(verdict(
            "二(一)",
            "no wind or PV peak providers; hydro only where enabled",
            offences,
            format!("peak awards checked; hydro_paid = {}", c.peak.hydro_paid),
        ));
    } else {
        checks.push(na(
            "二(一)",
            "no wind or PV peak providers; hydro only where enabled",
            "no peak market",
        ));
    }

    // 二(二): the peak cap.
    let peak_limit = caps::peak_price_limit(scenario.grid);
    let grid_name = scenario.grid.map_or(c.province.as_str(), |g| g.name());
    let peak_cap = c.caps.peak_price_yuan_per_mwh.map(decimal).or(peak_limit);
    checks.push(match (peak_limit, c.caps.peak_price_yuan_per_mwh.map(decimal)) {
        (Some(limit), Some(cap)) if cap > limit => verdict("二(二)", "peak cap ≤ the local grid-parity price", vec![format!("scenario.toml caps.peak_price_yuan_per_mwh = {cap} exceeds {grid_name}'s grid-parity price {limit} yuan/MWh")], String::new()),
        (Some(limit), _) => verdict("二(二)", "peak cap ≤ the local grid-parity price", vec![], format!("cap {} ≤ {limit} yuan/MWh ({grid_name})", peak_cap.unwrap_or(limit))),
        (None, Some(cap)) => match c.caps.peak_price_source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(source) if peak_runs => verdict("二(二)", "peak cap ≤ the local grid-parity price", vec![], format!("{}; cap {cap} from {source}, not checkable against the table", crate::rules::province::why_no_benchmark(scenario.grid))).resting_on(format!("caps.peak_price_yuan_per_mwh = {cap} from caps.peak_price_source = {source:?}")),
            Some(_) => na("二(二)", "peak cap ≤ the local grid-parity price", "no peak market"),
            None if peak_runs => verdict("二(二)", "peak cap ≤ the local grid-parity price", vec![format!("{}; cap {cap} is unsourced (caps.peak_price_source)", crate::rules::province::why_no_benchmark(scenario.grid))], String::new()),
            None => na("二(二)", "peak cap ≤ the local grid-parity price", "no peak market"),
        },
        (None, None) => na("二(二)", "peak cap ≤ the local grid-parity price", "no peak cap and no province price"),
    });
    checks.push(match peak_cap {
        Some(cap) if peak_runs => {
            let limit = peak_limit.map_or(cap, |l| l.min(cap));
            verdict(
                "二(二)",
                "every peak price ≤ the cap",
                prices_above(results, "peak", limit, "peak", &label),
                format!(
                    "{} intervals and every peak award's paid price ≤ {limit} yuan/MWh",
                    prices("peak").count()
                ),
            )
        }
        _ => na("二(二)", "every peak price ≤ the cap", "no peak market"),
    });

    // 二(一): competition sets the price and the cleared output; the fee is ours to state:
    // price × delivered reduction × time, the delivered reduction filling the unit's bands from
    // the shallowest (rules::peak::fees). Recomputed from the inputs: the uniform price from
    // clearing.csv, or under pay-as-bid the band's own offer in peak_offers.csv.
    checks.push(if peak_runs {
        let hours = h.interval_hours();
        let price: HashMap<usize, Decimal> =
            prices("peak").map(|r| (r.interval, r.price)).collect();
        let mut awards: Vec<(usize, &results::Award)> =
            awarded(scenario, results, "peak").collect();
        awards.sort_by_key(|(_, a)| (a.interval, a.unit.clone(), a.band));
        let mut delivered_left: HashMap<(usize, usize), Decimal> = HashMap::new();
        let mut want: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut offences = Vec::new();
        for (u, a) in awards {
            let p = match c.peak.pricing {
                crate::scenario::config::PeakPricing::Uniform => {
                    price.get(&a.interval).copied().unwrap_or_default()
                }
                crate::scenario::config::PeakPricing::PayAsBid => {
                    let offer = scenario.peak_offers.iter().find(|o| {
                        o.unit == u && Some(o.band) == a.band && o.intervals.contains(&a.interval)
                    });
                    match offer {
                        Some(o) => o.price,
                        None => {
                            offences.push(format!(
                                "unit {} at {}: no band {} offer in peak_offers.csv to pay (awards.csv line {})",
                                a.unit,
                                label(a.interval),
                                a.band.map_or("?".into(), |b| b.to_string()),
                                a.line
                            ));
                            continue;
                        }
                    }
                }
            };
            let left = delivered_left.entry((u, a.interval)).or_insert_with(|| {
                scenario
                    .actuals
                    .peak_delivered_mw
                    .get(&(u, a.interval))
                    .copied()
                    .unwrap_or(Decimal::MAX)
            });
            let paid_mw = a.cleared_mw.min(*left);
            *left -= paid_mw;
            *want
                .entry((h.day(a.interval).to_string(), a.unit.clone()))
                .or_default() += p * paid_mw * hours;
        }
        let mut check = fee_offences(
            "二(一)",
            "every peak fee = price × delivered reduction × time",
            "peak",
            want,
            results,
        );
        if !offences.is_empty() {
            check = verdict(check.clause, check.rule, offences, String::new());
        }
        // Without any delivery metered, "delivered" is the award: a claim, never a pass (as an
        // FR award with no mileage metered, 三(三)).
        check.resting_on_any(no_actuals_claim(
            scenario,
            results,
            "peak",
        ))
    } else {
        na(
            "二(一)",
            "every peak fee = price × delivered reduction × time",
            "no peak market",
        )
    });

    checks
}
