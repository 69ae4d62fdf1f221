//! Reader of the UN World Population Prospects 2019 text files
//! (tab-separated, thousands; CC BY 3.0 IGO, United Nations Population Division).
//!
//! Files used: `popM.txt`/`popF.txt` (population by 5-year age group on
//! 1 July, years as columns), `mxM.txt`/`mxF.txt` (death rates at ages 0, 1,
//! 5, ..., 100 by period), `percentASFR.txt` (percent of the TFR by 5-year age
//! group 15-19 ... 45-49), `tfrprojMed.txt` and `tfr.txt` (TFR by period),
//! `sexRatio.txt` (males per female at birth) and `migration.txt` (net
//! migrants over the period, thousands, both sexes).

use std::collections::HashMap;
use std::path::Path;

use crate::ensemble::{Calibration, PeriodBounds};
use crate::error::{Error, Result};
use crate::wpp::WppInputs;

/// A parsed WPP table restricted to one country.
struct Table {
    file: String,
    /// Column headers after the key columns.
    columns: Vec<String>,
    /// (age or "", values) per row, with the line number.
    rows: Vec<(String, Vec<f64>, usize)>,
}

fn read_table(dir: &Path, name: &str, country: u32, has_age: bool) -> Result<Table> {
    let path = dir.join(name);
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&file, e))?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, l)| l.split('\t').collect())
        .ok_or_else(|| Error::io(&file, "the file is empty; expected a header line"))?;
    let key_cols = if has_age { 3 } else { 2 };
    if header.len() <= key_cols || header[0] != "country_code" || (has_age && header[2] != "age") {
        return Err(Error::invalid(
            format!("{file}: header"),
            header.iter().take(4).cloned().collect::<Vec<_>>().join(","),
            if has_age {
                "country_code, name, age, then periods or years"
            } else {
                "country_code, name, then periods"
            },
        ));
    }
    let columns: Vec<String> = header[key_cols..]
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.first().and_then(|c| c.trim().parse::<u32>().ok()) != Some(country) {
            continue;
        }
        let row = i + 1;
        let age = if has_age {
            cells.get(2).unwrap_or(&"").trim().to_string()
        } else {
            String::new()
        };
        let mut values = Vec::with_capacity(columns.len());
        for (j, col) in columns.iter().enumerate() {
            let cell = cells.get(key_cols + j).map(|c| c.trim()).unwrap_or("");
            // "last.observed" and similar trailing columns may be non-numeric.
            let v = if cell.is_empty() {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| {
                    Error::invalid(
                        format!("{file}: row {row}, column {col}"),
                        format!("{cell:?}"),
                        "a number",
                    )
                })?
            };
            values.push(v);
        }
        rows.push((age, values, row));
    }
    if rows.is_empty() {
        return Err(Error::invalid(
            format!("{file}: country_code"),
            country,
            "a country code present in the file (see UNlocations.txt)",
        ));
    }
    Ok(Table {
        file,
        columns,
        rows,
    })
}

