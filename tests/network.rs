//! The network files (issue 14): read through the contract into `Scenario::network`, checked
//! with positioned errors, and turned into PTDF and flows whose every number is derived here
//! by hand.

mod common;
use ancillary::ErrorKind;
use ancillary::network::Ptdf;
use ancillary::scenario::network::{LOAD_TOLERANCE_MW, Network};
use common::*;
use ndarray::arr1;

/// Two units in zone north (G1 at b1, G2 at b2); b3 in zone south has none.
const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,bus
G1,A,coal,600,300,b1
G2,B,gas,300,0,b2
";

const BUSES: &str = "bus,zone\nb1,north\nb2,north\nb3,south\n";

/// The triangle b1–b2–b3 with equal reactances; L23 unlimited.
const LINES: &str = "line,from_bus,to_bus,reactance_pu,limit_mw
L12,b1,b2,0.1,100
L23,b2,b3,0.1,
L13,b1,b3,0.1,50
";

fn base() -> Case {
    Case::new("")
        .file("units.csv", UNITS)
        .file(
            "requirements.csv",
            &format!("time,fr_mw,reserve_mw\n{T0},10,20\n{T1},10,20\n{T2},10,20\n{T3},10,20\n"),
        )
        .file("buses.csv", BUSES)
        .file("lines.csv", LINES)
}

fn network(case: &Case) -> Network {
    case.load().unwrap().network.expect("a network")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[track_caller]
fn assert_at(e: &ancillary::InputError, file: &str, line: Option<u64>, column: Option<&str>) {
    assert_eq!(e.file, file, "{e}");
    assert_eq!(e.line, line, "{e}");
    assert_eq!(e.column.as_deref(), column, "{e}");
}

#[test]
fn a_scenario_without_network_files_has_no_network() {
    let s = base()
        .without("buses.csv")
        .without("lines.csv")
        .file(
            "units.csv",
            &UNITS
                .replace(",bus", "")
                .replace(",b1", "")
                .replace(",b2", ""),
        )
        .load()
        .unwrap();
    assert!(s.network.is_none());
}

#[test]
fn the_network_is_read_with_its_indices_zones_and_limits() {
    let s = base().load().unwrap();
    let n = s.network.unwrap();
    assert_eq!(n.buses.len(), 3);
    assert_eq!(n.zones, ["north", "south"]);
    assert_eq!((n.bus("b3"), n.bus("b4")), (Some(2), None));
    assert_eq!(n.line("L13"), Some(2));
    // The reference bus defaults to the first bus of buses.csv.
    assert_eq!(n.reference, 0);
    assert_eq!(n.unit_bus, [0, 1]);
    assert_eq!((n.unit_zone(0), n.unit_zone(1)), (0, 0));
    let l = &n.lines[2];
    assert_eq!((l.from, l.to, l.limit_mw), (0, 2, Some(d("50"))));
    assert_eq!(n.lines[1].limit_mw, None);
    assert!(close(l.susceptance(), 10.0));
    assert!(n.loads.is_none());
    assert!(!n.zone_requirements.any());
}

/// Triangle, equal reactances x, reference b1. Inject 1 MW at b2, withdraw it at b1: two
/// paths, b2→b1 (reactance x) and b2→b3→b1 (2x), share it inversely to reactance, 2/3 and
/// 1/3. L12 runs b1→b2, so it carries −2/3; L23 carries +1/3; L13 (b1→b3) −1/3. Injecting at
/// b3 instead: direct b3→b1 takes 2/3 (L13 −2/3), b3→b2→b1 1/3 (L23 −1/3, L12 −1/3). The
/// reference's column is 0.
///
/// 100 MW from b1 to b3 (injection [100, 0, −100]) is −100 × column b3: L12 +33.33,
/// L23 +33.33, L13 +66.67 — 2/3 on the direct line, 1/3 round by b2.
#[test]
fn triangle_ptdf_and_flows_by_hand() {
    let ptdf = Ptdf::new(&network(&base())).unwrap();
    let third = 1.0 / 3.0;
    let expected = [
        // columns b1, b2, b3; rows L12, L23, L13
        [0.0, -2.0 * third, -third],
        [0.0, third, -third],
        [0.0, -third, -2.0 * third],
    ];
    for (l, row) in expected.iter().enumerate() {
        for (b, &v) in row.iter().enumerate() {
            assert!(close(ptdf.get(l, b), v), "L{l} b{b}: {}", ptdf.get(l, b));
        }
    }
    let flows = ptdf.flows(arr1(&[100.0, 0.0, -100.0]).view());
    for (f, v) in flows
        .iter()
        .zip([100.0 * third, 100.0 * third, 200.0 * third])
    {
        assert!(close(*f, v), "{flows}");
    }

    // Reference b3: column b1 is "inject at b1, withdraw at b3": L12 +1/3, L23 +1/3,
    // L13 +2/3; column b2 ("b2 to b3": direct 2/3 on L23, 1/3 by b1: L12 −1/3, L13 +1/3).
    let case = base().file(
        "scenario.toml",
        &toml("[network]\nreference_bus = \"b3\"\n"),
    );
    let n = network(&case);
    assert_eq!(n.reference, 2);
    let p3 = Ptdf::new(&n).unwrap();
    let expected = [
        [third, -third, 0.0],
        [third, 2.0 * third, 0.0],
        [2.0 * third, third, 0.0],
    ];
    for (l, row) in expected.iter().enumerate() {
        for (b, &v) in row.iter().enumerate() {
            assert!(close(p3.get(l, b), v), "L{l} b{b}: {}", p3.get(l, b));
        }
    }
    // A balanced injection flows the same whichever bus is the reference.
    let p = arr1(&[100.0, 0.0, -100.0]);
    for (a, b) in ptdf.flows(p.view()).iter().zip(p3.flows(p.view()).iter()) {
        assert!(close(*a, *b));
    }
}

/// Two lines between a and b, x = 0.1 (b = 10) and x = 0.3 (b = 10/3): they share a transfer
/// as their susceptances, 10 / (40/3) = 3/4 and 1/4. 100 MW injected at b and withdrawn at a
/// (the reference): P1 (a→b) carries −75, P2 (written b→a) +25.
#[test]
fn parallel_lines_split_flow_by_susceptance() {
    let case = Case::new("")
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw,bus\nG1,A,coal,600,300,b\n",
        )
        .file(
            "requirements.csv",
            &format!("time\n{T0}\n{T1}\n{T2}\n{T3}\n"),
        )
        .file("buses.csv", "bus,zone\na,z\nb,z\n")
        .file(
            "lines.csv",
            "line,from_bus,to_bus,reactance_pu,limit_mw\nP1,a,b,0.1,\nP2,b,a,0.3,\n",
        );
    let ptdf = Ptdf::new(&network(&case)).unwrap();
    assert!(close(ptdf.get(0, 1), -0.75) && close(ptdf.get(1, 1), 0.25));
    let flows = ptdf.flows(arr1(&[-100.0, 100.0]).view());
    assert!(close(flows[0], -75.0) && close(flows[1], 25.0), "{flows}");
}

