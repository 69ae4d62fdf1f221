//! `carecast template` and `carecast import`: the plan workbook.

use anyhow::Result;

use super::{out, ImportArgs, LangArg, TemplateArgs};
use crate::io::plan_workbook::{
    encode_template, import_plan, table_path_for, BaseTarget, PlanRows,
};
use crate::io::synthesis_file::SynthesisSpec;
use crate::io::OutputSet;

/// The folder of `path` ("." for a bare file name).
fn folder(path: &std::path::Path) -> &std::path::Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
}

pub fn template(args: &TemplateArgs) -> Result<()> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        anyhow::bail!(
            "--out {}: found a file name without .xlsx, expected an Excel workbook (plan.xlsx)",
            args.out.display()
        );
    }
    let workbook_dir = folder(&args.out).to_path_buf();
    let rows = match &args.from {
        None => None,
        Some(model) => {
            let model_dir = folder(model).to_path_buf();
            let table = |p: &str| table_path_for(p, &model_dir, &workbook_dir);
            let mut rows = crate::io::model_file::plan_rows(model, &table)?;
            rows.source = format!("as in {}", model.display());
            match &args.synthesis {
                Some(spec) => fill_synthesis(&mut rows, spec, &workbook_dir)?,
                None => fill_base_table(&mut rows, model)?,
            }
            Some(rows)
        }
    };
    let bytes = encode_template(rows.as_ref(), args.lang == LangArg::Zh)?;
    let name = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut output = OutputSet::new(&workbook_dir)?;
    output.stage(&name, &bytes)?;
    output.commit()?;
    if !args.quiet {
        let what = match (&args.from, args.lang) {
            (Some(m), LangArg::Zh) => format!("已按 {} 填写", m.display()),
            (Some(m), LangArg::En) => format!("filled from {}", m.display()),
            (None, LangArg::Zh) => "空白模板".into(),
            (None, LangArg::En) => "blank".into(),
        };
        let next = match args.lang {
            LangArg::Zh => format!(
                "填写后运行：carecast import --plan {} --out models/名称.toml --lang zh",
                args.out.display()
            ),
            LangArg::En => format!(
                "fill it in, then: carecast import --plan {} --out models/NAME.toml",
                args.out.display()
            ),
        };
        out(&match args.lang {
            LangArg::Zh => format!("已写入 {}（{what}）\n{next}\n", args.out.display()),
            LangArg::En => format!("wrote {} ({what})\n{next}\n", args.out.display()),
        });
    }
    Ok(())
}

/// The base as the synthesis spec `spec` gives it: its targets, reference,
/// history and notes.
fn fill_synthesis(
    rows: &mut PlanRows,
    spec_path: &std::path::Path,
    workbook_dir: &std::path::Path,
) -> Result<()> {
    use crate::io::plan_workbook::CellValue::{Number, Text};
    let (text, _) = crate::io::text_file::read_text(spec_path, "synthesis spec")?;
    let spec: SynthesisSpec = crate::io::parse_toml(&text, "a synthesis spec (see README)")
        .map_err(|e| e.context(spec_path.display().to_string()))?;
    let spec_dir = folder(spec_path);
    rows.settings.retain(|(k, _)| k != "base.population");
    let mut set = |k: &str, v| rows.settings.push((k.to_string(), v));
    set(
        "synthesis.reference",
        Text(table_path_for(&spec.reference, spec_dir, workbook_dir)),
    );
    if spec.reference_column != "population" {
        set(
            "synthesis.reference_column",
            Text(spec.reference_column.clone()),
        );
    }
    if let Some(y) = spec.reference_year {
        set("synthesis.reference_year", Number(f64::from(y)));
    }
    set(
        "synthesis.smooth_years",
        Number(f64::from(spec.smooth_years)),
    );
    if let Some(s) = &spec.scenario {
        set("synthesis.scenario", Text(s.clone()));
    }
    if let Some(srb) = spec.history.as_ref().and_then(|h| h.srb) {
        set("synthesis.history_srb", Number(srb));
    }
    for n in &spec.notes {
        set("synthesis.note", Text(n.clone()));
    }
    for &(y, v) in spec.history.iter().flat_map(|h| &h.tfr) {
        rows.paths
            .push(("synthesis.history_tfr".into(), Some(y), Number(v)));
    }
    for t in &spec.targets {
        rows.base_targets.push(BaseTarget {
            ages: t.ages.clone(),
            sex: t.sex.clone().unwrap_or_default(),
            total: t.total,
            share_of_total: t.share_of_total.map(|f| f.value()),
            source: format!("as in {}", spec_path.display()),
        });
    }
    Ok(())
}

/// The base as the model's own table.
fn fill_base_table(rows: &mut PlanRows, model: &std::path::Path) -> Result<()> {
    let m = crate::io::model_file::load(model)?;
    rows.settings.retain(|(k, _)| k != "base.population");
    let grid = m.base.grid();
    for s in crate::Sex::BOTH {
        for (i, &v) in m.base.of(s).iter().enumerate() {
            rows.base_population.push((
                m.base_year,
                s.label().to_string(),
                grid.lower(i) as i32,
                v,
            ));
        }
    }
    Ok(())
}

pub fn import(args: &ImportArgs) -> Result<()> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("toml") {
        anyhow::bail!(
            "--out {}: found a file name without .toml, expected the model file to write (models/NAME.toml)",
            args.out.display()
        );
    }
    let zh = args.lang == LangArg::Zh;
    let done = import_plan(&args.plan, &args.out, zh)?;
    if !args.quiet {
        let mut text = String::new();
        for f in &done.files {
            text.push_str(&if zh {
                format!("已写入 {}\n", f.display())
            } else {
                format!("wrote {}\n", f.display())
            });
        }
        text.push_str(&if zh {
            format!(
                "{} 个情景，{} 项服务；模型可加载\n",
                done.scenarios, done.services
            )
        } else {
            format!(
                "{} scenario(s), {} service(s); the model loads\n",
                done.scenarios, done.services
            )
        });
        for line in &done.synthesis {
            text.push_str(&format!("{line}\n"));
        }
        for d in &done.defaults {
            text.push_str(&if zh {
                format!("默认值（假设，已在模型中标注）：{d}\n")
            } else {
                format!("default (ASSUMPTION, flagged in the model): {d}\n")
            });
        }
        text.push_str(&if zh {
            format!(
                "下一步：carecast validate --model {0} --lang zh；carecast project --model {0} --lang zh\n",
                args.out.display()
            )
        } else {
            format!(
                "next: carecast validate --model {0}; carecast project --model {0}\n",
                args.out.display()
            )
        });
        out(&text);
    }
    Ok(())
}