/// Parses a period label "2020-2025".
fn period(label: &str) -> Option<(f64, f64)> {
    let (a, b) = label.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl Table {
    fn column(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::invalid(
                format!("{}: columns", self.file),
                format!("no column {name:?}"),
                format!("a column {name}"),
            )
        })
    }

    /// Values of rows whose age is in `ages`, in that order, for column `col`.
    fn by_age(&self, ages: &[String], col: usize) -> Result<Vec<f64>> {
        let map: HashMap<&str, (&Vec<f64>, usize)> = self
            .rows
            .iter()
            .map(|(a, v, r)| (a.as_str(), (v, *r)))
            .collect();
        ages.iter()
            .map(|age| {
                let (values, row) = map.get(age.as_str()).ok_or_else(|| {
                    Error::invalid(
                        format!("{}: age", self.file),
                        format!("no row for age {age}"),
                        "every age group",
                    )
                })?;
                let v = values[col];
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::invalid(
                        format!("{}: row {row}, column {}", self.file, self.columns[col]),
                        v,
                        "a finite number >= 0",
                    ));
                }
                Ok(v)
            })
            .collect()
    }

    /// (start, end, values by `ages`) for every period column.
    fn periods_by_age(&self, ages: &[String]) -> Result<Vec<(f64, f64, Vec<f64>)>> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(j, c)| period(c).map(|p| (j, p)))
            .map(|(j, (a, b))| Ok((a, b, self.by_age(ages, j)?)))
            .collect()
    }

    /// (start, end, value) for every period column of the single row.
    fn periods_scalar(&self) -> Result<Vec<(f64, f64, f64)>> {
        let (_, values, row) = &self.rows[0];
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(j, c)| period(c).map(|p| (j, p)))
            .map(|(j, (a, b))| {
                let v = values[j];
                if v.is_finite() {
                    Ok((a, b, v))
                } else {
                    Err(Error::invalid(
                        format!("{}: row {row}, column {}", self.file, self.columns[j]),
                        v,
                        "a number",
                    ))
                }
            })
            .collect()
    }
}

/// Reads the inputs of one country from a WPP 2019 folder: population at
/// `base_year` (a year column of popM/popF) and all period rates.
pub fn read_country(dir: &Path, country: u32, base_year: i32) -> Result<WppInputs> {
    let pop_ages: Vec<String> = (0..20)
        .map(|i| format!("{}-{}", 5 * i, 5 * i + 4))
        .chain(["100+".to_string()])
        .collect();
    let mx_ages: Vec<String> = crate::life_table::abridged_ages(100)
        .iter()
        .map(|a| a.to_string())
        .collect();
    let asfr_ages: Vec<String> = (3..10)
        .map(|i| format!("{}-{}", 5 * i, 5 * i + 4))
        .collect();
    let pop = |name: &str| -> Result<Vec<f64>> {
        let t = read_table(dir, name, country, true)?;
        let col = t.column(&base_year.to_string())?;
        t.by_age(&pop_ages, col)
    };
    let mx = |name: &str| -> Result<Vec<(f64, f64, Vec<f64>)>> {
        read_table(dir, name, country, true)?.periods_by_age(&mx_ages)
    };
    let mut tfr = read_table(dir, "tfr.txt", country, false)?.periods_scalar()?;
    tfr.extend(read_table(dir, "tfrprojMed.txt", country, false)?.periods_scalar()?);
    Ok(WppInputs {
        base_year,
        pop_male: pop("popM.txt")?,
        pop_female: pop("popF.txt")?,
        mx_male: mx("mxM.txt")?,
        mx_female: mx("mxF.txt")?,
        percent_asfr: read_table(dir, "percentASFR.txt", country, true)?
            .periods_by_age(&asfr_ages)?,
        tfr,
        srb: read_table(dir, "sexRatio.txt", country, false)?.periods_scalar()?,
        migration: read_table(dir, "migration.txt", country, false)?.periods_scalar()?,
    })
}