#[test]
fn an_island_is_an_error_naming_its_buses() {
    // b1–b2 and b3–b4 are joined, b5 by nothing: b3, b4 and b5 cannot reach b1.
    let case = base()
        .file("buses.csv", "bus,zone\nb1,z\nb2,z\nb3,z\nb4,z\nb5,z\n")
        .file(
            "lines.csv",
            "line,from_bus,to_bus,reactance_pu\nA,b1,b2,0.1\nB,b3,b4,0.1\n",
        );
    let e = case.error();
    assert_eq!(e.kind, ErrorKind::Invalid);
    // At b3, the first bus of the island: header, b1, b2, b3 on line 4.
    assert_at(&e, "buses.csv", Some(4), Some("bus"));
    assert!(
        e.rule.starts_with(
            "buses \"b3\", \"b4\", \"b5\" are not connected to the reference bus \"b1\""
        ),
        "{e}"
    );
    // Without lines.csv, two buses are two islands; one bus alone is a network.
    let e = base()
        .without("lines.csv")
        .file("buses.csv", "bus,zone\nb1,z\nb2,z\n")
        .error();
    assert_at(&e, "buses.csv", Some(3), Some("bus"));
    assert!(e.rule.starts_with("bus \"b2\" is not connected"), "{e}");
    let one = base()
        .without("lines.csv")
        .file("buses.csv", "bus,zone\nb1,z\n")
        .file("units.csv", &UNITS.replace(",b2", ",b1"));
    assert_eq!(network(&one).buses.len(), 1);
}

