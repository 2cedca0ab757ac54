//! Daily clearing, monthly settlement (日清月结, notice 196 §五(九)): the month's statement per
//! party and product is the sum of its daily rows, item by item.

use std::collections::BTreeMap;

use crate::product::Product;
use crate::settlement::money::Yuan;
use crate::settlement::{Item, SettlementRow};

/// A row of `statement_monthly.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyRow {
    /// `2024-03`
    pub month: String,
    pub party: String,
    pub product: Product,
    pub compensation: Yuan,
    pub allocation: Yuan,
    pub penalty: Yuan,
}

impl MonthlyRow {
    pub fn net(&self) -> Yuan {
        self.compensation + self.allocation + self.penalty
    }
}

pub fn monthly(rows: &[SettlementRow]) -> Vec<MonthlyRow> {
    let mut sums: BTreeMap<(String, &str, Product), [Yuan; 3]> = BTreeMap::new();
    for r in rows {
        let e = sums
            .entry((
                r.day.format("%Y-%m").to_string(),
                r.party.as_str(),
                r.product,
            ))
            .or_default();
        let slot = match r.item {
            Item::Compensation => 0,
            Item::Allocation => 1,
            Item::Penalty => 2,
        };
        e[slot] += r.amount;
    }
    sums.into_iter()
        .map(|((month, party, product), [c, a, p])| MonthlyRow {
            month,
            party: party.to_string(),
            product,
            compensation: c,
            allocation: a,
            penalty: p,
        })
        .collect()
}
