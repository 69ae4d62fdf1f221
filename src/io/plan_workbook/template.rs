//! `carecast template`: the plan workbook, blank or filled from a model.

use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook, Worksheet, XlsxError};

use super::{
    CellValue, Key, Kind, PlanRows, Series, DEMAND_KEYS, FLOW_KEYS, SCENARIO_KEYS, SERIES,
    SETTINGS, SHEETS, SUPPLY_KEYS,
};
use crate::error::{Error, Result};

fn xlsx_error(sheet: &str) -> impl Fn(XlsxError) -> Error + '_ {
    move |e| Error::io(format!("plan workbook, sheet {sheet}"), e)
}

/// The formats of the template's cells.
struct Formats {
    header: CellFormat,
    percent: CellFormat,
    wrap: CellFormat,
    title: CellFormat,
}

/// A sheet being written, one row after another.
struct SheetWriter<'a> {
    sheet: &'a mut Worksheet,
    name: String,
    row: u32,
}

impl SheetWriter<'_> {
    fn cell(&mut self, col: u16, v: &CellValue, percent: Option<&CellFormat>) -> Result<()> {
        let err = xlsx_error(&self.name);
        match (v, percent) {
            (CellValue::Number(x), Some(f)) => self
                .sheet
                .write_number_with_format(self.row, col, *x, f)
                .map(|_| ())
                .map_err(err),
            (CellValue::Number(x), None) => self
                .sheet
                .write_number(self.row, col, *x)
                .map(|_| ())
                .map_err(err),
            (CellValue::Text(t), _) if t.is_empty() => Ok(()),
            (CellValue::Text(t), _) => self
                .sheet
                .write_string(self.row, col, t)
                .map(|_| ())
                .map_err(err),
        }
    }

    fn text(&mut self, col: u16, t: &str) -> Result<()> {
        self.cell(col, &CellValue::Text(t.to_string()), None)
    }

    fn year(&mut self, col: u16, y: Option<f64>) -> Result<()> {
        match y {
            Some(y) => self.cell(col, &CellValue::Number(y), None),
            None => Ok(()),
        }
    }

    fn next(&mut self) {
        self.row += 1;
    }
}

/// Whether `key` of `keys` is a fraction (shown as a percentage).
fn is_fraction(keys: &[Key], key: &str) -> bool {
    keys.iter()
        .any(|k| k.key == key && k.kind == Kind::Fraction)
}

