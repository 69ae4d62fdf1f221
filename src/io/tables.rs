//! Tidy tables in and out, through polars: CSV (lines starting with `#` are
//! comments, used for stating sources) and Parquet.
//!
//! Inputs are long tables such as `year,sex,age,value`. Every cell is read as
//! text and parsed here, so an error can name the file, the data row (1 =
//! the first row after the header, comments not counted), the column, what
//! was found and what was expected.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::population::{Population, Sex};

/// Output and input table formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Comma-separated text (UTF-8).
    #[default]
    Csv,
    /// Apache Parquet.
    Parquet,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

impl Format {
    /// From a file name's extension (`.parquet`/`.pq`: Parquet; `.xlsx`: a
    /// workbook; else CSV).
    pub fn of_path(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
        {
            Some(e) if e == "parquet" || e == "pq" => Format::Parquet,
            Some(e) if e == "xlsx" => Format::Xlsx,
            _ => Format::Csv,
        }
    }

    /// The file extension, without dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A table of text cells.
#[derive(Debug, Clone)]
pub struct TextTable {
    file: String,
    columns: Vec<String>,
    /// Column-major cells.
    cells: Vec<Vec<Option<String>>>,
    height: usize,
    /// For a sheet of a workbook: where each cell is, for A1 names in errors.
    sheet: Option<SheetPlace>,
}

/// Where a table's cells are in its sheet.
#[derive(Debug, Clone)]
struct SheetPlace {
    name: String,
    first_column: u32,
    rows: Vec<u32>,
}

fn polars_error(file: &str, e: PolarsError) -> Error {
    Error::io(file, format!("cannot read the table: {e}"))
}

/// Chinese column names accepted for the English ones (documented in the
/// README's input tables).
pub const COLUMN_ALIASES: &[(&str, &str)] = &[
    ("年份", "year"),
    ("年", "year"),
    ("性别", "sex"),
    ("年龄", "age"),
    ("人口", "population"),
    ("人口数", "population"),
    ("人数", "population"),
    ("死亡率", "mx"),
    ("患病率", "prevalence"),
    ("90%下限", "low_90"),
    ("90%上限", "high_90"),
];

/// A column's name, its Chinese alias replaced.
fn canonical_column(name: &str) -> String {
    let name = name.trim().trim_start_matches('\u{feff}');
    COLUMN_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, english)| english)
        .to_string()
}

/// Reads a table as text cells: CSV (UTF-8 or GBK; lines starting with
/// `#` are comments), Parquet, or a sheet of an Excel workbook
/// (`FILE.xlsx#SHEET`, see [`crate::io::sheet`]).
pub fn read_text_table(path: &Path) -> Result<TextTable> {
    if let Some(builtin) = crate::io::builtin::lookup(path) {
        let builtin = builtin?;
        let file = format!("{}{}", crate::io::builtin::PREFIX, builtin.name);
        let df = read_csv_bytes(&file, builtin.bytes)?;
        return text_table_of(file, &df);
    }
    let (path, sheet) = crate::io::sheet::split_sheet(path);
    let path = path.as_path();
    let file = path.display().to_string();
    if !path.is_file() {
        return Err(Error::io(
            &file,
            "no such file (expected a CSV, Parquet or xlsx table)",
        ));
    }
    let format = Format::of_path(path);
    if format == Format::Xlsx {
        let read = crate::io::sheet::read_sheet(path, sheet.as_deref())?;
        let width = read.header.len();
        let cells = (0..width)
            .map(|c| read.rows.iter().map(|r| r.1[c].clone()).collect())
            .collect();
        return Ok(TextTable {
            file,
            columns: read.header.iter().map(|c| canonical_column(c)).collect(),
            cells,
            height: read.rows.len(),
            sheet: Some(SheetPlace {
                name: read.sheet,
                first_column: read.first_column,
                rows: read.rows.iter().map(|r| r.0).collect(),
            }),
        });
    }
    let df = match format {
        Format::Parquet => {
            let f = std::fs::File::open(path).map_err(|e| Error::io(&file, e))?;
            guarded(&file, "Parquet", || ParquetReader::new(f).finish())?
                .map_err(|e| polars_error(&file, e))?
        }
        _ => {
            let bytes = std::fs::read(path)
                .map_err(|e| Error::io(&file, format!("cannot read the table: {e}")))?;
            read_csv_bytes(&file, &bytes)?
        }
    };
    text_table_of(file, &df)
}

