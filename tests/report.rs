//! The HTML report, `ancillary new`, and the report's browser check (scripts/).

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ancillary"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn every_shipped_scenario_reports_its_plots() {
    for name in [
        "fr-basic",
        "peak-basic",
        "reserve-basic",
        "jiangsu-typical-day",
        "joint-spot-day",
    ] {
        let s = ancillary::scenario::load(&Path::new("scenarios").join(name)).unwrap();
        let r = ancillary::run::run(&s).unwrap();
        let mut files = ancillary::output::render(&s, &r);
        ancillary::add_report(&s, &mut files).unwrap();
        let html = String::from_utf8(files["report.html"].clone()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        // Self-contained: no scripts, stylesheets or images fetched from anywhere (the SVG
        // namespace URI is a name, not a fetch).
        for fetch in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "<link",
            "<script",
            "@import",
        ] {
            assert!(!html.contains(fetch), "{name}: {fetch}");
        }
        // Settings and digest tie it to its inputs; the audit is in it.
        assert!(html.contains(&s.input_digest), "{name}");
        assert!(html.contains("Audit against notice 196"), "{name}");
        // Per product: price, quantities and the offer stack.
        for (product, title) in [("fr", "调频"), ("peak", "调峰"), ("reserve", "备用")] {
            let present = r.clearing.iter().any(|c| c.product.as_str() == product);
            assert_eq!(
                html.contains(&format!("{title}: clearing price")),
                present,
                "{name} {product}"
            );
            assert_eq!(
                html.contains(&format!("{title}: offer stack (merit order) at")),
                present,
                "{name} {product}"
            );
        }
        let svgs = html.matches("<svg").count();
        assert!(svgs >= 3, "{name}: {svgs} plots");
    }
}

#[test]
fn offer_stack_at_the_highest_price_interval_by_default() {
    // fr-basic's highest FR price is 15 at 00:45 (the shortfall); --at picks another.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    assert!(
        bin()
            .args([
                "run",
                "scenarios/fr-basic",
                "--out",
                out.to_str().unwrap(),
                "--report"
            ])
            .output()
            .unwrap()
            .status
            .success()
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("offer stack (merit order) at 2024-03-01T00:45"));
    let page = tmp.path().join("at.html");
    let o = bin()
        .args([
            "report",
            out.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
            "--at",
            "2024-03-01T00:15",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("offer stack (merit order) at 2024-03-01T00:15"));
    // The marginal offers of 00:15 (the tie C1, CS1 at 6) are marked.
    assert!(html.contains("marginal: C1") && html.contains("marginal: CS1"));
    let o = bin()
        .args(["report", out.to_str().unwrap(), "--at", "2030-01-01T00:00"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn new_scaffolds_run_as_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    for spot in ["none", "continuous"] {
        let dir = tmp.path().join(format!("s-{spot}"));
        let o = bin()
            .args([
                "new",
                dir.to_str().unwrap(),
                "--spot",
                spot,
                "--province",
                // Guangdong's spot market runs continuously (data/spot_markets.csv), so a
                // scaffold without spot there fails the audit's spot-status check.
                if spot == "none" {
                    "Jiangsu"
                } else {
                    "Guangdong"
                },
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for f in [
            "scenario.toml",
            "units.csv",
            "requirements.csv",
            "fr_offers.csv",
            "fr_performance.csv",
            "fr_mileage.csv",
            "reserve_offers.csv",
            "actuals.csv",
            "metering.csv",
            "README.md",
        ] {
            assert!(dir.join(f).is_file(), "{spot}: {f}");
        }
        assert_eq!(dir.join("peak_offers.csv").is_file(), spot == "none");
        assert_eq!(
            dir.join("energy_offers.csv").is_file(),
            spot == "continuous"
        );
        let out = tmp.path().join(format!("o-{spot}"));
        let o = bin()
            .args(["run", dir.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{spot}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // And it passes the audit.
        let o = bin()
            .args(["audit", dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{spot}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        // Refuses a folder that is not empty.
        assert_eq!(
            bin()
                .args(["new", dir.to_str().unwrap()])
                .output()
                .unwrap()
                .status
                .code(),
            Some(2)
        );
    }
}
