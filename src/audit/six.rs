//! notice 196 §六 (policy support): capacity-paid units take part, storage on both sides, only real offers set prices, zonal minimums, joint clearing: 六

use super::*;

/// The checks of §六, in the audit's order.
pub(super) fn checks(cx: &Context) -> Vec<Check> {
    let (scenario, results) = (cx.scenario, cx.results);
    let c = &scenario.config;
    let label = |i: usize| cx.label(i);
    let (refused, resolved_caps) = (cx.refused, &cx.resolved_caps);
    let mut checks = Vec::new();
    // 六(十): capacity-paid units bid; storage admitted on both sides.
    let offered: std::collections::HashSet<usize> = scenario
        .fr_offers
        .iter()
        .chain(&scenario.peak_offers)
        .chain(&scenario.reserve_offers)
        .map(|o| o.unit)
        .collect();
    checks.push(verdict(
        "六(十)",
        "units paid a capacity price submitted offers",
        scenario
            .fleet
            .units
            .iter()
            .enumerate()
            .filter(|(i, u)| u.capacity_payment && !offered.contains(i))
            .map(|(_, u)| {
                format!(
                    "unit {} has capacity_payment = true and no offer (units.csv line {})",
                    u.id, u.line
                )
            })
            .collect(),
        format!(
            "{} capacity-paid units all offered",
            scenario
                .fleet
                .units
                .iter()
                .filter(|u| u.capacity_payment)
                .count()
        ),
    ));
    // 六(十): ... and take part, day by day (rules::participation says what that means).
    let admitted = {
        let rank = crate::run::id_rank(scenario);
        let caps = &resolved_caps;
        let fr = fr::prepare(scenario, caps, &rank).map(|f| f.prepared).ok();
        let peak = peak::prepare(scenario, caps).map(|p| p.0).ok();
        let (reserve, _) = crate::rules::reserve::prepare(scenario, caps);
        [fr, peak, Some(reserve)]
    };
    let admitted: Vec<&crate::rules::market::Prepared> = admitted.iter().flatten().collect();
    // The audit's own floor, not `[policy] participation_min_share` (a scenario may not lower
    // the bar it is judged by).
    let absent = crate::rules::participation::absent(
        scenario,
        &admitted,
        crate::rules::participation::AUDIT_MIN_SHARE,
    );
    let mut by_unit: BTreeMap<usize, Vec<chrono::NaiveDate>> = BTreeMap::new();
    for (u, d) in absent {
        by_unit.entry(u).or_default().push(d);
    }
    let rule = "capacity-paid units take part every day (admitted offers, not token ones)";
    let floor = crate::rules::participation::AUDIT_MIN_SHARE;
    let least = |u: usize| scenario.fleet.units[u].capacity_mw.saturating_mul(floor);
    let mut offences: Vec<String> = by_unit
        .iter()
        .map(|(&u, days)| {
            format!(
                "unit {} (units.csv line {}) has no admitted offers of at least 1 % of its capacity ({} MW) in some interval with a requirement on {} day(s), first {}",
                scenario.fleet.units[u].id,
                scenario.fleet.units[u].line,
                least(u),
                days.len(),
                days[0]
            )
        })
        .collect();
    // Where no interval asks for its products, a capacity-paid unit's offers are still judged
    // by their size: token offers alone (every admitted offer below the floor) are not taking
    // part, whatever is asked.
    for (u, unit) in scenario.fleet.units.iter().enumerate() {
        if !unit.capacity_payment || by_unit.contains_key(&u) || !offered.contains(&u) {
            continue;
        }
        let largest = admitted
            .iter()
            .flat_map(|p| p.offers.iter())
            .filter(|o| o.unit == u)
            .map(|o| o.mw)
            .max();
        if largest.is_none_or(|mw| mw < least(u)) {
            offences.push(format!(
                "unit {} (units.csv line {}) holds only token offers: its largest admitted offer is {} MW, below 1 % of its capacity ({} MW)",
                unit.id,
                unit.line,
                largest.unwrap_or_default(),
                least(u)
            ));
        }
    }
    // notice 196 §六(十) ("确定参与辅助服务市场的准入条件时，应当实行公平准入"): an admission rule of
    // the scenario's (`[policy] min_offer_share`) decides which offers stand; whether it is
    // the province's approved, fair one the audit cannot see: the checks that judge admitted
    // offers rest on it.
    let admission_claim = c.policy.min_offer_share.map(|share| {
        format!(
            "[policy] min_offer_share = {share}: offers below {share} of their unit's capacity are refused, an admission rule of the scenario's"
        )
    });
    checks.push(if refused {
        na("六(十)", rule, "the run is refused: no market to take part in")
    } else {
        verdict(
            "六(十)",
            rule,
            offences,
            "every capacity-paid unit held admitted offers of at least 1 % of its capacity in every interval with a requirement for a product it is eligible for (by its kind)".into(),
        )
        .resting_on_any(admission_claim.clone())
    });
    let storage_offers = scenario
        .fr_offers
        .iter()
        .chain(&scenario.peak_offers)
        .chain(&scenario.reserve_offers)
        .any(|o| scenario.fleet.units[o.unit].kind == Kind::Storage);
    checks.push(if storage_offers {
        let is_storage = |u: &str| {
            scenario
                .fleet
                .get(u)
                .is_some_and(|i| scenario.fleet.units[i].kind == Kind::Storage)
        };
        // Per product, the storage offer rows and how many rejected_offers.csv refuses: the
        // detail says what was admitted, never more.
        let sides: Vec<String> = [
            ("fr", "FR", &scenario.fr_offers),
            ("reserve", "reserve", &scenario.reserve_offers),
            ("peak", "peak", &scenario.peak_offers),
        ]
        .into_iter()
        .filter_map(|(product, name, offers)| {
            let offered = offers
                .iter()
                .filter(|o| scenario.fleet.units[o.unit].kind == Kind::Storage)
                .count();
            let refused = results
                .rejected
                .iter()
                .filter(|(u, p, _)| p == product && is_storage(u))
                .count();
            (offered > 0).then(|| {
                format!(
                    "{name} {} of {offered}",
                    offered.saturating_sub(refused)
                )
            })
        })
        .collect();
        verdict(
            "六(十)",
            "storage takes part as generator (discharging) and load (charging)",
            results
                .rejected
                .iter()
                .filter(|(u, _, reason)| is_storage(u) && reason.contains("provider"))
                .map(|(u, p, r)| format!("storage {u}'s {p} offer refused: {r}"))
                .collect(),
            format!(
                "no storage offer refused for its kind; storage offer rows admitted (of those offered): {}",
                sides.join(", ")
            ),
        )
        .resting_on_any(admission_claim.clone())
    } else {
        na(
            "六(十)",
            "storage takes part as generator (discharging) and load (charging)",
            "no storage offers",
        )
    });

    checks.push(token_price_setters(scenario, results, &label).resting_on_any(admission_claim));
    checks.push(zonal_minimums(scenario, results, &label));

    // 六(十一): joint clearing with energy where spot runs continuously.
    let rule = "cleared jointly with energy where spot runs continuously";
    checks.push(match c.spot_market {
        SpotMarket::None => na("六(十一)", rule, "the spot market does not run continuously"),
        SpotMarket::Continuous if scenario.energy_offers.is_empty() => na("六(十一)", rule, "the scenario holds no energy offers to clear jointly with"),
        SpotMarket::Continuous => {
            let engine = results.engine.clone().unwrap_or_default();
            let energy_rows = results.clearing.iter().filter(|r| r.product == "energy").count();
            if engine.starts_with("lp") && energy_rows > 0 {
                verdict("六(十一)", rule, vec![], format!("{energy_rows} intervals of energy cleared with FR and reserve by {engine}"))
            } else {
                verdict("六(十一)", rule, vec![format!("energy offers present but the results were cleared by {:?} with {energy_rows} energy rows", engine)], String::new())
            }
        }
    });
    checks
}

