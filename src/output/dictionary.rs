//! The output data dictionary: every column of every table a run writes, with its unit and
//! meaning, declared once. `docs/outputs.md` carries it as a table generated from this list
//! (a test checks that the two agree and that every column a run writes is here).

/// One column of one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The file, as named under OUT_DIR (`statements/PARTY.csv` for every party's file).
    pub file: &'static str,
    pub name: &'static str,
    /// The unit (empty for text, flags and times).
    pub unit: &'static str,
    pub meaning: &'static str,
}

const fn c(
    file: &'static str,
    name: &'static str,
    unit: &'static str,
    meaning: &'static str,
) -> Column {
    Column {
        file,
        name,
        unit,
        meaning,
    }
}

const CL: &str = "clearing.csv";
const AW: &str = "awards.csv";
const SE: &str = "settlement.csv";
const RE: &str = "rejected_offers.csv";
const SM: &str = "statement_monthly.csv";
const ST: &str = "statements/PARTY.csv";
const IX: &str = "statements/index.csv";
const PF: &str = "performance_factors.csv";
const MP: &str = "market_power.csv";
const SO: &str = "storage.csv";
const NP: &str = "nodal_prices.csv";
const FL: &str = "flows.csv";

/// Every output column, file by file in the order the files are listed in `summary.json`,
/// columns in file order.
pub const COLUMNS: &[Column] = &[
    c(
        CL,
        "time",
        "",
        "the interval's start, local time (ISO 8601)",
    ),
    c(
        CL,
        "product",
        "",
        "fr, peak, reserve, or energy (joint clearing)",
    ),
    c(
        CL,
        "zone",
        "",
        "the zone of a zonal minimum's row; empty on system-wide rows",
    ),
    c(
        CL,
        "requirement_mw",
        "MW",
        "what the dispatcher asked for (a zone's minimum on its row)",
    ),
    c(CL, "cleared_mw", "MW", "what the accepted offers hold"),
    c(
        CL,
        "shortfall_mw",
        "MW",
        "requirement not met; the price is then the product's cap",
    ),
    c(
        CL,
        "price",
        "price_unit",
        "the clearing price: the marginal offer's ranking price, its lost energy opportunity included with joint clearing, at most the cap",
    ),
    c(
        CL,
        "price_unit",
        "",
        "yuan/MW (FR, per MW of mileage) or yuan/MWh",
    ),
    c(
        CL,
        "marginal_unit",
        "",
        "the unit(s) setting the price, `;`-separated when tied",
    ),
    c(
        CL,
        "basis",
        "",
        "notice-196, or outside-notice-196 where caps beyond the notice were used",
    ),
    c(AW, "time", "", "the interval's start"),
    c(AW, "product", "", "fr, peak, reserve or energy"),
    c(AW, "unit", "", "the unit offering"),
    c(
        AW,
        "offered_mw",
        "MW",
        "the offer's MW in the interval (peak: the band's reduction)",
    ),
    c(
        AW,
        "cleared_mw",
        "MW",
        "the MW accepted (0: eligible, not accepted)",
    ),
    c(AW, "offer_price", "price_unit", "the price offered"),
    c(
        AW,
        "ranking_price",
        "price_unit",
        "what the offer is ranked by: the offer ÷ K (FR, by `[fr] ranking`), the offer elsewhere",
    ),
    c(
        AW,
        "band",
        "",
        "the peak band (1 = shallowest) or energy segment; empty for FR and reserve",
    ),
    c(
        AW,
        "performance_factor",
        "",
        "FR: the unit's K for the day (notice 196 §三(四), ≤ 2); empty for the others",
    ),
    c(
        AW,
        "paid_price",
        "price_unit",
        "the price the award is paid: the clearing price (its zone's, where the unit's zone has a minimum), or the offer under peak pay-as-bid",
    ),
    c(SE, "day", "", "the operating day"),
    c(
        SE,
        "party",
        "",
        "the unit (compensation, penalty) or the metering party (allocation)",
    ),
    c(SE, "product", "", "fr, peak or reserve"),
    c(
        SE,
        "item",
        "",
        "compensation, penalty or allocation (notice 196 §五(九): itemised apart)",
    ),
    c(
        SE,
        "quantity",
        "quantity_unit",
        "what the amount is for: MW of mileage (FR), MWh (peak, reserve), MWh short (penalty), MWh metered (allocation)",
    ),
    c(SE, "quantity_unit", "", "the quantity's unit, in words"),
    c(
        SE,
        "amount_yuan",
        "yuan",
        "paid to the party (positive) or charged (negative), exact to the fen",
    ),
    c(
        SE,
        "basis",
        "",
        "notice-196, and how mileage was found where not metered plainly: +mileage-from-awards (assumed), +mileage-capped (bounded by physics), +no-mileage-metered",
    ),
    c(
        SE,
        "role",
        "",
        "the payer's role on allocation rows: user, generator or non_market_generator",
    ),
    c(
        SE,
        "lost_opportunity_yuan",
        "yuan",
        "the part of amount_yuan that is lost energy opportunity (§五(八)), where split (continuous spot, joint clearing); empty elsewhere",
    ),
    c(RE, "unit", "", "the unit whose offer was refused"),
    c(RE, "product", "", "the product offered"),
    c(RE, "start", "", "the offer's first interval"),
    c(RE, "end", "", "the end of the offer's last interval"),
    c(
        RE,
        "reason",
        "",
        "why, naming the clause (an offer above the cap, an ineligible kind, …)",
    ),
    c(
        SM,
        "month",
        "",
        "the month (YYYY-MM): daily clearing, monthly payment (日清月结)",
    ),
    c(SM, "party", "", "the unit or metering party"),
    c(SM, "product", "", "fr, peak or reserve"),
    c(SM, "compensation_yuan", "yuan", "the month's compensation"),
    c(
        SM,
        "allocation_yuan",
        "yuan",
        "the month's allocation (negative: charged)",
    ),
    c(
        SM,
        "penalty_yuan",
        "yuan",
        "the month's penalties (negative)",
    ),
    c(
        SM,
        "net_yuan",
        "yuan",
        "compensation + allocation + penalty",
    ),
    c(
        SM,
        "compensation_lost_opportunity_yuan",
        "yuan",
        "of the compensation, the lost energy opportunity (where split)",
    ),
    c(
        SM,
        "allocation_lost_opportunity_yuan",
        "yuan",
        "of the allocation, the lost-opportunity pool's share (where split)",
    ),
    c(
        ST,
        "period",
        "",
        "a day (the daily rows), or a month (its totals per product and item, and net)",
    ),
    c(ST, "product", "", "fr, peak or reserve"),
    c(
        ST,
        "item",
        "",
        "compensation, penalty, allocation, or net on month rows",
    ),
    c(ST, "quantity", "quantity_unit", "as in settlement.csv"),
    c(ST, "quantity_unit", "", "as in settlement.csv"),
    c(ST, "amount_yuan", "yuan", "as in settlement.csv"),
    c(ST, "role", "", "as in settlement.csv"),
    c(ST, "lost_opportunity_yuan", "yuan", "as in settlement.csv"),
    c(IX, "party", "", "a party with a statement"),
    c(
        IX,
        "file",
        "",
        "its file under statements/ (names encoded to stay inside the folder)",
    ),
    c(PF, "day", "", "the day the factor holds for"),
    c(PF, "unit", "", "the FR unit"),
    c(
        PF,
        "basis",
        "",
        "what K was computed from (measured performance, or the design parameters)",
    ),
    c(
        PF,
        "k_rate",
        "",
        "the regulation-rate part, against the best local coal unit's design (§三(四))",
    ),
    c(PF, "k_precision", "", "the precision part, likewise"),
    c(PF, "k_response", "", "the response-time part, likewise"),
    c(
        PF,
        "k_uncapped",
        "",
        "K from the parts (product or weighted mean), before the cap",
    ),
    c(
        PF,
        "performance_factor",
        "",
        "K as paid: k_uncapped, at most 2 (§三(四))",
    ),
    c(MP, "time", "", "the interval's start"),
    c(MP, "product", "", "fr, peak or reserve"),
    c(
        MP,
        "zone",
        "",
        "the zone whose minimum is screened (its own units against it); empty for the system-wide market",
    ),
    c(MP, "owner", "", "the owner (a group of units)"),
    c(MP, "offered_mw", "MW", "the owner's eligible offers"),
    c(MP, "cleared_mw", "MW", "the owner's awards"),
    c(
        MP,
        "rsi",
        "",
        "residual supply index: others' offers ÷ the requirement (< 1: pivotal)",
    ),
    c(
        MP,
        "pivotal",
        "",
        "true where the requirement cannot be met without the owner",
    ),
    c(
        MP,
        "three_pivotal_fail",
        "",
        "true where the owner with the two largest others is jointly pivotal",
    ),
    c(
        MP,
        "hhi",
        "",
        "Herfindahl–Hirschman index of the cleared MW (0–10,000), the same on every owner's row",
    ),
    c(
        MP,
        "sets_price",
        "",
        "true where one of the owner's units is marginal",
    ),
    c(
        MP,
        "pivotal_sets_price",
        "",
        "pivotal and setting the price: the screen's flag",
    ),
    c(SO, "time", "", "the interval's start"),
    c(SO, "unit", "", "the storage unit"),
    c(SO, "charge_mw", "MW", "charging power (a load, §六(十))"),
    c(SO, "discharge_mw", "MW", "discharging power (a generator)"),
    c(
        SO,
        "soc_mwh",
        "MWh",
        "state of charge at the interval's end",
    ),
    c(NP, "time", "", "the interval's start"),
    c(NP, "bus", "", "the bus, in buses.csv order"),
    c(
        NP,
        "price",
        "yuan/MWh",
        "the bus's energy price: energy + congestion, within ± the energy cap",
    ),
    c(
        NP,
        "energy",
        "yuan/MWh",
        "the reference bus's price (clearing.csv's energy price)",
    ),
    c(
        NP,
        "congestion",
        "yuan/MWh",
        "price − energy: what the binding lines add at this bus",
    ),
    c(
        NP,
        "at_cap",
        "",
        "true where the bus's shadow price lies beyond ± the cap and price is held at it",
    ),
    c(FL, "time", "", "the interval's start"),
    c(FL, "line", "", "the line, in lines.csv order"),
    c(
        FL,
        "flow_mw",
        "MW",
        "DC flow, positive from from_bus to to_bus",
    ),
    c(FL, "limit_mw", "MW", "the line's limit (empty: unlimited)"),
    c(
        FL,
        "shadow_price",
        "yuan/MWh",
        "what one more MW of the limit would save (0 where it does not bind)",
    ),
];

/// The dictionary as a Markdown table (the one `docs/outputs.md` carries).
pub fn markdown() -> String {
    let mut out = String::from("| file | column | unit | meaning |\n| --- | --- | --- | --- |\n");
    for col in COLUMNS {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            col.file, col.name, col.unit, col.meaning
        ));
    }
    out
}
