//! Every word a report shows, in English and Chinese, and number formats.

use crate::ensemble::Source;
use crate::indicators::Indicator;
use crate::model::{Model, StatedFigure};
use crate::standards::Service;

use super::ReportInput;

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
}

impl Lang {
    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// `1234567.4` as `1,234,567` (rounded to a whole number).
pub fn format_count(value: f64) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let rounded = value.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A fraction as a percent with two decimals: `0.2758` as `27.58%`.
pub fn format_percent(fraction: f64) -> String {
    format!("{:.2}%", 100.0 * fraction)
}

/// The service's label in the language (its id when it has none).
pub fn service_label(service: &Service, lang: Lang) -> String {
    match lang {
        Lang::Zh => service
            .label_zh
            .clone()
            .unwrap_or_else(|| service.label.clone()),
        Lang::En => service.label.clone(),
    }
}

/// Labels in one language.
pub struct Words {
    pub lang: Lang,
}

impl Words {
    pub fn new(lang: Lang) -> Words {
        Words { lang }
    }

    fn pick(&self, en: &str, zh: &str) -> String {
        match self.lang {
            Lang::En => en.to_string(),
            Lang::Zh => zh.to_string(),
        }
    }

    pub fn region(&self, model: &Model) -> String {
        match (self.lang, &model.name_zh) {
            (Lang::Zh, Some(zh)) => zh.clone(),
            _ => model.name.clone(),
        }
    }

    /// A scenario's short name: `tfr_1.62` as "TFR 1.62", `plan` as "Plan".
    pub fn scenario(&self, name: &str) -> String {
        if let Some(tfr) = name.strip_prefix("tfr_") {
            return match self.lang {
                Lang::En => format!("TFR {tfr}"),
                Lang::Zh => format!("总和生育率 {tfr}"),
            };
        }
        match name {
            "plan" => self.pick("Plan", "规划情景"),
            other => other.to_string(),
        }
    }

    pub fn source_line(&self, region: &str, scenario: &str, n: usize, seed: u64) -> String {
        let scenario = self.scenario(scenario);
        match self.lang {
            Lang::En => format!(
                "Source: carecast cohort-component projection of {region}; schedules UN WPP 2019; central scenario: {scenario}; bands: {n} Monte Carlo trajectories, seed {seed}"
            ),
            Lang::Zh => format!(
                "资料来源：carecast 队列要素法预测，{region}；生命表与生育模式：联合国《世界人口展望2019》；中心情景：{scenario}；区间：{n} 条蒙特卡洛轨迹，随机种子 {seed}"
            ),
        }
    }

    pub fn sweep_source(&self, region: &str, fixed: &[String]) -> String {
        let fixed = if fixed.is_empty() {
            String::new()
        } else {
            match self.lang {
                Lang::En => format!("; held: {}", fixed.join(", ")),
                Lang::Zh => format!("；固定：{}", fixed.join("，")),
            }
        };
        match self.lang {
            Lang::En => format!("Source: carecast sweep of {region}, each cell an ensemble{fixed}"),
            Lang::Zh => {
                format!("资料来源：carecast 参数扫描，{region}，每格为一组蒙特卡洛模拟{fixed}")
            }
        }
    }

    pub fn report_title(&self, region: &str) -> String {
        match self.lang {
            Lang::En => format!("{region}: population and care-service needs"),
            Lang::Zh => format!("{region}：人口发展与“一老一小”服务需求"),
        }
    }

    pub fn pyramid_title(&self, region: &str, years: &[(i32, Vec<f64>, Vec<f64>)]) -> String {
        let ys: Vec<String> = years.iter().map(|y| y.0.to_string()).collect();
        match self.lang {
            Lang::En => format!("Population pyramid, {region}, {}", ys.join(" / ")),
            Lang::Zh => format!("人口金字塔，{region}，{}年", ys.join("/")),
        }
    }

    pub fn ageing_title(&self, region: &str) -> String {
        match self.lang {
            Lang::En => format!("Share aged 60+ and 65+, {region}, by fertility scenario"),
            Lang::Zh => format!("60岁及以上、65岁及以上人口占比，{region}，分生育情景"),
        }
    }

