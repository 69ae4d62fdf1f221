//! Checks of a base population a bureau would otherwise see only in the
//! charts: young children that do not match the fertility the model then
//! applies (a cliff in births in the first projected year), and steps
//! between neighbouring ages (a raking artefact: a spike in the pyramid and
//! a kink in the ageing curve).
//!
//! Thresholds (warnings above them):
//! - births: the births the model's fertility gives in the base year's step
//!   against the births implied by the base's youngest group (that group
//!   divided by the first step's birth survival ratio), relative difference
//!   above [`BIRTHS_MISMATCH_WARNING`] (15%);
//! - steps: between neighbouring groups from age [`AGE_STEP_FIRST`] (5) to
//!   [`AGE_STEP_LAST`] (85), the larger count over the smaller minus one,
//!   above [`AGE_STEP_WARNING`] (25%). Below 5 a year's change of fertility
//!   may be real; above 85 mortality alone thins each single age by more.

use crate::error::Result;
use crate::population::{Population, Sex};
use crate::projection::{project_step, StepRates};

/// Relative mismatch of births above which a base is flagged.
pub const BIRTHS_MISMATCH_WARNING: f64 = 0.15;
/// Relative step between neighbouring age groups above which a base is flagged.
pub const AGE_STEP_WARNING: f64 = 0.25;
/// First age of the step check.
pub const AGE_STEP_FIRST: u32 = 5;
/// Last age of the step check.
pub const AGE_STEP_LAST: u32 = 85;

/// Births implied by the base's youngest group against the model's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BirthsCheck {
    /// The base year.
    pub base_year: i32,
    /// Births a step implied by group 0 of the base.
    pub implied: f64,
    /// Births of the base year's step under the model's fertility.
    pub model: f64,
}

impl BirthsCheck {
    /// `model / implied − 1`.
    pub fn mismatch(&self) -> f64 {
        self.model / self.implied - 1.0
    }
}

/// The largest step between neighbouring age groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgeStep {
    /// The sex.
    pub sex: Sex,
    /// First age of the younger group.
    pub younger: u32,
    /// First age of the older group.
    pub older: u32,
    /// Count of the younger group.
    pub younger_count: f64,
    /// Count of the older group.
    pub older_count: f64,
}

impl AgeStep {
    /// The larger count over the smaller, minus one (infinite if one is 0).
    pub fn relative(&self) -> f64 {
        let (lo, hi) = (
            self.younger_count.min(self.older_count),
            self.younger_count.max(self.older_count),
        );
        if lo > 0.0 {
            hi / lo - 1.0
        } else if hi > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }
}

/// What the checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseDiagnostics {
    /// Births check (needs the model's rates).
    pub births: Option<BirthsCheck>,
    /// Largest step between neighbouring groups in the checked ages.
    pub largest_step: Option<AgeStep>,
}

/// The largest step between neighbouring closed groups from age 5 to 85.
pub fn largest_age_step(base: &Population) -> Option<AgeStep> {
    let grid = base.grid();
    let mut worst: Option<AgeStep> = None;
    for sex in Sex::BOTH {
        let row = base.of(sex);
        for i in 0..grid.open_index().saturating_sub(1) {
            let (younger, older) = (grid.lower(i), grid.lower(i + 1));
            if younger < AGE_STEP_FIRST || older > AGE_STEP_LAST {
                continue;
            }
            let step = AgeStep {
                sex,
                younger,
                older,
                younger_count: row[i],
                older_count: row[i + 1],
            };
            if worst.is_none_or(|w| step.relative() > w.relative()) {
                worst = Some(step);
            }
        }
    }
    worst
}

/// Births of the base year's step (`first_step`: the model's rates of the
/// step starting at `base_year`) against those implied by group 0.
pub fn births_check(
    base: &Population,
    base_year: i32,
    first_step: &StepRates,
) -> Result<BirthsCheck> {
    let (_, flows) = project_step(base, first_step)?;
    let implied: f64 = Sex::BOTH
        .iter()
        .map(|s| base.of(*s)[0] / first_step.survival[s.index()].birth)
        .sum();
    Ok(BirthsCheck {
        base_year,
        implied,
        model: flows.births[0] + flows.births[1],
    })
}

impl BaseDiagnostics {
    /// Both checks (the births check when rates are given).
    pub fn of(base: &Population, base_year: i32, first_step: Option<&StepRates>) -> Result<Self> {
        Ok(BaseDiagnostics {
            births: first_step
                .map(|r| births_check(base, base_year, r))
                .transpose()?,
            largest_step: largest_age_step(base),
        })
    }

    /// One line per check; those above a threshold start with "warning:".
    pub fn lines(&self, step_years: u32) -> Vec<String> {
        self.lines_in(step_years, false)
    }

