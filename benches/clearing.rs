//! Speed of the merit-order engine and of a whole run. Numbers go in the README with the machine.

use std::hint::black_box;
use std::path::Path;

use ancillary::clearing::merit_order::{Bid, clear};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

fn one_interval_1000_offers(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let bids: Vec<Bid> = (0..1000)
        .map(|i| Bid {
            // Prices on a 0.01 grid so that some tie, as real bids do.
            key: Decimal::new(rng.random_range(400..1500), 2),
            tier: 0,
            order: i,
            mw: Decimal::from(rng.random_range(5..60)),
        })
        .collect();
    let total: Decimal = bids.iter().map(|b| b.mw).sum();
    let requirement = total / Decimal::from(2);
    c.bench_function("merit_order/1_interval_1000_offers", |b| {
        b.iter(|| clear(black_box(requirement), black_box(&bids)))
    });
}

fn jiangsu_day_end_to_end(c: &mut Criterion) {
    let dir = Path::new("scenarios/jiangsu-typical-day");
    c.bench_function("run/jiangsu_typical_day_load_run_render", |b| {
        b.iter(|| {
            let s = ancillary::scenario::load(dir).unwrap();
            let r = ancillary::run::run(&s).unwrap();
            black_box(ancillary::output::render(&s, &r))
        })
    });
}

/// Batch throughput: eight generated scenarios (40 units × 2 days each), on 1 and 2 threads.
fn batch_throughput(c: &mut Criterion) {
    use ancillary::batch::{Job, Options, run_batch};
    use ancillary::generate::{Size, scenario};
    let tmp = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    for seed in 0..8 {
        let dir = tmp.path().join(format!("s{seed}"));
        let files = scenario(Size {
            units: 40,
            days: 2,
            interval_minutes: 15,
            seed,
            continuous: false,
        })
        .unwrap();
        ancillary::import::write(&dir, &files).unwrap();
        jobs.push(Job {
            folder: format!("s{seed}"),
            dir,
        });
    }
    // Outputs go to the temporary folder's disk and, where the machine has it, to memory
    // (/dev/shm): on a disk, creating and replacing hundreds of small files is kernel work
    // that does not scale with threads, which the second pair separates out.
    let shm = Path::new("/dev/shm");
    let shm_tmp = shm.is_dir().then(|| tempfile::tempdir_in(shm).unwrap());
    let mut g = c.benchmark_group("batch_8_scenarios");
    g.sample_size(10);
    for (place, root) in [
        ("disk", Some(tmp.path())),
        ("shm", shm_tmp.as_ref().map(|t| t.path())),
    ] {
        let Some(root) = root else { continue };
        for threads in [1, 2] {
            g.bench_function(format!("{place}_{threads}_thread"), |b| {
                b.iter(|| {
                    let out = root.join(format!("out{threads}"));
                    let options = Options {
                        threads,
                        report: false,
                        quiet: true,
                        format: ancillary::output::Format::Csv,
                    };
                    black_box(run_batch(jobs.clone(), &out, options).unwrap())
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = one_interval_1000_offers, jiangsu_day_end_to_end, batch_throughput
}
criterion_main!(benches);
