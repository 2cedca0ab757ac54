//! notice 196 §五 (passing costs on, 价格传导): results reproduce from the inputs (五(七)),
//! who pays (五(八)), items apart and pools balanced daily (五(九)).

use super::*;

/// The checks of §五, in the audit's order. `split`: whether §五(八)'s lost-opportunity split
/// applies (continuous spot, energy cleared jointly); `want_lost`: the lost-opportunity part
/// of each (day, unit, product) fee, as the audit's own FR and reserve fee checks computed it.
pub(super) fn checks(
    cx: &Context,
    rerun: &BTreeMap<String, Vec<u8>>,
    split: bool,
    want_lost: &BTreeMap<(String, String, &'static str), Decimal>,
) -> Vec<Check> {
    let (scenario, results, refused) = (cx.scenario, cx.results, cx.refused);
    let c = &scenario.config;
    let mut checks = Vec::new();
    // 五(七): reproducible from the inputs. A refused run has nothing to reproduce: the clause
    // that refused it fails on its own, and this one does not pile on.
    let mut offences = Vec::new();
    if !results.files.is_empty() && rerun.is_empty() {
        offences.push(
            "the rules refuse this scenario, yet the results folder holds an output".to_string(),
        );
    }
    match &results.input_digest {
        _ if results.files.is_empty() => {}
        Some(d) if *d == scenario.input_digest => {}
        Some(d) => offences.push(format!(
            "summary.json input digest {d} is not the scenario's {}",
            scenario.input_digest
        )),
        None => offences.push("summary.json has no input digest".into()),
    }
    for (name, bytes) in rerun {
        match results.files.get(name) {
            Some(b) if b == bytes => {}
            Some(_) => offences.push(format!("{name} differs from a re-run")),
            None => offences.push(format!("{name} is missing from the results")),
        }
    }
    checks.push(if refused {
        na(
            "五(七)",
            "results reproduce from the inputs",
            "the run is refused (see the failing clause): no results to reproduce",
        )
    } else {
        verdict(
            "五(七)",
            "results reproduce from the inputs",
            offences,
            format!(
                "input digest matches; {} files identical on a re-run",
                rerun.len()
            ),
        )
    });

    // 五(八): who pays. An allocation row's role is its `role` column, or where results lack
    // it, the party's only role in metering.csv that day.
    let mut roles: HashMap<(String, String), Vec<Role>> = HashMap::new();
    for m in scenario.metering.iter().flatten() {
        roles
            .entry((m.day.to_string(), m.party.clone()))
            .or_default()
            .push(m.role);
    }
    let column_role = |s: &results::Settlement| -> Option<Role> {
        match s.role.as_deref() {
            Some("user") => Some(Role::User),
            Some("generator") => Some(Role::Generator),
            Some("non_market_generator") => Some(Role::NonMarketGenerator),
            _ => None,
        }
    };
    let metered_roles = |s: &results::Settlement| -> &[Role] {
        roles
            .get(&(s.day.clone(), s.party.clone()))
            .map_or(&[], Vec::as_slice)
    };
    // metering.csv (the input) decides where it names one role; the column, where it names
    // one of the party's metered roles or the party is not metered (cleared energy).
    let role_of = |s: &results::Settlement| -> Option<Role> {
        match (column_role(s), metered_roles(s)) {
            (Some(r), m) if m.contains(&r) => Some(r),
            (_, [r]) => Some(*r),
            (c, _) => c,
        }
    };
    let allocations: Vec<_> = results
        .settlement
        .iter()
        .filter(|s| s.item == "allocation")
        .collect();
    let role_mismatch: Vec<String> = allocations
        .iter()
        .filter_map(|s| {
            let r = column_role(s)?;
            let m = metered_roles(s);
            (!m.is_empty() && !m.contains(&r)).then(|| {
                format!(
                    "{} charged as {} on {} but metering.csv gives it as {} (settlement.csv line {})",
                    s.party,
                    r.as_str(),
                    s.day,
                    m.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" and "),
                    s.line
                )
            })
        })
        .collect();
    let five_eight = "only FR and reserve passed through; users bear the lost opportunity at user_share, market generators the rest";
    checks.push(match c.spot_market {
        SpotMarket::None => verdict(
            "五(八)",
            "no cost passed to users where spot does not run continuously",
            allocations.iter().filter(|s| role_of(s) == Some(Role::User) && s.amount < Decimal::ZERO).map(|s| format!("user {} charged {} for {} on {} (settlement.csv line {})", s.party, Yuan(s.amount), s.product, s.day, s.line)).chain(role_mismatch.iter().cloned()).collect(),
            format!("{} allocation rows, none to users", allocations.len()),
        )
        .resting_on_any(payer_settings_claim(c)),
        SpotMarket::Continuous => {
            let generators_pay = split && c.allocation.other_costs == OtherCosts::MarketGenerators;
            let mut offences: Vec<String> = allocations
                .iter()
                .filter_map(|s| {
                    if !matches!(s.product.as_str(), "fr" | "reserve") {
                        Some(format!("{} cost passed through on {} to {} (settlement.csv line {}): only FR and reserve may be", s.product, s.day, s.party, s.line))
                    } else if !generators_pay && role_of(s) == Some(Role::Generator) {
                        Some(format!("market generator {} charged {} for {} on {} (settlement.csv line {})", s.party, Yuan(s.amount), s.product, s.day, s.line))
                    } else {
                        None
                    }
                })
                .collect();
            offences.extend(role_mismatch.iter().cloned());
            // Each compensation row's lost-opportunity part, as the audit computes it.
            let mut lost_pool: BTreeMap<(String, String), Yuan> = BTreeMap::new();
            for s in results.settlement.iter().filter(|s| split && s.item == "compensation" && matches!(s.product.as_str(), "fr" | "reserve")) {
                let want = want_lost
                    .get(&(s.day.clone(), s.party.clone(), if s.product == "fr" { "fr" } else { "reserve" }))
                    .map_or(Yuan::ZERO, |d| Yuan::round_to_fen(*d));
                *lost_pool.entry((s.day.clone(), s.product.clone())).or_default() += want;
                match s.lost_opportunity {
                    Some(got) if got == want.0 => {}
                    got => offences.push(format!(
                        "{} {} on {}: lost opportunity {} but the awards give {} (settlement.csv line {})",
                        s.party,
                        s.product,
                        s.day,
                        got.map_or("not given".to_string(), |g| Yuan(g).to_string()),
                        want,
                        s.line
                    )),
                }
            }
            if let Some(share) = c.allocation.user_share {
                // (pool, users, generators) per (day, product).
                let mut pool: BTreeMap<(String, String), (Decimal, Decimal, Decimal)> = BTreeMap::new();
                for s in &results.settlement {
                    let e = pool.entry((s.day.clone(), s.product.clone())).or_default();
                    if s.item == "allocation" {
                        match role_of(s) {
                            Some(Role::User) => e.1 += s.amount,
                            Some(Role::Generator) => e.2 += s.amount,
                            _ => {}
                        }
                    } else {
                        e.0 += s.amount;
                    }
                }
                for ((day, product), (recover, users, generators)) in pool {
                    if !matches!(product.as_str(), "fr" | "reserve") {
                        continue;
                    }
                    let recover = Yuan(recover);
                    let lost = lost_pool.get(&(day.clone(), product.clone())).copied().unwrap_or(Yuan::ZERO);
                    let user_borne = if !split || recover < Yuan::ZERO { recover } else { lost.min(recover) };
                    let to_users = if generators_pay { user_borne } else { recover };
                    let want = -Yuan::round_to_fen(to_users.0 * decimal(share));
                    if Yuan(users) != want {
                        offences.push(format!("users paid {} of the {product} cost on {day}; user_share {share} of the user-borne {} is {}", Yuan(users), to_users, want));
                    }
                    if generators_pay && Yuan(generators) != -(recover - user_borne) {
                        offences.push(format!("market generators paid {} of the {product} cost on {day}; the part users do not bear is {}", Yuan(generators), recover - user_borne));
                    }
                }
            }
            verdict("五(八)", five_eight, offences, format!("{} allocation rows; user_share {}; {}", allocations.len(), c.allocation.user_share.map_or("not set".to_string(), |v| v.to_string()), if split { "lost opportunity recomputed from awards.csv" } else { "no split (no joint clearing, or user_borne = all)" }))
                .resting_on_any(allocation_claim(scenario))
                .resting_on_any(payer_settings_claim(c))
        }
    });

    // 五(九): items apart, and the pool charged exactly, every day.
    let mut offences: Vec<String> = results
        .settlement
        .iter()
        .filter(|s| !matches!(s.item.as_str(), "compensation" | "allocation" | "penalty"))
        .map(|s| {
            format!(
                "settlement.csv line {}: item {:?} is none of compensation, allocation, penalty",
                s.line, s.item
            )
        })
        .collect();
    let mut balance: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for s in &results.settlement {
        *balance
            .entry((s.day.clone(), s.product.clone()))
            .or_default() += s.amount;
    }
    for ((day, product), total) in &balance {
        if !total.is_zero() {
            offences.push(format!(
                "{day} {product}: Σ allocation differs from Σ compensation − penalties by {} yuan",
                Yuan(*total)
            ));
        }
    }
    checks.push(verdict(
        "五(九)",
        "items apart; Σ allocation = Σ compensation − penalties, daily",
        offences,
        format!("{} day-product pools balance to the fen", balance.len()),
    ));

    checks
}