/// A CSV table's bytes (UTF-8 or GBK, `#` comments) as text columns.
fn read_csv_bytes(file: &str, bytes: &[u8]) -> Result<DataFrame> {
    let (text, _) = crate::io::text_file::decode_text(file, bytes)?;
    guarded(file, "CSV", || {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(CsvParseOptions::default().with_comment_prefix(Some("#")))
            .into_reader_with_file_handle(std::io::Cursor::new(text.into_bytes()))
            .finish()
    })?
    .map_err(|e| polars_error(file, e))
}

/// Guarded sections running now (their panics print nothing).
static GUARDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs a third-party reader that may panic on a damaged file (polars'
/// Parquet decoder indexes out of bounds on some corrupt pages): a panic
/// becomes an error naming the file, and prints nothing while any guarded
/// reader runs (other panics print as before).
fn guarded<T>(file: &str, kind: &str, read: impl FnOnce() -> T) -> Result<T> {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
    GUARDED.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|_| {
        Error::io(
            file,
            format!("cannot read the table: the {kind} file is damaged (its reader failed on it)"),
        )
    })
}

/// A read frame's cells as trimmed text.
fn text_table_of(file: String, df: &DataFrame) -> Result<TextTable> {
    let mut columns = Vec::new();
    let mut cells = Vec::new();
    for col in df.columns() {
        let text = col
            .cast(&DataType::String)
            .map_err(|e| polars_error(&file, e))?;
        let ca = text.str().map_err(|e| polars_error(&file, e))?;
        cells.push(ca.iter().map(|v| v.map(|s| s.trim().to_string())).collect());
        columns.push(canonical_column(col.name()));
    }
    Ok(TextTable {
        file,
        columns,
        cells,
        height: df.height(),
        sheet: None,
    })
}

