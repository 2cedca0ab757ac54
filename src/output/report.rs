//! `ancillary report`: one self-contained HTML file for a finished run, with SVG plots drawn by
//! plotters and inlined (no network needed to open it). It reads the output folder's files, so
//! it reports on any run's outputs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{ErrorKind, InputError};

/// One record of an output CSV, by column name, with the line it came from. Indexing by a
/// column the file lacks gives "" (never a panic): [`records`] has already refused a file
/// without the columns the report needs, naming them.
struct Row {
    cells: BTreeMap<String, String>,
    /// Parsed numeric cells (see [`records`]); absent or empty cells are not here.
    numbers: BTreeMap<String, f64>,
}

impl std::ops::Index<&str> for Row {
    type Output = String;
    fn index(&self, column: &str) -> &String {
        static EMPTY: String = String::new();
        self.cells.get(column).unwrap_or(&EMPTY)
    }
}

impl Row {
    fn get(&self, column: &str) -> Option<&String> {
        self.cells.get(column)
    }
}

/// The largest magnitude a number in an output file may have: above anything a run writes
/// (a decimal holds 7.9e28), and small enough that chart axes stay finite and ordered.
const MAX_ABS: f64 = 1e30;

/// Rows of one CSV output (none when the file is absent): the header must hold `required`
/// (exact names), and every non-empty cell of `numeric` columns must be a finite number within
/// ±[`MAX_ABS`]. Errors name the file, the line (the header is line 1) and the column.
fn records(
    files: &BTreeMap<String, Vec<u8>>,
    name: &str,
    required: &[&str],
    numeric: &[&str],
) -> Result<Vec<Row>, InputError> {
    let Some(bytes) = files.get(name) else {
        return Ok(Vec::new());
    };
    let unreadable = |line: Option<u64>, e: &csv::Error| {
        let err = InputError::new(
            ErrorKind::Unreadable,
            name,
            format!("is not valid CSV: {e}"),
        );
        match line {
            Some(l) => err.at_line(l),
            None => err,
        }
    };
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| unreadable(Some(1), &e))?
        .iter()
        .map(String::from)
        .collect();
    for c in required {
        if !header.iter().any(|h| h == c) {
            return Err(InputError::new(
                ErrorKind::MissingColumn,
                name,
                "the report needs this column; is the folder an ancillary output?",
            )
            .at_line(1)
            .at_column(*c));
        }
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| unreadable(e.position().map(|p| p.line()), &e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cells: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(rec.iter().map(String::from))
            .collect();
        let mut numbers = BTreeMap::new();
        for c in numeric {
            let Some(text) = cells.get(*c).filter(|t| !t.is_empty()) else {
                continue;
            };
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v.abs() <= MAX_ABS => {
                    numbers.insert(c.to_string(), v);
                }
                _ => {
                    return Err(InputError::new(
                        ErrorKind::Invalid,
                        name,
                        format!("must be a finite number within ±{MAX_ABS:e}, got {text:?}"),
                    )
                    .at_line(line)
                    .at_column(*c));
                }
            }
        }
        out.push(Row { cells, numbers });
    }
    Ok(out)
}
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A numeric cell, checked by [`records`]; 0 where it is empty or not a numeric column.
fn num(row: &Row, column: &str) -> f64 {
    row.numbers.get(column).copied().unwrap_or(0.0)
}

const PRODUCTS: [(&str, &str); 4] = [
    ("fr", "Frequency regulation 调频"),
    ("peak", "Peak regulation 调峰"),
    ("reserve", "Reserve 备用"),
    ("energy", "Energy 电能量"),
];

/// The fonts text is drawn in, first found first: CJK fonts of Linux, Windows and macOS before
/// the generic family, so that the Chinese terms (the audit's clauses among them) render
/// wherever one is installed.
const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, Hiragino Sans GB, sans-serif";

/// Draws with plotters into an SVG string.
fn svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        if let Err(e) = root
            .fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| draw(root))
        {
            return format!("<p class=\"err\">plot failed: {}</p>", esc(&e));
        }
    }
    out
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    // Values are finite and within ±1e30 (checked on reading), so the range is finite; the pad
    // is relative to the values' size too, so that hi + pad > hi even at 1e30 (an empty axis
    // range makes the plotting library's tick search misbehave).
    let pad = ((hi - lo) * 0.08)
        .max(hi.abs().max(lo.abs()) * 1e-6)
        .max(1e-6);
    (lo, hi + pad)
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// A chart over the intervals of `rows`, each value held over its interval (a step: a price
/// or a quantity is one value from the interval's start to its end): `lines` are (label,
/// colour, stroke width, values), drawn in order; `cap` a dashed line; `marks` red points
/// (shortfalls) at the intervals' middles.
fn time_chart(
    title: &str,
    unit: &str,
    rows: &[&Row],
    lines: &[(&str, RGBColor, u32, Vec<f64>)],
    cap: Option<f64>,
    marks: &[(usize, f64)],
) -> String {
    let times: Vec<String> = rows.iter().map(|r| r["time"].replace('T', " ")).collect();
    let (lo, hi) = range(lines.iter().flat_map(|l| l.3.iter().copied()).chain(cap));
    // Headroom above the data for the legend, which sits in the upper right corner.
    let hi = hi + (hi - lo) * 0.35;
    svg(900, 260, |root| {
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n, lo..hi)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| times.get(*x as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc(unit)
            .draw()
            .map_err(e)?;
        for (label, color, width, values) in lines {
            let color = *color;
            chart
                .draw_series(LineSeries::new(
                    values
                        .iter()
                        .enumerate()
                        .flat_map(|(i, v)| [(i as f64, *v), (i as f64 + 1.0, *v)]),
                    color.stroke_width(*width),
                ))
                .map_err(e)?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        if let Some(cap) = cap {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, cap), (n, cap)],
                    6,
                    4,
                    RED.stroke_width(1),
                ))
                .map_err(e)?
                .label(format!("cap {cap}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        }
        if !marks.is_empty() {
            chart
                .draw_series(
                    marks
                        .iter()
                        .map(|(i, v)| Circle::new((*i as f64 + 0.5, *v), 4, RED.filled())),
                )
                .map_err(e)?
                .label("shortfall (priced at the cap)")
                .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)
    })
}

