//! The network in the model: monitored line limits as PTDF rows, flows of a dispatch, the
//! limits a dispatch breaks, and nodal prices and flows read back.

use super::*;

/// The monitored line limits as rows (DC power flow, PTDF form): per (interval t, line l),
///
/// ```text
/// −limit ≤ Σ_b PTDF[l, b] × (output_b,t + short_b,t − spill_b,t − load_b,t) ≤ limit
/// ```
///
/// with output = energy + discharge − charge of the bus's units, short the bus's load not
/// served and spill its output spilled ([`Balance`]). The load terms move to the right-hand
/// side.
pub(super) fn line_rows(
    grid: &Grid,
    m: &mut Model,
    layout: &mut Layout,
    output: &BTreeMap<(usize, usize), Lin>,
    monitored: &Monitored,
) {
    if monitored.is_empty() {
        return;
    }
    let intervals: std::collections::BTreeSet<usize> = monitored.iter().map(|&(t, _)| t).collect();
    // Per (interval, bus): the output terms of its units, its load not served and its spill.
    let mut by_bus: BTreeMap<(usize, usize), Lin> = BTreeMap::new();
    for ((u, t), out) in output {
        if intervals.contains(t) {
            by_bus
                .entry((*t, grid.unit_bus[*u]))
                .or_default()
                .extend(out.iter().copied());
        }
    }
    let mut with_balance = std::collections::BTreeSet::new();
    for b in &layout.balance {
        if !intervals.contains(&b.interval) {
            continue;
        }
        with_balance.insert(b.interval);
        for &(bus, x) in &b.short {
            by_bus.entry((b.interval, bus)).or_default().push((x, 1.0));
        }
        for &(bus, x) in &b.spill {
            by_bus.entry((b.interval, bus)).or_default().push((x, -1.0));
        }
    }
    for &(t, l) in monitored {
        let (true, Some(limit)) = (with_balance.contains(&t), grid.limits[l]) else {
            continue;
        };
        let shifted: f64 = grid
            .loads
            .of_interval(t)
            .iter()
            .map(|&(b, mw)| grid.ptdf.get(l, b as usize) * f(mw))
            .sum();
        let mut terms = Lin::new();
        for ((_, bus), out) in by_bus.range((t, 0)..(t + 1, 0)) {
            let k = grid.ptdf.get(l, *bus);
            if k != 0.0 {
                terms.extend(out.iter().map(|&(j, a)| (j, a * k)));
            }
        }
        let le = m.row(terms.clone(), Sense::Le, limit + shifted);
        let ge = m.row(terms, Sense::Ge, -limit + shifted);
        layout.lines.push((t, l, le, ge));
    }
}

/// Every line's flow per interval of a day's balance, MW (`layout.balance` order), from a
/// dispatch `values`: PTDF × the net injection at each bus (see [`line_rows`]).
pub(super) fn flows(grid: &Grid, p: &Problem, layout: &Layout, values: &[f64]) -> Vec<Vec<f64>> {
    let buses = grid.ptdf.buses();
    let index: HashMap<usize, usize> = layout
        .balance
        .iter()
        .enumerate()
        .map(|(i, b)| (b.interval, i))
        .collect();
    let mut injection: Vec<ndarray::Array1<f64>> = layout
        .balance
        .iter()
        .map(|b| {
            let mut inj: ndarray::Array1<f64> = grid
                .loads
                .dense(b.interval, buses)
                .iter()
                .map(|&l| -l)
                .collect();
            for &(bus, x) in &b.short {
                inj[bus] += values[x];
            }
            for &(bus, x) in &b.spill {
                inj[bus] -= values[x];
            }
            inj
        })
        .collect();
    for &(k, x) in &layout.energy {
        let e = &p.energy[k];
        if let Some(&i) = index.get(&e.interval) {
            injection[i][grid.unit_bus[e.unit]] += values[x];
        }
    }
    for &(u, t, c, d, _) in &layout.storage {
        if let Some(&i) = index.get(&t) {
            injection[i][grid.unit_bus[u]] += values[d] - values[c];
        }
    }
    injection
        .iter()
        .map(|inj| grid.ptdf.flows(inj.view()).to_vec())
        .collect()
}

