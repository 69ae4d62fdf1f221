//! Drawing a [`Figure`] with plotters, to SVG text or to PNG bytes of the
//! same layout ([`WIDTH`] x [`HEIGHT`] pixels). Text is drawn with the font
//! given to [`use_font`] (pure-Rust rendering, no system font lookup).

use std::error::Error as StdError;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::format_count;
use super::{Band, Body, Figure, GapBars, Line, Panel, Pyramid, Rgb, SweepHeat, YFormat, INK};
use crate::error::{Error, Result};

/// Width of every chart, pixels (PNG) or user units (SVG).
pub const WIDTH: u32 = 1600;
/// Height of every chart.
pub const HEIGHT: u32 = 1000;

const FAMILY: &str = "sans-serif";
const LEGEND_WIDTH: u32 = 440;

type Drawn = std::result::Result<(), Box<dyn StdError>>;

/// The font registered by [`use_font`], for the PNG backend's text.
static PNG_FONT: std::sync::RwLock<Option<ab_glyph::FontRef<'static>>> =
    std::sync::RwLock::new(None);

/// Registers the font every chart's text is drawn with (TrueType or
/// OpenType, a collection's first face: see [`super::font_face`] to take
/// another). Call before drawing.
pub fn use_font(bytes: &'static [u8]) -> Result<()> {
    let bad = || {
        Error::invalid(
            "font",
            "unreadable font data",
            "a TrueType or OpenType font",
        )
    };
    plotters::style::register_font(FAMILY, FontStyle::Normal, bytes).map_err(|_| bad())?;
    let font = ab_glyph::FontRef::try_from_slice(bytes).map_err(|_| bad())?;
    *PNG_FONT.write().unwrap_or_else(|e| e.into_inner()) = Some(font);
    Ok(())
}

/// The figure as an SVG document.
pub fn svg(figure: &Figure) -> Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(figure, &root)
            .and_then(|_| root.present().map_err(Into::into))
            .map_err(|e| failed(figure, e))?;
    }
    Ok(text)
}

/// The figure as a PNG image.
pub fn png(figure: &Figure) -> Result<Vec<u8>> {
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let font = PNG_FONT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or_else(|| {
            Error::invalid(
                format!("chart {}", figure.name),
                "no font",
                "a font registered with use_font before drawing",
            )
        })?;
    {
        let bitmap = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT));
        let root = super::png_backend::PngBackend::new(bitmap, font).into_drawing_area();
        draw(figure, &root)
            .and_then(|_| root.present().map_err(Into::into))
            .map_err(|e| failed(figure, e))?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // 150 dots per inch: a 1600-pixel chart prints about 27 cm wide.
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: 5906,
        yppu: 5906,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder
        .write_header()
        .map_err(|e| failed(figure, Box::new(e)))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| failed(figure, Box::new(e)))?;
    writer.finish().map_err(|e| failed(figure, Box::new(e)))?;
    Ok(out)
}

fn failed(figure: &Figure, e: Box<dyn StdError>) -> Error {
    Error::invalid(
        format!("chart {}", figure.name),
        format!("drawing failed: {e}"),
        "a drawable chart",
    )
}

fn color(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

static INK_COLOR: RGBColor = RGBColor(INK.0, INK.1, INK.2);

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK_COLOR)
}

/// Splits `text` into lines no wider than `max` pixels: at spaces, or
/// between characters for text without spaces (Chinese).
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max: u32,
) -> Vec<String>
where
    DB::ErrorType: 'static,
{
    let width = |s: &str| area.estimate_text_size(s, style).map(|w| w.0).unwrap_or(0);
    let pieces: Vec<String> = if text.contains(' ') {
        text.split_inclusive(' ').map(str::to_string).collect()
    } else {
        text.chars().map(|c| c.to_string()).collect()
    };
    let mut lines = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        let candidate = format!("{current}{piece}");
        if !current.is_empty() && width(candidate.trim_end()) > max {
            lines.push(current.trim_end().to_string());
            current = piece;
        } else {
            current = candidate;
        }
    }
    if !current.trim().is_empty() {
        lines.push(current.trim_end().to_string());
    }
    lines
}

