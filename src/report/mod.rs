//! Chart reports for a five-year plan: the figures a bureau pastes into its
//! plan (population pyramid, ageing with an uncertainty fan, births, demand
//! against supply per service, the plan-year gap, a sweep heat-map), a
//! key-figures table and a self-contained HTML page, in English or Chinese.
//!
//! Everything here is pure: [`build`] turns projections, gaps and an
//! ensemble summary into [`Figure`]s and [`KeyFigure`]s; [`charts`] draws a
//! figure to SVG text or PNG bytes; [`html`] assembles the page. Reading
//! fonts and writing files is the caller's business (the `report` command).

pub mod charts;
pub mod font_face;
pub mod html;
mod key_figures;
mod png_backend;
mod sweep_heat;
mod text;

pub use crate::model::ScenarioRun;
use key_figures::key_figures;
pub use key_figures::key_figures_table;
pub use sweep_heat::sweep_heat;

use crate::ensemble::{top_driver, EnsembleSummary, RiskDriver, Source, Stochastic, Summary};
use crate::error::{Error, Result};
use crate::indicators::Indicator;
use crate::io::tables::{encode_table, ColumnData};
use crate::io::Format;
use crate::model::Model;
use crate::plan::Supply;
use crate::population::{Population, Sex};

pub use text::{format_count, format_percent, Lang};
pub(crate) use text::{service_label, Words};

/// A sweep's probability of shortfall over two parameters, for the heat-map.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepHeat {
    /// Service id whose risk is shown.
    pub service: String,
    /// Year of the risk shown.
    pub year: i32,
    /// Sweep parameter on the x axis.
    pub x_name: String,
    /// Sweep parameter on the y axis.
    pub y_name: String,
    /// Axis titles (filled in by [`build`] in the report's language).
    pub x_label: String,
    /// Title of the y axis.
    pub y_label: String,
    /// Values of the x parameter, ascending.
    pub xs: Vec<f64>,
    /// Values of the y parameter, ascending.
    pub ys: Vec<f64>,
    /// `p[y][x]`; `None` where the sweep has no such point.
    pub p_shortfall: Vec<Vec<Option<f64>>>,
    /// Other parameters held at one value, as `name = value`.
    pub fixed: Vec<String>,
}

/// Everything a report is made of.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The model reported on.
    pub model: &'a Model,
    /// Every scenario of the model, deterministic.
    pub runs: Vec<ScenarioRun>,
    /// Index in `runs` of the scenario the ensemble was run on (the plan's).
    pub central: usize,
    /// The ensemble run on the central scenario.
    pub ensemble: &'a EnsembleSummary,
    /// The ensemble's seed, as stated on the page.
    pub seed: u64,
    /// A sweep's heat-map, when the report is given one.
    pub sweep: Option<SweepHeat>,
    /// Years of the key-figures table, e.g. 2025, 2030, 2035.
    pub key_years: Vec<i32>,
    /// The ensemble's stochastic settings.
    pub stochastic: Stochastic,
    /// The sources of uncertainty the ensemble drew.
    pub sources: Vec<Source>,
    /// What drives each gap risk of the ensemble (empty: not run).
    pub drivers: &'a [RiskDriver],
    /// A model of regions: each region's view (empty without regions).
    pub regions: Vec<RegionView<'a>>,
}

/// One region of a report: the region as a model of its own (its base,
/// services and names, see [`Model::region_view`]), its deterministic
/// runs of every scenario, its share of the ensemble and its drivers.
#[derive(Debug, Clone)]
pub struct RegionView<'a> {
    /// The region's name in the model (as `--region` takes it).
    pub name: String,
    /// The region as a model.
    pub model: Model,
    /// Every scenario of the region, in the parent's order.
    pub runs: Vec<ScenarioRun>,
    /// The region's summary from the parent's ensemble.
    pub ensemble: &'a EnsembleSummary,
    /// What drives each of the region's gap risks.
    pub drivers: Vec<RiskDriver>,
}

impl<'a> ReportInput<'a> {
    /// The report input of region `view`, with this one's settings.
    fn of_region<'b>(&'b self, view: &'b RegionView<'a>) -> ReportInput<'b> {
        ReportInput {
            model: &view.model,
            runs: view.runs.clone(),
            central: self.central,
            ensemble: view.ensemble,
            seed: self.seed,
            sweep: None,
            key_years: self.key_years.clone(),
            stochastic: self.stochastic,
            sources: self.sources.clone(),
            drivers: &view.drivers,
            regions: Vec::new(),
        }
    }
}

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The colour 40% of the way to [`INK`]: a darker line of the same hue.
    pub fn mix_with_ink(self) -> Rgb {
        let mix = |a: u8, b: u8| ((f64::from(a) * 0.6 + f64::from(b) * 0.4).round()) as u8;
        Rgb(mix(self.0, INK.0), mix(self.1, INK.1), mix(self.2, INK.2))
    }
}

