//! `ancillary generate --buses N`: a meshed grid added to a generated continuous-spot scenario,
//! valid, deterministic, and leaving every other file as it was.

use std::collections::BTreeMap;

use ancillary::generate::{Size, add_network, scenario};

fn size() -> Size {
    Size {
        units: 40,
        days: 1,
        interval_minutes: 60,
        seed: 5,
        continuous: true,
    }
}

fn bytes(files: &BTreeMap<String, String>) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect()
}

#[test]
fn generated_network_is_valid_deterministic_and_adds_only_the_grid() {
    let plain = scenario(size()).unwrap();
    let mut grid = plain.clone();
    add_network(&mut grid, 30, 2.0, 5).unwrap();
    let mut again = plain.clone();
    add_network(&mut again, 30, 2.0, 5).unwrap();
    assert_eq!(grid, again, "the same seed gives the same bytes");

    // Every file but units.csv is unchanged; units.csv only gains the bus column.
    for (name, text) in &plain {
        if name == "units.csv" {
            for (a, b) in text.lines().zip(grid[name].lines()) {
                assert!(b.starts_with(a) && b.len() > a.len(), "{a} / {b}");
            }
        } else {
            assert_eq!(text, &grid[name], "{name}");
        }
    }

    // 30 buses, 1.5 lines per bus = 45 lines, each limit 2 × peak load / √30.
    let s = ancillary::scenario::load_files(&bytes(&grid)).unwrap();
    let network = s.network.as_ref().unwrap();
    assert_eq!((network.buses.len(), network.lines.len()), (30, 45));
    assert_eq!(network.zones.len(), 5);
    let peak: f64 = plain["requirements.csv"]
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    let limit = (2.0 * peak / 30f64.sqrt()).round();
    assert!(
        grid["lines.csv"]
            .lines()
            .skip(1)
            .all(|l| l.ends_with(&format!(",{limit}")))
    );

    // Each hour's bus loads add up to load_mw exactly (the loader also checks it to 0.001 MW):
    // summed here in whole 0.01 MW from the text.
    let cents = |s: &str| (s.parse::<f64>().unwrap() * 100.0).round() as i64;
    for line in plain["requirements.csv"].lines().skip(1) {
        let time = line.split(',').next().unwrap();
        let want = cents(line.rsplit(',').next().unwrap());
        let got: i64 = grid["bus_loads.csv"]
            .lines()
            .filter(|l| l.starts_with(&format!("{time},")))
            .map(|l| cents(l.rsplit(',').next().unwrap()))
            .sum();
        assert_eq!(got, want, "{time}");
    }
}

#[test]
fn generated_network_needs_energy() {
    let mut files = scenario(Size {
        continuous: false,
        ..size()
    })
    .unwrap();
    let e = add_network(&mut files, 30, 2.0, 5).unwrap_err();
    assert!(e.rule.contains("--spot continuous"), "{e}");
    let mut files = scenario(size()).unwrap();
    assert!(add_network(&mut files, 1, 2.0, 5).is_err());
    assert!(add_network(&mut files, 30, 0.0, 5).is_err());
}

/// Everything `generate` writes must run: small fleets with `--spot continuous` (fewer than
/// ten units have no wind unit, the only non-market generator, so the non-market share of
/// the cost had nobody to pay it) over several seeds, and without the spot market too, each
/// loaded and run as `run` does.
#[test]
fn every_small_generated_continuous_scenario_runs() {
    for units in 1..=12 {
        for seed in 0..5 {
            for continuous in [true, false] {
                let files = scenario(Size {
                    units,
                    days: 1,
                    interval_minutes: 60,
                    seed,
                    continuous,
                })
                .unwrap();
                let what = format!("{units} units, seed {seed}, continuous {continuous}");
                let s = ancillary::scenario::load_files(&bytes(&files))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                ancillary::run::run(&s).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
    }
}
