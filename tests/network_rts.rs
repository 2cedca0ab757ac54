//! The RTS-GMLC network (73 buses, 120 AC branches) through the scenario contract: buses.csv
//! and lines.csv written here from NREL's raw `bus.csv` and `branch.csv`, loaded, and its
//! PTDF checked by properties that hold for any DC network and against an independent
//! computation.

mod common;
use std::collections::BTreeMap;

use ancillary::network::Ptdf;
use ancillary::scenario::Network;
use common::*;
use ndarray::Array1;

const RAW: &str = "data/rts-gmlc/SourceData";

/// The raw file's rows as maps from header to cell.
fn raw(name: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(format!("{RAW}/{name}")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// What an importer writes: every bus in bus.csv order, its area as its zone; every AC
/// branch with its reactance (X, p.u. on 100 MVA) and its continuous rating as limit; each
/// bus's `MW Load` in every interval. The HVDC link (dc_branch.csv, 113 → 316) is no PTDF
/// branch: it is dispatched, not driven by angles.
fn rts_case() -> Case {
    let buses = raw("bus.csv");
    let mut buses_csv = String::from("bus,zone\n");
    let mut loads = String::from("time,bus,load_mw\n");
    for b in &buses {
        buses_csv += &format!("{},area{}\n", b["Bus ID"], b["Area"]);
        for t in [T0, T1, T2, T3] {
            loads += &format!("{t},{},{}\n", b["Bus ID"], b["MW Load"]);
        }
    }
    let mut lines_csv = String::from("line,from_bus,to_bus,reactance_pu,limit_mw\n");
    for l in raw("branch.csv") {
        lines_csv += &format!(
            "{},{},{},{},{}\n",
            l["UID"], l["From Bus"], l["To Bus"], l["X"], l["Cont Rating"]
        );
    }
    Case::new("")
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw,bus\n101_STEAM_3,RTS,coal,76,30,101\n",
        )
        .file(
            "requirements.csv",
            &format!("time\n{T0}\n{T1}\n{T2}\n{T3}\n"),
        )
        .file("buses.csv", &buses_csv)
        .file("lines.csv", &lines_csv)
        .file("bus_loads.csv", &loads)
}

fn rts() -> (Network, Ptdf) {
    let s = rts_case()
        .load()
        .expect("RTS-GMLC's network loads: no island");
    // Σ MW Load over bus.csv (awk): 8550 MW, now the system load of every interval.
    assert_eq!(s.requirements.by_interval[0].load_mw, Some(d("8550")));
    let n = s.network.unwrap();
    let ptdf = Ptdf::new(&n).unwrap();
    (n, ptdf)
}

#[test]
fn rts_network_loads_whole() {
    let (n, ptdf) = rts();
    assert_eq!((n.buses.len(), n.lines.len()), (73, 120));
    assert_eq!(n.zones, ["area1", "area2", "area3"]);
    assert_eq!(n.buses[n.reference].id, "101");
    assert_eq!((ptdf.lines(), ptdf.buses()), (120, 73));
    let ab1 = &n.lines[n.line("AB1").unwrap()];
    assert_eq!(ab1.limit_mw, Some(d("175")));
}

/// Kirchhoff's current law, checked without the matrix: for any injection, the flows leaving
/// each bus less those entering it (Aᵀ f) equal its injection, except that the reference bus
/// also takes whatever the injections leave unbalanced.
#[test]
fn flows_balance_at_every_bus() {
    let (n, ptdf) = rts();
    let gens = raw("gen.csv");
    let mut generation = vec![0.0; n.buses.len()];
    for g in &gens {
        let b = n.bus(&g["Bus ID"]).unwrap();
        generation[b] += g["MW Inj"].parse::<f64>().unwrap();
    }
    let load = n.loads.as_ref().unwrap().dense(0, n.buses.len());
    // gen.csv's injections are an AC solution with losses (8703.97 MW against 8550 MW of
    // load): scaled to the load, they balance it.
    let scale = load.iter().sum::<f64>() / generation.iter().sum::<f64>();
    let balanced: Array1<f64> = generation
        .iter()
        .zip(&load)
        .map(|(g, l)| g * scale - l)
        .collect();
    let unbalanced: Array1<f64> = generation.iter().zip(&load).map(|(g, l)| g - l).collect();
    for (p, slack) in [(&balanced, 0.0), (&unbalanced, 8703.97 - 8550.0)] {
        let f = ptdf.flows(p.view());
        let mut net_out = vec![0.0; n.buses.len()];
        for (l, line) in n.lines.iter().enumerate() {
            net_out[line.from] += f[l];
            net_out[line.to] -= f[l];
        }
        for (b, out) in net_out.iter().enumerate() {
            let expected = p[b] - if b == n.reference { slack } else { 0.0 };
            assert!(
                (out - expected).abs() < 1e-6,
                "bus {}: {out} out, {expected} injected",
                n.buses[b].id
            );
        }
        // And some line does carry flow: the check above is not 0 = 0.
        assert!(f.iter().any(|x| x.abs() > 100.0));
    }
}

#[test]
fn ptdf_has_the_properties_of_any_dc_network() {
    let (n, ptdf) = rts();
    let m = ptdf.matrix();
    // The reference bus's column is 0; a transfer between two buses puts at most all of
    // itself on any one line (potentials in a resistive network peak at the ends).
    assert!(m.column(n.reference).iter().all(|&v| v == 0.0));
    assert!(m.iter().all(|v| v.abs() <= 1.0 + 1e-12));
    // Bus 207 hangs on line B11 (207 → 208) alone: an injection there leaves whole over B11,
    // and one at 208 never crosses it.
    let b11 = n.line("B11").unwrap();
    let (b207, b208) = (n.bus("207").unwrap(), n.bus("208").unwrap());
    assert!((ptdf.get(b11, b207) - 1.0).abs() < 1e-12);
    assert!(ptdf.get(b11, b208).abs() < 1e-12);
    // A25-1 and A25-2 are twin lines 115 → 121 (same X): they carry the same share.
    let (a, b) = (n.line("A25-1").unwrap(), n.line("A25-2").unwrap());
    for k in 0..n.buses.len() {
        assert!((ptdf.get(a, k) - ptdf.get(b, k)).abs() < 1e-12);
    }
}

/// Against an independent computation: numpy 2.4 (Python 3.11), by the Moore–Penrose
/// pseudo-inverse of the full weighted Laplacian L = Aᵀ diag(1/X) A (no bus removed, SVD,
/// `np.linalg.pinv`), H = diag(1/X) A L⁺, and PTDF = H − H[:, ref] with ref = bus 101:
///
/// ```python
/// L = A.T @ np.diag(b) @ A; H = np.diag(b) @ A @ np.linalg.pinv(L)
/// P = H - H[:, [ref]]
/// P[CA-1, 301] = 0.5663008958400938; P[AB1, 301] = -0.11275746135729742
/// P[A1, 122] = -0.4139108375405604
/// ```
#[test]
fn ptdf_matches_numpy_pseudo_inverse() {
    let (n, ptdf) = rts();
    for (line, bus, numpy) in [
        ("CA-1", "301", 0.5663008958400938),
        ("AB1", "301", -0.11275746135729742),
        ("A1", "122", -0.4139108375405604),
    ] {
        let v = ptdf.get(n.line(line).unwrap(), n.bus(bus).unwrap());
        assert!((v - numpy).abs() < 1e-12, "{line} at {bus}: {v} vs {numpy}");
    }
}