/// Colours that stay distinct for colour-blind readers (Okabe & Ito).
pub const PALETTE: [Rgb; 7] = [
    Rgb(0, 114, 178),
    Rgb(230, 159, 0),
    Rgb(0, 158, 115),
    Rgb(213, 94, 0),
    Rgb(86, 180, 233),
    Rgb(204, 121, 167),
    Rgb(90, 90, 90),
];
/// Red of a shortfall.
pub const SHORTFALL_RED: Rgb = Rgb(200, 40, 40);
/// Green of a surplus.
pub const SURPLUS_GREEN: Rgb = Rgb(0, 140, 90);
/// Colour of text and axes.
pub const INK: Rgb = Rgb(20, 20, 20);

/// A line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Line colour.
    pub color: Rgb,
    /// Whether the line is dashed (assumptions, targets).
    pub dashed: bool,
    /// Stroke width in pixels.
    pub width: u32,
    /// `(x, y)` points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded band between a lower and an upper bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Legend text.
    pub label: String,
    /// Fill colour.
    pub color: Rgb,
    /// 0 (invisible) to 1.
    pub opacity: f64,
    /// `(x, lower, upper)`.
    pub points: Vec<(f64, f64, f64)>,
}

/// A marked point with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Label written beside the point.
    pub label: String,
    /// x (a year).
    pub x: f64,
    /// y in the panel's units.
    pub y: f64,
    /// Marker colour.
    pub color: Rgb,
}

/// How a panel's y values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    /// Fractions shown as percent.
    Percent,
    /// Counts with thousands separators.
    Count,
}

/// One chart area with lines, bands and markers over years.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Panel title.
    pub title: String,
    /// Title of the x axis.
    pub x_label: String,
    /// Title of the y axis.
    pub y_label: String,
    /// How y values are written.
    pub y_format: YFormat,
    /// Lines drawn over the bands.
    pub lines: Vec<Line>,
    /// Shaded intervals.
    pub bands: Vec<Band>,
    /// Marked points (e.g. figures the plan states).
    pub markers: Vec<Marker>,
    /// Vertical marks, e.g. the plan's target years.
    pub marks: Vec<(f64, String)>,
}

/// A population pyramid: base year as bars, later years as outlines.
#[derive(Debug, Clone, PartialEq)]
pub struct Pyramid {
    /// Lower bounds of the age groups, and the width of the drawn groups.
    pub ages: Vec<u32>,
    /// Width in years of each drawn group.
    pub width: u32,
    /// Label of the open age group (e.g. `100+`).
    pub open_label: String,
    /// `(year, males, females)` per group; the first is drawn as bars.
    pub years: Vec<(i32, Vec<f64>, Vec<f64>)>,
    /// Title of the x axis (persons).
    pub x_label: String,
    /// Title of the y axis (age).
    pub y_label: String,
    /// Legend label of males.
    pub male: String,
    /// Legend label of females.
    pub female: String,
}

/// One service's gap in the plan's target year.
#[derive(Debug, Clone, PartialEq)]
pub struct GapBar {
    /// Service id.
    pub service: String,
    /// Service label in the report's language.
    pub label: String,
    /// Unit (beds, persons, places) in the report's language.
    pub unit: String,
    /// Primary demand in the target year.
    pub demand: f64,
    /// Planned supply in the target year.
    pub supply: f64,
    /// Demand minus supply (positive: a shortfall).
    pub gap: f64,
    /// The ensemble's probability of a shortfall, if it ran.
    pub p_shortfall: Option<f64>,
    /// The ensemble's capacity for 90% confidence, if it ran.
    pub capacity_needed_p90: Option<f64>,
    /// Text after the value, e.g. why nothing more is needed.
    pub note: Option<String>,
}

/// Gap bars of every service with a supply.
#[derive(Debug, Clone, PartialEq)]
pub struct GapBars {
    /// The target year the bars show.
    pub year: i32,
    /// One bar per service with a supply.
    pub bars: Vec<GapBar>,
    /// Title of the x axis.
    pub x_label: String,
    /// Legend label of a shortfall.
    pub shortfall: String,
    /// Legend label of a surplus.
    pub surplus: String,
}

/// One gap's variance shares by source (a row of the drivers chart).
#[derive(Debug, Clone, PartialEq)]
pub struct DriverBar {
    /// Service id.
    pub service: String,
    /// Demand method.
    pub method: String,
    /// Row label: the service and its view, in the report's language.
    pub label: String,
    /// Variance share per source, in [`DriverBars::sources`] order.
    pub shares: Vec<f64>,
    /// The text beside the bar: P(shortfall), and without the top driver.
    pub note: String,
}

/// The drivers of every gap risk in one year: stacked shares per source.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverBars {
    /// Year of the risks shown.
    pub year: i32,
    /// Sources, in segment order: `(name in tables, label)`.
    pub sources: Vec<(String, String)>,
    /// One bar per service and demand view with a supply.
    pub bars: Vec<DriverBar>,
    /// Title of the x axis.
    pub x_label: String,
}

