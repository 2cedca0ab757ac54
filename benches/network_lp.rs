//! The LP day over a network against the same day on a copper plate: `ancillary generate
//! --spot continuous --days 1` (96 × 15 min) with and without `--buses N`, cleared and billed
//! in process (`run::run`: load excluded; both solves of every line-limit round, nodal
//! prices, billing; no files written). Sizes: 300 units on a copper plate and on 500 buses,
//! with loose limits (`--line-limit-share 100`), the default 2.0 and a tight 0.2 (with seed 7:
//! no line binds at 100 or 2.0; at 0.2, 310 (interval, line) pairs bind, in 3 rounds); 1000
//! units on a copper plate and on 2000 buses (default share).
//! Before timing, each case prints its rounds per day and binding (interval, line) pairs, so
//! the README can say how time grows with buses and with binding lines. HiGHS only
//! (`--features highs`): Clarabel takes minutes at 1000 units. Numbers go in the README with
//! the machine.

#[cfg(feature = "highs")]
mod cases {
    use std::collections::BTreeMap;
    use std::hint::black_box;

    use ancillary::generate::{self, Size};
    use ancillary::run;
    use ancillary::scenario::{self, Scenario};
    use criterion::{BenchmarkId, Criterion};

    /// Buses and `--line-limit-share`; `None`: a copper plate.
    type Grid = Option<(usize, f64)>;

    fn scenario(units: usize, network: Grid) -> Scenario {
        let size = Size {
            units,
            days: 1,
            interval_minutes: 15,
            seed: 7,
            continuous: true,
        };
        let mut files = generate::scenario(size).unwrap();
        if let Some((buses, share)) = network {
            generate::add_network(&mut files, buses, share, size.seed).unwrap();
        }
        let bytes: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect();
        scenario::load_files(&bytes).unwrap()
    }

    pub fn lp_day(c: &mut Criterion) {
        let mut g = c.benchmark_group("network_lp_day_highs");
        g.sample_size(10);
        let cases: [(&str, usize, Grid); 6] = [
            ("copper_plate", 300, None),
            ("500_buses_loose", 300, Some((500, 100.0))),
            ("500_buses", 300, Some((500, 2.0))),
            ("500_buses_tight", 300, Some((500, 0.2))),
            ("copper_plate", 1000, None),
            ("2000_buses", 1000, Some((2000, 2.0))),
        ];
        for (name, units, network) in cases {
            let s = scenario(units, network);
            let r = run::run(&s).unwrap();
            eprintln!(
                "{name} {units} units: rounds per day {:?}, binding (interval, line) pairs {}, objective {:.2}",
                r.rounds_per_day, r.binding_lines, r.objective
            );
            g.bench_with_input(BenchmarkId::new(name, units), &s, |b, s| {
                b.iter(|| black_box(run::run(s).unwrap()))
            });
        }
        g.finish();
    }
}

#[cfg(feature = "highs")]
criterion::criterion_group!(benches, cases::lp_day);
#[cfg(feature = "highs")]
criterion::criterion_main!(benches);

#[cfg(not(feature = "highs"))]
fn main() {
    eprintln!("benches/network_lp.rs needs --features highs");
}