/// Each rule of the network files, broken once: the file, line and column it names.
#[test]
fn each_bad_input_names_file_line_and_column() {
    let lines_with = |row: &str| format!("{LINES}{row}\n");
    type Edit = Box<dyn Fn(Case) -> Case>;
    /// The edit, then where the error is (file, line, column), its kind and part of its rule.
    type Expected = (
        Edit,
        &'static str,
        Option<u64>,
        Option<&'static str>,
        ErrorKind,
        &'static str,
    );
    let cases: Vec<Expected> = vec![
        (
            Box::new(|c| c.file("units.csv", &UNITS.replace(",b2", ",b9"))),
            "units.csv",
            Some(3),
            Some("bus"),
            ErrorKind::UnknownReference,
            "names bus \"b9\", which is not in buses.csv",
        ),
        (
            Box::new(|c| c.file("units.csv", &UNITS.replace(",b2", ","))),
            "units.csv",
            Some(3),
            Some("bus"),
            ErrorKind::Parse,
            "must not be empty",
        ),
        (
            Box::new(|c| {
                c.file(
                    "units.csv",
                    "unit,owner,kind,capacity_mw,min_output_mw\nG1,A,coal,600,300\n",
                )
            }),
            "units.csv",
            Some(1),
            Some("bus"),
            ErrorKind::MissingColumn,
            "every unit needs the bus",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b7,b3,0.1,"))),
            "lines.csv",
            Some(5),
            Some("from_bus"),
            ErrorKind::UnknownReference,
            "names bus \"b7\"",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b1,b8,0.1,"))),
            "lines.csv",
            Some(5),
            Some("to_bus"),
            ErrorKind::UnknownReference,
            "names bus \"b8\"",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b1,b3,0,"))),
            "lines.csv",
            Some(5),
            Some("reactance_pu"),
            ErrorKind::Invalid,
            "must be > 0, got 0",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b1,b3,-0.2,"))),
            "lines.csv",
            Some(5),
            Some("reactance_pu"),
            ErrorKind::Invalid,
            "must be > 0, got -0.2",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b2,b2,0.1,"))),
            "lines.csv",
            Some(5),
            Some("to_bus"),
            ErrorKind::Invalid,
            "a line from bus \"b2\" to itself",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L4,b1,b3,0.1,0"))),
            "lines.csv",
            Some(5),
            Some("limit_mw"),
            ErrorKind::Invalid,
            "must be > 0, got 0 (leave it empty for no limit",
        ),
        (
            Box::new(move |c| c.file("lines.csv", &lines_with("L23,b1,b3,0.1,"))),
            "lines.csv",
            Some(5),
            Some("line"),
            ErrorKind::Duplicate,
            "line \"L23\" is already defined on line 3",
        ),
        (
            // 1e-6 beside 0.1 elsewhere and 1e5 here: 1e11 to 1, over 1e10.
            Box::new(move |c| {
                c.file(
                    "lines.csv",
                    &(LINES.replace("L23,b2,b3,0.1,", "L23,b2,b3,1e-6,") + "L4,b1,b3,1e5,\n"),
                )
            }),
            "lines.csv",
            Some(3),
            Some("reactance_pu"),
            ErrorKind::Invalid,
            "is 0.000001 on line \"L23\" while line \"L4\" (line 5) has 100000",
        ),
        (
            // 1e-28 and 1e9, each accepted alone: 1e9 / 1e-28 = 1e37 overflows a decimal
            // (largest about 7.9e28) and is far over 1e10 to 1. Was a panic (exit 101).
            Box::new(move |c| {
                c.file(
                    "lines.csv",
                    &(LINES.replace("L23,b2,b3,0.1,", "L23,b2,b3,1e-28,") + "L4,b1,b3,1e9,\n"),
                )
            }),
            "lines.csv",
            Some(3),
            Some("reactance_pu"),
            ErrorKind::Invalid,
            "on line \"L23\" while line \"L4\" (line 5) has 1000000000",
        ),
        (
            Box::new(|c| c.file("buses.csv", &format!("{BUSES}b2,south\n"))),
            "buses.csv",
            Some(5),
            Some("bus"),
            ErrorKind::Duplicate,
            "bus \"b2\" is already defined on line 3",
        ),
        (
            Box::new(|c| c.file("buses.csv", "bus,zone\nb1,north\nb2,\nb3,south\n")),
            "buses.csv",
            Some(3),
            Some("zone"),
            ErrorKind::Parse,
            "must not be empty",
        ),
        (
            Box::new(|c| {
                c.file(
                    "bus_loads.csv",
                    &format!("time,bus,load_mw\n{T0},b1,5\n{T0},b4,5\n"),
                )
            }),
            "bus_loads.csv",
            Some(3),
            Some("bus"),
            ErrorKind::UnknownReference,
            "names bus \"b4\"",
        ),
        (
            Box::new(|c| {
                c.file(
                    "bus_loads.csv",
                    &format!("time,bus,load_mw\n{T0},b1,5\n{T0},b1,6\n"),
                )
            }),
            "bus_loads.csv",
            Some(3),
            Some("bus"),
            ErrorKind::Duplicate,
            "already given on line 2",
        ),
        (
            Box::new(|c| c.file("bus_loads.csv", &format!("time,bus,load_mw\n{T0},b1,-5\n"))),
            "bus_loads.csv",
            Some(2),
            Some("load_mw"),
            ErrorKind::Invalid,
            "must be ≥ 0",
        ),
        (
            // Intervals T0 and T1 given, T2 not.
            Box::new(|c| {
                c.file(
                    "bus_loads.csv",
                    &format!("time,bus,load_mw\n{T0},b1,5\n{T1},b1,5\n{T3},b1,5\n"),
                )
            }),
            "bus_loads.csv",
            None,
            Some("time"),
            ErrorKind::Invalid,
            "has no row for interval 2024-03-01T00:30",
        ),
        (
            // South (b3) has no unit: nothing can hold its reserve.
            Box::new(|c| {
                c.file(
                    "zone_requirements.csv",
                    &format!("time,zone,fr_mw,reserve_mw\n{T0},north,5,5\n{T1},south,0,5\n"),
                )
            }),
            "zone_requirements.csv",
            Some(3),
            Some("zone"),
            ErrorKind::Invalid,
            "no unit of units.csv is at a bus of that zone",
        ),
        (
            Box::new(|c| {
                c.file(
                    "zone_requirements.csv",
                    &format!("time,zone,fr_mw\n{T0},east,5\n"),
                )
            }),
            "zone_requirements.csv",
            Some(2),
            Some("zone"),
            ErrorKind::UnknownReference,
            "names zone \"east\", which no bus of buses.csv is in (its zones are north, south)",
        ),
        (
            Box::new(|c| {
                c.file(
                    "zone_requirements.csv",
                    &format!("time,zone,fr_mw\n{T0},north,5\n{T0},north,6\n"),
                )
            }),
            "zone_requirements.csv",
            Some(3),
            Some("zone"),
            ErrorKind::Duplicate,
            "already given on line 2",
        ),
        (
            Box::new(|c| {
                c.file(
                    "requirements.csv",
                    &format!("time,reserve_mw\n{T0},1\n{T1},1\n{T2},1\n{T3},1\n"),
                )
                .file(
                    "zone_requirements.csv",
                    &format!("time,zone,fr_mw\n{T0},north,5\n"),
                )
            }),
            "zone_requirements.csv",
            Some(2),
            Some("fr_mw"),
            ErrorKind::Invalid,
            "requirements.csv has no fr_mw column",
        ),
        (
            Box::new(|c| {
                c.file(
                    "scenario.toml",
                    &toml("\n[network]\nreference_bus = \"b0\"\n"),
                )
            }),
            "scenario.toml",
            Some(9),
            Some("network.reference_bus"),
            ErrorKind::UnknownReference,
            "names bus \"b0\", which is not in buses.csv",
        ),
    ];
    for (k, (edit, file, line, column, kind, rule)) in cases.into_iter().enumerate() {
        let e = edit(base()).error();
        assert_at(&e, file, line, column);
        assert_eq!(e.kind, kind, "case {k}: {e}");
        assert!(e.rule.contains(rule), "case {k}: {e}");
    }
}

