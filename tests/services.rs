//! Service demand, plan supply and gaps: recomputed from the projected
//! population, checked on hand-made cases, and bad inputs rejected.

use crate::common::{carecast, root, Fixture};
use carecast::gap::{demand, first_shortfall, gaps};
use carecast::io::model_file;
use carecast::{
    AgeGrid, AgeRange, Demand, DemandMethod, Interpolation, Population, Projection, Rate, Service,
    Supply, YearPath,
};
use ndarray::Array2;

fn jiaxing() -> carecast::Model {
    model_file::load(&root().join("models/jiaxing.toml")).unwrap()
}

fn value(rows: &[carecast::gap::DemandValue], year: i32, service: &str, method: &str) -> f64 {
    rows.iter()
        .find(|d| d.year == year && d.service == service && d.method == method)
        .unwrap_or_else(|| panic!("no {service}/{method} in {year}"))
        .demand
}

#[test]
fn jiaxing_demand_recomputed_from_the_population() {
    let model = jiaxing();
    let plan = model.scenario("plan").unwrap();
    let p = model.project(plan).unwrap();
    let d = demand(&model.services, &p).unwrap();
    let pop = |year: i32| &p.populations[p.years.iter().position(|&y| y == year).unwrap()];
    let p2025 = pop(2025);
    // 27 certified caregivers per 10,000 persons aged 60+ in 2025.
    let elderly = p2025.aged(60, None);
    assert!((value(&d, 2025, "caregivers", "standard") - 27.0 * elderly / 10_000.0).abs() < 1e-6);
    // 4.6 nursery places per 1,000 residents in 2025.
    assert!((value(&d, 2025, "nursery", "standard") - 4.6 * p2025.total() / 1_000.0).abs() < 1e-6);
    // Nursing-type beds = share x beds: 60% in 2025, 56% in 2022, 55% in 2021 (interpolated).
    for (year, share) in [(2025, 0.60), (2022, 0.56), (2021, 0.55)] {
        let beds = value(&d, year, "beds", "standard");
        assert!(
            (value(&d, year, "nursing_beds", "standard") - share * beds).abs() < 1e-6,
            "{year}"
        );
    }
    // Standards between plan years: 16 (2020) -> 21 (2022): 18.5 in 2021.
    let e2021 = pop(2021).aged(60, None);
    assert!((value(&d, 2021, "caregivers", "standard") - 18.5 * e2021 / 10_000.0).abs() < 1e-6);
    // Need-based nursery: a third of children aged 0-2.
    assert!((value(&d, 2030, "nursery", "need") - 0.33 * pop(2030).aged(0, Some(3))).abs() < 1e-6);
    // Need-based dementia beds grow faster than the elderly (the 80+ grow faster than the 60+).
    let growth_need =
        value(&d, 2035, "dementia_beds", "need") / value(&d, 2025, "dementia_beds", "need");
    let growth_60 = pop(2035).aged(60, None) / elderly;
    assert!(
        growth_need > growth_60 * 1.2,
        "{growth_need} vs {growth_60}"
    );
}

