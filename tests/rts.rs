//! RTS-GMLC import: deterministic, clears jointly, and its prices and cost stand up to a hand
//! check against the plain merit order of the energy offers.

use std::path::Path;

use ancillary::product::Product;
use rust_decimal::Decimal;

#[test]
fn import_reproduces_the_shipped_scenario() {
    let files = ancillary::import::rts_gmlc(
        Path::new("data/rts-gmlc"),
        "2020-07-10".parse().unwrap(),
        1,
        ancillary::import::Grid::CopperPlate,
    )
    .unwrap();
    for (name, text) in &files {
        let shipped =
            std::fs::read_to_string(Path::new("scenarios/rts-gmlc-2020-07-10").join(name)).unwrap();
        assert_eq!(&shipped, text, "{name}");
    }
    // 158 generators less 3 synchronous condensers.
    assert_eq!(files["units.csv"].lines().count() - 1, 155);
    // NREL's data-use notice travels with the data, unchanged.
    assert_eq!(
        files["LICENSE.md"],
        std::fs::read_to_string("data/rts-gmlc/LICENSE.md").unwrap()
    );
    // No metered mileage is invented: the scenario states its assumption instead, and leaves
    // the LP solver to the build.
    assert!(!files.contains_key("fr_mileage.csv"));
    let toml = &files["scenario.toml"];
    assert!(toml.contains("\n[fr]\n"), "{toml}");
    assert!(toml.contains("\nexpected_mileage_per_mw = 3.0\n"), "{toml}");
    assert!(!toml.contains("solver"), "{toml}");
}