/// Price over time with the cap, shortfall intervals marked.
fn price_chart(title: &str, unit: &str, rows: &[&Row], cap: Option<f64>) -> String {
    let prices: Vec<f64> = rows.iter().map(|r| num(r, "price")).collect();
    let marks: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| num(r, "shortfall_mw") > 0.0)
        .map(|(i, r)| (i, num(r, "price")))
        .collect();
    time_chart(
        title,
        unit,
        rows,
        &[("clearing price", BLUE, 2, prices)],
        cap,
        &marks,
    )
}

/// Requirement and cleared MW over time.
fn quantity_chart(title: &str, rows: &[&Row]) -> String {
    let series = |c: &str| rows.iter().map(|r| num(r, c)).collect::<Vec<f64>>();
    time_chart(
        title,
        "MW",
        rows,
        // Cleared first and wide, the requirement over it and thin: where they agree (most
        // intervals) both stay visible.
        &[
            ("cleared", RGBColor(120, 200, 120), 5, series("cleared_mw")),
            ("requirement", BLACK, 1, series("requirement_mw")),
        ],
        None,
        &[],
    )
}

/// The offer stack (merit order) at one interval: each offer a block as wide as its MW at its
/// ranking price, cleared part filled, requirement and price marked.
fn stack_chart(
    title: &str,
    unit: &str,
    offers: &[&Row],
    requirement: f64,
    price: f64,
    marginal: &[&str],
) -> String {
    let mut offers: Vec<&Row> = offers.to_vec();
    offers.sort_by(|a, b| {
        num(a, "ranking_price")
            .total_cmp(&num(b, "ranking_price"))
            .then(a["unit"].cmp(&b["unit"]))
    });
    // An edited file may hold negative MW or cleared above offered: blocks are drawn clamped
    // to the axes (the plotting library's pixel arithmetic overflows far outside them).
    let total: f64 = offers.iter().map(|r| num(r, "offered_mw").max(0.0)).sum();
    let requirement = requirement.max(0.0);
    let (lo, hi) = range(
        offers
            .iter()
            .map(|r| num(r, "ranking_price"))
            .chain([price]),
    );
    svg(900, 320, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..(total.max(requirement) * 1.05).max(1.0), lo..hi)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("cumulative offered MW")
            .y_desc(unit)
            .draw()
            .map_err(e)?;
        let x_max = (total.max(requirement) * 1.05).max(1.0);
        // A marginal unit with several bands: only its dearest accepted band sets the price.
        let marginal_row: Vec<bool> = offers
            .iter()
            .enumerate()
            .map(|(i, r)| {
                marginal.contains(&r["unit"].as_str())
                    && num(r, "cleared_mw") > 0.0
                    && !offers[i + 1..]
                        .iter()
                        .any(|o| o["unit"] == r["unit"] && num(o, "cleared_mw") > 0.0)
            })
            .collect();
        let mut x = 0.0;
        for (r, &is_marginal) in offers.iter().zip(&marginal_row) {
            let mw = num(r, "offered_mw").clamp(0.0, x_max);
            let p = num(r, "ranking_price").clamp(lo, hi);
            let c = num(r, "cleared_mw").clamp(0.0, mw);
            let fill = if is_marginal {
                RGBColor(230, 120, 20)
            } else {
                RGBColor(70, 130, 180)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, lo), (x + mw, p)],
                    fill.mix(0.25).filled(),
                )))
                .map_err(e)?;
            if c > 0.0 {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, lo), (x + c, p)],
                        fill.filled(),
                    )))
                    .map_err(e)?;
            }
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, lo), (x + mw, p)],
                    BLACK.stroke_width(1),
                )))
                .map_err(e)?;
            if is_marginal {
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("marginal: {}", r["unit"]),
                        (x, p),
                        (FONT, 13),
                    )))
                    .map_err(e)?;
            }
            x += mw;
        }
        chart
            .draw_series(LineSeries::new(
                vec![(requirement, lo), (requirement, hi)],
                RED.stroke_width(2),
            ))
            .map_err(e)?
            .label(format!("requirement {requirement} MW"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, price), (total.max(requirement) * 1.05, price)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(e)?
            .label(format!("clearing price {price}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)
    })
}

/// Pixels a label takes at the charts' 12-pixel label font, estimated: CJK and other wide
/// characters about a font size, the rest about half of it and a bit.
fn label_px(s: &str) -> u32 {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 12 } else { 7 })
        .sum()
}