    pub fn births_title(&self, region: &str) -> String {
        match self.lang {
            Lang::En => format!("Births and children under three, {region}, by fertility scenario"),
            Lang::Zh => format!("出生人口与3岁以下婴幼儿，{region}，分生育情景"),
        }
    }

    pub fn service_title(&self, service: &str, region: &str) -> String {
        match self.lang {
            Lang::En => format!("{service}: demand against planned supply, {region}"),
            Lang::Zh => format!("{service}：需求与规划供给，{region}"),
        }
    }

    pub fn gap_title(&self, region: &str, year: i32, by_need: bool) -> String {
        match (self.lang, by_need) {
            (Lang::En, false) => {
                format!("Shortfall or surplus by the plan's standard in {year}, {region}")
            }
            (Lang::En, true) => format!("Shortfall or surplus by need in {year}, {region}"),
            (Lang::Zh, false) => format!("{year}年按规划标准测算的各项服务缺口或盈余，{region}"),
            (Lang::Zh, true) => format!("{year}年按实际需要测算的各项服务缺口或盈余，{region}"),
        }
    }

    pub fn heat_title(&self, service: &str, year: i32) -> String {
        match self.lang {
            Lang::En => format!("Probability of a {service} shortfall in {year}"),
            Lang::Zh => format!("{year}年{service}短缺概率"),
        }
    }

    /// A sweep parameter's axis title.
    pub fn parameter(&self, name: &str, model: &Model) -> String {
        let (en, zh) = match name {
            "tfr" => ("Total fertility rate (target)", "总和生育率（目标）"),
            "e0_gain" => ("Gain in life expectancy (years)", "预期寿命增幅（岁）"),
            "migration" => ("Net migration (persons a year)", "净迁移（人/年）"),
            "tfr_volatility" => ("TFR volatility", "生育率波动"),
            "mortality_sd" => ("Mortality volatility", "死亡率波动"),
            "migration_sd" => ("Migration volatility", "迁移波动"),
            other => (other, other),
        };
        if let Some(id) = name.strip_prefix("standard.") {
            let service = model
                .services
                .iter()
                .find(|s| s.id == id)
                .map_or(id.to_string(), |s| service_label(s, self.lang));
            return match self.lang {
                Lang::En => format!("Standard for {service}"),
                Lang::Zh => format!("{service}配置标准"),
            };
        }
        self.pick(en, zh)
    }

    pub fn year_label(&self) -> String {
        self.pick("Year", "年份")
    }
    pub fn age_label(&self) -> String {
        self.pick("Age (years)", "年龄（岁）")
    }
    pub fn persons_label(&self) -> String {
        self.pick("Persons", "人数")
    }
    pub fn persons_unit(&self) -> String {
        self.pick("persons", "人")
    }
    pub fn share_label(&self) -> String {
        self.pick("Share of the population", "占总人口比重")
    }
    pub fn male(&self) -> String {
        self.pick("Males", "男性")
    }
    pub fn female(&self) -> String {
        self.pick("Females", "女性")
    }
    pub fn births(&self) -> String {
        self.pick("Births per year", "年出生人口")
    }
    pub fn under_three(&self) -> String {
        self.pick("Children aged 0-2", "0-2岁婴幼儿")
    }
    pub fn aged(&self, age: u32) -> String {
        match self.lang {
            Lang::En => format!(", {age}+"),
            Lang::Zh => format!("，{age}岁+"),
        }
    }
    pub fn band_label(&self, percent: u32) -> String {
        match self.lang {
            Lang::En => format!("{percent}% of trajectories"),
            Lang::Zh => format!("{percent}%模拟区间"),
        }
    }
    pub fn stated_label(&self, s: &StatedFigure) -> String {
        let value = if s.indicator.is_share() {
            format_percent(s.value)
        } else {
            super::format_count(s.value)
        };
        match self.lang {
            Lang::En => format!("stated: {value} ({})", s.year),
            Lang::Zh => format!("规划/普查：{value}（{}年）", s.year),
        }
    }
    pub fn demand_label(&self, method: &str, primary: bool) -> String {
        let kind = match (method, self.lang) {
            ("need", Lang::En) => "need-based demand".to_string(),
            ("need", Lang::Zh) => "按需求测算".to_string(),
            ("standard", Lang::En) => "demand at the plan's standard".to_string(),
            ("standard", Lang::Zh) => "按规划标准测算".to_string(),
            (other, Lang::En) => format!("demand ({other})"),
            (other, Lang::Zh) => format!("需求（{other}）"),
        };
        if primary {
            kind
        } else {
            match self.lang {
                Lang::En => format!("{kind}, for comparison"),
                Lang::Zh => format!("{kind}（对照）"),
            }
        }
    }
    pub fn supply_label(&self) -> String {
        self.pick("planned supply", "规划供给")
    }
    pub fn supply_band_label(&self) -> String {
        self.pick(
            "supply arriving, 80% of trajectories",
            "实际到位供给，80%模拟区间",
        )
    }
    pub fn target_mark(&self, year: i32) -> String {
        match self.lang {
            Lang::En => format!("plan target {year}"),
            Lang::Zh => format!("{year}年规划目标"),
        }
    }
    pub fn gap_axis(&self) -> String {
        self.pick(
            "Gap (demand − planned supply), % of demand",
            "缺口（需求 − 规划供给），占需求的百分比",
        )
    }
    pub fn shortfall(&self) -> String {
        self.pick("shortfall", "短缺")
    }
    pub fn surplus(&self) -> String {
        self.pick("surplus", "盈余")
    }
    pub fn p_shortfall_label(&self) -> String {
        self.pick("P(shortfall)", "短缺概率")
    }