/// The FR mileage settled for a few units, checked from `awards.csv` and `settlement.csv` as
/// written, by plain string splitting: 3 × each hour's FR award, paid at that hour's price × K.
#[test]
fn imported_day_settles_mileage_as_three_times_the_award() {
    let s = ancillary::scenario::load(Path::new("scenarios/rts-gmlc-2020-07-10")).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    let out = ancillary::output::render(&s, &r);
    let text = |name: &str| String::from_utf8(out[name].clone()).unwrap();
    let dec = |c: &str| c.parse::<Decimal>().unwrap();
    let (awards, settlement) = (text("awards.csv"), text("settlement.csv"));
    assert!(awards.starts_with(
        "time,product,unit,offered_mw,cleared_mw,offer_price,ranking_price,band,performance_factor,paid_price\n"
    ));
    let mut checked = 0;
    for unit in ["102_STEAM_3", "107_CC_1", "115_STEAM_3", "321_CC_1"] {
        let (mut mileage, mut fee) = (Decimal::ZERO, Decimal::ZERO);
        for row in awards.lines().map(|l| l.split(',').collect::<Vec<_>>()) {
            if row[1] == "fr" && row[2] == unit {
                let (cleared, k, price) = (dec(row[4]), dec(row[8]), dec(row[9]));
                mileage += Decimal::from(3) * cleared;
                fee += price * Decimal::from(3) * cleared * k;
            }
        }
        assert!(mileage > Decimal::ZERO, "{unit} has an FR award");
        let row: Vec<&str> = settlement
            .lines()
            .find(|l| l.starts_with(&format!("2020-07-10,{unit},fr,compensation,")))
            .unwrap_or_else(|| panic!("{unit}: no FR compensation"))
            .split(',')
            .collect();
        assert_eq!(dec(row[4]), mileage, "{unit}");
        assert_eq!(row[5], "MW mileage");
        assert_eq!(
            dec(row[6]),
            fee.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            "{unit}"
        );
        assert_eq!(row[7], "notice-196+mileage-from-awards", "{unit}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    // By hand from awards.csv: 102_STEAM_3 cleared 7.6 MW in 7 hours, K 1, at 11.6162 (01:00,
    // 02:00, 04:00), 11.8845 (05:00, 06:00), 11.8862 (07:00) and 11.5862 (08:00): mileage
    // 3 × 7.6 × 7 = 159.6; fee 22.8 × (3 × 11.6162 + 2 × 11.8845 + 11.8862 + 11.5862)
    // = 22.8 × 82.09 = 1871.652 → 1871.65.
    assert!(
        settlement.contains("2020-07-10,102_STEAM_3,fr,compensation,159.6,MW mileage,1871.65,"),
        "{settlement}"
    );
}

/// What the importer refuses, by file and rule: a copy without NREL's notice, an hour missing
/// from a series, a value that is not a number.
#[test]
fn import_refuses_incomplete_data() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = |to: &Path| {
        for entry in ["SourceData", "timeseries_data_files"] {
            copy_dir(&Path::new("data/rts-gmlc").join(entry), &to.join(entry));
        }
        std::fs::copy("data/rts-gmlc/LICENSE.md", to.join("LICENSE.md")).unwrap();
    };
    let day = "2020-07-10".parse().unwrap();
    let import = |dir: &Path| {
        ancillary::import::rts_gmlc(dir, day, 1, ancillary::import::Grid::Network).unwrap_err()
    };

    let a = tmp.path().join("no-notice");
    copy(&a);
    std::fs::remove_file(a.join("LICENSE.md")).unwrap();
    let e = import(&a);
    assert!(e.file.ends_with("LICENSE.md"), "{e}");
    assert!(e.rule.contains("must travel with every copy"), "{e}");

    let wind = "timeseries_data_files/WIND/DAY_AHEAD_wind.csv";
    let b = tmp.path().join("missing-hour");
    copy(&b);
    let text = std::fs::read_to_string(b.join(wind)).unwrap();
    let hour5 = text
        .lines()
        .find(|l| l.starts_with("2020,7,10,5,"))
        .unwrap();
    std::fs::write(b.join(wind), text.replace(&format!("{hour5}\n"), "")).unwrap();
    let e = import(&b);
    assert_eq!(e.file, wind);
    assert!(e.rule.contains("no row for 2020-07-10 hour 5"), "{e}");

    let c = tmp.path().join("not-a-number");
    copy(&c);
    let text = std::fs::read_to_string(c.join(wind)).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("2020,7,10,5,"))
        .unwrap() as u64
        + 1;
    let hour5 = text.lines().nth(line as usize - 1).unwrap();
    // Header: Year, Month, Day, Period, 309_WIND_1, …: the first unit's cell becomes "n/a".
    let cells: Vec<&str> = hour5.split(',').collect();
    let broken = format!("{},n/a,{}", cells[..4].join(","), cells[5..].join(","));
    std::fs::write(c.join(wind), text.replace(hour5, &broken)).unwrap();
    let e = import(&c);
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        (wind, Some(line), Some("309_WIND_1")),
        "{e}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn imported_day_clears_jointly_with_plausible_prices() {
    let s = ancillary::scenario::load(Path::new("scenarios/rts-gmlc-2020-07-10")).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    assert!(r.engine.starts_with("lp"), "{}", r.engine);
    let energy: Vec<_> = r
        .clearing
        .iter()
        .filter(|c| c.product == Product::Energy)
        .collect();
    assert_eq!(energy.len(), 24);
    let mut lp_cost = Decimal::ZERO;
    let mut merit_cost = Decimal::ZERO;
    for row in &energy {
        assert!(row.shortfall_mw.is_zero());
        assert_eq!(row.cleared_mw, row.requirement_mw);
        // Hand check: stack the hour's energy offers by price and fill the load.
        let mut stack: Vec<(Decimal, Decimal)> = s
            .energy_offers
            .iter()
            .filter(|o| o.intervals.contains(&row.interval))
            .map(|o| (o.price, o.mw))
            .collect();
        stack.sort();
        let (mut left, mut marginal) = (row.requirement_mw, Decimal::ZERO);
        for (p, mw) in stack {
            if left <= Decimal::ZERO {
                break;
            }
            let take = mw.min(left);
            merit_cost += p * take;
            left -= take;
            marginal = p;
        }
        // Coupling moves the price off the stack's marginal offer: headroom for FR and reserve
        // raises it, ramps (a MW more now lets a slow unit be higher later) can lower it. In
        // RTS-GMLC it stays within 20 yuan of the stack, in a plausible range for a summer day
        // (about $25–31/MWh).
        assert!(
            (row.price - marginal).abs() <= Decimal::from(20),
            "{}: {} vs {marginal}",
            row.interval,
            row.price
        );
        assert!(
            row.price > Decimal::from(100) && row.price < Decimal::from(400),
            "{}",
            row.price
        );
    }
    for a in r.awards.iter().filter(|a| a.product == Product::Energy) {
        lp_cost += a.offer_price * a.cleared_mw;
    }
    // The joint dispatch's energy cost is within 2 % of the uncoupled merit order's (coupling
    // raises it; the battery's arbitrage, free in the offers, lowers it).
    assert!(
        (lp_cost - merit_cost).abs() <= merit_cost * Decimal::new(2, 2),
        "{lp_cost} vs {merit_cost}"
    );
    // FR and reserve clear in every hour, priced within their caps.
    for p in [Product::Fr, Product::Reserve] {
        assert_eq!(
            r.clearing
                .iter()
                .filter(|c| c.product == p && c.shortfall_mw.is_zero())
                .count(),
            24,
            "{p:?}"
        );
    }
}

