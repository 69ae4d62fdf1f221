//! `carecast synthesize`.

use anyhow::Result;

use super::{out, SynthesizeArgs};
use crate::io::tables::Format;
use crate::io::{synthesis_file, OutputSet};

pub fn run(args: &SynthesizeArgs) -> Result<()> {
    let done = synthesis_file::synthesize(&args.spec)?;
    let pop = &done.synthesis.population;
    let grid = pop.grid();
    let bytes = synthesis_file::encode_base(
        &done,
        Format::of_path(&args.out),
        &args.spec.display().to_string(),
    )?;
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut output = OutputSet::new(dir)?;
    output.stage(&name, &bytes)?;
    output.commit()?;
    if !args.quiet {
        let zh = args.lang == super::LangArg::Zh;
        let (total, share, young) = (
            pop.total(),
            100.0 * pop.aged(60, None) / pop.total(),
            pop.aged(0, Some(3)),
        );
        let mut text = if zh {
            format!(
                "已写入 {}：{total:.0} 人，60岁及以上占 {share:.2}%，0-2岁 {young:.0} 人\n",
                args.out.display()
            )
        } else {
            format!(
                "wrote {}: {total:.0} persons, {share:.2}% aged 60+, {young:.0} aged 0-2\n",
                args.out.display()
            )
        };
        let births = &done.synthesis.history_births;
        if !births.is_empty() {
            let years: Vec<String> = births
                .iter()
                .map(|(y, b)| {
                    if zh {
                        format!("{y}年 {:.0}", b[0] + b[1])
                    } else {
                        format!("{y} {:.0}", b[0] + b[1])
                    }
                })
                .collect();
            let last = births.len() * grid.width() as usize - 1;
            text.push_str(&if zh {
                format!(
                    "0-{last}岁由生育史回推重建；出生人数：{}\n",
                    years.join("，")
                )
            } else {
                format!(
                    "ages 0-{last} rebuilt from the fertility history; births: {}\n",
                    years.join(", ")
                )
            });
        }
        for line in done.diagnostics.lines_in(grid.width(), zh) {
            text.push_str(&line);
            text.push('\n');
        }
        if done.diagnostics.births.is_none() {
            text.push_str(if zh {
                "未核对出生人数：合成说明未指定模型（model = \"...toml\"）\n"
            } else {
                "births not checked: the spec names no model (model = \"...toml\")\n"
            });
        }
        out(&text);
    }
    Ok(())
}
