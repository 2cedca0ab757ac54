//! A full year end to end: 35,040 fifteen-minute intervals × 300 units × FR, peak and reserve,
//! generated (seed 1) into CSV, then loaded, cleared, billed and written as `ancillary run`
//! does (`run_to_dir`, streamed in chunks of days), with the tables as CSV and as Parquet. Each sample takes seconds; criterion's
//! minimum of ten samples applies. `ANCILLARY_BENCH_DAYS=30` shortens the horizon for a quick
//! look. Numbers go in the README with the machine; peak memory is measured there with
//! `/usr/bin/time -v` on the same scenario.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn year_300_units_three_products(c: &mut Criterion) {
    let days: usize = std::env::var("ANCILLARY_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365);
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("scenario");
    let files = ancillary::generate::scenario(ancillary::generate::Size {
        units: 300,
        days,
        interval_minutes: 15,
        seed: 1,
        continuous: false,
    })
    .unwrap();
    ancillary::import::write(&scenario, &files).unwrap();
    drop(files);
    let out = tmp.path().join("out");
    let mut g = c.benchmark_group("year");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function(
        format!("300_units_{days}_days_fr_peak_reserve_csv_in_out"),
        |b| b.iter(|| black_box(ancillary::run_to_dir(&scenario, &out, false, false).unwrap())),
    );
    // The same run with the tables written as Parquet (`run --format parquet`).
    let parquet = tmp.path().join("parquet");
    g.bench_function(
        format!("300_units_{days}_days_fr_peak_reserve_csv_in_parquet_out"),
        |b| {
            b.iter(|| {
                black_box(
                    ancillary::run_to_dir_showing(
                        &scenario,
                        &parquet,
                        false,
                        false,
                        false,
                        None,
                        ancillary::output::Format::Parquet,
                    )
                    .unwrap(),
                )
            })
        },
    );
    g.finish();
}

criterion_group!(benches, year_300_units_three_products);
criterion_main!(benches);
