//! Validation against the UN World Population Prospects 2019 medium variant,
//! read from ../shared/data/wpp2019 (never copied into the project).

use carecast::indicators::{indicators, lookup};
use carecast::io::wpp::{read_country, read_period_value, read_projected};
use carecast::{project, AgeGrid, Indicator, LifeTable, Projection, Sex};

use crate::common::{rel, wpp_dir, CHINA, JAPAN};

fn projection(country: u32, grid: AgeGrid) -> Projection {
    let inputs = read_country(&wpp_dir(), country, 2020).unwrap();
    let base = inputs.base(grid).unwrap();
    let assumptions = inputs.assumptions(grid).unwrap();
    project(&base, 2020, 2100, &assumptions).unwrap()
}

fn un(country: u32, year: i32) -> (Vec<f64>, Vec<f64>) {
    (
        read_projected(&wpp_dir(), "popMprojMed.txt", country, year).unwrap(),
        read_projected(&wpp_dir(), "popFprojMed.txt", country, year).unwrap(),
    )
}

fn check_country(country: u32) {
    let p = projection(country, AgeGrid::five_year());
    let (mut worst_total, mut worst_total_2050, mut worst_share, mut worst_group, mut worst_85): (
        f64,
        f64,
        f64,
        f64,
        f64,
    ) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &year) in p.years.iter().enumerate().skip(1) {
        let pop = &p.populations[k];
        let (m, f) = un(country, year);
        let un_total: f64 = m.iter().sum::<f64>() + f.iter().sum::<f64>();
        let total_err = rel(pop.total(), un_total);
        worst_total = worst_total.max(total_err);
        let limit = if year <= 2050 { 0.005 } else { 0.015 };
        assert!(
            total_err < limit,
            "{country} {year}: total {} vs UN {un_total} ({total_err:.4})",
            pop.total()
        );
        if year > 2050 {
            continue;
        }
        worst_total_2050 = worst_total_2050.max(total_err);
        let un_60: f64 = m[12..].iter().sum::<f64>() + f[12..].iter().sum::<f64>();
        let share_diff = (pop.aged(60, None) / pop.total() - un_60 / un_total).abs();
        worst_share = worst_share.max(share_diff);
        assert!(
            share_diff < 0.002,
            "{country} {year}: 60+ share off by {share_diff:.5}"
        );
        for (sex, un_sex) in [(Sex::Male, &m), (Sex::Female, &f)] {
            for (g, &theirs) in un_sex.iter().enumerate().take(17) {
                let ours = pop.of(sex)[g];
                let e = rel(ours, theirs);
                worst_group = worst_group.max(e);
                assert!(
                    e < 0.02,
                    "{country} {year} {} {}: {ours:.1} vs UN {:.1} ({e:.4})",
                    sex.label(),
                    pop.grid().label(g),
                    theirs
                );
            }
        }
        let un_85: f64 = m[17..].iter().sum::<f64>() + f[17..].iter().sum::<f64>();
        let e85 = rel(pop.aged(85, None), un_85);
        worst_85 = worst_85.max(e85);
        assert!(
            e85 < 0.02,
            "{country} {year}: 85+ {} vs UN {un_85} ({e85:.4})",
            pop.aged(85, None)
        );
    }
    eprintln!(
        "{country}: worst |error| total to 2050 {:.3}%, to 2100 {:.3}%; 60+ share to 2050 {:.3} pp; \
         5-year age-sex group under 85 to 2050 {:.2}%; 85+ to 2050 {:.2}%",
        100.0 * worst_total_2050,
        100.0 * worst_total,
        100.0 * worst_share,
        100.0 * worst_group,
        100.0 * worst_85
    );
}

#[test]
fn china_matches_the_un_medium_variant() {
    check_country(CHINA);
}

#[test]
fn japan_matches_the_un_medium_variant() {
    check_country(JAPAN);
}

#[test]
fn single_year_steps_agree_with_five_year_steps() {
    for country in [CHINA, JAPAN] {
        let five = indicators(&projection(country, AgeGrid::five_year()));
        let one = indicators(&projection(country, AgeGrid::single_years()));
        for year in [2025, 2030, 2050] {
            for ind in [Indicator::Total, Indicator::Share60Plus] {
                let a = lookup(&five, year, ind).unwrap();
                let b = lookup(&one, year, ind).unwrap();
                eprintln!(
                    "{country} {year} {}: 1-year/5-year - 1 = {:+.3}%",
                    ind.name(),
                    100.0 * (b / a - 1.0)
                );
                assert!(
                    rel(b, a) < 0.01,
                    "{country} {year} {}: 1-year {b} vs 5-year {a}",
                    ind.name()
                );
            }
        }
    }
}

#[test]
fn life_expectancy_matches_wpp() {
    for country in [CHINA, JAPAN] {
        let inputs = read_country(&wpp_dir(), country, 2020).unwrap();
        for (sex, periods, file) in [
            (Sex::Male, &inputs.mx_male, "e0M.txt"),
            (Sex::Female, &inputs.mx_female, "e0F.txt"),
        ] {
            let mx = &periods.iter().find(|p| p.0 == 2015.0).unwrap().2;
            let e0 = LifeTable::abridged(sex, mx, 100).unwrap().e0();
            let un = read_period_value(&wpp_dir(), file, country, "2015-2020").unwrap();
            eprintln!("{country} {}: e0 {e0:.3} vs WPP {un:.3}", sex.label());
            assert!(
                (e0 - un).abs() < 0.1,
                "{country} {}: e0 {e0:.3} vs WPP {un:.3}",
                sex.label()
            );
        }
    }
}
