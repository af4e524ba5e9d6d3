"""Planted parameters of the demo municipality (documented in ``docs/DEMO_TRUTH.md`` and copied
into ``truth.json``). Every other module of :mod:`shnro_research.demo` reads its constants here.
"""
from __future__ import annotations

GROUPS = ("students", "parents", "teachers")
INSTRUMENT_NAMES = ("students", "parents", "teachers", "school_passport", "results")
STRATA = ("city", "town", "village")
STRATUM_SHARE = (0.4, 0.3, 0.3)
#: classes sampled per school (stage 2, SRS)
CLASSES_PER_SCHOOL = 2

# within-school latent spread: respondent (shared within a scale) and item-specific parts
A_RESP, B_ITEM = 0.65, 0.75
RESULTS = dict(
    beta_context=0.70,          # z-units (1 = sigma_between points) per SD of context
    sd_u=0.50, u_trunc=0.80,    # non-planted school effects ~ N(0, 0.5^2) truncated to |u|<0.8
    sd_year=0.25,               # school x year noise
    sd_row=0.35,                # school x year x procedure x subject x grade noise
    sd_within=12.0,             # pupils' SD within a school (percentage points)
    below_min_z=-1.35,          # minimum threshold = mu - 1.35 * sd_within
    high_z=1.20,                # high-result threshold = mu + 1.2 * sd_within
    resilient_u=(1.2, 1.5), low_z=(-2.1, -1.8), high_u=(0.9, 1.1), unstable_swing=0.9,
)
PROCEDURES = {  # code: (name, [(subject, grade, mu, sigma_between, participation)])
    1: ("ВПР", [(s, g, 58.0 + (5 if s == 1 else -3), 8.0, 0.92) for g in (5, 6, 7, 8)
                for s in (1, 2)]),
    2: ("ОГЭ", [(1, 9, 64.0, 7.0, 0.98), (2, 9, 55.0, 8.0, 0.98)]),
    3: ("ЕГЭ", [(1, 11, 68.0, 6.0, 0.97), (2, 11, 52.0, 8.0, 0.55)]),
}
PASSPORT = {  # id: (mean share %, logit slope per SD of context, school noise SD)
    "low_income_pct": (20.0, -0.60, 0.30),
    "parents_higher_edu_pct": (30.0, 0.60, 0.30),
    "single_parent_pct": (22.0, -0.35, 0.25),
    "large_families_pct": (15.0, -0.30, 0.30),
    "social_risk_pct": (5.0, -0.50, 0.35),
    "registered_pct": (2.0, -0.50, 0.40),
    "non_native_pct": (6.0, -0.30, 0.50),
    "disability_pct": (4.0, -0.20, 0.35),
    "teachers_higher_cat_pct": (40.0, 0.40, 0.30),
    "unemployed_parents_pct": (8.0, -0.55, 0.30),
    "guardianship_pct": (2.0, -0.35, 0.35),
}
#: passport items not listed above, by role: (mean share %, slope)
PASSPORT_ROLE = {"context_negative": (10.0, -0.40), "context_positive": (30.0, 0.40)}
#: yes/no staffing items: logit P(yes) = a + 0.8 c_s + 0.8 city - 0.8 village
PASSPORT_YESNO = {"has_psychologist": 1.0, "has_social_pedagogue": 0.5, "has_defectologist": -0.5}
TENSION = dict(school_sd=0.30, trunc=1.8, context_slope=-0.15, group_sd=0.10,
               group_mu={"students": -0.4, "parents": -0.6, "teachers": -0.5},
               high_level={"students": 1.1, "parents": 1.0, "teachers": 0.5},
               discrepancy_level={"students": 1.1, "parents": 0.2, "teachers": -0.3})
