//! Peak regulation (调峰), notice 196 §二(一)–(二): who may provide it, where it runs, its
//! cap, and its fee = price × delivered reduction × time.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::outcome::{AwardRow, FeeLine, Rejection};
use crate::product::Product;
use crate::rules::caps::Caps;
use crate::rules::market::{self, Prepared};
use crate::scenario::config::{PeakPricing, SpotMarket, key_error};
use crate::scenario::{Kind, Offer, Scenario};

/// notice 196 §二(一): where the spot market runs continuously, the peak market no longer
/// runs. A scenario that asks for one there is refused as a whole.
pub fn check_market_runs(scenario: &Scenario) -> Result<(), InputError> {
    if scenario.config.spot_market != SpotMarket::Continuous {
        // Not continuous: the peak market runs only in the intervals where the spot market
        // does not run (§二(一) "在现货市场未运行期间").
        return match scenario.requirements.peak_while_spot_runs() {
            Some((i, line)) => Err(InputError::new(
                ErrorKind::Refused,
                "requirements.csv",
                format!(
                    "asks for peak regulation at {} while the spot market runs (spot_running = true), but the peak market runs only while the spot market does not (notice 196 §二(一)): set peak_mw to 0 there",
                    scenario.horizon.label(i)
                ),
            )
            .at_line(line)
            .at_column("peak_mw")),
            None => Ok(()),
        };
    }
    let has_requirement = scenario.requirements.asks_for_peak();
    if scenario.peak_offers.is_empty() && !has_requirement {
        return Ok(());
    }
    let what = if scenario.peak_offers.is_empty() {
        "requirements.csv has a non-zero peak_mw"
    } else {
        "peak_offers.csv holds offers"
    };
    Err(key_error(
        &scenario.config_text,
        "spot_market",
        ErrorKind::Refused,
        format!(
            "the peak market does not run where the spot market runs continuously (notice 196 §二(一)), but {what}: remove them or set spot_market = \"none\""
        ),
    ))
}

/// notice 196 §二(一): wind and PV are not providers; hydro only where the province pays it.
/// Storage takes part as a load when charging (§六(十)); demand response, aggregators and
/// thermal units take part.
pub fn ineligibility(kind: Kind, hydro_paid: bool) -> Option<&'static str> {
    match kind {
        Kind::Wind => Some("wind units are not peak-regulation providers (notice 196 二(一))"),
        Kind::Pv => Some("PV units are not peak-regulation providers (notice 196 二(一))"),
        Kind::Hydro if !hydro_paid => Some(
            "hydro takes part in paid peak regulation only where the province enables it ([peak] hydro_paid = true; notice 196 二(一))",
        ),
        _ => None,
    }
}

/// Eligible peak offers (§二(一) providers, §二(二) cap), ready to clear.
pub fn prepare(scenario: &Scenario, caps: &Caps) -> Result<(Prepared, Vec<Rejection>), InputError> {
    check_market_runs(scenario)?;
    let has_requirement = scenario.requirements.asks_for_peak();
    if scenario.peak_offers.is_empty() && !has_requirement {
        return Ok((Prepared::empty(Product::Peak, Decimal::ZERO), Vec::new()));
    }
    // A requirement with no offers still clears, short, priced at the cap like any shortfall.
    let cap = caps.peak_price_yuan_per_mwh.ok_or_else(|| {
        InputError::new(
            ErrorKind::Invalid,
            "scenario.toml",
            "peak regulation (offers or a non-zero peak_mw) needs a peak price cap",
        )
        .at_column("caps.peak_price_yuan_per_mwh")
    })?;
    let hydro_paid = scenario.config.peak.hydro_paid;
    let mut rejected = Vec::new();
    let mut allowed: Vec<Offer> = Vec::with_capacity(scenario.peak_offers.len());
    for o in &scenario.peak_offers {
        match ineligibility(scenario.fleet.units[o.unit].kind, hydro_paid) {
            Some(reason) => rejected.push(Rejection {
                unit: o.unit,
                product: Product::Peak,
                start: o.start.clone(),
                end: o.end.clone(),
                reason: reason.to_string(),
            }),
            None => allowed.push(o.clone()),
        }
    }
    // notice 196 §二(二): the cap is at most the local grid-parity price.
    let (offers, above) = market::reject_above_cap(
        &allowed,
        Product::Peak,
        cap,
        &format!("the peak price cap {cap} yuan/MWh (notice 196 二(二))"),
    );
    rejected.extend(above);
    let prepared = Prepared::at_offer_prices(
        Product::Peak,
        cap,
        offers,
        |i| scenario.requirements.by_interval[i].peak_mw,
        scenario.horizon.intervals,
    );
    Ok((prepared, rejected))
}

/// `[peak] pricing = "pay_as_bid"`: each award is paid its own offer, not the uniform price.
pub fn apply_pricing(scenario: &Scenario, awards: &mut [AwardRow]) {
    if scenario.config.peak.pricing == PeakPricing::PayAsBid {
        for a in awards.iter_mut().filter(|a| a.product == Product::Peak) {
            a.paid_price = a.offer_price;
        }
    }
}

/// Fee = price × min(cleared, delivered) × hours. The unit's delivered reduction fills its
/// bands from the shallowest, which matters under pay-as-bid.
pub fn fees(scenario: &Scenario, awards: &[AwardRow]) -> Vec<FeeLine> {
    let hours = scenario.horizon.interval_hours();
    let mut delivered_left: HashMap<(usize, usize), Decimal> = HashMap::new();
    let mut fees = Vec::new();
    for a in awards
        .iter()
        .filter(|a| a.product == Product::Peak && a.cleared_mw > Decimal::ZERO)
    {
        let left = delivered_left
            .entry((a.unit, a.interval))
            .or_insert_with(|| {
                scenario
                    .actuals
                    .peak_delivered_mw
                    .get(&(a.unit, a.interval))
                    .copied()
                    .unwrap_or(Decimal::MAX)
            });
        let paid_mw = a.cleared_mw.min(*left);
        *left -= paid_mw;
        fees.push(FeeLine {
            interval: a.interval,
            unit: a.unit,
            product: Product::Peak,
            quantity: paid_mw * hours,
            amount: a.paid_price * paid_mw * hours,
            unmetered: false,
            capped: false,
        });
    }
    fees
}
