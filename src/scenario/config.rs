//! `scenario.toml`: the scenario's settings. Every section and key is optional except the
//! top-level horizon keys; defaults are what the notice and common provincial practice give.
//! Unknown keys are an error, so a misspelt setting never passes silently.

use serde::Deserialize;

use crate::error::{ErrorKind, InputError};

pub const FILE: &str = "scenario.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// A grid of `data/provinces.csv` by any of its names, or `"none"` outside China; resolved
    /// strictly at load into `Scenario::grid` (`rules::province::resolve`).
    pub province: String,
    pub spot_market: SpotMarket,
    pub interval_minutes: u32,
    pub start: String,
    pub intervals: u32,
    #[serde(default)]
    pub caps: CapsConfig,
    #[serde(default)]
    pub fr: FrConfig,
    #[serde(default)]
    pub peak: PeakConfig,
    #[serde(default)]
    pub allocation: AllocationConfig,
    #[serde(default)]
    pub penalty: PenaltyConfig,
    #[serde(default)]
    pub clearing: ClearingConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub network: NetworkConfig,
}

/// Whether the region's spot market runs continuously (现货市场连续运行), which decides
/// which markets run (§二(一)) and who pays (§五(八)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotMarket {
    None,
    Continuous,
}

impl SpotMarket {
    /// As `scenario.toml` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SpotMarket::None => "none",
            SpotMarket::Continuous => "continuous",
        }
    }
}

/// Caps as the scenario states them; `None` takes the default. They are resolved against the
/// notice's limits in `rules::caps`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapsConfig {
    pub fr_mileage_price_yuan_per_mw: Option<f64>,
    pub performance_factor: Option<f64>,
    pub peak_price_yuan_per_mwh: Option<f64>,
    /// Where the peak cap comes from, required where the province has no benchmark in
    /// `data/provinces.csv` (the audit cannot check such a cap; it says whose it is).
    pub peak_price_source: Option<String>,
    pub reserve_price_yuan_per_mwh: Option<f64>,
    pub energy_market_price_cap_yuan_per_mwh: Option<f64>,
    /// Where the energy-market cap comes from, needed where `data/spot_markets.csv` and
    /// `data/provinces.csv` give none (see `rules::spot::energy_cap`).
    pub energy_cap_source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerformanceForm {
    /// K = k_rate × k_precision × k_response.
    #[default]
    Product,
    /// K = w_rate·k_rate + w_precision·k_precision + w_response·k_response.
    Weighted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// offer / K
    #[default]
    PriceOverK,
    /// offer / (K / K_max), K_max the largest K among the interval's offers (Hunan).
    PriceOverRelativeK,
    /// offer price alone.
    Price,
}

/// A weight left out takes its default, so one can be set alone (then all must still sum to 1).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub rate: f64,
    pub precision: f64,
    pub response: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            rate: 0.5,
            precision: 0.25,
            response: 0.25,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkConfig {
    pub rate_pct_per_min: f64,
    pub precision_pct: f64,
    pub response_s: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrConfig {
    #[serde(default)]
    pub performance: PerformanceForm,
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub ranking: Ranking,
    pub benchmark: Option<BenchmarkConfig>,
    /// Where `benchmark` comes from: required for an override to stand where no coal unit in
    /// `units.csv` has design parameters (the audit cannot check it; it says whose it is).
    pub benchmark_source: Option<String>,
    /// FR mileage (MW) expected per MW of FR award per interval. The LP weighs FR prices
    /// (元/MW of mileage) against energy with it. Without `fr_mileage.csv` or
    /// `agc_setpoints.csv` it also settles FR (mileage = award × this, a study assumption,
    /// marked in the outputs); with measured mileage, the measured mileage is settled and this
    /// is only an expectation (see `Scenario::fr_expected_mileage_per_mw`).
    pub expected_mileage_per_mw: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeakPricing {
    #[default]
    Uniform,
    PayAsBid,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeakConfig {
    #[serde(default)]
    pub hydro_paid: bool,
    #[serde(default)]
    pub pricing: PeakPricing,
}

/// Who pays (分摊), notice 196 §五(八).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationConfig {
    /// Continuous spot: the users' share of FR and reserve costs (set by the province); the
    /// rest falls on non-market generation. Required there when such costs arise.
    pub user_share: Option<f64>,
    /// Non-spot: unit kinds that pay nothing (e.g. `["storage"]`).
    #[serde(default)]
    pub exempt_kinds: Vec<String>,
    /// Non-spot: a multiplier on a payer's energy by unit kind (default 1).
    #[serde(default)]
    pub kind_weights: std::collections::BTreeMap<String, f64>,
    /// Non-spot, FR costs: a multiplier for FR-capable units that made no FR offer that day
    /// (Hunan uses 1.5, to give force to §六(十)). Default 1.
    pub non_bidder_weight: Option<f64>,
    /// Continuous spot: which part of FR and reserve pay users (and non-market generation)
    /// bear (§五(八)). Default `lost_opportunity`; see `rules::opportunity`.
    #[serde(default)]
    pub user_borne: UserBorne,
    /// Continuous spot: who pays the rest ("其他…辅助服务费用", §五(八)). Default
    /// `market_generators`.
    #[serde(default)]
    pub other_costs: OtherCosts,
}

/// What users bear where the spot market runs continuously (§五(八)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserBorne {
    /// Only the energy a provider could not sell for holding capacity (our reading of
    /// "电能量市场无法补偿的因提供辅助服务而未能发电带来的损失").
    #[default]
    LostOpportunity,
    /// The whole FR and reserve pool (the earlier reading).
    All,
}

/// Who pays the part of FR and reserve pay that users do not bear (§五(八) "其他需由经营主体
/// 承担的辅助服务费用，按程序报批": the province decides; these are the options we offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherCosts {
    /// Market generators (metering role `generator`), pro rata to on-grid energy; where a day
    /// has no such metering, the units' energy cleared that day.
    #[default]
    MarketGenerators,
    /// Users and non-market generation at `user_share`, like the user-borne part.
    UsersAndNonMarket,
}

