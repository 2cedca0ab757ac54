//! Reading a day's solution: prices pinned where the optimality conditions fix them
//! (`snap`), rounded quantities with pro-rata ties, and unique prices per product.

use super::*;

/// Whether zonal minimum `z` holds with equality in the price solve (its requirement lowered
/// by `EPS`): only then can its dual be non-zero. `bids` and `short` are its variables.
pub(super) fn zone_tight(
    p: &Problem,
    z: usize,
    bids: &[usize],
    short: usize,
    shifted: &[f64],
) -> bool {
    let held: f64 = bids.iter().map(|&x| shifted[x]).sum::<f64>() + shifted[short];
    held - (f(p.zones.auctions[z].requirement_mw) - EPS) <= EPS / 2.0
}

/// Pins a price exactly where the optimality conditions do: a bid (or energy segment) accepted
/// strictly between its bounds, on a unit none of whose limits bind, has a reduced cost of
/// zero, so the price is its key. An interior-point dual near such a point is only accurate
/// to the solver's tolerance; the key is exact, and the same for every backend.
pub(super) fn snap(p: &Problem, layout: &Layout, values: &[f64], duals: &mut [f64]) {
    let tol = EPS / 2.0;
    let mut output: HashMap<(usize, usize), f64> = HashMap::new();
    let mut held: HashMap<(Product, usize, usize), f64> = HashMap::new();
    for (k, x) in &layout.energy {
        let e = &p.energy[*k];
        *output.entry((e.unit, e.interval)).or_default() += values[*x];
    }
    for &(u, t, c, d, _) in &layout.storage {
        *output.entry((u, t)).or_default() += values[d] - values[c];
    }
    for (k, bids, _) in &layout.auctions {
        let a = &p.auctions[*k];
        for (x, (u, _)) in bids.iter().zip(&a.bids) {
            *held.entry((a.product, *u, a.interval)).or_default() += values[*x];
        }
    }
    let get = |m: &HashMap<(Product, usize, usize), f64>, k| m.get(&k).copied().unwrap_or(0.0);
    // Room to take more of `product` at (u, t), everything else fixed.
    let room = |product: Product, u: usize, t: usize| -> f64 {
        let limits = &p.units[u];
        if !matches!(product, Product::Fr | Product::Reserve) {
            return f64::MAX;
        }
        let (r, q) = (
            get(&held, (Product::Fr, u, t)),
            get(&held, (Product::Reserve, u, t)),
        );
        let cap = f(limits.capacity_mw);
        let mut room = f64::MAX;
        match output.get(&(u, t)) {
            Some(&e) => {
                room = room.min(cap - e - r - q);
                if product == Product::Fr {
                    let floor = if limits.storage.is_some() {
                        -cap
                    } else {
                        f(limits.min_output_mw)
                    };
                    room = room.min(e - r - floor);
                }
            }
            None => room = room.min(cap - r - q),
        }
        if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
            room = room.min(match product {
                Product::Fr => ramp * f(p.fr_response_minutes) - r,
                _ => ramp * f(p.reserve_response_minutes) - q,
            });
        }
        room
    };
    // The zonal minimums that bind in the price solve, by (auction position, zone): a bid in
    // such a zone has reduced cost key − system dual − zone dual, so it pins the zone's price,
    // not the system's.
    let first_zone = layout.auctions.len() + layout.balance.len();
    let tight: BTreeMap<(usize, usize), usize> = layout
        .zones
        .iter()
        .enumerate()
        .filter(|(_, (z, _, bids, short))| zone_tight(p, *z, bids, *short, values))
        .map(|(i, &(z, a, _, _))| ((a, p.zones.auctions[z].zone), i))
        .collect();
    let zone_of = |u: usize| p.zones.unit_zone.get(u).copied();
    // A bid strictly inside its bounds on a unit with room, among those `keep` lets through.
    let interior = |i: usize, keep: &dyn Fn(usize) -> bool| -> Option<f64> {
        let (k, bids, _) = &layout.auctions[i];
        let a = &p.auctions[*k];
        // An interior point spreads the shift over tied bids: each is EPS / n inside.
        let tol = EPS / (2.0 * bids.len().max(1) as f64);
        bids.iter()
            .zip(&a.bids)
            .find(|(x, (u, b))| {
                let v = values[**x];
                keep(*u) && v > tol && v < f(b.mw) - tol && room(a.product, *u, a.interval) > tol
            })
            .map(|(_, (_, b))| f(b.key).min(f(a.scarcity_price)))
    };
    for (i, dual) in duals.iter_mut().enumerate().take(layout.auctions.len()) {
        let outside_tight = |u: usize| zone_of(u).is_none_or(|z| !tight.contains_key(&(i, z)));
        if let Some(key) = interior(i, &outside_tight) {
            *dual = key;
        }
    }
    for (&(i, zone), &z) in &tight {
        if let Some(key) = interior(i, &|u| zone_of(u) == Some(zone)) {
            duals[first_zone + z] = key - duals[i];
        }
    }
    // Energy: a segment strictly inside its bounds, on a unit free to move both ways.
    let step = f64::from(p.interval_minutes);
    let free = |u: usize, t: usize| -> bool {
        let limits = &p.units[u];
        if limits.storage.is_some() {
            return false;
        }
        let e = output.get(&(u, t)).copied().unwrap_or(0.0);
        let (r, q) = (
            get(&held, (Product::Fr, u, t)),
            get(&held, (Product::Reserve, u, t)),
        );
        if f(limits.capacity_mw) - e - r - q <= tol || e - r - f(limits.min_output_mw) <= tol {
            return false;
        }
        if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
            for other in [t.checked_sub(1), Some(t + 1)].into_iter().flatten() {
                if let Some(&o) = output.get(&(u, other))
                    && (e - o).abs() >= ramp * step - tol
                {
                    return false;
                }
            }
        }
        true
    };
    // Each interval's segments, grouped once (in the problem's order within an interval).
    let mut segments: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for &(k, x) in &layout.energy {
        segments
            .entry(p.energy[k].interval)
            .or_default()
            .push((k, x));
    }
    // With a monitored line, a free segment pins the price at its own bus, which is not the
    // balance's dual: those intervals keep the dual tie-break's (exact to rounding) value.
    let congested: std::collections::BTreeSet<usize> =
        layout.lines.iter().map(|&(t, _, _, _)| t).collect();
    let n = layout.auctions.len();
    for (i, t) in layout.balance.iter().map(|b| &b.interval).enumerate() {
        if congested.contains(t) {
            continue;
        }
        let segments = segments.get(t).map_or(&[][..], Vec::as_slice);
        let tol = EPS / (2.0 * segments.len().max(1) as f64);
        if let Some((k, _)) = segments.iter().find(|(k, x)| {
            let e = &p.energy[*k];
            let v = values[*x];
            v > tol && v < f(e.mw) - tol && free(e.unit, *t)
        }) {
            duals[n + i] = f(p.energy[*k].price);
        }
    }
}