fn draw<DB: DrawingBackend>(figure: &Figure, root: &DrawingArea<DB, Shift>) -> Drawn
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let title = font(34);
    let title_lines = wrap(root, &figure.title, &title, WIDTH - 80);
    let source = font(18).color(&RGBColor(90, 90, 90));
    let source_lines = wrap(root, &figure.source, &source, WIDTH - 80);
    let top = 24 + 42 * title_lines.len() as u32;
    let bottom = 16 + 24 * source_lines.len() as u32;
    for (i, l) in title_lines.iter().enumerate() {
        root.draw_text(l, &title, (40, 20 + 42 * i as i32))?;
    }
    for (i, l) in source_lines.iter().enumerate() {
        let y = (HEIGHT - bottom) as i32 + 4 + 24 * i as i32;
        root.draw_text(l, &source, (40, y))?;
    }
    let body = root.margin(top, bottom, 10, 10);
    match &figure.body {
        Body::Panels(panels) => draw_panels(&body, panels),
        Body::Pyramid(p) => draw_pyramid(&body, p),
        Body::Gaps(g) => draw_gaps(&body, g),
        Body::Heat(h, label) => draw_heat(&body, h, label),
        Body::Drivers(d) => draw_drivers(&body, d),
    }
}

/// One legend entry.
enum Key<'a> {
    Line(&'a Line),
    Band(&'a Band),
    Dot(Rgb),
    Bar(Rgb),
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, keys: &[(Key, String)]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let style = font(22);
    let mut y = 30;
    for (key, label) in keys {
        let lines = wrap(area, label, &style, LEGEND_WIDTH - 100);
        let mid = y + 14;
        match key {
            Key::Line(l) => {
                let s = ShapeStyle::from(color(l.color)).stroke_width(l.width);
                if l.dashed {
                    for x in [10, 34, 58] {
                        area.draw(&PathElement::new(vec![(x, mid), (x + 14, mid)], s))?;
                    }
                } else {
                    area.draw(&PathElement::new(vec![(10, mid), (72, mid)], s))?;
                }
            }
            Key::Band(b) => {
                area.draw(&Rectangle::new(
                    [(10, mid - 11), (72, mid + 11)],
                    color(b.color).mix(b.opacity).filled(),
                ))?;
            }
            Key::Dot(c) => {
                area.draw(&Circle::new((41, mid), 9, color(*c).filled()))?;
            }
            Key::Bar(c) => {
                area.draw(&Rectangle::new(
                    [(10, mid - 11), (72, mid + 11)],
                    color(*c).filled(),
                ))?;
            }
        }
        for (i, l) in lines.iter().enumerate() {
            area.draw_text(l, &style, (86, y + 28 * i as i32))?;
        }
        y += 28 * lines.len().max(1) as i32 + 14;
    }
    Ok(())
}

/// Every drawn point of a panel: line points, band tops, markers.
fn drawn_points(panel: &Panel) -> impl Iterator<Item = (f64, f64)> + '_ {
    let lines = panel.lines.iter().flat_map(|l| l.points.iter().copied());
    let bands = panel
        .bands
        .iter()
        .flat_map(|b| b.points.iter().map(|p| (p.0, p.2)));
    lines
        .chain(bands)
        .chain(panel.markers.iter().map(|m| (m.x, m.y)))
}

