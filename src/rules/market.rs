//! The clearing-price rule every product of notice 196 shares: a single clearing price per
//! interval, set by the marginal accepted offer's ranking price and never above the cap; where
//! the offers cannot meet the requirement, everything is accepted and the price is the cap
//! (scarcity is a result, not an error).

use rust_decimal::Decimal;

use crate::clearing::merit_order::{self, Bid};
use crate::outcome::{AwardRow, ClearingRow, Rejection};
use crate::product::Product;
use crate::scenario::Offer;

/// One eligible offer in one interval, with the price it ranks at.
#[derive(Debug, Clone)]
pub struct IntervalBid<'a> {
    pub offer: &'a Offer,
    pub ranking_price: Decimal,
    pub performance_factor: Option<Decimal>,
}

/// Clears one interval of one product. `id_rank[u]` is unit u's rank by id (the last tie-break
/// of a pro-rata split). Awards come back in (unit id, band) order.
pub fn clear_interval(
    product: Product,
    interval: usize,
    requirement_mw: Decimal,
    mut bids: Vec<IntervalBid>,
    cap: Decimal,
    id_rank: &[usize],
) -> (ClearingRow, Vec<AwardRow>) {
    bids.sort_by_key(|b| (id_rank[b.offer.unit], b.offer.band));
    let engine_bids: Vec<Bid> = bids
        .iter()
        .map(|b| Bid {
            key: b.ranking_price,
            tier: b.offer.band,
            order: id_rank[b.offer.unit],
            mw: b.offer.mw,
        })
        .collect();
    let outcome = merit_order::clear(requirement_mw, &engine_bids);
    let price = if outcome.shortfall > Decimal::ZERO {
        cap
    } else {
        outcome
            .marginal
            .iter()
            .map(|&i| bids[i].ranking_price)
            .max()
            .map_or(Decimal::ZERO, |p| p.min(cap))
    };
    let mut marginal_units: Vec<usize> = outcome
        .marginal
        .iter()
        .map(|&i| bids[i].offer.unit)
        .collect();
    marginal_units.sort_by_key(|&u| id_rank[u]);
    marginal_units.dedup();
    let row = ClearingRow {
        interval,
        product,
        requirement_mw,
        cleared_mw: outcome.total,
        shortfall_mw: outcome.shortfall,
        price,
        marginal_units,
    };
    let awards = bids
        .iter()
        .zip(&outcome.cleared)
        .map(|(b, &cleared)| AwardRow {
            interval,
            product,
            unit: b.offer.unit,
            band: (product == Product::Peak).then_some(b.offer.band),
            offered_mw: b.offer.mw,
            cleared_mw: cleared,
            offer_price: b.offer.price,
            ranking_price: b.ranking_price,
            performance_factor: b.performance_factor,
            paid_price: price,
        })
        .collect();
    (row, awards)
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

/// Clears every interval of a product whose offers rank at their own price (peak, reserve).
pub fn clear_at_offer_prices(
    product: Product,
    offers: &[Offer],
    requirement_mw: impl Fn(usize) -> Decimal,
    intervals: usize,
    cap: Decimal,
    id_rank: &[usize],
) -> (Vec<ClearingRow>, Vec<AwardRow>) {
    let mut clearing = Vec::with_capacity(intervals);
    let mut awards = Vec::new();
    for (i, list) in by_interval(offers, intervals).into_iter().enumerate() {
        let requirement = requirement_mw(i);
        if list.is_empty() && requirement.is_zero() {
            continue; // no market in this interval
        }
        let bids = list
            .iter()
            .map(|&k| IntervalBid {
                offer: &offers[k],
                ranking_price: offers[k].price,
                performance_factor: None,
            })
            .collect();
        let (row, a) = clear_interval(product, i, requirement, bids, cap, id_rank);
        clearing.push(row);
        awards.extend(a);
    }
    (clearing, awards)
}