/// What a figure shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// One or more panels side by side.
    Panels(Vec<Panel>),
    /// A population pyramid.
    Pyramid(Pyramid),
    /// Gap bars of the services.
    Gaps(GapBars),
    /// A sweep heat-map and its colour-scale title.
    Heat(SweepHeat, String),
    /// What drives each gap's risk.
    Drivers(DriverBars),
}

/// One chart: a file stem, a title, a source line and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem of the chart (e.g. `population`).
    pub name: String,
    /// Chart title.
    pub title: String,
    /// Source line under the chart.
    pub source: String,
    /// What is drawn.
    pub body: Body,
    /// Language of the chart's text.
    pub lang: Lang,
}

/// A key figure's year, value (`None`: not applicable) and text shown.
pub type KeyValue = (i32, Option<f64>, String);

/// One row of the key-figures table.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigure {
    /// Stable id, e.g. `pop_60plus` or `beds:supply`.
    pub id: String,
    /// Row label in the report's language.
    pub label: String,
    /// Unit in the report's language.
    pub unit: String,
    /// Per key year: the value (shares as fractions) and how it is shown.
    pub values: Vec<KeyValue>,
}

/// A report ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    /// Language of the report.
    pub lang: Lang,
    /// Title of the report.
    pub title: String,
    /// Paragraphs under the title: the model, scenarios, the ensemble.
    pub intro: Vec<String>,
    /// The model's flagged assumptions.
    pub flags: Vec<String>,
    /// The ensemble's sources of uncertainty: `(source, setting)`.
    pub sources: Vec<(String, String)>,
    /// Years of the key-figures table.
    pub key_years: Vec<i32>,
    /// Rows of the key-figures table.
    pub key_figures: Vec<KeyFigure>,
    /// A model of regions: each region's key figures, `(name, label,
    /// rows)`, in the model's order (empty without regions).
    pub region_key_figures: Vec<(String, String, Vec<KeyFigure>)>,
    /// Charts in page order.
    pub figures: Vec<Figure>,
}

fn scenario_color(index: usize, name: &str) -> Rgb {
    if name == "plan" {
        PALETTE[0]
    } else {
        PALETTE[1 + index % (PALETTE.len() - 1)]
    }
}

/// Builds the report's figures and key figures.
pub fn build(input: &ReportInput, lang: Lang) -> Result<Report> {
    if input.runs.is_empty() || input.central >= input.runs.len() {
        return Err(Error::invalid(
            "report",
            "no central scenario",
            "at least one projected scenario",
        ));
    }
    let t = text::Words::new(lang);
    let model = input.model;
    let central = &input.runs[input.central];
    let region = t.region(model);
    let source = t.source_line(
        &region,
        &central.name,
        input.ensemble.trajectories,
        input.seed,
    );
    let mut figures = vec![pyramid_figure(input, &t, &source)];
    figures.push(ageing_figure(input, &t, &source));
    figures.push(births_figure(input, &t, &source));
    for (k, service) in model.services.iter().enumerate() {
        figures.push(service_figure(input, &t, &source, k, service));
    }
    let target = target_year(input);
    for by_need in [false, true] {
        let gap = gap_figure(input, &t, &source, target, by_need);
        if let Body::Gaps(g) = &gap.body {
            if !g.bars.is_empty() {
                figures.push(gap);
            }
        }
    }
    let robust = robust_figure(input, &t, &source, target);
    if let Body::Gaps(g) = &robust.body {
        if !g.bars.is_empty() {
            figures.push(robust);
        }
    }
    if let Some(drivers) = drivers_figure(input, &t, &source, target) {
        figures.push(drivers);
    }
    figures.extend(region_figures(input, &t, &source, target));
    if let Some(heat) = &input.sweep {
        let mut heat = heat.clone();
        heat.x_label = t.parameter(&heat.x_name, model);
        heat.y_label = t.parameter(&heat.y_name, model);
        figures.push(Figure {
            name: "sweep_heatmap".into(),
            title: t.heat_title(&heat.service_label(model, lang), heat.year),
            source: t.sweep_source(&region, &heat.fixed),
            body: Body::Heat(heat, t.p_shortfall_label()),
            lang,
        });
    }
    Ok(Report {
        lang,
        title: t.report_title(&region),
        intro: t.intro(model, &central.name, input),
        flags: if lang == Lang::Zh && !model.flags_zh.is_empty() {
            model.flags_zh.clone()
        } else {
            model.flags.clone()
        },
        sources: t.source_settings(input),
        key_years: input.key_years.clone(),
        key_figures: key_figures(input, &t),
        region_key_figures: input
            .regions
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    t.region(&v.model),
                    key_figures(&input.of_region(v), &t),
                )
            })
            .collect(),
        figures,
    })
}