    /// A unit as the plan says it: beds, persons, places...
    pub fn unit(&self, unit: &str) -> String {
        if self.lang == Lang::En {
            return unit.to_string();
        }
        match unit {
            "beds" => "张".into(),
            "persons" | "people" => "人".into(),
            "places" | "nursery places" => "个托位".into(),
            "m2" | "square metres" => "平方米".into(),
            other => other.to_string(),
        }
    }

    pub fn indicator(&self, indicator: Indicator) -> String {
        let (en, zh) = match indicator {
            Indicator::Pop60Plus => ("Population aged 60+", "60岁及以上人口"),
            Indicator::Share60Plus => ("Share aged 60+", "60岁及以上人口占比"),
            Indicator::Share65Plus => ("Share aged 65+", "65岁及以上人口占比"),
            Indicator::Births => ("Births", "出生人口"),
            Indicator::Pop0To2 => ("Children aged 0-2", "0-2岁婴幼儿"),
            other => (other.name(), other.name()),
        };
        self.pick(en, zh)
    }

    pub fn required(&self, service: &str, method: &str, primary: bool) -> String {
        match (self.lang, primary, method) {
            (Lang::En, true, _) => format!("{service}: required"),
            (Lang::Zh, true, _) => format!("{service}：需求"),
            (Lang::En, false, "need") => format!("{service}: need-based"),
            (Lang::Zh, false, "need") => format!("{service}：按需求测算"),
            (Lang::En, false, m) => format!("{service}: required ({m})"),
            (Lang::Zh, false, m) => format!("{service}：需求（{m}）"),
        }
    }
    pub fn planned(&self, service: &str) -> String {
        match self.lang {
            Lang::En => format!("{service}: planned supply"),
            Lang::Zh => format!("{service}：规划供给"),
        }
    }
    /// A service seen by a demand method other than its standard:
    /// "Elderly-care beds, by need".
    pub fn by_method(&self, service: &str, method: &str) -> String {
        match (self.lang, method) {
            (Lang::En, "need") => format!("{service}, by need"),
            (Lang::Zh, "need") => format!("{service}（按实际需要）"),
            (Lang::En, other) => format!("{service}, by {other}"),
            (Lang::Zh, other) => format!("{service}（{other}）"),
        }
    }
    pub fn gap_row(&self, service: &str) -> String {
        match self.lang {
            Lang::En => format!("{service}: gap (+ shortfall, − surplus)"),
            Lang::Zh => format!("{service}：缺口（+短缺，−盈余）"),
        }
    }
    pub fn p_shortfall_row(&self, service: &str) -> String {
        match self.lang {
            Lang::En => format!("{service}: P(shortfall)"),
            Lang::Zh => format!("{service}：短缺概率"),
        }
    }
    pub fn capacity_row(&self, service: &str) -> String {
        match self.lang {
            Lang::En => format!("{service}: capacity for 90% confidence"),
            Lang::Zh => format!("{service}：90%把握所需供给"),
        }
    }