/// Penalties (考核): our rule, the scenario's to set (notice 196 §五(九) asks only that they be
/// itemised apart). Each multiple × clearing price × the MWh short; default 0: no penalties.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyConfig {
    /// Reserve awarded but not available (`actuals.csv` `reserve_available_mw` below award).
    #[serde(default)]
    pub reserve_unavailable_multiple: f64,
    /// Peak reduction awarded but not delivered (`peak_delivered_mw` below award).
    #[serde(default)]
    pub peak_undelivered_multiple: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    #[default]
    MeritOrder,
    Lp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LpSolver {
    /// Interior point, pure Rust: always built in.
    #[default]
    Clarabel,
    /// Simplex, C++: in a build with the `highs` feature.
    Highs,
}

impl LpSolver {
    /// Its name in scenario.toml and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            LpSolver::Clarabel => "clarabel",
            LpSolver::Highs => "highs",
        }
    }

    /// Whether this build has it.
    pub fn built_in(self) -> bool {
        match self {
            LpSolver::Clarabel => true,
            LpSolver::Highs => cfg!(feature = "highs"),
        }
    }

    /// The fastest solver built in: HiGHS where the feature is on, else Clarabel. Both give
    /// the same results (the LP engine's tie-break), so this decides only the time taken.
    pub fn fastest() -> LpSolver {
        if LpSolver::Highs.built_in() {
            LpSolver::Highs
        } else {
            LpSolver::Clarabel
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearingConfig {
    /// Default: `merit_order`, or `lp` when the scenario needs coupling (energy offers, storage
    /// state of charge).
    pub engine: Option<Engine>,
    /// The LP solver preferred (`run --solver` overrides it). Accepted for compatibility: the
    /// results are the same with either, so it changes only the time taken. Absent, or not
    /// built in: the fastest built in ([`LpSolver::fastest`]).
    #[serde(default)]
    pub solver: Option<LpSolver>,
    /// FR must be deliverable within this many minutes of ramp (LP; default 5).
    pub fr_response_minutes: Option<f64>,
    /// Reserve likewise (LP; default 10).
    pub reserve_response_minutes: Option<f64>,
    /// Keep every LP solved as MPS (`run --write-lp DIR`): a run option, not a setting of
    /// the scenario's (never read from scenario.toml, so never in its digest).
    #[serde(skip)]
    pub write_lp: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// `false` lets an analyst study caps beyond the notice; outputs are then marked.
    #[serde(default = "yes")]
    pub enforce_notice_limits: bool,
    /// notice 196 §六(十), our reading: the share of its capacity a capacity-paid unit's
    /// admitted offers must hold in each interval with a requirement (default 0.01: a token
    /// offer of a few kW does not count). See `rules::participation`.
    #[serde(default = "one_percent")]
    pub participation_min_share: f64,
    /// The least FR or reserve offer admitted, as a share of the unit's capacity (a provincial
    /// rule: Guangdong bounds capacity bids of thermal units to 3–7.5 % of rated capacity).
    /// Opt-in: absent, no minimum; an offer below it is refused (`rejected_offers.csv`), so it
    /// neither clears nor sets a price. See `rules::market::reject_below_minimum`.
    #[serde(default)]
    pub min_offer_share: Option<f64>,
}

fn one_percent() -> f64 {
    0.01
}

fn yes() -> bool {
    true
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            enforce_notice_limits: true,
            participation_min_share: one_percent(),
            min_offer_share: None,
        }
    }
}

/// The transmission network's settings (with `buses.csv`; see `scenario::network`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The bus whose angle is 0 and which absorbs an unbalanced injection in DC power flow
    /// (the slack); default: the first bus of `buses.csv`. Flows of a balanced injection do not
    /// depend on it.
    pub reference_bus: Option<String>,
}

/// Parses `scenario.toml` text, turning TOML and schema errors into positioned errors.
pub fn parse(text: &str) -> Result<Config, InputError> {
    toml::from_str::<Config>(text).map_err(|e| {
        let mut err = InputError::new(ErrorKind::Parse, FILE, e.message().trim().to_string());
        if let Some(span) = e.span() {
            let line = text[..span.start.min(text.len())].matches('\n').count() as u64 + 1;
            err = err.at_line(line);
        }
        err
    })
}

/// An error about one key of `scenario.toml`, with the key's line when it can be found.
pub fn key_error(text: &str, key: &str, kind: ErrorKind, rule: impl Into<String>) -> InputError {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let line = text.lines().position(|l| {
        let l = l.trim_start();
        l.starts_with(leaf) && l[leaf.len()..].trim_start().starts_with(['=', ' ', '{'])
            || l.contains(&format!("{leaf} ="))
    });
    let err = InputError::new(kind, FILE, rule).at_column(key);
    match line {
        Some(i) => err.at_line(i as u64 + 1),
        None => err,
    }
}
