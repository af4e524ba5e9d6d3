"""One card per school of the study (every school with results, surveyed or not): its status,
results over the years, the survey measures beside the municipality's, the change since the
first wave with the smallest change the school could show, the teachers' community, and
recommendations chosen by stated rules (:data:`RULES`) from the school's own numbers.

Cells of fewer than ``min_cell`` respondents are hidden (``n<5``). Every recommendation is
written to ``schools/recommendations.csv`` with the rule and the numbers that chose it, so that
a reader (and ``tests/test_cards.py``) can check it follows from the rule.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from .document import ReportTable, write_school_card
from .labels import relabel
from .tables import BlankDocument, TableStyle, format_number


@dataclass(frozen=True)
class Rule:
    """A recommendation and the condition on the school's profile that selects it."""

    key: str
    condition: str                 # the rule in words, printed on the card
    ru: str
    en: str
    applies: Callable[[dict], bool]


def _ge(p, k, x):
    return p.get(k) is not None and p[k] >= x


#: The recommendation rules, in the order they are printed. ``p`` is the school's profile
#: (:func:`school_profile`); thresholds come from the study's parameters.
RULES = (
    Rule("tension_high", "индекс напряжённости учащихся ≥ порога «высокий» при достаточном "
         "числе ответивших",
         "Обсудить с учащимися и учителями источники напряжённости (конфликты, справедливость "
         "оценивания, безопасность); рассмотреть службу школьной медиации.",
         "Discuss the sources of tension with students and teachers (conflicts, fairness of "
         "marking, safety); consider a school mediation service.",
         lambda p: _ge(p, "tension_students", p["high_threshold"])),
    Rule("discrepancy", "учащиеся оценивают напряжённость значимо выше учителей",
         "Сопоставить восприятие школы учащимися и учителями на педагогическом совете: "
         "расхождение оценок напряжённости значимо.",
         "Compare how students and teachers see the school at a staff meeting: their ratings of "
         "tension differ significantly.",
         lambda p: bool(p.get("discrepancy"))),
    Rule("low_results", "школа с низкими результатами в последнем году и не резильентная",
         "Составить адресную программу повышения результатов: предметы и классы с долей ниже "
         "минимального порога, индивидуальные образовательные маршруты.",
         "Draw up a targeted plan to raise results: the subjects and grades with many pupils "
         "below the minimum, individual learning plans.",
         lambda p: bool(p.get("low_results")) and not p.get("resilient")),
    Rule("resilient", "резильентная школа",
         "Описать практики школы, которые помогают ей превосходить ожидания при её контексте, "
         "и поделиться ими с другими школами муниципалитета.",
         "Describe the practices that help the school do better than its context predicts and "
         "share them with other schools of the municipality.",
         lambda p: bool(p.get("resilient"))),
    Rule("context", "неблагоприятный социальный контекст в последнем году",
         "Привлечь ресурсы социальной поддержки семей (социальный педагог, психолог, "
         "межведомственное взаимодействие).",
         "Bring in family support (social pedagogue, psychologist, other agencies).",
         lambda p: bool(p.get("unfavourable"))),
    Rule("agreement", "согласованность профессиональных ценностей учителей rwg(j) < 0,70",
         "Работа над общими профессиональными ценностями коллектива: совместное обсуждение "
         "целей школы и требований к ученикам.",
         "Work on the staff's shared professional values: discuss the school's aims and its "
         "expectations of students together.",
         lambda p: p.get("rwg_pc_values") is not None and p["rwg_pc_values"] < 0.7),
    Rule("motivation", "учебная мотивация учащихся ниже муниципальной (интервалы не пересекаются)",
         "Мероприятия по повышению учебной мотивации: проектная деятельность, связь учёбы с "
         "планами учащихся.",
         "Raise learning motivation: project work, linking learning to students' plans.",
         lambda p: bool(p.get("motivation_below"))),
)


