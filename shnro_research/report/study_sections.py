"""Sections of the study report built from the newer tables: the measurement-invariance summary
and the register of schools with the objectivity screen (pure: tables in, tables out)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .document import Section
from .labels import COLUMN_LABELS, RESILIENCE_RULES, rule_names


def _ru(lang: str, ru: str, en: str) -> str:
    return ru if lang == "ru" else en


#: rows a table of the report (and its docx / tex / html / md copies) shows at most: a
#: national study's per-school lists run to tens of thousands of rows (a 500-page table);
#: the xlsx copy keeps every row. 1,000 rows: more than the schools of a region's municipal
#: studies, so municipal and regional reports are unchanged.
REPORT_MAX_ROWS = 1000

#: school ids one table cell lists at most (60, as the figures label at most 60 schools; a
#: national type has thousands, beyond the 32,767 characters an Excel cell holds)
MAX_IDS_IN_CELL = 60


def first_rows(df: pd.DataFrame, note: str, name: str, lang: str) -> tuple[pd.DataFrame, str]:
    """At most :data:`REPORT_MAX_ROWS` rows of a report table, the note saying so."""
    if len(df) <= REPORT_MAX_ROWS:
        return df, note
    note = (note + " " if note else "") + _ru(
        lang, f"Показаны первые {REPORT_MAX_ROWS} из {len(df)} строк; полная таблица — "
              f"в файле tables/{name}.xlsx.",
        f"The first {REPORT_MAX_ROWS} of {len(df)} rows are shown; the full table is "
        f"in tables/{name}.xlsx.")
    return df.head(REPORT_MAX_ROWS), note


def _ids_cell(ids: pd.Series, lang: str) -> str:
    """The school ids of a cell, the first ``MAX_IDS_IN_CELL`` and how many more."""
    ids = list(ids)
    text = ", ".join(ids[:MAX_IDS_IN_CELL])
    if len(ids) > MAX_IDS_IN_CELL:
        more = len(ids) - MAX_IDS_IN_CELL
        text += _ru(lang, f" и ещё {more}", f" and {more} more")
    return text


#: invariance levels as the reader sees them
_LEVELS = {"none": ("не установлена (структура различается)", "none (the structure differs)"),
           "configural": ("конфигуральная: та же структура, средние несравнимы",
                          "configural: same structure, means not comparable"),
           "metric": ("метрическая: связи сравнимы, средние — нет",
                      "metric: associations comparable, means not"),
           "scalar": ("скалярная: средние сравнимы", "scalar: means comparable"),
           "not estimated": ("не оценивалась", "not estimated")}


def invariance_summary(inv: pd.DataFrame, last: int) -> pd.DataFrame:
    """The highest invariance level that holds per scale: across groups in the last wave, across
    waves per group (``highest`` in none / configural / metric / scalar / not estimated)."""
    d = inv[(inv.across == "wave") | (pd.to_numeric(inv.wave, errors="coerce") == last)]
    rows = []
    keys = ["variable", "label", "across", "compared", "group"]
    for k, g in d.groupby(keys, dropna=False, sort=False):
        est = g[g.status == "estimated"].set_index("model")["holds"]
        if est.empty:
            level = "not estimated"
        else:
            level = "none"
            for m in ("configural", "metric", "scalar"):
                if m in est.index and bool(est[m]):
                    level = m
                else:
                    break
        rows.append(dict(zip(keys, k), highest=level, n=int(g.n.max())))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out[["label", "across", "compared", "group", "highest", "n"]].rename(
        columns={"label": "variable"})


_STATUSES = ("low_results", "unfavourable_context", "resilient", "crisis", "improvement")


def register_summary(reg: pd.DataFrame) -> pd.DataFrame:
    """Schools per year in each status of the register (``n`` of schools with the status known,
    ``share`` 0–1) — the numbers a municipality signs."""
    rows = []
    for year, d in reg.groupby("year", sort=True):
        row = {"year": int(year), "n": int(len(d))}
        for st in _STATUSES:
            if st in d:
                x = d[st].astype("boolean")
                row[st] = int(x.sum(skipna=True))
        rows.append(row)
    return pd.DataFrame(rows)


def register_rule_texts(typology: dict, lang: str) -> list[str]:
    """The register's rules with their thresholds and basis, as the reader reads them (the full
    basis, with sources, is in the models stage's ``register_rules`` table and docs/CONFIG.md)."""
    r = dict(typology.get("register") or {})
    lt = 100 * float(typology.get("low_threshold", 0.3))
    mp = int(typology.get("min_procedures", 2))
    yrs = int(r.get("same_procedure_years", 2))
    cut = float(r.get("low_context", -0.43))
    bench = float(r.get("benchmark", 0.0))
    csd, isd = float(r.get("crisis_sd", 3.0)), float(r.get("improvement_sd", 3.0))
    iy = int(r.get("improvement_years", 2))
    num = (lambda x: f"{x:g}".replace(".", ",")) if lang == "ru" else (lambda x: f"{x:g}")
    return [
        _ru(lang,
            f"ШНОР (низкие результаты): не менее {num(lt)}% участников ниже минимального порога "
            f"по {mp} и более оценочным процедурам в году или по одной процедуре {yrs} года "
            f"подряд. Основание: правило проекта по индикатору риска Рособрнадзора в пересказе "
            f"исследовательских материалов проекта; первоисточник (методика ФИОКО) здесь не "
            f"прочитан, поэтому порог — параметр исследования.",
            f"Low results (ШНОР): at least {num(lt)}% of participants below the minimum on {mp} "
            f"or more procedures in a year, or on one procedure {yrs} years running. Basis: a "
            f"project rule after Rosobrnadzor's risk indicator as quoted in the project's "
            f"research notes; the primary ФИОКО method could not be read here, so the threshold "
            f"is a study parameter."),
        _ru(lang,
            f"ШФНСУ (неблагоприятный контекст): индекс благополучия не выше {num(cut)} SD "
            f"базового года — около нижней трети школ базового года (как в правилах "
            f"резильентности, OECD 2011); программы числового порога не задают; порог "
            f"фиксирован во времени, поэтому доля ШФНСУ может меняться.",
            f"Unfavourable context (ШФНСУ): well-being index at or below {num(cut)} SD of the "
            f"reference year — about the bottom third of the reference year's schools (as in "
            f"the resilience rules, OECD 2011); the programmes set no numeric cut-off; fixed over "
            f"years, so the share of ШФНСУ can change."),
        _ru(lang,
            f"Резильентная школа: тот же порог контекста, нет низких результатов и индекс "
            f"результатов не ниже {num(bench)} (среднее муниципалитета базового года); понятие "
            f"ВШЭ, приведённое в программе Казачинского района; порог — параметр проекта.",
            f"Resilient school: the same context cut-off, no low results and a results index of "
            f"at least {num(bench)} (the municipality's mean of the reference year); the HSE "
            f"notion quoted by the Kazachinsky programme; the benchmark is a project parameter."),
        _ru(lang,
            f"Кризис: индекс результатов упал за год не менее чем на {num(csd)} устойчивых SD "
            f"годовых изменений всех школ (контрольные карты Шухарта); наибольший устойчивый "
            f"рост: рост в каждом из последних {iy} лет, в сумме не менее {num(isd)} устойчивых "
            f"SD (формулировка программы Кировграда; порог — параметр проекта).",
            f"Crisis: the results index fell within a year by at least {num(csd)} robust SDs of "
            f"all schools' year-to-year changes (Shewhart control charts); largest stable "
            f"improvement: a rise in each of the last {iy} years, at least {num(isd)} robust SDs "
            f"in all (the Kirovgrad programme's wording; the threshold is a project "
            f"parameter)."),
    ]


