"""The study report: publication tables, figures, the report document and per-school cards.

Built from the tables of the earlier stages (the report stage hands them in) into ``08_report/``:

* ``tables/<name>.{docx,xlsx,tex,html,md}`` — APA tables for papers (labels in the study's
  language, decimal comma in Russian);
* ``figures/<name>.{png,svg,pdf}`` — results vs context with quadrants and resilient schools,
  tension by school and group, value hierarchies, dynamics with CIs, caterpillar plot;
* ``report.html`` and ``report.docx`` — the study report;
* ``schools/school_<id>.{html,docx}`` — one card per school, cells with fewer than
  ``report.min_cell`` (default 5) respondents suppressed.
"""
from __future__ import annotations

import re

import pandas as pd

from ..instruments import load_instrument
from .document import ReportFigure, ReportTable, Section, write_report
from .figures import (FigureSaver, caterpillar, many_schools, plot_achievement, plot_trend,
                      results_vs_context, tension_by_school, value_hierarchies)
from .labels import SECTION_TITLES as _TXT
from .labels import VALUE_LABELS, relabel, rule_names
from .findings import _ADJUST_RU, build_findings, findings_table, limitations
from .labels import GROUP_LABELS
from .study_sections import (_LEVELS, _flagged_years, _ids_cell, _rules_named, first_rows,
                             invariance_summary, read_columns, register_section,
                             scale_descriptives)
from .paper import methods_text, write_paper
from .cards import write_cards
from .privacy import escape_formulas, publishable
from .tables import TableStyle, export_table

TABLE_FORMATS = ("docx", "xlsx", "tex", "html", "md")

def _ru(lang: str, ru: str, en: str) -> str:
    return ru if lang == "ru" else en