/// The (interval, line) limits `values` break by more than a millionth (of the limit, or of a
/// MW for small limits), not yet in `monitored`.
pub(super) fn violated(
    grid: &Grid,
    p: &Problem,
    layout: &Layout,
    values: &[f64],
    monitored: &Monitored,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, flow) in flows(grid, p, layout, values).iter().enumerate() {
        let t = layout.balance[i].interval;
        for (l, &mw) in flow.iter().enumerate() {
            if let Some(limit) = grid.limits[l]
                && mw.abs() > limit + 1e-6 * limit.max(1.0)
                && !monitored.contains(&(t, l))
            {
                out.push((t, l));
            }
        }
    }
    out
}

/// A day's nodal prices and line flows. The price at bus b is the change in the objective per
/// MW more load at b: it enters the balance (dual λ, the energy price after `snap`) and
/// each monitored line's two rows with factor PTDF[l, b] (duals μ≤ ≤ 0, μ≥ ≥ 0), so
/// price_b = λ + Σ_l PTDF[l, b] × (μ≤ + μ≥); the reference bus's PTDF column is 0, so its
/// price is λ. Flows are those of the dispatch; a line's shadow price is what one more MW of
/// its limit saves, μ≥ − μ≤ (limit enters the ≤ row as +limit, the ≥ row as −limit).
#[allow(clippy::too_many_arguments)]
pub(super) fn read_network(
    p: &Problem,
    grid: &Grid,
    layout: &Layout,
    values: &[f64],
    shifted: &Layout,
    lambda: &[f64],
    duals: &[f64],
    sol: &mut Solution,
) {
    let cap = p.energy_cap;
    let buses = grid.ptdf.buses();
    let mut mu: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for &(t, l, le, ge) in &shifted.lines {
        *mu.entry((t, l)).or_default() += duals[le] + duals[ge];
    }
    let mut shadow: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for &(t, l, le, ge) in &shifted.lines {
        *shadow.entry((t, l)).or_default() += duals[ge] - duals[le];
    }
    let mut held = 0;
    for (i, t) in shifted.balance.iter().map(|b| b.interval).enumerate() {
        let energy_raw = price(lambda[i]);
        let energy = energy_raw.clamp(-cap, cap);
        for b in 0..buses {
            let congestion: f64 = mu
                .range((t, 0)..(t + 1, 0))
                .map(|(&(_, l), &m)| grid.ptdf.get(l, b) * m)
                .sum();
            let raw = if b == grid.ptdf.reference() {
                energy_raw
            } else {
                price(lambda[i] + congestion)
            };
            // Prices stay within ± the energy cap; a shadow price beyond it is held there and
            // the row says so (its congestion is then price − energy, not the lines' duals).
            let at_cap = raw.abs() > cap || energy_raw.abs() > cap;
            held += usize::from(at_cap);
            sol.nodal.push(NodalPrice {
                interval: t,
                bus: b,
                price: raw.clamp(-cap, cap),
                energy,
                at_cap,
            });
        }
    }
    if held > 0 {
        sol.notes.push(format!(
            "{held} nodal prices (bus × interval) are held at ± the energy cap {cap} yuan/MWh, their shadow prices lying beyond it: nodal_prices.csv marks them at_cap = true, and flows.csv's shadow prices are the unheld ones"
        ));
    }
    for (i, flow) in flows(grid, p, layout, values).into_iter().enumerate() {
        let t = layout.balance[i].interval;
        for (l, mw) in flow.into_iter().enumerate() {
            let s = shadow.get(&(t, l)).copied().unwrap_or(0.0);
            sol.flows.push(LineFlow {
                interval: t,
                line: l,
                flow_mw: round2(mw, 6, 3).normalize(),
                shadow_price: price(s).max(Decimal::ZERO),
            });
        }
    }
}
