//! What every product of notice 196 shares: eligible offers become per-interval auctions with
//! a ranking price and a cap; an engine clears them (a single clearing price per interval, set
//! by the marginal accepted offer and never above the cap; where offers cannot meet the
//! requirement, everything is accepted and the price is the cap: scarcity is a result, not an
//! error); the results come back as clearing and award rows.

use rust_decimal::Decimal;

use crate::clearing::{Auction, Bid, EnergyBid, Engine, Problem, Solution, Zones};
use crate::outcome::{AwardRow, ClearingRow, Rejection};
use crate::product::Product;
use crate::scenario::{Offer, Scenario};

/// One eligible offer in one interval, with the price it ranks at.
#[derive(Debug, Clone)]
pub struct PreparedBid {
    /// Index into [`Prepared::offers`].
    pub offer: usize,
    pub ranking_price: Decimal,
    pub performance_factor: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct PreparedInterval {
    pub interval: usize,
    pub requirement_mw: Decimal,
    pub bids: Vec<PreparedBid>,
}

/// A product ready to clear: its eligible offers and, per interval with a market, its bids.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub product: Product,
    pub cap: Decimal,
    pub offers: Vec<Offer>,
    pub intervals: Vec<PreparedInterval>,
}

impl Prepared {
    pub fn empty(product: Product, cap: Decimal) -> Prepared {
        Prepared {
            product,
            cap,
            offers: Vec::new(),
            intervals: Vec::new(),
        }
    }

    /// Offers that rank at their own price (peak, reserve), in every interval with offers or a
    /// requirement.
    pub fn at_offer_prices(
        product: Product,
        cap: Decimal,
        offers: Vec<Offer>,
        requirement_mw: impl Fn(usize) -> Decimal,
        intervals: usize,
    ) -> Prepared {
        let mut out = Prepared::empty(product, cap);
        for (i, list) in by_interval(&offers, intervals).into_iter().enumerate() {
            let requirement = requirement_mw(i);
            if list.is_empty() && requirement.is_zero() {
                continue; // no market in this interval
            }
            out.intervals.push(PreparedInterval {
                interval: i,
                requirement_mw: requirement,
                bids: list
                    .into_iter()
                    .map(|k| PreparedBid {
                        offer: k,
                        ranking_price: offers[k].price,
                        performance_factor: None,
                    })
                    .collect(),
            });
        }
        out.offers = offers;
        out
    }
}

/// The offers covering each interval: `result[i]` lists indices into `offers`.
pub fn by_interval(offers: &[Offer], intervals: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); intervals];
    for (k, o) in offers.iter().enumerate() {
        for i in o.intervals.clone() {
            out[i].push(k);
        }
    }
    out
}

/// Offers priced above `cap` are refused and listed; the rest go on. `why` completes the
/// reason, naming the clause: e.g. `"the reserve price cap {cap} yuan/MWh (notice 196 四(六))"`.
pub fn reject_above_cap(
    offers: &[Offer],
    product: Product,
    cap: Decimal,
    why: &str,
) -> (Vec<Offer>, Vec<Rejection>) {
    let mut eligible = Vec::with_capacity(offers.len());
    let mut rejected = Vec::new();
    for o in offers {
        if o.price > cap {
            rejected.push(Rejection {
                unit: o.unit,
                product,
                start: o.start.clone(),
                end: o.end.clone(),
                reason: format!(
                    "offer price {} {} is above {why}",
                    o.price,
                    product.price_unit()
                ),
            });
        } else {
            eligible.push(o.clone());
        }
    }
    (eligible, rejected)
}

/// Offers below `[policy] min_offer_share` of their unit's capacity are refused and listed
/// (the rest go on): a token offer neither clears nor sets a price. Opt-in, a provincial rule
/// (Guangdong bounds thermal units' capacity bids to 3–7.5 % of rated capacity; REFERENCES,
/// trade press); without it every offer goes on, and the audit's 六(十) check fails a price set
/// by an offer below 1 % of its unit's capacity.
pub fn reject_below_minimum(
    scenario: &Scenario,
    offers: Vec<Offer>,
    product: Product,
) -> (Vec<Offer>, Vec<Rejection>) {
    let Some(share) = scenario.config.policy.min_offer_share else {
        return (offers, Vec::new());
    };
    let share = crate::rules::caps::decimal(share);
    let mut eligible = Vec::with_capacity(offers.len());
    let mut rejected = Vec::new();
    for o in offers {
        let capacity = scenario.fleet.units[o.unit].capacity_mw;
        let least = capacity.saturating_mul(share);
        if o.mw < least {
            rejected.push(Rejection {
                unit: o.unit,
                product,
                start: o.start.clone(),
                end: o.end.clone(),
                reason: format!(
                    "offer of {} MW is below the minimum offer, [policy] min_offer_share = {share} of its {capacity} MW capacity = {least} MW (a provincial rule, e.g. Guangdong: thermal units 3–7.5 % of rated capacity): a token offer neither clears nor sets a price",
                    o.mw
                ),
            });
        } else {
            eligible.push(o);
        }
    }
    (eligible, rejected)
}

