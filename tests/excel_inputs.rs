//! Files as bureaus keep them: xlsx workbooks out and in, GBK CSV and TOML,
//! Chinese column names and sex labels, thousands separators, a BOM for
//! Excel; and CSV numbers without float noise.

use std::path::Path;

use carecast::io::read_text_table;

use crate::common::{fails, ok, read_csv, Fixture};

/// Every number of `csv` equals the same cell of sheet `sheet` of the
/// workbook (to the CSV's 10 significant digits); texts are equal.
fn assert_sheet_matches_csv(workbook: &Path, sheet: &str, csv: &Path) {
    let (header, rows) = read_csv(csv);
    let table = read_text_table(Path::new(&format!("{}#{sheet}", workbook.display()))).unwrap();
    assert_eq!(table.columns(), header.as_slice(), "{sheet}: columns");
    assert_eq!(table.height(), rows.len(), "{sheet}: rows");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let in_sheet = table.text(r, c).unwrap_or("");
            match (cell.parse::<f64>(), in_sheet.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert!(
                    (a - b).abs() <= 1e-9 * a.abs().max(1e-300),
                    "{sheet} row {r} {}: csv {a}, xlsx {b}",
                    header[c]
                ),
                _ => assert_eq!(cell, in_sheet, "{sheet} row {r} {}", header[c]),
            }
        }
    }
}

#[test]
fn every_table_command_writes_one_workbook_with_the_csv_numbers() {
    let out = tempfile::tempdir().unwrap();
    let dir = |name: &str| out.path().join(name);
    let runs: [(&str, &[&str], &[&str]); 3] = [
        ("project", &[], &["population", "indicators"]),
        ("gap", &[], &["demand", "gap"]),
        (
            "simulate",
            &["-n", "500", "--seed", "5"],
            &[
                "quantiles",
                "demand_quantiles",
                "gap_risk",
                "supply_quantiles",
                "first_shortfall",
                "robust_plan",
            ],
        ),
    ];
    for (command, extra, sheets) in runs {
        for format in ["csv", "xlsx"] {
            let target = dir(&format!("{command}-{format}"));
            let mut args = vec![
                command,
                "--model",
                "models/jiaxing.toml",
                "--format",
                format,
                "--out",
                target.to_str().unwrap(),
                "-q",
            ];
            args.extend_from_slice(extra);
            ok(&args);
        }
        let workbook = dir(&format!("{command}-xlsx")).join(format!("{command}.xlsx"));
        let files: Vec<_> = std::fs::read_dir(dir(&format!("{command}-xlsx")))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1, "{command}: one workbook and nothing else");
        for sheet in sheets {
            let csv = dir(&format!("{command}-csv")).join(format!("{sheet}.csv"));
            assert_sheet_matches_csv(&workbook, sheet, &csv);
        }
    }
}

#[test]
fn a_chinese_workbook_has_chinese_sheet_and_column_labels() {
    let out = tempfile::tempdir().unwrap();
    ok(&[
        "project",
        "--model",
        "models/jiaxing.toml",
        "--format",
        "xlsx",
        "--lang",
        "zh",
        "--out",
        out.path().to_str().unwrap(),
        "-q",
    ]);
    let book = out.path().join("project.xlsx");
    // Read back through the Chinese aliases: 年份 → year, 性别 → sex (男/女), ...
    let t = read_text_table(Path::new(&format!("{}#人口", book.display()))).unwrap();
    assert_eq!(t.columns(), ["year", "sex", "age", "population"]);
    assert_eq!(t.text(0, 1).unwrap(), "男");
    let e = read_text_table(Path::new(&format!("{}#population", book.display())))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such sheet") && e.contains("\"人口\""), "{e}");
}

