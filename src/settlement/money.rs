//! Money: yuan held as an exact decimal, rounded to the fen (0.01 元) by one rule.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

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
