//! Every class of bad input: a non-zero exit, a message naming the file,
//! row or key with what was found and what was expected, no panic, and no
//! output written.

use crate::common::{carecast, Fixture};

/// Runs `project` on the fixture's model; asserts failure with every
/// `needles` in stderr and an empty output folder.
fn fails(fx: &Fixture, needles: &[&str]) {
    let out = fx.path("out");
    let args = [
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
    ];
    crate::common::fails_with(&args, 1, needles);
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "output written"
    );
    // validate reports the same problem.
    let v = carecast(&["validate", "--model", &fx.model()]);
    assert!(!v.status.success());
}

const BASE: &str = "data/jiaxing/base_2021.csv";
const MX: &str = "data/reference/china_mx_2015_2020.csv";
const ASFR: &str = "data/reference/china_fertility_2015_2020.csv";
const MODEL: &str = "models/jiaxing.toml";

#[test]
fn missing_age() {
    let fx = Fixture::new();
    fx.edit(BASE, |t| {
        t.lines()
            .filter(|l| !l.starts_with("2021,female,37,"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    fails(
        &fx,
        &["base_2021.csv", "female age 37", "no row", "expected"],
    );
}

#[test]
fn extra_age() {
    let fx = Fixture::new();
    fx.edit(BASE, |t| t + "2021,male,101,5.0\n");
    fails(
        &fx,
        &[
            "base_2021.csv",
            "row 203",
            "age 101",
            "expected one of 0, 1, ..., 100",
        ],
    );
}

#[test]
fn duplicated_row() {
    let fx = Fixture::new();
    fx.edit(BASE, |t| t + "2021,male,40,5.0\n");
    fails(
        &fx,
        &[
            "base_2021.csv",
            "row 203",
            "a second row for male age 40",
            "one row per sex and age",
        ],
    );
}

#[test]
fn negative_count() {
    let fx = Fixture::new();
    fx.edit(BASE, |t| {
        t.replace("\n2021,female,50,", "\n2021,female,50,-")
    });
    fails(
        &fx,
        &[
            "base_2021.csv",
            "column population",
            "found -",
            "expected a number >= 0",
        ],
    );
}

/// Replaces the base row starting with `prefix` by `row`.
fn replace_row(fx: &Fixture, prefix: &str, row: &str) {
    fx.edit(BASE, |t| {
        let mut lines: Vec<String> = t.lines().map(String::from).collect();
        let i = lines.iter().position(|l| l.starts_with(prefix)).unwrap();
        lines[i] = row.into();
        lines.join("\n")
    });
}

#[test]
fn nan_count() {
    let fx = Fixture::new();
    replace_row(&fx, "2021,male,30,", "2021,male,30,NaN");
    fails(&fx, &["base_2021.csv", "row 31", "NaN", "a finite number"]);
}

#[test]
fn non_numeric_cell() {
    let fx = Fixture::new();
    replace_row(&fx, "2021,male,30,", "2021,male,30,12o5");
    fails(
        &fx,
        &[
            "base_2021.csv",
            "row 31, column population",
            "\"12o5\"",
            "expected a number",
        ],
    );
}

#[test]
fn unknown_sex_label() {
    let fx = Fixture::new();
    fx.edit(BASE, |t| t.replacen("2021,male,0,", "2021,men,0,", 1));
    fails(
        &fx,
        &[
            "base_2021.csv",
            "row 1, column sex",
            "\"men\"",
            "male or female",
        ],
    );
}

#[test]
fn negative_mx() {
    let fx = Fixture::new();
    fx.edit(MX, |t| t.replace("female,60,0.0086", "female,60,-0.0086"));
    fails(
        &fx,
        &[
            "china_mx_2015_2020.csv",
            "[mortality]",
            "column mx",
            "-0.0086",
            ">= 0",
        ],
    );
}

#[test]
fn tfr_zero_and_too_high() {
    for (bad, found) in [("tfr = 1.00", "0"), ("tfr = 1.30", "12")] {
        let fx = Fixture::new();
        fx.edit(MODEL, |t| t.replace(bad, &format!("tfr = {found}")));
        fails(
            &fx,
            &[
                "[scenario tfr_",
                "TFR",
                &format!("found {found}"),
                "> 0 and <= 10",
            ],
        );
    }
}

#[test]
fn asfr_not_summing_to_100() {
    let fx = Fixture::new();
    fx.edit(ASFR, |t| t.replace("25,34.68462", "25,44.68462"));
    fails(
        &fx,
        &[
            "china_fertility_2015_2020.csv",
            "percent ASFR sum",
            "110.",
            "expected 100",
        ],
    );
}

#[test]
fn unknown_key_in_model() {
    let fx = Fixture::new();
    fx.edit(MODEL, |t| {
        t.replace("open_age = 100", "open_age = 100\nhorizon = 2050")
    });
    fails(&fx, &["jiaxing.toml", "line", "unknown field `horizon`"]);
}

#[test]
fn wrong_type_in_model() {
    let fx = Fixture::new();
    fx.edit(MODEL, |t| {
        t.replace("base_year = 2021", "base_year = \"2021\"")
    });
    fails(&fx, &["jiaxing.toml", "line", "invalid type"]);
}

#[test]
fn missing_file() {
    let fx = Fixture::new();
    std::fs::remove_file(fx.path(MX)).unwrap();
    fails(&fx, &["china_mx_2015_2020.csv", "no such file"]);
    let o = carecast(&["project", "--model", "models/nowhere.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere.toml"));
}

#[test]
fn every_problem_is_listed() {
    let fx = Fixture::new();
    fx.edit(MODEL, |t| {
        t.replace("tfr = 1.00", "tfr = -1")
            .replace("srb = 1.13", "srb = 3.0")
    });
    let o = carecast(&["validate", "--model", &fx.model()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("problem(s)") && err.contains("[fertility]") && err.contains("srb"),
        "{err}"
    );
}

#[test]
fn unwritable_output_folder() {
    let fx = Fixture::new();
    let blocker = fx.path("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = blocker.join("out");
    let o = carecast(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot create the output folder") && err.contains("file/out"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
}

#[test]
fn existing_outputs_survive_a_failed_run() {
    let fx = Fixture::new();
    let out = fx.path("kept");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("population.csv"), "old").unwrap();
    fx.edit(MODEL, |t| t.replace("tfr = 1.00", "tfr = 0"));
    let o = carecast(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(out.join("population.csv")).unwrap(),
        "old"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "no temporaries left"
    );
}

#[test]
fn stated_figure_with_unknown_indicator_or_share_above_one() {
    let fx = Fixture::new();
    fx.edit(MODEL, |t| {
        t.replace(
            "indicator = \"share_60plus\"\nyear = 2021",
            "indicator = \"share_sixty\"\nyear = 2021",
        )
    });
    fails(&fx, &["stated[1]", "\"share_sixty\"", "share_60plus"]);
    let fx = Fixture::new();
    fx.edit(MODEL, |t| t.replace("value = 0.2758", "value = 27.58"));
    fails(&fx, &["stated[1]", "27.58", "a fraction in [0, 1]"]);
}

#[test]
fn key_years_outside_the_horizon_or_unordered() {
    for (years, needle) in [("[2025, 2060]", "2060"), ("[2030, 2025]", "ascending")] {
        let fx = Fixture::new();
        fx.edit(MODEL, |t| {
            t.replace(
                "open_age = 100",
                &format!("open_age = 100\nkey_years = {years}"),
            )
        });
        fails(&fx, &["jiaxing.toml", "[projection]", "key_years", needle]);
    }
}

/// Every TOML reader names the line and column of a syntax or schema
/// error: model files, sweep grids and synthesis specs.
#[test]
fn toml_errors_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let sweep = dir.path().join("grid.toml");
    std::fs::write(
        &sweep,
        "[sweep]\ntrajectories = \"many\"\n[grid]\ntfr = [1.0]\n",
    )
    .unwrap();
    crate::common::fails(
        &["sweep", "--grid", sweep.to_str().unwrap(), "--out", o],
        1,
        &["grid.toml", "TOML line 2, column 16", "invalid type"],
        &out,
    );
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, "reference = \"x.csv\"\n\nopen_age = = 100\n").unwrap();
    let csv = dir.path().join("base.csv");
    crate::common::fails(
        &[
            "synthesize",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ],
        1,
        &["spec.toml", "TOML line 3, column"],
        &csv,
    );
    let fx = Fixture::new();
    fx.edit(MODEL, |t| t.replace("end_year = 2050", "end_year = [2050"));
    fails(&fx, &["jiaxing.toml", "TOML line", "column"]);
}

#[test]
fn key_years_outside_the_projection() {
    let fx = Fixture::new();
    let out = fx.path("out");
    for (command, years) in [("gap", "2060"), ("gap", "2051-2060"), ("report", "2060")] {
        let o = carecast(&[
            command,
            "--model",
            &fx.model(),
            "--years",
            years,
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{command} {years}: {err}");
        assert!(
            err.contains("--years") && err.contains(years) && err.contains("2021-2050"),
            "{command} {years}: {err}"
        );
        assert!(!out.exists(), "{command} {years} wrote {}", out.display());
    }
    // A span whose ends are swapped, or not a year: clap's usage error.
    for years in ["2030-2025", "2025..2030"] {
        let o = carecast(&["gap", "--model", &fx.model(), "--years", years]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{years}: {err}");
        assert!(err.contains(years), "{years}: {err}");
    }
}

#[test]
fn implausible_magnitudes_are_warned_about_naming_the_row() {
    let fx = Fixture::new();
    fx.edit("data/jiaxing/base_2021.csv", |t| {
        let row = t
            .lines()
            .find(|l| l.starts_with("2021,male,40,"))
            .unwrap()
            .to_string();
        t.replace(&row, "2021,male,40,1e300")
    });
    let o = crate::common::carecast(&["validate", "--model", &fx.model()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("warning: base population: the row for male age 40 holds 1e300 persons, above 10 billion"),
        "{text}"
    );
    let out = fx.path("out");
    let o = crate::common::carecast(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the row for male age 40 holds 1e300"), "{err}");
    // The base's 60+ share is not the stated 30% (the shipped base holds 27.58%).
    let fx = Fixture::new();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace("value = 0.2758", "value = 0.30")
    });
    let o = crate::common::carecast(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("share_60plus in 2021 is 0.27") && err.contains("0.3 as stated"),
        "{err}"
    );
    // The shipped model raises no warning.
    let o = crate::common::carecast(&["validate", "--model", "models/jiaxing.toml"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("warning: base population"));
}

#[test]
fn validate_lists_every_toml_level_problem() {
    let fx = Fixture::new();
    // Three schema problems in three places: an unknown key in
    // [projection], a misspelt key in the third [[service]], an unknown
    // section; each with its line.
    fx.edit(MODEL, |t| {
        let t = t.replacen("[projection]\n", "[projection]\nhorizon_years = 30\n", 1);
        let third = t.match_indices("[[service]]").nth(2).unwrap().0;
        let (head, tail) = t.split_at(third);
        format!(
            "{head}{}\n[extras]\nnote = 1\n",
            tail.replacen("[[service]]\n", "[[service]]\nsupplly = 3\n", 1)
        )
    });
    let err = crate::common::fails_with(&["validate", "--model", &fx.model()], 1, &[]);
    for needle in [
        "3 problem(s)",
        "horizon_years",
        "TOML line 34",
        "supplly",
        "unknown section or key \"extras\"",
    ] {
        assert!(err.contains(needle), "lacks {needle:?}: {err}");
    }
    // A syntax error is still reported with its line, and only the
    // parser's own errors then.
    fx.edit(MODEL, |t| t.replacen("[region]", "[region", 1));
    crate::common::fails_with(&["validate", "--model", &fx.model()], 1, &["TOML line 11"]);
}
