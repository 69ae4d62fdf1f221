//! `carecast report`: runs every scenario and an ensemble of the central
//! one, then writes the charts (PNG, SVG and the CSV behind each), the
//! key-figures table and a self-contained `index.html`.

use std::path::{Path, PathBuf};

use ab_glyph::Font as _;
use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;

use super::{out, LangArg, ReportArgs, SelectedModel};
use crate::ensemble::{EnsembleRequest, EnsembleSpec, MortalityNoise, Stochastic, TfrNoise};
use crate::io::sweep_file::{read_sweep_table, sweep_table_path};
use crate::io::OutputSet;
use crate::report::{self, charts, Lang, RegionView, ReportInput, SweepHeat};

/// Fonts with Chinese characters, in order of preference (Debian paths
/// first: `apt-get install fonts-noto-cjk` or `fonts-wqy-microhei`).
/// Noto Sans CJK comes first: WenQuanYi Micro Hei's kerning pulls digit
/// pairs such as "50" apart in the PNG charts.
const CJK_FONTS: [&str; 8] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
];

/// Fonts for English charts, before the Chinese ones (which have Latin too).
const LATIN_FONTS: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// A character every Chinese report needs (老, as in 一老一小).
const CJK_PROBE: char = '老';

/// The candidate font files: `CARECAST_FONTS` (paths separated by the
/// platform's path separator) replaces the built-in list.
fn candidates(lang: Lang) -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os("CARECAST_FONTS") {
        return std::env::split_paths(&list).collect();
    }
    let mut paths: Vec<PathBuf> = Vec::new();
    if lang == Lang::En {
        paths.extend(LATIN_FONTS.iter().map(PathBuf::from));
    }
    paths.extend(CJK_FONTS.iter().map(PathBuf::from));
    paths
}

/// The first of Latin letters, digits and `probe` that `bytes` has no
/// glyph for (`None`: the font has them all).
fn missing(bytes: &[u8], probe: Option<char>) -> Result<Option<char>, ab_glyph::InvalidFont> {
    let font = ab_glyph::FontRef::try_from_slice(bytes)?;
    Ok(['A', 'z', '7']
        .into_iter()
        .chain(probe)
        .find(|&c| font.glyph_id(c).0 == 0))
}

/// A font chosen for the charts.
struct ChosenFont {
    path: PathBuf,
    /// The face used, as a stand-alone font (leaked: the renderer keeps it).
    bytes: &'static [u8],
    /// The face's family name, e.g. "Noto Sans CJK SC".
    family: String,
    /// The language the report is written in.
    lang: Lang,
    /// Why the language fell back to English, if it did.
    note: Option<String>,
}

/// The face of a font file for `lang`: in a collection, the Simplified
/// Chinese one for Chinese reports (the renderer would take the first,
/// Japanese face of Noto Sans CJK: full-width brackets set apart).
fn face_of(bytes: &[u8], lang: Lang, path: &Path) -> Option<report::font_face::Face> {
    let suffix = (lang == Lang::Zh).then_some(" SC");
    report::font_face::face_for(bytes, suffix, &path.display().to_string()).ok()
}

/// The font for `lang`: `--font`, else the first candidate that has the
/// characters. A Chinese report without a Chinese font becomes English
/// (with a note).
fn choose_font(asked: Option<&Path>, lang: Lang) -> Result<ChosenFont> {
    let probe = (lang == Lang::Zh).then_some(CJK_PROBE);
    let chosen = |path: &Path, face: report::font_face::Face| ChosenFont {
        path: path.to_path_buf(),
        bytes: Box::leak(face.bytes.into_boxed_slice()),
        family: face.family,
        lang,
        note: None,
    };
    if let Some(path) = asked {
        let bytes = std::fs::read(path)
            .with_context(|| format!("--font {}: cannot read the font file", path.display()))?;
        let face = face_of(&bytes, lang, path);
        match face.map(|f| (missing(&f.bytes, probe), f)) {
            Some((Ok(None), face)) => return Ok(chosen(path, face)),
            Some((Ok(Some(c)), _)) => bail!(
                "--font {}: the font has no {} characters (found no glyph for {c:?}); expected a font with Latin{} characters, e.g. {}",
                path.display(),
                if Some(c) == probe { "Chinese" } else { "Latin" },
                if probe.is_some() { " and Chinese" } else { "" },
                CJK_FONTS[0]
            ),
            _ => bail!(
                "--font {}: not a TrueType or OpenType font (expected a .ttf, .otf or .ttc file)",
                path.display()
            ),
        }
    }
    let paths = candidates(lang);
    for path in &paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let Some(face) = face_of(&bytes, lang, path) else {
            continue;
        };
        if matches!(missing(&face.bytes, probe), Ok(None)) {
            return Ok(chosen(path, face));
        }
    }
    let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if lang == Lang::Zh {
        let english =
            choose_font(None, Lang::En).map_err(|e| anyhow!("no Chinese font either: {e}"))?;
        let note = format!(
            "note: no font with Chinese characters found (looked for {}); writing the report in English. Install one (Debian: apt-get install fonts-noto-cjk) or pass --font PATH.",
            looked.join(", ")
        );
        return Ok(ChosenFont {
            note: Some(note),
            ..english
        });
    }
    bail!(
        "no font found for the charts (looked for {}); install one (Debian: apt-get install fonts-dejavu-core) or pass --font PATH",
        looked.join(", ")
    )
}