#[test]
fn network_files_need_buses_csv() {
    let no_buses = || {
        base().without("buses.csv").without("lines.csv").file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nG1,A,coal,600,300\n",
        )
    };
    no_buses().load().unwrap();
    for (file, text) in [
        ("lines.csv", LINES.to_string()),
        ("bus_loads.csv", format!("time,bus,load_mw\n{T0},b1,5\n")),
        (
            "zone_requirements.csv",
            format!("time,zone,fr_mw\n{T0},north,5\n"),
        ),
    ] {
        let e = no_buses().file(file, &text).error();
        assert_eq!(e.kind, ErrorKind::MissingFile, "{e}");
        assert_at(&e, file, None, None);
        assert!(e.rule.starts_with("needs buses.csv"), "{e}");
    }
    let e = no_buses().file("units.csv", UNITS).error();
    assert_at(&e, "units.csv", Some(2), Some("bus"));
    assert!(e.rule.contains("no buses.csv"), "{e}");
    let e = no_buses()
        .file(
            "scenario.toml",
            &toml("[network]\nreference_bus = \"b1\"\n"),
        )
        .error();
    assert_at(&e, "scenario.toml", Some(8), Some("network.reference_bus"));
    // A misspelt buses.csv is named, not taken for an unknown file.
    let e = no_buses().file("bus.csv", BUSES).error();
    assert!(e.rule.contains("did you mean buses.csv"), "{e}");
}