fn x_range(panel: &Panel) -> (f64, f64) {
    let (lo, hi) = drawn_points(panel).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

fn y_max(panel: &Panel) -> f64 {
    let hi = drawn_points(panel)
        .map(|p| p.1)
        .filter(|y| y.is_finite())
        .fold(0.0_f64, f64::max);
    if hi > 0.0 {
        hi * 1.1
    } else {
        1.0
    }
}

fn draw_panels<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panels: &[Panel]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (plots, legend) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
    let mut keys: Vec<(Key, String)> = Vec::new();
    for p in panels {
        for l in &p.lines {
            if !l.label.is_empty() && !keys.iter().any(|k| k.1 == l.label) {
                keys.push((Key::Line(l), l.label.clone()));
            }
        }
        for b in &p.bands {
            if !b.label.is_empty() && !keys.iter().any(|k| k.1 == b.label) {
                keys.push((Key::Band(b), b.label.clone()));
            }
        }
        for m in &p.markers {
            if !keys.iter().any(|k| matches!(k.0, Key::Dot(_))) && m.color != INK {
                keys.push((Key::Dot(m.color), m.label.clone()));
            }
        }
    }
    // Stated figures are labelled on the chart; the key names the kind.
    for k in &mut keys {
        if let Key::Dot(_) = k.0 {
            if let Some(p) = k.1.find([':', '：']) {
                k.1.truncate(p);
            }
        }
    }
    draw_legend(&legend, &keys)?;
    // Up to three panels side by side; more (small multiples of regions)
    // in a grid of about as many rows as columns.
    let n = panels.len().max(1);
    let cols = if n <= 3 {
        n
    } else {
        (n as f64).sqrt().ceil() as usize
    };
    let rows = n.div_ceil(cols);
    for (p, a) in panels.iter().zip(plots.split_evenly((rows, cols))) {
        draw_panel(&a, p)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = x_range(panel);
    // A little room at the ends keeps the first and last year labels whole.
    let pad = 0.015 * (x1 - x0);
    let (x0, x1) = (x0 - pad, x1 + pad);
    let y1 = y_max(panel);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(16)
        .margin_right(52)
        .x_label_area_size(80)
        .y_label_area_size(150);
    if !panel.title.is_empty() {
        builder.caption(&panel.title, font(28));
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, 0.0..y1)?;
    let percent_decimals = if y1 < 0.05 { 1 } else { 0 };
    let y_format = |v: &f64| match panel.y_format {
        YFormat::Percent => format!("{:.*}%", percent_decimals, 100.0 * v),
        YFormat::Count => format_count(*v),
    };
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .label_style(font(22))
        .axis_desc_style(font(24))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&y_format)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;
    for b in &panel.bands {
        if b.points.is_empty() {
            continue;
        }
        let mut outline: Vec<(f64, f64)> = b.points.iter().map(|p| (p.0, p.2)).collect();
        outline.extend(b.points.iter().rev().map(|p| (p.0, p.1)));
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            color(b.color).mix(b.opacity).filled(),
        )))?;
    }
    for (k, (x, label)) in panel.marks.iter().enumerate() {
        let grey = ShapeStyle::from(RGBColor(120, 120, 120)).stroke_width(2);
        chart.draw_series(DashedLineSeries::new(
            vec![(*x, 0.0), (*x, y1)],
            10,
            8,
            grey,
        ))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((*x, y1))
                + Text::new(
                    label.clone(),
                    (8, 6 + 26 * k as i32),
                    font(20).color(&RGBColor(90, 90, 90)),
                ),
        ))?;
    }
    for l in &panel.lines {
        let style = ShapeStyle::from(color(l.color)).stroke_width(l.width);
        if l.dashed {
            chart.draw_series(DashedLineSeries::new(l.points.clone(), 14, 8, style))?;
        } else {
            chart.draw_series(LineSeries::new(l.points.clone(), style))?;
        }
    }
    for (i, m) in panel.markers.iter().enumerate() {
        // Alternate label sides so that markers close together stay legible.
        let dy = if i % 2 == 0 { -34 } else { 12 };
        chart.draw_series(std::iter::once(
            EmptyElement::at((m.x, m.y))
                + Circle::new((0, 0), 9, color(m.color).filled())
                + Text::new(m.label.clone(), (12, dy), font(22).color(&color(m.color))),
        ))?;
    }
    Ok(())
}

