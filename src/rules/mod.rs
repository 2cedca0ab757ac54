//! Notice 196, rule by rule: caps, eligibility, performance factor and pricing, one file per
//! product. Each rule names its clause.

pub mod caps;
pub mod engine;
pub mod fr;
pub mod market;
pub mod opportunity;
pub mod participation;
pub mod peak;
pub mod province;
pub mod reserve;
pub mod spot;