#[test]
fn generated_scenarios_are_deterministic_and_run() {
    use ancillary::generate::{Size, scenario};
    for continuous in [false, true] {
        let size = Size {
            units: 12,
            days: 2,
            interval_minutes: 60,
            seed: 7,
            continuous,
        };
        let a = scenario(size).unwrap();
        assert_eq!(a, scenario(size).unwrap(), "same seed, same files");
        assert_ne!(
            a,
            scenario(Size { seed: 8, ..size }).unwrap(),
            "another seed, other files"
        );
        let bytes = a
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect();
        let s = ancillary::scenario::load_files(&bytes).unwrap();
        assert_eq!((s.fleet.units.len(), s.horizon.intervals), (12, 48));
        let r = ancillary::run::run(&s).unwrap();
        assert!(r.clearing.iter().any(|c| c.product == Product::Fr));
        assert_eq!(
            r.clearing.iter().any(|c| c.product == Product::Energy),
            continuous
        );
    }
}

/// The imported requirements, checked against the raw RTS-GMLC files read here by plain string
/// splitting (not through the importer): hours 1, 12 and 24 of 2020-07-10.
#[test]
fn imported_requirements_equal_the_source_files() {
    let raw = |file: &str| -> Vec<Vec<String>> {
        std::fs::read_to_string(Path::new("data/rts-gmlc/timeseries_data_files").join(file))
            .unwrap()
            .lines()
            .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
            .collect()
    };
    let num = |s: &str| s.parse::<f64>().unwrap();
    // Long files: Year, Month, Day, Period, value columns…
    let long = |file: &str, hour: usize, column: usize| -> f64 {
        let rows = raw(file);
        let row = rows
            .iter()
            .find(|r| r[..4] == ["2020", "7", "10", &hour.to_string()])
            .unwrap_or_else(|| panic!("{file}: no hour {hour}"));
        num(&row[column])
    };
    // Wide files: Year, Month, Day, 1 … 24.
    let wide = |file: &str, hour: usize| -> f64 {
        let rows = raw(file);
        let row = rows.iter().find(|r| r[..3] == ["2020", "7", "10"]).unwrap();
        num(&row[3 + hour - 1])
    };
    let requirements =
        std::fs::read_to_string("scenarios/rts-gmlc-2020-07-10/requirements.csv").unwrap();
    let lines: Vec<&str> = requirements.lines().collect();
    assert_eq!(lines[0], "time,load_mw,fr_mw,reserve_mw");
    for hour in [1, 12, 24] {
        let cells: Vec<f64> = lines[hour].split(',').skip(1).map(num).collect();
        let load: f64 = (4..=6)
            .map(|c| long("Load/DAY_AHEAD_regional_Load.csv", hour, c))
            .sum();
        let reg_up = wide("Reserves/DAY_AHEAD_regional_Reg_Up.csv", hour);
        let spin: f64 = (1..=3)
            .map(|r| {
                long(
                    &format!("Reserves/DAY_AHEAD_regional_Spin_Up_R{r}.csv"),
                    hour,
                    4,
                )
            })
            .sum();
        // The importer rounds to 0.01 MW.
        for (what, got, want) in [
            ("load", cells[0], load),
            ("fr", cells[1], reg_up),
            ("reserve", cells[2], spin),
        ] {
            assert!(
                (got - want).abs() <= 0.005 + 1e-9,
                "hour {hour} {what}: {got} vs the source's {want}"
            );
        }
        assert!(
            spin > 50.0,
            "hour {hour}: the spinning requirement is real, {spin}"
        );
    }
    // Hour 1 by hand: Spin_Up R1 44.009 + R2 44.547 + R3 33.838 = 122.394 → 122.39 MW.
    assert!(lines[1].ends_with(",122.39"), "{}", lines[1]);
}