/// The problem for an engine: every product's auctions (bids in unit-id and band order) plus
/// whatever energy and physical limits the caller adds.
pub fn auctions(prepared: &[Prepared], id_rank: &[usize]) -> Vec<Auction> {
    let mut out = Vec::new();
    for p in prepared {
        for pi in &p.intervals {
            let mut bids: Vec<&PreparedBid> = pi.bids.iter().collect();
            bids.sort_by_key(|b| (id_rank[p.offers[b.offer].unit], p.offers[b.offer].band));
            out.push(Auction {
                product: p.product,
                interval: pi.interval,
                requirement_mw: pi.requirement_mw,
                scarcity_price: p.cap,
                bids: bids
                    .iter()
                    .map(|b| {
                        let o = &p.offers[b.offer];
                        (
                            o.unit,
                            Bid {
                                key: b.ranking_price,
                                tier: o.band,
                                order: id_rank[o.unit],
                                mw: o.mw,
                            },
                        )
                    })
                    .collect(),
            });
        }
    }
    out
}

/// Clearing and award rows from an engine's solution of [`auctions`]`(prepared)` and the
/// zonal minimums `zones` on them: a zonal minimum adds a clearing row (its `zone` set) after
/// the system-wide row of its product and interval, and each award is paid its unit's zone's
/// price where that zone has a minimum there, else the system price (notice 196 §四(五):
/// reserve is paid its clearing price; the zone's is the one it cleared at).
pub fn rows(
    prepared: &[Prepared],
    id_rank: &[usize],
    solution: &Solution,
    zones: &Zones,
) -> (Vec<ClearingRow>, Vec<AwardRow>) {
    // Per system auction: its zonal minimums, (zone, index into `zones.auctions`), zone order.
    let mut by_auction: std::collections::HashMap<usize, Vec<(usize, usize)>> =
        std::collections::HashMap::new();
    for (z, za) in zones.auctions.iter().enumerate() {
        by_auction.entry(za.auction).or_default().push((za.zone, z));
    }
    let mut clearing = Vec::with_capacity(solution.auctions.len());
    let mut awards = Vec::with_capacity(
        prepared
            .iter()
            .flat_map(|p| &p.intervals)
            .map(|pi| pi.bids.len())
            .sum(),
    );
    // Results come product by product (the auctions' order); rows go out interval by
    // interval, products in order, which is the outputs' order (no sort of the awards later).
    let mut order: Vec<(usize, usize, usize, usize)> = Vec::new(); // (interval, product, j, result)
    let mut k = 0;
    for (product, p) in prepared.iter().enumerate() {
        for (j, pi) in p.intervals.iter().enumerate() {
            order.push((pi.interval, product, j, k));
            k += 1;
        }
    }
    order.sort_unstable();
    for &(_, product, j, k) in &order {
        let p = &prepared[product];
        let pi = &p.intervals[j];
        {
            let r = &solution.auctions[k];
            let mut bids: Vec<&PreparedBid> = pi.bids.iter().collect();
            bids.sort_by_key(|b| (id_rank[p.offers[b.offer].unit], p.offers[b.offer].band));
            let mut marginal_units: Vec<usize> = r
                .marginal
                .iter()
                .map(|&j| p.offers[bids[j].offer].unit)
                .collect();
            marginal_units.sort_by_key(|&u| id_rank[u]);
            marginal_units.dedup();
            clearing.push(ClearingRow {
                interval: pi.interval,
                product: p.product,
                requirement_mw: pi.requirement_mw,
                cleared_mw: r.total,
                shortfall_mw: r.shortfall,
                price: r.price,
                marginal_units,
                zone: None,
            });
            let in_zones = by_auction.get(&k).map_or(&[][..], Vec::as_slice);
            for &(zone, z) in in_zones {
                let result = solution.zones.get(z).cloned().unwrap_or_default();
                // Marginal: the zone's accepted bids at the dearest key among them.
                let accepted: Vec<(&PreparedBid, Decimal)> = bids
                    .iter()
                    .zip(&r.cleared)
                    .filter(|(b, c)| {
                        **c > Decimal::ZERO
                            && zones.unit_zone.get(p.offers[b.offer].unit) == Some(&zone)
                    })
                    .map(|(b, _)| (*b, b.ranking_price))
                    .collect();
                let top = accepted.iter().map(|&(_, key)| key).max();
                let mut marginal_units: Vec<usize> = accepted
                    .iter()
                    .filter(|&&(_, key)| Some(key) == top)
                    .map(|(b, _)| p.offers[b.offer].unit)
                    .collect();
                marginal_units.sort_by_key(|&u| id_rank[u]);
                marginal_units.dedup();
                clearing.push(ClearingRow {
                    interval: pi.interval,
                    product: p.product,
                    requirement_mw: zones.auctions[z].requirement_mw,
                    cleared_mw: result.total,
                    shortfall_mw: result.shortfall,
                    price: result.price,
                    marginal_units,
                    zone: Some(zone),
                });
            }
            // The price each award is paid: its zone's where the zone has a minimum here.
            let paid = |unit: usize| -> Decimal {
                let zone = zones.unit_zone.get(unit);
                in_zones
                    .iter()
                    .find(|(z, _)| Some(z) == zone)
                    .and_then(|&(_, z)| solution.zones.get(z))
                    .map_or(r.price, |result| result.price)
            };
            for (b, &cleared) in bids.iter().zip(&r.cleared) {
                let o = &p.offers[b.offer];
                awards.push(AwardRow {
                    interval: pi.interval,
                    product: p.product,
                    unit: o.unit,
                    band: (p.product == Product::Peak).then_some(o.band),
                    offered_mw: o.mw,
                    cleared_mw: cleared,
                    offer_price: o.price,
                    ranking_price: b.ranking_price,
                    performance_factor: b.performance_factor,
                    paid_price: paid(o.unit),
                });
            }
        }
    }
    (clearing, awards)
}

