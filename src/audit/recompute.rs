//! What the audit recomputes itself rather than asking the code it checks: the performance
//! factor K of notice 196 §三(四). `rules::fr::performance_factor` is what the run uses; this
//! is a second writing of the same rule from the notice and the project's stated convention
//! (parts normalised so that the benchmark scores 1; product or weighted average; 4 decimal
//! places, half away from zero; at most the cap), so that a slip in one is caught by the other.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::scenario::FrParams;
use crate::scenario::config::{PerformanceForm, Weights};

/// K for measured parameters against the benchmark, or `None` where a part or the result
/// leaves the decimal range (absurd parameters: the audit then cannot recompute it exactly).
///
/// notice 196 §三(四): "调频性能系数由调节速率、调节精度、响应时间三个分项参数乘积或加权平均确定，
/// 分项参数以当地性能最优煤电机组主机…对应的设计参数为基准折算。原则上性能系数最大不超过 2".
/// A higher rate is better (rate ÷ benchmark rate); a smaller deviation and a shorter response
/// are better (benchmark ÷ measured).
pub fn performance_factor(
    measured: FrParams,
    benchmark: FrParams,
    form: PerformanceForm,
    weights: Weights,
    cap: Decimal,
) -> Option<Decimal> {
    let part = |num: Decimal, den: Decimal| num.checked_div(den).filter(|p| !p.is_zero());
    let rate = part(measured.rate_pct_per_min, benchmark.rate_pct_per_min)?;
    let precision = part(benchmark.precision_pct, measured.precision_pct)?;
    let response = part(benchmark.response_s, measured.response_s)?;
    let weight = |w: f64| Decimal::try_from(w).ok().map(|d| d.normalize());
    let k = match form {
        PerformanceForm::Product => rate.checked_mul(precision)?.checked_mul(response)?,
        PerformanceForm::Weighted => weight(weights.rate)?
            .checked_mul(rate)?
            .checked_add(weight(weights.precision)?.checked_mul(precision)?)?
            .checked_add(weight(weights.response)?.checked_mul(response)?)?,
    };
    Some(
        k.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
            .min(cap),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn p(rate: Decimal, precision: Decimal, response: Decimal) -> FrParams {
        FrParams {
            rate_pct_per_min: rate,
            precision_pct: precision,
            response_s: response,
        }
    }

    #[test]
    fn by_hand() {
        // fr-basic's C2 measured 1.5 %/min, 1.25 %, 40 s against C1's design 2.0, 1.0, 30:
        // 0.75 × 0.8 × 0.75 = 0.45 (awards.csv's K for C2).
        let w = Weights {
            rate: 0.5,
            precision: 0.25,
            response: 0.25,
        };
        let bench = p(dec!(2.0), dec!(1.0), dec!(30));
        let c2 = p(dec!(1.5), dec!(1.25), dec!(40));
        assert_eq!(
            performance_factor(c2, bench, PerformanceForm::Product, w, dec!(2)),
            Some(dec!(0.45))
        );
        // Weighted: 0.5 × 0.75 + 0.25 × 0.8 + 0.25 × 0.75 = 0.7625.
        assert_eq!(
            performance_factor(c2, bench, PerformanceForm::Weighted, w, dec!(2)),
            Some(dec!(0.7625))
        );
        // CS1's 3.0, 0.5, 15: 1.5 × 2 × 2 = 6, capped at 2.
        let cs1 = p(dec!(3.0), dec!(0.5), dec!(15));
        assert_eq!(
            performance_factor(cs1, bench, PerformanceForm::Product, w, dec!(2)),
            Some(dec!(2))
        );
        // 2/3 of the benchmark's rate: 0.66666… → 0.6667 (4 places, half away from zero).
        let slow = p(dec!(4), dec!(1.0), dec!(30));
        assert_eq!(
            performance_factor(
                slow,
                p(dec!(6), dec!(1.0), dec!(30)),
                PerformanceForm::Product,
                w,
                dec!(2)
            ),
            Some(dec!(0.6667))
        );
    }

    #[test]
    fn agrees_with_the_runs_k_over_a_grid_of_parameters() {
        // Two writings of one rule: over 4^6 parameter pairs × both forms, the same K.
        let values = [dec!(0.3), dec!(1), dec!(2.5), dec!(47)];
        let w = Weights {
            rate: 0.5,
            precision: 0.25,
            response: 0.25,
        };
        let mut n = 0;
        for &a in &values {
            for &b in &values {
                for &c in &values {
                    for &x in &values {
                        for &y in &values {
                            for &z in &values {
                                for form in [PerformanceForm::Product, PerformanceForm::Weighted] {
                                    let m = p(a, b, c);
                                    let bench = p(x, y, z);
                                    let run = crate::rules::fr::performance_factor(
                                        m,
                                        bench,
                                        form,
                                        w,
                                        dec!(2),
                                    )
                                    .k;
                                    assert_eq!(
                                        performance_factor(m, bench, form, w, dec!(2)),
                                        Some(run)
                                    );
                                    n += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 2 * 4096);
    }
}