    /// "stock for 90% safety (by need)": a robust schedule's line.
    pub fn robust_label(&self, method: &str, primary: bool, alpha: f64) -> String {
        let safe = format!("{:.0}", 100.0 * (1.0 - alpha));
        let view = self.view(method, primary);
        match self.lang {
            Lang::En => format!("stock for {safe}% safety ({view})"),
            Lang::Zh => format!("{safe}%把握所需存量（{view}）"),
        }
    }
    /// "by the plan's standard", "by need", "by <method>".
    pub fn view(&self, method: &str, primary: bool) -> String {
        match (self.lang, primary, method) {
            (Lang::En, true, _) => "by the plan's standard".into(),
            (Lang::Zh, true, _) => "按规划标准".into(),
            (Lang::En, false, "need") => "by need".into(),
            (Lang::Zh, false, "need") => "按实际需要".into(),
            (Lang::En, false, m) => format!("by {m}"),
            (Lang::Zh, false, m) => format!("按{m}"),
        }
    }
    pub fn robust_title(&self, region: &str, year: i32, alpha: f64) -> String {
        let safe = format!("{:.0}", 100.0 * (1.0 - alpha));
        match self.lang {
            Lang::En => format!(
                "Stock needed in {year} for a {safe}% chance of no shortfall, against the plan, {region}"
            ),
            Lang::Zh => format!("{year}年保持{safe}%把握不短缺所需存量与规划对比，{region}"),
        }
    }
    pub fn robust_axis(&self) -> String {
        self.pick(
            "Stock needed − planned supply, % of the stock needed",
            "所需存量 − 规划供给，占所需存量的百分比",
        )
    }
    pub fn plan_short(&self) -> String {
        self.pick("plan falls short", "规划不足")
    }
    pub fn plan_room(&self) -> String {
        self.pick("plan has room", "规划有余量")
    }
    pub fn robust_row(&self, service: &str, alpha: f64) -> String {
        let safe = format!("{:.0}", 100.0 * (1.0 - alpha));
        match self.lang {
            Lang::En => format!("{service}: stock for {safe}% safety minus plan"),
            Lang::Zh => format!("{service}：{safe}%把握所需存量减规划供给"),
        }
    }
    pub fn drivers_title(&self, region: &str, year: i32) -> String {
        match self.lang {
            Lang::En => format!(
                "What drives the risk of a shortfall in {year}: the gap's variance by source, {region}"
            ),
            Lang::Zh => format!("{year}年短缺风险从何而来：缺口方差按不确定性来源分解，{region}"),
        }
    }
    pub fn drivers_axis(&self) -> String {
        self.pick(
            "Share of the gap's variance, one source at a time (%)",
            "逐一考虑各来源时占缺口方差的比重（%）",
        )
    }
    /// A source of uncertainty's name.
    pub fn source_name(&self, source: Source) -> String {
        let (en, zh) = match source {
            Source::Fertility => ("fertility", "生育率"),
            Source::Mortality => ("mortality", "死亡率"),
            Source::Migration => ("migration", "迁移"),
            Source::Base => ("base population", "基期人口"),
            Source::Need => ("need (prevalence, use)", "需求（患病率、使用率）"),
            Source::Supply => ("supply (delivery, attrition)", "供给（到位、流失）"),
        };
        self.pick(en, zh)
    }
    /// " (the existing stock covers it, 23,619 beds to spare)", brackets
    /// included.
    pub fn covered_by_stock(&self, spare: f64, unit: &str) -> String {
        match self.lang {
            Lang::En => format!(
                " (the existing stock covers it, {} {unit} to spare)",
                format_count(spare)
            ),
            Lang::Zh => format!("（现有存量已足够，富余{}{unit}）", format_count(spare)),
        }
    }
    /// A source's short name, for notes beside a bar.
    pub fn source_short(&self, source: Source) -> String {
        let (en, zh) = match source {
            Source::Fertility => ("fertility", "生育率"),
            Source::Mortality => ("mortality", "死亡率"),
            Source::Migration => ("migration", "迁移"),
            Source::Base => ("base", "基期人口"),
            Source::Need => ("need", "需求"),
            Source::Supply => ("supply", "供给"),
        };
        self.pick(en, zh)
    }
    /// "P = 0.85; 0.30 without supply": the risk, and without its driver.
    pub fn driver_note(&self, p: f64, top: Option<(Source, f64)>) -> String {
        match (self.lang, top) {
            (Lang::En, Some((s, without))) => {
                format!("P = {p:.2}; {without:.2} without {}", self.source_short(s))
            }
            (Lang::Zh, Some((s, without))) => format!(
                "短缺概率 {p:.2}；无{}不确定性时 {without:.2}",
                self.source_short(s)
            ),
            (Lang::En, None) => format!("P = {p:.2}"),
            (Lang::Zh, None) => format!("短缺概率 {p:.2}"),
        }
    }
    pub fn sources_heading(&self) -> String {
        self.pick(
            "Sources of uncertainty in the ensemble",
            "集合模拟的不确定性来源",
        )
    }
    pub fn source_heading(&self) -> String {
        self.pick("Source", "来源")
    }
    pub fn setting_heading(&self) -> String {
        self.pick("Setting", "设定")
    }
    pub fn not_drawn(&self) -> String {
        self.pick("not drawn (taken as certain)", "未抽样（视为确定）")
    }