/// notice 196 §六(十) (fair participation; prices by competition, §三(三), §四(五)): an FR or
/// reserve clearing price is set only by a real offer. Per clearing row, system-wide and zonal
/// alike (a zone's price is a price too), the offers that set it are the awards of the
/// interval of the units clearing.csv names in `marginal_unit`, whatever the price (an FR
/// price held at the cap is still set by its marginal offer); where every one of them offered
/// less than [`participation::AUDIT_MIN_SHARE`](crate::rules::participation::AUDIT_MIN_SHARE)
/// of its unit's capacity (units.csv), a token offer set the market's price: fail. Outputs
/// without a `marginal_unit` column are judged by the awards cleared at the price (FR: their
/// `ranking_price`). The floor is the audit's own; `[policy] min_offer_share` is what keeps
/// such offers out of a run.
fn token_price_setters(
    scenario: &Scenario,
    results: &Results,
    label: &dyn Fn(usize) -> String,
) -> Check {
    const RULE: &str = "FR and reserve prices set only by offers of at least 1 % of capacity";
    let floor = crate::rules::participation::AUDIT_MIN_SHARE;
    if scenario.fr_offers.is_empty() && scenario.reserve_offers.is_empty() {
        return na("六(十)", RULE, "no FR or reserve market");
    }
    // clearing.csv's `marginal_unit` by line (`;` between tied units), where the column is.
    let marginal: Option<HashMap<u64, Vec<String>>> = results
        .files
        .get("clearing.csv")
        .and_then(|b| crate::scenario::table::Table::parse("clearing.csv", b).ok())
        .filter(|t| t.has("marginal_unit"))
        .map(|t| {
            t.rows()
                .map(|row| {
                    let units = row
                        .optional("marginal_unit")
                        .map(|m| m.split(';').map(|u| u.trim().to_string()).collect())
                        .unwrap_or_default();
                    (row.line, units)
                })
                .collect()
        });
    let mut setters: HashMap<(usize, &str), Vec<(&results::Award, Decimal)>> = HashMap::new();
    for product in ["fr", "reserve"] {
        for (_, a) in awarded(scenario, results, product) {
            let price = if product == "fr" {
                a.ranking_price.unwrap_or(a.offer_price)
            } else {
                a.offer_price
            };
            setters
                .entry((a.interval, product))
                .or_default()
                .push((a, price));
        }
    }
    let mut offences = Vec::new();
    let mut checked = 0;
    for r in results
        .clearing
        .iter()
        .filter(|r| matches!(r.product.as_str(), "fr" | "reserve"))
    {
        let Some(awards) = setters.get(&(r.interval, r.product.as_str())) else {
            continue;
        };
        let set_by: Vec<&results::Award> = match &marginal {
            Some(m) => {
                let named = m.get(&r.line).map(Vec::as_slice).unwrap_or_default();
                awards
                    .iter()
                    .filter(|(a, _)| named.contains(&a.unit))
                    .map(|(a, _)| *a)
                    .collect()
            }
            None => awards
                .iter()
                .filter(|(_, p)| *p == r.price)
                .map(|(a, _)| *a)
                .collect(),
        };
        if set_by.is_empty() {
            continue; // no offer set it: a shortfall's price (the cap)
        }
        checked += 1;
        let token = |a: &results::Award| {
            scenario.fleet.get(&a.unit).is_some_and(|u| {
                a.offered_mw < scenario.fleet.units[u].capacity_mw.saturating_mul(floor)
            })
        };
        if set_by.iter().all(|a| token(a)) {
            let a = set_by[0];
            let capacity = scenario
                .fleet
                .get(&a.unit)
                .map_or(Decimal::ZERO, |u| scenario.fleet.units[u].capacity_mw);
            offences.push(format!(
                "{} {}{} price {} set by unit {}'s offer of {} MW, below 1 % of its {capacity} MW capacity (awards.csv line {}, clearing.csv line {})",
                label(r.interval),
                if r.product == "fr" { "FR" } else { "reserve" },
                if r.zone.is_empty() {
                    String::new()
                } else {
                    format!(" zone {}", r.zone)
                },
                r.price,
                a.unit,
                a.offered_mw,
                a.line,
                r.line
            ));
        }
    }
    verdict(
        "六(十)",
        RULE,
        offences,
        format!(
            "{checked} FR and reserve prices (system and zonal) set by offers of at least 1 % of their unit's capacity"
        ),
    )
}

