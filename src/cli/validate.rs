//! `carecast validate`.

use anyhow::Result;

use super::{out, ValidateArgs};
use crate::io::model_file;
use crate::{DemandMethod, Model};

/// What an ensemble draws for need and standards: each prevalence table
/// with its 90% factor and the demands sharing its draw, then each
/// demand's own interval.
fn uncertain_need(model: &Model, zh: bool) -> String {
    let mut tables: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut own = Vec::new();
    for s in &model.services {
        for d in &s.demands {
            let name = format!("{} {}", s.id, d.name);
            if let DemandMethod::Need { prevalence, .. } = &d.method {
                if let Some(u) = prevalence.uncertainty {
                    let file = std::path::Path::new(&prevalence.table)
                        .file_name()
                        .map_or(prevalence.table.clone(), |f| {
                            f.to_string_lossy().into_owned()
                        });
                    let interval = format!("x{} ... x{}", fmt(u.low), fmt(u.high));
                    match tables.iter_mut().find(|t| t.0 == prevalence.table) {
                        Some(t) => t.2.push(name.clone()),
                        None => tables.push((
                            prevalence.table.clone(),
                            if zh {
                                format!("{file}（{interval}）")
                            } else {
                                format!("{file} ({interval})")
                            },
                            vec![name.clone()],
                        )),
                    }
                }
            }
            if let Some(u) = d.uncertainty {
                own.push(format!("{name} x{} ... x{}", fmt(u.low), fmt(u.high)));
            }
        }
    }
    let mut text = String::new();
    for (_, label, users) in &tables {
        text.push_str(&if zh {
            format!(
                "每条轨迹抽取一次的患病率表：{label}，用于 {}\n",
                users.join("、")
            )
        } else {
            format!(
                "prevalence table drawn once per trajectory: {label}, read by {}\n",
                users.join(", ")
            )
        });
    }
    if !own.is_empty() {
        text.push_str(&if zh {
            format!("有自身90%区间的需求：{}\n", own.join("；"))
        } else {
            format!("demands with their own 90% interval: {}\n", own.join("; "))
        });
    }
    text
}

/// What an ensemble draws for supply: each service's delivery share and
/// attrition, with their 90% intervals.
fn uncertain_supply(model: &Model, zh: bool) -> String {
    let mut text = String::new();
    for s in &model.services {
        let Some(risk) = &s.supply_risk else {
            continue;
        };
        let mut parts = Vec::new();
        if let Some(d) = risk.delivery {
            let (c, l, h) = (fmt(d.central), fmt(d.low), fmt(d.high));
            parts.push(if zh {
                format!("规划新增量按期到位比例 {c}（90%：{l} ... {h}）")
            } else {
                format!("delivery {c} of the planned additions (90%: {l} ... {h})")
            });
        }
        if let Some(a) = risk.attrition {
            let (r, l, h, p) = (fmt(a.rate), fmt(a.low), fmt(a.high), fmt(a.planned));
            parts.push(if zh {
                format!("年流失率 {r}（90%：{l} ... {h}；规划按 {p} 招聘）")
            } else {
                format!("attrition {r} a year (90%: {l} ... {h}; the plan recruits for {p})")
            });
        }
        text.push_str(&if zh {
            format!("每条轨迹抽取一次的供给：{} {}\n", s.id, parts.join("，"))
        } else {
            format!(
                "supply drawn once per trajectory: {} {}\n",
                s.id,
                parts.join(", ")
            )
        });
    }
    text
}

