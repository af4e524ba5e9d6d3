"""The report stage: publication tables, figures, the study report and per-school cards.

Reads the data products of the earlier stages and writes into ``08_report/``:

* ``tables/<name>.{docx,xlsx,tex,html,md}`` — APA tables for papers (labels in the study's
  language, decimal comma in Russian);
* ``figures/<name>.{png,svg,pdf}`` — results vs context with quadrants and resilient schools,
  tension by school and group, value hierarchies, dynamics with CIs, caterpillar plot;
* ``report.html`` and ``report.docx`` — the study report;
* ``schools/school_<id>.{html,docx}`` — one card per school, cells with fewer than
  ``report.min_cell`` (default 5) respondents suppressed.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..study import Study, read_table
from .document import ReportFigure, ReportTable, Section, write_report, write_school_card
from .figures import (caterpillar, results_vs_context, save_figure, tension_by_school,
                      value_hierarchies)
from .tables import TableStyle, export_table

TABLE_FORMATS = ("docx", "xlsx", "tex", "html", "md")

_TXT = {
    "ru": {
        "data": "Данные и их качество", "rel": "Надёжность шкал",
        "tension": "Социальная напряжённость", "values": "Ценностные ориентации",
        "success": "Представления о жизненном успехе", "needs": "Фундаментальные потребности и институциональные условия",
        "community": "Профессиональное сообщество учителей", "design": "Оценки с учётом дизайна выборки",
        "context": "Индекс социального благополучия школ", "models": "Результаты обучения и социальный контекст",
        "dynamics": "Динамика между волнами", "indicators": "Целевые показатели программы",
    },
    "en": {
        "data": "Data and data quality", "rel": "Reliability of scales",
        "tension": "Social tension", "values": "Value orientations",
        "success": "Ideas of life success", "needs": "Fundamental needs and institutional conditions",
        "community": "Teachers' professional community", "design": "Design-based estimates",
        "context": "School social well-being index", "models": "Results and social context",
        "dynamics": "Change between waves", "indicators": "Programme target indicators",
    },
}


def _ru(study: Study, ru: str, en: str) -> str:
    return ru if study.lang == "ru" else en


def run_report(study: Study) -> None:
    out = study.stage_dir("report")
    style = TableStyle(lang=study.lang)
    figs = out / "figures"
    tables_dir = out / "tables"
    t = _TXT[study.lang]
    last = max(study.waves)
    sections: list[Section] = []
    ntab = [0]

    def table(name: str, df: pd.DataFrame, title: str, note: str = "", panels=(),
              digits=None) -> ReportTable:
        """Export one table in every paper format and return it for the report."""
        ntab[0] += 1
        for fmt in TABLE_FORMATS:
            export_table(df, tables_dir / f"{name}.{fmt}", title=title, note=note,
                         number=ntab[0], style=style, panels=panels, digits=digits)
        return ReportTable(title, df, note, digits, panels)

    def figure(name: str, fig, title: str, note: str = "") -> ReportFigure:
        paths = save_figure(fig, figs / name)
        return ReportFigure(title, paths[0], note)

    # 1. data quality ----------------------------------------------------------------------
    counts = read_table(study, "responses", "row_counts")
    problems = read_table(study, "responses", "problems")
    psum = (problems.groupby(["group", "problem", "action"], observed=True).size()
            .rename("n").reset_index())
    sections.append(Section(t["data"], [
        _ru(study, "Число строк в исходных файлах, принятых к анализу и исключённых; "
                   "исходные файлы не изменяются, каждая исключённая строка записана с причиной "
                   "(02_responses/exclusions.csv).",
            "Rows in the raw files, kept and excluded; raw files are never modified, each "
            "excluded row is logged with its reason (02_responses/exclusions.csv).")],
        [table("data_rows", counts.drop(columns=["file"]),
               _ru(study, "Строки исходных файлов", "Rows of the raw files")),
         table("data_problems", psum, _ru(study, "Проблемы данных", "Data problems"))]))

    # 2. descriptives and reliability ----------------------------------------------------------
    sc = read_table(study, "scoring", "respondent_scores")
    sc = sc[sc.wave == last]
    value_cols = [c for c in sc.columns if c not in ("resp_id", "school_id", "class_id", "wave",
                                                     "group") and not c.endswith("_n_valid")]
    long = sc.melt(id_vars=["group"], value_vars=value_cols, var_name="scale").dropna()
    desc = (long.groupby(["group", "scale"])["value"]
            .agg(mean="mean", sd="std", n="size").reset_index())
    desc["scale"] = desc["scale"].map(lambda v: _scale_labels(study).get(v, v))
    sections.append(Section(_ru(study, "Описательные статистики", "Descriptive statistics"), [],
                            [table("descriptives", desc,
                                   _ru(study, f"Шкалы по группам респондентов (без весов), {last}",
                                       f"Scales by respondent group (unweighted), {last}"))]))

    # reliability -------------------------------------------------------------------------
    rel = read_table(study, "scoring", "reliability")
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
        _ru(study, "α Кронбаха (сырая и стандартизованная; listwise — как SPSS, pairwise — как "
                   "psych::alpha) и ω McDonald (однофакторная модель); n — полные наблюдения.",
            "Cronbach's α (raw and standardised; listwise as SPSS, pairwise as psych::alpha) and "
            "McDonald's ω total (one-factor model); n = complete cases.")],
        [table("reliability", reltab, _ru(study, "Надёжность шкал по группам респондентов",
                                          "Reliability of scales by respondent group"))]))

    # 3. tension -----------------------------------------------------------------------------
    tg = read_table(study, "scoring", "tension_by_group")
    ts = read_table(study, "scoring", "tension_by_school")
    cmp_ = read_table(study, "scoring", "tension_group_comparison")
    bal = read_table(study, "scoring", "tension_balance")
    fig_t = figure("tension_by_school",
                   tension_by_school(ts[ts.wave == last], thresholds=(25, 50, 75), lang=study.lang),
                   _ru(study, f"Индекс социальной напряжённости по школам и группам, {last}",
                       f"Social tension index by school and group, {last}"))
    disc = cmp_[(cmp_.wave == last) & (cmp_.p_holm < 0.05)][
        ["school_id", "group_a", "group_b", "mean_a", "mean_b", "est", "p_holm"]]
    sections.append(Section(t["tension"], [
        _ru(study, "Индекс напряжённости 0–100 (среднее индикаторов, приведённое к шкале 0–100); "
                   "уровни: < 25 низкий, 25–50 умеренный, 50–75 высокий, ≥ 75 критический. "
                   "Баланс = % негативных − % позитивных ответов.",
            "Tension index 0–100 (mean of indicators rescaled); levels: < 25 low, 25–50 moderate, "
            "50–75 high, ≥ 75 critical. Balance = % negative − % positive answers.")],
        [table("tension_by_group", tg[["group", "wave", "est", "ci_low", "ci_high", "n",
                                       "tension_level"]],
               _ru(study, "Индекс напряжённости по группам и волнам", "Tension index by group and wave")),
         table("tension_high_schools",
               ts[(ts.wave == last) & ts.tension_level.isin(["high", "critical"])][
                   ["school_id", "group", "est", "ci_low", "ci_high", "n", "tension_level"]],
               _ru(study, f"Школы с высокой напряжённостью, {last}", f"Schools with high tension, {last}")),
         table("tension_discrepancies", disc,
               _ru(study, f"Расхождения оценок напряжённости между группами внутри школы, {last}",
                   f"Within-school differences in tension between groups, {last}"),
               note=_ru(study, "p скорректированы методом Холма внутри школы.",
                        "p adjusted by Holm within school.")),
         table("tension_balance", bal[bal.wave == last][["group", "item", "pct_negative",
                                                         "pct_positive", "est", "n"]],
               _ru(study, "Индексы баланса по индикаторам напряжённости", "Balance indices by indicator"))],
        [fig_t]))

    # 4. values -----------------------------------------------------------------------------
    rk = read_table(study, "scoring", "rok_term_hierarchy")
    rk_last = rk[rk.wave == last]
    wide = rk_last.pivot_table(index="label", columns="group", values="mean_rank").reset_index()
    wide = wide.sort_values(wide.columns[1]).rename(columns={"label": "value"})
    kw = read_table(study, "scoring", "rok_term_kendall_w")
    hc = read_table(study, "scoring", "rok_term_group_correlation")
    fig_v = figure("values_terminal",
                   value_hierarchies(rk_last.assign(value=rk_last["label"]), lang=study.lang),
                   _ru(study, f"Иерархия терминальных ценностей (средний ранг), {last}",
                       f"Hierarchy of terminal values (mean rank), {last}"))
    pvq = read_table(study, "scoring", "pvq_values")
    pvq_cols = [c for c in pvq.columns if c.endswith("_centred")]
    sections.append(Section(t["values"], [
        _ru(study, "Ранги ипсативны (сумма рангов постоянна): альфа и факторный анализ к ним не "
                   "применяются; сравниваются иерархии (средние ранги, W Кендалла, ранговые "
                   "корреляции между группами).",
            "Ranks are ipsative: no alpha or factor analysis on them; hierarchies are compared "
            "(mean ranks, Kendall's W, rank correlations between groups).")],
        [table("values_terminal", wide, _ru(study, f"Средние ранги терминальных ценностей, {last}",
                                            f"Mean ranks of terminal values, {last}")),
         table("values_kendall_w", kw, _ru(study, "Согласованность иерархий (W Кендалла)",
                                           "Concordance of hierarchies (Kendall's W)")),
         table("values_group_correlation", hc[hc.wave == last],
               _ru(study, "Корреляции иерархий ценностей между группами",
                   "Correlations of value hierarchies between groups")),
         table("values_pvq", pvq[["group", "wave"] + pvq_cols],
               _ru(study, "Ценности Шварца (PVQ-21), центрированные на среднем ответе респондента",
                   "Schwartz values (PVQ-21), centred on the respondent's mean answer"))],
        [fig_v]))

    # 5. life success; 6. needs ---------------------------------------------------------------
    ls = read_table(study, "scoring", "life_success")
    lsw = ls[ls.wave == last].pivot_table(index="label", columns="group", values="est").reset_index()
    sw = read_table(study, "scoring", "success_ways")
    sww = sw[sw.wave == last].pivot_table(index="label", columns="group", values="est").reset_index()
    sections.append(Section(t["success"], [
        _ru(study, "Множественный ответ: % респондентов, выбравших вариант (до трёх вариантов).",
            "Multiple response: % of respondents choosing the option (up to three).")],
        [table("life_success", lsw.rename(columns={"label": "option"}),
               _ru(study, f"Что такое жизненный успех, % респондентов, {last}",
                   f"What is life success, % of respondents, {last}")),
         table("success_ways", sww.rename(columns={"label": "option"}),
               _ru(study, f"Пути достижения успеха, % респондентов, {last}",
                   f"Ways to success, % of respondents, {last}"))]))
    ng = read_table(study, "scoring", "needs_gap")
    sections.append(Section(t["needs"], [
        _ru(study, "Разрыв = важность − реализованность в школе (шкала 1–5); парный t-тест.",
            "Gap = importance − realisation in school (1–5); paired t-test.")],
        [table("needs_gap", ng[ng.wave == last][["group", "need", "mean_importance",
                                                 "mean_realisation", "est", "ci_low", "ci_high",
                                                 "n", "p_value"]],
               _ru(study, f"Важность и реализованность потребностей, {last}",
                   f"Importance and realisation of needs, {last}"))]))

    # 7. teachers' community ---------------------------------------------------------------------
    ag = read_table(study, "scoring", "teacher_agreement")
    icc = read_table(study, "scoring", "teacher_icc")
    agm = ag[ag.wave == last].groupby("scale").agg(rwg_j_median=("est", "median"),
                                                   ad_mean=("est_ad", "mean"),
                                                   n=("school_id", "size")).reset_index()
    icc_w = icc[icc.wave == last].pivot_table(index="scale", columns="measure",
                                              values="est").reset_index()
    sections.append(Section(t["community"], [
        _ru(study, "Согласованность внутри школы: rwg(j) с равномерной нулевой моделью, "
                   "индекс AD; ICC(1) и ICC(2) по однофакторному дисперсионному анализу.",
            "Within-school agreement: rwg(j) with a uniform null, AD index; ICC(1), ICC(2) "
            "from one-way ANOVA.")],
        [table("teacher_agreement", agm, _ru(study, "Согласованность профессиональных позиций учителей",
                                             "Agreement of teachers' professional positions")),
         table("teacher_icc", icc_w, _ru(study, "ICC(1) и ICC(2) шкал учителей", "ICC(1), ICC(2) of teacher scales"))]))

    # 8. design-based estimates --------------------------------------------------------------------
    em = read_table(study, "design", "estimates_municipality")
    wd = read_table(study, "design", "weight_diagnostics")
    sections.append(Section(t["design"], [
        _ru(study, "Средние по муниципалитету с учётом многоступенчатой выборки (страты, школы, "
                   "классы; линеаризация Тейлора, как R survey); эффект дизайна относительно "
                   "простой случайной выборки.",
            "Municipality means under the multistage design (strata, schools, classes; Taylor "
            "linearisation as R survey); design effect against simple random sampling.")],
        [table("estimates_municipality",
               em[em.wave == last][["group", "variable", "est", "se", "ci_low", "ci_high", "n",
                                    "deff"]],
               _ru(study, f"Оценки по муниципалитету, {last}", f"Municipality estimates, {last}")),
         table("weight_diagnostics", wd[["group", "wave", "n", "sum", "cv", "n_eff", "deff"]],
               _ru(study, "Диагностика весов", "Weight diagnostics"))]))

    # 9. context; 10. models ----------------------------------------------------------------------
    w = read_table(study, "context", "weights")
    sections.append(Section(t["context"], [
        _ru(study, "Индекс — взвешенное среднее стандартизованных показателей социального паспорта "
                   "(направление: + благоприятный, − неблагоприятный).",
            "The index is a weighted mean of standardised social-passport indicators "
            "(direction: + favourable, − unfavourable).")],
        [table("context_weights", w, _ru(study, "Компоненты индекса и их веса",
                                         "Components of the index and their weights"))]))
    res = read_table(study, "models", "resilient_schools")
    coefs = read_table(study, "models", "context_regression")
    fx = read_table(study, "models", "results_model_fixed")
    vc = read_table(study, "models", "results_model_variance")
    eff = read_table(study, "models", "school_effects")
    low = read_table(study, "models", "low_results")
    typ = read_table(study, "models", "typology")
    fig_r = figure("results_vs_context",
                   results_vs_context(res, x="index", y="result", resilient="resilient",
                                      lang=study.lang,
                                      x_threshold=float(res["context_cutoff"].iloc[0]),
                                      y_threshold=float(res["outcome_cutoff"].iloc[0]),
                                      ylabel=_ru(study, "Результаты (средний z-балл за 3 года)",
                                                 "Results (mean z-score over years)")),
                   _ru(study, "Результаты и социальный контекст школ; красным — резильентные школы",
                       "School results and social context; resilient schools in red"))
    fig_c = figure("school_effects",
                   caterpillar(eff.rename(columns={"effect": "est"}),
                               highlight=res.loc[res.resilient, "school_id"].tolist(),
                               lang=study.lang),
                   _ru(study, "Эффекты школ (эмпирические байесовские оценки, 95% интервал)",
                       "School effects (empirical Bayes, 95% interval)"))
    flagged = low[low.flagged].groupby("school_id")["year"].apply(
        lambda s: ", ".join(map(str, sorted(s)))).rename("years").reset_index()
    sections.append(Section(t["models"], [
        _ru(study, "Результаты школы — средний z-балл по процедурам (ВПР, ОГЭ, ЕГЭ), предметам и "
                   "классам. Резильентные школы: неблагоприятный контекст (нижняя треть индекса) и "
                   "результаты выше предсказанных контекстом (остаток > 1 SD) или выше медианы.",
            "School result = mean z-score over procedures, subjects and grades. Resilient: "
            "context in the bottom third and results above prediction (residual > 1 SD) or "
            "above the median.")],
        [table("context_regression", coefs, _ru(study, "Регрессия результатов на индекс контекста по годам (HC1)",
                                                "Regression of results on the context index by year (HC1)")),
         table("results_model", fx.drop(columns=["df"], errors="ignore"),
               _ru(study, "Двухуровневая модель результатов (годы в школах), REML",
                   "Two-level model of results (years in schools), REML"),
               note=_ru(study, "Тесты Вальда (z), как в lme4.", "Wald z tests, as lme4."),
               panels=[(_ru(study, "Компоненты дисперсии", "Variance components"),
                        _variance_panel(vc))]),
         table("resilient_schools", res[res.resilient][["school_id", "index", "result", "residual",
                                                        "rules_fired"]],
               _ru(study, "Резильентные школы", "Resilient schools")),
         table("low_results", flagged, _ru(study, "Школы с низкими результатами (≥ 30 % ниже порога "
                                                  "по ≥ 2 процедурам)",
                                           "Low-result schools (≥ 30 % below the threshold on ≥ 2 procedures)")),
         table("survey_models", read_table(study, "models", "survey_models_fixed")
               .drop(columns=["df"], errors="ignore"),
               _ru(study, "Двухуровневые модели напряжённости и мотивации учащихся: СЭС ученика, "
                          "средний СЭС школы (контекстуальный эффект), индекс благополучия школы",
                   "Two-level models of students' tension and motivation: student SES, school "
                   "mean SES (contextual effect), school well-being index"),
               panels=[(_ru(study, "Компоненты дисперсии", "Variance components"),
                        _variance_panel(read_table(study, "models", "survey_models_variance")))]),
         table("typology", typ.groupby("group").agg(n=("school_id", "size"),
                                                    schools=("school_id", lambda s: ", ".join(s)))
               .reset_index().rename(columns={"group": "type"}),
               _ru(study, "Типология школ по устойчивости результатов", "School typology by stability of results"))],
        [fig_r, fig_c]))

    # 11. dynamics; 12. indicators ------------------------------------------------------------
    dyn_tables, dyn_figs = [], []
    try:
        chm = read_table(study, "dynamics", "change_municipality")
        chs = read_table(study, "dynamics", "change_summary")
        trend = read_table(study, "dynamics", "trend_municipality")
        from ..dynamics import plot_trend
        dyn_figs.append(figure("trend_municipality",
                               plot_trend(_labelled(study, trend[trend.variable.isin(
                                   ["tension", "motivation", "anxiety", "rel_satisfaction"])]),
                                   lang=study.lang),
                               _ru(study, "Динамика показателей по муниципалитету (95% ДИ)",
                                   "Municipality trends (95% CI)")))
        dyn_tables += [
            table("change_municipality", chm[["group", "variable", "wave_base", "wave_compare",
                                              "est", "se", "p_adjusted", "classification"]],
                  _ru(study, "Изменения между соседними волнами по муниципалитету",
                      "Change between consecutive waves, municipality")),
            table("change_summary", chs, _ru(study, "Доли школ с положительной, отрицательной динамикой и без изменений",
                                             "Shares of schools with positive, negative and no change"))]
    except Exception as exc:  # noqa: BLE001 - a study with one wave has no dynamics
        warnings.warn(f"dynamics not reported: {exc}")
    sections.append(Section(t["dynamics"], [
        _ru(study, "Разность первой и последней волны по каждой школе и группе, стандартная ошибка "
                   "независимых выборок, p скорректированы методом Холма; «без изменений», если "
                   "изменение незначимо.",
            "Difference between the first and last wave per school and group, SE of independent "
            "samples, Holm-adjusted p; 'no change' when not significant.")],
        dyn_tables, dyn_figs))
    ind = read_table(study, "dynamics", "indicators")
    from ..indicators import achievement_table, plot_achievement
    at = achievement_table(ind, lang=study.lang)
    ind_fig = figure("indicators", plot_achievement(ind, lang=study.lang),
                     _ru(study, "Достижение целевых показателей", "Achievement of target indicators"))
    ind_tables = [table("indicators", at, _ru(
        study, "Целевые показатели и степень их достижения", "Target indicators and their achievement"))]
    if (study.stage_dir("dynamics") / "region_comparison.parquet").exists():
        ind_tables.append(table("region_comparison", read_table(study, "dynamics", "region_comparison"),
                                _ru(study, "Муниципалитет и регион", "Municipality and region")))
    sections.append(Section(t["indicators"], [], ind_tables, [ind_fig]))

    title = study.title
    sub = _ru(study, f"Волны: {', '.join(map(str, study.waves))}. Сгенерировано shnro_research.",
              f"Waves: {', '.join(map(str, study.waves))}. Generated by shnro_research.")
    write_report(sections, out, title=title, subtitle=sub, style=style)
    _school_cards(study, out / "schools", style)


def _variance_panel(vc: pd.DataFrame) -> pd.DataFrame:
    """Variance components in the columns of a coefficient table: term = level, est = variance.

    They are printed as their own panel under the fixed effects, never as coefficients.
    """
    out = pd.DataFrame({"term": vc["component"].astype(str), "est": vc["est"].astype(float),
                        "sd": vc["sd"].astype(float), "share": vc["share"].astype(float)})
    if "outcome" in vc:
        out["outcome"] = vc["outcome"].to_numpy()
    return out


def _scale_labels(study: Study) -> dict[str, str]:
    labels = {}
    for g in study.instruments:
        if g in ("students", "parents", "teachers"):
            for sid, sc in study.instrument(g).scales.items():
                labels.setdefault(sid, sc.label.get(study.lang))
    return labels


def _labelled(study: Study, df: pd.DataFrame) -> pd.DataFrame:
    """Group and scale names in the study's language (for figures)."""
    from .figures import GROUP_LABELS
    labels = _scale_labels(study)
    out = df.copy()
    if "group" in out:
        out["group"] = out["group"].map(lambda g: GROUP_LABELS[study.lang].get(g, g))
    if "variable" in out:
        out["variable"] = out["variable"].map(lambda v: labels.get(v, v))
    return out


def _school_cards(study: Study, folder, style: TableStyle) -> None:
    """One card per surveyed school: estimates by group and wave, small cells suppressed."""
    est = read_table(study, "design", "estimates_by_school")
    ts = read_table(study, "scoring", "tension_by_school")
    min_n = int(study.params["report"].get("min_cell", 5))
    for sid, d in est.groupby("school_id"):
        main = d[d.variable.isin(["tension", "motivation", "anxiety", "rel_satisfaction"])]
        tables = [
            ReportTable(_ru(study, "Индекс напряжённости по группам и волнам",
                            "Tension index by group and wave"),
                        ts[ts.school_id == sid][["group", "wave", "est", "ci_low", "ci_high", "n"]]),
            ReportTable(_ru(study, "Основные шкалы по группам и волнам", "Main scales by group and wave"),
                        main[["group", "wave", "variable", "est", "ci_low", "ci_high", "n"]]),
        ]
        write_school_card(str(sid), tables, folder, min_n=min_n, style=style)
