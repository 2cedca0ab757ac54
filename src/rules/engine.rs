//! Which engine clears a scenario, and the problem it is given: the scenario's auctions plus,
//! for the LP, energy offers, loads and the units' physical limits.

use rust_decimal::Decimal;

use crate::clearing::lp::{Backend, Lp};
use crate::clearing::{
    Auction, Engine, Grid, MeritOrder, Problem, Storage, UnitLimits, ZoneAuction, Zones,
};
use crate::error::{ErrorKind, InputError};
use crate::network::Ptdf;
use crate::outcome::Rejection;
use crate::product::Product;
use crate::rules::caps::{Caps, decimal};
use crate::rules::market::{self, Prepared};
use crate::scenario::Scenario;
use crate::scenario::config::{Engine as EngineChoice, LpSolver};
use crate::scenario::network;

/// The engine `[clearing]` asks for: by default the merit order, or the LP where the scenario
/// clears energy jointly (notice 196 §六(十一)). The LP's solver is `[clearing] solver` where
/// it is built in, else the fastest built in; the results do not depend on it.
pub fn choose(scenario: &Scenario) -> Result<Box<dyn Engine>, InputError> {
    let c = &scenario.config.clearing;
    let wanted = c.engine.unwrap_or(if scenario.energy_offers.is_empty() {
        EngineChoice::MeritOrder
    } else {
        EngineChoice::Lp
    });
    Ok(match wanted {
        EngineChoice::MeritOrder => Box::new(MeritOrder),
        EngineChoice::Lp => Box::new(Lp {
            backend: backend(
                c.solver
                    .filter(|s| s.built_in())
                    .unwrap_or_else(LpSolver::fastest),
            ),
            // Each day's models named by its date (the chunk's own horizon).
            write_lp: c.write_lp.then(|| {
                let h = &scenario.horizon;
                (0..h.intervals)
                    .filter(|&i| i == 0 || h.day(i) != h.day(i - 1))
                    .map(|i| (i, h.day(i).to_string()))
                    .collect()
            }),
        }),
    })
}

/// The LP backend for a solver built in.
fn backend(solver: LpSolver) -> Backend {
    match solver {
        #[cfg(feature = "highs")]
        LpSolver::Highs => Backend::Highs,
        _ => Backend::Clarabel,
    }
}

/// The largest (MW × yuan/MWh) a quantity of an LP scenario may reach: a requirement or load
/// times the cost of falling short of it (its cap). Past it the interior-point solver, which
/// works to about 1e-8 of the problem's scale, reports the always-feasible problem (every
/// requirement has a priced shortfall) infeasible, or returns quantities off by more than the
/// 0.001 MW the outputs show (found by fuzzing: a load of 1e8 MW at the 1500 yuan/MWh cap).
/// 1e9 is 666,666 MW at 1500 yuan/MWh, four times the largest provincial peak load (~150 GW).
pub const LP_MAX_MW_TIMES_CAP: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Refuses an LP scenario whose loads or requirements, times the cap that prices their
/// shortfall, exceed [`LP_MAX_MW_TIMES_CAP`], naming the first such cell.
pub fn check_lp_range(scenario: &Scenario, caps: &Caps) -> Result<(), InputError> {
    let energy = caps.energy_market_price_cap_yuan_per_mwh;
    let fr = caps.fr_mileage_price_yuan_per_mw;
    let reserve = caps.reserve_price_yuan_per_mwh;
    let peak = caps.peak_price_yuan_per_mwh.unwrap_or(Decimal::ZERO);
    for (i, r) in scenario.requirements.by_interval.iter().enumerate() {
        let cells = [
            (
                "load_mw",
                r.load_mw.unwrap_or(Decimal::ZERO),
                energy,
                "energy-market",
            ),
            ("fr_mw", r.fr_mw, fr, "FR mileage"),
            ("reserve_mw", r.reserve_mw, reserve, "reserve"),
            ("peak_mw", r.peak_mw, peak, "peak"),
        ];
        for (column, mw, cap, name) in cells {
            // Both factors are ≤ 1e9 on input, so the product (≤ 1e18) fits a decimal.
            let product = mw.checked_mul(cap).unwrap_or(Decimal::MAX);
            if product > LP_MAX_MW_TIMES_CAP {
                let error = InputError::new(
                    ErrorKind::Invalid,
                    "requirements.csv",
                    format!(
                        "{mw} MW at {} times the {name} cap {cap} yuan/MWh is {product}, above the {LP_MAX_MW_TIMES_CAP} the LP engine clears accurately (its solver works to about 1e-8 of the problem's scale, and outputs show 0.001 MW): lower the quantity or the cap, or clear with [clearing] engine = \"merit_order\" where the scenario has no energy offers",
                        scenario.horizon.label(i),
                    ),
                )
                .at_column(column);
                return Err(match scenario.requirements.lines.get(i) {
                    Some(&line) if line > 0 => error.at_line(line),
                    _ => error,
                });
            }
        }
    }
    Ok(())
}

