//! Tables as an Excel workbook (`--format xlsx`): one workbook per command,
//! one sheet per table, the header frozen, numbers stored at full precision
//! and shown as a bureau reads them: persons and places as whole numbers
//! with thousands separators, shares and probabilities as percentages,
//! rates (TFR, life expectancy) with two decimals. With `zh`, sheet and
//! column labels (and the sex of each row) are in Chinese; every other cell
//! is as in the CSV.

use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook};

use crate::error::{Error, Result};
use crate::io::tables::{ColumnData, Table};

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// As written (years, ages, trajectory numbers, unknown columns).
    General,
    /// Persons or places: `1,234,567`.
    Count,
    /// A share or probability: `31.99%`.
    Percent,
    /// A rate: `1.62`.
    Rate,
}

/// Columns holding counts of persons or places (or their quantiles).
const COUNT_COLUMNS: &[&str] = &[
    "population",
    "demand",
    "supply",
    "gap",
    "planned",
    "stock_needed",
    "additions",
    "extra_vs_plan",
    "shortfall_p50",
    "shortfall_p90",
    "capacity_needed_p90",
    "gap_sd_alone",
    "gap_sd_all",
];

/// Columns holding a probability or share.
const PERCENT_COLUMNS: &[&str] = &[
    "p_shortfall",
    "p_shortfall_alone",
    "p_shortfall_without",
    "p_shortfall_all",
    "probability",
    "variance_share",
];

/// Columns whose unit is the row's indicator's (in tables with an `indicator` column).
const INDICATOR_VALUE_COLUMNS: &[&str] = &[
    "value", "p025", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p975", "mean",
];

/// How an indicator's values are shown.
fn indicator_shown(indicator: &str) -> Shown {
    if indicator.starts_with("share_") {
        Shown::Percent
    } else if matches!(
        indicator,
        "tfr" | "e0_male" | "e0_female" | "median_age" | "old_age_dependency"
    ) {
        Shown::Rate
    } else {
        Shown::Count
    }
}

/// How column `name` is shown in a row whose indicator is `indicator`.
fn shown(name: &str, indicator: Option<&str>) -> Shown {
    if PERCENT_COLUMNS.contains(&name) {
        return Shown::Percent;
    }
    if INDICATOR_VALUE_COLUMNS.contains(&name) {
        return indicator.map_or(Shown::Count, indicator_shown);
    }
    if COUNT_COLUMNS.contains(&name) {
        return Shown::Count;
    }
    Shown::General
}

/// The Chinese label of a column, where it has one.
pub fn column_label_zh(name: &str) -> Option<&'static str> {
    Some(match name {
        "scenario" => "情景",
        "year" => "年份",
        "sex" => "性别",
        "age" => "年龄",
        "population" => "人口",
        "indicator" => "指标",
        "value" => "数值",
        "service" => "服务",
        "method" => "测算方法",
        "primary" => "主要方法",
        "demand" => "需求",
        "supply" => "供给",
        "gap" => "缺口",
        "planned" => "规划",
        "mean" => "均值",
        "p025" => "2.5%分位数",
        "p05" => "5%分位数",
        "p10" => "10%分位数",
        "p25" => "25%分位数",
        "p50" => "中位数",
        "p75" => "75%分位数",
        "p90" => "90%分位数",
        "p95" => "95%分位数",
        "p975" => "97.5%分位数",
        "p_shortfall" => "短缺概率",
        "shortfall_p50" => "短缺量中位数",
        "shortfall_p90" => "短缺量90%分位数",
        "capacity_needed_p90" => "90%把握所需容量",
        "source" => "不确定性来源",
        "variance_share" => "方差占比",
        "gap_sd_alone" => "仅此来源的缺口标准差",
        "gap_sd_all" => "全部来源的缺口标准差",
        "p_shortfall_alone" => "仅此来源的短缺概率",
        "p_shortfall_without" => "去除此来源的短缺概率",
        "p_shortfall_all" => "全部来源的短缺概率",
        "stock_needed" => "所需存量",
        "additions" => "新增",
        "extra_vs_plan" => "较规划需增加",
        "first_shortfall_year" => "首次短缺年份",
        "probability" => "概率",
        "trajectory" => "轨迹",
        "point" => "参数点",
        "quantity" => "指标",
        "unit" => "单位",
        _ => return None,
    })
}