/// Bus loads give the system load where requirements.csv leaves it out, and must agree with
/// it where it is given: b1 10 + b3 30.0004 = 40.0004 MW, within 0.001 of 40; 40.002 is not.
#[test]
fn bus_loads_give_or_match_the_system_load() {
    let loads = format!(
        "time,bus,load_mw\n{T0},b1,10\n{T0},b3,30.0004\n{T1},b2,5\n{T2},b2,0\n{T3},b1,1\n{T3},b2,2\n"
    );
    let s = base().file("bus_loads.csv", &loads).load().unwrap();
    assert!(s.requirements.has_load);
    let system: Vec<_> = s
        .requirements
        .by_interval
        .iter()
        .map(|r| r.load_mw.unwrap())
        .collect();
    assert_eq!(system, [d("40.0004"), d("5"), d("0"), d("3")]);
    let n = s.network.unwrap();
    let l = n.loads.as_ref().unwrap();
    assert_eq!(l.get(2, 0), d("30.0004"));
    assert_eq!(l.get(1, 0), d("0"));
    assert_eq!(l.dense(3, 3), vec![1.0, 2.0, 0.0]);

    let with_load = |t0: &str| {
        base()
            .file(
                "requirements.csv",
                &format!("time,fr_mw,load_mw\n{T0},1,{t0}\n{T1},1,5\n{T2},1,\n{T3},1,3\n"),
            )
            .file("bus_loads.csv", &loads)
    };
    let s = with_load("40").load().unwrap();
    // Given values stand; the empty one is filled from the bus loads.
    assert_eq!(s.requirements.by_interval[0].load_mw, Some(d("40")));
    assert_eq!(s.requirements.by_interval[2].load_mw, Some(d("0")));
    // 40.0004 − 39.999 = 0.0014 > 0.001.
    assert_eq!(LOAD_TOLERANCE_MW, d("0.001"));
    let e = with_load("39.999").error();
    assert_at(&e, "requirements.csv", Some(2), Some("load_mw"));
    assert!(
        e.rule.starts_with(
            "is 39.999 MW at 2024-03-01T00:00, but the loads of bus_loads.csv sum to 40.0004 MW"
        ),
        "{e}"
    );
}

#[test]
fn zone_requirements_are_read_per_interval_and_zone() {
    let s = base()
        .file(
            "zone_requirements.csv",
            &format!(
                "time,zone,fr_mw,reserve_mw\n{T1},north,4,\n{T3},north,,7.5\n{T3},south,0,0\n"
            ),
        )
        .load()
        .unwrap();
    let n = s.network.unwrap();
    let z = &n.zone_requirements;
    assert!(z.any());
    assert_eq!(
        (z.get(1, 0).fr_mw, z.get(1, 0).reserve_mw),
        (d("4"), d("0"))
    );
    assert_eq!(z.get(3, 0).reserve_mw, d("7.5"));
    assert_eq!(z.get(0, 0), Default::default());
    assert_eq!((z.line(3, 1), z.line(0, 1)), (Some(4), None));
}

/// A joint energy clearing whose load comes from bus_loads.csv clears as the same scenario
/// with the load in requirements.csv: a network without line limits does not change the
/// copper-plate run (limits are cleared in tests/network_clearing.rs).
#[test]
fn bus_loads_clear_like_the_same_system_load() {
    let spot = "spot_market = \"continuous\"\n";
    let toml_spot = toml("").replace("spot_market = \"none\"\n", spot);
    let energy = format!(
        "unit,start,end,segment,mw,price_yuan_per_mwh\nG1,{T0},{END},1,400,300\nG2,{T0},{END},1,300,350\n"
    );
    let with_network = base()
        .file("scenario.toml", &toml_spot)
        .file("lines.csv", &LINES.replace(",100\n", ",\n").replace(",50\n", ",\n"))
        .file(
            "requirements.csv",
            &format!("time,fr_mw,reserve_mw\n{T0},0,0\n{T1},0,0\n{T2},0,0\n{T3},0,0\n"),
        )
        .file("energy_offers.csv", &energy)
        .file(
            "bus_loads.csv",
            &format!("time,bus,load_mw\n{T0},b3,350\n{T1},b3,450\n{T2},b1,100\n{T2},b3,400\n{T3},b2,500\n"),
        );
    let plate = with_network
        .clone()
        .without("buses.csv")
        .without("lines.csv")
        .without("bus_loads.csv")
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nG1,A,coal,600,300\nG2,B,gas,300,0\n",
        )
        .file(
            "requirements.csv",
            &format!(
                "time,fr_mw,reserve_mw,load_mw\n{T0},0,0,350\n{T1},0,0,450\n{T2},0,0,500\n{T3},0,0,500\n"
            ),
        );
    let (a, b) = (with_network.run(), plate.run());
    assert_eq!(a.clearing, b.clearing);
    assert_eq!(a.awards, b.awards);
    assert_eq!(a.settlement, b.settlement);
}

