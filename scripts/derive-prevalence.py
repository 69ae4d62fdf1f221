#!/usr/bin/env python3
"""Writes the need-based prevalence tables of data/reference/ (D1, D2, D3).

The both-sex age profiles and the 90% factors are the "Suggested defaults"
of the project's need fact sheet (shared/notes/need-sources.md, tables D1-D3
and D4), themselves derived from the published sources named in each
table's header. This script only splits each both-sex value into men and
women with a women/men ratio of 1.25 (D4), keeping the both-sex value in
China's 2020 population by sex (data/reference/china_population_2020.csv,
UN WPP 2019), and writes the 90% bounds as the central value times the
table's factor (one factor for all ages: drawn once per trajectory).

Run from the repository root:  python3 scripts/derive-prevalence.py
"""

import csv
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(ROOT, "data", "reference")
WOMEN_PER_MAN = 1.25


def population():
    """China 2020 population (thousands) by sex and 5-year group lower bound."""
    pop = {"male": {}, "female": {}}
    with open(os.path.join(REF, "china_population_2020.csv")) as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for r in rows:
            pop[r["sex"]][int(r["age"])] = float(r["population"])
    return pop


def in_group(pop, sex, lo, hi):
    """Persons of `sex` in groups with lower bound lo <= age < hi."""
    return sum(v for a, v in pop[sex].items() if lo <= a < hi)


def split(pop, lo, hi, both):
    """(men, women) prevalence in ages [lo, hi) with women = 1.25 x men and
    the both-sex prevalence `both` (a fraction) kept."""
    m, f = in_group(pop, "male", lo, hi), in_group(pop, "female", lo, hi)
    men = both * (m + f) / (m + WOMEN_PER_MAN * f)
    return men, WOMEN_PER_MAN * men