    /// [`BaseDiagnostics::lines`] in Chinese (`zh`) or English.
    pub fn lines_in(&self, step_years: u32, zh: bool) -> Vec<String> {
        if zh {
            return self.lines_zh(step_years);
        }
        let mut lines = Vec::new();
        let per = if step_years == 1 {
            "a year".to_string()
        } else {
            format!("per {step_years} years")
        };
        if let Some(b) = &self.births {
            let m = b.mismatch();
            let head = if m.abs() > BIRTHS_MISMATCH_WARNING {
                "warning: "
            } else {
                ""
            };
            let advice = if m.abs() > BIRTHS_MISMATCH_WARNING {
                format!(
                    " (more than {:.0}%: the births chart will jump in the first year; \
                     rebuild the young ages from the fertility history, README \"From plan \
                     document to model file\")",
                    100.0 * BIRTHS_MISMATCH_WARNING
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "{head}births {per}: {:.0} implied by the base's youngest ages, {:.0} from the \
                 model's fertility in {} ({:+.1}%){advice}",
                b.implied,
                b.model,
                b.base_year,
                100.0 * m
            ));
        }
        if let Some(s) = &self.largest_step {
            let r = s.relative();
            let head = if r > AGE_STEP_WARNING {
                "warning: "
            } else {
                ""
            };
            let advice = if r > AGE_STEP_WARNING {
                format!(
                    " (more than {:.0}%: a spike in the pyramid; rake smoothly, smooth_years \
                     in the synthesis spec)",
                    100.0 * AGE_STEP_WARNING
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "{head}largest step between neighbouring ages {AGE_STEP_FIRST}-{AGE_STEP_LAST}: \
                 {:.1}% ({}s aged {} and {}: {:.0} and {:.0}){advice}",
                100.0 * r,
                s.sex.label(),
                s.younger,
                s.older,
                s.younger_count,
                s.older_count
            ));
        }
        lines
    }

    fn lines_zh(&self, step_years: u32) -> Vec<String> {
        let mut lines = Vec::new();
        let per = if step_years == 1 {
            "年出生人数".to_string()
        } else {
            format!("每{step_years}年出生人数")
        };
        if let Some(b) = &self.births {
            let m = b.mismatch();
            let warn = m.abs() > BIRTHS_MISMATCH_WARNING;
            lines.push(format!(
                "{}{per}：由基期最低年龄推算 {:.0}，按模型 {} 年生育率计算 {:.0}（{:+.1}%）{}",
                if warn { "警告：" } else { "" },
                b.implied,
                b.base_year,
                b.model,
                100.0 * m,
                if warn {
                    format!(
                        "（超过{:.0}%：出生人数图将在第一年跳变；请按生育史回推低龄人口，见 README.zh-CN“从规划文本到模型文件”）",
                        100.0 * BIRTHS_MISMATCH_WARNING
                    )
                } else {
                    String::new()
                }
            ));
        }
        if let Some(s) = &self.largest_step {
            let r = s.relative();
            let warn = r > AGE_STEP_WARNING;
            lines.push(format!(
                "{}相邻年龄（{AGE_STEP_FIRST}-{AGE_STEP_LAST}岁）人数最大落差：{:.1}%（{} {} 岁与 {} 岁：{:.0} 与 {:.0}）{}",
                if warn { "警告：" } else { "" },
                100.0 * r,
                match s.sex {
                    crate::population::Sex::Male => "男性",
                    crate::population::Sex::Female => "女性",
                },
                s.younger,
                s.older,
                s.younger_count,
                s.older_count,
                if warn {
                    format!(
                        "（超过{:.0}%：人口金字塔出现尖峰；请在合成说明中平滑调整，smooth_years）",
                        100.0 * AGE_STEP_WARNING
                    )
                } else {
                    String::new()
                }
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::age_grid::AgeGrid;
    use ndarray::Array2;

    #[test]
    fn the_largest_step_is_found_and_measured_both_ways() {
        let grid = AgeGrid::single_years();
        let mut counts = Array2::from_elem((2, grid.len()), 100.0);
        counts[[1, 60]] = 186.0;
        counts[[0, 3]] = 10.0; // below age 5: not checked
        counts[[0, 95]] = 1.0; // above 85: not checked
        let p = Population::new(grid, counts.clone()).unwrap();
        let s = largest_age_step(&p).unwrap();
        assert_eq!((s.sex, s.younger, s.older), (Sex::Female, 59, 60));
        assert!((s.relative() - 0.86).abs() < 1e-12);
        counts[[1, 60]] = 100.0;
        counts[[0, 30]] = 50.0;
        let s = largest_age_step(&Population::new(grid, counts).unwrap()).unwrap();
        assert_eq!((s.sex, s.younger, s.older), (Sex::Male, 29, 30));
        assert!((s.relative() - 1.0).abs() < 1e-12);
        let d = BaseDiagnostics {
            births: None,
            largest_step: Some(s),
        };
        assert!(d.lines(1)[0].starts_with("warning: "), "{:?}", d.lines(1));
    }
}
