//! The merit-order engine: per interval and product, accept bids in ascending ranking key
//! until the requirement is met; the last group accepted is marginal and sets the price.
//!
//! Conventions (stated because the price is not unique at an offer's edge):
//! - Bids with equal `(key, tier)` form one group. A group that fits is accepted whole; the
//!   group that does not fit shares what is left pro rata to offered MW (fair access: never by
//!   file order), in steps of 0.001 MW, the last steps going by largest remainder and then by
//!   `order` (the caller passes the unit-id rank), so that the awards add up exactly.
//! - The marginal group is the last group with an acceptance > 0. When the requirement is met
//!   exactly at a group's edge, that group is marginal (the price is the last accepted offer's,
//!   not the next one's). A requirement of 0 accepts nothing and has no marginal group.
//!
//! ```
//! use ancillary::clearing::merit_order::{clear, Bid};
//! use rust_decimal_macros::dec;
//! let bids = [
//!     Bid { key: dec!(5), tier: 0, order: 0, mw: dec!(60) },
//!     Bid { key: dec!(4), tier: 0, order: 1, mw: dec!(50) },
//! ];
//! let out = clear(dec!(80), &bids);
//! assert_eq!(out.cleared, vec![dec!(30), dec!(50)]);
//! assert_eq!(out.marginal, vec![0]);
//! ```

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// One bid for one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// Ranking key: lower is accepted first (the ranking price).
    pub key: Decimal,
    /// Secondary key: at equal `key`, lower tiers first (peak bands: shallow before deep).
    pub tier: u32,
    /// Final tie-break for the last 0.001 MW steps of a pro-rata split: the unit-id rank.
    pub order: usize,
    pub mw: Decimal,
}

/// What one interval cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Accepted MW per bid, in the order the bids were given.
    pub cleared: Vec<Decimal>,
    pub total: Decimal,
    /// Requirement − total, when the bids cannot meet it.
    pub shortfall: Decimal,
    /// Indices of the marginal group's bids (empty when nothing was accepted).
    pub marginal: Vec<usize>,
}

/// The pro-rata step: 1 kW.
const STEP: Decimal = dec!(0.001);

pub fn clear(requirement: Decimal, bids: &[Bid]) -> Outcome {
    clear_in_order(requirement, bids, &merit_order(bids))
}

/// Indices of the bids with MW > 0 in acceptance order: by key, tier, then `order`.
pub fn merit_order(bids: &[Bid]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..bids.len())
        .filter(|&i| bids[i].mw > Decimal::ZERO)
        .collect();
    order.sort_by(|&a, &b| {
        (bids[a].key, bids[a].tier, bids[a].order).cmp(&(bids[b].key, bids[b].tier, bids[b].order))
    });
    order
}

/// [`clear`] with the acceptance order given (from [`merit_order`] of the same bids: a run
/// of intervals with the same offers sorts them once).
pub fn clear_in_order(requirement: Decimal, bids: &[Bid], order: &[usize]) -> Outcome {
    let mut cleared = vec![Decimal::ZERO; bids.len()];
    let mut remaining = requirement.max(Decimal::ZERO);
    let mut marginal = Vec::new();
    let mut start = 0;
    while start < order.len() && remaining > Decimal::ZERO {
        let head = &bids[order[start]];
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| bids[i].key == head.key && bids[i].tier == head.tier)
                .count();
        let group = &order[start..end];
        let offered: Decimal = group.iter().map(|&i| bids[i].mw).sum();
        if offered <= remaining {
            for &i in group {
                cleared[i] = bids[i].mw;
            }
            remaining -= offered;
        } else {
            split_pro_rata(remaining, group, bids, &mut cleared);
            remaining = Decimal::ZERO;
        }
        marginal = group.to_vec();
        start = end;
    }
    let total: Decimal = cleared.iter().sum();
    Outcome {
        cleared,
        total,
        shortfall: remaining,
        marginal,
    }
}