    pub fn region_key_figures_heading(&self) -> String {
        self.pick("Key figures by region", "分地区主要指标")
    }
    pub fn regions_share_title(&self, region: &str) -> String {
        match self.lang {
            Lang::En => format!("Share aged 60+ in each region, {region}"),
            Lang::Zh => format!("各地区60岁及以上人口占比，{region}"),
        }
    }
    pub fn regions_births_title(&self, region: &str) -> String {
        match self.lang {
            Lang::En => format!("Births in each region, {region}"),
            Lang::Zh => format!("各地区出生人口，{region}"),
        }
    }
    pub fn key_figures_heading(&self) -> String {
        self.pick("Key figures", "主要指标")
    }
    pub fn quantity_heading(&self) -> String {
        self.pick("Quantity", "指标")
    }
    pub fn unit_heading(&self) -> String {
        self.pick("Unit", "单位")
    }
    pub fn flags_heading(&self) -> String {
        self.pick("Assumptions flagged in the model", "模型中标注的假设")
    }
    pub fn charts_heading(&self) -> String {
        self.pick("Charts", "图表")
    }
    pub fn files_label(&self) -> String {
        self.pick("Files", "文件")
    }
    pub fn table_label(&self) -> String {
        self.pick("table", "数据表")
    }

    /// The ensemble's sources of uncertainty and their settings, one row
    /// per source: `(source, setting)`; a source not drawn says so.
    pub fn source_settings(&self, input: &ReportInput) -> Vec<(String, String)> {
        let model = input.model;
        let st = &input.stochastic;
        let zh = self.lang == Lang::Zh;
        let interval =
            |f: &crate::standards::FactorInterval| format!("×{}–{}", short(f.low), short(f.high));
        let pct = |x: f64| format!("{}%", short(100.0 * x));
        // The table's file name (the model writes it relative to itself).
        let calibration = model
            .calibration
            .as_ref()
            .filter(|_| !st.own_noise)
            .map(|(table, c)| (file_name(table), c));
        let calibration = calibration.as_ref().map(|(n, c)| (n, *c));
        // The parent's services, then each region's (named with its region).
        let services: Vec<(String, &crate::standards::Service)> = model
            .services
            .iter()
            .map(|s| (service_label(s, self.lang), s))
            .chain(input.regions.iter().flat_map(|v| {
                let region = self.region(&v.model);
                v.model.services.iter().map(move |s| {
                    let label = service_label(s, self.lang);
                    (
                        if zh {
                            format!("{region}{label}")
                        } else {
                            format!("{region}: {label}")
                        },
                        s,
                    )
                })
            }))
            .collect();
        let setting = |source: Source| -> String {
            if !input.sources.contains(&source) {
                return self.not_drawn();
            }
            match source {
                Source::Fertility => match (calibration, st.tfr) {
                    (Some((table, c)), _) => {
                        if zh {
                            format!("高斯连接函数AR(1)状态经联合国《世界人口展望2019》TFR的80%与95%区间映射（相对尺度，{table}），每5年自相关 {}", c.tfr_persistence)
                        } else {
                            format!("a Gaussian-copula AR(1) state mapped through the UN WPP 2019 80% and 95% TFR bounds on the relative scale ({table}), correlation {} per 5 years", c.tfr_persistence)
                        }
                    }
                    (None, Some(t)) => {
                        if zh {
                            format!(
                                "对数TFR的AR(1)偏离，每年 σ = {}，φ = {}",
                                t.volatility, t.persistence
                            )
                        } else {
                            format!(
                                "an AR(1) deviation of log TFR, σ = {} a year, φ = {}",
                                t.volatility, t.persistence
                            )
                        }
                    }
                    (None, None) => self.not_drawn(),
                },
                Source::Mortality => match (calibration, st.mortality) {
                    (Some((table, _)), _) => {
                        if zh {
                            format!("同一方法映射两性出生时预期寿命的80%与95%区间（{table}），两性共用一个状态，状态为标准化随机游走（与联合国预期寿命模型相同）")
                        } else {
                            format!("the same for e0 of both sexes (one state, {table}), the state a standardised random walk (as the UN's e0 model)")
                        }
                    }
                    (None, Some(m)) => {
                        if zh {
                            format!(
                                "死亡概率对数系数的随机游走（Lee-Carter型），每年 σ = {}",
                                m.sd
                            )
                        } else {
                            format!("a random walk of a Lee-Carter-style log factor on the probabilities of dying, σ = {} a year", m.sd)
                        }
                    }
                    (None, None) => self.not_drawn(),
                },
                Source::Migration => {
                    let sd = st.migration.map_or(0.0, |m| m.sd);
                    if zh {
                        format!("年净迁移总量的正态偏离，标准差 {} 人/年", format_count(sd))
                    } else {
                        format!("a normal deviation of the annual net migration total, sd {} persons a year", format_count(sd))
                    }
                }
                Source::Base => {
                    let base = &model.base_uncertainty;
                    let mut parts: Vec<String> = base
                        .total
                        .iter()
                        .map(|f| {
                            if zh {
                                format!("总量 {}", interval(f))
                            } else {
                                format!("total {}", interval(f))
                            }
                        })
                        .collect();
                    parts.extend(base.bands.iter().map(|(ages, f)| {
                        if zh {
                            format!("{ages}岁 {}", interval(f))
                        } else {
                            format!("ages {ages} {}", interval(f))
                        }
                    }));
                    if zh {
                        format!("每条轨迹抽取一次的系数（90%区间）：{}", parts.join("；"))
                    } else {
                        format!(
                            "factors drawn once per trajectory (90% intervals): {}",
                            parts.join("; ")
                        )
                    }
                }
                Source::Need => {
                    let mut tables: Vec<String> = Vec::new();
                    let mut demands: Vec<String> = Vec::new();
                    for (label, s) in &services {
                        for (m, d) in s.demands.iter().enumerate() {
                            if let crate::standards::DemandMethod::Need { prevalence, .. } =
                                &d.method
                            {
                                if let Some(u) = &prevalence.uncertainty {
                                    let row =
                                        format!("{} {}", file_name(&prevalence.table), interval(u));
                                    if !tables.contains(&row) {
                                        tables.push(row);
                                    }
                                }
                            }
                            if let Some(u) = &d.uncertainty {
                                let view = self.view(&d.name, m == 0);
                                demands.push(if zh {
                                    format!("{label}（{view}）{}", interval(u))
                                } else {
                                    format!("{label} ({view}) {}", interval(u))
                                });
                            }
                        }
                    }
                    if zh {
                        format!("患病率表（每张表每条轨迹抽取一次，读取同一张表的需求共用）：{}；需求自身区间：{}", or_none(&tables, "无", "；"), or_none(&demands, "无", "；"))
                    } else {
                        format!("prevalence tables (one draw per table and trajectory, shared by the demands that read it): {}; demands' own intervals: {}", or_none(&tables, "none", "; "), or_none(&demands, "none", "; "))
                    }
                }
                Source::Supply => {
                    let rows: Vec<String> = services
                        .iter()
                        .filter_map(|(label, s)| s.supply_risk.map(|r| (label, r)))
                        .map(|(label, r)| {
                            let mut parts = Vec::new();
                            if let Some(d) = r.delivery {
                                parts.push(if zh {
                                    format!("到位比例 {}（90%：{}–{}）", pct(d.central), pct(d.low), pct(d.high))
                                } else {
                                    format!("delivery {} (90%: {}–{})", pct(d.central), pct(d.low), pct(d.high))
                                });
                            }
                            if let Some(a) = r.attrition {
                                parts.push(if zh {
                                    format!("年流失率 {}（90%：{}–{}，规划按 {} 补充）", pct(a.rate), pct(a.low), pct(a.high), pct(a.planned))
                                } else {
                                    format!("attrition {} a year (90%: {}–{}; the plan recruits for {})", pct(a.rate), pct(a.low), pct(a.high), pct(a.planned))
                                });
                            }
                            format!("{label} {}", parts.join(if zh { "，" } else { ", " }))
                        })
                        .collect();
                    rows.join(if zh { "；" } else { "; " })
                }
            }
        };
        let mut rows: Vec<(String, String)> = Source::ALL
            .into_iter()
            .map(|s| (self.source_name(s), setting(s)))
            .collect();
        if !input.regions.is_empty() {
            let names: Vec<String> = input
                .regions
                .iter()
                .map(|v| self.region(&v.model))
                .collect();
            rows.push(if zh {
                (
                    "地区".to_string(),
                    format!(
                        "{} 个地区（{}）：生育、死亡、迁移、基期人口与患病率每条轨迹全市统一抽取一次；各项服务的使用率、人员配比与供给风险按地区分别抽取；全市为各地区之和",
                        names.len(),
                        names.join("、")
                    ),
                )
            } else {
                (
                    "Regions".to_string(),
                    format!(
                        "{} regions ({}): fertility, mortality, migration, the base and prevalence drawn once per trajectory for the whole; each service's use rate, staff ratio and supply risk drawn per region; the whole is the sum of its regions",
                        names.len(),
                        names.join(", ")
                    ),
                )
            });
        }
        rows
    }

