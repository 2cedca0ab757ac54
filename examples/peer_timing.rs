//! Our side of the PyPSA comparison (`benches/peer/`): loads a scenario, times the LP joint
//! clearing (both solves of every day) apart from loading, and prints one JSON line.
//!
//! `cargo run --release --features highs --example peer_timing -- SCENARIO_DIR highs`

use std::time::Instant;

use ancillary::rules::{caps, engine, fr, market, peak, reserve};
use ancillary::scenario::config::LpSolver;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), solver) = (args.next(), args.next()) else {
        eprintln!("usage: peer_timing SCENARIO_DIR [clarabel|highs]");
        std::process::exit(2);
    };
    let t = Instant::now();
    let mut s = ancillary::scenario::load(std::path::Path::new(&dir)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let load_s = t.elapsed().as_secs_f64();
    s.config.clearing.solver = Some(match solver.as_deref() {
        Some("highs") => LpSolver::Highs,
        _ => LpSolver::Clarabel,
    });
    // The run's own steps up to the engine, as `run::run` takes them.
    let resolved = caps::resolve(&s).expect("caps");
    let rank = ancillary::run::id_rank(&s);
    let fr = fr::prepare(&s, &resolved.caps, &rank).expect("FR");
    let (peak, _) = peak::prepare(&s, &resolved.caps).expect("peak");
    let (reserve, _) = reserve::prepare(&s, &resolved.caps);
    let prepared = [fr.prepared, peak, reserve];
    let (energy, _) = engine::eligible_energy(&s, &resolved.caps);
    let problem = engine::problem(&s, &prepared, &energy, &rank, &resolved.caps);
    let chosen = engine::choose(&s).expect("engine");
    let t = Instant::now();
    let solution = market::solve(chosen.as_ref(), &problem).expect("solve");
    let solve_s = t.elapsed().as_secs_f64();
    println!(
        "{{\"engine\": \"{}\", \"load_s\": {load_s:.4}, \"solve_s\": {solve_s:.4}, \"objective\": {:.6}}}",
        chosen.name(),
        solution.objective
    );
}
