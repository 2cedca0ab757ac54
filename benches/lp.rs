//! The LP joint clearing of one 96-interval day: model build alone, and build + solve, for 50
//! and 200 units with Clarabel, and 50, 200 and 1000 with HiGHS (`--features highs`).
//! Clarabel at 1000 units takes minutes per solve: `cargo run --release --example lp_scale`
//! times it once. Numbers go in the README with the machine.

use std::hint::black_box;

use ancillary::clearing::Engine;
use ancillary::clearing::lp::{Backend, Lp};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "common/lp_problem.rs"]
mod lp_problem;
use lp_problem::day;

fn lp_day(c: &mut Criterion) {
    let mut g = c.benchmark_group("lp_day_96_intervals");
    g.sample_size(10);
    #[allow(unused_mut)] // HiGHS joins with the feature
    let mut backends = vec![("clarabel", Backend::Clarabel, vec![50, 200])];
    #[cfg(feature = "highs")]
    backends.push(("highs", Backend::Highs, vec![50, 200, 1000]));
    for units in [50, 200, 1000] {
        let p = day(units, 7);
        g.bench_with_input(BenchmarkId::new("build", units), &p, |b, p| {
            b.iter(|| black_box(Lp::build_only(p)))
        });
    }
    for (name, backend, sizes) in backends {
        for units in sizes {
            let p = day(units, 7);
            let engine = Lp {
                backend,
                write_lp: None,
            };
            g.bench_with_input(
                BenchmarkId::new(format!("build_and_solve_{name}"), units),
                &p,
                |b, p| b.iter(|| black_box(engine.solve(p).unwrap())),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, lp_day);
criterion_main!(benches);
