//! Building a day's model: the requirement rows per product, the balance, storage, zonal
//! minimums and every unit's limits.

use super::*;

/// Builds one day's model; `shift` lowers every requirement and load (the price solve; the
/// load is lowered at the reference bus, so line rows do not move); `monitored` names the
/// line limits it enforces.
pub(super) fn build(
    p: &Problem,
    day: std::ops::Range<usize>,
    soc0: &HashMap<usize, Decimal>,
    shift: f64,
    monitored: &Monitored,
) -> (Model, Layout) {
    let mut m = Model::default();
    let mut layout = Layout {
        auctions: Vec::new(),
        energy: Vec::new(),
        balance: Vec::new(),
        storage: Vec::new(),
        priced: Vec::new(),
        zones: Vec::new(),
        lines: Vec::new(),
    };
    let hours = f64::from(p.interval_minutes) / 60.0;
    let in_day = |t: usize| day.contains(&t);

    // Per (unit, interval): energy output, FR and reserve held.
    let mut output: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    let mut has_energy: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    let mut fr: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    let mut reserve: BTreeMap<(usize, usize), Lin> = BTreeMap::new();

    for (k, a) in p
        .auctions
        .iter()
        .enumerate()
        .filter(|(_, a)| in_day(a.interval))
    {
        let req = f(a.requirement_mw);
        let weight = cost_weight(p, a.product);
        let short = m.var(0.0, req.max(0.0), f(shortfall_cost(a)) * weight, req);
        let mut sum: Lin = vec![(short, 1.0)];
        let mut bid_vars = Vec::with_capacity(a.bids.len());
        for (unit, b) in &a.bids {
            let x = m.var(0.0, f(b.mw), f(b.key) * weight, f(b.mw));
            sum.push((x, 1.0));
            let key = (*unit, a.interval);
            match a.product {
                Product::Fr => fr.entry(key).or_default().push((x, 1.0)),
                Product::Reserve => reserve.entry(key).or_default().push((x, 1.0)),
                _ => {}
            }
            bid_vars.push(x);
        }
        let row = m.row(sum, Sense::Ge, req - shift);
        layout.priced.push(row);
        layout.auctions.push((k, bid_vars, short));
    }

    for (k, e) in p
        .energy
        .iter()
        .enumerate()
        .filter(|(_, e)| in_day(e.interval))
    {
        let x = m.var(0.0, f(e.mw), f(e.price), f(e.mw));
        output
            .entry((e.unit, e.interval))
            .or_default()
            .push((x, 1.0));
        has_energy.insert((e.unit, e.interval), true);
        layout.energy.push((k, x));
    }

    // Storage, where energy is balanced.
    for (u, limits) in p.units.iter().enumerate() {
        let Some(st) = limits.storage else { continue };
        let mut soc_prev: Result<usize, f64> =
            Err(f(soc0.get(&u).copied().unwrap_or(st.initial_soc_mwh)));
        for t in day.clone() {
            if p.load_mw[t].is_none() {
                continue;
            }
            let cap = f(limits.capacity_mw);
            let c = m.var(0.0, cap, 0.0, cap);
            let d = m.var(0.0, cap, 0.0, cap);
            // Follows from charge and discharge: no weight of its own.
            let soc = m.var(0.0, f(st.energy_capacity_mwh), 0.0, 0.0);
            let out = output.entry((u, t)).or_default();
            out.push((d, 1.0));
            out.push((c, -1.0));
            // soc_t − soc_{t−1} − efficiency × charge × h + discharge × h = 0.
            let mut balance = vec![(soc, 1.0), (c, -f(st.efficiency) * hours), (d, hours)];
            let rhs = match soc_prev {
                Ok(prev) => {
                    balance.push((prev, -1.0));
                    0.0
                }
                Err(initial) => initial,
            };
            m.row(balance, Sense::Eq, rhs);
            soc_prev = Ok(soc);
            layout.storage.push((u, t, c, d, soc));
        }
    }

    // Balance per interval with a load.
    let mut by_interval: BTreeMap<usize, Lin> = BTreeMap::new();
    for ((_, t), out) in &output {
        by_interval
            .entry(*t)
            .or_default()
            .extend(out.iter().copied());
    }
    // The buses with output per interval (with a network): where spill can be.
    let mut output_buses: BTreeMap<usize, std::collections::BTreeSet<usize>> = BTreeMap::new();
    if let Some(grid) = &p.grid {
        for (u, t) in output.keys() {
            output_buses
                .entry(*t)
                .or_default()
                .insert(grid.unit_bus[*u]);
        }
    }
    for t in day.clone() {
        let Some(load) = p.load_mw[t] else { continue };
        let load = f(load);
        let cap = f(p.energy_cap);
        // Over-generation (must-run output above the load) is spilled at the cap's cost, so
        // it happens only when nothing else can, and prices stay within ± the cap. Each
        // variable's tie-break weight is 1 / its bus's load (spill: 1 / the total), so that
        // where shedding at one bus is as good as at another (no line binds between them) the
        // least-squares point sheds pro rata to load, as on a copper plate.
        let (short, spill) = match &p.grid {
            None => (
                vec![(0, m.var(0.0, load, cap, load))],
                vec![(0, m.var(0.0, f64::INFINITY, cap, load))],
            ),
            Some(grid) => {
                let short = grid
                    .loads
                    .of_interval(t)
                    .iter()
                    .map(|&(b, mw)| (b as usize, f(mw)))
                    .filter(|&(_, mw)| mw > 0.0)
                    .map(|(b, mw)| (b, m.var(0.0, mw, cap, mw)))
                    .collect();
                let spill = output_buses
                    .get(&t)
                    .into_iter()
                    .flatten()
                    .map(|&b| (b, m.var(0.0, f64::INFINITY, cap, load)))
                    .collect();
                (short, spill)
            }
        };
        let mut sum: Lin = short.iter().map(|&(_, x)| (x, 1.0)).collect();
        sum.extend(spill.iter().map(|&(_, x)| (x, -1.0)));
        sum.extend(by_interval.get(&t).into_iter().flatten().copied());
        let row = m.row(sum, Sense::Eq, load - shift);
        layout.priced.push(row);
        layout.balance.push(Balance {
            interval: t,
            short,
            spill,
        });
    }
    zone_rows(p, &mut m, &mut layout, shift);
    if let Some(grid) = &p.grid {
        line_rows(grid, &mut m, &mut layout, &output, monitored);
    }

    // Unit limits.
    let sum = |parts: &[Option<&Lin>], signs: &[f64]| -> Lin {
        let mut out = Lin::new();
        for (part, sign) in parts.iter().zip(signs) {
            out.extend(
                part.iter()
                    .flat_map(|l| l.iter())
                    .map(|&(j, a)| (j, a * sign)),
            );
        }
        out
    };
    for (u, limits) in p.units.iter().enumerate() {
        let cap = f(limits.capacity_mw);
        let storage = limits.storage.is_some();
        for t in day.clone() {
            let key = (u, t);
            let r = fr.get(&key);
            let q = reserve.get(&key);
            let energy = has_energy.contains_key(&key) || (storage && output.contains_key(&key));
            let p_ut = output.get(&key);
            if energy {
                if r.is_some() || q.is_some() {
                    m.limit(sum(&[p_ut, r, q], &[1.0, 1.0, 1.0]), Sense::Le, cap);
                }
                let floor = if storage {
                    -cap
                } else {
                    f(limits.min_output_mw)
                };
                m.limit(sum(&[p_ut, r], &[1.0, -1.0]), Sense::Ge, floor);
            } else if r.is_some() && q.is_some() {
                m.limit(sum(&[r, q], &[1.0, 1.0]), Sense::Le, cap);
            }
            if let Some(ramp) = limits.ramp_mw_per_min.map(f) {
                if let Some(r) = r {
                    m.limit(r.clone(), Sense::Le, ramp * f(p.fr_response_minutes));
                }
                if let Some(q) = q {
                    m.limit(q.clone(), Sense::Le, ramp * f(p.reserve_response_minutes));
                }
                if !storage
                    && t > day.start
                    && has_energy.contains_key(&key)
                    && has_energy.contains_key(&(u, t - 1))
                {
                    let step = ramp * f64::from(p.interval_minutes);
                    let delta = sum(&[output.get(&key), output.get(&(u, t - 1))], &[1.0, -1.0]);
                    m.limit(delta.clone(), Sense::Le, step);
                    m.limit(delta, Sense::Ge, -step);
                }
            }
        }
    }
    (m, layout)
}

