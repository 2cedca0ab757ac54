//! notice 196 §四 (reserve, 备用): the energy-market cap, every reserve fee (四(五)), the reserve cap and prices (四(六)).

use super::*;

/// The checks of §四, in the audit's order; the FR and reserve fees' lost-opportunity parts
/// go to `lost` (§五(八)).
pub(super) fn checks(cx: &Context, lost: &mut Lost) -> Vec<Check> {
    let (scenario, results) = (cx.scenario, cx.results);
    let c = &scenario.config;
    let h = &scenario.horizon;
    let label = |i: usize| cx.label(i);
    let prices = |product: &'static str| cx.prices(product);
    let cap_of = |v: Option<f64>, default: Decimal| v.map(decimal).unwrap_or(default);
    let mut checks = Vec::new();
    // 四(五) and 四(六): reserve.
    let energy = caps::energy_cap(scenario);
    let energy_cap = energy.cap;
    // Where the data give no energy-market cap, the scenario's stated one is its claim: the
    // reserve checks measured against it rest on it too.
    let energy_claim = (energy.problem.is_none()
        && crate::rules::spot::energy_cap(scenario.grid, c.spot_market).is_none())
    .then(|| {
        format!(
            "energy-market cap {energy_cap} yuan/MWh from caps.energy_cap_source = {:?}",
            energy.source
        )
    });
    let energy_rule = "the energy-market cap is the local market's, or sourced";
    checks.push(
        if scenario.reserve_offers.is_empty() && scenario.energy_offers.is_empty() {
            na(
                "四(六)",
                energy_rule,
                "no reserve or energy market depends on it",
            )
        } else {
            verdict(
                "四(六)",
                energy_rule,
                energy.problem.clone().into_iter().collect(),
                format!("{energy_cap} yuan/MWh: {}", energy.source),
            )
            .resting_on_any(energy_claim.clone())
        },
    );
    let reserve_cap = cap_of(c.caps.reserve_price_yuan_per_mwh, energy_cap);
    let reserve_runs = !scenario.reserve_offers.is_empty();
    checks.push(if reserve_runs {
        let hours = h.interval_hours();
        // The uniform price of the interval (its zone's, see `price_paid`) from clearing.csv,
        // not the award's own column.
        let price = price_paid(scenario, results, "reserve");
        let mut want: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for (u, a) in awarded(scenario, results, "reserve") {
            let held = scenario
                .actuals
                .reserve_available_mw
                .get(&(u, a.interval))
                .map_or(a.cleared_mw, |&v| v.min(a.cleared_mw));
            let p = price(a.interval, u);
            lost.add(u, a, Product::Reserve, held * hours, p * held * hours);
            *want
                .entry((h.day(a.interval).to_string(), a.unit.clone()))
                .or_default() += p * held * hours;
        }
        // notice 196 §四(五) "实际备用容量低于中标容量的，按实际备用容量结算": with no actual metered,
        // the award is taken as held, the scenario's claim.
        fee_offences(
            "四(五)",
            "every reserve fee = price × capacity × time, on the actual where lower",
            "reserve",
            want,
            results,
        )
        .resting_on_any(no_actuals_claim(scenario, results, "reserve"))
    } else {
        na(
            "四(五)",
            "every reserve fee = price × capacity × time, on the actual where lower",
            "no reserve market",
        )
    });
    checks.push(verdict("四(六)", "reserve cap ≤ the energy-market cap", if reserve_cap > energy_cap { vec![format!("scenario.toml caps.reserve_price_yuan_per_mwh = {reserve_cap} exceeds the energy-market cap {energy_cap}")] } else { vec![] }, format!("{reserve_cap} ≤ {energy_cap} yuan/MWh")).resting_on_any(energy_claim.clone()));
    let reserve_limit = reserve_cap.min(energy_cap);
    checks.push(if reserve_runs {
        verdict(
            "四(六)",
            "every reserve price ≤ the cap",
            prices_above(results, "reserve", reserve_limit, "reserve", &label),
            format!(
                "{} intervals and every reserve award's paid price ≤ {reserve_limit} yuan/MWh",
                prices("reserve").count()
            ),
        )
        .resting_on_any(energy_claim.clone())
    } else {
        na(
            "四(六)",
            "every reserve price ≤ the cap",
            "no reserve market",
        )
    });

    checks
}
