//! Input tables in an Excel workbook (`.xlsx`): a sheet read as text cells,
//! with the sheet row and column of every cell kept so that an error names
//! it in A1 notation (`sheet 人口, cell D7`).
//!
//! The sheet is named after the file, `base.xlsx#人口`; a workbook of one
//! sheet needs no name. Rows whose first cell starts with `#` are comments
//! (sources, as in CSV) and empty rows are skipped; the first other row is
//! the header. A merged cell in the header is an error (its columns would
//! have no names).

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use crate::error::{Error, Result};

/// A sheet's cells as text.
#[derive(Debug, Clone)]
pub struct SheetCells {
    /// The sheet's name.
    pub sheet: String,
    /// Column names, in order.
    pub header: Vec<String>,
    /// The sheet column (0 = A) of the first column.
    pub first_column: u32,
    /// Data rows: the sheet row (0 = row 1) and the cells.
    pub rows: Vec<(u32, Vec<Option<String>>)>,
}

/// `A`, `B`, ..., `Z`, `AA`, ... for a column index (0 = A).
pub fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// `D7` for row 6, column 3 (both from 0).
pub fn cell_name(row: u32, column: u32) -> String {
    format!("{}{}", column_letters(column), row + 1)
}

/// A cell as text: numbers in their shortest form, empty cells `None`.
fn cell_text(cell: &Data) -> Option<String> {
    let text = match cell {
        Data::Empty => return None,
        Data::Int(v) => v.to_string(),
        Data::Float(v) => v.to_string(),
        Data::String(s) => s.trim().to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e}"),
    };
    (!text.is_empty()).then_some(text)
}

/// Splits `base.xlsx#Sheet` into the file and the sheet's name.
pub fn split_sheet(path: &Path) -> (std::path::PathBuf, Option<String>) {
    let text = path.to_string_lossy();
    let lower = text.to_ascii_lowercase();
    match lower.find(".xlsx#") {
        Some(i) => (
            std::path::PathBuf::from(&text[..i + 5]),
            Some(text[i + 6..].to_string()),
        ),
        None => (path.to_path_buf(), None),
    }
}

/// The names of the sheets of the workbook at `path`, in order.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&file, e))?;
    let workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        Error::io(
            &file,
            format!("cannot read the workbook ({e}); expected an Excel .xlsx file"),
        )
    })?;
    Ok(workbook.sheet_names())
}

/// Reads sheet `sheet` (or the only sheet) of the workbook at `path`.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<SheetCells> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&file, e))?;
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        Error::io(
            &file,
            format!("cannot read the workbook ({e}); expected an Excel .xlsx file"),
        )
    })?;
    let names = workbook.sheet_names();
    let list = names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(Error::invalid(
                format!("{file}: sheet {s:?}"),
                "no such sheet",
                format!("one of the workbook's sheets: {list} (name it as FILE.xlsx#SHEET)"),
            ))
        }
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(Error::invalid(
                file.clone(),
                format!("a workbook of {} sheets", names.len()),
                format!("the sheet named after the file, as FILE.xlsx#SHEET: one of {list}"),
            ))
        }
    };
    let at = |what: String| format!("{file}: sheet {name}{what}");
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| Error::io(at(String::new()), format!("cannot read the sheet: {e}")))?;
    let merged = match workbook.worksheet_merge_cells(&name) {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            return Err(Error::io(
                at(String::new()),
                format!("cannot read the merged cells: {e}"),
            ))
        }
        None => Vec::new(),
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut header: Option<(u32, Vec<String>)> = None;
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let row = row0 + i as u32;
        let texts: Vec<Option<String>> = cells.iter().map(cell_text).collect();
        let first = texts.iter().flatten().next();
        match first {
            None => continue,
            Some(t) if t.starts_with('#') => continue,
            _ => {}
        }
        if header.is_none() {
            if let Some(m) = merged.iter().find(|m| m.start.0 <= row && row <= m.end.0) {
                return Err(Error::invalid(
                    at(format!(
                        ", cells {}:{}",
                        cell_name(m.start.0, m.start.1),
                        cell_name(m.end.0, m.end.1)
                    )),
                    "a merged header cell",
                    "one header cell per column (unmerge the header row)",
                ));
            }
            // The header ends at its last named column.
            let names: Vec<String> = texts
                .iter()
                .map(|t| t.clone().unwrap_or_default())
                .collect();
            let width = names
                .iter()
                .rposition(|n| !n.is_empty())
                .map_or(0, |p| p + 1);
            if let Some(blank) = names[..width].iter().position(|n| n.is_empty()) {
                return Err(Error::invalid(
                    at(format!(", cell {}", cell_name(row, col0 + blank as u32))),
                    "an empty header cell",
                    "a name for every column",
                ));
            }
            header = Some((row, names[..width].to_vec()));
            continue;
        }
        let width = header.as_ref().map_or(0, |h| h.1.len());
        if let Some(extra) = texts[width.min(texts.len())..]
            .iter()
            .position(|t| t.is_some())
        {
            return Err(Error::invalid(
                at(format!(
                    ", cell {}",
                    cell_name(row, col0 + (width + extra) as u32)
                )),
                "a value right of the last named column",
                "a header for every column of values",
            ));
        }
        let mut row_cells = texts;
        row_cells.resize(width, None);
        rows.push((row, row_cells));
    }
    let Some((_, header)) = header else {
        return Err(Error::invalid(
            at(String::new()),
            "an empty sheet",
            "a header row and data rows",
        ));
    };
    Ok(SheetCells {
        sheet: name,
        header,
        first_column: col0,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 3), "D7");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn sheet_after_the_file() {
        let (f, s) = split_sheet(Path::new("data/base.xlsx#人口"));
        assert_eq!(f, Path::new("data/base.xlsx"));
        assert_eq!(s.as_deref(), Some("人口"));
        assert_eq!(split_sheet(Path::new("a.csv")).1, None);
    }
}