#[test]
fn nursery_need_responds_to_fertility() {
    let model = jiaxing();
    let need_2030 = |name: &str| {
        let p = model.project(model.scenario(name).unwrap()).unwrap();
        value(
            &demand(&model.services, &p).unwrap(),
            2030,
            "nursery",
            "need",
        )
    };
    let (low, high) = (need_2030("tfr_0.81"), need_2030("tfr_1.62"));
    assert!(low < high * 0.6, "{low} vs {high}");
    // The gap command reports the difference.
    let out = tempfile::tempdir().unwrap();
    let o = carecast(&[
        "gap",
        "--model",
        "models/jiaxing.toml",
        "--scenario",
        "all",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("nursery ") && l.contains(" need "))
        .expect(&text);
    let pct = format!("({:+.1}%)", 100.0 * (low - high) / high);
    assert!(
        line.contains("tfr_0.81 is -") && line.contains(&pct) && line.contains("against tfr_1.62"),
        "{line} lacks {pct}"
    );
    let (header, rows) = crate::common::read_csv(&out.path().join("gap.csv"));
    assert_eq!(
        header,
        ["scenario", "year", "service", "method", "demand", "supply", "gap"]
    );
    assert!(!rows.is_empty());
    let (header, _) = crate::common::read_csv(&out.path().join("demand.csv"));
    assert_eq!(header, ["scenario", "year", "service", "method", "demand"]);
}

/// A projection of `years` with a fixed population (for hand-made cases).
fn flat_projection(years: std::ops::RangeInclusive<i32>) -> Projection {
    let grid = AgeGrid::single_years();
    let pop = Population::new(grid, Array2::from_elem((2, grid.len()), 100.0)).unwrap();
    let years: Vec<i32> = years.collect();
    Projection {
        populations: vec![pop; years.len()],
        flows: Vec::new(),
        years,
    }
}

#[test]
fn gap_sign_and_first_shortfall_on_a_hand_made_case() {
    // Demand rises 100 -> 200 over 2020-2030; supply 150 flat until a step to 250 in 2028.
    let service = Service {
        id: "beds".into(),
        label: "Beds".into(),
        label_zh: None,
        unit: "beds".into(),
        demands: vec![Demand {
            name: "standard".into(),
            method: DemandMethod::Absolute(
                YearPath::new("d", vec![(2020.0, 100.0), (2030.0, 200.0)]).unwrap(),
            ),
            uncertainty: None,
        }],
        supply: Some(Supply::Points {
            points: vec![(2020.0, 150.0), (2028.0, 250.0)],
            interpolation: Interpolation::Step,
        }),
        supply_risk: None,
        max_build_per_year: None,
    };
    let p = flat_projection(2020..=2030);
    let d = demand(std::slice::from_ref(&service), &p).unwrap();
    let g = gaps(std::slice::from_ref(&service), &d);
    let at = |y: i32| g.iter().find(|x| x.year == y).unwrap();
    assert_eq!(at(2022).gap, 120.0 - 150.0);
    assert!(
        !at(2025).is_shortfall(),
        "125 demand vs 150: surplus (gap {})",
        at(2025).gap
    );
    assert_eq!(at(2026).gap, 160.0 - 150.0);
    assert_eq!(at(2028).supply, 250.0);
    assert_eq!(first_shortfall(&g, "beds", "standard"), Some(2026));
    // Linear supply instead: 150 + 12.5 per year: never short before 2030.
    let mut linear = service.clone();
    linear.supply = Some(Supply::Points {
        points: vec![(2020.0, 150.0), (2028.0, 250.0)],
        interpolation: Interpolation::Linear,
    });
    let g = gaps(std::slice::from_ref(&linear), &d);
    assert!((g.iter().find(|x| x.year == 2024).unwrap().supply - 200.0).abs() < 1e-12);
    assert_eq!(first_shortfall(&g, "beds", "standard"), None);
    // A ratio standard on a flat population: 20 per 1,000 of ages 1-3 (100 per age and sex: 600 persons).
    let ratio = Service {
        demands: vec![Demand {
            name: "standard".into(),
            method: DemandMethod::Ratio {
                base_name: "1-3".into(),
                base: AgeRange::parse("1-3").unwrap(),
                rate: Rate::PerThousand(YearPath::constant(20.0)),
            },
            uncertainty: None,
        }],
        ..service
    };
    let d = demand(&[ratio], &p).unwrap();
    assert!((d[0].demand - 12.0).abs() < 1e-12);
}

/// Expects `validate` and `gap` to fail naming the model file and `needles`.
fn bad_model(edit: impl Fn(String) -> String, needles: &[&str]) {
    let fx = Fixture::new();
    fx.edit("models/jiaxing.toml", edit);
    for cmd in ["validate", "gap"] {
        let out = fx.path("out");
        let o = carecast(
            &[cmd, "--model", &fx.model(), "--out", out.to_str().unwrap()]
                .into_iter()
                .take(if cmd == "validate" { 3 } else { 5 })
                .collect::<Vec<_>>(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains("jiaxing.toml") && !err.contains("panicked"),
            "{err}"
        );
        for n in needles {
            assert!(err.contains(n), "{cmd}: stderr lacks {n:?}: {err}");
        }
        assert!(!out.exists(), "{cmd} wrote output");
    }
}

#[test]
fn negative_standard() {
    bad_model(
        |t| t.replace("per_1000 = 39.0", "per_1000 = -39.0"),
        &[
            "service beds demand standard",
            "per_1000: found -39",
            "between 0 and 1000",
        ],
    );
}

#[test]
fn nan_standard() {
    bad_model(
        |t| t.replace("per_1000 = 39.0", "per_1000 = nan"),
        &["service beds demand standard", "NaN"],
    );
}

#[test]
fn share_above_one() {
    bad_model(
        |t| {
            t.replace(
                "fraction = [[2020, 0.54], [2022, 0.56], [2025, 0.60]]",
                "fraction = [[2020, 0.54], [2022, 0.56], [2025, 1.60]]",
            )
        },
        &[
            "service nursing_beds",
            "fraction in 2025",
            "1.6",
            "a fraction in [0, 1]",
        ],
    );
}

#[test]
fn path_years_not_increasing() {
    bad_model(
        |t| {
            t.replace(
                "per_10000 = [[2022, 10], [2025, 20]]",
                "per_10000 = [[2025, 10], [2022, 20]]",
            )
        },
        &[
            "service dementia_beds demand standard",
            "2022 after 2025",
            "strictly increasing",
        ],
    );
}

#[test]
fn supply_years_not_increasing() {
    bad_model(
        |t| {
            t.replace(
                "points = [[2020, 20907], [2025, 23273]]",
                "points = [[2025, 20907], [2020, 23273]]",
            )
        },
        &["service nursing_beds supply", "strictly increasing"],
    );
}

#[test]
fn negative_supply() {
    bad_model(
        |t| t.replace("points = [[2020, 38788]]", "points = [[2020, -38788]]"),
        &["service beds supply", "-38788", ">= 0"],
    );
}

#[test]
fn unknown_population_base() {
    bad_model(
        |t| {
            t.replace(
                "base = \"elderly\"\n  per_1000 = 39.0",
                "base = \"pensioners\"\n  per_1000 = 39.0",
            )
        },
        &[
            "service beds demand standard",
            "\"pensioners\"",
            "a known population base",
            "elderly",
        ],
    );
}

#[test]
fn service_without_supply() {
    bad_model(
        |t| {
            t.replace("  [service.supply]\n  # 2020 stock: 118 institutions, 38,788 beds [P]; no bed target in the plan.\n  points = [[2020, 38788]]\n", "")
        },
        &["service beds", "no [service.supply]"],
    );
}

#[test]
fn overlapping_definitions() {
    // The same service id twice.
    bad_model(
        |t| t.replace("id = \"rehab_beds\"", "id = \"beds\""),
        &["service beds", "defined twice"],
    );
    // A share of a service defined later (or not at all).
    bad_model(
        |t| t.replace("of = \"beds\"", "of = \"caregivers\""),
        &[
            "service nursing_beds demand standard",
            "\"caregivers\"",
            "defined earlier",
        ],
    );
    // Two rates for one ratio standard.
    bad_model(
        |t| t.replace("per_1000 = 39.0", "per_1000 = 39.0\n  per_10000 = 390"),
        &["exactly one of per_1000, per_10000, fraction"],
    );
    // A key that does not belong to the method.
    bad_model(
        |t| {
            t.replace(
                "method = \"absolute\"\n  value = [[2025, 2000]]",
                "method = \"absolute\"\n  value = [[2025, 2000]]\n  base = \"elderly\"",
            )
        },
        &["service family_care_beds", "key base", "only value"],
    );
    // Two kinds of supply.
    bad_model(
        |t| {
            t.replace(
                "points = [[2020, 38788]]",
                "points = [[2020, 38788]]\n  unknown = true",
            )
        },
        &["service beds supply", "exactly one of points"],
    );
}

#[test]
fn unknown_key_in_a_service() {
    bad_model(
        |t| {
            t.replace(
                "unit = \"beds\"\n  # ASSUMPTION",
                "unit = \"beds\"\n  colour = \"red\"\n  # ASSUMPTION",
            )
        },
        &["line", "unknown field `colour`"],
    );
}

#[test]
fn huangpu_baby_house_places_are_15_percent_of_children_1_to_3() {
    let model = model_file::load(&root().join("models/huangpu.toml")).unwrap();
    let p = model.project(model.scenario("plan").unwrap()).unwrap();
    let d = demand(&model.services, &p).unwrap();
    for (k, &year) in p.years.iter().enumerate() {
        let children = p.populations[k].aged(1, Some(4));
        assert!(
            (value(&d, year, "baby_house", "standard") - 0.15 * children).abs() < 1e-9,
            "{year}"
        );
    }
}

#[test]
fn every_shipped_model_validates_and_sizes_gaps() {
    for name in ["jiaxing", "shanghai", "huangpu", "lincang"] {
        let path = format!("models/{name}.toml");
        let v = carecast(&["validate", "--model", &path]);
        assert!(
            v.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&v.stderr)
        );
        let model = model_file::load(&root().join(&path)).unwrap();
        let names: Vec<&str> = model.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["tfr_1.62", "tfr_1.30", "tfr_1.00", "tfr_0.81", "plan"],
            "{name}"
        );
        let out = tempfile::tempdir().unwrap();
        let o = carecast(&[
            "gap",
            "--model",
            &path,
            "--scenario",
            "all",
            "--out",
            out.path().to_str().unwrap(),
            "-q",
        ]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (_, rows) = crate::common::read_csv(&out.path().join("demand.csv"));
        assert!(rows.len() >= 5 * 31, "{name}: {} demand rows", rows.len());
    }
}

#[test]
fn standards_interval_reversed() {
    bad_model(
        |t| {
            t.replacen(
                "uncertainty_90 = [0.5, 2.0]",
                "uncertainty_90 = [2.0, 0.5]",
                1,
            )
        },
        &[
            "service dementia_beds demand need",
            "uncertainty_90",
            "[2, 0.5]",
            "low <= 1 <= high",
        ],
    );
}

#[test]
fn standards_interval_without_the_central_value() {
    bad_model(
        |t| {
            t.replacen(
                "uncertainty_90 = [0.45, 1.6]",
                "uncertainty_90 = [1.1, 1.6]",
                1,
            )
        },
        &["service beds demand need", "[1.1, 1.6]", "low <= 1 <= high"],
    );
}

/// A prevalence table's interval is one factor for every age: a row whose
/// bounds are another multiple of its prevalence, a bound on the wrong side
/// and a lone bound column are errors naming the file and row.
#[test]
fn prevalence_table_intervals_are_checked() {
    type Edit = dyn Fn(String) -> String;
    let cases: [(&Edit, &[&str]); 3] = [
        (
            &|t: String| {
                t.replace(
                    "male,70,0.06455389,0.03550464,0.10974162",
                    "male,70,0.06455389,0.03550464,0.12",
                )
            },
            &[
                "adl_dependency_china.csv",
                "row 3",
                "one factor for every age",
                "row 1",
            ],
        ),
        (
            &|t: String| t.replace("male,65,0.04614642,0.02538053", "male,65,0.04614642,0.05"),
            &[
                "adl_dependency_china.csv",
                "row 2",
                "low_90 <= prevalence <= high_90",
            ],
        ),
        (
            &|t: String| t.replace("prevalence,low_90,high_90", "prevalence,low_90,upper"),
            &["adl_dependency_china.csv", "upper", "unknown column"],
        ),
    ];
    for (edit, needles) in cases {
        let fx = Fixture::new();
        fx.edit("data/reference/adl_dependency_china.csv", edit);
        let out = fx.path("out");
        let err = crate::common::fails(
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
        assert!(err.contains("service beds demand need"), "{err}");
    }
}

/// `[projection] key_years` replaces the default 2025, 2030, 2035 in the
/// gap and simulate summaries (and `--years` replaces both).
#[test]
fn key_years_come_from_the_model() {
    let fx = Fixture::new();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace("open_age = 100", "open_age = 100\nkey_years = [2027, 2040]")
    });
    let model = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    assert_eq!(model.key_years, vec![2027, 2040]);
    assert_eq!(model.key_years_for(&[]).unwrap(), vec![2027, 2040]);
    // Asked years come sorted and once; a span takes every projected year.
    assert_eq!(
        model
            .key_years_for(&[(2030, 2030), (2022, 2024), (2023, 2023)])
            .unwrap(),
        vec![2022, 2023, 2024, 2030]
    );
    let past = model
        .key_years_for(&[(2030, 2030), (2099, 2099)])
        .unwrap_err();
    assert!(past.to_string().contains("2099"), "{past}");
    let out = fx.path("out");
    let run = |args: &[&str]| {
        let o = carecast(args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let m = fx.model();
    let o = out.to_str().unwrap();
    let gap = run(&["gap", "--model", &m, "--out", o]);
    assert!(gap.contains("2027") && gap.contains("2040"), "{gap}");
    assert!(!gap.contains("2035"), "{gap}");
    let sim = run(&["simulate", "--model", &m, "-n", "300", "--out", o]);
    assert!(sim.contains("  2027: 60+ share"), "{sim}");
    assert!(sim.contains("shortfall in 2040, by"), "{sim}");
    assert!(!sim.contains("  2025: 60+ share"), "{sim}");
    // The default model has none: the default years.
    let default = model_file::load(&root().join("models/jiaxing.toml")).unwrap();
    assert_eq!(
        default.key_years,
        carecast::model::DEFAULT_KEY_YEARS.to_vec()
    );
}

#[test]
fn a_rounding_level_dip_is_not_a_shortfall() {
    // Supply 300 places; demand 300 -> 302 (2021, +0.67%) -> 300 -> 304 (2023, +1.33%).
    // Tolerance max(0.5, 1% of 300 = 3): 2021 is within it, 2023 is short.
    let service = |points: Vec<(f64, f64)>, supply: f64| Service {
        id: "nursery".into(),
        label: "Nursery".into(),
        label_zh: None,
        unit: "places".into(),
        demands: vec![Demand {
            name: "standard".into(),
            method: DemandMethod::Absolute(YearPath::new("d", points).unwrap()),
            uncertainty: None,
        }],
        supply: Some(Supply::Points {
            points: vec![(2020.0, supply)],
            interpolation: Interpolation::Step,
        }),
        supply_risk: None,
        max_build_per_year: None,
    };
    let p = flat_projection(2020..=2024);
    let s = service(
        vec![
            (2020.0, 300.0),
            (2021.0, 302.0),
            (2022.0, 300.0),
            (2023.0, 304.0),
            (2024.0, 300.0),
        ],
        300.0,
    );
    let g = gaps(
        std::slice::from_ref(&s),
        &demand(std::slice::from_ref(&s), &p).unwrap(),
    );
    let short: Vec<i32> = g
        .iter()
        .filter(|x| x.is_shortfall())
        .map(|x| x.year)
        .collect();
    assert_eq!(short, vec![2023]);
    assert_eq!(first_shortfall(&g, "nursery", "standard"), Some(2023));
    // A small stock: the half-unit floor rules (20 against 20.6 is short, 20.4 is not).
    assert_eq!(carecast::gap::shortfall_tolerance(20.0), 0.5);
    assert!(carecast::gap::is_short(20.6, 20.0));
    assert!(!carecast::gap::is_short(20.4, 20.0));
    assert!(carecast::gap::is_short(0.6, 0.0));
}

/// Replaces the `nth` (0-based) occurrence of `from` in `text`.
fn replace_nth(text: &str, from: &str, to: &str, nth: usize) -> String {
    let at = text.match_indices(from).nth(nth).expect("occurrence").0;
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

#[test]
fn delivery_share_outside_zero_one() {
    for bad in ["[0.0, 1.0]", "[0.45, 1.2]", "[-0.5, 1.0]"] {
        bad_model(
            |t| {
                t.replacen(
                    "delivery_90 = [0.45, 1.0]",
                    &format!("delivery_90 = {bad}"),
                    1,
                )
            },
            &["service nursing_beds supply", "delivery_90", "in (0, 1]"],
        );
    }
    bad_model(
        |t| replace_nth(&t, "delivery = 0.8", "delivery = 0.4", 0),
        &["service nursing_beds supply", "low <= delivery <= high"],
    );
}

#[test]
fn attrition_outside_zero_one() {
    for (from, to) in [
        ("attrition = 0.30", "attrition = 1.0"),
        ("attrition_90 = [0.20, 0.45]", "attrition_90 = [0.20, 1.5]"),
        ("attrition_90 = [0.20, 0.45]", "attrition_90 = [-0.1, 0.45]"),
    ] {
        bad_model(
            |t| t.replacen(from, to, 1),
            &["service caregivers supply", "attrition", "in [0, 1)"],
        );
    }
    bad_model(
        |t| {
            t.replacen(
                "attrition_90 = [0.20, 0.45]",
                "attrition_90 = [0.35, 0.45]",
                1,
            )
        },
        &["service caregivers supply", "low <= attrition <= high"],
    );
    bad_model(
        |t| t.replacen("  attrition = 0.30\n", "", 1),
        &[
            "service caregivers supply",
            "attrition_90 or planned_attrition without attrition",
        ],
    );
}

#[test]
fn base_intervals_without_one_or_with_bad_ages() {
    bad_model(
        |t| t.replacen("total_90 = [0.95, 1.05]", "total_90 = [1.05, 1.2]", 1),
        &["base total_90", "low <= 1 <= high"],
    );
    bad_model(
        |t| t.replacen("{ ages = \"0-5\",", "{ ages = \"four\",", 1),
        &["structure_90[1]", "\"four\""],
    );
    bad_model(
        |t| t.replacen("factor_90 = [0.96, 1.04]", "factor_90 = [0.0, 1.04]", 1),
        &["base structure_90 ages 56-59", "factors > 0"],
    );
}

#[test]
fn chinese_flags_one_per_flag() {
    bad_model(
        |t| t.replacen("flags_zh = [\n", "flags_zh = [\n  \"多余的一条\",\n", 1),
        &[
            "[region]",
            "flags_zh",
            "8 flag(s)",
            "one Chinese flag per flag",
            "(7)",
        ],
    );
}

#[test]
fn negative_migration_sd() {
    bad_model(
        |t| t.replacen("migration_sd = 10800", "migration_sd = -5", 1),
        &["uncertainty", "migration_sd", "a number >= 0"],
    );
}

#[test]
fn a_bad_calibration_table() {
    let fx = Fixture::new();
    let file = fx.path("data/reference/wpp2019_bounds_158.csv");
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(
        &file,
        "quantity,start,end,l95,l80,median,u80,u95\ntfr,2020,2025,1.0,1.1,1.2,1.3,1.4\nfertility,2025,2030,1.0,1.1,1.2,1.3,1.4\n",
    )
    .unwrap();
    let o = carecast(&["validate", "--model", &fx.model()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("wpp2019_bounds_158.csv")
            && err.contains("row 3")
            && err.contains("e0_female"),
        "{err}"
    );
}

/// Fractions as plans write them: "55%" wherever a fraction is, read to
/// the same model as the decimal fraction.
#[test]
fn percentages_read_as_fractions() {
    let fx = Fixture::new();
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "fraction = [[2020, 0.54], [2022, 0.56], [2025, 0.60]]",
            "fraction = [[2020, \"54%\"], [2022, \"56 %\"], [2025, \"60％\"]]",
        )
        .replace("fraction = 0.33", "fraction = \"33%\"")
        .replacen("delivery = 0.8\n", "delivery = \"80%\"\n", 1)
        .replacen(
            "delivery_90 = [0.45, 1.0]",
            "delivery_90 = [\"45%\", \"100%\"]",
            1,
        )
    });
    let edited = model_file::load(&fx.path("models/jiaxing.toml")).unwrap();
    let shipped = jiaxing();
    let run = |m: &carecast::Model| m.run(m.scenario("plan").unwrap()).unwrap();
    let (a, b) = (run(&shipped), run(&edited));
    assert_eq!(a.demand.len(), b.demand.len());
    for (x, y) in a.demand.iter().zip(&b.demand) {
        assert!(
            (x.demand - y.demand).abs() <= 1e-9 * x.demand.abs().max(1.0),
            "{} {} {}: {} vs {}",
            x.year,
            x.service,
            x.method,
            x.demand,
            y.demand
        );
    }
    assert_eq!(
        format!("{:?}", shipped.services[0].supply_risk),
        format!("{:?}", edited.services[0].supply_risk)
    );
    // Above 100%, or text that is no percentage: clear errors.
    bad_model(
        |t| t.replace("fraction = 0.33", "fraction = \"133%\""),
        &["fraction", "1.33", "a fraction in [0, 1]", "27.58%"],
    );
    bad_model(
        |t| t.replace("fraction = 0.33", "fraction = \"a third\""),
        &[
            "TOML line",
            "\"a third\"",
            "neither a fraction (0.55) nor a percentage",
        ],
    );
}
