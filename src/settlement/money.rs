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
/// to `total` exactly. `weights` must be ≥ 0 with a positive sum.
///
/// ```
/// use ancillary::settlement::money::{split_largest_remainder, Yuan};
/// use rust_decimal_macros::dec;
/// // 100.00 among three equal payers: naive rounding gives 33.33 × 3 = 99.99 and loses a fen.
/// let shares = split_largest_remainder(Yuan(dec!(100.00)), &[dec!(1), dec!(1), dec!(1)]);
/// let text: Vec<String> = shares.iter().map(|y| y.to_string()).collect();
/// assert_eq!(text, ["33.34", "33.33", "33.33"]);
/// ```
pub fn split_largest_remainder(total: Yuan, weights: &[Decimal]) -> Vec<Yuan> {
    let sum: Decimal = weights.iter().sum();
    if weights.is_empty() || sum <= Decimal::ZERO {
        return vec![Yuan::ZERO; weights.len()];
    }
    let fen = (total.0 * Decimal::ONE_HUNDRED).round();
    let magnitude = fen.abs();
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        // Weights and totals are bounded on input, so this cannot overflow.
        let exact = magnitude * *w / sum;
        let floor = exact.floor();
        shares.push(floor);
        remainders.push((exact - floor, i));
    }
    let mut left = magnitude - shares.iter().copied().sum::<Decimal>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left <= Decimal::ZERO {
            break;
        }
        shares[i] += Decimal::ONE;
        left -= Decimal::ONE;
    }
    let sign = if fen < Decimal::ZERO {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    shares
        .into_iter()
        .map(|f| Yuan(f * sign / Decimal::ONE_HUNDRED))
        .collect()
}
