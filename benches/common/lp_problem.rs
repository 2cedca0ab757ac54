//! A synthetic copper-plate day for the LP benches (shared by `benches/lp.rs` and
//! `examples/lp_scale.rs`).
#![allow(dead_code)]

use ancillary::clearing::{Auction, Bid, EnergyBid, Problem, UnitLimits};
use ancillary::product::Product;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

fn d(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap().round_dp(2)
}

/// A copper-plate day: each unit offers energy in 3 segments, FR (5 % of capacity) and
/// reserve (8 %); load 60–80 % of capacity, FR 2 % and reserve 5 % of load.
pub fn day(units: usize, seed: u64) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = 96;
    let mut limits = Vec::new();
    let mut energy = Vec::new();
    let mut fr: Vec<Vec<(usize, Bid)>> = vec![Vec::new(); n];
    let mut reserve: Vec<Vec<(usize, Bid)>> = vec![Vec::new(); n];
    let mut total = 0.0;
    for u in 0..units {
        let cap = rng.random_range(100.0..700.0_f64).round();
        total += cap;
        limits.push(UnitLimits {
            capacity_mw: d(cap),
            min_output_mw: d(cap * 0.3),
            ramp_mw_per_min: Some(d(cap * 0.015)),
            storage: None,
        });
        let base = rng.random_range(250.0..500.0);
        let (fr_p, r_p) = (
            d(rng.random_range(4.0..15.0)),
            d(rng.random_range(5.0..60.0)),
        );
        for t in 0..n {
            for (s, (share, mult)) in [(0.3, 0.6), (0.35, 1.0), (0.35, 1.3)]
                .into_iter()
                .enumerate()
            {
                energy.push(EnergyBid {
                    unit: u,
                    interval: t,
                    segment: s as u32 + 1,
                    mw: d(cap * share),
                    price: d(base * mult),
                });
            }
            fr[t].push((
                u,
                Bid {
                    key: fr_p,
                    tier: 1,
                    order: u,
                    mw: d(cap * 0.05),
                },
            ));
            reserve[t].push((
                u,
                Bid {
                    key: r_p,
                    tier: 1,
                    order: u,
                    mw: d(cap * 0.08),
                },
            ));
        }
    }
    let mut auctions = Vec::new();
    let mut load = Vec::new();
    for t in 0..n {
        let h = t as f64 / 4.0;
        let l = total * (0.6 + 0.2 * (-(h - 18.0_f64).powi(2) / 8.0).exp());
        load.push(Some(d(l)));
        for (product, share, cap, bids) in [
            (Product::Fr, 0.02, 15.0, &fr[t]),
            (Product::Reserve, 0.05, 1500.0, &reserve[t]),
        ] {
            auctions.push(Auction {
                product,
                interval: t,
                requirement_mw: d(l * share),
                scarcity_price: d(cap),
                bids: bids.clone(),
            });
        }
    }
    Problem {
        interval_minutes: 15,
        days: std::iter::once(0..n).collect(), // one day
        units: limits,
        auctions,
        energy,
        load_mw: load,
        energy_cap: d(1500.0),
        fr_response_minutes: d(5.0),
        reserve_response_minutes: d(10.0),
        // Mileage 0.25 MW per MW of FR per 15 minutes: one per hour, so FR prices weigh as
        // they did before the conversion.
        fr_cost_factor: d(1.0),
        grid: None,
        zones: Default::default(),
    }
}