def school_profile(school: str, t: dict[str, pd.DataFrame], *, last: int, min_cell: int,
                   high_threshold: float, alpha: float) -> dict:
    """The numbers the rules read, for one school (``None`` where the school has no data)."""
    p: dict = {"school_id": school, "high_threshold": high_threshold}
    low = t["low_results"]
    p["low_results"] = bool(low[(low.school_id == school) & (low.year == last)].flagged.any())
    res = t["resilient_schools"]
    p["resilient"] = bool(res[res.school_id == school].resilient.any())
    unf = t["unfavourable_context"]
    p["unfavourable"] = bool(unf[(unf.school_id == school) & (unf.year == last)].unfavourable.any())
    typ = t["typology"]
    p["type"] = typ.loc[typ.school_id == school, "type"].iloc[0] if (typ.school_id == school).any() \
        else None
    ts = t["tension_by_school"]
    row = ts[(ts.school_id == school) & (ts.group == "students") & (ts.wave == last)
             & (ts.n >= min_cell)]
    p["tension_students"] = float(row.est.iloc[0]) if len(row) else None
    cmp_ = t["tension_group_comparison"]
    d = cmp_[(cmp_.school_id == school) & (cmp_.wave == last) & (cmp_.group_a == "students")
             & (cmp_.group_b == "teachers") & (cmp_.n_a >= min_cell) & (cmp_.n_b >= min_cell)]
    p["discrepancy"] = bool(((d.p_adjusted < alpha) & (d.est > 0)).any())
    ag = t["teacher_agreement"]
    a = ag[(ag.school_id == school) & (ag.wave == last) & (ag.scale == "pc_values")]
    p["rwg_pc_values"] = float(a.est.iloc[0]) if len(a) and pd.notna(a.est.iloc[0]) else None
    est, mun = t["estimates_by_school"], t["estimates_municipality"]
    m = est[(est.school_id == school) & (est.group == "students") & (est.wave == last)
            & (est.variable == "motivation") & (est.n >= min_cell)]
    mm = mun[(mun.group == "students") & (mun.wave == last) & (mun.variable == "motivation")]
    p["motivation_below"] = bool(len(m) and len(mm) and m.ci_high.iloc[0] < mm.ci_low.iloc[0])
    return p


def school_profiles(t: dict[str, pd.DataFrame], schools: list[str], *, last: int, min_cell: int,
                    high_threshold: float, alpha: float) -> list[dict]:
    """:func:`school_profile` of every school at once (vectorised: a national study has 40,000
    schools); the same numbers, in the order of ``schools``."""
    idx = pd.Index(schools)

    def sid(d: pd.DataFrame) -> pd.Series:
        return d["school_id"].astype(str)

    def any_by(d: pd.DataFrame, col: str) -> pd.Series:
        return d[col].astype(bool).groupby(sid(d)).any().reindex(idx, fill_value=False)

    def first(d: pd.DataFrame, col: str) -> pd.Series:
        d = d.assign(_s=sid(d)).drop_duplicates("_s", keep="first")
        return d.set_index("_s")[col].reindex(idx)

    low = t["low_results"]
    unf = t["unfavourable_context"]
    ts = t["tension_by_school"]
    cmp_ = t["tension_group_comparison"]
    ag = t["teacher_agreement"]
    est, mun = t["estimates_by_school"], t["estimates_municipality"]
    low_r = any_by(low[low.year == last], "flagged")
    res = any_by(t["resilient_schools"], "resilient")
    unf_r = any_by(unf[unf.year == last], "unfavourable")
    typ = t["typology"]
    has_typ = idx.isin(sid(typ))
    typ_r = first(typ, "type")
    trow = ts[(ts.group == "students") & (ts.wave == last) & (ts.n >= min_cell)]
    has_t, tens = idx.isin(sid(trow)), first(trow, "est")
    d = cmp_[(cmp_.wave == last) & (cmp_.group_a == "students") & (cmp_.group_b == "teachers")
             & (cmp_.n_a >= min_cell) & (cmp_.n_b >= min_cell)]
    disc = ((d.p_adjusted < alpha) & (d.est > 0)).groupby(sid(d)).any().reindex(
        idx, fill_value=False)
    a = ag[(ag.wave == last) & (ag.scale == "pc_values")]
    rwg = first(a, "est")
    m = est[(est.group == "students") & (est.wave == last) & (est.variable == "motivation")
            & (est.n >= min_cell)]
    mm = mun[(mun.group == "students") & (mun.wave == last) & (mun.variable == "motivation")]
    ci_high = first(m, "ci_high")
    below = (ci_high < mm.ci_low.iloc[0]).fillna(False) if len(mm) else \
        pd.Series(False, index=idx)
    below = below & idx.isin(sid(m))
    out = []
    for i, school in enumerate(schools):
        r = rwg.iloc[i]
        out.append({"school_id": school, "high_threshold": high_threshold,
                    "low_results": bool(low_r.iloc[i]), "resilient": bool(res.iloc[i]),
                    "unfavourable": bool(unf_r.iloc[i]),
                    "type": typ_r.iloc[i] if has_typ[i] else None,
                    "tension_students": float(tens.iloc[i]) if has_t[i] else None,
                    "discrepancy": bool(disc.iloc[i]),
                    "rwg_pc_values": float(r) if pd.notna(r) else None,
                    "motivation_below": bool(below.iloc[i])})
    return out