/// Energy offers above the energy-market cap are refused (they could never clear).
pub fn eligible_energy(
    scenario: &Scenario,
    caps: &Caps,
) -> (Vec<crate::scenario::Offer>, Vec<Rejection>) {
    let cap = caps.energy_market_price_cap_yuan_per_mwh;
    market::reject_above_cap(
        &scenario.energy_offers,
        Product::Energy,
        cap,
        &format!("the energy-market price cap {cap} yuan/MWh"),
    )
}

/// The problem for the engine.
pub fn problem(
    scenario: &Scenario,
    prepared: &[Prepared],
    energy: &[crate::scenario::Offer],
    id_rank: &[usize],
    caps: &Caps,
) -> Problem {
    let h = &scenario.horizon;
    let mut days = Vec::new();
    let mut start = 0;
    for i in 1..=h.intervals {
        if i == h.intervals || h.day(i) != h.day(start) {
            days.push(start..i);
            start = i;
        }
    }
    let clearing = &scenario.config.clearing;
    let balanced = !scenario.energy_offers.is_empty();
    let mut auctions = market::auctions(prepared, id_rank);
    let zones = zones(scenario, prepared, &mut auctions);
    Problem {
        interval_minutes: h.interval_minutes,
        days,
        units: scenario
            .fleet
            .units
            .iter()
            .map(|u| UnitLimits {
                capacity_mw: u.capacity_mw,
                min_output_mw: u.min_output_mw,
                ramp_mw_per_min: u.ramp_mw_per_min,
                storage: u.storage.map(|s| Storage {
                    energy_capacity_mwh: s.energy_capacity_mwh,
                    efficiency: s.efficiency,
                    initial_soc_mwh: s.initial_soc_mwh,
                }),
            })
            .collect(),
        auctions,
        energy: market::energy_bids(energy),
        load_mw: scenario
            .requirements
            .by_interval
            .iter()
            .map(|r| if balanced { r.load_mw } else { None })
            .collect(),
        energy_cap: caps.energy_market_price_cap_yuan_per_mwh,
        fr_response_minutes: clearing
            .fr_response_minutes
            .map_or(Decimal::from(5), decimal),
        reserve_response_minutes: clearing
            .reserve_response_minutes
            .map_or(Decimal::from(10), decimal),
        fr_cost_factor: scenario
            .fr_mileage_per_mw
            .filter(|m| *m > Decimal::ZERO)
            .map_or(Decimal::ONE, |m| m / h.interval_hours()),
        grid: None,
        zones,
    }
}