fn draw_pyramid<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Pyramid) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
    let max = p
        .years
        .iter()
        .flat_map(|(_, m, f)| m.iter().chain(f))
        .fold(0.0_f64, |a, &b| a.max(b))
        .max(1.0)
        * 1.08;
    let top = f64::from(p.ages.last().copied().unwrap_or(0) + p.width);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(52)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(-max..max, 0.0..top)?;
    let open = p.ages.last().copied().unwrap_or(0);
    let y_format = |v: &f64| {
        if (*v - f64::from(open)).abs() < 0.5 {
            p.open_label.clone()
        } else {
            format!("{v:.0}")
        }
    };
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .label_style(font(22))
        .axis_desc_style(font(24))
        .x_labels(9)
        .y_labels(12)
        .x_label_formatter(&|x| format_count(x.abs()))
        .y_label_formatter(&y_format)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;
    let male = Rgb(0, 114, 178);
    let female = Rgb(213, 94, 0);
    let w = f64::from(p.width);
    let mut keys: Vec<(Key, String)> = Vec::new();
    let outlines = [
        Line {
            label: String::new(),
            color: INK,
            dashed: false,
            width: 3,
            points: Vec::new(),
        },
        Line {
            label: String::new(),
            color: Rgb(120, 120, 120),
            dashed: true,
            width: 3,
            points: Vec::new(),
        },
    ];
    for (k, (year, m, f)) in p.years.iter().enumerate() {
        if k == 0 {
            for (i, &age) in p.ages.iter().enumerate() {
                let (a0, a1) = (f64::from(age) + 0.06 * w, f64::from(age) + 0.94 * w);
                chart.draw_series([
                    Rectangle::new([(-m[i], a0), (0.0, a1)], color(male).mix(0.55).filled()),
                    Rectangle::new([(0.0, a0), (f[i], a1)], color(female).mix(0.55).filled()),
                ])?;
            }
            keys.push((Key::Bar(male), format!("{}, {year}", p.male)));
            keys.push((Key::Bar(female), format!("{}, {year}", p.female)));
            continue;
        }
        let Some(style_line) = outlines.get(k - 1) else {
            continue;
        };
        let style = ShapeStyle::from(color(style_line.color)).stroke_width(style_line.width);
        for side in [-1.0, 1.0] {
            let values = if side < 0.0 { m } else { f };
            let mut points = Vec::new();
            for (i, &age) in p.ages.iter().enumerate() {
                points.push((side * values[i], f64::from(age)));
                points.push((side * values[i], f64::from(age) + w));
            }
            if style_line.dashed {
                chart.draw_series(DashedLineSeries::new(points, 12, 7, style))?;
            } else {
                chart.draw_series(LineSeries::new(points, style))?;
            }
        }
        keys.push((Key::Line(style_line), year.to_string()));
    }
    let label_style = font(26);
    chart.draw_series([
        Text::new(
            p.male.clone(),
            (-max * 0.95, top * 0.97),
            label_style.color(&color(male)),
        ),
        Text::new(
            p.female.clone(),
            (max * 0.95, top * 0.97),
            label_style
                .color(&color(female))
                .pos(Pos::new(HPos::Right, VPos::Top)),
        ),
    ])?;
    draw_legend(&legend, &keys)
}

