//! The network's DC power-flow matrices: loading `buses.csv` + `lines.csv` (with the island
//! check), the PTDF (Cholesky factorisation and inverse of the reduced susceptance matrix,
//! then one row per line), and the flows of one injection vector, for a meshed synthetic grid
//! of 200 buses × 300 lines and 2000 buses × 3000 lines. Numbers go in the README with the
//! machine.

use std::collections::BTreeMap;
use std::hint::black_box;

use ancillary::network::Ptdf;
use ancillary::scenario::{self, Network};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A scenario folder's files holding a connected, meshed grid: a spanning tree in which each
/// bus hangs on one of the ten before it, then chords between buses at most 50 apart, until
/// `lines` lines; reactances 0.01–0.2 p.u. (the range of RTS-GMLC's).
fn grid(buses: usize, lines: usize, seed: u64) -> BTreeMap<String, Vec<u8>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut buses_csv = String::from("bus,zone\n");
    for b in 0..buses {
        buses_csv += &format!("n{b},z{}\n", b * 5 / buses);
    }
    let mut lines_csv = String::from("line,from_bus,to_bus,reactance_pu,limit_mw\n");
    for l in 0..lines {
        let (from, to) = if l + 1 < buses {
            let to = l + 1;
            (to - 1 - rng.random_range(0..to.min(10)), to)
        } else {
            let a = rng.random_range(0..buses);
            let mut b = (a + rng.random_range(1..=50)) % buses;
            if b == a {
                b = (a + 1) % buses;
            }
            (a, b)
        };
        let x = rng.random_range(0.01..0.2);
        lines_csv += &format!("l{l},n{from},n{to},{x:.4},500\n");
    }
    let toml = "name = \"grid\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 60\nstart = \"2024-03-01T00:00\"\nintervals = 1\n";
    [
        ("scenario.toml", toml.to_string()),
        (
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw,bus\nG,A,coal,600,0,n0\n".into(),
        ),
        ("requirements.csv", "time\n2024-03-01T00:00\n".into()),
        ("buses.csv", buses_csv),
        ("lines.csv", lines_csv),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_bytes()))
    .collect()
}

fn network(files: &BTreeMap<String, Vec<u8>>) -> Network {
    scenario::load_files(files).unwrap().network.unwrap()
}

fn ptdf(c: &mut Criterion) {
    let mut g = c.benchmark_group("network");
    g.sample_size(10);
    for (buses, lines) in [(200, 300), (2000, 3000)] {
        let files = grid(buses, lines, 7);
        let size = format!("{buses}x{lines}");
        g.bench_with_input(BenchmarkId::new("load", &size), &files, |b, f| {
            b.iter(|| black_box(network(f)))
        });
        let n = network(&files);
        g.bench_with_input(BenchmarkId::new("ptdf", &size), &n, |b, n| {
            b.iter(|| black_box(Ptdf::new(n).unwrap()))
        });
        let p = Ptdf::new(&n).unwrap();
        // 1 MW at every bus but the last, all of it withdrawn there.
        let mut injection = ndarray::Array1::<f64>::ones(buses);
        injection[buses - 1] = -((buses - 1) as f64);
        g.bench_with_input(BenchmarkId::new("flows", &size), &p, |b, p| {
            b.iter(|| black_box(p.flows(injection.view())))
        });
    }
    g.finish();
}

criterion_group!(benches, ptdf);
criterion_main!(benches);