/// Zonal minimums (`zone_requirements.csv`), checked from the inputs and the outputs alone:
/// per zone, product and interval with a minimum, clearing.csv has the zone's row, the zone's
/// units' awards (awards.csv) + the row's shortfall ≥ the minimum (to 0.01 MW: each award is
/// rounded to 0.001 MW), and the zone's price ≥ the system-wide price (a zone's premium is
/// never negative). Joint clearing over a network (notice 196 §六(十一) asks ancillary
/// services to clear jointly with spot markets, which clear over the grid); the minimums
/// themselves are the scenario's.
fn zonal_minimums(
    scenario: &Scenario,
    results: &Results,
    label: &dyn Fn(usize) -> String,
) -> Check {
    const RULE: &str =
        "each zone's FR and reserve awards + shortfall ≥ its minimum, at a price ≥ the system's";
    let Some(network) = scenario
        .network
        .as_ref()
        .filter(|n| n.zone_requirements.any())
    else {
        return na(
            "六(十一)",
            RULE,
            "no zonal minimums (zone_requirements.csv)",
        );
    };
    let tolerance = Decimal::new(1, 2);
    let mut held: HashMap<(&str, usize, usize), Decimal> = HashMap::new();
    for product in ["fr", "reserve"] {
        for (u, a) in awarded(scenario, results, product) {
            *held
                .entry((product, a.interval, network.unit_zone(u)))
                .or_default() += a.cleared_mw;
        }
    }
    let row = |product: &str, interval: usize, zone: &str| {
        results
            .clearing
            .iter()
            .find(|r| r.product == product && r.interval == interval && r.zone == zone)
    };
    let mut offences = Vec::new();
    let mut checked = 0;
    for i in 0..scenario.horizon.intervals {
        for (z, name) in network.zones.iter().enumerate() {
            let r = network.zone_requirements.get(i, z);
            for (product, minimum) in [("fr", r.fr_mw), ("reserve", r.reserve_mw)] {
                if minimum <= Decimal::ZERO {
                    continue;
                }
                checked += 1;
                let Some(zone_row) = row(product, i, name) else {
                    offences.push(format!(
                        "{} zone {name} asks for {minimum} MW of {product}, but clearing.csv has no row for it",
                        label(i)
                    ));
                    continue;
                };
                let awards = held.get(&(product, i, z)).copied().unwrap_or_default();
                let short = zone_row.shortfall_mw.unwrap_or_default();
                if awards + short < minimum - tolerance {
                    offences.push(format!(
                        "{} zone {name} {product}: awards {awards} + shortfall {short} MW < its minimum {minimum} MW (clearing.csv line {})",
                        label(i),
                        zone_row.line
                    ));
                }
                if let Some(system) = row(product, i, "")
                    && zone_row.price < system.price
                {
                    offences.push(format!(
                        "{} zone {name} {product} price {} < the system-wide {} (clearing.csv lines {} and {})",
                        label(i),
                        zone_row.price,
                        system.price,
                        zone_row.line,
                        system.line
                    ));
                }
            }
        }
    }
    verdict(
        "六(十一)",
        RULE,
        offences,
        format!(
            "{checked} zonal minimums met by awards.csv + shortfall, zone prices ≥ the system's"
        ),
    )
}
