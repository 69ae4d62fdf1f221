//! The plan workbook: `carecast template` (blank or from a model) and
//! `carecast import` back to a model that reproduces the shipped models'
//! tables byte for byte; a county plan filled in by hand; bad workbooks.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

use crate::common::{fails, ok, root};

/// A cell of a hand-made workbook.
#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    N(f64),
}
use V::{N, S};

type SheetRows<'a> = Vec<Vec<V<'a>>>;

/// A change to the county workbook's sheets.
type Edit = dyn Fn(&mut Vec<(&str, SheetRows<'_>)>);

/// Writes a workbook of `sheets` (name, rows; the first row the header).
fn write_workbook(path: &Path, sheets: &[(&str, SheetRows<'_>)]) {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let sheet = wb.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match v {
                    S("") => {}
                    S(t) => {
                        sheet.write_string(r, c, *t).unwrap();
                    }
                    N(x) => {
                        sheet.write_number(r, c, *x).unwrap();
                    }
                }
            }
        }
    }
    wb.save(path).unwrap();
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Data rows of a CSV (comment lines dropped).
fn data_lines(path: &Path) -> Vec<String> {
    String::from_utf8(bytes(path))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Runs `command --model model` into `out` with `extra` arguments.
fn run(command: &str, model: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        command,
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

/// `project`, `gap` (all scenarios) and a small `simulate` of both models
/// write byte-identical tables.
fn assert_same_tables(shipped: &Path, imported: &Path, work: &Path, simulate: bool) {
    let mut runs: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "project",
            vec!["--scenario", "all"],
            vec!["population.csv", "indicators.csv"],
        ),
        (
            "gap",
            vec!["--scenario", "all"],
            vec!["demand.csv", "gap.csv"],
        ),
    ];
    if simulate {
        runs.push((
            "simulate",
            vec!["-n", "300", "--seed", "11"],
            vec![
                "quantiles.csv",
                "gap_risk.csv",
                "robust_plan.csv",
                "first_shortfall.csv",
            ],
        ));
    }
    for (command, extra, files) in runs {
        let a = work.join(format!("{command}-shipped"));
        let b = work.join(format!("{command}-imported"));
        run(command, shipped, &a, &extra);
        run(command, imported, &b, &extra);
        for f in files {
            assert!(
                bytes(&a.join(f)) == bytes(&b.join(f)),
                "{command} {f}: {} and {} differ",
                shipped.display(),
                imported.display()
            );
        }
    }
}

#[test]
fn jiaxing_through_the_workbook_reproduces_its_projection_gaps_and_risks() {
    for lang in ["en", "zh"] {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.xlsx");
        let model = dir.path().join("models/jiaxing.toml");
        ok(&[
            "template",
            "--from",
            "models/jiaxing.toml",
            "--synthesis",
            "data/jiaxing/synthesis.toml",
            "--lang",
            lang,
            "--out",
            plan.to_str().unwrap(),
        ]);
        let text = ok(&[
            "import",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ]);
        // Every figure came from the workbook: no default was taken.
        assert!(!text.contains("default (ASSUMPTION"), "{lang}: {text}");
        assert!(text.contains("10 service(s)"), "{lang}: {text}");
        // The base is synthesized again from the targets, to the same bits.
        assert_eq!(
            data_lines(&dir.path().join("models/jiaxing.base.csv")),
            data_lines(&root().join("data/jiaxing/base_2021.csv")),
            "{lang}: base"
        );
        assert!(dir.path().join("models/jiaxing.synthesis.toml").exists());
        // Every figure is tagged with its sheet and rows.
        let toml = String::from_utf8(bytes(&model)).unwrap();
        let caregivers = if lang == "zh" {
            "需求标准"
        } else {
            "demands"
        };
        assert!(
            toml.contains(&format!("sheet {caregivers}, rows")),
            "{lang}: {toml}"
        );
        assert_same_tables(
            &root().join("models/jiaxing.toml"),
            &model,
            dir.path(),
            lang == "en",
        );
    }
}

#[test]
fn every_shipped_model_survives_the_workbook_with_its_base_as_a_table() {
    for name in [
        "jiaxing",
        "shanghai",
        "huangpu",
        "lincang",
        "shanghai_regions",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join(format!("{name}.xlsx"));
        let model = dir.path().join(format!("out/{name}.toml"));
        let shipped = root().join(format!("models/{name}.toml"));
        ok(&[
            "template",
            "--from",
            shipped.to_str().unwrap(),
            "--out",
            plan.to_str().unwrap(),
            "--quiet",
        ]);
        ok(&[
            "import",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(dir.path().join(format!("out/{name}.base.csv")).exists());
        assert_same_tables(&shipped, &model, dir.path(), name == "shanghai");
    }
}

/// A county's plan, filled in by hand in Chinese: percentages as plans
/// write them, thousands separators, a ratio supply target, the base from
/// two totals; no mortality or fertility pattern named (defaults).
fn county_sheets<'a>() -> Vec<(&'a str, SheetRows<'a>)> {
    vec![
        (
            "基本设置",
            vec![
                vec![S("键"), S("数值"), S("来源")],
                vec![S("region.name"), S("Example county"), S("县规划")],
                vec![S("region.name_zh"), S("示例县"), S("")],
                vec![S("projection.base_year"), N(2020.0), S("")],
                vec![S("projection.end_year"), N(2035.0), S("")],
                vec![S("projection.key_years"), S("2025、2030")],
            ],
        ),
        (
            "时间路径",
            vec![
                vec![S("序列"), S("年份"), S("数值"), S("来源")],
                vec![S("mortality.e0"), N(2020.0), N(79.5), S("县卫健委")],
                vec![S("mortality.e0"), N(2035.0), N(81.0), S("假设")],
            ],
        ),
        (
            "情景",
            vec![
                vec![S("情景"), S("键"), S("年份"), S("数值"), S("来源")],
                vec![S("plan"), S("label"), S(""), S("TFR 1.1")],
                vec![S("plan"), S("tfr"), S(""), N(1.1), S("假设")],
            ],
        ),
        (
            "服务",
            vec![
                vec![S("服务"), S("名称"), S("中文名称"), S("单位")],
                vec![S("beds"), S("Elderly-care beds"), S("养老床位"), S("beds")],
                vec![
                    S("nursing_beds"),
                    S("Nursing-type beds"),
                    S("护理型床位"),
                    S("beds"),
                ],
            ],
        ),
        (
            "需求标准",
            vec![
                vec![
                    S("服务"),
                    S("需求口径"),
                    S("键"),
                    S("年份"),
                    S("数值"),
                    S("来源"),
                ],
                vec![S("beds"), S("standard"), S("method"), S(""), S("ratio")],
                vec![S("beds"), S("standard"), S("base"), S(""), S("elderly")],
                vec![
                    S("beds"),
                    S("standard"),
                    S("per_1000"),
                    N(2025.0),
                    N(40.0),
                    S("规划第三章"),
                ],
                vec![
                    S("nursing_beds"),
                    S("standard"),
                    S("method"),
                    S(""),
                    S("share"),
                ],
                vec![S("nursing_beds"), S("standard"), S("of"), S(""), S("beds")],
                vec![
                    S("nursing_beds"),
                    S("standard"),
                    S("fraction"),
                    N(2025.0),
                    S("60%"),
                ],
            ],
        ),
        (
            "供给",
            vec![
                vec![S("服务"), S("键"), S("年份"), S("数值"), S("来源")],
                vec![S("beds"), S("base"), S(""), S("elderly")],
                vec![S("beds"), S("per_1000"), N(2020.0), N(35.0)],
                vec![S("beds"), S("per_1000"), N(2025.0), N(40.0)],
                vec![S("nursing_beds"), S("count"), N(2020.0), S("1,500")],
                vec![S("nursing_beds"), S("count"), N(2025.0), S("2,600")],
            ],
        ),
        (
            "基期目标",
            vec![
                vec![
                    S("年龄"),
                    S("性别"),
                    S("人数"),
                    S("占总人口比例"),
                    S("来源"),
                ],
                vec![S("0+"), S(""), S("400,000"), S(""), S("统计公报")],
                vec![S("60+"), S(""), S(""), S("26.5%"), S("统计公报")],
            ],
        ),
    ]
}

#[test]
fn a_county_plan_filled_in_by_hand_becomes_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("county.xlsx");
    write_workbook(&plan, &county_sheets());
    let model = dir.path().join("models/county.toml");
    let text = ok(&[
        "import",
        "--plan",
        plan.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    // The base meets the plan's totals.
    assert!(
        text.contains("base synthesized: 400000 persons, 26.50% aged 60+"),
        "{text}"
    );
    // What the workbook left blank is a default, flagged as an assumption.
    for d in [
        "mortality.standard",
        "mortality.sex_gap",
        "fertility.pattern",
        "fertility.srb",
        "synthesis.reference",
    ] {
        assert!(
            text.contains(&format!("ASSUMPTION, flagged in the model): {d}")),
            "{d}: {text}"
        );
    }
    let toml = String::from_utf8(bytes(&model)).unwrap();
    assert!(toml.contains("ASSUMPTION: carecast's default"), "{toml}");
    assert!(
        toml.contains("# ASSUMPTION: 假设 (plan workbook, sheet 情景, row 3)"),
        "{toml}"
    );
    assert!(
        toml.contains("# [P] 规划第三章 (plan workbook, sheet 需求标准, row 4)"),
        "{toml}"
    );
    assert!(toml.contains("fraction = [[2025, \"60%\"]]"), "{toml}");
    assert!(
        toml.contains("points = [[2020, 1500], [2025, 2600]]"),
        "{toml}"
    );
    assert!(toml.contains("key_years = [2025, 2030]"), "{toml}");
    assert!(toml.contains("全国2015-2020年"), "{toml}");
    // It projects, and the ratio supply resolves on its own projection:
    // 40 beds per 1,000 of the 60+ of 2025.
    let out = dir.path().join("gap");
    ok(&[
        "gap",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let (header, rows) = crate::common::read_csv(&out.join("gap.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let row = rows
        .iter()
        .find(|r| {
            r[col("service")] == "beds"
                && r[col("year")] == "2025"
                && r[col("method")] == "standard"
        })
        .unwrap();
    let demand: f64 = row[col("demand")].parse().unwrap();
    let supply: f64 = row[col("supply")].parse().unwrap();
    assert!((demand - supply).abs() < 1e-6 * demand, "{demand} {supply}");
}

#[test]
fn a_blank_template_names_everything_it_still_needs() {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "zh"] {
        let plan = dir.path().join(format!("blank-{lang}.xlsx"));
        ok(&[
            "template",
            "--out",
            plan.to_str().unwrap(),
            "--lang",
            lang,
            "-q",
        ]);
        let out = dir.path().join(format!("{lang}/model.toml"));
        fails(
            &[
                "import",
                "--plan",
                plan.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            1,
            &[
                "problem(s) in the plan workbook (nothing written)",
                "key region.name: found nothing",
                "key projection.base_year",
                "key projection.end_year",
                "no base population",
            ],
            &out,
        );
        assert!(
            !dir.path().join(lang).exists()
                || std::fs::read_dir(dir.path().join(lang))
                    .unwrap()
                    .next()
                    .is_none()
        );
    }
}

#[test]
fn bad_workbooks_name_the_sheet_and_cell_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("models/county.toml");
    let cases: Vec<(&str, Box<Edit>, Vec<&str>)> = vec![
        (
            "missing settings sheet",
            Box::new(|s| s.retain(|(n, _)| *n != "基本设置")),
            vec!["sheet settings: found no such sheet", "基本设置"],
        ),
        (
            "text in a number cell",
            Box::new(|s| s[0].1[3][1] = S("二〇二〇")),
            vec!["sheet 基本设置, cell B4", "\"二〇二〇\"", "a whole number"],
        ),
        (
            "a percentage above 100%",
            Box::new(|s| s[4].1[6][4] = S("160%")),
            vec![
                "sheet 需求标准, cell E7",
                "a percentage above 100%",
                "27.58% is 0.2758",
            ],
        ),
        (
            "a demand of an unknown service",
            Box::new(|s| s[4].1[1][0] = S("bedz")),
            vec![
                "sheet 需求标准, cell A2",
                "service \"bedz\"",
                "a service of the 服务 sheet",
            ],
        ),
        (
            "an unknown key",
            Box::new(|s| s[5].1[2][1] = S("per_100")),
            vec!["sheet 供给, cell B3", "a key \"per_100\"", "per_1000"],
        ),
        (
            "a year given twice",
            Box::new(|s| s[5].1[5][2] = N(2020.0)),
            vec!["sheet 供给, cell C6", "2020 twice for count"],
        ),
    ];
    for (what, edit, needles) in cases {
        let plan = dir.path().join("bad.xlsx");
        let mut sheets = county_sheets();
        edit(&mut sheets);
        write_workbook(&plan, &sheets);
        let err = fails(
            &[
                "import",
                "--plan",
                plan.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            1,
            &needles,
            &out,
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    // A merged header cell.
    let plan = dir.path().join("merged.xlsx");
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("settings").unwrap();
    sheet
        .merge_range(0, 0, 0, 1, "key", &Format::new())
        .unwrap();
    sheet.write_string(1, 0, "region.name").unwrap();
    wb.save(&plan).unwrap();
    fails(
        &[
            "import",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        1,
        &["sheet settings, cells A1:B1", "a merged header cell"],
        &out,
    );
    // Not a workbook at all.
    let plan = dir.path().join("plan.xlsx");
    std::fs::write(&plan, "key,value\n").unwrap();
    fails(
        &[
            "import",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        1,
        &["plan.xlsx", "expected an Excel .xlsx file"],
        &out,
    );
}
