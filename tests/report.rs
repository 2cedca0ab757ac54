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

/// The network part of the report, from hand-made network outputs beside fr-basic's: the
/// spread of nodal prices, the binding lines and a zone's FR prices, every figure derived here.
#[test]
fn report_shows_nodal_spread_binding_lines_and_zonal_prices() {
    let s = ancillary::scenario::load(Path::new("scenarios/fr-basic")).unwrap();
    let r = ancillary::run::run(&s).unwrap();
    let mut files = ancillary::output::render(&s, &r);
    // Two intervals × three buses. 00:00 uncongested (all 300); 00:15 congested: 300, 350, 420,
    // so the widest spread is 420 − 300 = 120 yuan/MWh, at 00:15.
    files.insert(
        "nodal_prices.csv".into(),
        "time,bus,price,energy,congestion\n\
         2024-03-01T00:00,b1,300,300,0\n2024-03-01T00:00,b2,300,300,0\n2024-03-01T00:00,b3,300,300,0\n\
         2024-03-01T00:15,b1,300,300,0\n2024-03-01T00:15,b2,350,300,50\n2024-03-01T00:15,b3,420,300,120\n"
            .into(),
    );
    // Two lines; only L2 at 00:15 has a shadow price (−180): one interval with a binding line.
    files.insert(
        "flows.csv".into(),
        "time,line,flow_mw,limit_mw,shadow_price\n\
         2024-03-01T00:00,L1,40,100,0\n2024-03-01T00:00,L2,-60,100,0\n\
         2024-03-01T00:15,L1,70,100,0\n2024-03-01T00:15,L2,-100,100,-180\n"
            .into(),
    );
    // clearing.csv (its zone column after product): fr-basic's system-wide rows (zone empty)
    // and zone Z1's FR at its first two intervals, the second short by 5 MW.
    let mut zoned = String::from_utf8(files["clearing.csv"].clone()).unwrap();
    assert!(zoned.starts_with("time,product,zone,"), "{zoned}");
    zoned += "2024-03-01T00:00,fr,Z1,30,30,0,8,yuan/MW,C1,notice-196\n";
    zoned += "2024-03-01T00:15,fr,Z1,30,25,5,15,yuan/MW,,notice-196\n";
    files.insert("clearing.csv".into(), zoned.into_bytes());

    let html = ancillary::output::report::render(&files, None).unwrap();
    assert!(html.contains("Network: nodal prices, binding lines, zones"));
    assert!(html.contains(
        "Nodal prices at 3 buses: price = energy (the reference bus's) + congestion. 1 of 2 intervals have a spread across buses; the widest is 120 yuan/MWh at 2024-03-01T00:15 (from 300 to 420)."
    ), "{html}");
    assert!(html.contains("Nodal prices: spread across buses"));
    assert!(html.contains(
        "2 lines; 1 of 2 intervals have a binding line (a non-zero shadow price); 1 lines bind at some time."
    ));
    assert!(html.contains("<tr><td>2024-03-01T00:15</td><td>1</td><td>L2 (-180)</td></tr>"));
    assert!(html.contains("<tr><td>L2</td><td>1</td><td>180</td></tr>"));
    assert!(html.contains("调频: 1 zones; 1 zone-intervals short of the zone"));
    assert!(html.contains("调频: zonal prices"));
    // The product's own charts keep to the system-wide rows: fr-basic's four intervals.
    assert!(html.contains("<p>4 intervals; highest price"), "{html}");

    // Without network files, no network section.
    let plain = ancillary::output::render(&s, &r);
    let html = ancillary::output::report::render(&plain, None).unwrap();
    assert!(!html.contains("Network:"));
}

/// Issue 26: a table of contents linking every section; the CJK font list before the generic
/// family, in the page's style and in the plots' text; in each offer stack a marginal unit
/// marked once (its dearest accepted band), however many bands it cleared; money with
/// thousands separators; a column empty in every row (the lost-opportunity columns of a
/// non-spot month) left out.
#[test]
fn the_report_reads_well_anywhere() {
    for name in [
        "fr-basic",
        "peak-basic",
        "jiangsu-typical-day",
        "month-nonspot",
    ] {
        let s = ancillary::scenario::load(&Path::new("scenarios").join(name)).unwrap();
        let r = ancillary::run::run(&s).unwrap();
        let mut files = ancillary::output::render(&s, &r);
        ancillary::add_report(&s, &mut files).unwrap();
        let html = String::from_utf8(files["report.html"].clone()).unwrap();
        let sections = html.matches("<h2 id=\"s").count();
        assert!(sections >= 3, "{name}: {sections} sections");
        assert_eq!(
            html.matches("<h2>").count(),
            0,
            "{name}: a section without anchor"
        );
        for k in 1..=sections {
            assert!(
                html.contains(&format!("<li><a href=\"#s{k}\">")),
                "{name}: link {k}"
            );
        }
        assert!(html.contains("font-family:Noto Sans CJK SC, "), "{name}");
        assert!(
            html.contains("font-family=\"Noto Sans CJK SC, "),
            "{name}: plots"
        );
        for svg in html.split("<svg").skip(1) {
            let svg = &svg[..svg.find("</svg>").unwrap_or(svg.len())];
            let mut marked: Vec<&str> = svg
                .split("marginal: ")
                .skip(1)
                .map(|t| &t[..t.find('<').unwrap_or(t.len())])
                .collect();
            let n = marked.len();
            marked.sort_unstable();
            marked.dedup();
            assert_eq!(
                marked.len(),
                n,
                "{name}: a unit marked marginal twice: {marked:?}"
            );
        }
        if name == "month-nonspot" {
            assert!(!html.contains("lost opportunity, yuan"), "{name}");
            // C1's March FR compensation as statement_monthly.csv has it, grouped by
            // thousands (read from the file, so that the check does not hold a fee).
            let monthly = String::from_utf8(files["statement_monthly.csv"].clone()).unwrap();
            let c1 = monthly
                .lines()
                .find(|l| l.starts_with("2024-03,C1,fr,"))
                .unwrap();
            let fee = c1.split(',').nth(3).unwrap();
            let (int, fen) = fee.split_once('.').unwrap();
            assert!(int.len() > 6, "{fee}: a fee of millions");
            let grouped = format!(
                "{},{},{}.{fen}",
                &int[..int.len() - 6],
                &int[int.len() - 6..int.len() - 3],
                &int[int.len() - 3..]
            );
            assert!(
                html.contains(&format!("<td>{grouped}</td>")),
                "{name}: {grouped}"
            );
        }
    }
}
