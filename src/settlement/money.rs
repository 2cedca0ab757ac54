//! Money: yuan held as an exact decimal, rounded to the fen (0.01 元) by one rule.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use rust_decimal::{Decimal, RoundingStrategy};

/// An amount in 元, always a whole number of fen (分) once rounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yuan(pub Decimal);

impl Yuan {
    pub const ZERO: Yuan = Yuan(Decimal::ZERO);

    /// The one rounding rule for money: to 0.01 元, half away from zero.
    ///
    /// ```
    /// use ancillary::settlement::money::Yuan;
    /// use rust_decimal_macros::dec;
    /// assert_eq!(Yuan::round_to_fen(dec!(2.345)).to_string(), "2.35");
    /// assert_eq!(Yuan::round_to_fen(dec!(-2.345)).to_string(), "-2.35");
    /// ```
    pub fn round_to_fen(exact: Decimal) -> Yuan {
        Yuan(exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = self.0.round_dp(2);
        v.rescale(2);
        write!(f, "{v}")
    }
}

impl Add for Yuan {
    type Output = Yuan;
    fn add(self, o: Yuan) -> Yuan {
        Yuan(self.0 + o.0)
    }
}

impl AddAssign for Yuan {
    fn add_assign(&mut self, o: Yuan) {
        self.0 += o.0;
    }
}

impl Sub for Yuan {
    type Output = Yuan;
    fn sub(self, o: Yuan) -> Yuan {
        Yuan(self.0 - o.0)
    }
}

impl Neg for Yuan {
    type Output = Yuan;
    fn neg(self) -> Yuan {
        Yuan(-self.0)
    }
}

impl Sum for Yuan {
    fn sum<I: Iterator<Item = Yuan>>(iter: I) -> Yuan {
        iter.fold(Yuan::ZERO, Add::add)
    }
}

/// Splits `total` (a whole number of fen) in proportion to `weights` by the largest-remainder
/// method: each share is first rounded down to the fen (toward zero), and the fen left over go
/// one each to the largest remainders, equal remainders in the order given. The shares add up
/// to `total` exactly. `weights` must be ≥ 0; with no positive weight every share is 0.
///
/// The arithmetic is on integers, exactly: weights become whole numbers at their common
/// scale, and each share is ⌊fen × w / Σw⌋ with its remainder, the product held in 256 bits.
/// So the inputs' full range (a pool of 1e9 元/MWh × 1e9 MW, weights of 1e9 MWh × 1000) splits
/// exactly. Weights with more digits than 128 bits hold at their common scale (28 decimals
/// next to 1e15) are rounded to the finest scale that fits first. `None` only where the
/// total in fen does not fit a decimal (over ~7.9e26 元).
///
/// ```
/// use ancillary::settlement::money::{split_largest_remainder, Yuan};
/// use rust_decimal_macros::dec;
/// // 100.00 among three equal payers: naive rounding gives 33.33 × 3 = 99.99 and loses a fen.
/// let shares = split_largest_remainder(Yuan(dec!(100.00)), &[dec!(1), dec!(1), dec!(1)]).unwrap();
/// let text: Vec<String> = shares.iter().map(|y| y.to_string()).collect();
/// assert_eq!(text, ["33.34", "33.33", "33.33"]);
/// ```
pub fn split_largest_remainder(total: Yuan, weights: &[Decimal]) -> Option<Vec<Yuan>> {
    use rust_decimal::prelude::ToPrimitive;
    if weights.iter().all(|w| *w <= Decimal::ZERO) {
        return Some(vec![Yuan::ZERO; weights.len()]);
    }
    let fen = total.0.checked_mul(Decimal::ONE_HUNDRED)?.round();
    let magnitude: u128 = fen.abs().to_u128()?;
    // Weights as integers at their common scale: the finest (at most 28 places) at which
    // every weight and their sum fit 128 bits, found by trying coarser scales only where the
    // finest does not fit (weights with many decimals next to weights near 1e15).
    let finest = weights.iter().map(|w| w.normalize().scale()).max()?;
    let whole_at = |scale: u32| -> Option<Vec<u128>> {
        let whole: Vec<u128> = weights
            .iter()
            .map(|w| {
                let w = w.round_dp(scale).normalize();
                if w <= Decimal::ZERO {
                    return Some(0);
                }
                let m = u128::try_from(w.mantissa()).ok()?;
                m.checked_mul(10u128.checked_pow(scale - w.scale())?)
            })
            .collect::<Option<_>>()?;
        whole.iter().try_fold(0u128, |a, &w| a.checked_add(w))?;
        Some(whole)
    };
    let whole = (0..=finest).rev().find_map(whole_at)?;
    let sum: u128 = whole.iter().sum();
    if sum == 0 {
        // Every weight rounded to 0 at the only scale that fits: nothing can be apportioned.
        return None;
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in whole.iter().enumerate() {
        let (q, r) = mul_div_rem(magnitude, w, sum);
        shares.push(q);
        remainders.push((r, i));
    }
    // Each share is within one fen below its exact value, so fewer fen than payers are left.
    let mut left = magnitude - shares.iter().sum::<u128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    let negative = fen < Decimal::ZERO;
    shares
        .into_iter()
        .map(|f| {
            let f = i128::try_from(f).ok()?;
            let signed = if negative { -f } else { f };
            Decimal::try_from_i128_with_scale(signed, 2).ok().map(Yuan)
        })
        .collect()
}

/// ⌊a × b / c⌋ and the remainder, exactly, for b ≤ c (so the quotient fits: it is ≤ a) and
/// c > 0. The product is held in 256 bits.
fn mul_div_rem(a: u128, b: u128, c: u128) -> (u128, u128) {
    if let Some(p) = a.checked_mul(b) {
        return (p / c, p % c);
    }
    let (hi, lo) = mul_wide(a, b);
    long_div(hi, lo, c)
}

/// hi:lo / c and the remainder, by binary long division, for a quotient that fits 128 bits.
/// The remainder stays below c; a bit shifted out of it (c ≥ 2^127) is carried.
fn long_div(hi: u128, lo: u128, c: u128) -> (u128, u128) {
    let (mut q, mut r) = (0u128, 0u128);
    for i in (0..256u32).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        let carry = r >> 127;
        r = (r << 1) | bit;
        q <<= 1;
        if carry == 1 || r >= c {
            r = r.wrapping_sub(c);
            q |= 1;
        }
    }
    (q, r)
}

/// a × b as (high, low) 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let lo = (p00 & LOW) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_division_matches_narrow() {
        // Where a × b fits 128 bits, the long division must agree with u128's / and %.
        for (a, b, c) in [
            (7u128, 3u128, 5u128),
            (u64::MAX as u128, 12345, 99999),
            (1 << 100, 3, 7),
            (u128::MAX / 3, 3, u128::MAX),
        ] {
            let (hi, lo) = mul_wide(a, b);
            assert_eq!((hi, lo), (0, a * b));
            assert_eq!(long_div(hi, lo, c), (a * b / c, a * b % c));
        }
        // 2^127 × 2^127 / 2^127 = 2^127, remainder 0: the wide path.
        assert_eq!(mul_div_rem(1 << 127, 1 << 127, 1 << 127), (1 << 127, 0));
        // (2^128 − 1) × 3 / 4 = (3·2^128 − 3) / 4 = 3·2^126 − 1, remainder 1 (3·2^128 − 3 =
        // 4·(3·2^126 − 1) + 1).
        assert_eq!(mul_div_rem(u128::MAX, 3, 4), (3 * (1 << 126) - 1, 1));
        // c ≥ 2^127 exercises the carry: (2^128 − 1)² / (2^128 − 1) = 2^128 − 1, remainder 0.
        assert_eq!(mul_div_rem(u128::MAX, u128::MAX, u128::MAX), (u128::MAX, 0));
    }
}