/// Turns one day's solution into rounded quantities, pro-rata ties and unique prices.
pub(super) fn read_day(
    p: &Problem,
    layout: &Layout,
    values: &[f64],
    duals: &[f64],
    sol: &mut Solution,
    soc: &mut HashMap<usize, Decimal>,
) -> f64 {
    // The day's objective, from the quantities as published (the same for every backend).
    let mut cost = Decimal::ZERO;
    // Energy first: output per (unit, interval) bounds what the auctions may re-split.
    let mut output: HashMap<(usize, usize), Decimal> = HashMap::new();
    let mut dispatched: BTreeMap<usize, Decimal> = BTreeMap::new();
    for (k, x) in &layout.energy {
        let e = &p.energy[*k];
        let v = mw(values[*x]).min(e.mw);
        sol.energy_dispatch[*k] = v;
        *output.entry((e.unit, e.interval)).or_default() += v;
        *dispatched.entry(e.interval).or_default() += v;
    }
    for &(u, t, c, d, s) in &layout.storage {
        let (c, d, s) = (mw(values[c]), mw(values[d]), mw(values[s]));
        *output.entry((u, t)).or_default() += d - c;
        *dispatched.entry(t).or_default() += d - c;
        sol.storage.push(StorageInterval {
            unit: u,
            interval: t,
            charge_mw: c,
            discharge_mw: d,
            soc_mwh: s,
        });
        soc.insert(u, s);
    }
    // The day's energy segments per interval, in the layout's order: each interval's search
    // below looks at its own segments only (a scan of the whole day per interval grew with
    // intervals × segments).
    let mut segments: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(k, _) in &layout.energy {
        segments.entry(p.energy[k].interval).or_default().push(k);
    }
    let n_auctions = layout.auctions.len();
    for (i, balance) in layout.balance.iter().enumerate() {
        let t = balance.interval;
        let at_t: &[usize] = segments.get(&t).map_or(&[], Vec::as_slice);
        let load = p.load_mw[t].unwrap_or_default();
        let short = balance.short_mw(values);
        let shortfall = if short < 5e-4 {
            Decimal::ZERO
        } else {
            mw(short)
        };
        let mut got = dispatched.get(&t).copied().unwrap_or_default();
        // Rounding to 0.001 MW can leave the balance a few kW off: the dearest dispatched
        // segment with room takes the difference, so that dispatch + shortfall = load.
        let residual = load - shortfall - got;
        if !residual.is_zero() && residual.abs() <= dec!(0.01) {
            let target = at_t
                .iter()
                .filter(|&&k| {
                    let e = &p.energy[k];
                    let d = sol.energy_dispatch[k];
                    d + residual >= Decimal::ZERO
                        && d + residual <= e.mw
                        && (d > Decimal::ZERO || residual > Decimal::ZERO)
                })
                // The dearest; at one price a segment dispatched in part (the one the fill in
                // segment order left partial), then the first in the problem's order.
                .max_by_key(|&&k| {
                    let d = sol.energy_dispatch[k];
                    let partial = d > Decimal::ZERO && d < p.energy[k].mw;
                    (p.energy[k].price, partial, std::cmp::Reverse(k))
                })
                .copied();
            if let Some(k) = target {
                sol.energy_dispatch[k] += residual;
                *output.entry((p.energy[k].unit, t)).or_default() += residual;
                got += residual;
            }
        }
        let energy_price = price(duals[n_auctions + i]).clamp(-p.energy_cap, p.energy_cap);
        // Marginal: units with a dispatched segment at the price, else the dearest dispatched.
        let dispatched_at = |price: Decimal| -> Vec<usize> {
            at_t.iter()
                .filter(|&&k| sol.energy_dispatch[k] > Decimal::ZERO && p.energy[k].price == price)
                .map(|&k| p.energy[k].unit)
                .collect()
        };
        let mut marginal = dispatched_at(energy_price);
        if marginal.is_empty()
            && let Some(top) = at_t
                .iter()
                .filter(|&&k| sol.energy_dispatch[k] > Decimal::ZERO)
                .map(|&k| p.energy[k].price)
                .max()
        {
            marginal = dispatched_at(top);
        }
        marginal.sort_unstable();
        marginal.dedup();
        let spill = (got + shortfall - load).max(Decimal::ZERO);
        cost += (shortfall + spill) * p.energy_cap;
        sol.energy.push(EnergyInterval {
            interval: t,
            load_mw: load,
            dispatched_mw: got.min(load),
            shortfall_mw: shortfall,
            price: energy_price,
            marginal_units: marginal,
        });
    }

    // Auctions: rounded group totals, re-split pro rata within each unit's free room.
    let mut held: HashMap<(Product, usize, usize), Decimal> = HashMap::new(); // (product, unit, t)
    for (k, bids, _) in &layout.auctions {
        let a = &p.auctions[*k];
        for (x, (u, _)) in bids.iter().zip(&a.bids) {
            *held.entry((a.product, *u, a.interval)).or_default() += mw(values[*x]);
        }
    }
    for (i, (k, bids, short)) in layout.auctions.iter().enumerate() {
        let a = &p.auctions[*k];
        let lp: Vec<Decimal> = bids
            .iter()
            .zip(&a.bids)
            .map(|(x, (_, b))| mw(values[*x]).min(b.mw))
            .collect();
        let shortfall = if values[*short] < 5e-4 {
            Decimal::ZERO
        } else {
            mw(values[*short]).min(a.requirement_mw)
        };
        // Groups by (key, tier), cheapest first; where the auction has zonal minimums, by
        // (key, tier, zone) for the zones with one, so that a pro-rata split never moves MW
        // out of a zone its minimum holds them in.
        let zoned: Vec<usize> = layout
            .zones
            .iter()
            .filter(|z| z.1 == i)
            .map(|z| p.zones.auctions[z.0].zone)
            .collect();
        let mut groups: BTreeMap<(Decimal, u32, usize), Vec<usize>> = BTreeMap::new();
        for (j, (u, b)) in a.bids.iter().enumerate() {
            let zone = p
                .zones
                .unit_zone
                .get(*u)
                .copied()
                .filter(|z| zoned.contains(z))
                .unwrap_or(usize::MAX);
            groups.entry((b.key, b.tier, zone)).or_default().push(j);
        }
        let mut totals: Vec<((Decimal, u32, usize), Decimal)> = groups
            .iter()
            .map(|(g, js)| (*g, js.iter().map(|&j| lp[j]).sum()))
            .collect();
        // The rounded totals must add up to what is procured: fix the residual on the
        // marginal (dearest accepted) group.
        let target = (a.requirement_mw - shortfall).max(Decimal::ZERO);
        let sum: Decimal = totals.iter().map(|t| t.1).sum();
        if let Some(m) = totals.iter().rposition(|t| t.1 > Decimal::ZERO)
            && (sum - target).abs() <= dec!(0.01)
        {
            let room: Decimal = groups[&totals[m].0].iter().map(|&j| a.bids[j].1.mw).sum();
            totals[m].1 = (totals[m].1 + target - sum).clamp(Decimal::ZERO, room);
        }
        let mut cleared = lp.clone();
        for (g, total) in &totals {
            let js = &groups[g];
            if js.len() < 2 || total.is_zero() {
                if let [j] = js.as_slice() {
                    cleared[*j] = *total;
                }
                continue;
            }
            // Each bid may take up to its own value plus its unit's free room.
            let items: Vec<(Decimal, Decimal, usize)> = js
                .iter()
                .map(|&j| {
                    let (u, b) = &a.bids[j];
                    let room = free_room(p, a.product, *u, a.interval, &held, &output);
                    (
                        b.mw,
                        b.mw.min(lp[j].checked_add(room).unwrap_or(Decimal::MAX)),
                        b.order,
                    )
                })
                .collect();
            match share(*total, &items) {
                Some(shares) => {
                    for (&j, s) in js.iter().zip(shares) {
                        let (u, _) = &a.bids[j];
                        *held.entry((a.product, *u, a.interval)).or_default() += s - lp[j];
                        cleared[j] = s;
                    }
                }
                None => sol.notes.push(format!("{} at interval {}: a tie could not be split pro rata within the units' limits; the solver's split is kept", a.product.as_str(), a.interval)),
            }
        }
        let total: Decimal = cleared.iter().sum();
        let dual = if shortfall > Decimal::ZERO {
            a.scarcity_price
        } else {
            price(duals[i]).clamp(Decimal::ZERO, a.scarcity_price)
        };
        // Marginal: the dearest accepted (key, tier), in every zone. With zonal minimums, a
        // bid a zone's minimum holds in may rank above the system price: the system's
        // marginal group is then the dearest at or below it (none where every accepted bid
        // is held by a zone, e.g. a system-wide requirement of 0 with zonal ones).
        let accepted = |t: &&((Decimal, u32, usize), Decimal)| {
            t.1 > Decimal::ZERO && (zoned.is_empty() || t.0.0 <= dual)
        };
        let marginal = totals
            .iter()
            .rev()
            .find(accepted)
            .map(|&((key, tier, _), _)| {
                groups
                    .iter()
                    .filter(|(g, _)| (g.0, g.1) == (key, tier))
                    .flat_map(|(_, js)| js.iter().copied())
                    .filter(|&j| cleared[j] > Decimal::ZERO)
                    .collect::<Vec<usize>>()
            })
            .unwrap_or_default();
        let weight = cost_weight_decimal(p, a.product);
        cost += (a
            .bids
            .iter()
            .zip(&cleared)
            .map(|((_, b), c)| b.key * c)
            .sum::<Decimal>()
            + shortfall * shortfall_cost(a))
            * weight;
        sol.auctions[*k] = AuctionResult {
            cleared,
            total,
            shortfall,
            price: dual,
            marginal,
        };
    }
    // Zonal minimums: the zone's units' awards as published, its own shortfall, and its price
    // = the system dual + the zone row's (never below the system price), the cap where short.
    let first_zone = n_auctions + layout.balance.len();
    for (i, &(z, at, _, short)) in layout.zones.iter().enumerate() {
        let za = &p.zones.auctions[z];
        let a = &p.auctions[za.auction];
        let system = &sol.auctions[za.auction];
        let total: Decimal = a
            .bids
            .iter()
            .zip(&system.cleared)
            .filter(|((u, _), _)| p.zones.unit_zone.get(*u) == Some(&za.zone))
            .map(|(_, c)| *c)
            .sum();
        let shortfall = if values[short] < 5e-4 {
            Decimal::ZERO
        } else {
            mw(values[short]).min(za.requirement_mw)
        };
        let zone_price = if shortfall > Decimal::ZERO {
            a.scarcity_price
        } else {
            price(duals[at] + duals[first_zone + i]).clamp(system.price, a.scarcity_price)
        };
        cost += shortfall * shortfall_cost(a) * cost_weight_decimal(p, a.product);
        sol.zones[z] = ZoneResult {
            total,
            shortfall,
            price: zone_price,
        };
    }
    cost += layout
        .energy
        .iter()
        .map(|&(k, _)| sol.energy_dispatch[k] * p.energy[k].price)
        .sum::<Decimal>();
    f(cost)
}

