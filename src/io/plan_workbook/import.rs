//! `carecast import`: a filled plan workbook to a commented model file (and
//! the synthesis spec and base it needs), checked before anything is
//! written. Every figure is tagged with its sheet, rows and source: `[P]`
//! (the plan's) unless its source says ASSUMPTION (假设); every default
//! carecast fills in is tagged ASSUMPTION and listed among the flags.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::{
    Key, Kind, Series, SheetSpec, DEMAND_KEYS, SCENARIO_KEYS, SERIES, SETTINGS, SHEETS, SUPPLY_KEYS,
};
use crate::error::Error;
use crate::io::output::OutputSet;
use crate::io::sheet::{cell_name, read_sheet, sheet_names};
use crate::population::Sex;
use crate::standards::FRACTION_EXPECTED;

/// Every problem found in a plan workbook.
#[derive(Debug)]
pub struct PlanProblems {
    /// The workbook.
    pub file: String,
    /// Every problem, in sheet order.
    pub problems: Vec<Error>,
}

impl std::fmt::Display for PlanProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::io::model_file::write_problems(
            f,
            &self.file,
            "in the plan workbook (nothing written)",
            &self.problems,
        )
    }
}

impl std::error::Error for PlanProblems {}

/// What `import` wrote.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The files written: the model first.
    pub files: Vec<PathBuf>,
    /// Scenarios and services of the model.
    pub scenarios: usize,
    /// Services of the model.
    pub services: usize,
    /// The defaults taken (each tagged ASSUMPTION and flagged).
    pub defaults: Vec<String>,
    /// Lines about the synthesized base, when one was synthesized.
    pub synthesis: Vec<String>,
}

/// A cell's text and where it is.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    /// `sheet 需求标准, cell E7`.
    at: String,
}

/// A data row of a sheet.
#[derive(Debug, Clone)]
struct Row {
    /// The sheet row, counted from 1.
    number: u32,
    cells: BTreeMap<&'static str, Cell>,
}

impl Row {
    fn get(&self, column: &str) -> Option<&Cell> {
        self.cells.get(column)
    }
    fn text(&self, column: &str) -> &str {
        self.get(column).map_or("", |c| c.text.as_str())
    }
}

/// A sheet read: its name as written and its rows.
#[derive(Debug, Clone, Default)]
struct Sheet {
    name: String,
    rows: Vec<Row>,
}

/// The workbook being read, and the problems found so far.
struct Reader {
    file: String,
    problems: Vec<Error>,
}

impl Reader {
    fn problem(
        &mut self,
        at: impl AsRef<str>,
        found: impl std::fmt::Display,
        expected: impl Into<String>,
    ) {
        self.problems.push(Error::invalid(
            format!("{}: {}", self.file, at.as_ref()),
            found,
            expected,
        ));
    }

    /// Reads the sheet of `spec` (by its English or Chinese name); an
    /// absent sheet is empty (a problem when `needed`).
    fn sheet(&mut self, path: &Path, names: &[String], spec: &SheetSpec, needed: bool) -> Sheet {
        let Some(name) = names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(spec.en) || n.trim() == spec.zh)
        else {
            if needed {
                let list = names.join(", ");
                self.problem(
                    format!("sheet {}", spec.en),
                    format!("no such sheet (the workbook has {list})"),
                    format!(
                        "a sheet named {} or {} (see `carecast template`)",
                        spec.en, spec.zh
                    ),
                );
            }
            return Sheet::default();
        };
        let cells = match read_sheet(path, Some(name)) {
            Ok(c) => c,
            Err(e) => {
                self.problems.push(e);
                return Sheet::default();
            }
        };
        let mut columns: Vec<Option<&'static str>> = Vec::new();
        for (i, h) in cells.header.iter().enumerate() {
            let found = spec
                .columns
                .iter()
                .find(|(en, zh)| h.trim().eq_ignore_ascii_case(en) || h.trim() == *zh);
            if found.is_none() {
                let header_row = cells.rows.first().map_or(1, |r| r.0).saturating_sub(1);
                let expected: Vec<String> = spec
                    .columns
                    .iter()
                    .map(|(en, zh)| format!("{en} ({zh})"))
                    .collect();
                self.problem(
                    format!(
                        "sheet {name}, cell {}",
                        cell_name(header_row, cells.first_column + i as u32)
                    ),
                    format!("a column {h:?}"),
                    format!("the template's columns: {}", expected.join(", ")),
                );
            }
            columns.push(found.map(|(en, _)| *en));
        }
        let rows = cells
            .rows
            .iter()
            .map(|(r, texts)| Row {
                number: r + 1,
                cells: texts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| {
                        let column = columns.get(i).copied().flatten()?;
                        let text = t.clone()?;
                        let at = format!(
                            "sheet {name}, cell {}",
                            cell_name(*r, cells.first_column + i as u32)
                        );
                        Some((column, Cell { text, at }))
                    })
                    .collect(),
            })
            .collect();
        Sheet {
            name: name.clone(),
            rows,
        }
    }
}

/// A TOML string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A number as TOML writes it back to the same double.
fn toml_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v}")
    } else {
        format!("{v:?}")
    }
}

/// A number as a bureau writes it: `1342`, `1,342`, `1 342`.
fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{a0}'))
        .collect();
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A value of one key: its year (for series) and cell.
#[derive(Debug, Clone)]
struct Entry {
    year: Option<Cell>,
    value: Cell,
    source: String,
    row: u32,
}

