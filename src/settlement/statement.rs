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
    /// Of `compensation` and `allocation`, the lost-opportunity part (§五(八)), where split.
    pub compensation_lost: Option<Yuan>,
    pub allocation_lost: Option<Yuan>,
}

impl MonthlyRow {
    pub fn net(&self) -> Yuan {
        self.compensation + self.allocation + self.penalty
    }
}

pub fn monthly(rows: &[SettlementRow]) -> Vec<MonthlyRow> {
    #[derive(Default)]
    struct Sums {
        items: [Yuan; 3],
        lost: [Option<Yuan>; 2],
    }
    let mut sums: BTreeMap<(String, &str, Product), Sums> = BTreeMap::new();
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
        e.items[slot] += r.amount;
        if let Some(l) = r.lost_opportunity
            && slot < 2
        {
            *e.lost[slot].get_or_insert(Yuan::ZERO) += l;
        }
    }
    sums.into_iter()
        .map(|((month, party, product), s)| MonthlyRow {
            month,
            party: party.to_string(),
            product,
            compensation: s.items[0],
            allocation: s.items[1],
            penalty: s.items[2],
            compensation_lost: s.lost[0],
            allocation_lost: s.lost[1],
        })
        .collect()
}
