//! Model-file inputs beyond the default model: mortality tables (constant,
//! by period, closed at 85+ and extended with Kannisto rates) and migration.

use crate::common::Fixture;
use carecast::io::model_file;
use carecast::{LifeTable, Sex};

const MX: &str = "data/reference/china_mx_2015_2020.csv";

/// Switches the fixture's model to `method = "table"` with `file`.
fn use_table(fx: &Fixture, file: &str) {
    fx.edit("models/jiaxing.toml", |t| {
        let start = t.find("[mortality]").unwrap();
        let end = t.find("[fertility]").unwrap();
        format!(
            "{}[mortality]\nmethod = \"table\"\ntable = \"../data/reference/{file}\"\n\n{}",
            &t[..start],
            &t[end..]
        )
    });
}

fn e0(fx: &Fixture, sex: Sex, year: f64) -> f64 {
    let model = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    plan.assumptions
        .mortality()
        .life_table(sex, year, 1.0)
        .unwrap()
        .e0()
}

/// China's mx rows as (sex, age, mx).
fn china_rows() -> Vec<(String, u32, f64)> {
    let text = std::fs::read_to_string(crate::common::root().join(MX)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("sex"))
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].to_string(),
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn constant_table_reproduces_the_standard() {
    let fx = Fixture::new();
    use_table(&fx, "china_mx_2015_2020.csv");
    // Single-year projection: the abridged table is graduated; e0 stays close
    // to the abridged table's (WPP: 74.47 / 78.97).
    let male = e0(&fx, Sex::Male, 2030.0);
    let female = e0(&fx, Sex::Female, 2030.0);
    assert!((male - 74.47).abs() < 0.15, "{male}");
    assert!((female - 78.97).abs() < 0.15, "{female}");
}

#[test]
fn periods_are_interpolated_between_midpoints() {
    let fx = Fixture::new();
    // Two periods: the China schedule from 2020, and it halved from 2030.
    let mut text = String::from("year,sex,age,mx\n");
    for (sex, age, mx) in china_rows() {
        text.push_str(&format!(
            "2020,{sex},{age},{mx}\n2030,{sex},{age},{}\n",
            mx / 2.0
        ));
    }
    std::fs::write(fx.path("data/reference/mx_periods.csv"), text).unwrap();
    use_table(&fx, "mx_periods.csv");
    let (a, mid, b) = (
        e0(&fx, Sex::Female, 2024.5),
        e0(&fx, Sex::Female, 2029.5),
        e0(&fx, Sex::Female, 2034.5),
    );
    assert!(a < mid && mid < b, "{a} {mid} {b}");
    // At the first period's midpoint (2025, step 2024.5-2025.5) the rates are the first period's.
    assert!((a - e0(&fx, Sex::Female, 2000.0)).abs() < 1e-9);
}

#[test]
fn an_85_plus_schedule_is_extended_with_kannisto() {
    let fx = Fixture::new();
    // Close China's table at 85+ with the open-group rate l85 / T85.
    let rows = china_rows();
    let mut text = String::from("sex,age,mx\n");
    for sex in ["male", "female"] {
        let mx: Vec<f64> = rows.iter().filter(|r| r.0 == sex).map(|r| r.2).collect();
        let s = if sex == "male" {
            Sex::Male
        } else {
            Sex::Female
        };
        let t = LifeTable::abridged(s, &mx, 100).unwrap();
        let i85 = t.ages().iter().position(|&a| a == 85).unwrap();
        for r in rows.iter().filter(|r| r.0 == sex) {
            if r.1 < 85 {
                text.push_str(&format!("{sex},{},{}\n", r.1, r.2));
            } else if r.1 == 85 {
                text.push_str(&format!("{sex},85,{}\n", t.lx()[i85] / t.tx()[i85]));
            }
        }
    }
    std::fs::write(fx.path("data/reference/mx_85.csv"), text).unwrap();
    use_table(&fx, "mx_85.csv");
    for (sex, full) in [(Sex::Male, 74.47), (Sex::Female, 78.97)] {
        let e = e0(&fx, sex, 2030.0);
        assert!((e - full).abs() < 0.3, "{}: {e} vs {full}", sex.label());
    }
    // The extension reaches 100+ with rising rates.
    let model = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    let t = model
        .scenario("plan")
        .unwrap()
        .assumptions
        .mortality()
        .life_table(Sex::Female, 2030.0, 1.0)
        .unwrap();
    let mx = t.mx();
    assert!(
        mx[85] < mx[90] && mx[90] < mx[95] && mx[95] < mx[99],
        "{:?}",
        &mx.as_slice().unwrap()[84..]
    );
}