/// `s` cut to at most `max_px` pixels of label, with `…` where it was cut.
fn shorten(s: &str, max_px: u32) -> String {
    if label_px(s) <= max_px {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if label_px(&out) + label_px(&c.to_string()) + 12 > max_px {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The widest a bar label may be before it is shortened, pixels.
const BAR_LABEL_PX: u32 = 240;

/// Horizontal bars, largest at the top (at most 30), every bar labelled beside it, long names
/// shortened with `…` (the CSV files have them whole).
fn bar_chart(title: &str, unit: &str, mut bars: Vec<(String, f64)>) -> String {
    bars.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    bars.truncate(30);
    // Drawn bottom up: the largest last, at the top.
    bars.reverse();
    let labels: Vec<String> = bars
        .iter()
        .map(|(name, _)| shorten(name, BAR_LABEL_PX))
        .collect();
    let label_area = labels
        .iter()
        .map(|l| label_px(l))
        .max()
        .unwrap_or(0)
        .max(40)
        + 16;
    let (lo, hi) = range(bars.iter().map(|b| b.1).chain([0.0]));
    let height = (80 + 28 * bars.len().max(1) as u32).max(220);
    svg(900, height, |root| {
        let n = bars.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(label_area)
            .build_cartesian_2d(lo..hi, 0f64..n as f64)
            .map_err(e)?;
        // The axis draws no labels of its own (it picks "nice" ticks, which skip bars); each
        // bar's label is drawn at the middle of its bar, right-aligned against the axis.
        chart
            .configure_mesh()
            .y_labels(0)
            .x_label_formatter(&|v| axis_number(*v))
            .x_desc(unit)
            .disable_y_mesh()
            .draw()
            .map_err(e)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let color = if *v >= 0.0 {
                    RGBColor(70, 130, 180)
                } else {
                    RGBColor(200, 80, 60)
                };
                Rectangle::new(
                    [(0.0, i as f64 + 0.15), (*v, i as f64 + 0.85)],
                    color.filled(),
                )
            }))
            .map_err(e)?;
        let style = TextStyle::from((FONT, 12).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let (x_pixels, _) = chart.plotting_area().get_pixel_range();
        for (i, label) in labels.iter().enumerate() {
            let (_, y) = chart.backend_coord(&(lo, i as f64 + 0.5));
            root.draw(&Text::new(
                label.clone(),
                (x_pixels.start - 6, y),
                style.clone(),
            ))
            .map_err(e)?;
        }
        root.present().map_err(e)
    })
}

/// FR offers that plot at the same point (same offer and ranking price), numbered in ranking
/// order: the scatter labels each point with its number and the table beside it names the
/// units, so no two labels fall on one another.
struct RankingPoint {
    offer: f64,
    ranking: f64,
    k: String,
    units: Vec<String>,
}

fn ranking_points(offers: &[&Row]) -> Vec<RankingPoint> {
    let mut points: Vec<RankingPoint> = Vec::new();
    for r in offers {
        let (offer, ranking) = (num(r, "offer_price"), num(r, "ranking_price"));
        match points
            .iter_mut()
            .find(|p| p.offer == offer && p.ranking == ranking)
        {
            Some(p) => p.units.push(r["unit"].clone()),
            None => points.push(RankingPoint {
                offer,
                ranking,
                k: r["performance_factor"].clone(),
                units: vec![r["unit"].clone()],
            }),
        }
    }
    for p in &mut points {
        p.units.sort();
    }
    points.sort_by(|a, b| {
        a.ranking
            .total_cmp(&b.ranking)
            .then(a.offer.total_cmp(&b.offer))
            .then(a.units.cmp(&b.units))
    });
    points
}

/// Where each label goes: the first of rings of places around its point, nearest first, that
/// overlaps no label placed before it and no point (pixel boxes), else the first place. Also
/// whether the place is off the nearest ring (the label then gets a line to its point).
fn place_labels(
    points: &[(i32, i32)],
    widths: &[i32],
    area: (i32, i32, i32, i32),
) -> Vec<((i32, i32), bool)> {
    const H: i32 = 12;
    let overlaps = |a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    let marks: Vec<(i32, i32, i32, i32)> = points
        .iter()
        .map(|&(x, y)| (x - 5, y - 5, x + 5, y + 5))
        .collect();
    let mut taken: Vec<(i32, i32, i32, i32)> = Vec::new();
    let mut places = Vec::new();
    for (&(x, y), &w) in points.iter().zip(widths) {
        let mut candidates = Vec::new();
        for d in [1, 2, 3, 4] {
            let r = 7 * d;
            candidates.extend([
                (x + r, y - H / 2),
                (x - r - w, y - H / 2),
                (x - w / 2, y - r - H),
                (x - w / 2, y + r),
                (x + r, y - r - H / 2),
                (x + r, y + r - H / 2),
                (x - r - w, y - r - H / 2),
                (x - r - w, y + r - H / 2),
            ]);
        }
        let boxed = |(cx, cy): (i32, i32)| (cx, cy, cx + w, cy + H);
        let inside = |b: (i32, i32, i32, i32)| {
            b.0 >= area.0 && b.1 >= area.1 && b.2 <= area.2 && b.3 <= area.3
        };
        let (k, chosen) = candidates
            .iter()
            .copied()
            .enumerate()
            .find(|&(_, c)| {
                let b = boxed(c);
                inside(b)
                    && !taken.iter().any(|&t| overlaps(b, t))
                    && !marks.iter().any(|&m| overlaps(b, m))
            })
            .unwrap_or((0, candidates[0]));
        taken.push(boxed(chosen));
        places.push((chosen, k >= 8));
    }
    places
}

/// Offer price against ranking price for FR (offer / K moves units along the diagonal), each
/// point numbered, beside a table of the numbers' units.
fn ranking_chart(offers: &[&Row]) -> String {
    let points = ranking_points(offers);
    let (lo, hi) = range(points.iter().flat_map(|p| [p.offer, p.ranking]));
    let plot = svg(560, 400, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "FR 调频: ranking price (offer / K) against offer price",
                (FONT, 14),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("offer price, yuan/MW")
            .y_desc("ranking price, yuan/MW")
            .draw()
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(vec![(lo, lo), (hi, hi)], BLACK.mix(0.4)))
            .map_err(e)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.offer, p.ranking), 4, BLUE.filled())),
            )
            .map_err(e)?;
        let pixels: Vec<(i32, i32)> = points
            .iter()
            .map(|p| chart.backend_coord(&(p.offer, p.ranking)))
            .collect();
        let numbers: Vec<String> = (1..=points.len()).map(|i| i.to_string()).collect();
        let widths: Vec<i32> = numbers.iter().map(|n| label_px(n) as i32).collect();
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let places = place_labels(&pixels, &widths, (xs.start, ys.start, xs.end, ys.end));
        for ((number, ((x, y), far)), (&(px, py), &w)) in
            numbers.iter().zip(places).zip(pixels.iter().zip(&widths))
        {
            if far {
                let (cx, cy) = (x + w / 2, y + 6);
                root.draw(&PathElement::new(
                    vec![(px, py), (cx, cy)],
                    BLACK.mix(0.35).stroke_width(1),
                ))
                .map_err(e)?;
            }
            root.draw(&Text::new(
                number.clone(),
                (x, y),
                (FONT, 12).into_font().color(&BLACK),
            ))
            .map_err(e)?;
        }
        root.present().map_err(e)
    });
    let mut out = format!("<div class=\"side\">{plot}");
    table(
        &mut out,
        &["#", "units", "offer, yuan/MW", "K", "ranking, yuan/MW"],
        points.iter().enumerate().map(|(i, p)| {
            vec![
                (i + 1).to_string(),
                p.units.join(", "),
                p.offer.to_string(),
                p.k.clone(),
                p.ranking.to_string(),
            ]
        }),
        usize::MAX,
    );
    out.push_str("</div>");
    out
}

