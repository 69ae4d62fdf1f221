//! The plan workbook: an Excel file a bureau fills in with its plan's
//! figures (`carecast template` writes it, blank or filled from a model),
//! and from which `carecast import` writes a commented model file, with the
//! synthesis spec and base it needs.
//!
//! Every sheet is a plain table with a header row; sheets and columns may
//! be named in English or in Chinese (the template's `--lang zh` names).
//! Most sheets are in long form, one figure a row (`service, key, year,
//! value, source`), so that a target by year is a row per year, as plans
//! write them. The keys each sheet takes are listed in [`SETTINGS`],
//! [`SERIES`], [`SCENARIO_KEYS`], [`DEMAND_KEYS`] and [`SUPPLY_KEYS`], and
//! on the workbook's own `readme` sheet.

mod import;
mod template;

pub use import::{import_plan, table_path_for, Imported, PlanProblems};
pub use template::encode_template;

/// A value of a cell as the template writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

/// The rows of a filled workbook (`template --from`): every sheet's rows,
/// in the sheet's column order without the `source` column.
#[derive(Debug, Clone, Default)]
pub struct PlanRows {
    /// `settings`: key, value.
    pub settings: Vec<(String, CellValue)>,
    /// `paths`: series, year (none: constant), value.
    pub paths: Vec<(String, Option<f64>, CellValue)>,
    /// `scenarios`: scenario, key, year, value.
    pub scenarios: Vec<(String, String, Option<f64>, CellValue)>,
    /// `services`: service id, label, Chinese label, unit, region (empty:
    /// the model's own). On the demands and supply sheets a region's
    /// service is written `region:id`.
    pub services: Vec<[String; 5]>,
    /// `regions`: name, Chinese name, English label, base (a table or
    /// `remainder`), TFR ratio, e0 difference, share of the migration from
    /// outside.
    pub regions: Vec<[CellValue; 7]>,
    /// `flows`: from, to, key, year, value.
    pub flows: Vec<(String, String, String, Option<f64>, CellValue)>,
    /// `demands`: service, demand, key, year, value.
    pub demands: Vec<(String, String, String, Option<f64>, CellValue)>,
    /// `supply`: service, key, year, value.
    pub supply: Vec<(String, String, Option<f64>, CellValue)>,
    /// `stated`: indicator, year, value, source.
    pub stated: Vec<(String, i32, f64, String)>,
    /// `populations`: name, ages.
    pub populations: Vec<(String, String)>,
    /// `flags`: the flag in English and in Chinese.
    pub flags: Vec<(String, String)>,
    /// `base_targets`.
    pub base_targets: Vec<BaseTarget>,
    /// `base_structure_90`: ages, low, high.
    pub base_structure: Vec<(String, f64, f64)>,
    /// `base_population`: year, sex, age, persons.
    pub base_population: Vec<(i32, String, i32, f64)>,
    /// Lines of the `source` column for every row taken from one file.
    pub source: String,
}

/// A row of the `base_targets` sheet: a known total of the base.
#[derive(Debug, Clone, Default)]
pub struct BaseTarget {
    /// Ages, e.g. `0+`, `60+`, `0-2`.
    pub ages: String,
    /// `male`, `female`, or empty for both.
    pub sex: String,
    /// Persons.
    pub total: Option<f64>,
    /// Or a fraction of the 0+ total.
    pub share_of_total: Option<f64>,
    /// Where the figure comes from.
    pub source: String,
}

/// How a key's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, as written.
    Text,
    /// A whole number (a year, an age).
    Int,
    /// A number; thousands separators (`1,342`) are accepted.
    Number,
    /// A fraction in [0, 1]: a number (0.55) or a percentage (55%).
    Fraction,
    /// Yes or no (`true`/`false`, `yes`/`no`, `是`/`否`).
    Bool,
    /// A table: a file (relative to the workbook) or `builtin:NAME`.
    Table,
    /// Years, e.g. `2025, 2030, 2035`.
    Years,
}

/// Whether a key takes a value by year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// One value, no year.
    No,
    /// One value without a year (constant), or one row per year.
    Path,
    /// One row per year; a year is required.
    Points,
}