    pub fn intro(&self, model: &Model, central: &str, input: &ReportInput) -> Vec<String> {
        let region = self.region(model);
        let scenarios: Vec<String> = input.runs.iter().map(|r| self.scenario(&r.name)).collect();
        let central_label = model
            .scenarios
            .iter()
            .find(|s| s.name == central)
            .map(|s| match (self.lang, &s.label_zh) {
                (Lang::Zh, Some(zh)) => zh.clone(),
                _ => s.label.clone(),
            })
            .unwrap_or_default();
        let n = input.ensemble.trajectories;
        let supply_risk = model.services.iter().any(|s| s.supply_risk.is_some());
        let base = &model.base_uncertainty;
        let bands: Vec<String> = base
            .bands
            .iter()
            .map(|(ages, _)| ages.to_string())
            .collect();
        let migration = model.migration_noise.map(|m| format_count(m.sd));
        match self.lang {
            Lang::En => vec![
                format!(
                    "Cohort-component projection of {region} from {} to {}, by sex and {}-year age group; scenarios: {}.",
                    model.base_year,
                    model.end_year,
                    model.base.grid().width(),
                    scenarios.join(", ")
                ),
                format!(
                    "Central scenario {}: {central_label}. Uncertainty bands and probabilities of shortfall come from {n} Monte Carlo trajectories of it (random fertility, mortality{}{}), seed {}.",
                    self.scenario(central),
                    migration.as_ref().map_or(String::new(), |sd| format!(", net migration (a standard deviation of {sd} persons a year)")),
                    if input.ensemble.demands.is_empty() { "" } else { ", and the prevalence tables, use rates and standards where the model gives an interval: one draw per table and trajectory, shared by the demands that read it" },
                    input.seed
                ),
                "A gap is demand minus planned supply: positive is a shortfall, negative a surplus. Capacity for 90% confidence is the supply that meets demand in 90% of the trajectories. Gaps are shown by the plan's own standard and, where the model has a need-based demand (persons with dependency or dementia x the share who use the service x units per user), by need.".to_string()
                    + if supply_risk { " Supply is uncertain too where the model gives its risk: the share of the planned additions in place on time and, for staff, the annual attrition against the recruitment the plan implies, drawn once per trajectory and service; P(shortfall) sets demand against the supply that arrives." } else { "" }
                    + &if base.is_certain() { String::new() } else {
                        let parts: Vec<String> = base.total.iter().map(|_| "its total".to_string()).chain(bands.iter().map(|b| format!("ages {b}"))).collect();
                        let list = match parts.split_last() {
                            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                            _ => parts.join(""),
                        };
                        format!(" The base population is uncertain too: {list} are scaled by factors drawn once per trajectory.")
                    },
            ],
            Lang::Zh => vec![
                format!(
                    "{region}人口按性别、{}岁组的队列要素法预测，{}年至{}年；情景：{}。",
                    model.base.grid().width(),
                    model.base_year,
                    model.end_year,
                    scenarios.join("、")
                ),
                format!(
                    "中心情景为{}（{central_label}）。不确定性区间与短缺概率来自该情景的 {n} 条蒙特卡洛轨迹（生育率、死亡率{}随机{}），随机种子 {}。",
                    self.scenario(central),
                    migration.as_ref().map_or(String::new(), |sd| format!("、净迁移（每年标准差 {sd} 人）")),
                    if input.ensemble.demands.is_empty() { "" } else { "，以及给出区间的患病率表、使用率和服务标准随机；每张患病率表每条轨迹抽取一次，读取同一张表的各项需求共用" },
                    input.seed
                ),
                "缺口＝需求－规划供给：正值为短缺，负值为盈余。“90%把握所需供给”指在90%的模拟轨迹中都能满足需求的供给量。缺口按规划标准测算，模型给出按实际需要测算的需求（失能或认知障碍人数×使用比例×每位使用者所需单位）时，也按实际需要测算。".to_string()
                    + if supply_risk { "模型给出供给风险时，供给同样随机：规划新增量按期到位的比例，以及人员的年流失率（规划按预期流失率补充招聘），每条轨迹每项服务抽取一次；短缺概率按实际到位的供给测算。" } else { "" }
                    + &if base.is_certain() { String::new() } else {
                        let parts: Vec<String> = base.total.iter().map(|_| "总量".to_string()).chain(bands.iter().map(|b| format!("{b}岁"))).collect();
                        format!("基期人口同样随机：{}按每条轨迹抽取一次的系数缩放。", parts.join("、"))
                    },
            ],
        }
    }
}

/// A setting as the model means it: at most four decimals, no float noise
/// (0.5499999999999999 is 0.55, 1.0 is 1).
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The file name of a table path as the model writes it.
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The items joined by `sep`, or `none` when there are none.
fn or_none(items: &[String], none: &str, sep: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_without_float_noise() {
        assert_eq!(short(0.549_999_999_999_999_9), "0.55");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(1.599_997_590_395_315_9), "1.6");
        assert_eq!(short(45.0), "45");
        assert_eq!(short(0.015), "0.015");
    }

    #[test]
    fn counts_and_percents() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(999.4), "999");
        assert_eq!(format_count(1000.0), "1,000");
        assert_eq!(format_count(1_234_567.6), "1,234,568");
        assert_eq!(format_count(-38_788.0), "-38,788");
        assert_eq!(format_percent(0.2758), "27.58%");
    }

    #[test]
    fn scenario_names() {
        let en = Words::new(Lang::En);
        let zh = Words::new(Lang::Zh);
        assert_eq!(en.scenario("tfr_1.62"), "TFR 1.62");
        assert_eq!(zh.scenario("plan"), "规划情景");
        assert_eq!(en.scenario("low"), "low");
    }
}
