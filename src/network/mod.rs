//! DC power flow on a scenario's network: the matrices that turn bus injections into line
//! flows. The network itself (buses, lines, zones, bus loads) is scenario data, read and
//! checked in [`crate::scenario::network`]; this module only computes from it.
//!
//! ```
//! use ancillary::network::Ptdf;
//! // Two buses joined by one line: all of an injection at bus 1, withdrawn at bus 0 (the
//! // reference), flows on it, against the line's direction 0 → 1.
//! let ptdf = Ptdf::from_branches(2, 0, &[(0, 1, 0.1)]).unwrap();
//! assert_eq!(ptdf.get(0, 1), -1.0);
//! ```

pub mod ptdf;

pub use ptdf::Ptdf;