/// The regional small multiples: the 60+ share and births of every region
/// (one panel each, its fan and every scenario's line), then each region's
/// own gaps in the target year (by its plan's standard and by need).
fn region_figures(input: &ReportInput, t: &text::Words, source: &str, target: i32) -> Vec<Figure> {
    if input.regions.is_empty() {
        return Vec::new();
    }
    let region = t.region(input.model);
    let color = scenario_color(input.central, &input.runs[input.central].name);
    let panels = |indicator: Indicator, y_label: String, y_format: YFormat| -> Vec<Panel> {
        input
            .regions
            .iter()
            .map(|v| {
                let ri = input.of_region(v);
                let mut lines = scenario_lines(&ri, t, indicator, "", false);
                for line in &mut lines {
                    line.points.retain(|p| p.1.is_finite());
                }
                Panel {
                    title: t.region(&v.model),
                    x_label: t.year_label(),
                    y_label: y_label.clone(),
                    y_format,
                    lines,
                    bands: fan(v.ensemble, |y| v.ensemble.get(y, indicator), color, t),
                    markers: Vec::new(),
                    marks: Vec::new(),
                }
            })
            .collect()
    };
    let mut out = vec![
        Figure {
            name: "regions_ageing".into(),
            title: t.regions_share_title(&region),
            source: source.to_string(),
            body: Body::Panels(panels(
                Indicator::Share60Plus,
                t.share_label(),
                YFormat::Percent,
            )),
            lang: t.lang,
        },
        Figure {
            name: "regions_births".into(),
            title: t.regions_births_title(&region),
            source: source.to_string(),
            body: Body::Panels(panels(Indicator::Births, t.persons_label(), YFormat::Count)),
            lang: t.lang,
        },
    ];
    for (k, v) in input.regions.iter().enumerate() {
        let ri = input.of_region(v);
        let safe = sanitize(&v.name, k);
        for by_need in [false, true] {
            let mut gap = gap_figure(&ri, t, source, target, by_need);
            if let Body::Gaps(g) = &gap.body {
                if !g.bars.is_empty() {
                    gap.name = format!("{}_{safe}", gap.name);
                    out.push(gap);
                }
            }
        }
    }
    out
}

impl SweepHeat {
    fn service_label(&self, model: &Model, lang: Lang) -> String {
        model
            .services
            .iter()
            .find(|s| s.id == self.service)
            .map(|s| text::service_label(s, lang))
            .unwrap_or_else(|| self.service.clone())
    }
}

/// The plan's target year: the last supply point within the horizon
/// (e.g. 2025 for a 14th five-year plan), else the base year + 5.
pub fn target_year(input: &ReportInput) -> i32 {
    let model = input.model;
    model
        .services
        .iter()
        .filter_map(|s| match s.supply.as_ref().and_then(Supply::targets) {
            Some(points) => points
                .iter()
                .map(|p| p.0.round() as i32)
                .filter(|&y| y > model.base_year && y <= model.end_year)
                .max(),
            _ => None,
        })
        .max()
        .unwrap_or((model.base_year + 5).min(model.end_year))
}

/// Counts grouped into `width`-year groups (the open group kept).
fn grouped(pop: &Population, sex: Sex, width: u32) -> (Vec<u32>, Vec<f64>) {
    let grid = pop.grid();
    let counts = pop.of(sex);
    let open = grid.open_age();
    let mut ages = Vec::new();
    let mut values = Vec::new();
    for (i, age) in grid.lowers().into_iter().enumerate() {
        let group = if age >= open { open } else { age - age % width };
        if ages.last() != Some(&group) {
            ages.push(group);
            values.push(0.0);
        }
        if let Some(v) = values.last_mut() {
            *v += counts[i];
        }
    }
    (ages, values)
}

fn pyramid_figure(input: &ReportInput, t: &text::Words, source: &str) -> Figure {
    let central = &input.runs[input.central];
    let model = input.model;
    let width = model.base.grid().width().max(5);
    let mut years = Vec::new();
    let mut ages = Vec::new();
    // The base and the first and last key years.
    let first_key = input.key_years.first().copied().unwrap_or(model.base_year);
    let last_key = input.key_years.last().copied().unwrap_or(model.base_year);
    for year in [model.base_year, first_key, last_key] {
        if years.iter().any(|(y, _, _)| *y == year) {
            continue;
        }
        let Some(i) = central.projection.years.iter().position(|&y| y == year) else {
            continue;
        };
        let pop = &central.projection.populations[i];
        let (a, m) = grouped(pop, Sex::Male, width);
        let (_, f) = grouped(pop, Sex::Female, width);
        ages = a;
        years.push((year, m, f));
    }
    let open = model.base.grid().open_age();
    Figure {
        name: "pyramid".into(),
        title: t.pyramid_title(&t.region(model), &years),
        source: source.to_string(),
        body: Body::Pyramid(Pyramid {
            ages,
            width,
            open_label: format!("{open}+"),
            years,
            x_label: t.persons_label(),
            y_label: t.age_label(),
            male: t.male(),
            female: t.female(),
        }),
        lang: t.lang,
    }
}

fn series(run: &ScenarioRun, indicator: Indicator) -> Vec<(f64, f64)> {
    run.indicators
        .iter()
        .filter(|v| v.indicator == indicator)
        .map(|v| (f64::from(v.year), v.value))
        .collect()
}