/// The network the import writes (the default), checked against RTS-GMLC's `bus.csv`,
/// `branch.csv`, `gen.csv` and the regional series read here by plain string splitting.
#[test]
fn imported_network_equals_the_source_files() {
    let files = ancillary::import::rts_gmlc(
        Path::new("data/rts-gmlc"),
        "2020-07-10".parse().unwrap(),
        1,
        ancillary::import::Grid::Network,
    )
    .unwrap();
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
            .collect()
    };
    let source =
        |file: &str| rows(&std::fs::read_to_string(Path::new("data/rts-gmlc").join(file)).unwrap());
    let num = |s: &str| s.parse::<f64>().unwrap();

    // Buses: all 73, in order, zone R + the bus's Area (column 11 of bus.csv).
    let bus_src = source("SourceData/bus.csv");
    let buses = rows(&files["buses.csv"]);
    assert_eq!(buses[0], ["bus", "zone"]);
    assert_eq!(buses.len() - 1, 73);
    for (ours, theirs) in buses[1..].iter().zip(&bus_src[1..]) {
        assert_eq!(ours[0], theirs[0]);
        assert_eq!(ours[1], format!("R{}", theirs[10]));
    }

    // Lines: the 120 AC branches, UID, from, to, X (column 5) and Cont Rating (column 7).
    let branch_src = source("SourceData/branch.csv");
    let lines = rows(&files["lines.csv"]);
    assert_eq!(
        lines[0],
        ["line", "from_bus", "to_bus", "reactance_pu", "limit_mw"]
    );
    assert_eq!(lines.len() - 1, 120);
    for (ours, theirs) in lines[1..].iter().zip(&branch_src[1..]) {
        let want: Vec<&String> = [0, 1, 2, 4, 6].iter().map(|&c| &theirs[c]).collect();
        assert_eq!(ours.iter().collect::<Vec<_>>(), want);
    }

    // Units at gen.csv's Bus ID (column 2), e.g. 101_CT_1 at bus 101, 321_CC_1 at 321.
    let gen_src = source("SourceData/gen.csv");
    let units = rows(&files["units.csv"]);
    let bus_col = units[0].iter().position(|c| c == "bus").unwrap();
    for unit in &units[1..] {
        let g = gen_src.iter().find(|g| g[0] == unit[0]).unwrap();
        assert_eq!(unit[bus_col], g[1], "{}", unit[0]);
    }
    assert!(
        units
            .iter()
            .any(|u| u[0] == "321_CC_1" && u[bus_col] == "321")
    );

    // Bus loads at hour 1: each area's day-ahead load × the bus's share of the area's static
    // MW Load. Area 1's static load is 2850 MW (all 24 buses of bus.csv's column 5 summed) and
    // its load at hour 1 1466.953241 MW, so bus 101 (108 MW static) carries
    // 1466.953241 × 108 / 2850 = 55.5898… → 55.59 MW.
    let load_src = source("timeseries_data_files/Load/DAY_AHEAD_regional_Load.csv");
    let hour1 = load_src
        .iter()
        .find(|r| r[..4] == ["2020", "7", "10", "1"])
        .unwrap();
    let bus_loads = rows(&files["bus_loads.csv"]);
    let at = |hour: &str, bus: &str| -> f64 {
        num(&bus_loads
            .iter()
            .find(|r| r[0] == hour && r[1] == bus)
            .unwrap_or_else(|| panic!("no load at bus {bus}, {hour}"))[2])
    };
    assert_eq!(at("2020-07-10T00:00", "101"), 55.59);
    for area in 1..=3 {
        let static_load: Vec<(&str, f64)> = bus_src[1..]
            .iter()
            .filter(|b| b[10] == area.to_string() && num(&b[4]) > 0.0)
            .map(|b| (b[0].as_str(), num(&b[4])))
            .collect();
        let whole: f64 = static_load.iter().map(|(_, mw)| mw).sum();
        let area_load = num(&hour1[3 + area]);
        let mut sum = 0.0;
        for (bus, mw) in &static_load {
            let got = at("2020-07-10T00:00", bus);
            // Cumulative rounding moves a bus's part by at most 0.01 MW.
            assert!(
                (got - area_load * mw / whole).abs() <= 0.01 + 1e-9,
                "bus {bus}: {got} vs {}",
                area_load * mw / whole
            );
            sum += got;
        }
        // The parts add up to the area's load rounded to 0.01 MW, exactly.
        assert!(
            (sum - (area_load * 100.0).round() / 100.0).abs() < 1e-6,
            "area {area}: {sum} vs {area_load}"
        );
    }
    // The system load is the bus loads' sum: 1466.95 + 1484.89 + 1127.92 = 4079.76 MW.
    let requirements = rows(&files["requirements.csv"]);
    assert_eq!(
        requirements[1],
        ["2020-07-10T00:00", "4079.76", "68", "0"],
        "reserve is asked by zone only"
    );

    // Zonal reserve: zone Rk's minimum in each hour is Spin_Up_Rk of that hour (long format:
    // Year,Month,Day,Period,value), read here from the raw files and rounded to 0.01 MW; e.g.
    // zone R2 at hour 12 is Spin_Up_R2's 64.196 MW → 64.2. No FR by zone (Reg_Up is
    // system-wide), and 0 reserve system-wide (above).
    let zone_req = rows(&files["zone_requirements.csv"]);
    assert_eq!(zone_req[0], ["time", "zone", "fr_mw", "reserve_mw"]);
    assert!(zone_req.contains(&vec![
        "2020-07-10T11:00".to_string(),
        "R2".into(),
        String::new(),
        "64.2".into()
    ]));
    assert_eq!(zone_req.len() - 1, 24 * 3);
    for r in 1..=3 {
        let spin = source(&format!(
            "timeseries_data_files/Reserves/DAY_AHEAD_regional_Spin_Up_R{r}.csv"
        ));
        for hour in 1..=24 {
            let raw = spin
                .iter()
                .find(|row| row[..4] == ["2020", "7", "10", hour.to_string().as_str()])
                .unwrap_or_else(|| panic!("Spin_Up_R{r} has no hour {hour}"));
            let time = format!("2020-07-10T{:02}:00", hour - 1);
            let ours = zone_req
                .iter()
                .find(|z| z[0] == time && z[1] == format!("R{r}"))
                .unwrap_or_else(|| panic!("no zone R{r} row at {time}"));
            assert_eq!(ours[2], "", "zone R{r} {time}: no FR by zone");
            assert!(
                (num(&ours[3]) - (num(&raw[4]) * 100.0).round() / 100.0).abs() < 1e-9,
                "zone R{r} {time}: {} vs Spin_Up {}",
                ours[3],
                raw[4]
            );
        }
    }

    // And the scenario loads: every bus connected, every unit and load at a known bus.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rts");
    ancillary::import::write(&dir, &files).unwrap();
    let s = ancillary::scenario::load(&dir).unwrap();
    let network = s.network.as_ref().unwrap();
    assert_eq!((network.buses.len(), network.lines.len()), (73, 120));
    assert_eq!(network.zones, ["R1", "R2", "R3"]);
}