/// A factor as written, without float noise.
fn fmt(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn run(args: &ValidateArgs) -> Result<()> {
    let zh = args.lang == super::LangArg::Zh;
    let model = model_file::load(&args.model)?;
    let grid = model.base.grid();
    let scenarios = model
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = if zh {
        format!(
            "{}：通过。{}（{}），基期 {} 年 {:.0} 人，{}岁组、最高 {}+ 岁，预测至 {} 年；情景：{}（默认 {}）\n",
            args.model.display(),
            model.name_zh.as_deref().unwrap_or(&model.name),
            model.name,
            model.base_year,
            model.base.total(),
            if grid.width() == 1 { "单".to_string() } else { grid.width().to_string() },
            grid.open_age(),
            model.end_year,
            scenarios,
            model.default_scenario,
        )
    } else {
        format!(
            "{}: ok: {} ({}), base {} with {:.0} persons on {}, projected to {}; scenarios: {} (default {})\n",
            args.model.display(),
            model.name,
            model.name_zh.as_deref().unwrap_or("-"),
            model.base_year,
            model.base.total(),
            grid,
            model.end_year,
            scenarios,
            model.default_scenario,
        )
    };
    for s in &model.scenarios {
        model.run(s)?;
    }
    text.push_str(&if zh {
        format!(
            "各情景均可预测；{} 项服务已测算需求：{}\n",
            model.services.len(),
            model.service_ids()
        )
    } else {
        format!(
            "every scenario projects without error; {} service(s) with demand computed: {}\n",
            model.services.len(),
            model.service_ids()
        )
    });
    // Regions: each with its base, its departures and its own plan.
    for s in model.scenarios.iter().filter(|_| !model.regions.is_empty()) {
        model.run_regions(s)?;
    }
    let total = model.base.total();
    for r in &model.regions {
        let services: Vec<&str> = r.services.iter().map(|s| s.id.as_str()).collect();
        let share = 100.0 * r.base.total() / total;
        let migration = 100.0 * r.migration_share;
        text.push_str(&if zh {
            format!(
                "地区 {}：基期 {:.0} 人（占 {share:.1}%），总和生育率为情景的 {} 倍、预期寿命差 {:+} 岁，外部迁移占 {migration:.1}%；{}\n",
                r.name,
                r.base.total(),
                r.tfr_ratio,
                r.e0_difference,
                if services.is_empty() {
                    "无本级规划".to_string()
                } else {
                    format!("本级规划：{}", services.join(", "))
                }
            )
        } else {
            format!(
                "region {}: base {:.0} persons ({share:.1}%), TFR x{} and e0 {:+} years against the scenario, {migration:.1}% of the migration from outside; {}\n",
                r.name,
                r.base.total(),
                r.tfr_ratio,
                r.e0_difference,
                if services.is_empty() {
                    "no plan of its own".to_string()
                } else {
                    format!("its own plan: {}", services.join(", "))
                }
            )
        });
    }
    for f in &model.flows {
        let at = |s: &crate::path::Schedule| s.for_step(f64::from(model.base_year), 1.0);
        let size = match (&f.size, zh) {
            (crate::regions::FlowSize::PerYear(s), false) => format!("{:.0} persons a year", at(s)),
            (crate::regions::FlowSize::PerYear(s), true) => format!("每年 {:.0} 人", at(s)),
            (crate::regions::FlowSize::Rate(s), false) => {
                format!("{:.2}% of the origin a year", 100.0 * at(s))
            }
            (crate::regions::FlowSize::Rate(s), true) => {
                format!("每年迁出地人口的 {:.2}%", 100.0 * at(s))
            }
        };
        let (from, to) = (&model.regions[f.from].name, &model.regions[f.to].name);
        text.push_str(&if zh {
            format!("区间迁移 {from} → {to}：{size}（{} 年）\n", model.base_year)
        } else {
            format!("flow {from} -> {to}: {size} (in {})\n", model.base_year)
        });
    }
    if !model.regions.is_empty() {
        text.push_str(if zh {
            "随机模拟：生育、死亡、迁移、基期人口与患病率每条轨迹全市统一抽取一次；各项服务的使用率、人员配比与供给风险按地区分别抽取；全市为各地区之和\n"
        } else {
            "ensembles: fertility, mortality, migration, the base and prevalence drawn once per trajectory for the whole; each service's use rate, staff ratio and supply risk drawn per region; the whole is the sum of its regions\n"
        });
    }
    let default = model.scenario(&model.default_scenario)?;
    let first_step = default.assumptions.step_rates(model.base_year)?;
    let checks = crate::base_synthesis::BaseDiagnostics::of(
        &model.base,
        model.base_year,
        Some(&first_step),
    )?;
    for line in checks.lines_in(grid.width(), zh) {
        let (head, rest) = match (line.strip_prefix("warning: "), line.strip_prefix("警告：")) {
            (Some(rest), _) => ("warning: ", rest),
            (_, Some(rest)) => ("警告：", rest),
            _ => ("", line.as_str()),
        };
        text.push_str(&if zh {
            format!("{head}基期人口（{} 情景）：{rest}\n", default.name)
        } else {
            format!("{head}base ({} scenario): {rest}\n", default.name)
        });
    }
    for w in model.input_warnings_in(zh) {
        text.push_str(&if zh {
            format!("警告：{w}\n")
        } else {
            format!("warning: {w}\n")
        });
    }
    let (source, _) = crate::io::text_file::read_text(&args.model, "model file")?;
    for b in crate::io::builtin::used_in(&source) {
        let (prefix, name) = (crate::io::builtin::PREFIX, b.name);
        text.push_str(&if zh {
            format!(
                "内置参考表 {prefix}{name}：{}（data/reference/{}）\n",
                b.what_zh, b.file
            )
        } else {
            format!(
                "built-in table {prefix}{name}: {} (data/reference/{})\n",
                b.what, b.file
            )
        });
    }
    let words = crate::report::Words::new(if zh {
        crate::report::Lang::Zh
    } else {
        crate::report::Lang::En
    });
    for service in &model.services {
        if let Some(crate::plan::Supply::Ratio { ratio, points, .. }) = &service.supply {
            let on = match (&ratio.on, zh) {
                (crate::plan::RatioPopulation::Scenario(name), false) => {
                    format!("scenario {name}'s projection")
                }
                (crate::plan::RatioPopulation::Scenario(name), true) => {
                    format!("情景 {name} 的预测人口")
                }
                (crate::plan::RatioPopulation::Stated(_), false) => {
                    "the population the plan states".into()
                }
                (crate::plan::RatioPopulation::Stated(_), true) => "规划给出的人口".into(),
            };
            let counts: Vec<String> = points
                .iter()
                .map(|&(y, v)| {
                    let rate = if zh {
                        ratio.describe_zh(y)
                    } else {
                        ratio.describe(y)
                    };
                    if zh {
                        format!("{y}年：{}（{rate}）", crate::report::format_count(v))
                    } else {
                        format!("{y}: {} ({rate})", crate::report::format_count(v))
                    }
                })
                .collect();
            text.push_str(&if zh {
                format!(
                    "{} 的供给由比例按{on}换算：{}（单位：{}）\n",
                    service.id,
                    counts.join("，"),
                    words.unit(&service.unit)
                )
            } else {
                format!(
                    "{} supply from its ratio on {on}: {} {}\n",
                    service.id,
                    counts.join(", "),
                    service.unit
                )
            });
        }
    }
    text.push_str(&uncertain_need(&model, zh));
    text.push_str(&uncertain_supply(&model, zh));
    if let Some((table, _)) = &model.calibration {
        text.push_str(&if zh {
            format!("生育率与死亡率的随机波动按 {table} 中的区间校准（相对值，按预测期）\n")
        } else {
            format!(
                "fertility and mortality noise calibrated to the bounds in {table} (relative, by horizon)\n"
            )
        });
    }
    let base = &model.base_uncertainty;
    if !base.is_certain() {
        let mut parts: Vec<String> = base
            .total
            .iter()
            .map(|u| {
                if zh {
                    format!("总数 x{} ... x{}", fmt(u.low), fmt(u.high))
                } else {
                    format!("total x{} ... x{}", fmt(u.low), fmt(u.high))
                }
            })
            .collect();
        parts.extend(base.bands.iter().map(|(ages, u)| {
            if zh {
                format!("{ages}岁 x{} ... x{}", fmt(u.low), fmt(u.high))
            } else {
                format!("ages {ages} x{} ... x{}", fmt(u.low), fmt(u.high))
            }
        }));
        text.push_str(&if zh {
            format!("每条轨迹抽取一次的基期人口系数：{}\n", parts.join("，"))
        } else {
            format!("base drawn once per trajectory: {}\n", parts.join(", "))
        });
    }
    let flags = if zh && !model.flags_zh.is_empty() {
        &model.flags_zh
    } else {
        &model.flags
    };
    for f in flags {
        text.push_str(&if zh {
            format!("已标注的假设：{f}\n")
        } else {
            format!("flagged assumption: {f}\n")
        });
    }
    out(&text);
    Ok(())
}