def recommendations(profile: dict) -> list[Rule]:
    """The rules that apply to a school's profile, in :data:`RULES` order."""
    return [r for r in RULES if r.applies(profile)]


def _status_table(p: dict, lang: str) -> pd.DataFrame:
    yes, no = ("да", "нет") if lang == "ru" else ("yes", "no")
    rows = [("Низкие результаты (последний год)", "Low results (last year)", p["low_results"]),
            ("Неблагоприятный контекст (последний год)", "Unfavourable context (last year)",
             p["unfavourable"]),
            ("Резильентная школа", "Resilient school", p["resilient"])]
    head = ("Признак", "Значение") if lang == "ru" else ("Status", "Value")
    out = [{head[0]: ru if lang == "ru" else en, head[1]: yes if v else no} for ru, en, v in rows]
    if p.get("type"):
        out.append({head[0]: "Группа по устойчивости результатов" if lang == "ru" else
                    "Group by stability of results", head[1]: p["type"]})
    return pd.DataFrame(out)


_CHANGE_VARIABLES = ["tension", "motivation", "anxiety", "rel_satisfaction"]
_CHANGE_COLUMNS = ["group", "variable", "wave_base", "wave_compare", "est", "ci_low", "ci_high",
                   "verdict"]


def _change_table(ch: pd.DataFrame, style: TableStyle, lang: str) -> pd.DataFrame:
    """The change rows the cards show (every school at once, ``school_id`` first), with the
    verdict in words: the direction of a detected change, else the smallest change the school
    could show (mdc)."""
    d = ch[ch.variable.isin(_CHANGE_VARIABLES)]
    if d.empty:
        return d
    verdict = []
    for cls, mdc in zip(d["classification"].tolist(), d["mdc"].tolist()):
        if cls in ("positive", "negative"):
            v = cls
        else:
            m = format_number(mdc, 1, style.sep)
            v = (f"не обнаружено (обнаружимо ≥ {m})" if lang == "ru"
                 else f"not detected (detectable ≥ {m})")
        verdict.append(v)
    return d.assign(verdict=verdict)[["school_id", *_CHANGE_COLUMNS]]


def _split(df: pd.DataFrame, key) -> dict[str, pd.DataFrame]:
    """school -> its rows (one groupby; ``key`` aligned with the rows)."""
    return {k: g for k, g in df.groupby(key, sort=False)}


_LOG_COLUMNS = ["school_id", "rule", "condition", "tension_students", "discrepancy",
                "low_results", "resilient", "unfavourable", "rwg_pc_values", "motivation_below"]