#[test]
fn csv_numbers_have_no_float_noise_and_a_bom_on_request() {
    let out = tempfile::tempdir().unwrap();
    let plain = out.path().join("plain");
    let bom = out.path().join("bom");
    for (dir, extra) in [(&plain, None), (&bom, Some("--bom"))] {
        let mut args = vec![
            "gap",
            "--model",
            "models/jiaxing.toml",
            "--out",
            dir.to_str().unwrap(),
            "-q",
        ];
        args.extend(extra);
        ok(&args);
    }
    let text = std::fs::read(plain.join("gap.csv")).unwrap();
    let with_bom = std::fs::read(bom.join("gap.csv")).unwrap();
    assert_eq!(&with_bom[..3], &[0xEF, 0xBB, 0xBF]);
    assert_eq!(&with_bom[3..], &text[..]);
    let (header, rows) = read_csv(&plain.join("gap.csv"));
    for row in rows {
        for (cell, name) in row.iter().zip(&header).skip(3) {
            let v: f64 = cell.parse().unwrap();
            // At most 10 significant digits: rounding to 10 changes nothing.
            assert_eq!(
                format!("{v:.9e}").parse::<f64>().unwrap(),
                v,
                "{name} {cell}"
            );
            assert!(
                v == 0.0 || v.abs() > 1e-6,
                "{name} {cell}: subtraction noise"
            );
        }
    }
    // A table with a BOM reads back like one without.
    let a = read_text_table(&plain.join("gap.csv")).unwrap();
    let b = read_text_table(&bom.join("gap.csv")).unwrap();
    assert_eq!(a.columns(), b.columns());
}

/// The base as a GBK CSV with Chinese column names, sex labels, comments
/// and thousands separators.
fn gbk_base(fixture: &Fixture) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture.path("data/jiaxing/base_2021.csv")).unwrap();
    let mut out = String::from("# 嘉兴市户籍人口 2021（合成）\n");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[0] == "year" {
            out.push_str("年份,性别,年龄,人口\n");
            continue;
        }
        let sex = if cells[1] == "male" { "男" } else { "女" };
        let v: f64 = cells[3].parse().unwrap();
        // Excel's thousands separator on the whole part, quoted as Excel does.
        let whole = v.trunc() as u64;
        let frac = &cells[3][cells[3].find('.').unwrap_or(cells[3].len())..];
        let grouped = whole
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&format!(
            "{},{sex},{},\"{grouped}{frac}\"\n",
            cells[0], cells[2]
        ));
    }
    encoding_rs::GBK.encode(&out).0.into_owned()
}

#[test]
fn a_gbk_base_and_a_gbk_model_project_like_their_utf8_twins() {
    let fixture = Fixture::new();
    let utf8_out = fixture.path("out-utf8");
    ok(&[
        "project",
        "--model",
        &fixture.model(),
        "--out",
        utf8_out.to_str().unwrap(),
        "-q",
    ]);
    std::fs::write(
        fixture.path("data/jiaxing/base_gbk.csv"),
        gbk_base(&fixture),
    )
    .unwrap();
    let model = std::fs::read_to_string(fixture.path("models/jiaxing.toml"))
        .unwrap()
        .replace(
            "../data/jiaxing/base_2021.csv",
            "../data/jiaxing/base_gbk.csv",
        );
    assert!(
        model.contains("嘉兴"),
        "the model has Chinese text to encode"
    );
    let gbk_model = fixture.path("models/jiaxing_gbk.toml");
    std::fs::write(&gbk_model, encoding_rs::GBK.encode(&model).0).unwrap();
    let gbk_out = fixture.path("out-gbk");
    ok(&[
        "project",
        "--model",
        gbk_model.to_str().unwrap(),
        "--out",
        gbk_out.to_str().unwrap(),
        "-q",
    ]);
    for table in ["population.csv", "indicators.csv"] {
        assert_eq!(
            std::fs::read(utf8_out.join(table)).unwrap(),
            std::fs::read(gbk_out.join(table)).unwrap(),
            "{table}"
        );
    }
}

/// Writes the base as sheet `人口` of a workbook, with a source line above
/// the header and Chinese labels.
fn xlsx_base(fixture: &Fixture, path: &Path) {
    let (_, rows) = read_csv(&fixture.path("data/jiaxing/base_2021.csv"));
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "嘉兴")
        .unwrap();
    let sheet = book.add_worksheet().set_name("人口").unwrap();
    sheet.write_string(0, 0, "# 来源：合成").unwrap();
    for (c, h) in ["年份", "性别", "年龄", "人口"].iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 2;
        sheet
            .write_number(r, 0, row[0].parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_string(r, 1, if row[1] == "male" { "男" } else { "女" })
            .unwrap();
        sheet
            .write_number(r, 2, row[2].parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_number(r, 3, row[3].parse::<f64>().unwrap())
            .unwrap();
    }
    book.save(path).unwrap();
}