/// A number as spreadsheets write it: `1342`, `1,342`, `1,342.5` (commas
/// only between groups of three digits).
fn parse_number(text: &str) -> Option<f64> {
    if let Ok(v) = text.parse::<f64>() {
        return Some(v);
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let int_part = unsigned.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int_part.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if grouped {
        text.replace(',', "").parse().ok()
    } else {
        None
    }
}

impl TextTable {
    /// The file name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of data rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The index of a column that must be present.
    pub fn require(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::invalid(
                format!("{}: columns", self.file),
                self.columns.join(","),
                format!("a column named {name:?}"),
            )
        })
    }

    /// The index of an optional column.
    pub fn optional(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Fails on a column outside `allowed`.
    pub fn only_columns(&self, allowed: &[&str]) -> Result<()> {
        match self.columns.iter().find(|c| !allowed.contains(&c.as_str())) {
            Some(c) => Err(Error::invalid(
                format!("{}: column {c:?}", self.file),
                "an unknown column",
                format!("only {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// Where a cell is: `file: row 3, column age`, or in a workbook
    /// `file: sheet 人口, cell C5 (column age)`.
    pub fn cell_place(&self, row: usize, col: usize) -> String {
        match &self.sheet {
            Some(place) => format!(
                "{}: sheet {}, cell {} (column {})",
                self.file,
                place.name,
                crate::io::sheet::cell_name(place.rows[row], place.first_column + col as u32),
                self.columns[col]
            ),
            None => format!(
                "{}: row {}, column {}",
                self.file,
                row + 1,
                self.columns[col]
            ),
        }
    }

    /// Where a row is: `file: row 3`, or `file: sheet 人口, row 5`.
    pub fn row_place(&self, row: usize) -> String {
        match &self.sheet {
            Some(place) => format!(
                "{}: sheet {}, row {}",
                self.file,
                place.name,
                place.rows[row] + 1
            ),
            None => format!("{}: row {}", self.file, row + 1),
        }
    }

    /// The text of a cell; empty cells are errors.
    pub fn text(&self, row: usize, col: usize) -> Result<&str> {
        match &self.cells[col][row] {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::invalid(
                self.cell_place(row, col),
                "an empty cell",
                "a value",
            )),
        }
    }

    /// A finite number.
    pub fn number(&self, row: usize, col: usize) -> Result<f64> {
        let s = self.text(row, col)?;
        match parse_number(s) {
            Some(v) if v.is_finite() => Ok(v),
            Some(v) => Err(Error::invalid(
                self.cell_place(row, col),
                v,
                "a finite number",
            )),
            None => Err(Error::invalid(
                self.cell_place(row, col),
                format!("{s:?}"),
                "a number",
            )),
        }
    }

    /// A finite number >= 0.
    pub fn non_negative(&self, row: usize, col: usize) -> Result<f64> {
        let v = self.number(row, col)?;
        if v < 0.0 {
            return Err(Error::invalid(
                self.cell_place(row, col),
                v,
                "a number >= 0",
            ));
        }
        Ok(v)
    }

    /// An integer.
    pub fn integer(&self, row: usize, col: usize) -> Result<i64> {
        let s = self.text(row, col)?;
        s.parse::<i64>()
            .or_else(|_| match parse_number(s) {
                Some(v) if v.fract() == 0.0 && v.is_finite() => Ok(v as i64),
                _ => Err(()),
            })
            .map_err(|_| {
                Error::invalid(
                    self.cell_place(row, col),
                    format!("{s:?}"),
                    "a whole number",
                )
            })
    }

    /// An age: the lower bound, written `85`, `85+` or `85-89`.
    pub fn age(&self, row: usize, col: usize) -> Result<u32> {
        let s = self.text(row, col)?;
        let head = s.split(['-', '+']).next().unwrap_or("").trim();
        head.parse::<u32>().map_err(|_| {
            Error::invalid(
                self.cell_place(row, col),
                format!("{s:?}"),
                "an age such as 85, 85+ or 85-89",
            )
        })
    }

    /// A sex label.
    pub fn sex(&self, row: usize, col: usize) -> Result<Sex> {
        Sex::parse(self.text(row, col)?).map_err(|e| e.context(self.cell_place(row, col)))
    }
}

/// Values by sex and age read from a long table, checked against the
/// expected ages: no missing, extra or duplicated (sex, age).
#[derive(Debug, Clone)]
pub struct BySexAge {
    /// The ages found, ascending.
    pub ages: Vec<u32>,
    /// Values by sex (male, female), in the order of `ages`.
    pub values: [Vec<f64>; 2],
}

/// Reads `sex,age,<value_column>` rows (and `year`, when `year` is given,
/// keeping only that year) onto `ages`.
pub fn read_by_sex_age(
    table: &TextTable,
    value_column: &str,
    ages: &[u32],
    year: Option<i32>,
) -> Result<BySexAge> {
    let sex_col = table.require("sex")?;
    let age_col = table.require("age")?;
    let val_col = table.require(value_column)?;
    let year_col = table.optional("year");
    let index: HashMap<u32, usize> = ages.iter().enumerate().map(|(i, &a)| (a, i)).collect();
    let mut values = [vec![f64::NAN; ages.len()], vec![f64::NAN; ages.len()]];
    let mut seen: HashMap<(Sex, u32), usize> = HashMap::new();
    let mut years_found = Vec::new();
    for row in 0..table.height() {
        if let Some(yc) = year_col {
            let y = table.integer(row, yc)? as i32;
            if !years_found.contains(&y) {
                years_found.push(y);
            }
            if year.is_some_and(|want| want != y) {
                continue;
            }
        }
        let sex = table.sex(row, sex_col)?;
        let age = table.age(row, age_col)?;
        let Some(&i) = index.get(&age) else {
            return Err(Error::invalid(
                table.cell_place(row, age_col),
                format!("age {age}, not on the age grid"),
                format!("one of {}", describe_ages(ages)),
            ));
        };
        if let Some(first) = seen.insert((sex, age), row) {
            return Err(Error::invalid(
                table.row_place(row),
                format!(
                    "a second row for {} age {age} (first at row {})",
                    sex.label(),
                    first + 1
                ),
                "one row per sex and age",
            ));
        }
        values[sex.index()][i] = table.non_negative(row, val_col)?;
    }
    if let (Some(want), Some(_)) = (year, year_col) {
        if !years_found.contains(&want) {
            return Err(Error::invalid(
                format!("{}: column year", table.file()),
                format!("years {years_found:?}"),
                format!("rows for {want}"),
            ));
        }
    } else if years_found.len() > 1 {
        return Err(Error::invalid(
            format!("{}: column year", table.file()),
            format!("several years {years_found:?}"),
            "one year (or name the year to use)",
        ));
    }
    for sex in Sex::BOTH {
        if let Some(i) = values[sex.index()].iter().position(|v| v.is_nan()) {
            return Err(Error::invalid(
                format!("{}: {} age {}", table.file(), sex.label(), ages[i]),
                "no row",
                format!("a row for every sex and age ({})", describe_ages(ages)),
            ));
        }
    }
    Ok(BySexAge {
        ages: ages.to_vec(),
        values,
    })
}

fn describe_ages(ages: &[u32]) -> String {
    match ages {
        [] => "no ages".into(),
        [a] => a.to_string(),
        [a, b, .., last] => format!("{a}, {b}, ..., {last} (open)"),
        [a, b] => format!("{a}, {b}"),
    }
}

/// The grid of a population table: single years if any age is not a
/// multiple of 5, else 5-year groups; closed at `open_age`.
pub fn infer_grid(table: &TextTable, open_age: u32) -> Result<AgeGrid> {
    let age_col = table.require("age")?;
    let mut width = 5;
    for row in 0..table.height() {
        if table.age(row, age_col)? % 5 != 0 {
            width = 1;
            break;
        }
    }
    AgeGrid::new(width, open_age).map_err(|e| e.context(table.file().to_string()))
}

/// Reads a population table (`sex,age,<value_column>`, optional `year`).
pub fn read_population(
    path: &Path,
    value_column: &str,
    open_age: u32,
    year: Option<i32>,
) -> Result<Population> {
    let table = read_text_table(path)?;
    let grid = infer_grid(&table, open_age)?;
    let data = read_by_sex_age(&table, value_column, &grid.lowers(), year)?;
    let counts = ndarray::Array2::from_shape_fn((2, grid.len()), |(s, i)| data.values[s][i]);
    Population::new(grid, counts).map_err(|e| e.context(table.file().to_string()))
}

/// A column to write.
#[derive(Debug, Clone)]
pub enum ColumnData {
    /// Integers.
    Int(Vec<i32>),
    /// Integers with missing values (empty in CSV, null in Parquet).
    OptInt(Vec<Option<i32>>),
    /// Texts.
    Text(Vec<String>),
    /// Numbers.
    Float(Vec<f64>),
    /// Numbers with missing values.
    OptFloat(Vec<Option<f64>>),
}

impl ColumnData {
    /// A column of `f(row)` for every row.
    pub fn ints<T>(rows: &[T], f: impl Fn(&T) -> i32) -> Self {
        ColumnData::Int(rows.iter().map(f).collect())
    }
    /// A column of `f(row)` for every row.
    pub fn floats<T>(rows: &[T], f: impl Fn(&T) -> f64) -> Self {
        ColumnData::Float(rows.iter().map(f).collect())
    }
    /// A column of `f(row)` for every row.
    pub fn texts<T>(rows: &[T], f: impl Fn(&T) -> String) -> Self {
        ColumnData::Text(rows.iter().map(f).collect())
    }
    /// A column of `f(row)` for every row; `None` is written missing.
    pub fn opt_floats<T>(rows: &[T], f: impl Fn(&T) -> Option<f64>) -> Self {
        ColumnData::OptFloat(rows.iter().map(f).collect())
    }
}

/// Significant digits of the numbers in a CSV table: enough for any count,
/// share or rate carecast writes, and few enough that float noise
/// (`385000.00001065544`, `-65.68000000000029`) never shows. Parquet and
/// xlsx keep every bit.
pub const CSV_SIGNIFICANT_DIGITS: usize = 10;

/// `value` rounded to `digits` significant digits (the nearest double to
/// that decimal, so it prints with at most `digits` digits).
pub fn round_significant(value: f64, digits: usize) -> f64 {
    if !value.is_finite() || value == 0.0 || digits == 0 {
        return value;
    }
    format!("{:.*e}", digits - 1, value)
        .parse()
        .unwrap_or(value)
}

/// The UTF-8 byte-order mark, which Excel needs to open a CSV as UTF-8.
pub const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A table to write: named columns of equal length.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<(String, ColumnData)>,
}

impl ColumnData {
    fn len(&self) -> usize {
        match self {
            ColumnData::Int(v) => v.len(),
            ColumnData::OptInt(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::OptFloat(v) => v.len(),
        }
    }

    /// An empty column of the same kind.
    fn empty_like(&self) -> ColumnData {
        match self {
            ColumnData::Int(_) => ColumnData::Int(Vec::new()),
            ColumnData::OptInt(_) => ColumnData::OptInt(Vec::new()),
            ColumnData::Text(_) => ColumnData::Text(Vec::new()),
            ColumnData::Float(_) => ColumnData::Float(Vec::new()),
            ColumnData::OptFloat(_) => ColumnData::OptFloat(Vec::new()),
        }
    }

    /// Appends `other`'s values; false (nothing appended) when `other` is
    /// of another kind.
    fn extend_from(&mut self, other: &ColumnData) -> bool {
        match (self, other) {
            (ColumnData::Int(a), ColumnData::Int(b)) => a.extend_from_slice(b),
            (ColumnData::OptInt(a), ColumnData::OptInt(b)) => a.extend_from_slice(b),
            (ColumnData::Text(a), ColumnData::Text(b)) => a.extend_from_slice(b),
            (ColumnData::Float(a), ColumnData::Float(b)) => a.extend_from_slice(b),
            (ColumnData::OptFloat(a), ColumnData::OptFloat(b)) => a.extend_from_slice(b),
            _ => return false,
        }
        true
    }

    fn rounded(&self, digits: usize) -> ColumnData {
        let r = |v: f64| round_significant(v, digits);
        match self {
            ColumnData::Float(v) => ColumnData::Float(v.iter().map(|&v| r(v)).collect()),
            ColumnData::OptFloat(v) => ColumnData::OptFloat(v.iter().map(|v| v.map(r)).collect()),
            other => other.clone(),
        }
    }
}

impl Table {
    /// A table of `columns` (name, data), in order.
    pub fn new<S: Into<String>>(columns: Vec<(S, ColumnData)>) -> Table {
        Table {
            columns: columns.into_iter().map(|(n, d)| (n.into(), d)).collect(),
        }
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[(String, ColumnData)] {
        &self.columns
    }

    /// The rows of `parts` one after another, each part's rows labelled by
    /// its name in a new text column `name`, placed after column `after`
    /// (first when the tables have no such column). Every part with rows
    /// must have the same columns; parts without rows add nothing (their
    /// columns may differ: a table writer leaves out a column no row fills).
    /// An empty list gives an empty table.
    pub fn stacked(name: &str, parts: Vec<(String, Table)>, after: &str) -> Result<Table> {
        let Some((_, first)) = parts
            .iter()
            .find(|(_, t)| t.height() > 0)
            .or_else(|| parts.first())
        else {
            return Ok(Table::new(Vec::<(String, ColumnData)>::new()));
        };
        let names: Vec<String> = first.columns.iter().map(|c| c.0.clone()).collect();
        let mut labels = Vec::new();
        let mut columns: Vec<(String, ColumnData)> = first
            .columns
            .iter()
            .map(|(n, d)| (n.clone(), d.empty_like()))
            .collect();
        for (label, table) in &parts {
            if table.height() == 0 {
                continue;
            }
            let these: Vec<&String> = table.columns.iter().map(|c| &c.0).collect();
            if these.len() != names.len() || these.iter().zip(&names).any(|(a, b)| *a != b) {
                return Err(Error::invalid(
                    format!("table of {label}"),
                    format!("columns {these:?}"),
                    format!("the columns of the other parts, {names:?}"),
                ));
            }
            labels.extend(std::iter::repeat_n(label.clone(), table.height()));
            for ((column, out), (_, data)) in columns.iter_mut().zip(&table.columns) {
                if !out.extend_from(data) {
                    return Err(Error::invalid(
                        format!("table of {label}, column {column}"),
                        "values of another kind",
                        "the kind of the other parts' column",
                    ));
                }
            }
        }
        let at = names.iter().position(|n| n == after).map_or(0, |i| i + 1);
        columns.insert(at, (name.to_string(), ColumnData::Text(labels)));
        Ok(Table { columns })
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, |c| c.1.len())
    }

    /// The table as a polars frame, its numbers as `format` writes them
    /// (rounded to [`CSV_SIGNIFICANT_DIGITS`] for CSV, every bit otherwise).
    pub fn data_frame(&self, format: Format) -> Result<DataFrame> {
        let cols: Vec<Column> = self
            .columns
            .iter()
            .map(|(name, data)| {
                let data = match format {
                    Format::Csv => data.rounded(CSV_SIGNIFICANT_DIGITS),
                    _ => data.clone(),
                };
                match data {
                    ColumnData::Int(v) => Column::new(name.into(), v),
                    ColumnData::OptInt(v) => Column::new(name.into(), v),
                    ColumnData::Text(v) => Column::new(name.into(), v),
                    ColumnData::Float(v) => Column::new(name.into(), v),
                    ColumnData::OptFloat(v) => Column::new(name.into(), v),
                }
            })
            .collect();
        DataFrame::new_infer_height(cols).map_err(|e| Error::io("table", e))
    }

    /// Serialises the table: CSV (numbers at [`CSV_SIGNIFICANT_DIGITS`]),
    /// Parquet, or a workbook of one sheet named `table`.
    pub fn encode(&self, format: Format) -> Result<Vec<u8>> {
        if format == Format::Xlsx {
            return crate::io::workbook::encode_workbook(&[("table", self)], false);
        }
        let mut df = self.data_frame(format)?;
        let mut buf = Vec::new();
        match format {
            Format::Parquet => ParquetWriter::new(&mut buf).finish(&mut df).map(|_| ()),
            _ => CsvWriter::new(&mut buf).finish(&mut df),
        }
        .map_err(|e| Error::io("table", e))?;
        Ok(buf)
    }
}

/// Serialises columns to bytes in `format` (see [`Table::encode`]).
pub fn encode_table(columns: Vec<(&str, ColumnData)>, format: Format) -> Result<Vec<u8>> {
    Table::new(columns).encode(format)
}