def register_section(tables, table, lang: str, last: int, typology: dict) -> Section:
    reg = tables.table("models", "register")
    summ = register_summary(reg)
    paras = [_ru(lang, "Реестр школ по годам: статусы определяются абсолютными правилами (не "
                       "долями школ), поэтому число школ с низкими результатами может снижаться. "
                       "Неблагоприятный контекст (ШФНСУ) и резильентность используют один порог "
                       "индекса благополучия.",
                 "The register of schools by year: statuses follow absolute rules (not shares of "
                 "schools), so the number of low-result schools can fall. Unfavourable context "
                 "(ШФНСУ) and resilience use one cut-off of the well-being index.")]
    paras += register_rule_texts(typology, lang)
    pieces = [table("register_summary", summ,
                    _ru(lang, "Реестр: число школ в каждом статусе по годам",
                        "Register: schools in each status by year"),
                    note=_ru(lang, "Абсолютные правила реестра (typology.register); без выборки и "
                                   "без проверки гипотез — это сплошной учёт школ; n — школы с "
                                   "известными данными года.",
                             "The register's absolute rules (typology.register); no sample and "
                             "no test — a census of schools; n = schools with the year's data."))]
    if tables.has_table("models", "register_transitions"):
        tr = tables.table("models", "register_transitions")
        tr = tr[tr.status.isin(["low_results", "resilient"])]
        i = 0 if lang == "ru" else 1
        tr = tr.assign(status=tr.status.map(lambda v: COLUMN_LABELS.get(v, (v, v))[i]))
        pieces.append(table("register_transitions",
                            tr[["status", "from_year", "to_year", "transition", "n", "share"]],
                            _ru(lang, "Переходы школ между статусами от года к году",
                                "Schools moving between statuses year to year"),
                            note=_ru(lang, "Сплошной учёт; доля — от школ исходного состояния; "
                                           "без проверки гипотез.",
                                     "Census; share of the schools in the starting state; no "
                                     "test.")))
    if tables.has_table("models", "objectivity_screen"):
        ob = read_columns(tables, "models", "objectivity_screen",
                          ["school_id", "year", "flagged", "mean_mark", "term_mark_mean"])
        fl = ob[ob.flagged.astype(bool)]
        if len(fl):
            by = (fl.groupby(["school_id", "year"])
                  .agg(n=("flagged", "size"), mean_mark=("mean_mark", "mean"),
                       term_mark_mean=("term_mark_mean", "mean")).reset_index())
            paras.append(_ru(lang, f"Проверка объективности ВПР: признаки необъективности у "
                                   f"{fl.school_id.nunique()} школ.",
                             f"Objectivity screen of ВПР: signs of non-objective results in "
                             f"{fl.school_id.nunique()} schools."))
            pieces.append(table(
                "objectivity_flagged", by,
                _ru(lang, "Результаты ВПР с признаками необъективности (школа × год)",
                    "ВПР results with signs of non-objectivity (school × year)"),
                note=_ru(lang, "Строка отмечена, если одновременно: (а) отметки ВПР выше "
                               "четвертных (≥ 30% учащихся выше своей отметки, биномиальный "
                               "критерий против других школ, или разница ≥ 0,5 балла) и (б) "
                               "распределение отметок смещено вверх (избыток «5», нехватка «2» — "
                               "биномиальные критерии; G-критерий против региона); правило "
                               "проекта по опубликованному подходу Рособрнадзора; без поправки на "
                               "множественные сравнения; n — число отмеченных строк (предмет × "
                               "класс). Признак — повод для проверки, не доказательство.",
                         "A row is flagged when both hold: (a) ВПР marks above term marks (≥ 30 % "
                         "of pupils above their own mark, binomial test against the other "
                         "schools, or a gap ≥ 0.5 mark) and (b) marks shifted up (too many 5s, "
                         "too few 2s — binomial tests; G test against the region); a project "
                         "rule after Rosobrnadzor's published approach; no adjustment for "
                         "multiple comparisons; n = flagged rows (subject × grade). A sign is a "
                         "reason to check, not proof.")))
    return Section(_ru(lang, "Реестр школ и объективность результатов",
                       "Register of schools and objectivity of results"), paras, pieces)