def _log_row(school: str, r: Rule, p: dict) -> dict:
    return {"school_id": school, "rule": r.key, "condition": r.condition,
            **{k: p[k] for k in _LOG_COLUMNS[3:]}}


def _card_jobs(t: dict[str, pd.DataFrame], schools: list[str], *, style: TableStyle,
               lang: str, last: int, min_cell: int, high_threshold: float, alpha: float,
               glossary: dict[str, str]) -> tuple[list, list]:
    """The tables of every school's card and the log rows, prepared once for all schools:
    each table is filtered, merged and relabelled once, then split by school (a card reads
    its own rows in O(1)); the profiles come from :func:`school_profiles`."""
    ru = lang == "ru"
    profiles = school_profiles(t, schools, last=last, min_cell=min_cell,
                               high_threshold=high_threshold, alpha=alpha)
    sr = t["school_results"]
    res = _split(relabel(sr[["year", "result", "below_min_pct", "high_pct", "wellbeing_index"]],
                         glossary, lang), sr["school_id"].astype(str))
    est, mun = t["estimates_by_school"], t["estimates_municipality"]
    el = est[est.wave == last]
    e = el[["group", "variable", "est", "ci_low", "ci_high", "n"]].merge(
        mun[mun.wave == last][["group", "variable", "est"]].rename(
            columns={"est": "municipality"}), on=["group", "variable"], how="left")
    e = _split(relabel(e, glossary, lang), el["school_id"].astype(str).to_numpy())
    ch = _change_table(t["change_by_school"], style, lang)
    change = {} if ch.empty else _split(relabel(ch[_CHANGE_COLUMNS], glossary, lang),
                                        ch["school_id"].astype(str).to_numpy())
    t_status = "Статус школы" if ru else "Status of the school"
    t_res = ("Результаты и индекс благополучия по годам" if ru else
             "Results and well-being index by year")
    t_est = (f"Показатели опроса, {last}: школа и муниципалитет" if ru else
             f"Survey measures, {last}: school and municipality")
    t_change = "Изменение с первой волны" if ru else "Change since the first wave"
    t_rec, c_rec = (("Рекомендации", "Рекомендация") if ru else
                    ("Recommendations", "Recommendation"))
    none = ("Рисков по правилам рекомендаций не выявлено." if ru else
            "No rule of the recommendations applies.")
    jobs, log = [], []
    for school, p in zip(schools, profiles):
        recs = recommendations(p)
        log += [_log_row(school, r, p) for r in recs]
        cards = [ReportTable(t_status, _status_table(p, lang))]
        for title, parts in ((t_res, res), (t_est, e), (t_change, change)):
            d = parts.get(school)
            if d is not None and len(d):
                cards.append(ReportTable(title, d))
        text = [f"{i}. {r.ru if ru else r.en} ({'правило' if ru else 'rule'}: {r.condition})"
                for i, r in enumerate(recs, 1)] or [none]
        cards.append(ReportTable(t_rec, pd.DataFrame({c_rec: text})))
        jobs.append((school, cards))
    return jobs, log


def _write_batch(jobs: list, folder, min_cell: int, style: TableStyle) -> None:
    blank = BlankDocument()         # one blank document filled again for every card
    for school, cards in jobs:
        write_school_card(school, cards, folder, min_n=min_cell, style=style, blank=blank)


def cards_wanted(mode: str, n_schools: int, max_schools: int) -> bool:
    """Whether the report writes one card per school: ``all``, ``none``, or ``auto`` (cards
    for at most ``max_schools`` schools; a national study gets :func:`write_national_summary`)."""
    return mode == "all" or (mode == "auto" and n_schools <= max_schools)


