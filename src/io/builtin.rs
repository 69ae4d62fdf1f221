//! The shipped reference tables, built into the binary so that a model
//! anywhere (after `cargo install`) can name them: `builtin:china-mx-2015-2020`
//! instead of `../data/reference/china_mx_2015_2020.csv`. The bytes are the
//! files of `data/reference/`, sources and all (see its README).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The prefix of a built-in table's name.
pub const PREFIX: &str = "builtin:";

/// A reference table in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The name after `builtin:`.
    pub name: &'static str,
    /// The file of `data/reference/` it is.
    pub file: &'static str,
    /// What it holds, and its source.
    pub what: &'static str,
    /// The same in Chinese.
    pub what_zh: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
}

macro_rules! builtin {
    ($name:literal, $file:literal, $what:literal, $what_zh:literal) => {
        Builtin {
            name: $name,
            file: $file,
            what: $what,
            what_zh: $what_zh,
            bytes: include_bytes!(concat!("../../data/reference/", $file)),
        }
    };
}

/// Every built-in table.
pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "china-population-2020",
        "china_population_2020.csv",
        "China's population by sex and 5-year group, 1 July 2020, thousands (UN WPP 2019)",
        "全国分性别、五岁组人口，2020年7月1日，千人（联合国《世界人口展望2019》）"
    ),
    builtin!(
        "china-mx-2015-2020",
        "china_mx_2015_2020.csv",
        "China's central death rates 2015-2020 by sex and age (UN WPP 2019)",
        "全国2015-2020年分性别、年龄中心死亡率（联合国《世界人口展望2019》）"
    ),
    builtin!(
        "china-fertility-2015-2020",
        "china_fertility_2015_2020.csv",
        "China's fertility pattern 2015-2020, percent ASFR by 5-year age (UN WPP 2019)",
        "全国2015-2020年生育年龄模式，按五岁组的年龄别生育率百分比（联合国《世界人口展望2019》）"
    ),
    builtin!(
        "adl-dependency-china",
        "adl_dependency_china.csv",
        "any basic-ADL dependency by sex and age, 60+ (derived from CHARLS 2020 and others)",
        "60岁及以上分性别、年龄基本日常生活活动（ADL）失能率（据 CHARLS 2020 等推算）"
    ),
    builtin!(
        "severe-dependency-china",
        "severe_dependency_china.csv",
        "severe dependency (生活不能自理) by sex and age, 60+ (derived from the 2020 census)",
        "60岁及以上分性别、年龄生活不能自理比例（据2020年人口普查推算）"
    ),
    builtin!(
        "dementia-prevalence-china",
        "dementia_prevalence_china.csv",
        "dementia prevalence by sex and age, 60+ (derived from Jia et al. 2020)",
        "60岁及以上分性别、年龄痴呆患病率（据 Jia 等 2020 推算）"
    ),
    builtin!(
        "wpp2019-bounds-156",
        "wpp2019_bounds_156.csv",
        "UN WPP 2019 probabilistic TFR and e0 bounds, China (156)",
        "联合国《世界人口展望2019》概率预测的总和生育率与预期寿命区间，中国（156）"
    ),
    builtin!(
        "wpp2019-bounds-158",
        "wpp2019_bounds_158.csv",
        "UN WPP 2019 probabilistic TFR and e0 bounds, China, Taiwan Province (158): a low-fertility peer",
        "联合国《世界人口展望2019》概率预测的总和生育率与预期寿命区间，中国台湾省（158）：低生育率参照"
    ),
];

/// The built-in table a path names, if it is `builtin:NAME`; an unknown
/// name is an error listing the known ones.
pub fn lookup(path: &Path) -> Option<Result<&'static Builtin>> {
    let name = path.to_str()?.strip_prefix(PREFIX)?;
    Some(BUILTINS.iter().find(|b| b.name == name).ok_or_else(|| {
        Error::invalid(
            path.display().to_string(),
            "no such built-in table",
            format!(
                "one of {}",
                BUILTINS
                    .iter()
                    .map(|b| format!("{PREFIX}{}", b.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }))
}

/// A path written in a file in `dir`: relative to `dir`, or a built-in
/// table's name as it is.
pub fn resolve(dir: &Path, written: &str) -> PathBuf {
    if written.starts_with(PREFIX) {
        PathBuf::from(written)
    } else {
        dir.join(written)
    }
}

/// The built-in tables named anywhere in TOML `text` (any string value
/// starting with `builtin:`), in order of first use.
pub fn used_in(text: &str) -> Vec<&'static Builtin> {
    fn walk(v: &toml::Value, out: &mut Vec<&'static Builtin>) {
        match v {
            toml::Value::String(s) => {
                if let Some(Ok(b)) = lookup(Path::new(s)) {
                    if !out.iter().any(|o| o.name == b.name) {
                        out.push(b);
                    }
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            toml::Value::Table(t) => t.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = text.parse::<toml::Table>() {
        walk(&toml::Value::Table(v), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_its_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reference");
        for b in BUILTINS {
            assert_eq!(
                std::fs::read(dir.join(b.file)).unwrap(),
                b.bytes,
                "{}",
                b.name
            );
            assert_eq!(b.name, b.file.trim_end_matches(".csv").replace('_', "-"));
        }
        assert!(lookup(Path::new("builtin:nope")).unwrap().is_err());
        assert!(lookup(Path::new("data/x.csv")).is_none());
    }
}