/// How much more of `product` a unit could hold at `t` with everything else fixed.
pub(super) fn free_room(
    p: &Problem,
    product: Product,
    u: usize,
    t: usize,
    held: &HashMap<(Product, usize, usize), Decimal>,
    output: &HashMap<(usize, usize), Decimal>,
) -> Decimal {
    let limits = &p.units[u];
    let r = held.get(&(Product::Fr, u, t)).copied().unwrap_or_default();
    let q = held
        .get(&(Product::Reserve, u, t))
        .copied()
        .unwrap_or_default();
    let energy = output.get(&(u, t)).copied();
    let mut room = Decimal::MAX;
    if matches!(product, Product::Fr | Product::Reserve) {
        match energy {
            Some(e) => {
                room = room.min(limits.capacity_mw - e - r - q);
                if product == Product::Fr {
                    let floor = if limits.storage.is_some() {
                        -limits.capacity_mw
                    } else {
                        limits.min_output_mw
                    };
                    room = room.min(e - r - floor);
                }
            }
            None if r > Decimal::ZERO || q > Decimal::ZERO => {
                room = room.min(limits.capacity_mw - r - q)
            }
            None => {}
        }
        if let Some(ramp) = limits.ramp_mw_per_min {
            room = room.min(match product {
                Product::Fr => ramp * p.fr_response_minutes - r,
                _ => ramp * p.reserve_response_minutes - q,
            });
        }
    }
    room.max(Decimal::ZERO)
}
