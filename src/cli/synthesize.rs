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
        let mut text = format!(
            "wrote {}: {:.0} persons, {:.2}% aged 60+, {:.0} aged 0-2\n",
            args.out.display(),
            pop.total(),
            100.0 * pop.aged(60, None) / pop.total(),
            pop.aged(0, Some(3))
        );
        let births = &done.synthesis.history_births;
        if !births.is_empty() {
            let years: Vec<String> = births
                .iter()
                .map(|(y, b)| format!("{y} {:.0}", b[0] + b[1]))
                .collect();
            text.push_str(&format!(
                "ages 0-{} rebuilt from the fertility history; births: {}\n",
                births.len() * grid.width() as usize - 1,
                years.join(", ")
            ));
        }
        for line in done.diagnostics.lines(grid.width()) {
            text.push_str(&line);
            text.push('\n');
        }
        if done.diagnostics.births.is_none() {
            text.push_str("births not checked: the spec names no model (model = \"...toml\")\n");
        }
        out(&text);
    }
    Ok(())
}