/// A key a sheet takes.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key, as written in the `key` column.
    pub key: &'static str,
    /// How its value is read.
    pub kind: Kind,
    /// Whether it takes values by year.
    pub series: Series,
    /// Whether the workbook must give it.
    pub required: bool,
    /// What it means, in English.
    pub en: &'static str,
    /// What it means, in Chinese.
    pub zh: &'static str,
}

const fn key(key: &'static str, kind: Kind, en: &'static str, zh: &'static str) -> Key {
    Key {
        key,
        kind,
        series: Series::No,
        required: false,
        en,
        zh,
    }
}

const fn required(k: Key) -> Key {
    Key {
        required: true,
        ..k
    }
}

const fn by_year(k: Key) -> Key {
    Key {
        series: Series::Path,
        ..k
    }
}

const fn points(k: Key) -> Key {
    Key {
        series: Series::Points,
        ..k
    }
}

use Kind::*;

/// The keys of the `settings` sheet (key, value, source).
pub const SETTINGS: &[Key] = &[
    required(key("region.name", Text, "Name of the region and population, e.g. \"Jiaxing (registered population)\"", "地区及人口口径名称，如“嘉兴市（户籍人口）”")),
    key("region.name_zh", Text, "The name in Chinese, for Chinese reports", "中文名称（用于中文报告）"),
    required(key("projection.base_year", Int, "Base year: the year the base population counts", "基期年份（基期人口的年份）")),
    required(key("projection.end_year", Int, "Last year projected", "预测终止年份")),
    key("projection.step", Int, "Width of an age group and of a step, years: 1 or 5 (default 1)", "年龄组宽度及预测步长（年）：1或5（默认1）"),
    key("projection.open_age", Int, "Open age group (default 100)", "最高开放年龄组（默认100）"),
    key("projection.default_scenario", Text, "The scenario used when none is chosen (default: the first on the scenarios sheet)", "未指定时使用的情景（默认：情景表中的第一个）"),
    key("projection.key_years", Years, "Years the plan is judged in, e.g. 2025, 2030, 2035 (default: those within the horizon)", "规划评估年份，如 2025, 2030, 2035（默认：预测期内的这三个年份）"),
    key("base.population", Table, "A table of the base population (sex, age, population; a file beside the workbook); leave blank to use the base_population or base_targets sheet", "基期人口表文件（性别、年龄、人口；与本工作簿同一文件夹）；留空则使用“基期人口”或“基期目标”表"),
    key("base.value_column", Text, "Column of that table with the counts (default population)", "该表中人数所在列（默认 population）"),
    key("base.year", Int, "Year of the base table's rows (default: the base year)", "基期人口表的年份（默认：基期年份）"),
    key("base.total_90_low", Number, "How sure the base total is: low end of a 90% interval of a factor on it, e.g. 0.95", "基期总人口的把握程度：总人口系数90%区间下限，如0.95"),
    key("base.total_90_high", Number, "High end of that interval, e.g. 1.05", "该区间上限，如1.05"),
    key("mortality.method", Text, "brass (a standard schedule moved to the life expectancy of the paths sheet; default) or table", "死亡率方法：brass（标准死亡模式按“时间路径”中的预期寿命调整，默认）或 table"),
    key("mortality.standard", Table, "Standard schedule of death rates (default builtin:china-mx-2015-2020, China 2015-2020, UN WPP 2019)", "标准死亡模式（默认 builtin:china-mx-2015-2020，联合国《世界人口展望2019》中国2015-2020年）"),
    key("mortality.table", Table, "With method table: death rates by period", "方法为 table 时：分时期死亡率表"),
    key("mortality.sex_gap", Number, "Female minus male life expectancy, years (default 4.5, China 2015-2020)", "女性与男性预期寿命之差（年，默认4.5，中国2015-2020年）"),
    key("fertility.pattern", Table, "Age pattern of fertility (default builtin:china-fertility-2015-2020)", "生育年龄模式（默认 builtin:china-fertility-2015-2020）"),
    key("migration.male_share", Fraction, "Share of the net migrants who are male (default 50%)", "净迁移人口中男性比例（默认50%）"),
    key("migration.counts", Table, "Or a table of net migrants a year by sex and age", "或：按性别、年龄的年净迁移人数表"),
    key("migration.schedule.a1", Number, "Rogers-Castro age schedule of migrants: level of the childhood component", "迁移年龄模式（Rogers-Castro）：儿童分量水平"),
    key("migration.schedule.alpha1", Number, "Rogers-Castro: descent of the childhood component", "Rogers-Castro：儿童分量下降率"),
    key("migration.schedule.a2", Number, "Rogers-Castro: level of the labour-force component", "Rogers-Castro：劳动力分量水平"),
    key("migration.schedule.alpha2", Number, "Rogers-Castro: descent of the labour-force component", "Rogers-Castro：劳动力分量下降率"),
    key("migration.schedule.mu2", Number, "Rogers-Castro: mean age of the labour-force peak", "Rogers-Castro：劳动力峰值年龄"),
    key("migration.schedule.lambda2", Number, "Rogers-Castro: ascent of the labour-force component", "Rogers-Castro：劳动力分量上升率"),
    key("migration.schedule.c", Number, "Rogers-Castro: constant level", "Rogers-Castro：常数水平"),
    key("uncertainty.migration_sd", Number, "Standard deviation of the annual net migration total, persons a year (ensembles)", "年净迁移总量的标准差（人/年，用于随机模拟）"),
    key("uncertainty.calibration", Table, "Published TFR and life-expectancy bounds whose spread the ensembles borrow, e.g. builtin:wpp2019-bounds-158", "随机模拟借用其区间宽度的生育率与预期寿命区间表，如 builtin:wpp2019-bounds-158"),
    key("synthesis.reference", Table, "With base_targets: the age structure raked to them (default builtin:china-population-2020)", "使用“基期目标”时：据以调整的参考年龄结构（默认 builtin:china-population-2020）"),
    key("synthesis.reference_column", Text, "Column of the reference table with the counts (default population)", "参考结构表中人数所在列（默认 population）"),
    key("synthesis.reference_year", Int, "Year of the reference table to use, when it holds several", "参考结构表含多个年份时所用年份"),
    key("synthesis.smooth_years", Int, "Years of taper on each side of every target (default 10)", "每个目标两侧的平滑年数（默认10）"),
    key("synthesis.scenario", Text, "The scenario whose mortality and fertility rebuild the young ages (default: the default scenario)", "用于回推低龄人口的情景（默认：默认情景）"),
    key("synthesis.history_srb", Number, "Sex ratio at birth of the fertility history (default: the model's)", "生育史的出生性别比（默认：模型的出生性别比）"),
    key("synthesis.note", Text, "A line written at the top of the synthesized base (one row per line)", "写在合成基期人口表开头的说明（每行一条）"),
];

