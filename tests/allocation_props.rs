//! Properties of settlement over random valid scenarios (proptest): money is conserved to the
//! fen for every day and product, users never pay in a non-spot region, market generators pay
//! nothing for FR and reserve in a continuous-spot one, and monthly = Σ daily.

use std::collections::BTreeMap;

use ancillary::product::Product;
use ancillary::scenario::Role;
use ancillary::settlement::{Item, statement};
use proptest::prelude::*;
use rust_decimal::Decimal;

const TIMES: [&str; 8] = [
    "2024-03-31T00:00",
    "2024-03-31T06:00",
    "2024-03-31T12:00",
    "2024-03-31T18:00",
    "2024-04-01T00:00",
    "2024-04-01T06:00",
    "2024-04-01T12:00",
    "2024-04-01T18:00",
];
const END: &str = "2024-04-02T00:00";
const KINDS: [&str; 4] = ["coal", "gas", "storage", "hydro"];

#[derive(Debug, Clone)]
struct Gen {
    spot: bool,
    user_share: f64,
    multiple: f64,
    units: Vec<(usize, u32, u32, u32, u32)>, // kind, fr mw, fr price, reserve mw, reserve price
    fr_req: Vec<u32>,
    reserve_req: Vec<u32>,
    mileage: Vec<u32>,
    available: Vec<u32>,
    energy: Vec<[u32; 3]>, // per party: day-1 and day-2 energy, role
}

fn scenarios() -> impl Strategy<Value = Gen> {
    (
        any::<bool>(),
        0.0f64..=1.0,
        0.0f64..3.0,
        proptest::collection::vec((0usize..4, 0u32..80, 1u32..16, 0u32..80, 1u32..200), 1..6),
        proptest::collection::vec(0u32..150, 8),
        proptest::collection::vec(0u32..150, 8),
        proptest::collection::vec(0u32..500, 8),
        proptest::collection::vec(0u32..80, 8),
        proptest::collection::vec([1u32..1000, 1u32..1000, 0u32..3], 3..8),
    )
        .prop_map(
            |(
                spot,
                user_share,
                multiple,
                units,
                fr_req,
                reserve_req,
                mileage,
                available,
                energy,
            )| Gen {
                spot,
                user_share: (user_share * 100.0).round() / 100.0,
                multiple: (multiple * 10.0).round() / 10.0,
                units,
                fr_req,
                reserve_req,
                mileage,
                available,
                energy,
            },
        )
}