fn draw_gaps<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, g: &GapBars) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
    let pct: Vec<f64> = g
        .bars
        .iter()
        .map(|b| {
            if b.demand > 0.0 {
                100.0 * b.gap / b.demand
            } else if b.gap > 0.0 {
                100.0
            } else {
                0.0
            }
        })
        .collect();
    let lo = pct.iter().fold(0.0_f64, |a, &b| a.min(b));
    let hi = pct.iter().fold(0.0_f64, |a, &b| a.max(b));
    let span = (hi - lo).max(10.0);
    let labels: Vec<String> = g.bars.iter().map(gap_label).collect();
    // Value labels start right of the bar or of the zero line: leave them room.
    let (name_width, plot_px, text_px) =
        bar_layout(&plot, g.bars.iter().map(|b| &b.label), &labels);
    let x0 = lo - 0.05 * span;
    let frac = text_px / plot_px;
    let x1 = hi + 0.02 * span + (hi - x0) * frac / (1.0 - frac);
    let n = g.bars.len();
    let (rows, o) = bar_rows(n);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(52)
        .x_label_area_size(80)
        .y_label_area_size(name_width)
        .build_cartesian_2d(x0..x1, (0..rows).into_segmented())?;
    let names: Vec<String> = g.bars.iter().map(|b| b.label.clone()).collect();
    let y_format = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => bar_name(&names, *i, o),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(g.x_label.as_str())
        .label_style(font(22))
        .axis_desc_style(font(24))
        .x_labels(9)
        .y_labels(rows + 1)
        .x_label_formatter(&|x| format!("{x:+.0}%"))
        .y_label_formatter(&y_format)
        .disable_y_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        vec![
            (0.0, SegmentValue::Exact(0)),
            (0.0, SegmentValue::Exact(rows + 1)),
        ],
        1,
        0,
        ShapeStyle::from(color(INK)).stroke_width(2),
    ))?;
    for (k, (b, &p)) in g.bars.iter().zip(&pct).enumerate() {
        let i = k + o;
        let c = if crate::gap::is_short(b.demand, b.supply) {
            super::SHORTFALL_RED
        } else {
            super::SURPLUS_GREEN
        };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (p, SegmentValue::Exact(i + 1)),
            ],
            color(c).mix(0.8).filled(),
        );
        bar.set_margin(14, 14, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((p.max(0.0), SegmentValue::CenterOf(i)))
                + Text::new(
                    labels[k].clone(),
                    (10, 0),
                    font(22).pos(Pos::new(HPos::Left, VPos::Center)),
                ),
        ))?;
    }
    let keys = vec![
        (Key::Bar(super::SHORTFALL_RED), g.shortfall.clone()),
        (Key::Bar(super::SURPLUS_GREEN), g.surplus.clone()),
    ];
    draw_legend(&legend, &keys)
}

/// The colour of a source of uncertainty (by its table name), the same in
/// every chart.
fn source_color(name: &str) -> Rgb {
    let k = crate::ensemble::Source::ALL
        .iter()
        .position(|s| s.name() == name)
        .unwrap_or(0);
    super::PALETTE[k % super::PALETTE.len()]
}

/// The rows of a bar chart of `n` bars, as the last segment's index, and
/// the row of the first bar: one bar sits in the middle of three rows (a
/// segmented axis of one row has no height).
fn bar_rows(n: usize) -> (usize, usize) {
    if n == 1 {
        (2, 1)
    } else {
        (n.saturating_sub(1), 0)
    }
}

/// The name of the bar in row `row` (rows from `offset` on hold bars).
fn bar_name(names: &[String], row: usize, offset: usize) -> String {
    row.checked_sub(offset)
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default()
}

/// Stacked bars: one row per gap, one segment per source (its share of the
/// gap's variance), the risk written beside each bar.
fn draw_drivers<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &super::DriverBars) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
    let notes: Vec<String> = d.bars.iter().map(|b| b.note.clone()).collect();
    let (name_width, plot_px, text_px) = bar_layout(&plot, d.bars.iter().map(|b| &b.label), &notes);
    let frac = text_px / plot_px;
    let x1 = 100.0 / (1.0 - frac);
    let (rows, o) = bar_rows(d.bars.len());
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(52)
        .x_label_area_size(80)
        .y_label_area_size(name_width)
        .build_cartesian_2d(0.0..x1, (0..rows).into_segmented())?;
    let names: Vec<String> = d.bars.iter().map(|b| b.label.clone()).collect();
    let y_format = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => bar_name(&names, *i, o),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(d.x_label.as_str())
        .label_style(font(22))
        .axis_desc_style(font(24))
        .x_labels(6)
        .y_labels(rows + 1)
        .x_label_formatter(&|x| {
            if *x <= 100.0 + 1e-9 {
                format!("{x:.0}%")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&y_format)
        .disable_y_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;
    for (i, b) in d.bars.iter().enumerate() {
        let i = i + o;
        let mut from = 0.0;
        for ((name, _), &share) in d.sources.iter().zip(&b.shares) {
            let to = from + 100.0 * share;
            if to > from {
                let mut bar = Rectangle::new(
                    [
                        (from, SegmentValue::Exact(i)),
                        (to, SegmentValue::Exact(i + 1)),
                    ],
                    color(source_color(name)).mix(0.85).filled(),
                );
                bar.set_margin(14, 14, 0, 0);
                chart.draw_series(std::iter::once(bar))?;
            }
            from = to;
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((from.max(100.0), SegmentValue::CenterOf(i)))
                + Text::new(
                    b.note.clone(),
                    (10, 0),
                    font(22).pos(Pos::new(HPos::Left, VPos::Center)),
                ),
        ))?;
    }
    let keys: Vec<(Key, String)> = d
        .sources
        .iter()
        .map(|(name, label)| (Key::Bar(source_color(name)), label.clone()))
        .collect();
    draw_legend(&legend, &keys)
}