/// notice 196 §五(八) ("其他需由经营主体承担的辅助服务费用，按程序报批") and §六(十) ("不得…对特定主体
/// 作出歧视性规定"): the settings that change who among the market's parties pays, and how
/// much (`[allocation] exempt_kinds`, `kind_weights`, `non_bidder_weight`), are a province's
/// approved rule the audit cannot see: the scenario's claim, named, so 五(八) is unverified
/// where any is set. The audit checks the money is charged (五(九)), not that the split is
/// the approved one.
fn payer_settings_claim(c: &crate::scenario::config::Config) -> Option<String> {
    let a = &c.allocation;
    let mut claims = Vec::new();
    if !a.exempt_kinds.is_empty() {
        claims.push(format!(
            "[allocation] exempt_kinds = {:?}: these kinds pay nothing",
            a.exempt_kinds
        ));
    }
    if !a.kind_weights.is_empty() {
        let weights: Vec<String> = a
            .kind_weights
            .iter()
            .map(|(k, w)| format!("{k} = {w}"))
            .collect();
        claims.push(format!(
            "[allocation] kind_weights = {{ {} }}: payers' energy weighted by kind",
            weights.join(", ")
        ));
    }
    if let Some(w) = a.non_bidder_weight {
        claims.push(format!(
            "[allocation] non_bidder_weight = {w}: FR-capable units that did not offer FR pay {w}×"
        ));
    }
    (!claims.is_empty()).then(|| claims.join("; "))
}