/// Chunks of days carry their own intervals of bus loads and zonal minimums.
#[test]
fn chunks_slice_the_network_series() {
    // Two days of two 12-hour intervals: 2024-03-01T00:00, T12:00, 03-02T00:00, T12:00.
    let times = [
        "2024-03-01T00:00",
        "2024-03-01T12:00",
        "2024-03-02T00:00",
        "2024-03-02T12:00",
    ];
    let rows = |f: &dyn Fn(usize, &str) -> String| {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect::<String>()
    };
    let case = base()
        .file(
            "scenario.toml",
            &toml("").replace("interval_minutes = 15", "interval_minutes = 720"),
        )
        .file(
            "requirements.csv",
            &format!(
                "time,fr_mw,reserve_mw\n{}",
                rows(&|_, t| format!("{t},1,1\n"))
            ),
        )
        .file(
            "bus_loads.csv",
            &format!(
                "time,bus,load_mw\n{}",
                rows(&|i, t| format!("{t},b2,{}\n", 10 * (i + 1)))
            ),
        )
        .file(
            "zone_requirements.csv",
            &format!(
                "time,zone,reserve_mw\n{}",
                rows(&|i, t| format!("{t},north,{i}\n"))
            ),
        );
    let s = case.load().unwrap();
    let chunks = ancillary::scenario::slice::Chunks::by_days(&s, 1);
    assert_eq!(chunks.len(), 2);
    let day2 = chunks.scenario(&s, 1);
    let n = day2.network.unwrap();
    // Day 2's intervals are the horizon's 2 and 3: loads 30 and 40, reserve 2 and 3.
    let loads = n.loads.as_ref().unwrap();
    assert_eq!((loads.get(1, 0), loads.get(1, 1)), (d("30"), d("40")));
    assert!(loads.of_interval(2).is_empty());
    assert_eq!(n.zone_requirements.get(1, 0).reserve_mw, d("3"));
    assert_eq!(n.zone_requirements.line(0, 0), Some(4));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A connected network of 2–12 buses: a spanning tree (bus k on one of the buses before
    /// it) plus up to 8 chords (parallel lines included), reactances from 1e-4 to 10 p.u.;
    /// and an injection per bus.
    /// Buses, lines (from, to, reactance), injections and the reference bus.
    type Grid = (usize, Vec<(usize, usize, f64)>, Vec<f64>, usize);

    fn grid() -> impl Strategy<Value = Grid> {
        (2usize..12)
            .prop_flat_map(|n| {
                let x = prop_oneof![Just(1e-4), Just(10.0), 0.001f64..2.0];
                let tree =
                    proptest::collection::vec((any::<prop::sample::Index>(), x.clone()), n - 1);
                let chords = proptest::collection::vec((0..n, 1..n, x), 0..8);
                let injection = proptest::collection::vec(-500.0f64..500.0, n);
                (Just(n), tree, chords, injection, 0..n)
            })
            .prop_map(|(n, tree, chords, injection, reference)| {
                let mut lines: Vec<(usize, usize, f64)> = tree
                    .iter()
                    .enumerate()
                    .map(|(k, (i, x))| (i.index(k + 1), k + 1, *x))
                    .collect();
                lines.extend(chords.iter().map(|&(a, step, x)| (a, (a + step) % n, x)));
                (n, lines, injection, reference)
            })
    }

    fn csv((n, lines): (usize, &[(usize, usize, f64)]), reference: usize) -> Case {
        let buses: String = (0..n).map(|b| format!("n{b},z\n")).collect();
        let rows: String = lines
            .iter()
            .enumerate()
            .map(|(l, (f, t, x))| format!("l{l},n{f},n{t},{x},\n"))
            .collect();
        Case::new(&format!("[network]\nreference_bus = \"n{reference}\"\n"))
            .file(
                "units.csv",
                "unit,owner,kind,capacity_mw,min_output_mw,bus\nG,A,coal,600,0,n0\n",
            )
            .file(
                "requirements.csv",
                &format!("time\n{T0}\n{T1}\n{T2}\n{T3}\n"),
            )
            .file("buses.csv", &format!("bus,zone\n{buses}"))
            .file(
                "lines.csv",
                &format!("line,from_bus,to_bus,reactance_pu,limit_mw\n{rows}"),
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Through the files: for a balanced injection, what leaves each bus over its lines
        /// (Aᵀ f) is its injection, and the flows are those with bus 0 as the reference.
        #[test]
        fn kirchhoff_holds_whatever_the_reference((n, lines, injection, reference) in grid()) {
            let mean = injection.iter().sum::<f64>() / n as f64;
            let p: ndarray::Array1<f64> = injection.iter().map(|v| v - mean).collect();
            let net = network(&csv((n, &lines), reference));
            prop_assert_eq!(net.reference, reference);
            let f = Ptdf::new(&net).unwrap().flows(p.view());
            let f0 = Ptdf::from_branches(n, 0, &lines).unwrap().flows(p.view());
            let mut out = vec![0.0; n];
            for (l, &(a, b, _)) in lines.iter().enumerate() {
                out[a] += f[l];
                out[b] -= f[l];
                // Flows reach 1e3 MW over reactances 1e5 apart: agree to 1e-6 of that.
                prop_assert!((f[l] - f0[l]).abs() < 1e-6 * 1e3, "{} vs {}", f[l], f0[l]);
            }
            for b in 0..n {
                prop_assert!((out[b] - p[b]).abs() < 1e-6, "bus {b}: {} vs {}", out[b], p[b]);
            }
        }

        /// Wild cells in any network file: an error or a network, never a panic; a network
        /// that loads gives a PTDF.
        #[test]
        fn wild_network_files_never_panic(
            which in 0usize..5,
            rows in proptest::collection::vec(proptest::collection::vec(prop_oneof![
                Just(String::new()), Just("b1".to_string()), Just("b2".to_string()), Just("b3".to_string()),
                Just("north".to_string()), Just(T0.to_string()), Just("0".to_string()),
                Just("-1".to_string()), Just("1e-28".to_string()), Just("1000000000".to_string()),
                Just("NaN".to_string()), (0.0f64..10.0).prop_map(|v| format!("{v:.4}")), "[ -~]{0,6}",
            ], 5), 0..6),
        ) {
            let (file, header) = [
                ("buses.csv", "bus,zone,x,y,z"),
                ("lines.csv", "line,from_bus,to_bus,reactance_pu,limit_mw"),
                ("bus_loads.csv", "time,bus,load_mw,x,y"),
                ("zone_requirements.csv", "time,zone,fr_mw,reserve_mw,x"),
                ("units.csv", "unit,owner,kind,capacity_mw,bus"),
            ][which];
            let mut text = format!("{header}\n");
            for r in rows {
                text += &r.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
                text.push('\n');
            }
            if let Ok(s) = base().file(file, &text).load()
                && let Some(n) = s.network
            {
                let p = Ptdf::new(&n).unwrap();
                let _ = p.flows(ndarray::Array1::zeros(n.buses.len()).view());
            }
        }
    }

    /// One mutation of the network files (file 0: buses.csv, 1: lines.csv).
    #[derive(Debug, Clone)]
    enum Edit {
        /// Column 0 (reactance_pu) or 1 (limit_mw) of a line row, set to a number.
        Number(usize, usize, String),
        /// Any cell set to any text.
        Cell(usize, usize, usize, String),
        Repeat(usize, usize),
        Drop(usize, usize),
        /// Bytes spliced in at a position.
        Splice(usize, usize, Vec<u8>),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        // m × 10^e from 1e-30 to 9e12, and the decimal type's edges.
        let number = prop_oneof![
            4 => (1u8..10, -30i32..13).prop_map(|(m, e)| format!("{m}e{e}")),
            1 => prop_oneof![
                Just("79228162514264337593543950335".to_string()),
                Just("0.0000000000000000000000000001".to_string()),
                Just("-0".to_string()),
                Just("0".to_string()),
            ],
        ];
        let text = prop_oneof![
            Just(String::new()),
            Just("b1".to_string()),
            Just("b3".to_string()),
            Just("L12".to_string()),
            Just("inf".to_string()),
            Just("NaN".to_string()),
            "[ -~]{0,8}",
        ];
        prop_oneof![
            6 => (0usize..2, 0usize..8, number).prop_map(|(c, r, v)| Edit::Number(c, r, v)),
            2 => (0usize..2, 0usize..8, 0usize..5, text).prop_map(|(f, r, c, v)| Edit::Cell(f, r, c, v)),
            1 => (0usize..2, 0usize..8).prop_map(|(f, r)| Edit::Repeat(f, r)),
            1 => (0usize..2, 0usize..8).prop_map(|(f, r)| Edit::Drop(f, r)),
            1 => (0usize..2, 0usize..200, proptest::collection::vec(any::<u8>(), 0..8))
                .prop_map(|(f, p, b)| Edit::Splice(f, p, b)),
        ]
    }

    proptest! {
        // Cheap cases (a load, no run): 1,024 take about two seconds in debug, and find the
        // reactance overflow above in most runs (checked by undoing its fix).
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// The valid network files mutated (issue 25's fuzz target): numeric cells set to
        /// values from 1e-30 to 1e12 (each may be accepted alone, like reactances of 1e-28
        /// and 1e9, which together once overflowed the ratio check), any cell to wild text,
        /// rows repeated or dropped, bytes spliced in anywhere. Loading gives an error or a
        /// network, never a panic; a network that loads gives a PTDF or an error.
        #[test]
        fn mutated_network_files_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
            let mut texts = [BUSES.to_string(), LINES.to_string()];
            for e in edits {
                let (file, row) = match &e {
                    Edit::Number(_, row, _) => (1, *row),
                    Edit::Cell(file, row, _, _) | Edit::Repeat(file, row) | Edit::Drop(file, row) => (*file, *row),
                    Edit::Splice(file, _, _) => (*file, 0),
                };
                let text = &mut texts[file];
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                // A row below the header (a damaged header is the splice's job).
                let at = 1 + row % (lines.len() - 1).max(1);
                let set = |lines: &mut Vec<String>, col: usize, value: &str| {
                    if at < lines.len() {
                        let mut cells: Vec<String> = lines[at].split(',').map(String::from).collect();
                        let c = col % cells.len();
                        cells[c] = value.to_string();
                        lines[at] = cells.join(",");
                    }
                };
                match e {
                    // reactance_pu or limit_mw of a line.
                    Edit::Number(col, _, v) => set(&mut lines, 3 + col, &v),
                    Edit::Cell(_, _, col, v) => set(&mut lines, col, &v),
                    Edit::Repeat(..) if at < lines.len() => {
                        let copy = lines[at].clone();
                        lines.push(copy);
                    }
                    Edit::Drop(..) if at < lines.len() && lines.len() > 1 => {
                        lines.remove(at);
                    }
                    Edit::Splice(_, pos, bytes) => {
                        let joined = lines.join("\n");
                        let cut = pos % (joined.len() + 1);
                        let mut b = joined.as_bytes()[..cut].to_vec();
                        b.extend_from_slice(&bytes);
                        b.extend_from_slice(&joined.as_bytes()[cut..]);
                        lines = vec![String::from_utf8_lossy(&b).into_owned()];
                    }
                    _ => {}
                }
                *text = lines.join("\n") + "\n";
            }
            let [buses, lines] = texts;
            if let Ok(s) = base().file("buses.csv", &buses).file("lines.csv", &lines).load()
                && let Some(n) = s.network
                && let Ok(p) = Ptdf::new(&n)
            {
                let _ = p.flows(ndarray::Array1::zeros(n.buses.len()).view());
            }
        }
    }
}

/// The dense PTDF's memory is checked before anything is allocated (issue 25: a 100,000-bus
/// scenario used to die by the allocator's abort). The triangle needs 8 × (3 × 3² + 3 × 3) =
/// 288 bytes: refused under a 287-byte limit, naming both figures' units and the way out;
/// built under 288.
#[test]
fn a_network_too_large_for_memory_is_refused_before_allocating() {
    let n = network(&base());
    let e = Ptdf::new_within(&n, Some(287)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
    assert_eq!(e.file, "buses.csv");
    assert!(e.rule.contains("3 buses and 3 lines"), "{e}");
    assert!(e.rule.contains("0.0 GiB"), "{e}");
    assert!(e.rule.contains("reduced network"), "{e}");
    assert!(Ptdf::new_within(&n, Some(288)).is_ok());
}

/// The same check through the binary, on a network no machine we run on can hold densely: a
/// chain of 150,000 buses needs 8 × (3 × 150,000² + 149,999 × 150,000) ≈ 8 × (6.75e10 +
/// 2.25e10) = 7.2e11 bytes, about 670 GiB. `run` exits 2 with the message (it used to abort, leaving staging behind), writes
/// no OUT_DIR and leaves nothing beside it.
#[test]
fn a_run_on_a_network_too_large_for_memory_exits_with_a_message() {
    let n = 150_000;
    let mut buses = String::from("bus,zone\n");
    let mut lines = String::from("line,from_bus,to_bus,reactance_pu,limit_mw\n");
    for b in 0..n {
        buses.push_str(&format!("b{b},z\n"));
        if b > 0 {
            let limit = if b == 1 { "100" } else { "" };
            lines.push_str(&format!("L{b},b{},b{b},0.1,{limit}\n", b - 1));
        }
    }
    let spot = toml("").replace("spot_market = \"none\"", "spot_market = \"continuous\"");
    let loads: String = [T0, T1, T2, T3]
        .iter()
        .map(|t| format!("{t},b{},150\n", n - 1))
        .collect();
    let case = Case::new("")
        .file("scenario.toml", &spot)
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw,bus\nG1,A,coal,200,0,b0\nG2,B,gas,200,0,b1\n",
        )
        .file("buses.csv", &buses)
        .file("lines.csv", &lines)
        .file("bus_loads.csv", &format!("time,bus,load_mw\n{loads}"))
        .file(
            "requirements.csv",
            &format!("time,fr_mw,reserve_mw\n{T0},0,0\n{T1},0,0\n{T2},0,0\n{T3},0,0\n"),
        )
        .file(
            "energy_offers.csv",
            &format!(
                "unit,start,end,segment,mw,price_yuan_per_mwh\nG1,{T0},{END},1,200,10\nG2,{T0},{END},1,200,30\n"
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("big");
    std::fs::create_dir(&scenario).unwrap();
    for (name, bytes) in &case.files {
        std::fs::write(scenario.join(name), bytes).unwrap();
    }
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ancillary"))
        .args(["run", "--quiet"])
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("150000 buses and 149999 lines"), "{stderr}");
    assert!(stderr.contains("GiB"), "{stderr}");
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "big" && !name.starts_with(".out.ancillary-lock"))
        .collect();
    assert!(left.is_empty(), "left beside OUT_DIR: {left:?}");
}
