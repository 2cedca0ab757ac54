//! Speed of `ancillary import rts-gmlc` on the shipped RTS-GMLC day. Numbers go in the README
//! with the machine.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

/// What `ancillary import rts-gmlc data/rts-gmlc --day 2020-07-10 --out DIR` does: read the
/// raw files, build the scenario's files, write them into a new folder.
fn rts_gmlc_day(c: &mut Criterion) {
    let rts = Path::new("data/rts-gmlc");
    let day = "2020-07-10".parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0u64;
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.bench_function("rts_gmlc_day_read_convert_write", |b| {
        b.iter(|| {
            n += 1;
            let files = ancillary::import::rts_gmlc(rts, day, 1).unwrap();
            ancillary::import::write(&tmp.path().join(n.to_string()), black_box(&files)).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, rts_gmlc_day);
criterion_main!(benches);