/// The template workbook: blank (`rows` none: every setting listed with
/// its meaning, the other sheets with their headers), or filled with a
/// model's `rows`. With `zh`, sheets, columns and meanings are in Chinese.
pub fn encode_template(rows: Option<&PlanRows>, zh: bool) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let formats = Formats {
        header: CellFormat::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color(0xDDEBF7),
        percent: CellFormat::new().set_num_format("0.00%"),
        wrap: CellFormat::new().set_text_wrap(),
        title: CellFormat::new().set_bold().set_font_size(14),
    };
    readme(&mut workbook, &formats, zh)?;
    let empty = PlanRows::default();
    let r = rows.unwrap_or(&empty);
    let source = CellValue::Text(r.source.clone());
    for spec in SHEETS {
        let name = if zh { spec.zh } else { spec.en };
        let sheet = workbook.add_worksheet();
        let err = xlsx_error(name);
        sheet.set_name(name).map_err(&err)?;
        for (c, (en, zh_name)) in spec.columns.iter().enumerate() {
            let label = if zh { zh_name } else { en };
            let c = c as u16;
            sheet
                .write_string_with_format(0, c, *label, &formats.header)
                .map_err(&err)?;
            let width = match *en {
                "meaning" => 70.0,
                "source" | "flag" | "flag_zh" | "label" | "label_zh" | "population" => 40.0,
                "value" => 34.0,
                "key" | "series" => 26.0,
                _ => 14.0,
            };
            sheet.set_column_width(c, width).map_err(&err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(&err)?;
        // Printed, a sheet is as wide as the page.
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, 0);
        let mut w = SheetWriter {
            sheet,
            name: name.to_string(),
            row: 1,
        };
        match spec.en {
            "settings" => {
                for k in SETTINGS {
                    let meaning = meaning(k, zh);
                    let given: Vec<&CellValue> = r
                        .settings
                        .iter()
                        .filter(|(key, _)| key == k.key)
                        .map(|(_, v)| v)
                        .collect();
                    let blank = CellValue::Text(String::new());
                    let values = if given.is_empty() {
                        vec![&blank]
                    } else {
                        given
                    };
                    for v in values {
                        w.text(0, k.key)?;
                        let pct = (k.kind == Kind::Fraction).then_some(&formats.percent);
                        w.cell(1, v, pct)?;
                        if *v != blank {
                            w.cell(2, &source, None)?;
                        }
                        // The last column: long text runs on to the right.
                        w.text(3, &meaning)?;
                        w.next();
                    }
                }
            }
            "paths" => {
                for (series, y, v) in &r.paths {
                    w.text(0, series)?;
                    w.year(1, *y)?;
                    w.cell(2, v, None)?;
                    w.cell(3, &source, None)?;
                    w.next();
                }
            }
            "scenarios" => {
                for (s, key, y, v) in &r.scenarios {
                    w.text(0, s)?;
                    w.text(1, key)?;
                    w.year(2, *y)?;
                    w.cell(3, v, None)?;
                    w.cell(4, &source, None)?;
                    w.next();
                }
            }
            "services" => {
                for row in &r.services {
                    for (c, t) in row.iter().enumerate() {
                        w.text(c as u16, t)?;
                    }
                    w.next();
                }
            }
            "regions" => {
                for row in &r.regions {
                    for (c, v) in row.iter().enumerate() {
                        let pct = (c == 6).then_some(&formats.percent);
                        w.cell(c as u16, v, pct)?;
                    }
                    w.cell(7, &source, None)?;
                    w.next();
                }
            }
            "flows" => {
                for (from, to, key, y, v) in &r.flows {
                    w.text(0, from)?;
                    w.text(1, to)?;
                    w.text(2, key)?;
                    w.year(3, *y)?;
                    let pct = is_fraction(FLOW_KEYS, key).then_some(&formats.percent);
                    w.cell(4, v, pct)?;
                    w.cell(5, &source, None)?;
                    w.next();
                }
            }
            "demands" => {
                for (s, d, key, y, v) in &r.demands {
                    w.text(0, s)?;
                    w.text(1, d)?;
                    w.text(2, key)?;
                    w.year(3, *y)?;
                    let pct = is_fraction(DEMAND_KEYS, key).then_some(&formats.percent);
                    w.cell(4, v, pct)?;
                    w.cell(5, &source, None)?;
                    w.next();
                }
            }
            "supply" => {
                for (s, key, y, v) in &r.supply {
                    w.text(0, s)?;
                    w.text(1, key)?;
                    w.year(2, *y)?;
                    let pct = is_fraction(SUPPLY_KEYS, key).then_some(&formats.percent);
                    w.cell(3, v, pct)?;
                    w.cell(4, &source, None)?;
                    w.next();
                }
            }
            "stated" => {
                for (ind, y, v, src) in &r.stated {
                    w.text(0, ind)?;
                    w.year(1, Some(f64::from(*y)))?;
                    let pct = ind.starts_with("share_").then_some(&formats.percent);
                    w.cell(2, &CellValue::Number(*v), pct)?;
                    w.text(3, src)?;
                    w.next();
                }
            }
            "populations" => {
                for (n, a) in &r.populations {
                    w.text(0, n)?;
                    w.text(1, a)?;
                    w.next();
                }
            }
            "flags" => {
                for (en, zh_flag) in &r.flags {
                    w.text(0, en)?;
                    w.text(1, zh_flag)?;
                    w.next();
                }
            }
            "base_targets" => {
                for t in &r.base_targets {
                    w.text(0, &t.ages)?;
                    w.text(1, &t.sex)?;
                    if let Some(v) = t.total {
                        w.cell(2, &CellValue::Number(v), None)?;
                    }
                    if let Some(v) = t.share_of_total {
                        w.cell(3, &CellValue::Number(v), Some(&formats.percent))?;
                    }
                    w.text(4, &t.source)?;
                    w.next();
                }
            }
            "base_structure_90" => {
                for (ages, lo, hi) in &r.base_structure {
                    w.text(0, ages)?;
                    w.cell(1, &CellValue::Number(*lo), None)?;
                    w.cell(2, &CellValue::Number(*hi), None)?;
                    w.cell(3, &source, None)?;
                    w.next();
                }
            }
            "base_population" => {
                for (y, sex, age, v) in &r.base_population {
                    w.year(0, Some(f64::from(*y)))?;
                    w.text(1, sex)?;
                    w.cell(2, &CellValue::Number(f64::from(*age)), None)?;
                    w.cell(3, &CellValue::Number(*v), None)?;
                    w.next();
                }
            }
            _ => {}
        }
    }
    workbook
        .save_to_buffer()
        .map_err(|e| Error::io("plan workbook", e))
}