fn fan(
    ensemble: &EnsembleSummary,
    get: impl Fn(i32) -> Option<Summary>,
    color: Rgb,
    t: &text::Words,
) -> Vec<Band> {
    let (mut b95, mut b80) = (Vec::new(), Vec::new());
    for &year in &ensemble.years {
        if let Some(s) = get(year) {
            b95.push((f64::from(year), s.p025, s.p975));
            b80.push((f64::from(year), s.p10, s.p90));
        }
    }
    vec![
        Band {
            label: t.band_label(95),
            color,
            opacity: 0.15,
            points: b95,
        },
        Band {
            label: t.band_label(80),
            color,
            opacity: 0.3,
            points: b80,
        },
    ]
}

/// Lines of one indicator for every scenario, the central one drawn last
/// and thickest, with `dashed` lines when asked.
fn scenario_lines(
    input: &ReportInput,
    t: &text::Words,
    indicator: Indicator,
    suffix: &str,
    dashed: bool,
) -> Vec<Line> {
    let mut lines = Vec::new();
    for (i, run) in input.runs.iter().enumerate() {
        let line = Line {
            label: format!("{}{suffix}", t.scenario(&run.name)),
            color: scenario_color(i, &run.name),
            dashed,
            width: if i == input.central { 4 } else { 2 },
            points: series(run, indicator),
        };
        lines.push((i == input.central, line));
    }
    lines.sort_by_key(|(central, _)| *central);
    lines.into_iter().map(|(_, l)| l).collect()
}

fn stated_markers(input: &ReportInput, t: &text::Words, indicators: &[Indicator]) -> Vec<Marker> {
    input
        .model
        .stated
        .iter()
        .filter(|s| indicators.contains(&s.indicator))
        .map(|s| Marker {
            label: t.stated_label(s),
            x: f64::from(s.year),
            y: s.value,
            color: SHORTFALL_RED,
        })
        .collect()
}

fn ageing_figure(input: &ReportInput, t: &text::Words, source: &str) -> Figure {
    let central = &input.runs[input.central];
    let color = scenario_color(input.central, &central.name);
    let mut bands = fan(
        input.ensemble,
        |y| input.ensemble.get(y, Indicator::Share60Plus),
        color,
        t,
    );
    bands.extend(
        fan(
            input.ensemble,
            |y| input.ensemble.get(y, Indicator::Share65Plus),
            color,
            t,
        )
        .into_iter()
        .map(|mut b| {
            b.label.clear();
            b
        }),
    );
    let mut lines = scenario_lines(input, t, Indicator::Share60Plus, &t.aged(60), false);
    lines.extend(scenario_lines(
        input,
        t,
        Indicator::Share65Plus,
        &t.aged(65),
        true,
    ));
    Figure {
        name: "ageing".into(),
        title: t.ageing_title(&t.region(input.model)),
        source: source.to_string(),
        body: Body::Panels(vec![Panel {
            title: String::new(),
            x_label: t.year_label(),
            y_label: t.share_label(),
            y_format: YFormat::Percent,
            lines,
            bands,
            markers: stated_markers(input, t, &[Indicator::Share60Plus, Indicator::Share65Plus]),
            marks: Vec::new(),
        }]),
        lang: t.lang,
    }
}

fn births_figure(input: &ReportInput, t: &text::Words, source: &str) -> Figure {
    let central = &input.runs[input.central];
    let color = scenario_color(input.central, &central.name);
    let panel = |indicator: Indicator, title: String| Panel {
        title,
        x_label: t.year_label(),
        y_label: t.persons_label(),
        y_format: YFormat::Count,
        lines: scenario_lines(input, t, indicator, "", false),
        bands: fan(
            input.ensemble,
            |y| input.ensemble.get(y, indicator),
            color,
            t,
        ),
        markers: stated_markers(input, t, &[indicator]),
        marks: Vec::new(),
    };
    // Births are flows of the step that ends in a year: none in the base year.
    let mut births = panel(Indicator::Births, t.births());
    for line in &mut births.lines {
        line.points.retain(|p| p.1.is_finite());
    }
    Figure {
        name: "births".into(),
        title: t.births_title(&t.region(input.model)),
        source: source.to_string(),
        body: Body::Panels(vec![births, panel(Indicator::Pop0To2, t.under_three())]),
        lang: t.lang,
    }
}