/// The series of the `paths` sheet (series, year, value, source).
pub const SERIES: &[Key] = &[
    by_year(key("mortality.e0", Number, "Life expectancy at birth, both sexes, by year (split by mortality.sex_gap)", "出生时预期寿命（男女合计，按年份；按性别差拆分）")),
    by_year(key("mortality.e0_male", Number, "Or: male life expectancy by year", "或：男性预期寿命（按年份）")),
    by_year(key("mortality.e0_female", Number, "And female life expectancy by year", "及女性预期寿命（按年份）")),
    by_year(key("fertility.srb", Number, "Sex ratio at birth, males per female (default 1.13, China 2015-2020)", "出生性别比（男/女，默认1.13，中国2015-2020年）")),
    by_year(key("migration.net_per_year", Number, "Net migrants a year, persons (spread by the Rogers-Castro schedule)", "年净迁移人数（按 Rogers-Castro 年龄模式分配）")),
    points(key("synthesis.history_tfr", Number, "With base_targets: the TFR of the years before the base year, from which the young ages are rebuilt", "使用“基期目标”时：基期前各年的总和生育率，用于回推低龄人口")),
];

/// The keys of the `scenarios` sheet (scenario, key, year, value, source).
pub const SCENARIO_KEYS: &[Key] = &[
    key(
        "label",
        Text,
        "What the scenario assumes, in English",
        "情景说明（英文）",
    ),
    key(
        "label_zh",
        Text,
        "What the scenario assumes, in Chinese",
        "情景说明（中文）",
    ),
    required(by_year(key(
        "tfr",
        Number,
        "Total fertility rate: one value, or one row per year (linear between them)",
        "总和生育率：单一数值，或逐年份各一行（其间线性插值）",
    ))),
    by_year(key(
        "e0",
        Number,
        "Life expectancy (replaces the paths sheet's mortality.e0)",
        "预期寿命（替代“时间路径”中的 mortality.e0）",
    )),
    by_year(key(
        "net_migration_per_year",
        Number,
        "Net migrants a year (replaces migration.net_per_year)",
        "年净迁移人数（替代 migration.net_per_year）",
    )),
];