/// `rows 5-7` or `row 5` or `rows 5, 9`.
fn rows_text(entries: &[&Entry]) -> String {
    let mut rows: Vec<u32> = entries.iter().map(|e| e.row).collect();
    rows.sort_unstable();
    rows.dedup();
    match rows.as_slice() {
        [one] => format!("row {one}"),
        [first, .., last] if (last - first) as usize + 1 == rows.len() => {
            format!("rows {first}-{last}")
        }
        _ => format!(
            "rows {}",
            rows.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Whether a source marks its figure as an assumption.
fn is_assumption(source: &str) -> bool {
    source.to_ascii_uppercase().contains("ASSUMPTION") || source.contains("假设")
}

/// The comment tagging `entries` of sheet `sheet`.
fn tag(sheet: &str, entries: &[&Entry]) -> String {
    let mut sources: Vec<&str> = Vec::new();
    for e in entries {
        if !e.source.is_empty() && !sources.contains(&e.source.as_str()) {
            sources.push(&e.source);
        }
    }
    let joined = sources.join("; ");
    let at = format!("plan workbook, sheet {sheet}, {}", rows_text(entries));
    if is_assumption(&joined) {
        format!("ASSUMPTION: {joined} ({at})")
    } else if joined.is_empty() {
        format!("[P] {at}")
    } else {
        format!("[P] {joined} ({at})")
    }
}

/// A key's TOML value and the comment tagging it.
type Tagged = (String, String);

/// How a settings key is looked up.
type Lookup<'a> = dyn FnMut(&mut Reader, &str) -> Option<Tagged> + 'a;

/// The tag of one row's figures: the sheet, the row and its source.
fn row_tag(sheet: &str, row: &Row) -> String {
    let e = Entry {
        year: None,
        value: Cell {
            text: String::new(),
            at: String::new(),
        },
        source: row.text("source").to_string(),
        row: row.number,
    };
    tag(sheet, &[&e])
}

/// The model file being written.
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }
    fn comment(&mut self, indent: &str, text: &str) {
        for l in text.lines() {
            self.text.push_str(&format!("{indent}# {l}\n"));
        }
    }
    fn kv(&mut self, indent: &str, key: &str, value: &str) {
        self.text.push_str(&format!("{indent}{key} = {value}\n"));
    }
}

/// The context values are read in: the workbook's folder and the model's.
struct Place {
    workbook_dir: PathBuf,
    model_dir: PathBuf,
}

/// `path` (relative to `from`) relative to `to`, or absolute when it
/// cannot be (another drive).
fn relative_to(path: &str, from: &Path, to: &Path) -> String {
    if path.starts_with(crate::io::builtin::PREFIX) || Path::new(path).is_absolute() {
        return path.to_string();
    }
    let absolute = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    let target = absolute(&from.join(path));
    let base = absolute(to);
    let (t, b): (Vec<_>, Vec<_>) = (target.components().collect(), base.components().collect());
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    rel.to_string_lossy().replace('\\', "/")
}

/// Public for `template --from`: a model's table path in the workbook's terms.
pub fn table_path_for(path: &str, model_dir: &Path, workbook_dir: &Path) -> String {
    relative_to(path, model_dir, workbook_dir)
}

impl Reader {
    /// The TOML form of one cell of kind `kind`.
    fn scalar(&mut self, kind: Kind, cell: &Cell, place: &Place) -> Option<String> {
        let t = cell.text.trim();
        let number = || parse_number(t);
        match kind {
            Kind::Text => Some(toml_string(t)),
            Kind::Table => Some(toml_string(&relative_to(
                t,
                &place.workbook_dir,
                &place.model_dir,
            ))),
            Kind::Int => match number() {
                Some(v) if v.fract() == 0.0 => Some(format!("{}", v as i64)),
                _ => {
                    self.problem(&cell.at, format!("{t:?}"), "a whole number");
                    None
                }
            },
            Kind::Number => match number() {
                Some(v) => Some(toml_number(v)),
                None => {
                    self.problem(&cell.at, format!("{t:?}"), "a number (1342 or 1,342)");
                    None
                }
            },
            Kind::Fraction => {
                let pct = t.strip_suffix('%').or_else(|| t.strip_suffix('％'));
                let (v, written) = match pct {
                    Some(p) => (parse_number(p).map(|v| v / 100.0), toml_string(t)),
                    None => (number(), number().map(toml_number).unwrap_or_default()),
                };
                match v {
                    Some(v) if (0.0..=1.0).contains(&v) => Some(written),
                    Some(v) if v > 1.0 && pct.is_some() => {
                        self.problem(
                            &cell.at,
                            format!("{t:?}, a percentage above 100%"),
                            FRACTION_EXPECTED,
                        );
                        None
                    }
                    _ => {
                        self.problem(&cell.at, format!("{t:?}"), FRACTION_EXPECTED);
                        None
                    }
                }
            }
            Kind::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "是" => Some("true".into()),
                "false" | "no" | "n" | "0" | "否" => Some("false".into()),
                _ => {
                    self.problem(&cell.at, format!("{t:?}"), "yes or no (是 or 否)");
                    None
                }
            },
            Kind::Years => {
                let mut years = Vec::new();
                for part in t.split([',', '，', '、', ';', ' ']) {
                    if part.trim().is_empty() {
                        continue;
                    }
                    match part.trim().parse::<i32>() {
                        Ok(y) => years.push(y.to_string()),
                        Err(_) => {
                            self.problem(
                                &cell.at,
                                format!("{part:?}"),
                                "years, e.g. 2025, 2030, 2035",
                            );
                            return None;
                        }
                    }
                }
                Some(format!("[{}]", years.join(", ")))
            }
        }
    }

    /// Writes `key`'s entries into `out` as one TOML key, tagged with their
    /// sheet and rows; with none, a required key is a problem of `owner`.
    #[allow(clippy::too_many_arguments)]
    fn put(
        &mut self,
        out: &mut Out,
        indent: &str,
        key: &Key,
        entries: &[&Entry],
        place: &Place,
        sheet: &str,
        owner: impl FnOnce() -> String,
    ) {
        if entries.is_empty() {
            if key.required {
                self.problem(
                    owner(),
                    format!("no {}", key.key),
                    format!("a row with key {} (required)", key.key),
                );
            }
            return;
        }
        if let Some(v) = self.value(key, entries, place) {
            out.comment(indent, &tag(sheet, entries));
            out.kv(indent, key.key, &v);
        }
    }

    /// The TOML form of `key`'s entries: one value, or `[[year, value], ...]`.
    fn value(&mut self, key: &Key, entries: &[&Entry], place: &Place) -> Option<String> {
        let first = entries.first()?;
        let constant = entries.len() == 1 && first.year.is_none();
        if key.series == Series::No || (constant && key.series == Series::Path) {
            if let Some(second) = entries.get(1) {
                self.problem(
                    &second.value.at,
                    format!("{} given again (first at {})", key.key, first.value.at),
                    "one value",
                );
                return None;
            }
            if key.series == Series::No {
                if let Some(y) = &first.year {
                    self.problem(
                        &y.at,
                        format!("a year for {}", key.key),
                        "no year: the key takes one value",
                    );
                }
            }
            return self.scalar(key.kind, &first.value, place);
        }
        let mut points: Vec<(f64, String, String)> = Vec::new();
        for e in entries {
            let Some(y) = &e.year else {
                self.problem(
                    &e.value.at,
                    format!("a value of {} without a year", key.key),
                    "a year on every row of a value by year (or a single row without one: a constant)",
                );
                return None;
            };
            let Some(year) = parse_number(&y.text).filter(|v| v.fract() == 0.0) else {
                self.problem(&y.at, format!("{:?}", y.text), "a year (2025)");
                return None;
            };
            if let Some(prev) = points.iter().find(|p| p.0 == year) {
                self.problem(
                    &y.at,
                    format!("{year} twice for {} (first at {})", key.key, prev.2),
                    "one row per year",
                );
                return None;
            }
            let v = self.scalar(key.kind, &e.value, place)?;
            points.push((year, v, y.at.clone()));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let list: Vec<String> = points
            .iter()
            .map(|(y, v, _)| format!("[{}, {v}]", toml_number(*y)))
            .collect();
        Some(format!("[{}]", list.join(", ")))
    }
}

/// Entries of a long sheet, grouped by an owner (a scenario, a service, a
/// demand) and key, in order of first appearance.
type Grouped = Vec<(String, Vec<(String, Vec<Entry>)>)>;

fn entry(row: &Row, value: &str) -> Option<Entry> {
    Some(Entry {
        year: row.get("year").cloned(),
        value: row.get(value)?.clone(),
        source: row.text("source").to_string(),
        row: row.number,
    })
}

fn push_grouped(groups: &mut Grouped, owner: &str, key: &str, e: Entry) {
    let i = match groups.iter().position(|g| g.0 == owner) {
        Some(i) => i,
        None => {
            groups.push((owner.to_string(), Vec::new()));
            groups.len() - 1
        }
    };
    let keys = &mut groups[i].1;
    match keys.iter_mut().find(|k| k.0 == key) {
        Some(k) => k.1.push(e),
        None => keys.push((key.to_string(), vec![e])),
    }
}

impl Reader {
    /// The rows of a long sheet grouped by owner (the cells of the `owner`
    /// columns, joined by `\u{1f}`) and key, in order of first appearance.
    /// Every row needs its owner cells, a key of `keys` and a value; an
    /// owner whose first cell `known` rejects (giving what was expected)
    /// is a problem at that cell.
    fn group_long(
        &mut self,
        sheet: &Sheet,
        owner: &[&str],
        keys: &[Key],
        known: &dyn Fn(&str) -> Option<String>,
    ) -> Grouped {
        let mut groups: Grouped = Vec::new();
        for row in &sheet.rows {
            let cells: Vec<Option<&Cell>> = owner.iter().map(|c| row.get(c)).collect();
            let (Some(k), true) = (row.get("key"), cells.iter().all(Option::is_some)) else {
                self.problem(
                    format!("sheet {}, row {}", sheet.name, row.number),
                    format!("a row without {} or key", owner.join(", ")),
                    format!("{}, key and value on every row", owner.join(", ")),
                );
                continue;
            };
            let cells: Vec<&Cell> = cells.into_iter().flatten().collect();
            if let Some(expected) = known(cells[0].text.trim()) {
                self.problem(
                    &cells[0].at,
                    format!("{} {:?}", owner[0], cells[0].text),
                    expected,
                );
                continue;
            }
            let key = k.text.trim();
            if !keys.iter().any(|x| x.key == key) {
                let list: Vec<&str> = keys.iter().map(|s| s.key).collect();
                self.problem(
                    &k.at,
                    format!("a key {key:?}"),
                    format!("one of {}", list.join(", ")),
                );
                continue;
            }
            let name: Vec<&str> = cells.iter().map(|c| c.text.trim()).collect();
            match entry(row, "value") {
                Some(e) => push_grouped(&mut groups, &name.join("\u{1f}"), key, e),
                None => self.problem(
                    &k.at,
                    format!("{key} without a value"),
                    "a value in the value column",
                ),
            }
        }
        groups
    }
}

/// The defaults `import` takes for keys the workbook leaves blank: key,
/// value, and the flag it raises (English, Chinese).
struct Default {
    value: &'static str,
    flag: (&'static str, &'static str),
}

fn default_for(key: &str) -> Option<Default> {
    Some(match key {
        "mortality.standard" => Default {
            value: "\"builtin:china-mx-2015-2020\"",
            flag: (
                "The age pattern of mortality is China's 2015-2020 (UN WPP 2019), carecast's default: the plan workbook names no standard schedule.",
                "死亡年龄模式采用全国2015-2020年数据（联合国《世界人口展望2019》），为 carecast 默认值：规划工作簿未给出标准死亡模式。",
            ),
        },
        "mortality.sex_gap" => Default {
            value: "",
            flag: (
                "The female-male life-expectancy gap is the standard mortality schedule's, carecast's default: the plan workbook gives no mortality.sex_gap.",
                "女性与男性预期寿命之差取标准死亡模式的差值，为 carecast 默认值：规划工作簿未给出 mortality.sex_gap。",
            ),
        },
        "fertility.pattern" => Default {
            value: "\"builtin:china-fertility-2015-2020\"",
            flag: (
                "The age pattern of fertility is China's 2015-2020 (UN WPP 2019), carecast's default.",
                "生育年龄模式采用全国2015-2020年数据（联合国《世界人口展望2019》），为 carecast 默认值。",
            ),
        },
        "fertility.srb" => Default {
            value: "1.13",
            flag: (
                "The sex ratio at birth of 1.13 is China's 2015-2020 (UN WPP 2019), carecast's default.",
                "出生性别比1.13取自全国2015-2020年数据（联合国《世界人口展望2019》），为 carecast 默认值。",
            ),
        },
        "synthesis.reference" => Default {
            value: "\"builtin:china-population-2020\"",
            flag: (
                "The base's age structure is China's of 2020 (UN WPP 2019) raked to the plan's totals, carecast's default: replace it with the registry's counts by age when at hand.",
                "基期年龄结构采用全国2020年结构（联合国《世界人口展望2019》）并按规划总数调整，为 carecast 默认值：获得户籍分年龄人数后请替换。",
            ),
        },
        _ => return None,
    })
}

/// The files `import` writes beside the model `NAME.toml`.
fn sibling(model: &Path, suffix: &str) -> String {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    format!("{stem}{suffix}")
}

/// Reads the plan workbook at `plan` and writes the model `out` (with
/// `NAME.synthesis.toml` and `NAME.base.csv` beside it when the workbook
/// gives the base as targets or as a table). Nothing is written unless the
/// model loads. With `zh`, the lines about a synthesized base are in
/// Chinese.
pub fn import_plan(
    plan: &Path,
    out: &Path,
    zh: bool,
) -> std::result::Result<Imported, PlanProblems> {
    let file = plan.display().to_string();
    let fail = |e: Error| PlanProblems {
        file: file.clone(),
        problems: vec![e],
    };
    let names = sheet_names(plan).map_err(fail)?;
    let mut r = Reader {
        file: file.clone(),
        problems: Vec::new(),
    };
    let mut sheets: BTreeMap<&'static str, Sheet> = BTreeMap::new();
    for spec in SHEETS {
        let needed = matches!(spec.en, "settings" | "scenarios");
        let s = r.sheet(plan, &names, spec, needed);
        sheets.insert(spec.en, s);
    }
    let model_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let place = Place {
        workbook_dir: plan
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        model_dir: model_dir.clone(),
    };
    let sheet_name = |en: &str| -> String {
        let s = &sheets[en];
        if s.name.is_empty() {
            en.to_string()
        } else {
            s.name.clone()
        }
    };

    // settings and paths: key -> entries.
    let mut settings: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for row in &sheets["settings"].rows {
        let Some(k) = row.get("key") else { continue };
        let key = k.text.trim().to_string();
        if !SETTINGS.iter().any(|s| s.key == key) {
            r.problem(
                &k.at,
                format!("a key {key:?}"),
                "a key of the settings sheet (listed on the readme sheet)",
            );
            continue;
        }
        if let Some(e) = entry(row, "value") {
            settings.entry(key).or_default().push(e);
        }
    }
    for row in &sheets["paths"].rows {
        let Some(k) = row.get("series") else { continue };
        let key = k.text.trim().to_string();
        if !SERIES.iter().any(|s| s.key == key) {
            let list: Vec<&str> = SERIES.iter().map(|s| s.key).collect();
            r.problem(
                &k.at,
                format!("a series {key:?}"),
                format!("one of {}", list.join(", ")),
            );
            continue;
        }
        match entry(row, "value") {
            Some(e) => settings.entry(key).or_default().push(e),
            None => r.problem(
                &k.at,
                format!("{key} without a value"),
                "a value in the value column",
            ),
        }
    }
    let settings_sheet = sheet_name("settings");
    let paths_sheet = sheet_name("paths");
    let mut defaults: Vec<String> = Vec::new();
    let mut default_flags: Vec<(&str, &str)> = Vec::new();
    // The TOML of a settings or paths key, with its tag; a default if blank.
    let mut setting = |r: &mut Reader, key: &str| -> Option<Tagged> {
        let spec = SETTINGS.iter().chain(SERIES).find(|k| k.key == key)?;
        match settings.get(key) {
            Some(entries) => {
                let refs: Vec<&Entry> = entries.iter().collect();
                let sheet = if SERIES.iter().any(|k| k.key == key) {
                    &paths_sheet
                } else {
                    &settings_sheet
                };
                let v = r.value(spec, &refs, &place)?;
                Some((v, tag(sheet, &refs)))
            }
            None => None,
        }
    };
    let mut take_default = |key: &str| -> Option<Tagged> {
        let d = default_for(key)?;
        defaults.push(match d.value {
            "" => format!("{key}: the standard schedule's"),
            v => format!("{key} = {v}"),
        });
        default_flags.push(d.flag);
        Some((
            d.value.to_string(),
            format!(
                "ASSUMPTION: carecast's default, not in the plan workbook ({})",
                d.flag.0
            ),
        ))
    };

    let mut m = Out {
        text: String::new(),
    };
    let stem = sibling(out, "");
    m.comment(
        "",
        &format!(
            "{stem}: a model imported from the plan workbook {}",
            plan.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
    );
    m.comment(
        "",
        "by `carecast import`. Every figure is tagged with the sheet and rows it comes from:",
    );
    m.comment(
        "",
        "[P] the plan's; ASSUMPTION where its source says so, or where carecast's default",
    );
    m.comment(
        "",
        "filled a blank (those are also listed in region.flags).",
    );
    m.line("");

    // [projection] values first: they are needed for the base.
    let require = |r: &mut Reader, key: &str, got: Option<Tagged>| -> Option<Tagged> {
        if got.is_none() {
            r.problem(
                format!("sheet {settings_sheet}, key {key}"),
                "nothing",
                format!("a value for {key} (required)"),
            );
        }
        got
    };
    let name = setting(&mut r, "region.name");
    let name = require(&mut r, "region.name", name);
    let base_year = setting(&mut r, "projection.base_year");
    let base_year = require(&mut r, "projection.base_year", base_year);
    let end_year = setting(&mut r, "projection.end_year");
    let end_year = require(&mut r, "projection.end_year", end_year);

    // Scenarios.
    let scen_sheet = sheet_name("scenarios");
    let scenario_groups = r.group_long(&sheets["scenarios"], &["scenario"], SCENARIO_KEYS, &|_| {
        None
    });
    if scenario_groups.is_empty() && !sheets["scenarios"].name.is_empty() {
        r.problem(
            format!("sheet {scen_sheet}"),
            "no scenario",
            "at least one scenario with its tfr",
        );
    }
    let mut scenario_text = Out {
        text: String::new(),
    };
    for (name, keys) in &scenario_groups {
        scenario_text.line("[[scenario]]");
        scenario_text.kv("", "name", &toml_string(name));
        for k in SCENARIO_KEYS {
            let entries: Vec<&Entry> = keys
                .iter()
                .filter(|(key, _)| key == k.key)
                .flat_map(|(_, e)| e)
                .collect();
            let owner = || format!("sheet {scen_sheet}, scenario {name}");
            r.put(
                &mut scenario_text,
                "",
                k,
                &entries,
                &place,
                &scen_sheet,
                owner,
            );
        }
        scenario_text.line("");
    }

    // [region]
    let mut flags: Vec<(String, String)> = Vec::new();
    for row in &sheets["flags"].rows {
        flags.push((
            row.text("flag").to_string(),
            row.text("flag_zh").to_string(),
        ));
    }

    // [projection]
    let mut proj = Out {
        text: String::new(),
    };
    proj.line("[projection]");
    for (key, got) in [("base_year", &base_year), ("end_year", &end_year)] {
        if let Some((v, t)) = got {
            proj.comment("", t);
            proj.kv("", key, v);
        }
    }
    for key in ["step", "open_age"] {
        if let Some((v, t)) = setting(&mut r, &format!("projection.{key}")) {
            proj.comment("", &t);
            proj.kv("", key, &v);
        }
    }
    match setting(&mut r, "projection.default_scenario") {
        Some((v, t)) => {
            proj.comment("", &t);
            proj.kv("", "default_scenario", &v);
        }
        None => {
            if let Some((first, _)) = scenario_groups.first() {
                proj.comment("", "carecast's default: the first scenario of the workbook");
                proj.kv("", "default_scenario", &toml_string(first));
            }
        }
    }
    if let Some((v, t)) = setting(&mut r, "projection.key_years") {
        proj.comment("", &t);
        proj.kv("", "key_years", &v);
    }

    // The base.
    let base_file = sibling(out, ".base.csv");
    let spec_file = sibling(out, ".synthesis.toml");
    let model_file = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.toml".into());
    let given_base = setting(&mut r, "base.population");
    let targets = &sheets["base_targets"].rows;
    let table_rows = &sheets["base_population"].rows;
    enum BaseFrom {
        File,
        Table(String),
        Synthesis,
    }
    let base_from = match (&given_base, table_rows.is_empty(), targets.is_empty()) {
        (Some(_), _, _) => BaseFrom::File,
        (None, false, _) => BaseFrom::Table(base_table_csv(
            &mut r,
            table_rows,
            base_year.as_ref().map(|b| b.0.as_str()),
        )),
        (None, true, false) => BaseFrom::Synthesis,
        (None, true, true) => {
            r.problem(
                format!("sheet {settings_sheet}, key base.population"),
                "no base population",
                "base.population (a table file), rows on the base_population sheet, or totals on the base_targets sheet",
            );
            BaseFrom::File
        }
    };
    let mut base = Out {
        text: String::new(),
    };
    let base_path_line = |path: &str| format!("population = {}", toml_string(path));
    base.line("[base]");
    match (&given_base, &base_from) {
        (Some((v, t)), _) => {
            base.comment("", t);
            base.line(&format!("population = {v}"));
        }
        (None, BaseFrom::Table(_)) => {
            base.comment("", &format!("The base_population sheet of the plan workbook ({} rows), written as {base_file}.", table_rows.len()));
            base.line("@BASE@");
        }
        _ => {
            base.comment("", &format!("Synthesized from the base_targets sheet (spec {spec_file}, run again: carecast synthesize --spec {spec_file} --out {base_file})."));
            base.line("@BASE@");
        }
    }
    for key in ["value_column", "year"] {
        if let Some((v, t)) = setting(&mut r, &format!("base.{key}")) {
            base.comment("", &t);
            base.kv("", key, &v);
        }
    }
    let pair = |r: &mut Reader, lo: &str, hi: &str, setting: &mut Lookup<'_>| -> Option<Tagged> {
        match (setting(r, lo), setting(r, hi)) {
            (Some((l, t)), Some((h, _))) => Some((format!("[{l}, {h}]"), t)),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                r.problem(
                    format!("keys {lo} and {hi}"),
                    "one end of an interval",
                    "both ends, or neither",
                );
                None
            }
        }
    };
    if let Some((v, t)) = pair(
        &mut r,
        "base.total_90_low",
        "base.total_90_high",
        &mut setting,
    ) {
        base.comment("", &t);
        base.kv("", "total_90", &v);
    }
    let structure_sheet = sheet_name("base_structure_90");
    let mut bands = Vec::new();
    for row in &sheets["base_structure_90"].rows {
        let ages = row.text("ages").to_string();
        let num = |r: &mut Reader, c: &str| match row.get(c) {
            Some(cell) => r.scalar(Kind::Number, cell, &place),
            None => {
                r.problem(
                    format!("sheet {structure_sheet}, row {}", row.number),
                    format!("no {c}"),
                    "both ends of the interval",
                );
                None
            }
        };
        let (lo, hi) = (num(&mut r, "low_90"), num(&mut r, "high_90"));
        if let (Some(lo), Some(hi)) = (lo, hi) {
            bands.push((
                format!(
                    "  {{ ages = {}, factor_90 = [{lo}, {hi}] }},",
                    toml_string(&ages)
                ),
                row_tag(&structure_sheet, row),
            ));
        }
    }
    if !bands.is_empty() {
        for (_, t) in &bands {
            base.comment("", t);
        }
        base.line("structure_90 = [");
        for (b, _) in &bands {
            base.line(b);
        }
        base.line("]");
    }

    // [mortality] and [fertility]
    let mut mort = Out {
        text: String::new(),
    };
    mort.line("[mortality]");
    match setting(&mut r, "mortality.method") {
        Some((v, t)) => {
            mort.comment("", &t);
            mort.kv("", "method", &v);
        }
        None => {
            mort.comment("", "carecast's default: a standard schedule moved to the life expectancy (Brass logit)");
            mort.kv("", "method", "\"brass\"");
        }
    }
    let table_method = settings
        .get("mortality.method")
        .is_some_and(|e| e[0].value.text.trim() == "table");
    let standard = setting(&mut r, "mortality.standard").or_else(|| {
        (!table_method)
            .then(|| take_default("mortality.standard"))
            .flatten()
    });
    if let Some((v, t)) = standard {
        mort.comment("", &t);
        mort.kv("", "standard", &v);
    }
    for key in ["table", "e0", "e0_male", "e0_female"] {
        if let Some((v, t)) = setting(&mut r, &format!("mortality.{key}")) {
            mort.comment("", &t);
            mort.kv("", key, &v);
        }
    }
    let split =
        settings.contains_key("mortality.e0") && !settings.contains_key("mortality.e0_male");
    match setting(&mut r, "mortality.sex_gap") {
        Some((v, t)) => {
            mort.comment("", &t);
            mort.kv("", "sex_gap", &v);
        }
        // The loader's own default (the standard's gap): nothing to write.
        None if split => {
            if let Some((_, t)) = take_default("mortality.sex_gap") {
                mort.comment("", &t);
            }
        }
        None => {}
    }
    let mut fert = Out {
        text: String::new(),
    };
    fert.line("[fertility]");
    for key in ["pattern", "srb"] {
        let k = format!("fertility.{key}");
        if let Some((v, t)) = setting(&mut r, &k).or_else(|| take_default(&k)) {
            fert.comment("", &t);
            fert.kv("", key, &v);
        }
    }

    // [migration]
    let mut mig = Out {
        text: String::new(),
    };
    let mig_keys = ["net_per_year", "male_share", "counts"];
    let mut any_mig = false;
    for key in mig_keys {
        if let Some((v, t)) = setting(&mut r, &format!("migration.{key}")) {
            if !any_mig {
                mig.line("[migration]");
                any_mig = true;
            }
            mig.comment("", &t);
            mig.kv("", key, &v);
        }
    }
    let schedule_keys = ["a1", "alpha1", "a2", "alpha2", "mu2", "lambda2", "c"];
    let schedule: Vec<(String, Option<Tagged>)> = schedule_keys
        .iter()
        .map(|k| {
            (
                k.to_string(),
                setting(&mut r, &format!("migration.schedule.{k}")),
            )
        })
        .collect();
    if schedule.iter().any(|s| s.1.is_some()) {
        if schedule.iter().any(|s| s.1.is_none()) {
            let missing: Vec<&str> = schedule
                .iter()
                .filter(|s| s.1.is_none())
                .map(|s| s.0.as_str())
                .collect();
            r.problem(
                format!("sheet {settings_sheet}, migration.schedule"),
                format!("no {}", missing.join(", ")),
                "all seven Rogers-Castro parameters, or none",
            );
        } else {
            if !any_mig {
                mig.line("[migration]");
            }
            if let Some((_, Some((_, t)))) = schedule.first() {
                mig.comment("", t);
            }
            let parts: Vec<String> = schedule
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|(v, _)| format!("{k} = {v}")))
                .collect();
            mig.kv("", "schedule", &format!("{{ {} }}", parts.join(", ")));
        }
    }

    // [[subregion]] and [[flow]]
    let regions_sheet = sheet_name("regions");
    let mut regs = Out {
        text: String::new(),
    };
    for row in &sheets["regions"].rows {
        let (Some(name), Some(pop)) = (row.get("region"), row.get("population")) else {
            r.problem(
                format!("sheet {regions_sheet}, row {}", row.number),
                "a region without a name or population",
                "region and population (a base table, or remainder) on every row",
            );
            continue;
        };
        regs.comment("", &row_tag(&regions_sheet, row));
        regs.line("[[subregion]]");
        regs.kv("", "name", &toml_string(name.text.trim()));
        if let Some(z) = row.get("name_zh") {
            regs.kv("", "name_zh", &toml_string(z.text.trim()));
        }
        if let Some(l) = row.get("label") {
            regs.kv("", "label", &toml_string(l.text.trim()));
        }
        let population = if pop.text.trim() == "remainder" {
            Some(toml_string("remainder"))
        } else {
            r.scalar(Kind::Table, pop, &place)
        };
        if let Some(p) = population {
            regs.kv("", "population", &p);
        }
        for (col, kind) in [
            ("tfr_ratio", Kind::Number),
            ("e0_difference", Kind::Number),
            ("migration_share", Kind::Fraction),
        ] {
            if let Some(c) = row.get(col) {
                if let Some(v) = r.scalar(kind, c, &place) {
                    regs.kv("", col, &v);
                }
            }
        }
        regs.line("");
    }
    let flows_sheet = sheet_name("flows");
    let flow_groups = r.group_long(&sheets["flows"], &["from", "to"], super::FLOW_KEYS, &|_| {
        None
    });
    for (owner, keys) in &flow_groups {
        let (from, to) = owner.split_once('\u{1f}').unwrap_or((owner, ""));
        regs.line("[[flow]]");
        regs.kv("", "from", &toml_string(from));
        regs.kv("", "to", &toml_string(to));
        for k in super::FLOW_KEYS {
            let entries: Vec<&Entry> = keys
                .iter()
                .filter(|(key, _)| key == k.key)
                .flat_map(|(_, e)| e)
                .collect();
            if entries.is_empty() {
                continue;
            }
            if let Some(v) = r.value(k, &entries, &place) {
                regs.comment("", &tag(&flows_sheet, &entries));
                regs.kv("", k.key, &v);
            }
        }
        regs.line("");
    }

    // [populations]
    let pop_sheet = sheet_name("populations");
    let mut pops = Out {
        text: String::new(),
    };
    if !sheets["populations"].rows.is_empty() {
        pops.line("[populations]");
        for row in &sheets["populations"].rows {
            let (Some(n), Some(a)) = (row.get("name"), row.get("ages")) else {
                r.problem(
                    format!("sheet {pop_sheet}, row {}", row.number),
                    "a row without a name or ages",
                    "name and ages (e.g. elderly, 60+)",
                );
                continue;
            };
            pops.comment("", &row_tag(&pop_sheet, row));
            pops.kv("", &toml_string(n.text.trim()), &toml_string(a.text.trim()));
        }
    }

    // Services.
    let svc_sheet = sheet_name("services");
    let dem_sheet = sheet_name("demands");
    let sup_sheet = sheet_name("supply");
    let mut services: Vec<(String, &Row)> = Vec::new();
    for row in &sheets["services"].rows {
        match row.get("service") {
            Some(c) => {
                // A region's service is `region:id` on the other sheets.
                let key = match row.get("region") {
                    Some(g) => format!("{}:{}", g.text.trim(), c.text.trim()),
                    None => c.text.trim().to_string(),
                };
                if let Some((_, first)) = services.iter().find(|s| s.0 == key) {
                    r.problem(
                        &c.at,
                        format!("service {key} again (first in row {})", first.number),
                        "one row per service (and region)",
                    );
                } else {
                    services.push((key, row));
                }
            }
            None => {
                if let Some(c) = row.cells.values().next() {
                    r.problem(
                        &c.at,
                        "a row without a service id",
                        "an id in the service column",
                    );
                }
            }
        }
    }
    let service_names: Vec<String> = services.iter().map(|s| s.0.clone()).collect();
    let known_service = |name: &str| {
        (!service_names.iter().any(|s| s == name))
            .then(|| format!("a service of the {svc_sheet} sheet"))
    };
    let demand_groups = r.group_long(
        &sheets["demands"],
        &["service", "demand"],
        DEMAND_KEYS,
        &known_service,
    );
    let supply_groups = r.group_long(&sheets["supply"], &["service"], SUPPLY_KEYS, &known_service);
    let mut svc = Out {
        text: String::new(),
    };
    for (id, row) in &services {
        svc.line("[[service]]");
        svc.comment("", &row_tag(&svc_sheet, row));
        let (region, plain) = match id.split_once(':') {
            Some((g, i)) => (Some(g), i),
            None => (None, id.as_str()),
        };
        svc.kv("", "id", &toml_string(plain));
        if let Some(g) = region {
            svc.kv("", "region", &toml_string(g));
        }
        for col in ["label", "label_zh", "unit"] {
            match row.get(col) {
                Some(c) => svc.kv("", col, &toml_string(c.text.trim())),
                None if col == "label_zh" => {}
                None => r.problem(
                    format!("sheet {svc_sheet}, row {}", row.number),
                    format!("no {col} for service {id}"),
                    format!("a {col}"),
                ),
            }
        }
        for (owner, keys) in demand_groups
            .iter()
            .filter(|g| g.0.split('\u{1f}').next() == Some(id))
        {
            let demand = owner.split('\u{1f}').nth(1).unwrap_or_default();
            svc.line("  [[service.demand]]");
            svc.kv("  ", "name", &toml_string(demand));
            let get = |k: &str| -> Vec<&Entry> {
                keys.iter()
                    .filter(|(key, _)| key == k)
                    .flat_map(|(_, e)| e)
                    .collect()
            };
            for k in DEMAND_KEYS {
                if k.key.starts_with("uncertainty_90") {
                    continue;
                }
                let owner = || format!("sheet {dem_sheet}, service {id}, demand {demand}");
                r.put(&mut svc, "  ", k, &get(k.key), &place, &dem_sheet, owner);
            }
            let (lo, hi) = (get("uncertainty_90_low"), get("uncertainty_90_high"));
            let number_key = DEMAND_KEYS.iter().find(|k| k.key == "uncertainty_90_low");
            match (lo.is_empty(), hi.is_empty(), number_key) {
                (false, false, Some(k)) => {
                    if let (Some(l), Some(h)) = (r.value(k, &lo, &place), r.value(k, &hi, &place)) {
                        let both: Vec<&Entry> = lo.iter().chain(&hi).copied().collect();
                        svc.comment("  ", &tag(&dem_sheet, &both));
                        svc.kv("  ", "uncertainty_90", &format!("[{l}, {h}]"));
                    }
                }
                (true, true, _) => {}
                _ => r.problem(
                    format!("sheet {dem_sheet}, service {id}, demand {demand}"),
                    "one end of uncertainty_90",
                    "uncertainty_90_low and uncertainty_90_high, or neither",
                ),
            }
        }
        if let Some((_, keys)) = supply_groups.iter().find(|g| &g.0 == id) {
            svc.line("  [service.supply]");
            let get = |k: &str| -> Vec<&Entry> {
                keys.iter()
                    .filter(|(key, _)| key == k)
                    .flat_map(|(_, e)| e)
                    .collect()
            };
            let mut pairs: Vec<(&str, Vec<&Entry>, Vec<&Entry>)> = Vec::new();
            let mut build: Vec<(&str, Vec<&Entry>)> = Vec::new();
            for k in SUPPLY_KEYS {
                let entries = get(k.key);
                if entries.is_empty() {
                    continue;
                }
                if let Some(p) = k.key.strip_suffix("_low") {
                    pairs.push((p, entries, get(&format!("{p}_high"))));
                    continue;
                }
                if k.key.ends_with("_high") {
                    if get(&k.key.replace("_high", "_low")).is_empty() {
                        r.problem(
                            format!("sheet {sup_sheet}, service {id}"),
                            format!("{} without its low end", k.key),
                            "both ends of the interval, or neither",
                        );
                    }
                    continue;
                }
                if let Some(part) = k.key.strip_prefix("build_rate_") {
                    build.push((part, entries));
                    continue;
                }
                if let Some(v) = r.value(k, &entries, &place) {
                    svc.comment("  ", &tag(&sup_sheet, &entries));
                    let name = if k.key == "count" { "points" } else { k.key };
                    svc.kv("  ", name, &v);
                }
            }
            for (p, lo, hi) in pairs {
                let k = SUPPLY_KEYS.iter().find(|k| k.key == format!("{p}_low"));
                if hi.is_empty() {
                    r.problem(
                        format!("sheet {sup_sheet}, service {id}"),
                        format!("{p}_low without its high end"),
                        "both ends of the interval, or neither",
                    );
                    continue;
                }
                if let (Some(k), true) = (k, true) {
                    if let (Some(l), Some(h)) = (r.value(k, &lo, &place), r.value(k, &hi, &place)) {
                        let both: Vec<&Entry> = lo.iter().chain(&hi).copied().collect();
                        svc.comment("  ", &tag(&sup_sheet, &both));
                        svc.kv("  ", p, &format!("[{l}, {h}]"));
                    }
                }
            }
            if !build.is_empty() {
                if build.len() < 3 {
                    r.problem(
                        format!("sheet {sup_sheet}, service {id}"),
                        "part of a build rate",
                        "build_rate_year, build_rate_stock and build_rate_per_year",
                    );
                } else if let Some(k) = SUPPLY_KEYS.iter().find(|k| k.key == "build_rate_year") {
                    let mut parts = Vec::new();
                    let mut all: Vec<&Entry> = Vec::new();
                    for (part, entries) in &build {
                        if let Some(v) = r.value(k, entries, &place) {
                            parts.push(format!("{part} = {v}"));
                        }
                        all.extend(entries.iter().copied());
                    }
                    svc.comment("  ", &tag(&sup_sheet, &all));
                    svc.kv("  ", "build_rate", &format!("{{ {} }}", parts.join(", ")));
                }
            }
        }
        svc.line("");
    }
    for (owner, keys) in &supply_groups {
        if !services.iter().any(|s| &s.0 == owner) {
            if let Some(e) = keys.first().and_then(|k| k.1.first()) {
                r.problem(
                    &e.value.at,
                    format!("supply of service {owner:?}"),
                    format!("a service of the {svc_sheet} sheet"),
                );
            }
        }
    }

    // [[stated]]
    let stated_sheet = sheet_name("stated");
    let mut stated = Out {
        text: String::new(),
    };
    for row in &sheets["stated"].rows {
        let (Some(i), Some(y), Some(v)) = (row.get("indicator"), row.get("year"), row.get("value"))
        else {
            r.problem(
                format!("sheet {stated_sheet}, row {}", row.number),
                "a row without an indicator, year or value",
                "indicator, year and value",
            );
            continue;
        };
        let (Some(y), Some(v)) = (
            r.scalar(Kind::Int, y, &place),
            r.scalar(Kind::Number, v, &place),
        ) else {
            continue;
        };
        stated.line("[[stated]]");
        stated.kv("", "indicator", &toml_string(i.text.trim()));
        stated.kv("", "year", &y);
        stated.kv("", "value", &v);
        stated.kv("", "source", &toml_string(row.text("source")));
        stated.line("");
    }

    // [uncertainty]
    let mut unc = Out {
        text: String::new(),
    };
    for key in ["migration_sd", "calibration"] {
        if let Some((v, t)) = setting(&mut r, &format!("uncertainty.{key}")) {
            if unc.text.is_empty() {
                unc.line("[uncertainty]");
            }
            unc.comment("", &t);
            unc.kv("", key, &v);
        }
    }

    // The synthesis spec.
    let mut spec = Out {
        text: String::new(),
    };
    let mut history = Out {
        text: String::new(),
    };
    if let BaseFrom::Synthesis = base_from {
        spec.comment("", &format!("Base synthesis for {stem}, written by `carecast import` from the plan workbook's base_targets sheet."));
        spec.comment(
            "",
            &format!("Run again: carecast synthesize --spec {spec_file} --out {base_file}"),
        );
        let reference =
            setting(&mut r, "synthesis.reference").or_else(|| take_default("synthesis.reference"));
        if let Some((v, t)) = reference {
            spec.comment("", &t);
            spec.kv("", "reference", &v);
        }
        for key in ["reference_column", "reference_year"] {
            if let Some((v, t)) = setting(&mut r, &format!("synthesis.{key}")) {
                spec.comment("", &t);
                spec.kv("", key, &v);
            }
        }
        let year = setting(&mut r, "base.year").or(base_year.clone());
        if let Some((v, _)) = year {
            spec.kv("", "year", &v);
        }
        for key in ["step", "open_age"] {
            if let Some((v, _)) = setting(&mut r, &format!("projection.{key}")) {
                spec.kv("", key, &v);
            }
        }
        spec.comment("", "The model whose mortality, fertility pattern and sex ratio at birth rebuild the young ages.");
        spec.kv("", "model", &toml_string(&model_file));
        for key in ["scenario", "smooth_years"] {
            if let Some((v, t)) = setting(&mut r, &format!("synthesis.{key}")) {
                spec.comment("", &t);
                spec.kv("", key, &v);
            }
        }
        if let Some(notes) = settings.get("synthesis.note") {
            let lines: Vec<String> = notes
                .iter()
                .map(|e| format!("  {},", toml_string(e.value.text.trim())))
                .collect();
            spec.line("notes = [");
            for l in lines {
                spec.line(&l);
            }
            spec.line("]");
        }
        spec.line("");
        let tsheet = sheet_name("base_targets");
        for row in targets {
            let Some(ages) = row.get("ages") else {
                r.problem(
                    format!("sheet {tsheet}, row {}", row.number),
                    "a target without ages",
                    "ages (e.g. 0+, 60+, 0-2)",
                );
                continue;
            };
            spec.comment("", &row_tag(&tsheet, row));
            spec.line("[[target]]");
            spec.kv("", "ages", &toml_string(ages.text.trim()));
            if let Some(s) = row.get("sex") {
                match Sex::parse(&s.text) {
                    Ok(sex) => spec.kv("", "sex", &toml_string(sex.label())),
                    Err(_) => r.problem(
                        &s.at,
                        format!("{:?}", s.text),
                        "male or female (男 or 女), or blank for both",
                    ),
                }
            }
            match (row.get("total"), row.get("share_of_total")) {
                (Some(t), None) => {
                    if let Some(v) = r.scalar(Kind::Number, t, &place) {
                        spec.kv("", "total", &v);
                    }
                }
                (None, Some(s)) => {
                    if let Some(v) = r.scalar(Kind::Fraction, s, &place) {
                        spec.kv("", "share_of_total", &v);
                    }
                }
                (Some(t), Some(_)) => r.problem(
                    &t.at,
                    "both a total and a share of the total",
                    "one of them",
                ),
                (None, None) => r.problem(
                    &ages.at,
                    format!("ages {} without a total or share", ages.text),
                    "a total (persons) or a share of the 0+ total",
                ),
            }
            spec.line("");
        }
        if let Some((v, t)) = setting(&mut r, "synthesis.history_tfr") {
            history.line("[history]");
            history.comment("", &t);
            history.kv("", "tfr", &v);
            if let Some((v, t)) = setting(&mut r, "synthesis.history_srb") {
                history.comment("", &t);
                history.kv("", "srb", &v);
            }
        }
    }
    let scenarios = scenario_groups.len();

    // [region], now that the defaults are known.
    let mut region = Out {
        text: String::new(),
    };
    region.line("[region]");
    if let Some((v, t)) = &name {
        region.comment("", t);
        region.kv("", "name", v);
    }
    if let Some((v, t)) = setting(&mut r, "region.name_zh") {
        region.comment("", &t);
        region.kv("", "name_zh", &v);
    }
    for (en, zh) in &default_flags {
        flags.push((en.to_string(), zh.to_string()));
    }
    for (key, pick) in [("flags", 0), ("flags_zh", 1)] {
        let list: Vec<&String> = flags
            .iter()
            .map(|f| if pick == 0 { &f.0 } else { &f.1 })
            .filter(|f| !f.is_empty())
            .collect();
        if list.is_empty() {
            continue;
        }
        region.line(&format!("{key} = ["));
        for f in list {
            region.line(&format!("  {},", toml_string(f)));
        }
        region.line("]");
    }

    if !r.problems.is_empty() {
        return Err(PlanProblems {
            file,
            problems: r.problems,
        });
    }

    let assemble = |base_path: &str| -> String {
        let mut text = m.text.clone();
        for part in [
            &region.text,
            &proj.text,
            &base.text.replace("@BASE@", &base_path_line(base_path)),
            &mort.text,
            &fert.text,
            &mig.text,
        ] {
            if !part.is_empty() {
                text.push_str(part);
                text.push('\n');
            }
        }
        text.push_str(&regs.text);
        text.push_str(&scenario_text.text);
        if !pops.text.is_empty() {
            text.push_str(&pops.text);
            text.push('\n');
        }
        text.push_str(&svc.text);
        text.push_str(&stated.text);
        text.push_str(&unc.text);
        text
    };

    // Check, then write.
    let mut output = OutputSet::new(&model_dir).map_err(fail)?;
    let model_label = out.display().to_string();
    let mut synthesis_lines = Vec::new();
    let mut files = vec![out.to_path_buf()];
    let model_text = assemble(&base_file);
    let base_bytes = match &base_from {
        BaseFrom::File => None,
        BaseFrom::Table(csv) => Some(csv.clone().into_bytes()),
        BaseFrom::Synthesis => {
            let spec_text = format!("{}{}", spec.text, history.text);
            let spec_label = model_dir.join(&spec_file).display().to_string();
            let model_path = model_dir.join(&model_file);
            let reader = |p: &Path| {
                if p == model_path {
                    crate::io::model_file::load_scenarios_text(
                        &model_text,
                        &model_dir,
                        &model_label,
                    )
                } else {
                    crate::io::model_file::load_scenarios(p)
                }
            };
            let done = crate::io::synthesis_file::synthesize_text(
                &spec_text,
                &model_dir,
                &spec_label,
                &reader,
            )
            .map_err(|e| {
                fail(e.context("the synthesis spec written from the workbook's base_targets sheet"))
            })?;
            let pop = &done.synthesis.population;
            let (total, share, young) = (
                pop.total(),
                100.0 * pop.aged(60, None) / pop.total(),
                pop.aged(0, Some(3)),
            );
            synthesis_lines.push(if zh {
                format!("基期人口已合成：{total:.0} 人，60岁及以上占 {share:.2}%，0-2岁 {young:.0} 人")
            } else {
                format!(
                    "base synthesized: {total:.0} persons, {share:.2}% aged 60+, {young:.0} aged 0-2"
                )
            });
            synthesis_lines.extend(done.diagnostics.lines_in(pop.grid().width(), zh));
            let bytes =
                crate::io::synthesis_file::encode_base(&done, crate::io::Format::Csv, &spec_label)
                    .map_err(fail)?;
            output
                .stage(&spec_file, spec_text.as_bytes())
                .map_err(fail)?;
            files.push(model_dir.join(&spec_file));
            Some(bytes)
        }
    };
    let check_text = match base_bytes {
        Some(bytes) => {
            let temp = output.stage_path(&base_file);
            std::fs::write(&temp, &bytes)
                .map_err(|e| fail(Error::io(temp.display(), format!("cannot write: {e}"))))?;
            files.push(model_dir.join(&base_file));
            let temp_name = temp
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            assemble(&temp_name)
        }
        None => model_text.clone(),
    };
    let model =
        crate::io::model_file::load_text(&check_text, &model_dir, &model_label).map_err(|p| {
            PlanProblems {
                file: file.clone(),
                problems: p
                    .problems
                    .into_iter()
                    .map(|e| {
                        e.context(format!(
                            "the model written from the workbook ({model_label})"
                        ))
                    })
                    .collect(),
            }
        })?;
    output
        .stage(&model_file, model_text.as_bytes())
        .map_err(fail)?;
    output.commit().map_err(fail)?;
    Ok(Imported {
        files,
        scenarios,
        services: model.services.len(),
        defaults,
        synthesis: synthesis_lines,
    })
}