HEADERS = {
    "severe_dependency_china.csv": """\
# Severe dependency ("cannot look after oneself", close to 完全失能) among persons aged 60+ in China,
# by sex and 5-year age group (lower bound; 95 = 95+), fraction of persons. Columns low_90/high_90: 90% interval.
# DERIVED [D], not a published age table (fact sheet need-sources.md, table D1):
#   shape: Shanghai 2010 census, town part, 生活不能自理 at 60-64/65-69/70-74 (0.72/1.04/2.54%;
#     上海市统计局, 上海市2010年人口普查资料, table 8-2b); national 2010 census 90+ 22% and 100+ 29.2% [W];
#     75-89 filled geometrically between 70-74 and 90-94;
#   level: scaled so that the 60+ total in the 2020 census age structure equals the 2020 census
#     2.34% "unhealthy, cannot look after oneself" (NBS 2020 census long form, via a mirrored article [W]).
#   Both-sex values: 60-64 0.56, 65-69 0.82, 70-74 1.99, 75-79 3.42, 80-84 5.86, 85-89 10.1, 90-94 17.3, 95+ 20.1 %.
#   90% interval: one factor x0.55 ... x1.6 for all ages, a judgement spanning the cited definitions
#     (Beijing 2015 ADL 5+ items about 1.31%; Southwest China 2020 Barthel severe 1.1%; 2010 census 2.95%;
#     Shanghai town 2010 3.65%); not a statistical confidence interval.
#   Sexes: women = 1.25 x men [D] (Shaanxi 2020 census 2.3/1.8; Chen et al. 2023 21.4/17.9), the both-sex
#     value kept in China's 2020 population by sex (UN WPP 2019): an ASSUMPTION, not a published split.
# Written by scripts/derive-prevalence.py.
""",
    "adl_dependency_china.csv": """\
# Any basic-ADL dependency (needs help with at least one of eating, dressing, bathing, toileting,
# transfer, continence) among persons aged 60+ in China, by sex and 5-year age group (lower bound;
# 85 = 85+), fraction of persons. Columns low_90/high_90: 90% interval.
# DERIVED [D], not a published age table (fact sheet need-sources.md, table D2):
#   shape: ratios of the age groups of Chen Y et al. (2023), Prevalence of the Activities of Daily Living
#     Disability among Seniors in China: A Meta-Analysis, Int J Frontiers in Medicine 5(8),
#     doi:10.25236/IJFM.2023.050801 (10.8 : 21.2 : 47.0 for 60-69 : 70-79 : oldest), log-linear by 5 years;
#   level: 7.8% of 60+, the CHARLS 2020 count of 20.6 million with any-ADL difficulty (Gong J et al. 2022,
#     Lancet Public Health 7(12):e1005-e1013, doi:10.1016/S2468-2667(22)00203-1; count via a news report [W])
#     over the 2020 census count of persons aged 60+.
#   Both-sex values: 60-64 3.7, 65-69 5.2, 70-74 7.3, 75-79 10.5, 80-84 15.5, 85+ 25.7 %.
#   90% interval: one factor x0.55 ... x1.7 for all ages, a judgement: lower end Xiamen 4.27% (Katz;
#     Chen W et al. 2015, PLoS ONE 10:e0131014) and Beijing 2015 4.78%; upper end CHNS 9.9% (Liang Y et al.
#     2015, J Gerontol A 70:739) and CHARLS level 2 (about 13.7%, which adds IADL items).
#   Sexes: women = 1.25 x men [D], the both-sex value kept in China's 2020 population by sex (UN WPP 2019):
#     an ASSUMPTION, not a published split.
# Written by scripts/derive-prevalence.py.
""",
    "dementia_prevalence_china.csv": """\
# Dementia (all causes) among persons aged 60+ in China, by sex and 5-year age group (lower bound;
# 85 = 85+), fraction of persons. Columns low_90/high_90: 90% interval.
# DERIVED [D], not a published age table (fact sheet need-sources.md, table D3):
#   level: 6.0% of 60+, age- and sex-adjusted (Jia L et al. 2020, Prevalence, risk factors, and management
#     of dementia and mild cognitive impairment in adults aged 60 years or older in China, Lancet Public
#     Health 5(12):e661-e671, doi:10.1016/S2468-2667(20)30185-7; 46,011 adults, 2015-2018);
#   shape: Jia's age odds ratios 2.69 and 6.60, ASSUMED to be 70-79 and 80+ against 60-69 (the groups are
#     not named in the part read, and covariate-adjusted ORs are used as a crude gradient), split into
#     5-year groups log-linearly (doubling every 7-9 years of age), re-scaled to 6.0%.
#   Both-sex values: 60-64 2.2, 65-69 3.6, 70-74 5.7, 75-79 8.8, 80-84 13.0, 85+ 21.5 %.
#   90% interval: one factor x0.7 ... x1.25 for all ages, a judgement spanning national 60+ estimates from
#     4.22% (Qi S et al. 2021, Front Public Health 9:733314) to 7.4% (Wang YQ et al. 2019, Geriatr Gerontol
#     Int, doi:10.1111/ggi.13778); Wu YT et al. 2018 (Int J Epidemiol 47:709) 5.3% and the Shanghai Aging
#     Study 5.0% (Ding D et al. 2014, Neuroepidemiology 43:114) lie inside. Zhejiang 2014 13.0% (65+) lies
#     above: a user who trusts it should raise the level, not the shape.
#   Sexes: women = 1.25 x men [D] (2019 14-centre study 10.3/7.7 [W]), the both-sex value kept in China's
#     2020 population by sex (UN WPP 2019): an ASSUMPTION, not a published split.
# Written by scripts/derive-prevalence.py.
""",
}

# (file, factor low, factor high, [(lower age, upper age or None, both-sex %)])
TABLES = [
    ("severe_dependency_china.csv", 0.55, 1.6,
     [(60, 65, 0.56), (65, 70, 0.82), (70, 75, 1.99), (75, 80, 3.42), (80, 85, 5.86),
      (85, 90, 10.1), (90, 95, 17.3), (95, None, 20.1)]),
    ("adl_dependency_china.csv", 0.55, 1.7,
     [(60, 65, 3.7), (65, 70, 5.2), (70, 75, 7.3), (75, 80, 10.5), (80, 85, 15.5),
      (85, None, 25.7)]),
    ("dementia_prevalence_china.csv", 0.7, 1.25,
     [(60, 65, 2.2), (65, 70, 3.6), (70, 75, 5.7), (75, 80, 8.8), (80, 85, 13.0),
      (85, None, 21.5)]),
]


def main():
    pop = population()
    for name, low, high, groups in TABLES:
        rows = {"male": [], "female": []}
        for lo, hi, pct in groups:
            men, women = split(pop, lo, hi if hi is not None else 1000, pct / 100.0)
            rows["male"].append((lo, men))
            rows["female"].append((lo, women))
        with open(os.path.join(REF, name), "w") as f:
            f.write(HEADERS[name])
            f.write("sex,age,prevalence,low_90,high_90\n")
            for sex in ("male", "female"):
                for lo, p in rows[sex]:
                    f.write(f"{sex},{lo},{p:.8f},{p * low:.8f},{p * high:.8f}\n")


if __name__ == "__main__":
    main()