/// The zonal minimums of `zone_requirements.csv` as the LP clears them: one per zone, product
/// (FR, reserve) and interval with a non-zero minimum, tied to the system-wide auction of that
/// product and interval. Where the system has no auction there (no offers and no system-wide
/// requirement), an empty one is added after the others, so that the zone is priced (short,
/// at the cap) against a system price; the rows of `prepared` do not read it.
fn zones(scenario: &Scenario, prepared: &[Prepared], auctions: &mut Vec<Auction>) -> Zones {
    let Some(network) = &scenario.network else {
        return Zones::default();
    };
    if !network.zone_requirements.any() {
        return Zones::default();
    }
    let mut index: std::collections::HashMap<(Product, usize), usize> = auctions
        .iter()
        .enumerate()
        .map(|(k, a)| ((a.product, a.interval), k))
        .collect();
    let mut out = Zones {
        unit_zone: (0..scenario.fleet.units.len())
            .map(|u| network.unit_zone(u))
            .collect(),
        auctions: Vec::new(),
    };
    for i in 0..scenario.horizon.intervals {
        for zone in 0..network.zones.len() {
            let r = network.zone_requirements.get(i, zone);
            for (product, mw) in [(Product::Fr, r.fr_mw), (Product::Reserve, r.reserve_mw)] {
                if mw <= Decimal::ZERO {
                    continue;
                }
                let Some(cap) = prepared
                    .iter()
                    .find(|p| p.product == product)
                    .map(|p| p.cap)
                else {
                    continue;
                };
                let auction = *index.entry((product, i)).or_insert_with(|| {
                    auctions.push(Auction {
                        product,
                        interval: i,
                        requirement_mw: Decimal::ZERO,
                        scarcity_price: cap,
                        bids: Vec::new(),
                    });
                    auctions.len() - 1
                });
                out.auctions.push(ZoneAuction {
                    zone,
                    auction,
                    requirement_mw: mw,
                });
            }
        }
    }
    out
}

/// The network as the LP clears it, where the scenario has one and `engine` clears energy
/// (the merit order clears no energy, so no flows: see [`network_warnings`]). Line limits
/// need each bus's load: with limits but without `bus_loads.csv` this is an error naming the
/// first limited line (putting the whole load at one bus would make up flows); without limits
/// and bus loads there is nothing to compute flows from, and the LP clears a copper plate.
pub fn grid(scenario: &Scenario, engine: &dyn Engine) -> Result<Option<Grid>, InputError> {
    let Some(network) = &scenario.network else {
        return Ok(None);
    };
    if engine.name() == MeritOrder.name() || scenario.energy_offers.is_empty() {
        return Ok(None);
    }
    let limits: Vec<Option<f64>> = network
        .lines
        .iter()
        .map(|l| {
            l.limit_mw
                .map(|mw| f64::try_from(mw).unwrap_or(f64::INFINITY))
        })
        .collect();
    let loads = match &network.loads {
        Some(loads) => loads.clone(),
        None => {
            if let Some(l) = network.lines.iter().find(|l| l.limit_mw.is_some()) {
                return Err(InputError::new(
                    ErrorKind::MissingFile,
                    network::LINES,
                    format!(
                        "line {:?} has a limit, and energy is cleared, but {} is absent: line flows need each bus's load (add {} with time,bus,load_mw, or leave limit_mw empty)",
                        l.id,
                        network::BUS_LOADS,
                        network::BUS_LOADS
                    ),
                )
                .at_line(l.line)
                .at_column("limit_mw"));
            }
            // No limit and no bus loads: nothing to compute flows from, a copper plate.
            return Ok(None);
        }
    };
    Ok(Some(Grid {
        ptdf: Ptdf::new(network)?,
        unit_bus: network.unit_bus.clone(),
        limits,
        loads,
    }))
}

/// What the merit-order engine does with a network: it clears no energy, so line limits have
/// nothing to constrain (a warning says so), and it clears system-wide requirements only, so
/// zonal minimums, which would change who is paid, are an error that names the LP engine.
pub fn network_warnings(
    scenario: &Scenario,
    engine: &dyn Engine,
) -> Result<Vec<String>, InputError> {
    let Some(network) = &scenario.network else {
        return Ok(Vec::new());
    };
    if engine.name() != MeritOrder.name() {
        // The LP clears zonal minimums (`zones`): nothing to warn of.
        return Ok(Vec::new());
    }
    if network.zone_requirements.any() {
        return Err(InputError::new(
            ErrorKind::Invalid,
            network::ZONE_REQUIREMENTS,
            "zonal minimums are cleared by the LP engine only: set [clearing] engine = \"lp\" in scenario.toml (the merit-order engine clears system-wide requirements)".to_string(),
        ));
    }
    Ok(vec![NETWORK_WITHOUT_ENERGY.to_string()])
}

/// The warning a network scenario gets on the merit-order engine.
pub const NETWORK_WITHOUT_ENERGY: &str = "buses.csv: the merit-order engine clears no energy, so the network's line limits constrain nothing in this run (no flows, no nodal prices); clear energy jointly (energy_offers.csv, the LP engine) to use them";
