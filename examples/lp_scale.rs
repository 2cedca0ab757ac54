//! Times the LP joint clearing of one 96-interval day once per size and backend (for sizes too
//! slow for criterion's repeated samples). `cargo run --release --example lp_scale [UNITS...]`,
//! with `--features highs` to include HiGHS.

use std::time::Instant;

use ancillary::clearing::Engine;
use ancillary::clearing::lp::{Backend, Lp};

#[path = "../benches/common/lp_problem.rs"]
mod lp_problem;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![50, 200, 1000]
    } else {
        sizes
    };
    #[allow(unused_mut)] // HiGHS joins with the feature
    let mut backends = vec![("clarabel", Backend::Clarabel)];
    #[cfg(feature = "highs")]
    backends.push(("highs", Backend::Highs));
    println!("units,backend,build_s,build_and_solve_s,objective");
    for units in sizes {
        let p = lp_problem::day(units, 7);
        let t = Instant::now();
        let n = Lp::build_only(&p);
        let build = t.elapsed().as_secs_f64();
        for (name, backend) in &backends {
            let t = Instant::now();
            let s = Lp {
                backend: *backend,
                write_lp: None,
            }
            .solve(&p)
            .expect("solves");
            println!(
                "{units},{name},{build:.3},{:.3},{:.2}  ({n} constraints)",
                t.elapsed().as_secs_f64(),
                s.objective
            );
        }
    }
}