/// A table of at most `limit` rows (a note counts the rest). A column empty in every row
/// shown is left out (the lost-opportunity columns of a run without joint clearing, say).
/// Money cells (headers in yuan) get thousands separators.
fn table(out: &mut String, header: &[&str], rows: impl Iterator<Item = Vec<String>>, limit: usize) {
    let mut shown: Vec<Vec<String>> = Vec::new();
    let mut more = 0;
    for r in rows {
        if shown.len() >= limit {
            more += 1;
            continue;
        }
        shown.push(r);
    }
    let keep: Vec<bool> = (0..header.len())
        .map(|k| {
            shown.is_empty()
                || shown
                    .iter()
                    .any(|r| r.get(k).is_some_and(|c| !c.is_empty()))
        })
        .collect();
    let money: Vec<bool> = header.iter().map(|h| h.ends_with("yuan")).collect();
    out.push_str("<table><tr>");
    for (h, _) in header.iter().zip(&keep).filter(|(_, k)| **k) {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>");
    for r in &shown {
        out.push_str("<tr>");
        for (k, c) in r.iter().enumerate() {
            if !keep.get(k).copied().unwrap_or(true) {
                continue;
            }
            let c = if money.get(k).copied().unwrap_or(false) {
                thousands(c)
            } else {
                c.clone()
            };
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    if more > 0 {
        let _ = write!(
            out,
            "<p class=\"note\">… and {more} more rows in the CSV file.</p>"
        );
    }
}

/// A decimal number as written in the CSV files, with a comma between thousands
/// (`-2521798.23` → `-2,521,798.23`); anything else as it is. The CLI's totals use it too.
pub fn thousands(number: &str) -> String {
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return number.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An axis value with thousands separators and no needless decimals: 500000 → `500,000`,
/// 12.5 → `12.5`.
fn axis_number(v: f64) -> String {
    let text = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        let t = format!("{v:.2}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    thousands(&text)
}

/// Rows grouped by their `time`, in time order (ISO times sort as text).
fn by_time(rows: &[Row]) -> BTreeMap<&str, Vec<&Row>> {
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        groups.entry(r["time"].as_str()).or_default().push(r);
    }
    groups
}

const ZONE_COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];

/// The network: the spread of nodal prices across buses per interval, the lines that bind
/// (a non-zero shadow price), and each zone's FR and reserve prices beside the system's.
/// Nothing where the run had no network.
fn network_section(h: &mut String, clearing: &[Row], nodal: &[Row], flows: &[Row]) {
    let zonal: Vec<&Row> = clearing.iter().filter(|r| !r["zone"].is_empty()).collect();
    if nodal.is_empty() && flows.is_empty() && zonal.is_empty() {
        return;
    }
    h.push_str("<h2>Network: nodal prices, binding lines, zones</h2>");
    if !nodal.is_empty() {
        let groups = by_time(nodal);
        let first: Vec<&Row> = groups.values().map(|g| g[0]).collect();
        let stat = |f: fn(f64, f64) -> f64, start: f64| -> Vec<f64> {
            groups
                .values()
                .map(|g| g.iter().map(|r| num(r, "price")).fold(start, f))
                .collect()
        };
        let (lo, hi) = (stat(f64::min, f64::MAX), stat(f64::max, f64::MIN));
        let energy: Vec<f64> = first.iter().map(|r| num(r, "energy")).collect();
        let (widest, spread) =
            lo.iter()
                .zip(&hi)
                .map(|(a, b)| b - a)
                .enumerate()
                .fold(
                    (0, 0.0),
                    |best, (i, d)| if d > best.1 { (i, d) } else { best },
                );
        let congested = lo.iter().zip(&hi).filter(|(a, b)| *b - *a > 0.0).count();
        let _ = write!(
            h,
            "<p>Nodal prices at {} buses: price = energy (the reference bus's) + congestion. {congested} of {} intervals have a spread across buses; the widest is {} yuan/MWh at {} (from {} to {}).</p>",
            groups.values().next().map_or(0, Vec::len),
            groups.len(),
            round4(spread),
            esc(first.get(widest).map_or("", |r| r["time"].as_str())),
            lo.get(widest).copied().map_or(0.0, round4),
            hi.get(widest).copied().map_or(0.0, round4),
        );
        h.push_str(&time_chart(
            "Nodal prices: spread across buses",
            "yuan/MWh",
            &first,
            &[
                ("highest bus", RED, 2, hi),
                ("energy (reference bus)", BLUE, 2, energy),
                ("lowest bus", GREEN, 2, lo),
            ],
            None,
            &[],
        ));
    }
    if !flows.is_empty() {
        let groups = by_time(flows);
        let binding = |r: &Row| num(r, "shadow_price") != 0.0;
        // Per line over the run: intervals binding, and the largest shadow price.
        let mut lines: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for r in flows.iter().filter(|r| binding(r)) {
            let e = lines.entry(r["line"].as_str()).or_default();
            e.0 += 1;
            e.1 = e.1.max(num(r, "shadow_price").abs());
        }
        let with = groups
            .values()
            .filter(|g| g.iter().any(|r| binding(r)))
            .count();
        let _ = write!(
            h,
            "<p>{} lines; {with} of {} intervals have a binding line (a non-zero shadow price); {} lines bind at some time.</p>",
            groups.values().next().map_or(0, Vec::len),
            groups.len(),
            lines.len()
        );
        table(
            h,
            &["time", "binding lines", "lines (shadow price, yuan/MWh)"],
            groups.iter().filter_map(|(t, g)| {
                let bind: Vec<String> = g
                    .iter()
                    .filter(|r| binding(r))
                    .map(|r| format!("{} ({})", r["line"], r["shadow_price"]))
                    .collect();
                (!bind.is_empty())
                    .then(|| vec![t.to_string(), bind.len().to_string(), bind.join(", ")])
            }),
            200,
        );
        if !lines.is_empty() {
            let mut ranked: Vec<(&str, (usize, f64))> = lines.into_iter().collect();
            ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
            table(
                h,
                &[
                    "line",
                    "intervals binding",
                    "largest |shadow price|, yuan/MWh",
                ],
                ranked.into_iter().map(|(l, (n, top))| {
                    vec![l.to_string(), n.to_string(), round4(top).to_string()]
                }),
                50,
            );
        }
    }
    for (product, name) in PRODUCTS {
        let rows: Vec<&Row> = zonal
            .iter()
            .copied()
            .filter(|r| r["product"] == product)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let system: Vec<&Row> = clearing
            .iter()
            .filter(|r| r["product"] == product && r["zone"].is_empty())
            .collect();
        let mut zones: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for r in &rows {
            zones.entry(r["zone"].as_str()).or_default().push(r);
        }
        let unit = rows[0].get("price_unit").cloned().unwrap_or_default();
        let mut series: Vec<(String, RGBColor, Vec<f64>)> = Vec::new();
        if !system.is_empty() {
            series.push((
                "system".to_string(),
                BLACK,
                system.iter().map(|r| num(r, "price")).collect(),
            ));
        }
        for (k, (zone, zrows)) in zones.iter().enumerate() {
            series.push((
                format!("zone {zone}"),
                ZONE_COLOURS[k % ZONE_COLOURS.len()],
                zrows.iter().map(|r| num(r, "price")).collect(),
            ));
        }
        let short = rows.iter().filter(|r| num(r, "shortfall_mw") > 0.0).count();
        let _ = write!(
            h,
            "<p>{}: {} zones; {short} zone-intervals short of the zone's minimum (priced at the cap).</p>",
            esc(name),
            zones.len()
        );
        let labelled: Vec<(&str, RGBColor, u32, Vec<f64>)> = series
            .iter()
            .map(|(l, c, v)| (l.as_str(), *c, 2, v.clone()))
            .collect();
        let axis = if system.is_empty() {
            zones.values().next().cloned().unwrap_or_default()
        } else {
            system
        };
        h.push_str(&time_chart(
            &format!("{name}: zonal prices"),
            &unit,
            &axis,
            &labelled,
            None,
            &[],
        ));
    }
}

/// Rounds to 4 places, as prices are written.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The report for an output folder's files. `at` picks the interval of the offer stacks
/// (default: each product's highest-price interval).
pub fn render(files: &BTreeMap<String, Vec<u8>>, at: Option<&str>) -> Result<String, InputError> {
    let summary: serde_json::Value = files
        .get("summary.json")
        .ok_or_else(|| {
            InputError::new(
                ErrorKind::MissingFile,
                "summary.json",
                "the folder has no summary.json: is it an ancillary output?",
            )
        })
        .and_then(|b| {
            serde_json::from_slice(b).map_err(|e| {
                InputError::new(
                    ErrorKind::Unreadable,
                    "summary.json",
                    format!("is not valid JSON: {e}"),
                )
            })
        })?;
    // The columns each part of the report reads, and which of them are numbers.
    let clearing = records(
        files,
        "clearing.csv",
        // The columns the report draws: clearing.csv's first six.
        &crate::output::CLEARING.1[..6],
        &["requirement_mw", "cleared_mw", "shortfall_mw", "price"],
    )?;
    let awards = records(
        files,
        "awards.csv",
        // The columns the report draws: awards.csv's first seven.
        &crate::output::AWARDS.1[..7],
        &["offered_mw", "cleared_mw", "offer_price", "ranking_price"],
    )?;
    let settlement = records(
        files,
        "settlement.csv",
        &["party", "product", "item", "amount_yuan"],
        &["amount_yuan"],
    )?;
    let monthly = records(
        files,
        "statement_monthly.csv",
        super::STATEMENT_MONTHLY.1,
        &[],
    )?;
    let factors = records(
        files,
        "performance_factors.csv",
        &["day", "unit", "performance_factor"],
        &["performance_factor"],
    )?;
    let power = records(files, "market_power.csv", super::MARKET_POWER.1, &[])?;
    // The network's outputs (present only where the scenario has a network).
    let nodal = records(
        files,
        "nodal_prices.csv",
        &["time", "bus", "price", "energy", "congestion"],
        &["price", "energy", "congestion"],
    )?;
    let flows = records(
        files,
        "flows.csv",
        &["time", "line", "flow_mw", "limit_mw", "shadow_price"],
        &["flow_mw", "limit_mw", "shadow_price"],
    )?;
    let audit = records(
        files,
        "audit.csv",
        &["clause", "rule", "status", "detail"],
        &[],
    )?;
    if let Some(t) = at
        && !clearing.iter().any(|r| r["time"] == t)
    {
        return Err(InputError::new(
            ErrorKind::Invalid,
            "clearing.csv",
            format!("has no interval {t} (--at)"),
        ));
    }
    let s = |path: &[&str]| {
        let mut v = &summary;
        for p in path {
            v = &v[*p];
        }
        match v {
            serde_json::Value::String(x) => x.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    };
    let cap = |product: &str| -> Option<f64> {
        let key = match product {
            "fr" => "fr_mileage_price_yuan_per_mw",
            "peak" => "peak_price_yuan_per_mwh",
            "reserve" => "reserve_price_yuan_per_mwh",
            _ => "energy_market_price_cap_yuan_per_mwh",
        };
        s(&["caps", key]).parse().ok()
    };

    let mut h = String::new();
    let title = format!("ancillary report: {}", s(&["scenario", "name"]));
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:{FONT};margin:24px;max-width:1000px;color:#222}}\
         table{{border-collapse:collapse;margin:8px 0;font-size:13px}}td,th{{border:1px solid #bbb;padding:3px 8px;text-align:right}}\
         th{{background:#eee}}td:first-child{{text-align:left}}.fail{{background:#fdd}}.pass{{background:#efe}}\
         .note{{color:#666;font-size:13px}}.side{{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}}h2{{border-bottom:2px solid #4682b4;padding-bottom:4px;margin-top:36px}}</style></head><body>",
        esc(&title)
    );
    let _ = write!(h, "<h1>{}</h1>", esc(&title));
    let _ = write!(
        h,
        "<p>Ancillary services under notice 196 (发改价格〔2024〕196号): peak regulation 调峰, frequency regulation 调频, reserve 备用.</p>{CONTENTS}"
    );

    // Settings and digest: what ties the report to its inputs.
    h.push_str("<h2>Scenario and settings</h2>");
    let settings = [
        ("scenario", s(&["scenario", "name"])),
        ("province", s(&["scenario", "province"])),
        ("spot market", s(&["scenario", "spot_market"])),
        ("start", s(&["scenario", "start"])),
        (
            "intervals",
            format!(
                "{} × {} min",
                s(&["scenario", "intervals"]),
                s(&["scenario", "interval_minutes"])
            ),
        ),
        ("engine", s(&["engine"])),
        ("rules", s(&["rules"])),
        ("basis", s(&["basis"])),
        (
            "FR mileage price cap",
            format!("{} yuan/MW", s(&["caps", "fr_mileage_price_yuan_per_mw"])),
        ),
        ("performance factor cap", s(&["caps", "performance_factor"])),
        (
            "peak price cap",
            format!("{} yuan/MWh", s(&["caps", "peak_price_yuan_per_mwh"])),
        ),
        (
            "reserve price cap",
            format!("{} yuan/MWh", s(&["caps", "reserve_price_yuan_per_mwh"])),
        ),
        (
            "energy-market cap",
            format!(
                "{} yuan/MWh",
                s(&["caps", "energy_market_price_cap_yuan_per_mwh"])
            ),
        ),
        (
            "FR benchmark",
            if s(&["fr_benchmark", "source"]).is_empty() {
                "none (no FR market)".to_string()
            } else {
                format!(
                    "{} ({} %/min, {} %, {} s)",
                    s(&["fr_benchmark", "source"]),
                    s(&["fr_benchmark", "rate_pct_per_min"]),
                    s(&["fr_benchmark", "precision_pct"]),
                    s(&["fr_benchmark", "response_s"])
                )
            },
        ),
        ("input digest", s(&["input_digest"])),
        ("program", format!("ancillary {}", s(&["version"]))),
    ];
    table(
        &mut h,
        &["setting", "value"],
        settings.iter().map(|(k, v)| vec![k.to_string(), v.clone()]),
        100,
    );

    // Audit, failures first.
    if !audit.is_empty() {
        h.push_str("<h2>Audit against notice 196</h2>");
        let mut rows: Vec<&Row> = audit.iter().collect();
        rows.sort_by_key(|r| match r["status"].as_str() {
            "fail" => 0,
            "pass" => 1,
            _ => 2,
        });
        h.push_str("<table><tr><th>clause</th><th>status</th><th>rule</th><th>detail</th></tr>");
        for r in rows {
            let class = if r["status"] == "fail" {
                "fail"
            } else if r["status"] == "pass" {
                "pass"
            } else {
                ""
            };
            let _ = write!(
                h,
                "<tr class=\"{class}\"><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&r["clause"]),
                esc(&r["status"]),
                esc(&r["rule"]),
                esc(&r["detail"])
            );
        }
        h.push_str("</table>");
    }

    for (product, name) in PRODUCTS {
        // System-wide rows; a zone's rows (network scenarios) are drawn under "Network".
        let rows: Vec<&Row> = clearing
            .iter()
            .filter(|r| r["product"] == product && r["zone"].is_empty())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let unit = rows[0].get("price_unit").cloned().unwrap_or_default();
        let _ = write!(h, "<h2>{}</h2>", esc(name));
        let short = rows.iter().filter(|r| num(r, "shortfall_mw") > 0.0).count();
        let max = rows
            .iter()
            .map(|r| num(r, "price"))
            .fold(f64::MIN, f64::max);
        let _ = write!(
            h,
            "<p>{} intervals; highest price {max} {}; {short} intervals short of the requirement (priced at the cap).</p>",
            rows.len(),
            esc(&unit)
        );
        h.push_str(&price_chart(
            &format!("{name}: clearing price"),
            &unit,
            &rows,
            cap(product),
        ));
        h.push_str(&quantity_chart(
            &format!("{name}: requirement and cleared MW"),
            &rows,
        ));
        // The offer stack at the chosen interval.
        let chosen = match at {
            Some(t) => rows.iter().find(|r| r["time"] == t).copied(),
            None => rows.iter().copied().max_by(|a, b| {
                num(a, "price")
                    .total_cmp(&num(b, "price"))
                    .then(b["time"].cmp(&a["time"]))
            }),
        };
        if let Some(row) = chosen {
            let offers: Vec<&Row> = awards
                .iter()
                .filter(|a| a["product"] == product && a["time"] == row["time"])
                .collect();
            let marginal: Vec<&str> = row["marginal_unit"].split(';').collect();
            h.push_str(&stack_chart(
                &format!("{name}: offer stack (merit order) at {}", row["time"]),
                &unit,
                &offers,
                num(row, "requirement_mw"),
                num(row, "price"),
                &marginal,
            ));
            if product == "fr" {
                let mut seen = std::collections::HashSet::new();
                let unique: Vec<&Row> = offers
                    .iter()
                    .copied()
                    .filter(|r| seen.insert(r["unit"].clone()))
                    .collect();
                h.push_str(&ranking_chart(&unique));
            }
        }
        if product == "fr" && !factors.is_empty() {
            let day = factors[0]["day"].clone();
            let bars = factors
                .iter()
                .filter(|f| f["day"] == day)
                .map(|f| (f["unit"].clone(), num(f, "performance_factor")))
                .collect();
            h.push_str(&bar_chart(
                &format!(
                    "FR 调频: performance factor K per unit, {day} (cap {})",
                    s(&["caps", "performance_factor"])
                ),
                "K",
                bars,
            ));
        }
        // Money for this product.
        let mut by_unit: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_party: BTreeMap<String, f64> = BTreeMap::new();
        for r in settlement.iter().filter(|r| r["product"] == product) {
            let target = if r["item"] == "allocation" {
                &mut by_party
            } else {
                &mut by_unit
            };
            *target.entry(r["party"].clone()).or_default() += num(r, "amount_yuan");
        }
        if !by_unit.is_empty() {
            h.push_str(&bar_chart(
                &format!("{name}: compensation less penalties by unit (补偿 − 考核)"),
                "yuan",
                by_unit.into_iter().collect(),
            ));
        }
        if !by_party.is_empty() {
            h.push_str(&bar_chart(
                &format!("{name}: allocation by party (分摊)"),
                "yuan",
                by_party.into_iter().collect(),
            ));
        }
    }

    network_section(&mut h, &clearing, &nodal, &flows);

    if !monthly.is_empty() {
        h.push_str("<h2>Monthly statement (日清月结)</h2>");
        table(
            &mut h,
            &[
                "month",
                "party",
                "product",
                "compensation, yuan",
                "allocation, yuan",
                "penalty, yuan",
                "net, yuan",
                "of compensation: lost opportunity, yuan",
                "of allocation: lost opportunity, yuan",
            ],
            monthly.iter().map(|r| {
                // statement_monthly.csv's columns, as the run wrote them.
                super::STATEMENT_MONTHLY
                    .1
                    .iter()
                    .map(|c| r[*c].clone())
                    .collect()
            }),
            300,
        );
    }

    if !power.is_empty() {
        h.push_str("<h2>Market power screens</h2>");
        let pivotal = power.iter().filter(|r| r["pivotal"] == "true").count();
        let tps = power
            .iter()
            .filter(|r| r["three_pivotal_fail"] == "true")
            .count();
        let flagged: Vec<&Row> = power
            .iter()
            .filter(|r| r["pivotal_sets_price"] == "true")
            .collect();
        let _ = write!(
            h,
            "<p>Residual Supply Index per owner (RSI &lt; 1: pivotal): {pivotal} owner-intervals pivotal; three-pivotal-supplier test failed in {tps} owner-intervals; {} intervals where such an owner's offer set the price:</p>",
            flagged.len()
        );
        table(
            &mut h,
            &[
                "time",
                "product",
                "zone",
                "owner",
                "offered MW",
                "cleared MW",
                "RSI",
                "pivotal",
                "3-pivotal fail",
                "HHI",
            ],
            flagged.iter().map(|r| {
                // market_power.csv's columns up to the HHI, as the run wrote them.
                super::MARKET_POWER.1[..10]
                    .iter()
                    .map(|c| r[*c].clone())
                    .collect()
            }),
            100,
        );
    }

    if let Some(w) = summary["warnings"].as_array().filter(|w| !w.is_empty()) {
        h.push_str("<h2>Warnings</h2><ul>");
        for x in w {
            let _ = write!(h, "<li>{}</li>", esc(x.as_str().unwrap_or_default()));
        }
        h.push_str("</ul>");
    }
    h.push_str("<p class=\"note\">Generated by ancillary from the output folder's files; every number here is in them.</p></body></html>\n");
    Ok(with_contents(h))
}

/// The report with a table of contents after its introduction: every section (`<h2>`) gets
/// an anchor and a link.
fn with_contents(h: String) -> String {
    let mut out = String::with_capacity(h.len() + 2048);
    let mut links = String::from("<nav><p><b>Contents</b></p><ul>");
    let mut rest = h.as_str();
    let mut k = 0;
    while let Some(at) = rest.find("<h2>") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let end = after.find("</h2>").unwrap_or(after.len());
        k += 1;
        let _ = write!(out, "<h2 id=\"s{k}\">");
        let _ = write!(links, "<li><a href=\"#s{k}\">{}</a></li>", &after[..end]);
        rest = after;
    }
    out.push_str(rest);
    links.push_str("</ul></nav>");
    out.replacen(CONTENTS, &links, 1)
}

/// Where [`with_contents`] puts the table of contents.
const CONTENTS: &str = "<!--contents-->";

#[cfg(test)]
mod tests {
    use super::*;

    /// A text's y and its words.
    type Texts = Vec<(i32, String)>;

    /// The SVG's texts as (y, text), and the bars' rectangles as (top, bottom).
    fn texts_and_bars(svg: &str) -> (Texts, Vec<(i32, i32)>) {
        let attr = |tag: &str, name: &str| -> i32 {
            let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            tag[at..].split('"').next().unwrap().parse().unwrap()
        };
        let mut texts = Vec::new();
        for part in svg.split("<text ").skip(1) {
            let (tag, rest) = part.split_once('>').unwrap();
            let body = rest.split("</text>").next().unwrap().trim().to_string();
            texts.push((attr(tag, "y"), body));
        }
        let mut bars = Vec::new();
        for part in svg.split("<rect ").skip(1) {
            let tag = part.split('>').next().unwrap();
            if tag.contains("fill=\"#4682B4\"") {
                let y = attr(tag, "y");
                bars.push((y, y + attr(tag, "height")));
            }
        }
        (texts, bars)
    }

    #[test]
    fn every_bar_is_labelled_beside_it() {
        // 30 units (the most a chart shows) with K falling from 2: U01 is the largest.
        let long = "华能南京电厂第一期扩建工程有限责任公司二号机组";
        let mut bars: Vec<(String, f64)> = (1..=29)
            .map(|i| (format!("U{i:02}"), 2.0 - f64::from(i) * 0.05))
            .collect();
        bars.push((long.to_string(), 0.01));
        let svg = bar_chart("K", "K", bars);
        let (texts, rects) = texts_and_bars(&svg);
        assert_eq!(rects.len(), 30);
        // Top to bottom: U01 … U29, then the long name, shortened (23 CJK characters at 12
        // pixels each are over the 240 allowed).
        let short = shorten(long, BAR_LABEL_PX);
        assert!(short.ends_with('…') && long.starts_with(short.trim_end_matches('…')));
        let mut want: Vec<String> = (1..=29).map(|i| format!("U{i:02}")).collect();
        want.push(short);
        let mut labels: Vec<&(i32, String)> =
            texts.iter().filter(|(_, t)| want.contains(t)).collect();
        labels.sort();
        let order: Vec<&String> = labels.iter().map(|(_, t)| t).collect();
        assert_eq!(
            order,
            want.iter().collect::<Vec<_>>(),
            "every bar once, in order"
        );
        // Each label sits within its own bar's height (bars sorted top down too).
        let mut rects = rects;
        rects.sort();
        for ((y, label), (top, bottom)) in labels.iter().zip(&rects) {
            assert!(
                top <= y && y <= bottom,
                "{label} at {y}, bar {top}..{bottom}"
            );
        }
        // One bar is labelled too.
        let svg = bar_chart("one", "yuan", vec![("C1".into(), 5.0)]);
        let (texts, rects) = texts_and_bars(&svg);
        assert_eq!(rects.len(), 1);
        assert!(texts.iter().any(|(_, t)| t == "C1"), "{svg}");
    }

    #[test]
    fn scatter_labels_do_not_overlap_each_other_or_the_points() {
        // Ten points within a few pixels of one another (a cluster near the origin).
        let points: Vec<(i32, i32)> = (0..10).map(|i| (100 + 3 * (i % 4), 200 - 2 * i)).collect();
        let widths = vec![14; 10];
        let places = place_labels(&points, &widths, (0, 0, 500, 400));
        let boxes: Vec<(i32, i32, i32, i32)> = places
            .iter()
            .zip(&widths)
            .map(|(((x, y), _), w)| (*x, *y, x + w, y + 12))
            .collect();
        let overlaps = |a: &(i32, i32, i32, i32), b: &(i32, i32, i32, i32)| {
            a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
        };
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} {b:?}");
            }
            for &(x, y) in &points {
                assert!(
                    !overlaps(a, &(x - 5, y - 5, x + 5, y + 5)),
                    "{a:?} on ({x}, {y})"
                );
            }
        }
        // Those placed beyond the nearest ring get a line to their point.
        assert!(places.iter().any(|(_, far)| *far));
    }

    #[test]
    fn units_at_one_point_share_a_number_listed_beside_the_chart() {
        let row = |unit: &str, offer: f64, ranking: f64| {
            let cells = BTreeMap::from([
                ("unit".to_string(), unit.to_string()),
                ("performance_factor".to_string(), "2".to_string()),
            ]);
            let numbers = BTreeMap::from([
                ("offer_price".to_string(), offer),
                ("ranking_price".to_string(), ranking),
            ]);
            Row { cells, numbers }
        };
        let rows = [
            row("G1", 8.0, 4.0),
            row("S1", 10.0, 5.0),
            row("G2", 8.0, 4.0),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        let html = ranking_chart(&refs);
        // G1 and G2 (8 / K 2 = 4) are point 1; S1 (10 / 2 = 5) point 2.
        assert!(
            html.contains("<td>1</td><td>G1, G2</td><td>8</td><td>2</td><td>4</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td>2</td><td>S1</td><td>10</td><td>2</td><td>5</td>"),
            "{html}"
        );
        let (texts, _) = texts_and_bars(&html);
        // The two numbers, each beside its point: 1 at ranking 4 and 2 at ranking 5, so 1 is
        // lower on the page (a larger y).
        let at = |n: &str| texts.iter().find(|(_, t)| t == n).map(|(y, _)| *y).unwrap();
        assert!(at("1") > at("2"), "{texts:?}");
    }
}