fn service_figure(
    input: &ReportInput,
    t: &text::Words,
    source: &str,
    k: usize,
    service: &crate::standards::Service,
) -> Figure {
    let central = &input.runs[input.central];
    let ens = input.ensemble;
    let mut lines = Vec::new();
    let mut bands = Vec::new();
    let mut robust_lines = Vec::new();
    for (m, demand) in service.demands.iter().enumerate() {
        let color = PALETTE[m % PALETTE.len()];
        let label = t.demand_label(&demand.name, m == 0);
        lines.push(Line {
            label: label.clone(),
            color,
            dashed: m > 0,
            width: 4,
            points: central
                .demand
                .iter()
                .filter(|d| d.service == service.id && d.method == demand.name)
                .map(|d| (f64::from(d.year), d.demand))
                .collect(),
        });
        // The robust schedule: the stock for P(shortfall) <= α every year.
        let robust = ens.robust_schedule(&service.id, &demand.name, service.max_build_per_year);
        if !robust.is_empty() {
            robust_lines.push(Line {
                label: t.robust_label(&demand.name, m == 0, input.ensemble.alpha),
                color: color.mix_with_ink(),
                dashed: false,
                width: 2,
                points: robust
                    .iter()
                    .map(|r| (f64::from(r.year), r.stock_needed))
                    .collect(),
            });
        }
        if let Some(index) = ens
            .demands
            .iter()
            .position(|l| l.service == service.id && l.method == demand.name)
        {
            let mut fans = fan(ens, |y| ens.demand(y, index), color, t);
            if m > 0 {
                for b in &mut fans {
                    b.label.clear();
                }
            }
            bands.extend(fans);
        }
    }
    let mut marks = Vec::new();
    let mut markers = Vec::new();
    if let Some(supply) = &service.supply {
        let points: Vec<(f64, f64)> = central
            .projection
            .years
            .iter()
            .filter_map(|&y| supply.at(f64::from(y)).map(|v| (f64::from(y), v)))
            .collect();
        // The supply that arrives (delivery, attrition): its 80% band.
        if service.supply_risk.is_some() {
            let arriving: Vec<(f64, f64, f64)> = ens
                .years
                .iter()
                .filter_map(|&y| {
                    ens.supply(y, &service.id)
                        .map(|s| (f64::from(y), s.p10, s.p90))
                })
                .collect();
            if arriving.iter().any(|b| b.2 > b.1) {
                bands.push(Band {
                    label: t.supply_band_label(),
                    color: INK,
                    opacity: 0.18,
                    points: arriving,
                });
            }
        }
        if !points.is_empty() {
            lines.push(Line {
                label: t.supply_label(),
                color: INK,
                dashed: false,
                width: 3,
                points,
            });
        }
        lines.append(&mut robust_lines);
        if let Some(points) = supply.targets() {
            for &(year, value) in points {
                let y = year.round() as i32;
                if y < input.model.base_year || y > input.model.end_year {
                    continue;
                }
                // A point in the base year is the stock; later ones are targets.
                if y > input.model.base_year {
                    marks.push((year, t.target_mark(y)));
                }
                markers.push(Marker {
                    label: format_count(value),
                    x: year,
                    y: value,
                    color: INK,
                });
            }
        }
    }
    let label = text::service_label(service, t.lang);
    Figure {
        name: format!("service_{}", sanitize(&service.id, k)),
        title: t.service_title(&label, &t.region(input.model)),
        source: source.to_string(),
        body: Body::Panels(vec![Panel {
            title: String::new(),
            x_label: t.year_label(),
            y_label: t.unit(&service.unit),
            y_format: YFormat::Count,
            lines,
            bands,
            markers,
            marks,
        }]),
        lang: t.lang,
    }
}

/// A file-name-safe version of a service id or region name.
fn sanitize(id: &str, k: usize) -> String {
    let s: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.trim_matches('_').is_empty() {
        format!("{}", k + 1)
    } else {
        s
    }
}

/// The gap of every service in `year` by the plan's standard (the primary
/// demand) or, `by_need`, by each of its other (need-based) demands.
fn gap_figure(
    input: &ReportInput,
    t: &text::Words,
    source: &str,
    year: i32,
    by_need: bool,
) -> Figure {
    let central = &input.runs[input.central];
    let bars = input
        .model
        .services
        .iter()
        .flat_map(|s| {
            let gaps: Vec<_> = central
                .gaps
                .iter()
                .filter(|g| g.service == s.id && g.primary != by_need && g.year == year)
                .collect();
            let several = gaps.len() > 1;
            gaps.into_iter().map(move |g| (s, g, several))
        })
        .map(|(s, g, several)| {
            let risk = input.ensemble.risk_by(&s.id, &g.method, year);
            let label = text::service_label(s, t.lang);
            GapBar {
                service: s.id.clone(),
                label: if several {
                    format!("{label} ({})", g.method)
                } else {
                    label
                },
                unit: t.unit(&s.unit),
                demand: g.demand,
                supply: g.supply,
                gap: g.gap,
                p_shortfall: risk.map(|r| r.p_shortfall),
                capacity_needed_p90: risk.map(|r| r.capacity_needed_p90),
                note: None,
            }
        })
        .collect();
    Figure {
        name: if by_need { "gap_need" } else { "gap" }.into(),
        title: t.gap_title(&t.region(input.model), year, by_need),
        source: source.to_string(),
        body: Body::Gaps(GapBars {
            year,
            bars,
            x_label: t.gap_axis(),
            shortfall: t.shortfall(),
            surplus: t.surplus(),
        }),
        lang: t.lang,
    }
}