PROGRAMME = dict(tension=-0.8, motivation=0.8, anxiety=-0.4)  # latent shift at the last wave
#: planted sex difference: girls' (sex code 2) school-anxiety latent is higher than the other
#: pupils' by this much (latent units; a respondent's latent SD within a school is ~1), added
#: deterministically and centred within each school x wave (girls + s (1 - p), others - s p,
#: p = realised share of girls), so school x wave means do not depend on the sex composition
SEX_ANXIETY = dict(group="students", female_code=2, shift=0.30)
#: programme monitoring (raw/programme_data.xlsx), one row per school x year, every school:
#: P(pupil / teacher counted) = logistic(logit(base/100) + c_slope c_s + u_slope u_s
#: + village_shift village + eta_s + programme path_sy + eps_sy), eta_s ~ N(0, school_sd^2),
#: eps_sy ~ N(0, year_sd^2); counts ~ Binomial(n_students or n_teachers, P); path_sy goes
#: linearly from 0 (first year) to 1 (last year) in the programme schools, 0 elsewhere.
#: column: (base %, c_slope, u_slope, village_shift, school_sd, programme, year_sd)
PROGRAMME_DATA = {
    "n_iom": (7.0, -0.25, -0.30, 0.0, 0.50, 1.80, 0.10),
    "n_add_edu": (66.0, 0.30, 0.0, -0.40, 0.30, 0.80, 0.08),
    "n_projects": (24.0, 0.30, 0.10, 0.0, 0.35, 1.00, 0.10),
    "n_individual_progress": (33.0, 0.15, 0.20, 0.0, 0.25, 0.90, 0.08),
    "fail_pct": (4.5, -0.40, -0.50, 0.0, 0.30, -1.50, 0.10),
    "marks_45_pct": (42.0, 0.35, 0.50, 0.0, 0.20, 0.45, 0.06),
    "n_teachers_trained": (25.0, 0.0, 0.0, 0.0, 0.50, 3.00, 0.15),
}
#: repeated anxiety diagnostics by a psychologist: share of pupils assessed (+ has_psychologist
#: in the passport) and share of the assessed whose anxiety fell (- high-tension schools)
ANXIETY_DIAG = dict(assessed=10.0, psychologist=1.0, assessed_programme=1.5, assessed_sd=0.40,
                    reduced=30.0, high_tension=-0.40, reduced_programme=1.0, reduced_sd=0.30,
                    year_sd=0.10)
#: missed lessons per pupil and year: exp(log(per_pupil) + c c_s + village + high_tension
#: + eta_s (sd) + programme path + eps_sy (year_sd)); missed_lessons = round(n_students x rate)
MISSED = dict(per_pupil=45.0, c=-0.10, village=0.10, high_tension=0.15, sd=0.15, programme=-0.30,
              year_sd=0.06)
#: regional diagnostic work (raw/diagnostics.csv): work -> [(grade, mu, sigma_between)]
DIAGNOSTICS = dict(works={"reading": [(4, 60.0, 7.0), (6, 57.0, 7.0)],
                          "science": [(8, 52.0, 8.0)]},
                   beta_context=0.60, u_weight=0.80, sd_work=0.30, sd_year=0.20, sd_row=0.20,
                   sd_within=14.0, participation=0.93, programme=0.90)
#: regional values (raw/region.csv): pupils' scores ~ N(mu + sigma z_reg, sd_total^2) with
#: z_reg = zbar_cell + z_shift + a_cell + w_y: zbar_cell = the municipality's participants-
#: weighted mean true z of the procedure x subject over the years (the region is ahead of the
#: municipality by z_shift), a_cell ~ N(0, cell_sd^2), w_y ~ N(0, year_sd^2);
#: sd_total^2 = sd_within^2 + sigma^2 tau^2 (tau^2: population variance of a row's z)
REGION = dict(z_shift=0.15, cell_sd=0.05, year_sd=0.04)
#: a planted "no data" code in the programme monitoring (middle year, one non-programme school)
PROGRAMME_MISSING = dict(column="missed_lessons", code=-9)
CONSENSUS = dict(high_f=0.35, low_f=2.4, school_sd=0.42, ideal_scale=0.8)
#: teachers' community profile of the resilient schools (results' resilient_schools): their
#: school effect on these scales is set to level x school_sd (SD units of the school-level
#: distribution) instead of their random draw (high_results keeps its + 0.15 c_s)
RESILIENT_PROFILE = dict(level=2.0, scales=("pc_values", "leadership", "high_results",
                                            "demandingness"))
NEEDS = dict(imp_mu=1.2, real_mu={"students": 0.3, "parents": 0.4, "teachers": 0.2},
             gap_items=(2, 5, 7), gap_extra=-1.0)