/// A branch with a reactance that is not a number is an error at its line and column, not a
/// line with a made-up reactance.
#[test]
fn import_refuses_a_branch_without_a_reactance() {
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path();
    for entry in ["SourceData", "timeseries_data_files"] {
        copy_dir(&Path::new("data/rts-gmlc").join(entry), &to.join(entry));
    }
    std::fs::copy("data/rts-gmlc/LICENSE.md", to.join("LICENSE.md")).unwrap();
    let branch = to.join("SourceData/branch.csv");
    let text = std::fs::read_to_string(&branch).unwrap();
    // Line 2 is A1,101,102,0.003,0.014,…: its X becomes empty.
    std::fs::write(
        &branch,
        text.replacen("A1,101,102,0.003,0.014,", "A1,101,102,0.003,,", 1),
    )
    .unwrap();
    let e = ancillary::import::rts_gmlc(
        to,
        "2020-07-10".parse().unwrap(),
        1,
        ancillary::import::Grid::Network,
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("SourceData/branch.csv", Some(2), Some("X")),
        "{e}"
    );
    // The copper plate does not read branch.csv.
    assert!(
        ancillary::import::rts_gmlc(
            to,
            "2020-07-10".parse().unwrap(),
            1,
            ancillary::import::Grid::CopperPlate,
        )
        .is_ok()
    );
}