/// A key's meaning, marked when it is required.
fn meaning(k: &Key, zh: bool) -> String {
    let text = if zh { k.zh } else { k.en };
    match (k.required, zh) {
        (true, true) => format!("（必填）{text}"),
        (true, false) => format!("(required) {text}"),
        _ => text.to_string(),
    }
}

/// The `readme` sheet: how to fill the workbook, and every key.
fn readme(workbook: &mut Workbook, f: &Formats, zh: bool) -> Result<()> {
    let name = if zh { "说明" } else { "readme" };
    let sheet = workbook.add_worksheet();
    let err = xlsx_error(name);
    sheet.set_name(name).map_err(&err)?;
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_column_width(0, 22.0).map_err(&err)?;
    sheet.set_column_width(1, 30.0).map_err(&err)?;
    sheet.set_column_width(2, 90.0).map_err(&err)?;
    let intro: &[&str] = if zh {
        &[
            "carecast 规划模板",
            "在各表中填入规划文本的数字，然后运行：carecast import --plan 本文件.xlsx --out models/名称.toml",
            "每个数字在“来源”列注明出处（如“规划第三章”）；来源含“假设”或 ASSUMPTION 的数字在模型中标为假设，其余标为规划数字 [P]。",
            "未填写而由 carecast 取默认值的项目，在模型中标为假设，并列入模型的假设说明。",
            "按年份给出的目标每个年份一行（如护理员配置标准：2020年16、2022年21、2025年27，每万名老年人）；比例可写作0.6或60%。",
            "基期人口三选一：基本设置中的 base.population（文件）、“基期人口”表，或“基期目标”表（由参考结构合成）。",
            "表名、列名可用中文或英文；以 # 开头的行为注释。",
        ]
    } else {
        &[
            "carecast plan template",
            "Fill the sheets with the plan's figures, then run: carecast import --plan THIS.xlsx --out models/NAME.toml",
            "Give each figure its source in the source column (e.g. \"plan, chapter 3\"); a figure whose source says ASSUMPTION is tagged as an assumption in the model, every other as the plan's [P].",
            "What is left blank and takes carecast's default is tagged ASSUMPTION in the model and listed among its flags.",
            "A target by year takes a row per year (e.g. caregivers per 10,000 elderly: 16 in 2020, 21 in 2022, 27 in 2025); a fraction may be written 0.6 or 60%.",
            "The base population is one of: base.population on the settings sheet (a file), the base_population sheet, or the base_targets sheet (synthesized from a reference structure).",
            "Sheets and columns may be named in English or Chinese; rows starting with # are comments.",
        ]
    };
    let mut row = 0u32;
    for (i, line) in intro.iter().enumerate() {
        // Not wrapped: each line runs on across the empty cells beside it.
        if i == 0 {
            sheet
                .write_string_with_format(row, 0, *line, &f.title)
                .map_err(&err)?;
        } else {
            sheet.write_string(row, 0, *line).map_err(&err)?;
        }
        row += 1;
    }
    row += 1;
    let heads = if zh {
        ["工作表", "键", "说明"]
    } else {
        ["sheet", "key", "meaning"]
    };
    for (c, h) in heads.iter().enumerate() {
        sheet
            .write_string_with_format(row, c as u16, *h, &f.header)
            .map_err(&err)?;
    }
    row += 1;
    for spec in SHEETS {
        let sheet_name = if zh { spec.zh } else { spec.en };
        let about = if zh { spec.about.1 } else { spec.about.0 };
        sheet.write_string(row, 0, sheet_name).map_err(&err)?;
        sheet
            .write_string_with_format(row, 2, about, &f.wrap)
            .map_err(&err)?;
        row += 1;
        let keys: &[Key] = match spec.en {
            "settings" => SETTINGS,
            "paths" => SERIES,
            "scenarios" => SCENARIO_KEYS,
            "demands" => DEMAND_KEYS,
            "supply" => SUPPLY_KEYS,
            "flows" => FLOW_KEYS,
            _ => &[],
        };
        for k in keys {
            let by_year = match (k.series, zh) {
                (Series::No, _) => "",
                (_, true) => "（按年份）",
                (_, false) => " (by year)",
            };
            sheet
                .write_string(row, 1, format!("{}{by_year}", k.key))
                .map_err(&err)?;
            sheet
                .write_string_with_format(row, 2, meaning(k, zh), &f.wrap)
                .map_err(&err)?;
            row += 1;
        }
    }
    Ok(())
}