/// Shares `amount` (< the group's offered MW) among `group` pro rata to offered MW.
fn split_pro_rata(amount: Decimal, group: &[usize], bids: &[Bid], cleared: &mut [Decimal]) {
    let items: Vec<(Decimal, Decimal, usize)> = group
        .iter()
        .map(|&i| (bids[i].mw, bids[i].mw, bids[i].order))
        .collect();
    let shares = share(amount, &items).expect("amount below the group's offered MW");
    for (&i, s) in group.iter().zip(shares) {
        cleared[i] = s;
    }
}

/// Shares `amount` among items `(weight, bound, order)` pro rata to weight, none above its
/// bound; what a bounded item cannot take goes to the others, pro rata again. The shares are
/// in 0.001 MW steps (the last steps by largest remainder, then by `order`) and add up to
/// `amount` exactly. `None` when the bounds add up to less than `amount`.
pub(crate) fn share(amount: Decimal, items: &[(Decimal, Decimal, usize)]) -> Option<Vec<Decimal>> {
    let total_bound: Decimal = items.iter().map(|i| i.1).sum();
    if amount > total_bound || amount < Decimal::ZERO {
        return None;
    }
    if let [(_, _, _)] = items {
        return Some(vec![amount]);
    }
    // Water-filling on exact decimals.
    let mut exact = vec![Decimal::ZERO; items.len()];
    let mut capped = vec![false; items.len()];
    let mut left = amount;
    loop {
        let weight: Decimal = items
            .iter()
            .zip(&capped)
            .filter(|(_, c)| !**c)
            .map(|(i, _)| i.0)
            .sum();
        if weight <= Decimal::ZERO || left <= Decimal::ZERO {
            break;
        }
        let mut newly_capped = false;
        for (k, item) in items.iter().enumerate() {
            if !capped[k] && left * item.0 / weight > item.1 - exact[k] {
                newly_capped = true;
            }
        }
        if !newly_capped {
            for (k, item) in items.iter().enumerate() {
                if !capped[k] {
                    exact[k] += left * item.0 / weight;
                }
            }
            break;
        }
        for (k, item) in items.iter().enumerate() {
            if !capped[k] && left * item.0 / weight > item.1 - exact[k] {
                left -= item.1 - exact[k];
                exact[k] = item.1;
                capped[k] = true;
            }
        }
    }
    let mut shares: Vec<Decimal> = exact.iter().map(|e| (e / STEP).floor() * STEP).collect();
    let mut rest = amount - shares.iter().copied().sum::<Decimal>();
    let mut remainders: Vec<(Decimal, usize, usize)> = exact
        .iter()
        .zip(&shares)
        .enumerate()
        .map(|(k, (e, s))| (e - s, items[k].2, k))
        .collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    while rest > Decimal::ZERO {
        let before = rest;
        for &(_, _, k) in &remainders {
            if rest <= Decimal::ZERO {
                break;
            }
            let step = STEP.min(rest).min(items[k].1 - shares[k]);
            shares[k] += step;
            rest -= step;
        }
        if rest == before {
            break; // every bound reached: cannot happen as amount ≤ Σ bounds
        }
    }
    Some(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(key: Decimal, order: usize, mw: Decimal) -> Bid {
        Bid {
            key,
            tier: 0,
            order,
            mw,
        }
    }

    #[test]
    fn cheapest_first_marginal_in_part() {
        // Keys 3, 4, 5 with 40, 50, 60 MW; requirement 100: 40 + 50 = 90, then 10 of the 60.
        let bids = [
            bid(dec!(5), 0, dec!(60)),
            bid(dec!(3), 1, dec!(40)),
            bid(dec!(4), 2, dec!(50)),
        ];
        let out = clear(dec!(100), &bids);
        assert_eq!(out.cleared, vec![dec!(10), dec!(40), dec!(50)]);
        assert_eq!(out.marginal, vec![0]);
        assert_eq!(out.shortfall, Decimal::ZERO);
    }

    #[test]
    fn exact_fit_makes_the_last_accepted_marginal() {
        // 40 + 50 = 90 = requirement: the key-4 bid is marginal, not the key-5 one.
        let bids = [
            bid(dec!(5), 0, dec!(60)),
            bid(dec!(3), 1, dec!(40)),
            bid(dec!(4), 2, dec!(50)),
        ];
        let out = clear(dec!(90), &bids);
        assert_eq!(out.marginal, vec![2]);
        assert_eq!(out.cleared[0], Decimal::ZERO);
    }

    #[test]
    fn ties_share_pro_rata_whatever_the_order() {
        // 30 MW left for two tied bids of 20 and 40: 30 × 20/60 = 10 and 30 × 40/60 = 20.
        let a = [
            bid(dec!(2), 0, dec!(50)),
            bid(dec!(6), 1, dec!(20)),
            bid(dec!(6), 2, dec!(40)),
        ];
        let out = clear(dec!(80), &a);
        assert_eq!(out.cleared, vec![dec!(50), dec!(10), dec!(20)]);
        assert_eq!(out.marginal, vec![1, 2]);
        let b = [a[2].clone(), a[1].clone(), a[0].clone()];
        let out = clear(dec!(80), &b);
        assert_eq!(out.cleared, vec![dec!(20), dec!(10), dec!(50)]);
    }

    #[test]
    fn uneven_split_adds_up_exactly() {
        // Three tied 30 MW bids share 10 MW. Exact share
        // 3.3333…; floors 3.333 each (9.999), the last 0.001 MW goes to the lowest order.
        let bids = [
            bid(dec!(1), 2, dec!(30)),
            bid(dec!(1), 0, dec!(30)),
            bid(dec!(1), 1, dec!(30)),
        ];
        let out = clear(dec!(10), &bids);
        assert_eq!(out.cleared, vec![dec!(3.333), dec!(3.334), dec!(3.333)]);
        assert_eq!(out.total, dec!(10));
    }

    #[test]
    fn bounded_shares_fill_the_others() {
        // 90 MW among weights 60, 30, 10 (pro rata 54, 27, 9), the first bounded at 40: it gets
        // 40, and the other 50 would go 30:10 → 37.5 and 12.5.
        let items = [
            (dec!(60), dec!(40), 0),
            (dec!(30), dec!(30), 1),
            (dec!(10), dec!(100), 2),
        ];
        let s = share(dec!(90), &items).unwrap();
        // 37.5 > 30: the second is bounded too; the last takes 90 − 40 − 30 = 20.
        assert_eq!(s, vec![dec!(40), dec!(30), dec!(20)]);
        assert_eq!(share(dec!(200), &items), None);
    }

    #[test]
    fn shortfall_when_bids_run_out() {
        let bids = [bid(dec!(1), 0, dec!(30))];
        let out = clear(dec!(50), &bids);
        assert_eq!(out.total, dec!(30));
        assert_eq!(out.shortfall, dec!(20));
        assert_eq!(out.marginal, vec![0]);
    }

    #[test]
    fn zero_requirement_accepts_nothing() {
        let out = clear(Decimal::ZERO, &[bid(dec!(1), 0, dec!(30))]);
        assert_eq!(out.total, Decimal::ZERO);
        assert!(out.marginal.is_empty());
    }

    #[test]
    fn tiers_order_equal_keys() {
        // Same price: tier 1 (band 1) before tier 2 (band 2), even with a lower order.
        let bids = [
            Bid {
                key: dec!(100),
                tier: 2,
                order: 0,
                mw: dec!(50),
            },
            Bid {
                key: dec!(100),
                tier: 1,
                order: 1,
                mw: dec!(50),
            },
        ];
        let out = clear(dec!(60), &bids);
        assert_eq!(out.cleared, vec![dec!(10), dec!(50)]);
    }
}