fn net_migration_per_year(fx: &Fixture, scenario: &str) -> Vec<f64> {
    let model = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    let p = model.project(model.scenario(scenario).unwrap()).unwrap();
    p.flows
        .iter()
        .map(|f| f.net_migration.iter().sum())
        .collect()
}

#[test]
fn migration_total_with_a_schedule_and_a_scenario_override() {
    let fx = Fixture::new();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "# No [migration] section",
            "[migration]\nnet_per_year = [[2021, 5000], [2031, 15000]]\nmale_share = 0.4\n\
             [migration.schedule]\na1 = 0.02\nalpha1 = 0.1\na2 = 0.08\nalpha2 = 0.12\nmu2 = 22\nlambda2 = 0.4\nc = 0.002\n\n#",
        )
        .replace("tfr = 0.81\n", "tfr = 0.81\nnet_migration_per_year = -1000\n")
    });
    let plan = net_migration_per_year(&fx, "plan");
    // Annual steps: the step starting in 2026 gets the path's value in 2026.
    assert!((plan[0] - 5000.0).abs() < 1e-6, "{}", plan[0]);
    assert!((plan[5] - 10000.0).abs() < 1e-6, "{}", plan[5]);
    assert!((plan[20] - 15000.0).abs() < 1e-6);
    let low = net_migration_per_year(&fx, "tfr_0.81");
    assert!(low.iter().all(|m| (m + 1000.0).abs() < 1e-6));
}

#[test]
fn migration_counts_by_age_and_sex() {
    let fx = Fixture::new();
    let mut text = String::from("sex,age,net_per_year\n");
    for sex in ["male", "female"] {
        for age in 0..=100 {
            let v = if (20..30).contains(&age) { 100.0 } else { 0.0 };
            text.push_str(&format!("{sex},{age},{v}\n"));
        }
    }
    std::fs::write(fx.path("data/jiaxing/migrants.csv"), text).unwrap();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "# No [migration] section",
            "[migration]\ncounts = \"../data/jiaxing/migrants.csv\"\n#",
        )
    });
    let m = net_migration_per_year(&fx, "plan");
    assert!(m.iter().all(|v| (v - 2000.0).abs() < 1e-6), "{m:?}");
}

#[test]
fn parquet_base_population() {
    use carecast::io::tables::{encode_table, ColumnData, Format};
    let fx = Fixture::new();
    let csv = carecast::io::read_population(
        &fx.path("data/jiaxing/base_2021.csv"),
        "population",
        100,
        Some(2021),
    )
    .unwrap();
    let (mut sex, mut age, mut value) = (vec![], vec![], vec![]);
    for s in Sex::BOTH {
        for (i, &v) in csv.of(s).iter().enumerate() {
            sex.push(s.label().to_string());
            age.push(i as i32);
            value.push(v);
        }
    }
    let bytes = encode_table(
        vec![
            ("sex", ColumnData::Text(sex)),
            ("age", ColumnData::Int(age)),
            ("value", ColumnData::Float(value)),
        ],
        Format::Parquet,
    )
    .unwrap();
    std::fs::write(fx.path("data/jiaxing/base.parquet"), bytes).unwrap();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "population = \"../data/jiaxing/base_2021.csv\"\nyear = 2021",
            "population = \"../data/jiaxing/base.parquet\"\nvalue_column = \"value\"",
        )
    });
    let model = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    assert_eq!(model.base.counts(), csv.counts());
}