#[test]
fn an_xlsx_base_projects_like_the_csv_base() {
    let fixture = Fixture::new();
    let csv_out = fixture.path("out-csv");
    ok(&[
        "project",
        "--model",
        &fixture.model(),
        "--out",
        csv_out.to_str().unwrap(),
        "-q",
    ]);
    xlsx_base(&fixture, &fixture.path("data/jiaxing/base.xlsx"));
    fixture.edit("models/jiaxing.toml", |t| {
        t.replace(
            "../data/jiaxing/base_2021.csv",
            "../data/jiaxing/base.xlsx#人口",
        )
    });
    let xlsx_out = fixture.path("out-xlsx");
    ok(&[
        "project",
        "--model",
        &fixture.model(),
        "--out",
        xlsx_out.to_str().unwrap(),
        "-q",
    ]);
    for table in ["population.csv", "indicators.csv"] {
        assert_eq!(
            std::fs::read(csv_out.join(table)).unwrap(),
            std::fs::read(xlsx_out.join(table)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn bad_workbooks_and_encodings_name_the_sheet_cell_or_line() {
    let fixture = Fixture::new();
    let book = fixture.path("data/jiaxing/base.xlsx");
    xlsx_base(&fixture, &book);
    let out = fixture.path("out");
    let point = |target: &str| {
        let text = std::fs::read_to_string(fixture.path("models/jiaxing.toml")).unwrap();
        let from = text
            .lines()
            .find(|l| l.starts_with("population = "))
            .unwrap()
            .to_string();
        std::fs::write(
            fixture.path("models/jiaxing.toml"),
            text.replace(&from, &format!("population = \"{target}\"")),
        )
        .unwrap();
    };
    let project = |needles: &[&str]| {
        fails(
            &[
                "project",
                "--model",
                &fixture.model(),
                "--out",
                out.to_str().unwrap(),
            ],
            1,
            needles,
            &out,
        )
    };
    // Two sheets and none named; a sheet that is not there.
    point("../data/jiaxing/base.xlsx");
    project(&["base.xlsx", "2 sheets", "FILE.xlsx#SHEET", "\"人口\""]);
    point("../data/jiaxing/base.xlsx#Population");
    project(&[
        "sheet \"Population\"",
        "no such sheet",
        "\"说明\", \"人口\"",
    ]);
    // Text in a number cell: sheet and cell named.
    let mut bad = rust_xlsxwriter::Workbook::new();
    let s = bad.add_worksheet().set_name("人口").unwrap();
    for (c, h) in ["year", "sex", "age", "population"].iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_number(1, 0, 2021).unwrap();
    s.write_string(1, 1, "male").unwrap();
    s.write_number(1, 2, 0).unwrap();
    s.write_string(1, 3, "about 9000").unwrap();
    bad.save(fixture.path("data/jiaxing/bad.xlsx")).unwrap();
    point("../data/jiaxing/bad.xlsx#人口");
    project(&[
        "sheet 人口, cell D2",
        "column population",
        "\"about 9000\"",
        "a number",
    ]);
    // A merged header.
    let mut merged = rust_xlsxwriter::Workbook::new();
    let s = merged.add_worksheet();
    s.merge_range(0, 0, 0, 1, "year and sex", &rust_xlsxwriter::Format::new())
        .unwrap();
    s.write_string(0, 2, "age").unwrap();
    merged
        .save(fixture.path("data/jiaxing/merged.xlsx"))
        .unwrap();
    point("../data/jiaxing/merged.xlsx");
    project(&["merged.xlsx", "cells A1:B1", "a merged header cell"]);
    // Not a workbook at all.
    std::fs::write(fixture.path("data/jiaxing/fake.xlsx"), b"year,sex\n").unwrap();
    point("../data/jiaxing/fake.xlsx");
    project(&["fake.xlsx", "cannot read the workbook", "Excel .xlsx"]);
    // An undecodable byte: the line and what to do.
    let mut bytes = std::fs::read(fixture.path("data/jiaxing/base_2021.csv")).unwrap();
    bytes.extend(b"2021,male,\xFF\xFE,1\n");
    std::fs::write(fixture.path("data/jiaxing/broken.csv"), bytes).unwrap();
    point("../data/jiaxing/broken.csv");
    project(&[
        "broken.csv: line 210",
        "0xFF",
        "neither UTF-8 nor GB18030",
        "CSV UTF-8",
    ]);
    // Grouping that is not thousands is not a number.
    let text = std::fs::read_to_string(fixture.path("data/jiaxing/base_2021.csv")).unwrap();
    let first = text
        .lines()
        .find(|l| l.starts_with("2021,male,0,"))
        .unwrap();
    std::fs::write(
        fixture.path("data/jiaxing/grouped.csv"),
        text.replace(first, "2021,male,0,\"91,12.4\""),
    )
    .unwrap();
    point("../data/jiaxing/grouped.csv");
    project(&[
        "grouped.csv: row 1, column population",
        "\"91,12.4\"",
        "a number",
    ]);
}

#[test]
fn a_model_outside_the_repository_uses_the_built_in_tables() {
    let away = tempfile::tempdir().unwrap();
    let root = crate::common::root();
    std::fs::create_dir_all(away.path().join("models")).unwrap();
    std::fs::create_dir_all(away.path().join("data/jiaxing")).unwrap();
    for rel in ["models/jiaxing.toml", "data/jiaxing/base_2021.csv"] {
        std::fs::copy(root.join(rel), away.path().join(rel)).unwrap();
    }
    let model = away.path().join("models/jiaxing.toml");
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.contains("\"builtin:china-mx-2015-2020\""));
    assert!(!away.path().join("data/reference").exists());
    let validate = ok(&["validate", "--model", model.to_str().unwrap()]);
    for name in [
        "china-mx-2015-2020",
        "china-fertility-2015-2020",
        "adl-dependency-china",
    ] {
        assert!(
            validate.contains(&format!("built-in table builtin:{name}: ")),
            "{validate}"
        );
    }
    for (dir, m) in [
        ("here", "models/jiaxing.toml"),
        ("away", model.to_str().unwrap()),
    ] {
        let out = away.path().join(dir);
        ok(&[
            "simulate",
            "--model",
            m,
            "-n",
            "300",
            "--seed",
            "2",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
    }
    for table in ["quantiles.csv", "gap_risk.csv", "demand_quantiles.csv"] {
        assert_eq!(
            std::fs::read(away.path().join("here").join(table)).unwrap(),
            std::fs::read(away.path().join("away").join(table)).unwrap(),
            "{table}"
        );
    }
    // An unknown name lists the known ones.
    std::fs::write(
        &model,
        text.replace("builtin:china-mx-2015-2020", "builtin:china-mx-2020"),
    )
    .unwrap();
    let out = away.path().join("bad");
    fails(
        &[
            "project",
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        1,
        &[
            "builtin:china-mx-2020",
            "no such built-in table",
            "builtin:china-mx-2015-2020",
        ],
        &out,
    );
}

/// The caregivers' supply of the fixture written as `supply` (TOML lines).
fn caregiver_supply(fx: &Fixture, supply: &str) {
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "  points = [[2021, 1837], [2022, 2169], [2025, 3110]]",
            supply,
        )
    });
}

/// `column` of `table` (a CSV with year, service, method columns) for
/// `service` by the standard in `year`.
fn cell(table: &Path, service: &str, year: i32, column: &str) -> f64 {
    let (header, rows) = read_csv(table);
    let c = header.iter().position(|h| h == column).unwrap();
    let row = rows
        .iter()
        .find(|r| r[0] == year.to_string() && r[1] == service && r[2] == "standard")
        .unwrap_or_else(|| panic!("{service} {year}"));
    row[c].parse().unwrap()
}

#[test]
fn ratio_supply_targets_resolve_to_the_hand_computed_counts() {
    // On the elderly population the plan states: 18.5, 21 and 27 per 10,000.
    let fx = Fixture::new();
    caregiver_supply(
        &fx,
        "  per_10000 = [[2021, 18.5], [2022, 21], [2025, 27]]\n  base = \"elderly\"\n  \
         population = [[2021, 992880], [2022, 1033000], [2025, 1152000]]",
    );
    let out = fx.path("out");
    ok(&[
        "gap",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let gap = out.join("gap.csv");
    for (year, want) in [
        (2021, 18.5e-4 * 992_880.0),
        (2022, 21e-4 * 1_033_000.0),
        (
            2024,
            21e-4 * 1_033_000.0 + (27e-4 * 1_152_000.0 - 21e-4 * 1_033_000.0) * 2.0 / 3.0,
        ),
        (2025, 27e-4 * 1_152_000.0),
        (2030, 27e-4 * 1_152_000.0),
    ] {
        let got = cell(&gap, "caregivers", year, "supply");
        assert!((got - want).abs() < 1e-6 * want, "{year}: {got} vs {want}");
    }

    // On a scenario's own projection: 27 per 10,000 of its 60+ in 2025.
    let fx = Fixture::new();
    caregiver_supply(
        &fx,
        "  per_10000 = [[2021, 18.5], [2025, 27]]\n  base = \"60+\"\n  on_scenario = \"tfr_0.81\"",
    );
    let out = fx.path("out");
    ok(&[
        "gap",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let proj = fx.path("proj");
    ok(&[
        "project",
        "--model",
        &fx.model(),
        "--scenario",
        "tfr_0.81",
        "--out",
        proj.to_str().unwrap(),
        "-q",
    ]);
    let (_, ind) = read_csv(&proj.join("indicators.csv"));
    let elderly = |y: i32| -> f64 {
        ind.iter()
            .find(|r| r[0] == y.to_string() && r[1] == "pop_60plus")
            .unwrap()[2]
            .parse()
            .unwrap()
    };
    for (year, rate) in [(2021, 18.5e-4), (2025, 27e-4)] {
        let got = cell(&out.join("gap.csv"), "caregivers", year, "supply");
        let want = rate * elderly(year);
        assert!((got - want).abs() < 1e-6 * want, "{year}: {got} vs {want}");
    }
    // The count is the plan's, whatever scenario is run against it.
    let all = fx.path("all");
    ok(&[
        "gap",
        "--model",
        &fx.model(),
        "--scenario",
        "all",
        "--out",
        all.to_str().unwrap(),
        "-q",
    ]);
    let (_, rows) = read_csv(&all.join("gap.csv"));
    let supplies: Vec<&String> = rows
        .iter()
        .filter(|r| r[1] == "2025" && r[2] == "caregivers" && r[3] == "standard")
        .map(|r| &r[5])
        .collect();
    assert!(
        supplies.len() > 2 && supplies.iter().all(|s| *s == supplies[0]),
        "{supplies:?}"
    );
}

#[test]
fn bad_ratio_supplies_name_the_key() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "  per_10000 = 27\n  base = \"seniors\"",
            &[
                "service caregivers supply",
                "\"seniors\"",
                "a known population base",
            ],
        ),
        (
            "  per_10000 = 27\n  base = \"elderly\"\n  on_scenario = \"fast\"",
            &[
                "service caregivers supply",
                "on_scenario",
                "\"fast\"",
                "one of the model's scenarios",
            ],
        ),
        (
            "  per_10000 = 27\n  per_1000 = 2.7\n  base = \"elderly\"",
            &["both per_1000 and per_10000"],
        ),
        (
            "  points = [[2021, 1837]]\n  base = \"elderly\"",
            &["supply base", "given without a ratio"],
        ),
        (
            "  per_10000 = [[2019, 15], [2025, 27]]\n  base = \"elderly\"",
            &["supply ratio in 2019", "outside the projection"],
        ),
    ];
    for (supply, needles) in cases {
        let fx = Fixture::new();
        caregiver_supply(&fx, supply);
        let out = fx.path("out");
        fails(
            &[
                "gap",
                "--model",
                &fx.model(),
                "--out",
                out.to_str().unwrap(),
            ],
            1,
            needles,
            &out,
        );
    }
}