/// The zonal minimums of the day's auctions: per zone z, product and interval with a minimum,
///
/// ```text
/// Σ awards of the auction's bids from units in z + short_z ≥ minimum_z
/// ```
///
/// with its own shortfall at the system auction's shortfall cost (the cap). A bid counts in
/// its zone's row and in the system-wide row alike. Zone rows are priced rows: the price solve
/// lowers them by `shift` too, and their duals are the zone's premium over the system price.
pub(super) fn zone_rows(p: &Problem, m: &mut Model, layout: &mut Layout, shift: f64) {
    let position: HashMap<usize, usize> = layout
        .auctions
        .iter()
        .enumerate()
        .map(|(i, (k, _, _))| (*k, i))
        .collect();
    for (z, za) in p.zones.auctions.iter().enumerate() {
        let Some(&i) = position.get(&za.auction) else {
            continue;
        };
        let a = &p.auctions[za.auction];
        let req = f(za.requirement_mw);
        let weight = cost_weight(p, a.product);
        let short = m.var(0.0, req.max(0.0), f(shortfall_cost(a)) * weight, req);
        let bids: Vec<usize> = layout.auctions[i]
            .1
            .iter()
            .zip(&a.bids)
            .filter(|(_, (u, _))| p.zones.unit_zone.get(*u) == Some(&za.zone))
            .map(|(&x, _)| x)
            .collect();
        let mut sum: Lin = vec![(short, 1.0)];
        sum.extend(bids.iter().map(|&x| (x, 1.0)));
        let row = m.row(sum, Sense::Ge, req - shift);
        layout.priced.push(row);
        layout.zones.push((z, i, bids, short));
    }
}