/// The robust schedule in `year` against the plan: per service and demand
/// view with a supply, the stock needed for P(shortfall) <= α in every
/// year up to then minus the planned supply.
fn robust_figure(input: &ReportInput, t: &text::Words, source: &str, year: i32) -> Figure {
    let ens = input.ensemble;
    let mut bars = Vec::new();
    for s in &input.model.services {
        for (m, d) in s.demands.iter().enumerate() {
            let schedule = ens.robust_schedule(&s.id, &d.name, s.max_build_per_year);
            let Some(step) = schedule.iter().find(|r| r.year == year) else {
                continue;
            };
            // Nothing more needed because the existing stock already
            // covers every requirement up to `year`: say so, with the room.
            let existing = schedule[0].stock_needed;
            let note = step
                .spare_in_existing(existing)
                .filter(|_| step.extra_vs_plan.abs() < 0.5)
                .map(|spare| t.covered_by_stock(spare, &t.unit(&s.unit)));
            let label = text::service_label(s, t.lang);
            bars.push(GapBar {
                service: s.id.clone(),
                label: if m == 0 {
                    label
                } else {
                    t.by_method(&label, &d.name)
                },
                unit: t.unit(&s.unit),
                demand: step.stock_needed,
                supply: step.planned,
                gap: step.extra_vs_plan,
                p_shortfall: None,
                capacity_needed_p90: None,
                note,
            });
        }
    }
    Figure {
        name: "robust_plan".into(),
        title: t.robust_title(&t.region(input.model), year, input.ensemble.alpha),
        source: source.to_string(),
        body: Body::Gaps(GapBars {
            year,
            bars,
            x_label: t.robust_axis(),
            shortfall: t.plan_short(),
            surplus: t.plan_room(),
        }),
        lang: t.lang,
    }
}

/// The year the drivers chart shows: the first key year after the plan's
/// target year (the next plan's), else the target year.
pub fn drivers_year(input: &ReportInput, target: i32) -> i32 {
    input
        .key_years
        .iter()
        .copied()
        .find(|&y| y > target)
        .unwrap_or(target)
}

/// What drives each gap risk (see [`crate::ensemble::drivers`]), in
/// [`drivers_year`]; `None` when the drivers were not run.
fn drivers_figure(
    input: &ReportInput,
    t: &text::Words,
    source: &str,
    target: i32,
) -> Option<Figure> {
    let year = drivers_year(input, target);
    let drivers: Vec<&RiskDriver> = input.drivers.iter().filter(|d| d.year == year).collect();
    if drivers.is_empty() {
        return None;
    }
    let sources: Vec<Source> = Source::ALL
        .into_iter()
        .filter(|s| drivers.iter().any(|d| d.source == *s))
        .collect();
    let mut bars = Vec::new();
    for s in &input.model.services {
        for (m, d) in s.demands.iter().enumerate() {
            let rows: Vec<&&RiskDriver> = drivers
                .iter()
                .filter(|r| r.service == s.id && r.method == d.name)
                .collect();
            let Some(first) = rows.first() else {
                continue;
            };
            let top = top_driver(input.drivers, &s.id, &d.name, year)
                .map(|r| (r.source, r.p_shortfall_without));
            let label = text::service_label(s, t.lang);
            bars.push(DriverBar {
                service: s.id.clone(),
                method: d.name.clone(),
                label: if m == 0 {
                    label
                } else {
                    t.by_method(&label, &d.name)
                },
                shares: sources
                    .iter()
                    .map(|src| {
                        rows.iter()
                            .find(|r| r.source == *src)
                            .map_or(0.0, |r| r.variance_share)
                    })
                    .collect(),
                note: t.driver_note(first.p_shortfall_all, top),
            });
        }
    }
    Some(Figure {
        name: "risk_drivers".into(),
        title: t.drivers_title(&t.region(input.model), year),
        source: source.to_string(),
        body: Body::Drivers(DriverBars {
            year,
            sources: sources
                .iter()
                .map(|s| (s.name().to_string(), t.source_name(*s)))
                .collect(),
            bars,
            x_label: t.drivers_axis(),
        }),
        lang: t.lang,
    })
}