/// The layout of a horizontal bar chart: the width of the row names (in
/// pixels), of the plot and of the value texts written beside the bars.
fn bar_layout<'a, DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    names: impl Iterator<Item = &'a String>,
    texts: &[String],
) -> (u32, f64, f64) {
    let style = font(22);
    let widest = |texts: &mut dyn Iterator<Item = &String>| {
        texts
            .map(|t| plot.estimate_text_size(t, &style).map(|s| s.0).unwrap_or(0))
            .max()
            .unwrap_or(0)
    };
    let name_width = (widest(&mut names.into_iter()) + 30).clamp(120, 600);
    let plot_px = f64::from(
        plot.dim_in_pixel()
            .0
            .saturating_sub(name_width + 52)
            .max(200),
    );
    let text_px = f64::from(widest(&mut texts.iter()) + 24).min(0.6 * plot_px);
    (name_width, plot_px, text_px)
}

/// "+3,406 beds · P = 1.00": the gap and the probability of shortfall.
fn gap_label(b: &super::GapBar) -> String {
    let mut label = format!("{} {}", signed_count(b.gap), b.unit);
    if let Some(ps) = b.p_shortfall {
        label.push_str(&format!(" · P = {ps:.2}"));
    }
    if let Some(note) = &b.note {
        label.push_str(note);
    }
    label
}

fn signed_count(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", format_count(v))
    } else {
        format_count(v)
    }
}

/// White (0) to deep red (1).
fn heat_color(p: f64) -> RGBColor {
    let p = p.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * p).round() as u8;
    RGBColor(lerp(255.0, 165.0), lerp(255.0, 15.0), lerp(255.0, 21.0))
}

fn draw_heat<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &SweepHeat, label: &str) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
    let (nx, ny) = (h.xs.len(), h.ys.len());
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(52)
        .x_label_area_size(80)
        .y_label_area_size(120)
        .build_cartesian_2d(
            (0..nx.saturating_sub(1)).into_segmented(),
            (0..ny.saturating_sub(1)).into_segmented(),
        )?;
    let x_format = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => h.xs.get(*i).map(|x| format!("{x}")).unwrap_or_default(),
        _ => String::new(),
    };
    let y_format = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => h.ys.get(*i).map(|y| format!("{y}")).unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(h.x_label.as_str())
        .y_desc(h.y_label.as_str())
        .label_style(font(22))
        .axis_desc_style(font(24))
        .x_labels(nx.max(1))
        .y_labels(ny.max(1))
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .disable_mesh()
        .draw()?;
    for (j, row) in h.p_shortfall.iter().enumerate() {
        for (i, p) in row.iter().enumerate() {
            let fill = p.map_or(RGBColor(200, 200, 200), heat_color);
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                    (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                ],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                    (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                ],
                ShapeStyle::from(RGBColor(190, 190, 190)).stroke_width(1),
            )))?;
            let text = p.map_or("–".to_string(), |p| format!("{p:.2}"));
            let ink = if p.unwrap_or(0.0) > 0.6 {
                WHITE
            } else {
                color(INK)
            };
            chart.draw_series(std::iter::once(Text::new(
                text,
                (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                font(22)
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
    }
    // Colour scale.
    let style = font(22);
    legend.draw_text(label, &style, (10, 30))?;
    for k in 0..=10 {
        let p = f64::from(k) / 10.0;
        let y = 80 + (10 - k) * 40;
        legend.draw(&Rectangle::new(
            [(10, y), (70, y + 40)],
            heat_color(p).filled(),
        ))?;
        legend.draw_text(&format!("{p:.1}"), &style, (82, y + 8))?;
    }
    Ok(())
}