_ID = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def reader_achievement(at: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The achievement table as a reader sees it: programme names instead of catalogue ids, no
    internal indicator codes; notes that name internal tables or columns are shortened to what
    they say ("нет данных в формах исследования") — the full notes stay in the dynamics stage's
    ``indicators`` table."""
    i = 0 if lang == "ru" else 1
    out = at.copy()
    prog = out.columns[0]
    out[prog] = out[prog].map(lambda v: VALUE_LABELS.get(v, (v, v))[i] if isinstance(v, str)
                              else v)
    code = "Код" if lang == "ru" else "Code"
    out = out.drop(columns=[code], errors="ignore")
    note = "Примечание" if lang == "ru" else "Note"
    short = _ru(lang, "не вычисляется по данным исследования (см. каталог программы)",
                "not computable from the study's data (see the programme catalogue)")
    value = "Значение" if lang == "ru" else "Value"
    if note in out:
        internal = out[note].map(lambda v: isinstance(v, str) and bool(_ID.search(v)))
        missing = out[value].isna() if value in out else internal
        out.loc[internal & missing, note] = short
        out.loc[internal & ~missing, note] = ""
    return out


def write_study_report(tables, out, *, lang: str, title: str, waves: list[int],
                       glossary: dict[str, str], min_cell: int,
                       thresholds: tuple[float, float, float], typology: dict,
                       alpha: float, adjust: str, index_weights: str, meaningful_sd: float,
                       achievement: pd.DataFrame, cards: str = "all",
                       cards_max: int = 1000) -> None:
    """Write the study report, its tables in every paper format, its figures and the cards
    (``cards``: all, none, or auto = cards up to ``cards_max`` schools, else the national summary).

    ``glossary`` maps the study's ids (scales, items, components, indicators) to their labels
    from the instruments; every table is relabelled with it before it is shown.
    ``tables`` gives the earlier stages' tables: ``tables.table(stage, name)`` and
    ``tables.has_table(stage, name)`` (the report stage's context). ``achievement`` is the
    indicator table already formatted for readers. ``min_cell`` is the privacy rule applied to
    every school-level table and figure; ``thresholds`` the tension levels used by scoring and
    ``typology`` the cut-offs of the models stage, both printed in the captions; ``alpha`` the
    significance level the findings use (``dynamics.alpha``). The report opens with the key
    findings (:mod:`.findings`), each citing its table; ``findings.csv`` holds the evidence of
    every number they quote.
    """
    style = TableStyle(lang=lang)

    def g(x: float) -> str:
        """A parameter in prose, with the report's decimal mark (25, 0,33, 1,5)."""
        return f"{x:g}".replace(".", style.sep)
    figs = out / "figures"
    tables_dir = out / "tables"
    t = _TXT[lang]
    last = max(waves)
    sections: list[Section] = []
    ntab = [0]
    numbers: dict[str, int] = {}

    def table(name: str, df: pd.DataFrame, title: str, note: str = "", panels=(),
              digits=None) -> ReportTable:
        """Export one table in every paper format and return it for the report."""
        ntab[0] += 1
        numbers[name] = ntab[0]
        df = relabel(df, glossary, lang)
        panels = [(h, relabel(d, glossary, lang)) for h, d in panels]
        export_table(df, tables_dir / f"{name}.xlsx", title=title, note=note,
                     number=ntab[0], style=style, panels=panels, digits=digits)
        df, note = first_rows(df, note, name, lang)   # national lists: the xlsx has them all
        for fmt in TABLE_FORMATS:
            if fmt != "xlsx":
                export_table(df, tables_dir / f"{name}.{fmt}", title=title, note=note,
                             number=ntab[0], style=style, panels=panels, digits=digits)
        return ReportTable(title, df, note, digits, panels)

    saver = FigureSaver()      # figures drawn in the background while the tables are written

    def figure(name: str, fig, title: str, note: str = "") -> ReportFigure:
        paths = saver.save(fig, figs / name)
        return ReportFigure(title, paths[0], note)

    # 1. data quality ----------------------------------------------------------------------
    counts = tables.table("responses", "row_counts")
    problems = read_columns(tables, "responses", "problems", ["group", "problem", "action"])
    psum = (problems.groupby(["group", "problem", "action"], observed=True).size()
            .rename("n").reset_index())
    sections.append(Section(t["data"], [
        _ru(lang, "Число строк в исходных файлах, принятых к анализу и исключённых; "
                   "исходные файлы не изменяются, каждая исключённая строка записана с причиной "
                   "(02_responses/exclusions.csv).",
            "Rows in the raw files, kept and excluded; raw files are never modified, each "
            "excluded row is logged with its reason (02_responses/exclusions.csv).")],
        [table("data_rows", counts.drop(columns=["file"]),
               _ru(lang, "Строки исходных файлов", "Rows of the raw files")),
         table("data_problems", psum, _ru(lang, "Проблемы данных", "Data problems"))]))

    # 2. descriptives and reliability ----------------------------------------------------------
    desc = scale_descriptives(tables, last)
    sections.append(Section(_ru(lang, "Описательные статистики", "Descriptive statistics"), [],
                            [table("descriptives", desc,
                                   _ru(lang, f"Шкалы по группам респондентов (без весов), {last}",
                                       f"Scales by respondent group (unweighted), {last}"),
                                   note=_ru(lang, "Без весов и без проверки гипотез; выборочные "
                                                  "оценки по муниципалитету — в таблице оценок с "
                                                  "учётом дизайна.",
                                            "Unweighted, no test; the municipality's "
                                            "design-based estimates are in the design table."))]))

    # reliability -------------------------------------------------------------------------
    rel = tables.table("scoring", "reliability")
    rel = rel[(rel.wave == "all")]
    piv = rel.pivot_table(index=["group", "scale", "n_items"], columns=["measure", "missing"],
                          values="est", aggfunc="first")
    piv.columns = [f"{m}_{mi}" for m, mi in piv.columns]
    keep = [c for c in ("alpha_raw_listwise", "alpha_std_listwise", "alpha_raw_pairwise",
                        "omega_total_listwise") if c in piv.columns]
    n_used = rel[(rel.measure == "alpha_raw") & (rel.missing == "listwise")].set_index(
        ["group", "scale", "n_items"])["n"]
    reltab = piv[keep].join(n_used).reset_index()
    sections.append(Section(t["rel"], [
        _ru(lang, "α Кронбаха (сырая и стандартизованная; listwise — как SPSS, pairwise — как "
                   "psych::alpha) и ω McDonald (однофакторная модель); n — полные наблюдения.",
            "Cronbach's α (raw and standardised; listwise as SPSS, pairwise as psych::alpha) and "
            "McDonald's ω total (one-factor model); n = complete cases.")],
        [table("reliability", reltab, _ru(lang, "Надёжность шкал по группам респондентов",
                                          "Reliability of scales by respondent group"),
               note=_ru(lang, "α Кронбаха: listwise — как SPSS, pairwise — как psych::alpha; "
                              "ω total — однофакторная модель; n — полные наблюдения; все волны "
                              "вместе. Порог 0,70 — соглашение (Nunnally 1978), не норма шкалы.",
                        "Cronbach's α: listwise as SPSS, pairwise as psych::alpha; ω total from "
                        "a one-factor model; n = complete cases; all waves pooled. The 0.70 "
                        "cut-off is a convention (Nunnally 1978), not a norm of the scale."))]))

    # measurement invariance: which comparisons of means are warranted -------------------------
    if tables.has_table("scoring", "measurement_invariance"):
        summ = invariance_summary(tables.table("scoring", "measurement_invariance"), last)
        if len(summ):
            sections[-1].tables.append(table(
                "measurement_invariance",
                summ.assign(
                    highest=summ.highest.map(lambda v: _LEVELS[v][0 if lang == "ru" else 1]),
                    across=summ.across.map({"group": _ru(lang, "между группами",
                                                         "across groups"),
                                            "wave": _ru(lang, "между волнами", "across waves")}),
                    compared=summ.compared.map(lambda v: ", ".join(
                        GROUP_LABELS[lang].get(x.strip(), x.strip()) for x in str(v).split(","))),
                    group=summ.group.map(lambda v: GROUP_LABELS[lang].get(v, v)
                                         if isinstance(v, str) else "")),
                _ru(lang, f"Измерительная инвариантность шкал между группами респондентов ({last}) "
                          f"и между волнами",
                    f"Measurement invariance of the scales across respondent groups ({last}) and "
                    f"across waves"),
                note=_ru(lang, "Конфирматорный факторный анализ (MLR, как lavaan), модели: "
                               "конфигуральная → метрическая → скалярная. Уровень принят, если "
                               "конфигуральная модель CFI ≥ 0,95 и RMSEA ≤ 0,06 (Hu & Bentler "
                               "1999), а каждый следующий снижает CFI не более чем на 0,01 "
                               "(Cheung & Rensvold 2002); Δχ² (Satorra — Bentler) приводится, но "
                               "не решает; без поправки на множественные сравнения. Между "
                               "группами — только пункты с общим parallel-идентификатором. "
                               "Средние сравнимы лишь при скалярной инвариантности.",
                         "Confirmatory factor analysis (MLR, as lavaan), models configural → "
                         "metric → scalar. A level holds if the configural model has CFI ≥ .95 "
                         "and RMSEA ≤ .06 (Hu & Bentler 1999) and each further level lowers CFI "
                         "by at most .01 (Cheung & Rensvold 2002); Δχ² (Satorra–Bentler) is "
                         "reported, not decisive; no adjustment for multiple comparisons. "
                         "Across groups only items with a shared parallel id. Means are "
                         "comparable only under scalar invariance.")))

    # 3. tension -----------------------------------------------------------------------------
    tg = tables.table("scoring", "tension_by_group")
    ts = tables.table("scoring", "tension_by_school")
    cmp_ = tables.table("scoring", "tension_group_comparison")
    bal = tables.table("scoring", "tension_balance")
    lo, mid, hi = thresholds
    ts_pub = publishable(ts[ts.wave == last], min_cell)
    fig_t = figure("tension_by_school",
                   tension_by_school(ts_pub, thresholds=thresholds, lang=lang),
                   _ru(lang, f"Индекс социальной напряжённости по школам и группам, {last} "
                             f"(группы не менее {min_cell} респондентов)",
                       f"Social tension index by school and group, {last} "
                       f"(groups of at least {min_cell} respondents)")
                   if not many_schools(ts_pub.school_id.nunique()) else
                   _ru(lang, f"Индекс социальной напряжённости школ по группам респондентов, "
                             f"{last}: распределение школ (ящик — квартили и медиана, усы — 5-й "
                             f"и 95-й процентили, ромб — среднее; n — школы с группой не менее "
                             f"{min_cell} респондентов; пунктир — уровни напряжённости). Школ "
                             f"слишком много для строки на каждую: значение каждой школы — в "
                             f"03_scoring/tension_by_school.csv, школы с высокой напряжённостью "
                             f"— в таблице раздела",
                       f"Social tension index of the schools by respondent group, {last}: "
                       f"distribution over schools (box: quartiles and median; whiskers: 5th "
                       f"and 95th percentiles; diamond: mean; n = schools with at least "
                       f"{min_cell} respondents in the group; dotted: tension levels). Too many "
                       f"schools for a row each: each school's value is in "
                       f"03_scoring/tension_by_school.csv, schools with high tension in the "
                       f"section's table"))
    disc = publishable(cmp_[(cmp_.wave == last) & (cmp_.p_adjusted < 0.05)], min_cell,
                       counts=("n_a", "n_b"))[
        ["school_id", "group_a", "group_b", "mean_a", "mean_b", "n_a", "n_b", "est", "p_adjusted"]]
    small_note = _ru(lang, f"Показаны только школы и группы, где ответили не менее {min_cell} "
                           f"респондентов.",
                     f"Only schools and groups with at least {min_cell} respondents are shown.")
    sections.append(Section(t["tension"], [
        _ru(lang, f"Индекс напряжённости 0–100 (среднее индикаторов, приведённое к шкале 0–100); "
                  f"уровни — соглашение проекта, не норма: < {g(lo)} низкий, {g(lo)}–{g(mid)} "
                  f"умеренный, {g(mid)}–{g(hi)} высокий, ≥ {g(hi)} критический. "
                  f"Баланс = % негативных − % позитивных ответов.",
            f"Tension index 0–100 (mean of indicators rescaled); levels are this project's "
            f"convention, not a norm: < {g(lo)} low, {g(lo)}–{g(mid)} moderate, {g(mid)}–{g(hi)} high, "
            f"≥ {g(hi)} critical. Balance = % negative − % positive answers.")],
        [table("tension_by_group", tg[["group", "wave", "est", "ci_low", "ci_high", "n",
                                       "tension_level"]],
               _ru(lang, "Индекс напряжённости по группам и волнам", "Tension index by group and wave"),
               note=_ru(lang, "Средние респондентов без весов; 95% ДИ — t-интервал, "
                              "респонденты считаются независимыми (кластеры классов и школ не "
                              "учтены, интервал узок); оценки с учётом многоступенчатой выборки "
                              "— в разделе о выборке. Уровни — соглашение проекта, не норма.",
                        "Unweighted respondents' means; 95% CI = t interval treating "
                        "respondents as independent (class and school clusters ignored, so too "
                        "narrow); design-based estimates are in the design section. Levels are "
                        "this project's convention, not a norm.")),
         table("tension_high_schools",
               ts_pub[ts_pub.tension_level.isin(["high", "critical"])][
                   ["school_id", "group", "est", "ci_low", "ci_high", "n", "tension_level"]],
               _ru(lang, f"Школы с высокой напряжённостью (индекс ≥ {g(mid)}), {last}",
                   f"Schools with high tension (index ≥ {g(mid)}), {last}"),
               note=_ru(lang, "Средние респондентов школы без весов; 95% ДИ — t-интервал "
                              "(респонденты независимы); без поправки на множественные "
                              "сравнения. ", "Unweighted means of the school's respondents; 95% "
                              "CI = t interval (respondents independent); no adjustment for "
                              "multiple comparisons. ") + small_note),
         table("tension_discrepancies", disc,
               _ru(lang, f"Расхождения оценок напряжённости между группами внутри школы, {last}",
                   f"Within-school differences in tension between groups, {last}"),
               note=_ru(lang, "t-критерий Уэлча; p скорректированы методом Холма внутри школы. ",
                        "Welch t test; p adjusted by Holm within school. ") + small_note),
         table("tension_balance", bal[bal.wave == last][["group", "item", "negative_pct",
                                                         "positive_pct", "est", "n"]],
               _ru(lang, "Индексы баланса по индикаторам напряжённости", "Balance indices by indicator"))],
        [fig_t]))

    # 4. values -----------------------------------------------------------------------------
    rk = tables.table("scoring", "rok_term_hierarchy")
    rk_last = rk[rk.wave == last]
    wide = rk_last.pivot_table(index="label", columns="group", values="mean_rank").reset_index()
    wide = wide.sort_values(wide.columns[1]).rename(columns={"label": "value"})
    kw = tables.table("scoring", "rok_term_kendall_w")
    hc = tables.table("scoring", "rok_term_group_correlation")
    fig_v = figure("values_terminal",
                   value_hierarchies(rk_last.assign(category=rk_last["label"]), lang=lang),
                   _ru(lang, f"Иерархия терминальных ценностей (средний ранг), {last}",
                       f"Hierarchy of terminal values (mean rank), {last}"))
    pvq = tables.table("scoring", "pvq_values")
    pvq_cols = [c for c in pvq.columns if c.endswith("_centred")]
    sections.append(Section(t["values"], [
        _ru(lang, "Ранги ипсативны (сумма рангов постоянна): альфа и факторный анализ к ним не "
                   "применяются; сравниваются иерархии (средние ранги, W Кендалла, ранговые "
                   "корреляции между группами).",
            "Ranks are ipsative: no alpha or factor analysis on them; hierarchies are compared "
            "(mean ranks, Kendall's W, rank correlations between groups).")],
        [table("values_terminal", wide, _ru(lang, f"Средние ранги терминальных ценностей, {last}",
                                            f"Mean ranks of terminal values, {last}")),
         table("values_kendall_w", kw, _ru(lang, "Согласованность иерархий (W Кендалла)",
                                           "Concordance of hierarchies (Kendall's W)"),
               note=_ru(lang, "W Кендалла; p — χ²-критерий Фридмана (df = число ценностей − 1), "
                              "без поправки на множественные сравнения; без весов.",
                        "Kendall's W; p from Friedman's χ² test (df = values − 1), no "
                        "adjustment for multiple comparisons; unweighted.")),
         table("values_group_correlation", hc[hc.wave == last],
               _ru(lang, "Корреляции иерархий ценностей между группами",
                   "Correlations of value hierarchies between groups"),
               note=_ru(lang, "Ранговые корреляции средних рангов (Спирмен, Кендалл) между "
                              "группами (ранги без весов); n — число ценностей; p без поправки.",
                        "Rank correlations of mean ranks (Spearman, Kendall) between groups "
                        "(unweighted ranks); n = number of values; p unadjusted.")),
         table("values_pvq", pvq[["group", "wave"] + pvq_cols],
               _ru(lang, "Ценности Шварца (PVQ-21), центрированные на среднем ответе респондента",
                   "Schwartz values (PVQ-21), centred on the respondent's mean answer"))],
        [fig_v]))

    # 5. life success; 6. needs ---------------------------------------------------------------
    ls = tables.table("scoring", "life_success")
    # shares are 0–1 in the data; the reader's table shows % of respondents
    lsw = (ls[ls.wave == last].assign(est=lambda d: 100 * d.est)
           .pivot_table(index="label", columns="group", values="est").reset_index())
    sw = tables.table("scoring", "success_ways")
    sww = (sw[sw.wave == last].assign(est=lambda d: 100 * d.est)
           .pivot_table(index="label", columns="group", values="est").reset_index())
    sections.append(Section(t["success"], [
        _ru(lang, "Множественный ответ: % респондентов, выбравших вариант (до трёх вариантов).",
            "Multiple response: % of respondents choosing the option (up to three).")],
        [table("life_success", lsw.rename(columns={"label": "option"}),
               _ru(lang, f"Что такое жизненный успех, % респондентов, {last}",
                   f"What is life success, % of respondents, {last}")),
         table("success_ways", sww.rename(columns={"label": "option"}),
               _ru(lang, f"Пути достижения успеха, % респондентов, {last}",
                   f"Ways to success, % of respondents, {last}"))]))
    ng = tables.table("scoring", "needs_gap")
    ng = ng.assign(need="need_imp_" + ng["need"].astype(str))   # labelled by its item
    sections.append(Section(t["needs"], [
        _ru(lang, "Разрыв = важность − реализованность в школе (шкала 1–5); парный t-тест.",
            "Gap = importance − realisation in school (1–5); paired t-test.")],
        [table("needs_gap", ng[ng.wave == last][["group", "need", "mean_importance",
                                                 "mean_realisation", "est", "ci_low", "ci_high",
                                                 "n", "p_value"]],
               _ru(lang, f"Важность и реализованность потребностей, {last}",
                   f"Importance and realisation of needs, {last}"),
               note=_ru(lang, "Разрыв = важность − реализованность; парный t-критерий по "
                              "респондентам без весов (кластеры не учтены); p без поправки на "
                              "множественные сравнения.",
                        "Gap = importance − realisation; paired t test over respondents, "
                        "unweighted (clusters ignored); p not adjusted for multiple "
                        "comparisons."))]))

    # 7. teachers' community ---------------------------------------------------------------------
    ag = tables.table("scoring", "teacher_agreement")
    icc = tables.table("scoring", "teacher_icc")
    agm = ag[ag.wave == last].groupby("scale").agg(rwg_j_median=("est", "median"),
                                                   ad_mean=("est_ad", "mean"),
                                                   n=("school_id", "size")).reset_index()
    icc_w = icc[icc.wave == last].pivot_table(index="scale", columns="measure",
                                              values="est").reset_index()
    sections.append(Section(t["community"], [
        _ru(lang, "Согласованность внутри школы: rwg(j) с равномерной нулевой моделью, "
                   "индекс AD; ICC(1) и ICC(2) по однофакторному дисперсионному анализу.",
            "Within-school agreement: rwg(j) with a uniform null, AD index; ICC(1), ICC(2) "
            "from one-way ANOVA.")],
        [table("teacher_agreement", agm, _ru(lang, "Согласованность профессиональных позиций учителей",
                                             "Agreement of teachers' professional positions")),
         table("teacher_icc", icc_w, _ru(lang, "ICC(1) и ICC(2) шкал учителей", "ICC(1), ICC(2) of teacher scales"))]))

    # 8. design-based estimates --------------------------------------------------------------------
    em = tables.table("design", "estimates_municipality")
    wd = tables.table("design", "weight_diagnostics")
    sections.append(Section(t["design"], [
        _ru(lang, "Средние по муниципалитету с учётом многоступенчатой выборки (страты, школы, "
                   "классы; линеаризация Тейлора, как R survey); эффект дизайна относительно "
                   "простой случайной выборки.",
            "Municipality means under the multistage design (strata, schools, classes; Taylor "
            "linearisation as R survey); design effect against simple random sampling.")],
        [table("estimates_municipality",
               em[em.wave == last][["group", "variable", "est", "se", "ci_low", "ci_high", "n",
                                    "deff"]],
               _ru(lang, f"Оценки по муниципалитету, {last}", f"Municipality estimates, {last}"),
               note=_ru(lang, "С учётом многоступенчатой выборки: страты, школы, классы, веса "
                              "1/(p_школы·p_класса·p_ученика); линеаризация Тейлора (как R "
                              "survey::svymean); 95% ДИ по t с числом ст. св. дизайна; без "
                              "проверки гипотез; deff — относительно простой случайной выборки.",
                        "Design-based: strata, schools, classes, weights 1/(p_school p_class "
                        "p_unit); Taylor linearisation (as R survey::svymean); 95% CI from t "
                        "with the design's df; no test; deff against simple random sampling.")),
         table("weight_diagnostics", wd[["group", "wave", "n", "weight_sum", "cv", "n_eff", "deff"]],
               _ru(lang, "Диагностика весов", "Weight diagnostics"))]))

    # 8a. breakdowns by sex, grade, plans, SES ------------------------------------------------
    if tables.has_table("design", "breakdowns_means"):
        bm = tables.table("design", "breakdowns_means")
        bm = bm[(bm.wave == last) & (bm.group == "students")]
        if len(bm):
            sections.append(Section(_ru(lang, "Различия между группами учащихся",
                                        "Differences between groups of students"),
                                    [_ru(lang, "Средние с учётом многоступенчатой выборки "
                                              "(страты, школы, классы; линеаризация Тейлора). "
                                              "Равенство средних проверено t-критерием по "
                                              "дизайну для двух групп и F-критерием Вальда для "
                                              "большего числа; p скорректированы (Холм) по всем "
                                              "тестам таблицы. Различия — описательные, не "
                                              "причинные.",
                                         "Means under the multistage design (strata, schools, "
                                         "classes; Taylor linearisation). Equal means tested by "
                                         "the design-based t test for two groups and the Wald F "
                                         "test for more; p adjusted (Holm) over the table's "
                                         "tests. The differences are descriptive, not causal.")],
                                    [table("breakdowns_students", bm[[
                                        "variable", "by", "by_category_label", "est", "ci_low",
                                        "ci_high", "n", "p_adjusted"]].rename(
                                        columns={"by_category_label": "category"}),
                                        _ru(lang, f"Показатели учащихся по полу, классу, планам, "
                                                  f"СЭС и языку семьи, {last}",
                                            f"Students' measures by sex, grade, plans, SES and "
                                            f"home language, {last}"),
                                        note=_ru(lang, "С учётом дизайна (страты, школы, классы; "
                                                       "линеаризация Тейлора). Равенство средних: "
                                                       "svyttest для двух групп, F Вальда "
                                                       "(regTermTest) для большего числа; p "
                                                       "скорректированы методом Холма по всем "
                                                       "тестам таблицы. Описательные различия, "
                                                       "не причинные.",
                                                 "Design-based (strata, schools, classes; Taylor "
                                                 "linearisation). Equal means: svyttest for two "
                                                 "groups, Wald F (regTermTest) for more; p "
                                                 "adjusted by Holm over the table's tests. "
                                                 "Descriptive differences, not causal."))]))

    # 9. context; 10. models ----------------------------------------------------------------------
    w = tables.table("context", "weights")
    sections.append(Section(t["context"], [
        _ru(lang, "Индекс — взвешенное среднее стандартизованных показателей социального паспорта "
                   "(направление: + благоприятный, − неблагоприятный).",
            "The index is a weighted mean of standardised social-passport indicators "
            "(direction: + favourable, − unfavourable).")],
        [table("context_weights", w, _ru(lang, "Компоненты индекса и их веса",
                                         "Components of the index and their weights"))]))
    res = tables.table("models", "resilient_schools")
    coefs = tables.table("models", "context_regression")
    fx = tables.table("models", "results_model_fixed")
    vc = tables.table("models", "results_model_variance")
    eff = tables.table("models", "school_effects")
    low = tables.table("models", "low_results")
    typ = tables.table("models", "typology")
    fig_r = figure("results_vs_context",
                   results_vs_context(res, x="wellbeing_index", y="result", resilient="resilient",
                                      lang=lang,
                                      x_threshold=float(res["context_cutoff"].iloc[0]),
                                      y_threshold=float(res["outcome_cutoff"].iloc[0]),
                                      ylabel=_ru(lang, "Результаты (средний z-балл за 3 года)",
                                                 "Results (mean z-score over years)")),
                   _ru(lang, "Результаты и социальный контекст школ; красным — резильентные школы",
                       "School results and social context; resilient schools in red"))
    ci_shown = bool(eff[["ci_low", "ci_high"]].notna().all(axis=1).any())
    fig_c = figure("school_effects",
                   caterpillar(eff,
                               highlight=res.loc[res.resilient, "school_id"].tolist(),
                               lang=lang),
                   (_ru(lang, "Эффекты школ (эмпирические байесовские оценки, 95% интервал)",
                        "School effects (empirical Bayes, 95% interval)")
                    if list(vc.component) != ["residual"] else
                    _ru(lang, "Остатки школ в модели «результаты на контекст» (один год, без "
                              "интервала)", "Schools' residuals of results on context (one year, "
                              "no interval)"))
                   + (_ru(lang, "; школы упорядочены по оценке без подписей (их слишком много "
                                "для подписи каждой): точка — оценка школы"
                                + (", серый отрезок — её интервал" if ci_shown else "")
                                + ", красным — резильентные школы",
                          "; schools ranked by the estimate without labels (too many to label "
                          "each): dot = the school's estimate"
                          + (", grey line = its interval" if ci_shown else "")
                          + ", red = resilient schools") if many_schools(len(eff)) else ""))
    rvo = None
    if tables.has_table("models", "resilient_vs_others"):
        r = tables.table("models", "resilient_vs_others")
        r = r[r.wave == last]
        rvo = r[["variable", "est_resilient", "est_other", "n_resilient", "n_other", "est",
                 "p_value", "p_adjusted", "hedges_g"]]
    rules = rule_names(typology["resilience_rules"], lang)
    oq, rsd = typology["outcome_quantile"], typology["residual_sd"]
    cut = float((typology.get("register") or {}).get("low_context", -0.43))
    low_t, min_proc = typology["low_threshold"], typology["min_procedures"]
    flagged = _flagged_years(low)
    sections.append(Section(t["models"], [
        _ru(lang, f"Результаты школы — средний z-балл по процедурам (ВПР, ОГЭ, ЕГЭ), предметам и "
                  f"классам. Резильентные школы (правила: {rules}): неблагоприятный контекст "
                  f"(индекс благополучия не выше общего порога {g(cut)} SD базового года — "
                  f"того же, что для ШФНСУ) и результаты выше предсказанных "
                  f"контекстом более чем на {g(rsd)} SD остатка или выше квантиля {g(round(oq, 2))}. "
                  f"Пороги — параметры исследования (typology), а не нормы.",
            f"School result = mean z-score over procedures, subjects and grades. Resilient "
            f"(rules: {rules}): well-being index at or below the shared cut-off {g(cut)} SD of the "
            f"reference year (the same as for ШФНСУ) and results above "
            f"prediction by more than {g(rsd)} residual SD or above the {g(round(oq, 2))} quantile. The "
            f"cut-offs are the study's parameters (typology), not norms.")],
        [table("context_regression", coefs, _ru(lang, "Регрессия результатов на индекс контекста по годам (HC1)",
                                                "Regression of results on the context index by year (HC1)"),
               note=_ru(lang, "МНК по школам отдельно для каждого года; SE устойчивы к "
                              "гетероскедастичности (HC1, как sandwich::vcovHC type = \"HC1\"); "
                              "t-критерии без поправки; связь, а не влияние.",
                        "OLS over schools for each year; heteroskedasticity-robust SEs (HC1, as "
                        "sandwich::vcovHC type = \"HC1\"); t tests, unadjusted; association, "
                        "not effect.")),
         table("results_model", fx.drop(columns=["df"], errors="ignore"),
               _ru(lang, "Двухуровневая модель результатов (годы в школах), REML",
                   "Two-level model of results (years in schools), REML")
               if list(vc.component) != ["residual"] else
               _ru(lang, "Результаты на контекст: МНК, один год", "Results on context: OLS, one year"),
               note=_ru(lang, "Годы в школах, случайный интерсепт школы, годы — фиксированные "
                              "эффекты; REML; тесты Вальда (z), как в lme4; без поправки на "
                              "множественные сравнения; связь, а не влияние.",
                        "Years in schools, school random intercept, year fixed effects; REML; "
                        "Wald z tests, as lme4; no adjustment for multiple comparisons; "
                        "association, not effect.")
               if list(vc.component) != ["residual"] else
               _ru(lang, "Один год: школьный интерсепт не отделить от остатка, поэтому МНК по "
                         "школам со стандартными ошибками HC1 (как sandwich), t-критерий; без "
                         "поправки на множественные сравнения; связь, а не влияние.",
                   "One year: a school intercept cannot be told from the residual, so OLS over "
                   "schools with HC1 standard errors (as sandwich), t test; no adjustment for "
                   "multiple comparisons; association, not effect."),
               panels=[(_ru(lang, "Компоненты дисперсии", "Variance components"),
                        _variance_panel(vc))]),
         table("resilient_schools", _rules_named(res[res.resilient], lang)[
                   ["school_id", "wellbeing_index", "result", "residual", "rules"]],
               _ru(lang, "Резильентные школы", "Resilient schools")),
         *([table("resilient_vs_others", rvo, _ru(
             lang, f"Резильентные школы и остальные: средние по школам, {last}",
             f"Resilient schools and the others: school means, {last}"),
             note=_ru(lang, "Разность средних (резильентные − остальные); p — точный "
                            "перестановочный тест (школы — единицы), поправка Холма по "
                            "показателям; g Хеджеса. Школ мало: отсутствие значимости не "
                            "означает отсутствия различий; связь, а не влияние.",
                      "Difference of means (resilient − others); p from the exact permutation "
                      "test (schools are the units), Holm over the measures; Hedges' g. Few "
                      "schools: no significance does not mean no difference; association, "
                      "not effect."))] if rvo is not None else []),
         table("low_results", flagged, _ru(
             lang, f"Школы с низкими результатами (≥ {low_t:.0%} участников ниже минимального "
                   f"порога по ≥ {min_proc} процедурам в год)",
             f"Low-result schools (≥ {low_t:.0%} of participants below the minimum on "
             f"≥ {min_proc} procedures in a year)")),
         table("survey_models", tables.table("models", "survey_models_fixed")
               .drop(columns=["df"], errors="ignore"),
               _ru(lang, "Двухуровневые модели напряжённости и мотивации учащихся: СЭС ученика, "
                          "средний СЭС школы (контекстуальный эффект), индекс благополучия школы",
                   "Two-level models of students' tension and motivation: student SES, school "
                   "mean SES (contextual effect), school well-being index"),
               note=_ru(lang, "Ученики в школах, случайный интерсепт школы, REML (как lme4); "
                              "тесты Вальда (z) без поправки; без весов выборки; связь, а не "
                              "влияние.",
                        "Pupils in schools, school random intercept, REML (as lme4); Wald z "
                        "tests, unadjusted; sampling weights not used; association, not "
                        "effect."),
               panels=[(_ru(lang, "Компоненты дисперсии", "Variance components"),
                        _variance_panel(tables.table("models", "survey_models_variance")))]),
         table("typology", typ.groupby("type").agg(n=("school_id", "size"),
                                                   schools=("school_id", lambda s: _ids_cell(s, lang)))
               .reset_index(),
               _ru(lang, "Типология школ по устойчивости результатов", "School typology by stability of results"))],
        [fig_r, fig_c]))

    # 10. the register of schools and the objectivity screen --------------------------------------
    if tables.has_table("models", "register"):
        sections.append(register_section(tables, table, lang, last, typology))

    # 10a. school climate and results -------------------------------------------------------------
    if tables.has_table("models", "climate_results_model"):
        cm = tables.table("models", "climate_results_model")
        fx_c = cm[(cm.part == "fixed") & cm.model.isin(["context+focal", "context+climate"])
                  & ~cm.term.isin(["(Intercept)"]) & ~cm.term.str.startswith("C(")]
        cols = ["model", "term", "est", "ci_low", "ci_high", "p_value"] + \
            (["mde"] if "mde" in fx_c else [])
        fx_c = fx_c.assign(model=fx_c.model.map(
            lambda m: VALUE_LABELS.get(m, (m, m))[0 if lang == "ru" else 1]))
        pieces = [table("climate_results", fx_c[cols],
                        _ru(lang, "Результаты школ, контекст и климат: стандартизованные "
                                  "коэффициенты двухуровневой модели",
                            "School results, context and climate: standardised coefficients "
                            "of the two-level model"),
                        note=_ru(lang, "Связь, а не влияние. REML, случайный интерсепт школы, годы "
                                       "— фиксированные эффекты; интервалы Вальда; без поправки на "
                                       "множественные сравнения. Климат — сглаженные "
                                       "(эмпирический Байес) средние школ. Заявленная гипотеза "
                                       "(напряжённость учащихся) оценена отдельно; модель со всеми "
                                       "показателями — разведочная. Мин. обнаружимый коэффициент "
                                       "= (z0,975 + z0,80) × SE (Bloom 1995): если интервал "
                                       "включает ноль, а он больше значимого для вас эффекта, "
                                       "ответ — «нельзя сказать».",
                                 "Association, not effect. REML, school random intercept, year "
                                 "fixed effects; Wald intervals; no adjustment for multiple "
                                 "comparisons. Climate = shrunken (empirical Bayes) school "
                                 "means. The declared hypothesis (students' tension) is fitted "
                                 "on its own; the model with every measure is exploratory. Min. "
                                 "detectable coefficient = (z.975 + z.80) × SE (Bloom 1995): "
                                 "when the interval includes zero and this exceeds an effect "
                                 "that matters, the answer is \"cannot tell\"."))]
        if tables.has_table("models", "climate_change_on_change"):
            cc = tables.table("models", "climate_change_on_change")
            cc = cc[~cc.term.str.startswith("C(")]
            pieces.append(table("climate_change_on_change",
                                cc[["term", "est", "ci_low", "ci_high", "p_value", "n"]],
                                _ru(lang, "Изменение климата и изменение результатов (школьные "
                                          "фиксированные эффекты)",
                                    "Change of climate and change of results (school fixed "
                                    "effects)"),
                                note=_ru(lang, "Учитывает постоянные различия школ и общие для "
                                               "волн сдвиги; не исключает меняющихся во времени "
                                               "причин и обратной связи. SE кластеризованы по "
                                               "школам (CR1); t-критерии без поправки на "
                                               "множественные сравнения.",
                                         "Holds stable school differences and common wave "
                                         "shifts fixed; not time-varying causes or reverse "
                                         "causation. SEs clustered by school (CR1); t tests "
                                         "without adjustment for multiple comparisons.")))
        sections.append(Section(_ru(lang, "Климат школы и результаты", "School climate and results"),
                                [], pieces))

    # 11. dynamics; 12. indicators ------------------------------------------------------------
    dyn_tables, dyn_figs = [], []
    if tables.has_table("dynamics", "change_municipality"):   # a one-wave study has no change
        chm = tables.table("dynamics", "change_municipality")
        chs = tables.table("dynamics", "change_summary")
        trend = tables.table("dynamics", "trend_municipality")
        dyn_figs.append(figure("trend_municipality",
                               plot_trend(_labelled(lang, glossary, trend[trend.variable.isin(
                                   ["tension", "motivation", "anxiety", "rel_satisfaction"])]),
                                   lang=lang),
                               _ru(lang, "Динамика показателей по муниципалитету (95% ДИ)",
                                   "Municipality trends (95% CI)")))
        scales = chm[chm["measure"] == "scale"] if "measure" in chm else chm
        dyn_tables += [
            table("change_municipality", scales[["group", "variable", "wave_base", "wave_compare",
                                                 "est", "ci_low", "ci_high", "p_adjusted",
                                                 "classification"]],
                  _ru(lang, "Изменения шкал по муниципалитету относительно первой волны",
                      "Change of the scales in the municipality since the first wave"),
                  note=_ru(lang, "Оценки с учётом дизайна; ковариация повторно обследованных "
                                 "школ учтена; p скорректированы внутри группы и вида показателей.",
                           "Design-based; the covariance of re-surveyed schools is taken into "
                           "account; p adjusted within group and kind of measure.")),
            table("change_summary", chs, _ru(lang, "Доли школ с положительной, отрицательной динамикой и без изменений",
                                             "Shares of schools with positive, negative and no change"))]
    sections.append(Section(t["dynamics"], [
        _ru(lang, "По муниципалитету: изменение каждой волны относительно первой с учётом "
                  "многоступенчатой выборки и ковариации повторно обследованных школ. По школам: "
                  "разность первой и последней волны; незначимое изменение названо «без "
                  "изменений», только если минимально обнаружимое изменение не больше значимого "
                  f"({g(meaningful_sd)} SD), иначе — «нельзя судить».",
            "Municipality: the change of each wave since the first, design-based with the "
            "covariance of re-surveyed schools. Schools: first vs last wave; a non-significant "
            "change is 'no change' only when the minimum detectable change is no larger than a "
            f"meaningful one ({g(meaningful_sd)} SD), otherwise 'cannot tell'.")],
        dyn_tables, dyn_figs))
    ind = tables.table("dynamics", "indicators")
    at = reader_achievement(achievement, lang)
    graded = ind[ind["target"].notna()]      # only targets the programme texts state are graded
    ind_figs = [figure("indicators", plot_achievement(graded, lang=lang, partly=1.0),
                       _ru(lang, "Показатели с целевым значением из текста программы",
                           "Indicators with a target stated by the programme text"))] \
        if len(graded) else []
    ind_tables = [table("indicators", at, _ru(
        lang, "Показатели программ: значения, цели из текстов и степень их достижения",
        "Programme indicators: values, targets from the texts and their achievement"),
        note=_ru(lang, "Номер, формулировка и база — как в тексте программы; цель, которую текст "
                       "не устанавливает, — «не установлено», такой показатель не оценивается. "
                       "Достигнуто — значение не ниже цели (не выше, если лучше меньше); доля "
                       "пути = (значение − база) / (цель − база), в пределах [0, 1]; частичного "
                       "достижения тексты не определяют.",
                 "Number, wording and base as in the programme text; a target the text does not "
                 "set is 'not set' and the indicator is not graded. Achieved: the value reaches "
                 "the target; degree = (value − baseline) / (target − baseline), within [0, 1]; "
                 "the texts define no partial achievement."))]
    if tables.has_table("dynamics", "programme_status_summary"):
        ss = tables.table("dynamics", "programme_status_summary")
        if len(ss) and ss["year"].notna().any():
            last_y = ss["year"].max()
            ss = ss[ss["year"] == last_y]
            st_col = "status_ru" if lang == "ru" else "status_en"
            piv = ss.pivot_table(index=["programme", "table"], columns=st_col, values="n",
                                 aggfunc="sum", fill_value=0).reset_index()
            piv["table"] = piv["table"].map({"results": _ru(lang, "качественные результаты",
                                                            "qualitative results"),
                                             "action_plan": _ru(lang, "план мероприятий",
                                                                "action plan")})
            piv = piv.rename(columns={"programme": _ru(lang, "Программа", "Programme"),
                                      "table": _ru(lang, "Раздел", "Part")})
            ind_tables.append(table("programme_status", piv, _ru(
                lang, f"Качественные результаты и исполнение плана мероприятий, {int(last_y)} г.",
                f"Qualitative results and execution of the action plan, {int(last_y)}"),
                note=_ru(lang, "Число пунктов программы по статусу, записанному муниципалитетом "
                               "(формы статусов качественных результатов и плана мероприятий).",
                         "Items of each programme by the status the municipality recorded "
                         "(the status forms of the qualitative results and the action plan).")))
    if tables.has_table("dynamics", "action_plan"):
        ap = tables.table("dynamics", "action_plan")
        ap = ap[ap["status"].isin([2, 3])]
        if len(ap):
            ap = ap[ap["year"] == ap["year"].max()]
            cols = {"programme": ("Программа", "Programme"), "number": ("№", "No."),
                    "text": ("Мероприятие", "Item"), "status_ru" if lang == "ru" else "status_en":
                    ("Исполнение", "Execution"), "reason": ("Причина", "Reason")}
            i = 0 if lang == "ru" else 1
            ind_tables.append(table("action_plan_not_done",
                                    ap[list(cols)].rename(columns={k: v[i] for k, v in cols.items()}),
                                    _ru(lang, "Невыполненные и частично выполненные мероприятия и "
                                              "причины", "Items not or partly done and the reasons")))
    if tables.has_table("dynamics", "region_comparison"):
        ind_tables.append(table("region_comparison", tables.table("dynamics", "region_comparison"),
                                _ru(lang, "Муниципалитет и регион", "Municipality and region")))
    sections.append(Section(t["indicators"], [], ind_tables, ind_figs))

    found = build_findings(tables, lang=lang, waves=waves, min_cell=min_cell,
                           thresholds=thresholds, typology=typology, alpha=alpha)
    t_word = _ru(lang, "табл.", "Table")
    sections.insert(0, Section(t["findings"], [
        f"{i}. {f.text} ({t_word} {numbers[f.table]})" if f.table in numbers else f"{i}. {f.text}"
        for i, f in enumerate(found, 1)]))
    sections.append(Section(t["limits"], limitations(tables, lang=lang, waves=waves,
                                                     min_cell=min_cell)))
    counts = tables.table("responses", "row_counts").groupby("group").clean_rows.sum()
    est_school = tables.table("design", "estimates_by_school")   # handed to the cards too
    bundled = tuple(load_instrument(g) for g in ("students", "parents", "teachers"))  # once
    methods = {lg: methods_text(
        lang=lg, groups={GROUP_LABELS[lg][k].lower(): int(counts[k])
                         for k in ("students", "parents", "teachers") if k in counts.index},
        waves=waves, n_schools=int(est_school.school_id.nunique()), min_cell=min_cell,
        thresholds=thresholds, typology=typology,
        adjust=(_ADJUST_RU.get(adjust, adjust) if lg == "ru" else adjust.capitalize()),
        alpha=alpha, index_weights=index_weights, instruments=bundled) for lg in ("ru", "en")}
    saver.wait()               # the paper and the report read the figures
    write_paper(out / "paper", out, methods=methods, tables=sorted(numbers), figures=[
        "results_vs_context", "tension_by_school", "values_terminal", "school_effects",
        "trend_municipality"])
    sections.append(Section(_ru(lang, "Методы (для публикации)", "Methods (for a paper)"),
                            [re.sub(r" \[@[^\]]+\]", "", methods[lang])]))
    evidence = findings_table(found)
    evidence.to_parquet(out / "findings.parquet", index=False)
    escape_formulas(evidence).to_csv(out / "findings.csv", index=False, encoding="utf-8-sig")
    sub = _ru(lang, f"Волны: {', '.join(map(str, waves))}. Сгенерировано shnro_research.",
              f"Waves: {', '.join(map(str, waves))}. Generated by shnro_research.")
    write_report(sections, out, title=title, subtitle=sub, style=style)
    card_tables = {name: est_school if name == "estimates_by_school" else  # read once
                   tables.table(stage, name) for stage, name in (
        ("models", "school_results"), ("models", "low_results"), ("models", "resilient_schools"),
        ("models", "unfavourable_context"), ("models", "typology"),
        ("scoring", "tension_by_school"), ("scoring", "tension_group_comparison"),
        ("scoring", "teacher_agreement"), ("design", "estimates_by_school"),
        ("design", "estimates_municipality"))}
    card_tables["change_by_school"] = (tables.table("dynamics", "change_by_school")
                                       if tables.has_table("dynamics", "change_by_school")
                                       else pd.DataFrame(columns=["school_id", "variable"]))
    recs = write_cards(card_tables, out / "schools", style=style, lang=lang, last=last,
                       min_cell=min_cell, high_threshold=thresholds[1], alpha=alpha,
                       glossary=glossary, mode=cards, max_schools=cards_max)
    escape_formulas(recs).to_csv(out / "schools" / "recommendations.csv", index=False,
                                 encoding="utf-8-sig")


def _variance_panel(vc: pd.DataFrame) -> pd.DataFrame:
    """Variance components in the columns of a coefficient table: term = level, est = variance.

    They are printed as their own panel under the fixed effects, never as coefficients.
    """
    out = pd.DataFrame({"term": vc["component"].astype(str), "est": vc["est"].astype(float),
                        "sd": vc["sd"].astype(float), "share": vc["share"].astype(float)})
    if "outcome" in vc:
        out["outcome"] = vc["outcome"].to_numpy()
    return out


def _labelled(lang: str, labels: dict[str, str], df: pd.DataFrame) -> pd.DataFrame:
    """Group and scale names in the report's language (for figures)."""
    from .figures import GROUP_LABELS
    out = df.copy()
    if "group" in out:
        out["group"] = out["group"].map(lambda g: GROUP_LABELS[lang].get(g, g))
    if "variable" in out:
        out["variable"] = out["variable"].map(lambda v: labels.get(v, v))
    return out