/// The table behind a figure, as CSV.
pub fn figure_table(figure: &Figure) -> Result<Vec<u8>> {
    match &figure.body {
        Body::Panels(panels) => {
            // (panel, series, year, value, lower, upper)
            type Row = (String, String, f64, Option<f64>, Option<f64>, Option<f64>);
            let mut rows: Vec<Row> = Vec::new();
            for p in panels {
                for l in &p.lines {
                    for &(x, y) in &l.points {
                        rows.push((p.title.clone(), l.label.clone(), x, Some(y), None, None));
                    }
                }
                let mut last_label = String::new();
                for b in &p.bands {
                    // Unlabelled bands continue the previous one's meaning.
                    let label = if b.label.is_empty() {
                        format!("{last_label} (2)")
                    } else {
                        last_label = b.label.clone();
                        b.label.clone()
                    };
                    for &(x, lo, hi) in &b.points {
                        rows.push((p.title.clone(), label.clone(), x, None, Some(lo), Some(hi)));
                    }
                }
                for m in &p.markers {
                    rows.push((p.title.clone(), m.label.clone(), m.x, Some(m.y), None, None));
                }
            }
            encode_table(
                vec![
                    ("panel", ColumnData::texts(&rows, |r| r.0.clone())),
                    ("series", ColumnData::texts(&rows, |r| r.1.clone())),
                    ("year", ColumnData::ints(&rows, |r| r.2.round() as i32)),
                    ("value", ColumnData::opt_floats(&rows, |r| r.3)),
                    ("lower", ColumnData::opt_floats(&rows, |r| r.4)),
                    ("upper", ColumnData::opt_floats(&rows, |r| r.5)),
                ],
                Format::Csv,
            )
        }
        Body::Pyramid(p) => {
            let mut rows: Vec<(i32, &str, u32, f64)> = Vec::new();
            for (year, m, f) in &p.years {
                for (sex, values) in [("male", m), ("female", f)] {
                    for (&age, &v) in p.ages.iter().zip(values) {
                        rows.push((*year, sex, age, v));
                    }
                }
            }
            encode_table(
                vec![
                    ("year", ColumnData::ints(&rows, |r| r.0)),
                    ("sex", ColumnData::texts(&rows, |r| r.1.to_string())),
                    ("age", ColumnData::ints(&rows, |r| r.2 as i32)),
                    ("population", ColumnData::floats(&rows, |r| r.3)),
                ],
                Format::Csv,
            )
        }
        Body::Gaps(g) => encode_table(
            vec![
                ("year", ColumnData::ints(&g.bars, |_| g.year)),
                ("service", ColumnData::texts(&g.bars, |b| b.service.clone())),
                ("label", ColumnData::texts(&g.bars, |b| b.label.clone())),
                ("unit", ColumnData::texts(&g.bars, |b| b.unit.clone())),
                ("demand", ColumnData::floats(&g.bars, |b| b.demand)),
                ("supply", ColumnData::floats(&g.bars, |b| b.supply)),
                ("gap", ColumnData::floats(&g.bars, |b| b.gap)),
                (
                    "p_shortfall",
                    ColumnData::opt_floats(&g.bars, |b| b.p_shortfall),
                ),
                (
                    "capacity_needed_p90",
                    ColumnData::opt_floats(&g.bars, |b| b.capacity_needed_p90),
                ),
            ],
            Format::Csv,
        ),
        Body::Drivers(d) => {
            let mut rows: Vec<(&DriverBar, &str, f64)> = Vec::new();
            for b in &d.bars {
                for ((name, _), &share) in d.sources.iter().zip(&b.shares) {
                    rows.push((b, name, share));
                }
            }
            encode_table(
                vec![
                    ("year", ColumnData::ints(&rows, |_| d.year)),
                    ("service", ColumnData::texts(&rows, |r| r.0.service.clone())),
                    ("method", ColumnData::texts(&rows, |r| r.0.method.clone())),
                    ("label", ColumnData::texts(&rows, |r| r.0.label.clone())),
                    ("source", ColumnData::texts(&rows, |r| r.1.to_string())),
                    ("variance_share", ColumnData::floats(&rows, |r| r.2)),
                ],
                Format::Csv,
            )
        }
        Body::Heat(h, _) => {
            let mut rows: Vec<(f64, f64, Option<f64>)> = Vec::new();
            for (j, &y) in h.ys.iter().enumerate() {
                for (i, &x) in h.xs.iter().enumerate() {
                    rows.push((x, y, h.p_shortfall[j][i]));
                }
            }
            encode_table(
                vec![
                    (h.x_name.as_str(), ColumnData::floats(&rows, |r| r.0)),
                    (h.y_name.as_str(), ColumnData::floats(&rows, |r| r.1)),
                    ("p_shortfall", ColumnData::opt_floats(&rows, |r| r.2)),
                ],
                Format::Csv,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AgeGrid;
    use ndarray::Array2;

    #[test]
    fn pyramid_groups_keep_every_person_and_the_open_group() {
        let grid = AgeGrid::single_years();
        let counts = Array2::from_shape_fn((2, grid.len()), |(s, a)| (1 + s + a) as f64);
        let pop = Population::new(grid, counts).unwrap();
        for sex in Sex::BOTH {
            let (ages, values) = grouped(&pop, sex, 5);
            assert_eq!(ages.len(), 21);
            assert_eq!(ages[1], 5);
            assert_eq!(*ages.last().unwrap(), 100);
            let total: f64 = values.iter().sum();
            assert_eq!(total, pop.of(sex).sum());
            // Ages 0-4 of males: 1 + 2 + 3 + 4 + 5.
            if sex == Sex::Male {
                assert_eq!(values[0], 15.0);
            }
        }
    }

    #[test]
    fn sanitized_ids_are_file_names() {
        assert_eq!(sanitize("beds", 0), "beds");
        assert_eq!(sanitize("a/b c", 0), "a_b_c");
        assert_eq!(sanitize("养老", 2), "3");
    }
}