/// The keys of the `demands` sheet (service, demand, key, year, value, source).
pub const DEMAND_KEYS: &[Key] = &[
    required(key("method", Text, "ratio (per 1,000 or 10,000 of a population base), share (of another service), need (prevalence x use rate x per user) or absolute", "测算方法：ratio（按人口口径每千人或每万人）、share（占另一服务的比例）、need（患病率×使用率×人均）或 absolute（绝对数）")),
    key("base", Text, "ratio: the population base (elderly = 60+, residents = everyone, under_three = 0-2, or a name of the populations sheet)", "ratio：人口口径（elderly=60岁及以上，residents=全体，under_three=0-2岁，或“人口口径”表中的名称）"),
    by_year(key("per_1000", Number, "ratio: units per 1,000 of the base, by year", "ratio：每千人配置数（按年份）")),
    by_year(key("per_10000", Number, "ratio: units per 10,000 of the base, by year", "ratio：每万人配置数（按年份）")),
    by_year(key("fraction", Fraction, "share: the fraction of the other service; ratio: units per person of the base", "share：占另一服务的比例；ratio：每人配置数")),
    key("of", Text, "share: the other service", "share：所占的另一服务"),
    key("prevalence", Table, "need: prevalence by sex and age, e.g. builtin:adl-dependency-china", "need：分性别年龄患病（失能）率表，如 builtin:adl-dependency-china"),
    by_year(key("use_rate", Fraction, "need: share of the prevalent who use the service", "need：患者中使用该服务的比例")),
    key("per_user", Number, "need: units per user (default 1)", "need：每名使用者所需单位数（默认1）"),
    by_year(key("value", Number, "absolute: the units required, by year", "absolute：所需绝对数量（按年份）")),
    key("uncertainty_90_low", Number, "90% interval of a factor on this demand, low end (ensembles)", "该需求系数的90%区间下限（随机模拟）"),
    key("uncertainty_90_high", Number, "90% interval of that factor, high end", "该系数的90%区间上限"),
];

/// The keys of the `flows` sheet (from, to, key, year, value, source).
pub const FLOW_KEYS: &[Key] = &[
    by_year(key(
        "per_year",
        Number,
        "Persons moving a year",
        "每年迁移人数",
    )),
    by_year(key(
        "rate",
        Fraction,
        "Or a fraction of the origin's population a year",
        "或：每年占迁出地人口的比例",
    )),
    key(
        "male_share",
        Fraction,
        "Share of the migrants who are male (default 50%)",
        "迁移人口中男性比例（默认50%）",
    ),
];

