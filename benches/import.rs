//! Speed of `ancillary import rts-gmlc` on the shipped RTS-GMLC day. Numbers go in the README
//! with the machine.

use std::hint::black_box;
use std::path::Path;

use ancillary::import::Grid;
use criterion::{Criterion, criterion_group, criterion_main};

/// What `ancillary import rts-gmlc data/rts-gmlc --day 2020-07-10 --out DIR` does (with the
/// network, the default, and with `--copper-plate`): read the raw files, build the scenario's
/// files, write them into a new folder.
fn rts_gmlc_day(c: &mut Criterion) {
    let rts = Path::new("data/rts-gmlc");
    let day = "2020-07-10".parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0u64;
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    for (name, grid) in [
        ("rts_gmlc_day_read_convert_write", Grid::Network),
        ("rts_gmlc_day_copper_plate", Grid::CopperPlate),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let files = ancillary::import::rts_gmlc(rts, day, 1, grid).unwrap();
                ancillary::import::write(&tmp.path().join(n.to_string()), black_box(&files))
                    .unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, rts_gmlc_day);
criterion_main!(benches);
