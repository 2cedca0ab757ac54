//! The clearing-price rule every product of notice 196 shares: a single clearing price per
//! interval, set by the marginal accepted offer's ranking price and never above the cap; where
//! the offers cannot meet the requirement, everything is accepted and the price is the cap
//! (scarcity is a result, not an error).

use rust_decimal::Decimal;

use crate::clearing::merit_order::{self, Bid};
use crate::outcome::{AwardRow, ClearingRow};
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
    let mut marginal_units: Vec<usize> = outcome.marginal.iter().map(|&i| bids[i].offer.unit).collect();
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
