"""Key findings of the study, written by rules from its tables.

Each :class:`Finding` is one sentence a sociologist would write, the table it rests on, and —
for every number it quotes — where that number comes from: a stage table, a row filter
(``pandas.DataFrame.query``), a column and an aggregation. ``tests/test_findings.py`` recomputes
every quoted number from its source, so a finding can never say what its table does not.

Rules of wording (docs/METHODS.md, "Findings"):

* a difference is called a difference only when its test says so at the study's ``alpha``
  (after the adjustment the table states); otherwise "not shown", never "no difference";
* associations from observational data are associations, never effects;
* counts of schools use only cells with at least ``min_cell`` respondents;
* every threshold quoted is the parameter actually used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .labels import GROUP_LABELS, rule_names
from .tables import TableStyle, format_number, format_p


@dataclass(frozen=True)
class Source:
    """Where a quoted number comes from: ``table(stage, name).query(query)[column].agg(agg)``."""

    stage: str
    name: str
    query: str
    column: str
    agg: str = "first"     # first (exactly one row), count, nunique, sum, median, max, min

    def value(self, df: pd.DataFrame) -> float:
        rows = df.query(self.query, engine="python") if self.query else df
        col = rows[self.column]
        if self.agg == "first":
            if len(col) != 1:
                raise ValueError(f"{self.name}: {self.query!r} selects {len(col)} rows, not one")
            return col.iloc[0]
        if self.agg == "count":
            return int(col.size)
        return getattr(col, self.agg)()


@dataclass
class Finding:
    """One numbered finding: its sentence, section, table and every quoted number."""

    key: str
    section: str
    table: str
    text: str = ""
    numbers: dict[str, tuple[Any, str, Source]] = field(default_factory=dict)

    def quote(self, name: str, value: Any, text: str, source: Source) -> str:
        """Record a quoted number (its value, how it is printed, its source); return the text."""
        self.numbers[name] = (value, text, source)
        return text


class _Writer:
    """Shared formatting and table access of the finding rules."""

    def __init__(self, tables, lang: str, alpha: float):
        self.tables, self.lang, self.alpha = tables, lang, alpha
        self.style = TableStyle(lang=lang)

    def ru(self, ru: str, en: str) -> str:
        return ru if self.lang == "ru" else en

    def num(self, x: float, digits: int = 1) -> str:
        return format_number(float(x), digits, self.style.sep)

    def p(self, x: float) -> str:
        t = format_p(float(x), self.style)
        return t if t.startswith(("<", ">")) else "= " + t

    def group(self, g: str, case: str = "nom") -> str:
        return GROUP_LABELS[self.lang].get(g, g).lower() if case == "lower" else \
            GROUP_LABELS[self.lang].get(g, g)

    def get(self, stage: str, name: str) -> pd.DataFrame | None:
        return self.tables.table(stage, name) if self.tables.has_table(stage, name) else None


#: multiple-comparison methods as a Russian sentence names them ("с поправкой Холма")
_ADJUST_RU = {"holm": "Холма", "BH": "Бенджамини — Хохберга", "fdr": "Бенджамини — Хохберга",
              "BY": "Бенджамини — Йекутиели", "hochberg": "Хохберга", "bonferroni": "Бонферрони",
              "none": "отсутствующей"}


def _q(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _tension_groups(w: _Writer, last: int) -> Finding | None:
    tg = w.get("scoring", "tension_by_group")
    if tg is None:
        return None
    d = tg[tg.wave == last].sort_values("est")
    if len(d) < 2:
        return None
    f = Finding("tension_groups", "tension", "tension_by_group")
    lo, hi = d.iloc[0], d.iloc[-1]

    def part(r, tag):
        q = f"group == {_q(r.group)} and wave == {last}"
        src = lambda c: Source("scoring", "tension_by_group", q, c)   # noqa: E731
        return (f.quote(f"{tag}_est", r.est, w.num(r.est), src("est"))
                + w.ru(" из 100 (95% ДИ ", " of 100 (95% CI ")
                + f.quote(f"{tag}_lo", r.ci_low, w.num(r.ci_low), src("ci_low")) + "–"
                + f.quote(f"{tag}_hi", r.ci_high, w.num(r.ci_high), src("ci_high")) + ", n = "
                + f.quote(f"{tag}_n", r.n, str(int(r.n)), src("n")) + ")")
    overlap = lo.ci_high >= hi.ci_low
    inv = w.get("scoring", "measurement_invariance")
    no_scalar = inv is not None and "across" in inv and bool(len(inv.query(
        f"across == 'group' and wave == {last} and variable == 'tension' and model == 'scalar' "
        "and status == 'estimated' and holds == False", engine="python")))
    caveat_ru = (" Скалярная инвариантность индекса между группами не подтверждена (см. вывод об "
                 "измерительной инвариантности), поэтому разницу уровней нельзя читать как "
                 "разницу напряжённости." if no_scalar else "")
    caveat_en = (" Scalar invariance of the index across groups is not supported (see the "
                 "measurement-invariance finding), so the difference in levels cannot be read "
                 "as a difference in tension." if no_scalar else "")
    f.text = w.ru(
        f"В {last} г. социальную напряжённость в школах выше всего оценивают "
        f"{w.group(hi.group, 'lower')}: индекс {part(hi, 'high')}; ниже всего — "
        f"{w.group(lo.group, 'lower')}: {part(lo, 'low')}. "
        + ("Доверительные интервалы перекрываются: различие между группами не доказано."
           if overlap else "Доверительные интервалы не перекрываются.") + caveat_ru,
        f"In {last}, {w.group(hi.group, 'lower')} rate social tension in schools highest: index "
        f"{part(hi, 'high')}; {w.group(lo.group, 'lower')} lowest: {part(lo, 'low')}. "
        + ("The confidence intervals overlap: a difference between the groups is not shown."
           if overlap else "The confidence intervals do not overlap.") + caveat_en)
    return f


def _tension_change(w: _Writer, last: int) -> Finding | None:
    ch = w.get("dynamics", "change_municipality")
    if ch is None:
        return None
    d = ch[(ch.group == "students") & (ch.variable == "tension") & (ch.wave_compare == last)]
    if len(d) != 1:
        return None
    r = d.iloc[0]
    f = Finding("tension_change", "dynamics", "change_municipality")
    q = f"group == 'students' and variable == 'tension' and wave_compare == {last}"
    src = lambda c: Source("dynamics", "change_municipality", q, c)   # noqa: E731
    est = f.quote("est", r.est, w.num(r.est), src("est"))
    ci = (f.quote("lo", r.ci_low, w.num(r.ci_low), src("ci_low")) + "; "
          + f.quote("hi", r.ci_high, w.num(r.ci_high), src("ci_high")))
    p = f.quote("p", r.p_adjusted, w.p(r.p_adjusted), src("p_adjusted"))
    sig = r.p_adjusted < w.alpha
    verdict = (w.ru("изменение статистически значимо", "the change is statistically significant")
               if sig else w.ru("изменение не доказано (интервал включает 0)",
                                "a change is not shown (the interval includes 0)"))
    f.text = w.ru(
        f"Индекс напряжённости учащихся по муниципалитету между {int(r.wave_base)} и {last} гг. "
        f"изменился на {est} пункта (95% ДИ {ci}; p {p} с поправкой "
        f"{_ADJUST_RU.get(r.adjust_method, r.adjust_method)}); {verdict}. "
        f"Оценка учитывает многоступенчатую выборку.",
        f"Students' tension index in the municipality changed by {est} points between "
        f"{int(r.wave_base)} and {last} (95% CI {ci}; {r.adjust_method}-adjusted p {p}); "
        f"{verdict}. The estimate accounts for the multistage sample.")
    return f


def _tension_schools(w: _Writer, last: int, min_cell: int, high: float) -> Finding | None:
    ts = w.get("scoring", "tension_by_school")
    if ts is None:
        return None
    base = f"wave == {last} and n >= {min_cell}"
    f = Finding("tension_schools", "tension", "tension_high_schools")
    d = ts.query(base)
    k = int(d.tension_level.isin(["high", "critical"]).sum())
    cells = f.quote("cells", len(d), str(len(d)), Source("scoring", "tension_by_school", base,
                                                          "school_id", "count"))
    kq = f.quote("high", k, str(k), Source("scoring", "tension_by_school",
                                          base + " and tension_level in ['high', 'critical']",
                                          "school_id", "count"))
    nsch = d[d.tension_level.isin(["high", "critical"])].school_id.nunique()
    sq = f.quote("schools", nsch, str(nsch), Source(
        "scoring", "tension_by_school", base + " and tension_level in ['high', 'critical']",
        "school_id", "nunique"))
    f.text = w.ru(
        f"В {last} г. индекс напряжённости не ниже {w.num(high, 0)} (уровни «высокий» и "
        f"«критический» — соглашение проекта, не норма) получен в {kq} из {cells} сочетаний "
        f"«школа × группа респондентов» с не менее чем {min_cell} ответившими; это {sq} школ.",
        f"In {last}, the tension index reached {w.num(high, 0)} or more (the 'high' and "
        f"'critical' levels are this project's convention, not a norm) in {kq} of {cells} "
        f"school × respondent-group cells with at least {min_cell} respondents, in {sq} schools.")
    return f


def _discrepancies(w: _Writer, last: int, min_cell: int) -> Finding | None:
    cmp_ = w.get("scoring", "tension_group_comparison")
    if cmp_ is None:
        return None
    base = (f"wave == {last} and group_a == 'students' and group_b == 'teachers' and "
            f"n_a >= {min_cell} and n_b >= {min_cell}")
    d = cmp_.query(base)
    if d.empty:
        return None
    sig = f"{base} and p_adjusted < {w.alpha} and est > 0"
    f = Finding("discrepancies", "tension", "tension_discrepancies")
    total = f.quote("schools", len(d), str(len(d)), Source("scoring", "tension_group_comparison",
                                                            base, "school_id", "count"))
    k = int(((d.p_adjusted < w.alpha) & (d.est > 0)).sum())
    kq = f.quote("higher", k, str(k), Source("scoring", "tension_group_comparison", sig,
                                             "school_id", "count"))
    f.text = w.ru(
        f"Учащиеся оценивают напряжённость выше, чем учителя той же школы, в {kq} из {total} "
        f"школ {last} г., где опрошено не менее {min_cell} человек в каждой группе "
        f"(t-критерий Уэлча, поправка Холма внутри школы, α = {w.num(w.alpha, 2)}). "
        f"Такие расхождения — повод для разговора в школе, а не оценка её работы.",
        f"Students rate tension higher than the teachers of the same school in {kq} of {total} "
        f"schools in {last} with at least {min_cell} respondents in each group (Welch t test, "
        f"Holm adjustment within school, α = {w.num(w.alpha, 2)}). Such gaps are a reason for a "
        f"conversation in the school, not a rating of its work.")
    return f


def _context_results(w: _Writer) -> Finding | None:
    fx = w.get("models", "results_model_fixed")
    if fx is None or "wellbeing_index" not in set(fx.term):
        return None
    r = fx[fx.term == "wellbeing_index"].iloc[0]
    q = "term == 'wellbeing_index'"
    src = lambda c: Source("models", "results_model_fixed", q, c)   # noqa: E731
    f = Finding("context_results", "models", "results_model")
    est = f.quote("est", r.est, w.num(r.est, 2), src("est"))
    ci = (f.quote("lo", r.ci_low, w.num(r.ci_low, 2), src("ci_low")) + "; "
          + f.quote("hi", r.ci_high, w.num(r.ci_high, 2), src("ci_high")))
    sig = r.ci_low > 0 or r.ci_high < 0
    vc = w.get("models", "results_model_variance")
    one_year = vc is not None and list(vc.get("component", [])) == ["residual"]
    how_ru = ("МНК со стандартными ошибками HC1: в исследовании один год, годы внутри школ не "
              "разделить" if one_year else "двухуровневая модель, годы внутри школ")
    how_en = ("OLS with HC1 standard errors: one year only, so years within schools cannot be "
              "separated" if one_year else "two-level model, years within schools")
    up_ru, up_en = ("выше", "higher") if r.est >= 0 else ("ниже", "lower")
    f.text = w.ru(
        f"Результаты школ (средний z-балл ВПР, ОГЭ, ЕГЭ) тем {up_ru}, чем благополучнее их "
        f"социальный контекст: на единицу индекса благополучия приходится {est} стандартного "
        f"отклонения результата (95% ДИ {ci}; {how_ru}). "
        + ("Связь статистически значима. " if sig else "Связь не доказана. ")
        + "Это связь, а не доказанное влияние: школы не распределялись по условиям случайно.",
        f"School results (mean z-score of ВПР, ОГЭ, ЕГЭ) are {up_en} where the social context "
        f"is more favourable: one unit of the well-being index goes with {est} SD of results "
        f"(95% CI {ci}; {how_en}). "
        + ("The association is statistically significant. " if sig else
           "An association is not shown. ")
        + "This is an association, not a demonstrated effect: schools were not assigned to "
          "their conditions at random.")
    return f


def _climate(w: _Writer) -> Finding | None:
    cm = w.get("models", "climate_results_model")
    if cm is None:
        return None
    base = "part == 'fixed' and model == 'context+climate' and variable == variable"
    d = cm.query(base, engine="python")
    if d.empty:
        return None
    f = Finding("climate", "models", "climate_results")
    m = f.quote("measures", len(d), str(len(d)),
                Source("models", "climate_results_model", base, "term", "count"))
    clear = base + " and (ci_low > 0 or ci_high < 0)"
    k = int(((d.ci_low > 0) | (d.ci_high < 0)).sum())
    kq = f.quote("clear", k, str(k), Source("models", "climate_results_model", clear, "term",
                                            "count"))
    focal_ru = focal_en = ""
    fq = "part == 'fixed' and model == 'context+focal' and variable == variable"
    fd = cm.query(fq, engine="python") if "model" in cm else cm.iloc[:0]
    if len(fd) == 1:
        r = fd.iloc[0]
        src = lambda col: Source("models", "climate_results_model", fq, col, "first")  # noqa
        e = f.quote("focal_est", r.est, w.num(r.est, 2), src("est"))
        lo = f.quote("focal_ci_low", r.ci_low, w.num(r.ci_low, 2), src("ci_low"))
        hi = f.quote("focal_ci_high", r.ci_high, w.num(r.ci_high, 2), src("ci_high"))
        clear_f = r.ci_low > 0 or r.ci_high < 0
        what_ru = w.group(str(r.group), "lower") + ": " + (
            w.ru("социальная напряжённость", "social tension") if r.variable == "tension"
            else str(r.variable))
        if clear_f:
            sign_ru, sign_en = ("ниже", "lower") if r.est < 0 else ("выше", "higher")
            focal_ru = (f"Заявленная гипотеза ({what_ru}): коэффициент {e} (95% ДИ {lo}…{hi}) — "
                        f"при большей напряжённости результаты {sign_ru}. ")
            focal_en = (f"Declared hypothesis ({what_ru}): coefficient {e} (95% CI {lo} to "
                        f"{hi}) — more tension goes with {sign_en} results. ")
        else:
            md = f.quote("focal_mde", r.mde, w.num(r.mde, 2), src("mde")) \
                if "mde" in fd and pd.notna(r.mde) else None
            tail_ru = (f"; наименьший коэффициент, который это исследование обнаружило бы с "
                       f"мощностью 80%, — {md}" if md else "")
            tail_en = (f"; the smallest coefficient this study would detect with 80% power is "
                       f"{md}" if md else "")
            focal_ru = (f"Заявленная гипотеза ({what_ru}): коэффициент {e} (95% ДИ {lo}…{hi}) — "
                        f"нельзя сказать, есть ли связь{tail_ru}. ")
            focal_en = (f"Declared hypothesis ({what_ru}): coefficient {e} (95% CI {lo} to {hi}) "
                        f"— cannot tell whether there is an association{tail_en}. ")
    f.text = w.ru(
        f"Климат школы и её результаты при учёте социального контекста: 95% интервал коэффициента "
        f"исключает ноль у {kq} из {m} показателей климата (напряжённость, мотивация, "
        f"тревожность, отношения, профессиональное сообщество учителей). "
        + ("Где интервал включает ноль, связь не доказана — это не значит, что её нет: школ "
           "немного. " if k < len(d) else "")
        + focal_ru + "Это связи, а не влияние.",
        f"Climate and results once social context is held fixed: the coefficient's 95% interval "
        f"excludes zero for {kq} of {m} climate measures (tension, motivation, anxiety, "
        f"relationships, teachers' professional community). "
        + ("Where the interval includes zero an association is not shown — which does not mean "
           "it is absent: there are few schools. " if k < len(d) else "")
        + focal_en + "These are associations, not effects.")
    return f


#: school ids a sentence lists at most (a national study has thousands; the table has them all)
MAX_IDS_IN_TEXT = 20


def _resilient(w: _Writer, typology: dict) -> Finding | None:
    res = w.get("models", "resilient_schools")
    if res is None:
        return None
    f = Finding("resilient", "models", "resilient_schools")
    low = f.quote("low_context", int(res.low_context.sum()), str(int(res.low_context.sum())),
                  Source("models", "resilient_schools", "low_context", "school_id", "count"))
    k = int(res.resilient.sum())
    kq = f.quote("resilient", k, str(k), Source("models", "resilient_schools", "resilient",
                                                "school_id", "count"))
    all_ids = sorted(res.loc[res.resilient, "school_id"].astype(str))
    ids = ", ".join(all_ids[:MAX_IDS_IN_TEXT])
    if len(all_ids) > MAX_IDS_IN_TEXT:      # a national study: the list stays in the table
        more = len(all_ids) - MAX_IDS_IN_TEXT
        ids += w.ru(f" и ещё {more} — полный список в таблице резильентных школ",
                    f" and {more} more — the full list is in the table of resilient schools")
    rules = rule_names(typology["resilience_rules"], w.lang)
    if "context_cutoff" in res and res["context_cutoff"].notna().any():
        cut = f.quote("context_cutoff", float(res["context_cutoff"].iloc[0]),
                      w.num(float(res["context_cutoff"].iloc[0]), 2),
                      Source("models", "resilient_schools", "", "context_cutoff", "max"))
        where_ru = f"индекс благополучия не выше общего порога {cut}, как у ШФНСУ"
        where_en = f"well-being index at or below the shared cut-off {cut}, as for ШФНСУ"
    else:
        where_ru = ("индекс благополучия ниже квантиля "
                    f"{w.num(typology['context_quantile'], 2)}")
        where_en = f"well-being index below its {w.num(typology['context_quantile'], 2)} quantile"
    f.text = w.ru(
        f"Из {low} школ с неблагоприятным контекстом ({where_ru}) {kq} резильентны — их результаты выше, чем "
        f"предсказывает контекст (правила: {rules}): {ids or '—'}. Именно их опыт стоит изучать "
        f"и переносить.",
        f"Of {low} schools in an unfavourable context ({where_en}), {kq} are resilient — their results "
        f"are better than the context predicts (rules: {rules}): {ids or '—'}. Their practice is "
        f"the one to study and share.")
    return f


def _low_results(w: _Writer, last: int, typology: dict) -> Finding | None:
    low = w.get("models", "low_results")
    if low is None:
        return None
    f = Finding("low_results", "models", "low_results")
    q = f"year == {last} and flagged"
    k = int(low.query(q, engine="python").school_id.nunique())
    kq = f.quote("flagged", k, str(k), Source("models", "low_results", q, "school_id", "nunique"))
    n = int(low[low.year == last].school_id.nunique())
    nq = f.quote("schools", n, str(n), Source("models", "low_results", f"year == {last}",
                                              "school_id", "nunique"))
    f.text = w.ru(
        f"В {last} г. {kq} из {nq} школ отнесены к школам с низкими результатами: не менее "
        f"{typology['low_threshold']:.0%} участников ниже минимального порога по "
        f"{typology['min_procedures']} и более процедурам (или по одной процедуре два года "
        f"подряд) — правило, близкое к методике ФИОКО; порог — параметр исследования.",
        f"In {last}, {kq} of {nq} schools are low-result schools: at least "
        f"{typology['low_threshold']:.0%} of participants below the minimum on "
        f"{typology['min_procedures']} or more procedures (or on one procedure two years running) "
        f"— a rule close to the ФИОКО methodology; the cut-off is a study parameter.")
    return f


def _values(w: _Writer, last: int) -> Finding | None:
    rk, hc = w.get("scoring", "rok_term_hierarchy"), w.get("scoring", "rok_term_group_correlation")
    if rk is None or hc is None:
        return None
    d = rk[(rk.wave == last) & (rk.group == "students")].sort_values("mean_rank")
    c = hc[(hc.wave == last) & (hc.method == "spearman") & (hc.group_a == "parents")
           & (hc.group_b == "students")]
    if d.empty or len(c) != 1:
        return None
    top = d.iloc[0]
    f = Finding("values", "values", "values_terminal")
    q = f"wave == {last} and group == 'students' and category == {_q(top.category)}"
    mr = f.quote("mean_rank", top.mean_rank, w.num(top.mean_rank, 1),
                 Source("scoring", "rok_term_hierarchy", q, "mean_rank"))
    cq = (f"wave == {last} and method == 'spearman' and group_a == 'parents' and "
          f"group_b == 'students'")
    rho = f.quote("rho", c.iloc[0].est, w.num(c.iloc[0].est, 2),
                  Source("scoring", "rok_term_group_correlation", cq, "est"))
    p = f.quote("p", c.iloc[0].p_value, w.p(c.iloc[0].p_value),
                Source("scoring", "rok_term_group_correlation", cq, "p_value"))
    f.text = w.ru(
        f"Первое место в иерархии терминальных ценностей учащихся {last} г. занимает "
        f"«{top.label}» (средний ранг {mr} из 18). Иерархии учащихся и родителей согласованы: "
        f"ρ Спирмена = {rho} (p {p}); ранги ипсативны, поэтому сравниваются иерархии, а не баллы.",
        f"In {last}, students put «{top.label}» first among terminal values (mean rank {mr} of "
        f"18). The hierarchies of students and parents agree: Spearman ρ = {rho} (p {p}); ranks "
        f"are ipsative, so hierarchies are compared, not scores.")
    return f


def _reliability(w: _Writer) -> Finding | None:
    rel = w.get("scoring", "reliability")
    if rel is None:
        return None
    base = "wave == 'all' and measure == 'alpha_raw' and missing == 'listwise'"
    d = rel.query(base)
    if d.empty:
        return None
    f = Finding("reliability", "rel", "reliability")
    m = f.quote("scales", len(d), str(len(d)), Source("scoring", "reliability", base, "est",
                                                      "count"))
    k = int((d.est >= 0.7).sum())
    kq = f.quote("reliable", k, str(k), Source("scoring", "reliability", base + " and est >= 0.7",
                                               "est", "count"))
    mn = f.quote("min", d.est.min(), w.num(d.est.min(), 2), Source("scoring", "reliability", base,
                                                                  "est", "min"))
    f.text = w.ru(
        f"Надёжность шкал: α Кронбаха не ниже 0,70 (условный порог) у {kq} из {m} сочетаний "
        f"«шкала × группа респондентов»; наименьшее α = {mn}. Шкалы с низкой надёжностью "
        f"сравниваются осторожно: их различия ослаблены ошибкой измерения.",
        f"Reliability: Cronbach's α reaches 0.70 (a conventional cut-off) in {kq} of {m} scale × "
        f"respondent-group pairs; the lowest α is {mn}. Scales of low reliability are compared "
        f"with care: measurement error attenuates their differences.")
    return f


def _indicators(w: _Writer) -> Finding | None:
    ind = w.get("dynamics", "indicators")
    if ind is None or ind.empty:
        return None
    f = Finding("indicators", "indicators", "indicators")
    n = f.quote("indicators", ind.indicator.nunique(), str(ind.indicator.nunique()),
                Source("dynamics", "indicators", "", "indicator", "nunique"))
    q_t = "target == target"                              # a target the programme text states
    t = ind.query(q_t, engine="python")
    nt = f.quote("with_target", t.indicator.nunique(), str(t.indicator.nunique()),
                 Source("dynamics", "indicators", q_t, "indicator", "nunique"))
    q_g = q_t + " and achievement in ['achieved', 'not achieved', 'partly achieved']"
    g = ind.query(q_g, engine="python")
    m = f.quote("graded", len(g), str(len(g)), Source("dynamics", "indicators", q_g, "indicator",
                                                     "count"))
    k = int((g.achievement == "achieved").sum())
    kq = f.quote("achieved", k, str(k), Source("dynamics", "indicators",
                                               q_g + " and achievement == 'achieved'",
                                               "indicator", "count"))
    f.text = w.ru(
        f"Показателей в каталогах программ: {n} (номер, формулировка и база — как в тексте "
        f"программы; доли групп реестра добавлены исследованием). Целевое значение тексты "
        f"устанавливают для {nt} из них. Сочетаний «показатель × год цели», для которых есть и "
        f"цель из текста, и данные: {m}; из них достигнуто: {kq}. Показатели без установленной "
        f"цели не оцениваются — по ним приведены значения по годам; частичное достижение тексты "
        f"не определяют.",
        f"The programme catalogues hold {n} indicators (number, wording and base as in the "
        f"programme text; the register's group shares added by the study). The texts set a "
        f"target for {nt} of them. {m} indicator × target-year pairs have both a target from the "
        f"text and data, and {kq} of them were achieved. Indicators without a target set are not "
        f"graded — their values are shown by "
        f"year; the texts define no partial achievement.")
    return f


def _register(w: _Writer) -> Finding | None:
    reg = w.get("models", "register")
    if reg is None or "low_results" not in reg or reg.year.nunique() < 1:
        return None
    f = Finding("register", "register", "register_summary")
    y0, y1 = int(reg.year.min()), int(reg.year.max())
    src = lambda q, col="school_id": Source("models", "register", q, col, "count")  # noqa: E731

    def count(q: str, name: str) -> str:
        k = int(len(reg.query(q, engine="python")))
        return f.quote(name, k, str(k), src(q))
    lo0 = count(f"year == {y0} and low_results == True", "low_first")
    lo1 = count(f"year == {y1} and low_results == True", "low_last")
    n1 = count(f"year == {y1}", "schools_last")
    un = count(f"year == {y1} and unfavourable_context == True", "unfavourable_last")
    rs = count(f"year == {y1} and resilient == True", "resilient_last")
    cr = count("crisis == True", "crisis")
    im = count("improvement == True", "improvement")
    f.text = w.ru(
        f"Реестр школ (абсолютные правила): школ с низкими результатами — {lo0} в {y0} г. и "
        f"{lo1} в {y1} г. (из {n1}); в {y1} г. в неблагоприятном контексте (ШФНСУ) — {un}, "
        f"резильентных по правилу реестра для этого года — {rs} (тот же порог контекста; "
        f"резильентные по среднему за все годы — в выводе выше). Школ-лет в кризисе (резкое "
        f"падение) — {cr}, с наибольшим устойчивым ростом — {im}. Правила и их основания — в "
        f"разделе реестра; статус — повод для внимания, не оценка работы школы.",
        f"Register of schools (absolute rules): low-result schools — {lo0} in {y0} and {lo1} in "
        f"{y1} (of {n1}); in {y1}, {un} in an unfavourable context (ШФНСУ) and {rs} resilient "
        f"by the register's rule for that year (the same context cut-off; schools resilient on "
        f"their mean over all years are in the finding above). School-years in crisis (a sharp fall): {cr}; with "
        f"the largest stable improvement: {im}. The rules and their basis are in the register "
        f"section; a status is a reason for attention, not a grade of the school's work.")
    return f


def _measurement(w: _Writer, last: int) -> Finding | None:
    inv = w.get("scoring", "measurement_invariance")
    if inv is None or "across" not in inv:
        return None
    base = f"across == 'group' and wave == {last} and status == 'estimated'"
    d = inv.query(base, engine="python")
    if d.empty:
        return None
    f = Finding("measurement", "rel", "measurement_invariance")
    n = d.variable.nunique()
    nq = f.quote("scales", n, str(n), Source("scoring", "measurement_invariance",
                                             base + " and model == 'configural'", "variable",
                                             "nunique"))
    sq = base + " and model == 'scalar' and holds == True"
    k = int(d.query("model == 'scalar' and holds == True", engine="python").variable.nunique())
    kq = f.quote("scalar", k, str(k), Source("scoring", "measurement_invariance", sq, "variable",
                                             "nunique"))
    ten_ru = ten_en = ""
    tq = base + " and variable == 'tension' and model == 'scalar'"
    t = inv.query(tq, engine="python")
    if len(t) == 1 and not bool(t.holds.iloc[0]):
        dc = f.quote("tension_delta_cfi", float(t.delta_cfi.iloc[0]),
                     w.num(float(t.delta_cfi.iloc[0]), 3),
                     Source("scoring", "measurement_invariance", tq, "delta_cfi", "first"))
        ten_ru = (f" Для индекса социальной напряжённости скалярная инвариантность не "
                  f"подтверждается (ΔCFI = {dc}): различия средних учащихся, родителей и учителей "
                  f"нельзя читать как различия в напряжённости — группы по-разному отвечают на "
                  f"одни и те же вопросы; сравнимы связи, а не уровни.")
        ten_en = (f" For the social tension index scalar invariance is not supported (ΔCFI = "
                  f"{dc}): differences between the means of students, parents and teachers "
                  f"cannot be read as differences in tension — the groups answer the same "
                  f"questions differently; associations are comparable, levels are not.")
    f.text = w.ru(
        f"Измерительная инвариантность между группами респондентов ({last}): шкал с общими "
        f"для групп пунктами — {nq}; средние можно сравнивать (скалярная инвариантность) у "
        f"{kq}.{ten_ru}",
        f"Measurement invariance across respondent groups ({last}): scales with items shared "
        f"by the groups — {nq}; means may be compared (scalar invariance) for {kq}.{ten_en}")
    return f


def _agreement(w: _Writer, last: int) -> Finding | None:
    ag = w.get("scoring", "teacher_agreement")
    if ag is None:
        return None
    q = f"wave == {last} and scale == 'pc_values'"
    d = ag.query(q)
    if d.empty:
        return None
    f = Finding("agreement", "community", "teacher_agreement")
    med = f.quote("median", d.est.median(), w.num(d.est.median(), 2),
                  Source("scoring", "teacher_agreement", q, "est", "median"))
    k = int((d.est >= 0.7).sum())
    kq = f.quote("agreed", k, str(k), Source("scoring", "teacher_agreement", q + " and est >= 0.7",
                                             "est", "count"))
    n = f.quote("schools", len(d), str(len(d)), Source("scoring", "teacher_agreement", q, "est",
                                                       "count"))
    f.text = w.ru(
        f"Согласованность профессиональных ценностей учителей внутри школы (rwg(j)) в {last} г.: "
        f"медиана {med}; в {kq} из {n} школ rwg(j) ≥ 0,70 — условный порог согласия "
        f"(LeBreton & Senter, 2008).",
        f"Agreement of teachers' professional values within schools (rwg(j)) in {last}: median "
        f"{med}; rwg(j) ≥ 0.70, a conventional cut-off for agreement (LeBreton & Senter, 2008), "
        f"in {kq} of {n} schools.")
    return f


def build_findings(tables, *, lang: str, waves: list[int], min_cell: int,
                   thresholds: tuple[float, float, float], typology: dict,
                   alpha: float = 0.05) -> list[Finding]:
    """The study's key findings, in the order of the report's sections; rules without data
    (a one-wave study has no change) are left out."""
    w = _Writer(tables, lang, alpha)
    last = max(waves)
    rules: list[Callable[[], Finding | None]] = [
        lambda: _reliability(w),
        lambda: _measurement(w, last),
        lambda: _tension_groups(w, last),
        lambda: _tension_schools(w, last, min_cell, thresholds[1]),
        lambda: _discrepancies(w, last, min_cell),
        lambda: _values(w, last),
        lambda: _agreement(w, last),
        lambda: _context_results(w),
        lambda: _climate(w),
        lambda: _resilient(w, typology),
        lambda: _low_results(w, last, typology),
        lambda: _register(w),
        lambda: _tension_change(w, last),
        lambda: _indicators(w),
    ]
    return [f for f in (r() for r in rules) if f is not None]


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """One row per quoted number: finding number, key, table, quantity, value, printed text and
    its source (stage, table, row filter, column, aggregation) — the evidence of the findings."""
    rows = []
    for i, f in enumerate(findings, 1):
        for name, (value, text, s) in f.numbers.items():
            rows.append({"finding": i, "key": f.key, "text": f.text, "table": f.table,
                         "quantity": name,
                         "est": float(value), "printed": text, "source_stage": s.stage,
                         "source_table": s.name, "source_query": s.query,
                         "source_column": s.column, "source_agg": s.agg})
    return pd.DataFrame(rows)


def limitations(tables, *, lang: str, waves: list[int], min_cell: int) -> list[str]:
    """The limitations section, written from the study's own numbers: how many answered, how
    small the schools' cells are, the smallest change a school could show, what is observed
    rather than tested, and what the scales are."""
    w = _Writer(tables, lang, 0.05)
    out = []
    counts = w.get("responses", "row_counts")
    if counts is not None:
        per = counts.groupby("group").clean_rows.sum()
        order = [g for g in ("students", "parents", "teachers") if g in per.index]
        parts = [f"{w.group(g, 'lower')} — {int(per[g])}" for g in order]
        out.append(w.ru(
            f"Выборка: принято к анализу анкет — {', '.join(parts)}; волны "
            f"{', '.join(map(str, waves))}; многоступенчатая выборка школ и классов, оценки по "
            f"муниципалитету взвешены и учитывают дизайн.",
            f"Sample: questionnaires of {', '.join(parts)} over {len(waves)} waves "
            f"({', '.join(map(str, waves))}); a multistage sample of schools and classes; "
            f"municipality estimates are weighted and design-based."))
    est = w.get("design", "estimates_by_school")
    if est is not None:
        last = est[est.wave == max(waves)].drop_duplicates(["school_id", "group"])
        med = last.groupby("group").n.median()
        parts = [f"{w.group(g, 'lower')} — {w.num(med[g], 0)}"
                 for g in ("students", "parents", "teachers") if g in med.index]
        small = int((last.n < min_cell).sum())
        out.append(w.ru(
            f"Внутри школы ответов немного (медиана числа ответивших на школу: {', '.join(parts)}); "
            f"{small} сочетаний «школа × группа» меньше порога публикации ({min_cell}) и не "
            f"показываются. Оценки по школе рассматривают ответивших как выборку из школы: "
            f"при двух классах на школу межклассовую дисперсию оценить нельзя.",
            f"Within a school few answered (median respondents per school: {', '.join(parts)}); "
            f"{small} school × group cells are under the publication limit ({min_cell}) and are "
            f"not shown. School estimates treat the respondents as a sample of the school: with "
            f"two classes a school the between-class variance cannot be estimated."))
    ch = w.get("dynamics", "change_by_school")
    if ch is not None and "mdc" in ch:
        d = ch[(ch.group == "students") & (ch.variable == "tension")]
        if not d.empty:
            mdc = d.mdc.median()
            out.append(w.ru(
                f"Изменение индекса напряжённости учащихся отдельной школы между первой и последней "
                f"волной можно обнаружить, только если оно не меньше примерно {w.num(mdc, 1)} "
                f"пункта (медиана минимально обнаружимого изменения, мощность 0,8); меньшие "
                f"изменения тесты не различают — «без изменений» означает «не обнаружено», а не "
                f"«изменений нет».",
                f"A change of one school's student tension index between the first and last wave "
                f"is detectable only if it is about {w.num(mdc, 1)} points or more (median minimum "
                f"detectable change at power 0.8); smaller changes cannot be told apart — "
                f"'no change' means 'not detected', not 'absent'."))
    out.append(w.ru(
        "Все связи в отчёте — наблюдательные: школы не распределялись по условиям случайно, "
        "поэтому они не доказывают влияния. Шкалы напряжённости, мотивации, тревожности, "
        "выгорания и профессионального сообщества составлены для этого проекта и не имеют "
        "опубликованных норм; уровни и пороги — соглашения исследования, а не нормы.",
        "Every association in the report is observational: schools were not assigned to their "
        "conditions at random, so none shows an effect. The tension, motivation, anxiety, burnout "
        "and professional-community scales were written for this project and have no published "
        "norms; levels and cut-offs are conventions of the study, not norms."))
    return out