fn files(g: &Gen) -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    let mut toml = format!(
        "name = \"p\"\nprovince = \"Jiangsu\"\nspot_market = \"{}\"\ninterval_minutes = 360\nstart = \"{}\"\nintervals = 8\n[fr]\nbenchmark = {{ rate_pct_per_min = 2.0, precision_pct = 1.0, response_s = 30 }}\n[penalty]\nreserve_unavailable_multiple = {}\n",
        if g.spot { "continuous" } else { "none" },
        TIMES[0],
        g.multiple
    );
    toml += &format!("[allocation]\nuser_share = {}\n", g.user_share);
    f.insert("scenario.toml".into(), toml.into_bytes());
    let mut units = String::from(
        "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s\n",
    );
    let mut perf = String::from("unit,rate_pct_per_min,precision_pct,response_s\n");
    let mut fr = String::from("unit,start,end,capacity_mw,price_yuan_per_mw\n");
    let mut rs = String::from("unit,start,end,capacity_mw,price_yuan_per_mwh\n");
    let mut mileage = String::from("time,unit,mileage_mw\n");
    let mut actuals = String::from("time,unit,reserve_available_mw\n");
    for (k, &(kind, fr_mw, fr_p, r_mw, r_p)) in g.units.iter().enumerate() {
        units += &format!("U{k},O{k},{},200,0,2,1,30\n", KINDS[kind]);
        perf += &format!("U{k},{},1,{}\n", 1 + k, 20 + 5 * k);
        fr += &format!("U{k},{},{END},{fr_mw},{fr_p}\n", TIMES[0]);
        rs += &format!("U{k},{},{END},{r_mw},{r_p}\n", TIMES[0]);
        for (i, t) in TIMES.iter().enumerate() {
            mileage += &format!("{t},U{k},{}\n", g.mileage[i] + k as u32);
            if (i + k) % 3 == 0 {
                actuals += &format!("{t},U{k},{}\n", g.available[i]);
            }
        }
    }
    let mut req = String::from("time,fr_mw,reserve_mw\n");
    for (i, t) in TIMES.iter().enumerate() {
        req += &format!("{t},{},{}\n", g.fr_req[i], g.reserve_req[i]);
    }
    // Metering: unit parties (market generators) and extra parties of each role; make sure
    // each role has energy every day so that no day lacks payers.
    let mut met = String::from("day,party,role,energy_mwh\n");
    for (day, date) in ["2024-03-31", "2024-04-01"].iter().enumerate() {
        for k in 0..g.units.len() {
            met += &format!("{date},U{k},generator,{}\n", 100 + k);
        }
        met += &format!("{date},Users,user,500\n{date},NonMarket,non_market_generator,300\n");
        for (p, e) in g.energy.iter().enumerate() {
            let role = ["user", "generator", "non_market_generator"][e[2] as usize];
            met += &format!("{date},P{p},{role},{}\n", e[day]);
        }
    }
    for (name, text) in [
        ("units.csv", units),
        ("fr_performance.csv", perf),
        ("fr_offers.csv", fr),
        ("reserve_offers.csv", rs),
        ("fr_mileage.csv", mileage),
        ("actuals.csv", actuals),
        ("requirements.csv", req),
        ("metering.csv", met),
    ] {
        f.insert(name.to_string(), text.into_bytes());
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn settlement_properties(g in scenarios()) {
        let s = ancillary::scenario::load_files(&files(&g)).unwrap();
        let r = ancillary::run::run(&s).unwrap();
        let metering = s.metering.as_ref().unwrap();
        let role_of = |day, party: &str| metering.iter().find(|m| m.day == day && m.party == party).map(|m| m.role);

        // Conservation: for every day and product, compensation + penalty + allocation = 0.
        let mut sums: BTreeMap<(chrono::NaiveDate, Product), Decimal> = BTreeMap::new();
        for row in &r.settlement {
            *sums.entry((row.day, row.product)).or_default() += row.amount.0;
            // Every amount is a whole number of fen.
            prop_assert_eq!(row.amount.0.round_dp(2), row.amount.0);
        }
        for ((day, product), total) in &sums {
            prop_assert!(total.is_zero(), "{} {:?}: {}", day, product, total);
        }

        for row in r.settlement.iter().filter(|x| x.item == Item::Allocation) {
            let role = role_of(row.day, &row.party);
            if g.spot {
                // Market generators pay nothing; only FR and reserve pass through.
                prop_assert!(role != Some(Role::Generator), "{:?}", row);
                prop_assert!(matches!(row.product, Product::Fr | Product::Reserve));
            } else {
                // No user is charged in a non-spot region.
                prop_assert!(role == Some(Role::Generator), "{:?}", row);
            }
        }

        // Monthly = Σ daily, per party, product and item.
        let monthly = statement::monthly(&r.settlement);
        for m in &monthly {
            for (item, value) in [(Item::Compensation, m.compensation), (Item::Allocation, m.allocation), (Item::Penalty, m.penalty)] {
                let daily: Decimal = r.settlement.iter()
                    .filter(|x| x.party == m.party && x.product == m.product && x.item == item && x.day.format("%Y-%m").to_string() == m.month)
                    .map(|x| x.amount.0)
                    .sum();
                prop_assert_eq!(daily, value.0);
            }
        }
    }
}