/// The Chinese name of a sheet, where it has one.
pub fn sheet_label_zh(name: &str) -> Option<&'static str> {
    Some(match name {
        "population" => "人口",
        "indicators" => "指标",
        "demand" => "需求",
        "gap" => "缺口",
        "quantiles" => "分位数",
        "demand_quantiles" => "需求分位数",
        "supply_quantiles" => "供给分位数",
        "gap_risk" => "缺口风险",
        "first_shortfall" => "首次短缺",
        "robust_plan" => "稳健建设计划",
        "risk_drivers" => "风险来源",
        "trajectories" => "轨迹",
        "sweep" => "情景扫描",
        _ => return None,
    })
}

fn xlsx_error(sheet: &str, e: rust_xlsxwriter::XlsxError) -> Error {
    Error::io(format!("workbook, sheet {sheet}"), e)
}

/// Writes `sheets` (name, table) as one workbook.
pub fn encode_workbook(sheets: &[(&str, &Table)], zh: bool) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let header = CellFormat::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let (count, percent, rate, general) = (
        CellFormat::new().set_num_format("#,##0"),
        CellFormat::new().set_num_format("0.00%"),
        CellFormat::new().set_num_format("0.00"),
        CellFormat::new(),
    );
    let format_of = |s: Shown| match s {
        Shown::Count => &count,
        Shown::Percent => &percent,
        Shown::Rate => &rate,
        Shown::General => &general,
    };
    for (name, table) in sheets {
        let sheet_name = match zh.then(|| sheet_label_zh(name)).flatten() {
            Some(label) => label.to_string(),
            None => name.chars().take(31).collect(),
        };
        let sheet = workbook.add_worksheet();
        let err = |e| xlsx_error(&sheet_name, e);
        sheet.set_name(&sheet_name).map_err(err)?;
        let indicator = table.columns().iter().find_map(|(n, d)| match d {
            ColumnData::Text(v) if n == "indicator" => Some(v),
            _ => None,
        });
        for (c, (column, data)) in table.columns().iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| {
                Error::invalid(
                    format!("sheet {sheet_name}"),
                    "too many columns",
                    "at most 16,384",
                )
            })?;
            let label = match zh.then(|| column_label_zh(column)).flatten() {
                Some(l) => l,
                None => column.as_str(),
            };
            sheet
                .write_string_with_format(0, c, label, &header)
                .map_err(err)?;
            let width = label
                .chars()
                .map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 })
                .sum::<f64>();
            sheet
                .set_column_width(c, width.max(10.0) + 1.0)
                .map_err(err)?;
            for r in 0..table.height() {
                let row = u32::try_from(r + 1).map_err(|_| {
                    Error::invalid(
                        format!("sheet {sheet_name}"),
                        "too many rows",
                        "at most 1,048,575 rows",
                    )
                })?;
                let fmt = format_of(shown(column, indicator.map(|v| v[r].as_str())));
                match data {
                    ColumnData::Int(v) => {
                        sheet.write_number(row, c, f64::from(v[r])).map_err(err)?;
                    }
                    ColumnData::OptInt(v) => {
                        if let Some(x) = v[r] {
                            sheet.write_number(row, c, f64::from(x)).map_err(err)?;
                        }
                    }
                    ColumnData::Float(v) => {
                        if v[r].is_finite() {
                            sheet
                                .write_number_with_format(row, c, v[r], fmt)
                                .map_err(err)?;
                        }
                    }
                    ColumnData::OptFloat(v) => {
                        if let Some(x) = v[r].filter(|x| x.is_finite()) {
                            sheet
                                .write_number_with_format(row, c, x, fmt)
                                .map_err(err)?;
                        }
                    }
                    ColumnData::Text(v) => {
                        let text = match (zh, column.as_str(), v[r].as_str()) {
                            (true, "sex", "male") => "男",
                            (true, "sex", "female") => "女",
                            (_, _, t) => t,
                        };
                        sheet.write_string(row, c, text).map_err(err)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
    }
    workbook
        .save_to_buffer()
        .map_err(|e| Error::io("workbook", e))
}
