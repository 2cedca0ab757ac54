//! The products the market clears, as outputs name them.

/// An ancillary-service product of notice 196, or energy (joint clearing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    /// 调频 — frequency regulation, priced per MW of mileage (§三).
    Fr,
    /// 调峰 — peak regulation, priced per MWh of output reduction (§二).
    Peak,
    /// 备用 — reserve, priced per MW of capacity per hour (§四).
    Reserve,
    /// 电能量 — energy, in joint clearing.
    Energy,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Fr => "fr",
            Product::Peak => "peak",
            Product::Reserve => "reserve",
            Product::Energy => "energy",
        }
    }

    /// Unit of the clearing price.
    pub fn price_unit(self) -> &'static str {
        match self {
            Product::Fr => "yuan/MW",
            Product::Peak | Product::Reserve | Product::Energy => "yuan/MWh",
        }
    }

    /// Unit of the settled quantity.
    pub fn quantity_unit(self) -> &'static str {
        match self {
            Product::Fr => "MW mileage",
            Product::Peak | Product::Energy => "MWh",
            Product::Reserve => "MWh",
        }
    }
}