/// The keys of the `supply` sheet (service, key, year, value, source).
pub const SUPPLY_KEYS: &[Key] = &[
    points(key(
        "count",
        Number,
        "The stock planned or counted, by year (units)",
        "规划或现有存量（按年份，单位数）",
    )),
    key(
        "base",
        Text,
        "A ratio target's population base (elderly, residents, ...)",
        "比例目标的人口口径（elderly、residents 等）",
    ),
    by_year(key(
        "per_1000",
        Number,
        "A ratio target: units per 1,000 of the base, by year (resolved on the projection)",
        "比例目标：每千人配置数（按年份，按预测人口换算）",
    )),
    by_year(key(
        "per_10000",
        Number,
        "A ratio target: units per 10,000 of the base, by year",
        "比例目标：每万人配置数（按年份）",
    )),
    key(
        "on_scenario",
        Text,
        "The scenario whose projection resolves a ratio target (default: the default scenario)",
        "换算比例目标所用情景（默认：默认情景）",
    ),
    points(key(
        "population",
        Number,
        "Or the base population the plan states, by year, to resolve a ratio target on",
        "或：规划给出的口径人口（按年份），用于换算比例目标",
    )),
    key(
        "interpolation",
        Text,
        "linear (default) or step between the years",
        "年份之间 linear（线性，默认）或 step（阶梯）",
    ),
    key(
        "unknown",
        Bool,
        "yes: the plan states no supply for this service",
        "是：规划未给出该服务的供给",
    ),
    key(
        "delivery",
        Fraction,
        "Median share of the planned additions delivered on time (ensembles)",
        "按期建成的规划新增量比例中位数（随机模拟）",
    ),
    key(
        "delivery_90_low",
        Fraction,
        "90% interval of that share, low end",
        "该比例90%区间下限",
    ),
    key(
        "delivery_90_high",
        Fraction,
        "90% interval of that share, high end",
        "该比例90%区间上限",
    ),
    key(
        "attrition",
        Fraction,
        "Median annual attrition of the stock (staff who leave)",
        "存量年流失率中位数（人员离职）",
    ),
    key(
        "attrition_90_low",
        Fraction,
        "90% interval of the attrition, low end",
        "流失率90%区间下限",
    ),
    key(
        "attrition_90_high",
        Fraction,
        "90% interval of the attrition, high end",
        "流失率90%区间上限",
    ),
    key(
        "planned_attrition",
        Fraction,
        "The attrition the plan's recruitment allows for (default: attrition)",
        "规划招聘所考虑的流失率（默认：流失率中位数）",
    ),
    key(
        "max_build_per_year",
        Number,
        "The most the service can add in a year (robust schedule)",
        "每年最多可新增数量（稳健建设计划）",
    ),
    key(
        "build_rate_year",
        Number,
        "A build rate instead of a path: its first year",
        "或按建设速度：起始年份",
    ),
    key(
        "build_rate_stock",
        Number,
        "Build rate: the stock in that year",
        "建设速度：起始年份存量",
    ),
    key(
        "build_rate_per_year",
        Number,
        "Build rate: units added a year",
        "建设速度：每年新增数量",
    ),
];

/// A sheet: its English and Chinese names, and its columns (English and
/// Chinese names).
#[derive(Debug, Clone, Copy)]
pub struct SheetSpec {
    /// English name.
    pub en: &'static str,
    /// Chinese name.
    pub zh: &'static str,
    /// Columns: English and Chinese names.
    pub columns: &'static [(&'static str, &'static str)],
    /// What the sheet holds, in English and Chinese.
    pub about: (&'static str, &'static str),
}

