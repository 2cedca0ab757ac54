//! Clearing engines. They know nothing of the notice: they take bids with a ranking key and a
//! requirement and return who is accepted for how much. Prices, caps and eligibility are the
//! rules' business.

pub mod merit_order;