/// The UN's probabilistic bounds of one country (`tfrprojMed`,
/// `tfrproj80l/80u/95l/95u`, `e0Mproj`, `e0Mproj80l/...`, `e0Fproj...`) as
/// a [`Calibration`] with the default persistence. A missing file is an
/// error naming it.
pub fn read_calibration(dir: &Path, country: u32) -> Result<Calibration> {
    let bounds = |stem: &str, median: &str| -> Result<Vec<PeriodBounds>> {
        let files = [
            format!("{stem}95l.txt"),
            format!("{stem}80l.txt"),
            median.to_string(),
            format!("{stem}80u.txt"),
            format!("{stem}95u.txt"),
        ];
        let series = files
            .iter()
            .map(|f| read_table(dir, f, country, false)?.periods_scalar())
            .collect::<Result<Vec<_>>>()?;
        series[2]
            .iter()
            .map(|&(start, end, _)| {
                let mut values = [0.0; 5];
                for (v, s) in values.iter_mut().zip(&series) {
                    *v = s
                        .iter()
                        .find(|p| p.0 == start && p.1 == end)
                        .map(|p| p.2)
                        .ok_or_else(|| {
                            Error::invalid(
                                format!("{stem}*.txt: period {start}-{end}"),
                                "missing in one of the bound files",
                                "the same periods in the median and every bound",
                            )
                        })?;
                }
                Ok(PeriodBounds { start, end, values })
            })
            .collect()
    };
    let tfr_persistence = crate::ensemble::calibration::DEFAULT_TFR_PERSISTENCE;
    let calibration = Calibration {
        tfr: bounds("tfrproj", "tfrprojMed.txt")?,
        e0: [
            bounds("e0Mproj", "e0Mproj.txt")?,
            bounds("e0Fproj", "e0Fproj.txt")?,
        ],
        tfr_persistence,
    };
    calibration.check().map_err(|e| {
        e.context(format!(
            "{} (country {country}), tfrproj*.txt / e0Mproj*.txt / e0Fproj*.txt",
            dir.display()
        ))
    })?;
    Ok(calibration)
}

/// The UN's bounds of the total population in `year`: lower 95%, lower
/// 80%, upper 80%, upper 95% (`popproj95l/80l/80u/95u.txt`, thousands).
pub fn read_population_bounds(dir: &Path, country: u32, year: i32) -> Result<[f64; 4]> {
    let mut out = [0.0; 4];
    for (o, f) in out.iter_mut().zip([
        "popproj95l.txt",
        "popproj80l.txt",
        "popproj80u.txt",
        "popproj95u.txt",
    ]) {
        let t = read_table(dir, f, country, false)?;
        let col = t.column(&year.to_string())?;
        *o = t.rows[0].1[col];
    }
    Ok(out)
}

/// Population by 5-year group and sex in a projection-variant file
/// (`popMprojMed.txt` / `popFprojMed.txt`) for `year`.
pub fn read_projected(dir: &Path, file: &str, country: u32, year: i32) -> Result<Vec<f64>> {
    let ages: Vec<String> = (0..20)
        .map(|i| format!("{}-{}", 5 * i, 5 * i + 4))
        .chain(["100+".to_string()])
        .collect();
    let t = read_table(dir, file, country, true)?;
    let col = t.column(&year.to_string())?;
    t.by_age(&ages, col)
}

/// A scalar by period from a file such as `e0M.txt` (period "2015-2020").
pub fn read_period_value(dir: &Path, file: &str, country: u32, period_label: &str) -> Result<f64> {
    let t = read_table(dir, file, country, false)?;
    let col = t.column(period_label)?;
    Ok(t.rows[0].1[col])
}

/// A country code from a code (`156`) or a name (`China`, any case) looked
/// up in `UNlocations.txt`.
pub fn resolve_country(dir: &Path, text: &str) -> Result<(u32, String)> {
    let path = dir.join("UNlocations.txt");
    let file = path.display().to_string();
    let locations = std::fs::read_to_string(&path).map_err(|e| Error::io(&file, e))?;
    let wanted = text.trim();
    for line in locations.lines().skip(1) {
        let mut cells = line.split('\t');
        let (Some(name), Some(code)) = (cells.next(), cells.next()) else {
            continue;
        };
        if code.trim() == wanted || name.trim().eq_ignore_ascii_case(wanted) {
            if let Ok(c) = code.trim().parse() {
                return Ok((c, name.trim().to_string()));
            }
        }
    }
    Err(Error::invalid(
        format!("{file}: country"),
        format!("{wanted:?}"),
        "a UN country code (e.g. 156) or a name listed in UNlocations.txt (e.g. China)",
    ))
}