def write_cards(t: dict[str, pd.DataFrame], folder, *, style: TableStyle, lang: str,
                last: int, min_cell: int, high_threshold: float, alpha: float,
                glossary: dict[str, str], workers: int | None = None, mode: str = "all",
                max_schools: int = 1000) -> pd.DataFrame:
    """Write one card per school (or, when :func:`cards_wanted` says no, the national summary)
    and return the recommendations log (every school, either way).

    The tables are prepared once for all schools and split by school; the cards are written
    into one reused blank document each (:class:`~.tables.BlankDocument`) by ``workers``
    processes (default: one; up to 4 from 1000 cards). The files do not depend on the number
    of workers.
    """
    schools = sorted(set(t["school_results"].school_id.astype(str))
                     | set(t["estimates_by_school"].school_id.astype(str)))
    write = cards_wanted(mode, len(schools), max_schools)
    jobs, log = [], []
    if write:
        jobs, log = _card_jobs(t, schools, style=style, lang=lang, last=last,
                               min_cell=min_cell, high_threshold=high_threshold, alpha=alpha,
                               glossary=glossary)
    else:                   # no card: the rules' numbers for all schools at once
        for p in school_profiles(t, schools, last=last, min_cell=min_cell,
                                 high_threshold=high_threshold, alpha=alpha):
            log += [_log_row(p["school_id"], r, p) for r in recommendations(p)]
    if not write:
        write_national_summary(t, folder, style=style, lang=lang, last=last, min_cell=min_cell,
                               glossary=glossary, log=pd.DataFrame(log, columns=_LOG_COLUMNS))
    if workers is None:     # a pool pays only for many cards (400 on 2 loaded cores: 1 process
        # 11.7 s, 2 processes 15.2 s: forking a large parent and idle waits cost more)
        workers = min(os.cpu_count() or 1, 4) if len(jobs) >= 1000 else 1
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        batches = [jobs[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            for f in [pool.submit(_write_batch, b, folder, min_cell, style) for b in batches]:
                f.result()
    else:
        _write_batch(jobs, folder, min_cell, style)
    return pd.DataFrame(log, columns=_LOG_COLUMNS)


# -- the national summary ------------------------------------------------------------------------
_QUANTILES = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}


def _distribution(values: pd.DataFrame, by: list[str], col: str) -> pd.DataFrame:
    """Schools' values of ``col`` per ``by``: n_schools, min, deciles/quartiles, max and
    ``est``, the mean of the schools' values (unweighted: each school counts once)."""
    g = values.groupby(by, sort=True)[col]
    out = g.agg(n_schools="count", min="min", max="max", est="mean")
    for name, q in _QUANTILES.items():
        out[name] = g.quantile(q)
    return out[["n_schools", "min", *_QUANTILES, "max", "est"]].reset_index()


def national_tables(t: dict[str, pd.DataFrame], *, last: int, min_cell: int, top: int = 20,
                    log: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The summary a study of many schools gets instead of one card per school.

    * ``summary_distributions``: per group and survey measure of the last wave, the schools'
      design-based means (cells of at least ``min_cell`` respondents) as quantiles;
    * ``summary_results``: the schools' results (mean z-score) and shares below the minimum per
      year, as quantiles;
    * ``summary_top_bottom``: the ``top`` highest and lowest schools by result in the last year
      and by students' tension in the last wave (cells of at least ``min_cell``);
    * ``summary_by_type``: per group of schools by the stability of results (typology), the
      number of schools and the shares with low results, resilient, in an unfavourable context;
    * ``summary_recommendations``: how many schools each recommendation rule selects.
    """
    est = t["estimates_by_school"]
    e = est[(est.wave == last) & (est.n >= min_cell)]
    out = {"summary_distributions": _distribution(e, ["group", "variable"], "est")}
    sr = t["school_results"]
    res = _distribution(sr, ["year"], "result").assign(measure="result")
    if "below_min_pct" in sr:
        res = pd.concat([res, _distribution(sr, ["year"], "below_min_pct").assign(
            measure="below_min_pct")], ignore_index=True)
    out["summary_results"] = res[["measure", *[c for c in res.columns if c != "measure"]]]
    ranked = []
    lr = sr[sr.year == sr.year.max()][["school_id", "result"]].dropna()
    ts = t["tension_by_school"]
    tt = ts[(ts.group == "students") & (ts.wave == last) & (ts.n >= min_cell)]
    for measure, d, col in (("result", lr, "result"), ("tension_students", tt, "est")):
        d = d.sort_values([col, "school_id"], ascending=[False, True], kind="stable")
        for end, part in (("top", d.head(top)), ("bottom", d.iloc[::-1].head(top))):
            ranked.append(pd.DataFrame({"measure": measure, "end": end,
                                        "rank": range(1, len(part) + 1),
                                        "school_id": part["school_id"].astype(str).to_numpy(),
                                        "est": part[col].to_numpy(float),
                                        "n": part["n"].to_numpy() if "n" in part else pd.NA}))
    out["summary_top_bottom"] = pd.concat(ranked, ignore_index=True)
    last_year = sr.year.max()
    status = pd.DataFrame({"school_id": sorted(set(sr.school_id.astype(str)))})
    for name, table, col, year_col in (("low_results", "low_results", "flagged", "year"),
                                       ("resilient", "resilient_schools", "resilient", None),
                                       ("unfavourable", "unfavourable_context", "unfavourable",
                                        "year")):
        d = t[table]
        if year_col:
            d = d[d[year_col] == last_year]
        flag = d.assign(school_id=d.school_id.astype(str)).groupby("school_id")[col].any()
        status[name] = status.school_id.map(flag).fillna(False).astype(bool)
    typ = t["typology"]
    status["type"] = status.school_id.map(typ.assign(school_id=typ.school_id.astype(str))
                                          .drop_duplicates("school_id")
                                          .set_index("school_id")["type"]).fillna("—")
    g = status.groupby("type", sort=True)
    out["summary_by_type"] = pd.DataFrame({
        "n_schools": g.size(), "low_results_share": g["low_results"].mean(),
        "resilient_share": g["resilient"].mean(),
        "unfavourable_share": g["unfavourable"].mean()}).reset_index()
    if log is not None:
        out["summary_recommendations"] = (log.groupby(["rule", "condition"], sort=False)
                                          .size().rename("n_schools").reset_index())
    return out


def write_national_summary(t: dict[str, pd.DataFrame], folder, *, style: TableStyle, lang: str,
                           last: int, min_cell: int, glossary: dict[str, str],
                           log: pd.DataFrame | None = None) -> None:
    """Write :func:`national_tables` as ``schools/summary_*.{parquet,csv}`` and one document
    ``schools/summary.{html,docx}`` (no per-school card: ``report.cards: all`` asks for them)."""
    from pathlib import Path

    from .document import Section, write_report
    from .privacy import escape_formulas
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tabs = national_tables(t, last=last, min_cell=min_cell, log=log)
    ru = lang == "ru"
    titles = {"summary_distributions": ("Распределение школ по показателям опроса, "
                                        f"{last}", f"Schools' survey measures, {last}"),
              "summary_results": ("Распределение школ по результатам", "Schools' results"),
              "summary_top_bottom": ("Школы с наибольшими и наименьшими значениями",
                                     "Highest and lowest schools"),
              "summary_by_type": ("Группы школ по устойчивости результатов",
                                  "Groups of schools by stability of results"),
              "summary_recommendations": ("Сколько школ выбирает каждое правило рекомендаций",
                                          "Schools selected by each recommendation rule")}
    shown = []
    for name, df in tabs.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
        escape_formulas(df).to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
        shown.append(ReportTable(titles[name][0 if ru else 1], relabel(df, glossary, lang)))
    head = "Сводка по школам" if ru else "Summary of the schools"
    note = (f"Карточки школ не созданы: школ больше порога report.cards_max; "
            f"report.cards: all создаёт их. Ячейки менее {min_cell} респондентов не входят."
            if ru else f"No school cards: more schools than report.cards_max; report.cards: all "
            f"writes them. Cells of fewer than {min_cell} respondents are left out.")
    write_report([Section(head, [note], shown)], folder, name="summary", title=head,
                 style=style)