/// The base_population sheet as a CSV `year,sex,age,population`.
fn base_table_csv(r: &mut Reader, rows: &[Row], base_year: Option<&str>) -> String {
    let mut text = String::from("# The base_population sheet of the plan workbook, written by `carecast import`.\nyear,sex,age,population\n");
    for row in rows {
        let at = |c: &str| row.get(c).map_or(String::new(), |x| x.at.clone());
        let year = match row.get("year") {
            Some(y) => parse_number(&y.text)
                .filter(|v| v.fract() == 0.0)
                .map(|v| format!("{v}")),
            None => base_year.map(str::to_string),
        };
        let sex = row.get("sex").and_then(|s| Sex::parse(&s.text).ok());
        let age = row
            .get("age")
            .and_then(|a| parse_number(&a.text))
            .filter(|v| v.fract() == 0.0 && *v >= 0.0);
        let pop = row
            .get("population")
            .and_then(|p| parse_number(&p.text))
            .filter(|v| *v >= 0.0);
        match (year, sex, age, pop) {
            (Some(y), Some(s), Some(a), Some(p)) => {
                text.push_str(&format!("{y},{},{a},{p}\n", s.label()))
            }
            (None, ..) => r.problem(
                format!("{} (row {})", at("year"), row.number),
                "no year",
                "a year (or the base year in the settings)",
            ),
            (_, None, ..) => r.problem(
                format!("{} (row {})", at("sex"), row.number),
                format!("{:?}", row.text("sex")),
                "male or female (男 or 女)",
            ),
            (_, _, None, _) => r.problem(
                format!("{} (row {})", at("age"), row.number),
                format!("{:?}", row.text("age")),
                "an age, a whole number",
            ),
            (.., None) => r.problem(
                format!("{} (row {})", at("population"), row.number),
                format!("{:?}", row.text("population")),
                "persons, a number",
            ),
        }
    }
    text
}