/// Solves `problem` with `engine`. An engine that does not clear this kind of problem is the
/// setting's error (`[clearing] engine`); a solver failure is not the input's (with scarcity
/// and spill priced at the caps every problem the rules pass is feasible), and says so.
pub fn solve(engine: &dyn Engine, problem: &Problem) -> Result<Solution, crate::error::InputError> {
    use crate::clearing::SolveError;
    engine.solve(problem).map_err(|e| match e {
        SolveError::Unsupported(why) => crate::error::InputError::new(
            crate::error::ErrorKind::Invalid,
            "scenario.toml",
            format!("clearing with {} failed: {why}", engine.name()),
        )
        .at_column("clearing.engine"),
        SolveError::Solver { .. } => crate::error::InputError::solver(format!(
            "clearing failed in the solver, not in the scenario's files: {e}; this is a limit of the solver or a bug of ours, please report it with the scenario (another solver may clear it: run --solver)"
        )),
    })
}

/// Energy offers as engine bids.
pub fn energy_bids(offers: &[Offer]) -> Vec<EnergyBid> {
    let mut out = Vec::new();
    for o in offers {
        for i in o.intervals.clone() {
            out.push(EnergyBid {
                unit: o.unit,
                interval: i,
                segment: o.band,
                mw: o.mw,
                price: o.price,
            });
        }
    }
    out
}

/// Energy's clearing rows (requirement = load) and award rows (one per offer segment, `band` =
/// segment), from the engine's solution.
pub fn energy_rows(problem: &Problem, solution: &Solution) -> (Vec<ClearingRow>, Vec<AwardRow>) {
    let price: std::collections::HashMap<usize, Decimal> = solution
        .energy
        .iter()
        .map(|e| (e.interval, e.price))
        .collect();
    let nodal: std::collections::HashMap<(usize, usize), Decimal> = solution
        .nodal
        .iter()
        .map(|n| ((n.interval, n.bus), n.price))
        .collect();
    let clearing = solution
        .energy
        .iter()
        .map(|e| ClearingRow {
            interval: e.interval,
            product: Product::Energy,
            requirement_mw: e.load_mw,
            cleared_mw: e.dispatched_mw,
            shortfall_mw: e.shortfall_mw,
            price: e.price,
            marginal_units: e.marginal_units.clone(),
            zone: None,
        })
        .collect();
    let awards = problem
        .energy
        .iter()
        .zip(&solution.energy_dispatch)
        .map(|(b, &d)| AwardRow {
            interval: b.interval,
            product: Product::Energy,
            unit: b.unit,
            band: Some(b.segment),
            offered_mw: b.mw,
            cleared_mw: d,
            offer_price: b.price,
            ranking_price: b.price,
            performance_factor: None,
            // With a network, energy is paid its bus's price (the nodal price).
            paid_price: match &problem.grid {
                Some(grid) if !nodal.is_empty() => nodal
                    .get(&(b.interval, grid.unit_bus[b.unit]))
                    .copied()
                    .unwrap_or_default(),
                _ => price.get(&b.interval).copied().unwrap_or_default(),
            },
        })
        .collect();
    (clearing, awards)
}