/// The sheets the template writes and `import` reads, in order.
pub const SHEETS: &[SheetSpec] = &[
    SheetSpec {
        en: "settings",
        zh: "基本设置",
        columns: &[("key", "键"), ("value", "数值"), ("source", "来源"), ("meaning", "说明")],
        about: ("The region, the projection and the base; one key a row.", "地区、预测期与基期设置；每行一个键。"),
    },
    SheetSpec {
        en: "paths",
        zh: "时间路径",
        columns: &[("series", "序列"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("Life expectancy, sex ratio at birth and migration by year; one row per year.", "预期寿命、出生性别比与迁移的逐年路径；每个年份一行。"),
    },
    SheetSpec {
        en: "scenarios",
        zh: "情景",
        columns: &[("scenario", "情景"), ("key", "键"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("Fertility (and optionally life expectancy, migration) of each scenario.", "各情景的生育率（以及可选的预期寿命、迁移）。"),
    },
    SheetSpec {
        en: "services",
        zh: "服务",
        columns: &[("service", "服务"), ("label", "名称"), ("label_zh", "中文名称"), ("unit", "单位"), ("region", "地区")],
        about: ("Every service the plan sets a standard for: an id (letters, digits, _), its names and unit (beds, persons, places); with a region, that region's plan (written region:id on the demands and supply sheets).", "规划设定标准的每项服务：代码（字母、数字、下划线）、名称及单位（beds、persons、places）；填写地区时为该地区的规划（在需求标准、供给表中写作 地区:代码）。"),
    },
    SheetSpec {
        en: "demands",
        zh: "需求标准",
        columns: &[("service", "服务"), ("demand", "需求口径"), ("key", "键"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("How much of each service is required: the plan's standard (first demand of a service) and need-based views.", "各服务的需求：规划标准（每项服务的第一个需求口径）及按需测算口径。"),
    },
    SheetSpec {
        en: "supply",
        zh: "供给",
        columns: &[("service", "服务"), ("key", "键"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("What the plan builds: the stock by year (or a ratio target), and how sure its delivery is.", "规划的供给：逐年存量（或比例目标）及按期建成的把握程度。"),
    },
    SheetSpec {
        en: "stated",
        zh: "规划陈述",
        columns: &[("indicator", "指标"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("Figures the plan states (e.g. share_60plus in 2021), marked on the report's charts.", "规划文本给出的数字（如2021年 share_60plus），在报告图表中标出。"),
    },
    SheetSpec {
        en: "populations",
        zh: "人口口径",
        columns: &[("name", "名称"), ("ages", "年龄")],
        about: ("Named population bases, e.g. elderly = 60+, residents = 0+, under_three = 0-2.", "命名的人口口径，如 elderly = 60+、residents = 0+、under_three = 0-2。"),
    },
    SheetSpec {
        en: "flags",
        zh: "假设说明",
        columns: &[("flag", "说明（英文）"), ("flag_zh", "说明（中文）")],
        about: ("What the model assumes beyond the plan, shown on every report.", "模型在规划之外所作的假设，在每份报告中列出。"),
    },
    SheetSpec {
        en: "regions",
        zh: "地区",
        columns: &[("region", "地区"), ("name_zh", "中文名称"), ("label", "英文名称"), ("population", "基期人口"), ("tfr_ratio", "生育率倍数"), ("e0_difference", "预期寿命差"), ("migration_share", "外部迁移占比"), ("source", "来源")],
        about: ("Optional: the regions the model's population is the sum of; population is a base table beside the workbook or remainder (the model's base minus the other regions).", "可选：模型人口所由组成的各地区；基期人口为与工作簿同一文件夹的人口表，或 remainder（模型基期人口减去其余地区）。"),
    },
    SheetSpec {
        en: "flows",
        zh: "区间迁移",
        columns: &[("from", "迁出地区"), ("to", "迁入地区"), ("key", "键"), ("year", "年份"), ("value", "数值"), ("source", "来源")],
        about: ("Migration between regions: key per_year (persons a year) or rate (a fraction of the origin a year), and male_share.", "地区之间的迁移：键 per_year（每年人数）或 rate（每年占迁出地人口的比例），以及 male_share（男性比例）。"),
    },
    SheetSpec {
        en: "base_targets",
        zh: "基期目标",
        columns: &[("ages", "年龄"), ("sex", "性别"), ("total", "人数"), ("share_of_total", "占总人口比例"), ("source", "来源")],
        about: ("Known totals of the base (0+ total, 60+ share, ...): the base is synthesized from a reference structure raked to them.", "基期已知总数（总人口、60岁及以上占比等）：基期人口由参考结构按这些目标调整合成。"),
    },
    SheetSpec {
        en: "base_structure_90",
        zh: "基期结构不确定性",
        columns: &[("ages", "年龄"), ("low_90", "90%区间下限"), ("high_90", "90%区间上限"), ("source", "来源")],
        about: ("How sure the base's age structure is: 90% intervals of factors on age bands (ensembles).", "基期年龄结构的把握程度：各年龄段系数的90%区间（随机模拟）。"),
    },
    SheetSpec {
        en: "base_population",
        zh: "基期人口",
        columns: &[("year", "年份"), ("sex", "性别"), ("age", "年龄"), ("population", "人口")],
        about: ("Or the base population itself, by sex and single year (or 5-year group) of age.", "或直接给出基期人口：分性别、单岁（或五岁组）年龄。"),
    },
];