/// The heat-map of a sweep's output folder (its `sweep.parquet`, else `sweep.csv`).
fn sweep_heat(
    dir: &Path,
    service: Option<&str>,
    year: Option<i32>,
    model: &crate::Model,
    region: Option<&str>,
) -> Result<SweepHeat> {
    let file = sweep_table_path(dir);
    let (params, mut rows) = read_sweep_table(&file)?;
    // A sweep of a model of regions: the parent's rows (`total`), or the
    // region's the report is of.
    rows.retain(|r| match (r.region.as_deref(), region) {
        (None, _) => true,
        (Some(g), None) => g == "total",
        (Some(g), Some(want)) => g == want,
    });
    Ok(report::sweep_heat(&params, &rows, service, year, model)
        .map_err(|e| e.context(file.display().to_string()))?)
}

pub fn run(args: &ReportArgs) -> Result<()> {
    let asked = match args.lang {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
    };
    let mut spec = EnsembleSpec {
        trajectories: args.trajectories,
        seed: args.seed,
        stochastic: Stochastic {
            tfr: Some(TfrNoise::default()),
            mortality: Some(MortalityNoise::default()),
            migration: None,
            certain_need: false,
            certain_supply: false,
            certain_base: false,
            own_noise: false,
            certain_fertility: false,
            certain_mortality: false,
        },
        keep: 0,
    };
    spec.check()?;
    // Every input is checked before anything is computed or written.
    let sel = SelectedModel::load(&args.model, args.scenario.as_deref())?;
    let model = &sel.model;
    // The model's own migration noise, if it gives one.
    spec.stochastic.migration = model.migration_noise;
    // `--region`: every region (the default), the parent alone, or one
    // region's own report.
    let region = match args.region.as_deref() {
        None | Some("all") => None,
        Some(r) => {
            model
                .select_regions(Some(r))
                .map_err(|e| e.context(args.model.display().to_string()))?;
            Some(r.to_string())
        }
    };
    let focus = region.as_deref().and_then(|r| model.region_view(r));
    let font = choose_font(args.font.as_deref(), asked)?;
    let (font_path, lang, note) = (&font.path, font.lang, &font.note);
    let heat = match &args.sweep {
        Some(dir) => Some(sweep_heat(
            dir,
            args.sweep_service.as_deref(),
            args.sweep_year,
            focus.as_ref().unwrap_or(model),
            focus.as_ref().and(region.as_deref()),
        )?),
        None => None,
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        let name = match &region {
            Some(r) => format!("{}-{r}-report", sel.stem),
            None => format!("{}-report", sel.stem),
        };
        PathBuf::from("notebooks-out").join(name)
    });
    if dir.exists() && !dir.is_dir() {
        bail!(
            "--out {}: exists and is not a folder (expected an output folder)",
            dir.display()
        );
    }
    charts::use_font(font.bytes).with_context(|| format!("font {}", font_path.display()))?;
    if let Some(note) = &note {
        if !args.quiet {
            eprintln!("{note}");
        }
    }
    let key_years = model
        .key_years_for(&args.years)
        .map_err(|e| e.context("--years"))?;
    if key_years.is_empty() {
        bail!(
            "--years: none within the projection ({}-{}); expected years such as 2025,2030,2035",
            model.base_year,
            model.end_year
        );
    }
    let start = std::time::Instant::now();
    let central_name = sel.scenarios.first().cloned().unwrap_or_default();
    let mut runs = Vec::new();
    for s in &model.scenarios {
        runs.push(model.run(s)?);
    }
    let central = runs
        .iter()
        .position(|r| r.name == central_name)
        .ok_or_else(|| anyhow!("scenario {central_name:?} not found"))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let s = model.scenario(&central_name)?;
    let request = EnsembleRequest::for_model(model, &s.assumptions, &model.services, spec)?
        .with_alpha(args.alpha)?;
    let bar = super::trajectory_bar(args.trajectories, "ensemble", args.quiet);
    let ensemble = pool.install(|| request.run(&|done| bar.set_position(done as u64)))?;
    bar.finish_and_clear();
    // What drives each risk: one ensemble per source alone and one without.
    let any_risk =
        !ensemble.risks.is_empty() || ensemble.regions.iter().any(|r| !r.1.risks.is_empty());
    let mut drivers = if any_risk {
        super::run_drivers(&pool, &request, &ensemble, "drivers", args.quiet)?
    } else {
        vec![Vec::new(); 1 + ensemble.regions.len()]
    };
    // A model of regions: each region's runs, its share of the ensemble and
    // its drivers.
    let mut region_runs: Vec<Vec<crate::model::ScenarioRun>> =
        vec![Vec::new(); model.regions.len()];
    if !model.regions.is_empty() {
        for s in &model.scenarios {
            for (k, (_, run)) in model.run_regions(s)?.into_iter().skip(1).enumerate() {
                region_runs[k].push(run);
            }
        }
    }
    let regions: Vec<RegionView> = model
        .regions
        .iter()
        .zip(region_runs)
        .zip(&ensemble.regions)
        .zip(drivers.drain(1..))
        .filter_map(|(((r, runs), (_, summary)), d)| {
            Some(RegionView {
                name: r.name.clone(),
                model: model.region_view(&r.name)?,
                runs,
                ensemble: summary,
                drivers: d,
            })
        })
        .collect();
    let drivers = drivers.swap_remove(0);
    let chosen = region
        .as_deref()
        .and_then(|r| regions.iter().position(|v| v.name == r));
    let input = match chosen {
        // One region's own report: its view of the same ensemble.
        Some(k) => {
            let v = &regions[k];
            ReportInput {
                model: &v.model,
                runs: v.runs.clone(),
                central,
                ensemble: v.ensemble,
                seed: args.seed,
                sweep: heat,
                key_years,
                stochastic: request.spec().stochastic,
                sources: request.sources(),
                drivers: &v.drivers,
                regions: Vec::new(),
            }
        }
        None => ReportInput {
            model,
            runs,
            central,
            ensemble: &ensemble,
            seed: args.seed,
            sweep: heat,
            key_years,
            stochastic: request.spec().stochastic,
            sources: request.sources(),
            drivers: &drivers,
            regions: if region.is_some() {
                Vec::new()
            } else {
                regions
            },
        },
    };
    let report = report::build(&input, lang)?;
    let rendered: Vec<(String, Vec<u8>, Vec<u8>)> = pool.install(|| {
        report
            .figures
            .par_iter()
            .map(|f| Ok((charts::svg(f)?, charts::png(f)?, report::figure_table(f)?)))
            .collect::<crate::Result<Vec<_>>>()
    })?;
    let svgs: Vec<String> = rendered.iter().map(|r| r.0.clone()).collect();
    let page = report::html::page(&report, &svgs);
    let mut output = OutputSet::new(&dir)?;
    output.stage("index.html", page.as_bytes())?;
    output.stage("key_figures.csv", &report::key_figures_table(&report)?)?;
    for (f, (svg, png, csv)) in report.figures.iter().zip(&rendered) {
        output.stage(&format!("{}.svg", f.name), svg.as_bytes())?;
        output.stage(&format!("{}.png", f.name), png)?;
        output.stage(&format!("{}.csv", f.name), csv)?;
    }
    let written = output.commit()?;
    if !args.quiet {
        let (charts, n, seed) = (report.figures.len(), args.trajectories, args.seed);
        let (font_file, family) = (font_path.display(), &font.family);
        let seconds = start.elapsed().as_secs_f64();
        let (index, more, folder) = (dir.join("index.html"), written.len() - 1, dir.display());
        let index = index.display();
        out(&if lang == Lang::Zh {
            format!(
                "{}（中文报告）：{charts} 张图表，{n} 条模拟轨迹，随机种子 {seed}，字体 {font_file}（{family}），用时 {seconds:.2} 秒\n已写入 {index} 及另外 {more} 个文件（{folder}）\n",
                crate::report::Words::new(Lang::Zh).region(input.model),
            )
        } else {
            format!(
                "{} ({}): {charts} charts, {n} trajectories, seed {seed}, font {font_file} ({family}), in {seconds:.2} s\nwrote {index} and {more} more files in {folder}\n",
                input.model.name,
                lang.code(),
            )
        });
    }
    Ok(())
}