PVQ_PROFILE = {  # latent means of the 10 Schwartz values by group
    "students": dict(self_direction=0.9, stimulation=0.7, hedonism=1.0, achievement=0.8,
                     power=0.2, security=0.5, conformity=-0.1, tradition=-0.4, benevolence=0.85,
                     universalism=0.45),
    "parents": dict(self_direction=0.7, stimulation=0.0, hedonism=0.2, achievement=0.5,
                    power=-0.1, security=1.2, conformity=0.6, tradition=0.4, benevolence=1.25,
                    universalism=0.85),
    "teachers": dict(self_direction=0.7, stimulation=-0.1, hedonism=0.05, achievement=0.4,
                     power=-0.4, security=1.1, conformity=0.8, tradition=0.6, benevolence=1.4,
                     universalism=1.15),
}
PVQ_ACQ_SD = 0.40
DELTA_SD, PVQ_DELTA_SD, NEED_DELTA_SD = 0.25, 0.10, 0.10   # item mean shifts (fixed by seed)
# Rokeach utilities: (stem in the option's Russian wording, students, parents, teachers)
ROKEACH_TERMINAL = [
    ("здоров", 1.60, 3.00, 3.00), ("интересн", 2.40, 1.40, 1.80), ("развлеч", 2.10, -0.50, -0.60),
    ("семейн", 1.80, 2.80, 2.40), ("позна", 0.40, 0.60, 2.20), ("друз", 2.20, 1.20, 1.20),
    ("любов", 1.95, 1.80, 1.60), ("материальн", 1.75, 1.95, 1.30), ("свобод", 1.55, 0.80, 0.80),
    ("уверен", 1.50, 1.00, 1.15), ("развити", 0.80, 0.85, 1.65), ("мудрост", 0.20, 1.05, 1.40),
    ("активн", 0.60, 0.65, 0.85), ("продуктивн", 0.00, 0.50, 0.60), ("признан", 0.50, 0.05, 0.20),
    ("красот", -0.20, 0.00, 0.45), ("творч", 0.35, -0.20, 0.65), ("других", -0.25, 0.20, 1.00),
]
ROKEACH_INSTRUMENTAL = [
    ("независим", 2.20, 0.80, 0.90), ("жизнерадост", 1.90, 1.20, 1.30),
    ("смелост", 1.70, 0.70, 0.80),
    ("образован", 1.50, 1.80, 2.30), ("ответствен", 1.30, 2.30, 2.45), ("честн", 1.20, 2.10, 2.00),
    ("воспитан", 0.80, 2.40, 1.80), ("вол", 1.10, 1.00, 0.90), ("запрос", 0.90, 0.10, 0.00),
    ("эффективн", 0.70, 0.90, 1.00), ("самоконтрол", 0.50, 0.95, 1.10),
    ("аккуратн", 0.20, 1.10, 0.60),
    ("широт", 0.60, 0.50, 1.20), ("терпим", 0.30, 0.75, 1.35), ("рационал", 0.40, 0.55, 0.50),
    ("исполнит", 0.10, 0.60, 0.70), ("непримирим", 0.00, -0.10, 0.10), ("чутк", 0.35, 0.85, 1.05),
]
LIFE_SUCCESS = [
    ("сем|брак", 1.00, 2.20, 2.00), ("дет", 0.00, 1.80, 1.20),
    ("богат|деньг|материальн|достат|доход|обеспеч", 1.80, 1.20, 0.60),
    ("карьер|должност", 1.20, 0.80, 0.40), ("интересн|любим", 1.40, 0.80, 1.60),
    ("здоров", 0.40, 1.60, 1.50), ("друз", 1.20, 0.30, 0.40),
    ("уважен|признан|авторитет", 0.60, 0.80, 1.40), ("образован", 0.50, 1.00, 0.90),
    ("слав|извест|популяр", 1.00, -0.50, -0.80), ("власт", 0.40, -0.50, -0.80),
    ("свобод|независ", 1.20, 0.40, 0.60), ("жиль|квартир|дом", 0.60, 0.90, 0.50),
    ("реализ|способн|талант", 1.10, 0.70, 1.30), ("польз|обществ", 0.20, 0.50, 1.20),
    ("спокойств|гармони", 0.30, 1.00, 1.10),
]
SUCCESS_WAYS = [
    ("образован|учеб|знани", 1.20, 1.80, 2.00), ("труд|упорств|усерд", 1.00, 1.60, 1.80),
    ("связ|знаком|блат", 1.60, 1.20, 0.60), ("талант|способн", 1.30, 0.80, 1.00),
    ("удач|вез", 0.90, 0.30, 0.00), ("родител|происхожд|семь", 0.70, 0.40, 0.30),
    ("нечест|хитр|обман|наглост", 0.60, 0.20, -0.20), ("честн", 0.20, 0.80, 1.00),
    ("деньг|богат", 1.00, 0.70, 0.40), ("характер|вол|целеустрем", 1.00, 1.10, 1.30),
    ("ладить|общени|люд", 0.90, 1.00, 1.10), ("инициатив|риск", 0.80, 0.60, 0.70),
    ("переезд|город", 0.80, 0.40, 0.20),
]
#: home language (students, parents): P(only Russian, Russian and another, mostly another)
HOME_LANGUAGE = (0.90, 0.07, 0.03)
#: teachers' weekly hours ~ N(mean, sd), rounded and clipped to the item's bounds
WORKLOAD = {"workload_hours": (22.0, 5.0), "work_hours_total": (44.0, 8.0)}
MISSING_CODE_RATE, BLANK_RATE = 0.02, 0.005
TEXT_ANSWERS = ("больше кружков и секций", "отремонтировать спортзал", "меньше домашних заданий",
                "нужен психолог", "улучшить питание в столовой", "всё устраивает",
                "больше внимания к безопасности", "нет", "затрудняюсь ответить",
                "чаще проводить родительские собрания", "обновить компьютеры")