def read_columns(tables, stage: str, name: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of a stage table: only they are read from its parquet file when the report
    stage hands in the file's path (``tables.table_path``), else cut from the whole table."""
    if hasattr(tables, "table_path"):
        return pd.read_parquet(tables.table_path(stage, name), columns=list(columns))
    return tables.table(stage, name)[list(columns)]


#: columns of ``respondent_scores`` that are not scales
_ID_COLUMNS = ("resp_id", "school_id", "class_id", "wave", "group")


def scale_descriptives(tables, last: int, *, chunk: int = 8) -> pd.DataFrame:
    """Mean, SD and n (non-missing answers) of every scale of ``respondent_scores`` per
    respondent group in wave ``last``, unweighted; one row per group × scale with an answer,
    sorted by group and scale.

    A national study has millions of questionnaires: the wave and group columns are read once,
    the scales from the parquet file ``chunk`` columns at a time (``tables.table_path``), each
    summarised by a grouped mean / SD / count over the wave's rows — never a long table of
    every answer.
    """
    if hasattr(tables, "table_path"):
        import pyarrow.parquet as pq
        path = tables.table_path("scoring", "respondent_scores")
        names = pq.read_schema(path).names
        keys = pd.read_parquet(path, columns=["wave", "group"])

        def read(cols):
            return pd.read_parquet(path, columns=cols)
    else:
        sc = tables.table("scoring", "respondent_scores")
        names, keys = list(sc.columns), sc[["wave", "group"]]

        def read(cols):
            return sc[cols]
    keep = (keys["wave"] == last).to_numpy()
    group = keys["group"][keep].reset_index(drop=True)
    value_cols = [c for c in names if c not in _ID_COLUMNS and not c.endswith("_n_valid")]
    parts = []
    for i in range(0, len(value_cols), chunk):
        cols = value_cols[i:i + chunk]
        d = read(cols)
        for c in cols:
            s = pd.Series(d[c].to_numpy()[keep]).groupby(group).agg(["mean", "std", "count"])
            parts.append(pd.DataFrame({"group": s.index, "scale": c, "mean": s["mean"].to_numpy(),
                                       "sd": s["std"].to_numpy(),
                                       "n": s["count"].to_numpy(dtype="int64")}))
        del d
    if not parts:
        return pd.DataFrame(columns=["group", "scale", "mean", "sd", "n"])
    out = pd.concat(parts, ignore_index=True)
    out = out[out.n > 0]
    return out.sort_values(["group", "scale"], kind="mergesort").reset_index(drop=True)


def _flagged_years(low: pd.DataFrame) -> pd.DataFrame:
    """The low-result schools and their flagged years ("2022, 2024"), one row per school sorted
    by id — one grouped join, not a Python function per school."""
    fl = low.loc[low.flagged.astype(bool), ["school_id", "year"]].sort_values(
        ["school_id", "year"], kind="mergesort")
    return (fl["year"].astype(str).groupby(fl["school_id"], sort=True).agg(", ".join)
            .rename("years").reset_index())


def _rules_named(res: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Which resilience rules a school meets, in words (``rules``); named once per distinct
    combination of rules, not once per school."""
    keys = list(RESILIENCE_RULES)
    fired = np.column_stack([res[f"resilient_{k}"].astype(bool).to_numpy()
                             if f"resilient_{k}" in res else np.zeros(len(res), bool)
                             for k in keys]) if keys else np.zeros((len(res), 0), bool)
    combos, which = np.unique(fired, axis=0, return_inverse=True)
    names = [rule_names([k for k, on in zip(keys, row) if on], lang) for row in combos]
    return res.assign(rules=[names[i] for i in np.ravel(which)])
