//! `carecast validate`.

use anyhow::Result;

use super::{out, ValidateArgs};
use crate::io::model_file;

pub fn run(args: &ValidateArgs) -> Result<()> {
    let model = model_file::load(&args.model)?;
    let mut text = format!(
        "{}: ok: {} ({}), base {} with {:.0} persons on {}, projected to {}; scenarios: {} (default {})\n",
        args.model.display(),
        model.name,
        model.name_zh.as_deref().unwrap_or("-"),
        model.base_year,
        model.base.total(),
        model.base.grid(),
        model.end_year,
        model.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        model.default_scenario,
    );
    for s in &model.scenarios {
        model.run(s)?;
    }
    text.push_str(&format!(
        "every scenario projects without error; {} service(s) with demand computed: {}\n",
        model.services.len(),
        model.service_ids()
    ));
    for f in &model.flags {
        text.push_str(&format!("flagged assumption: {f}\n"));
    }
    out(&text);
    Ok(())
}
