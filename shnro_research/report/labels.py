"""The one glossary of the package's readers: labels of columns, of key values (respondent
groups, levels, classes), of figure axes and of report sections, in Russian and English.

Scale and item labels come from the instruments themselves; everything else a reader sees is
labelled here; :func:`relabel` turns a table's ids into labels.
"""
from __future__ import annotations

import pandas as pd

LANGS = ("ru", "en")

#: Labels of the column vocabulary and of the study's key columns.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "est": ("Оценка", "Estimate"),
    "se": ("Ст. ошибка", "SE"),
    "ci": ("95% ДИ", "95% CI"),
    "ci_low": ("Нижняя граница ДИ", "CI lower"),
    "ci_high": ("Верхняя граница ДИ", "CI upper"),
    "df": ("ст. св.", "df"),
    "n": ("n", "n"),
    "n_eff": ("Эфф. n", "Effective n"),
    "deff": ("Эффект дизайна", "Design effect"),
    "statistic": ("Статистика", "Statistic"),
    "p_value": ("p", "p"),
    "p_adjusted": ("p (скорр.)", "p (adjusted)"),
    "model": ("Модель", "Model"),
    "mean_mark": ("Средняя отметка ВПР", "Mean ВПР mark"),
    "term_mark_mean": ("Средняя четвертная отметка", "Mean term mark"),
    "highest": ("Высший достигнутый уровень инвариантности", "Highest invariance level that holds"),
    "mde": ("Мин. обнаружимый коэфф. (мощность 80%)", "Min. detectable coef. (80% power)"),
    "term": ("Предиктор", "Term"),
    "variable": ("Переменная", "Variable"),
    "scale": ("Шкала", "Scale"),
    "item": ("Пункт", "Item"),
    "school_id": ("Школа", "School"),
    "class_id": ("Класс", "Class"),
    "group": ("Группа", "Group"),
    "wave": ("Волна", "Wave"),
    "year": ("Год", "Year"),
    "indicator": ("Показатель", "Indicator"),
    "value": ("Значение", "Value"),
    "target": ("Целевое значение", "Target"),
    "achievement": ("Достижение", "Achievement"),
    "level": ("Уровень", "Level"),
    "alpha": ("α Кронбаха", "Cronbach's α"),
    "omega": ("ω", "ω"),
    "mean": ("Среднее", "Mean"),
    "sd": ("Ст. откл.", "SD"),
    "diff": ("Разность", "Difference"),
    "component": ("Компонент", "Component"),
    "variance": ("Дисперсия", "Variance"),
    "icc": ("ICC", "ICC"),
    "type": ("Тип", "Type"),
    "rule": ("Правило", "Rule"),
    "result_index": ("Индекс результатов (шкала базового года)", "Results index (reference-year scale)"),
    "context_z": ("Индекс благополучия, SD базового года", "Well-being index, SD of the reference year"),
    "change": ("Изменение за год", "Change since the previous year"),
    "rise": ("Рост за период", "Rise over the years"),
    "n_procedures": ("Процедур оценено", "Procedures judged"),
    "n_failed": ("Процедур с ≥ порога «2»", "Procedures failed"),
    "procedures_failed": ("Процедуры с низкими результатами", "Procedures failed"),
    "low_results": ("ШНОР (низкие результаты)", "Low results (ШНОР)"),
    "unfavourable_context": ("ШФНСУ (неблагоприятный контекст)", "Unfavourable context (ШФНСУ)"),
    "resilient": ("Резильентная", "Resilient"),
    "crisis": ("Кризис (резкое падение)", "Crisis (sharp fall)"),
    "improvement": ("Наибольший устойчивый рост", "Largest stable improvement"),
    "four_group": ("Группа (результаты × контекст)", "Group (results x context)"),
    "status": ("Статусы", "Statuses"),
    "from_year": ("Из года", "From year"),
    "to_year": ("В год", "To year"),
    "from_state": ("Было", "From"),
    "to_state": ("Стало", "To"),
    "transition": ("Переход", "Transition"),
    "parameter": ("Порог", "Threshold"),
    "setting": ("Вариант", "Setting"),
    "threshold": ("Значение порога", "Threshold value"),
    "n_flagged": ("Школо-лет в статусе", "School-years with the status"),
    "n_changed": ("Школо-лет сменили статус", "School-years changed"),
    "n_schools_changed": ("Школ сменили статус", "Schools changed"),
    "context_cutoff": ("Порог контекста, SD базового года", "Context cut-off, SD of the reference year"),
    "context_cutoff_index": ("Порог контекста, единицы индекса", "Context cut-off, index units"),
    "change_sd": ("Устойчивое SD изменений за год", "Robust SD of year-to-year changes"),
    "basis": ("Основание", "Basis"),
    "share": ("Доля", "Share"),
    "outcome": ("Зависимая переменная", "Outcome"),
    "r2": ("R²", "R²"),
    "sigma": ("σ", "σ"),
    "raw_rows": ("Строк в файле", "Raw rows"),
    "clean_rows": ("Принято", "Kept"),
    "excluded_rows": ("Исключено", "Excluded"),
    "problem": ("Проблема", "Problem"),
    "action": ("Действие", "Action"),
    "option": ("Вариант ответа", "Option"),
    "need": ("Потребность", "Need"),
    "rules": ("Правила", "Rules"),
    "municipality": ("Муниципалитет", "Municipality"),
    "est_resilient": ("Резильентные", "Resilient"),
    "est_other": ("Остальные", "Others"),
    "n_resilient": ("n рез.", "n resilient"),
    "n_other": ("n ост.", "n others"),
    "hedges_g": ("g Хеджеса", "Hedges' g"),
    "by": ("Признак", "Factor"),
    "category": ("Группа", "Group"),
    "verdict": ("Вывод", "Verdict"),
    "mean_importance": ("Важность", "Importance"),
    "mean_realisation": ("Реализованность", "Realisation"),
    "n_items": ("Пунктов", "Items"),
    "tension_level": ("Уровень напряжённости", "Tension level"),
    "group_a": ("Группа A", "Group A"),
    "group_b": ("Группа B", "Group B"),
    "mean_a": ("Среднее A", "Mean A"),
    "mean_b": ("Среднее B", "Mean B"),
    "p_holm": ("p (Холм)", "p (Holm)"),
    "method": ("Метод", "Method"),
    "classification": ("Оценка изменения", "Change"),
    "wave_base": ("Базовая волна", "Base wave"),
    "wave_compare": ("Волна сравнения", "Compared wave"),
    "wellbeing_index": ("Индекс благополучия школы", "School well-being index"),
    "loading": ("Нагрузка (ГК1)", "Loading (PC1)"),
    "explained_variance": ("Доля дисперсии ГК1", "PC1 share of variance"),
    "reference_year": ("Базовый год", "Reference year"),
    "reference_mean": ("Среднее базового года", "Reference-year mean"),
    "reference_sd": ("Ст. откл. базового года", "Reference-year SD"),
    "n_reference": ("n школ базового года", "n schools, reference year"),
    "index_center": ("Центр индекса", "Index centre"),
    "index_scale": ("Масштаб индекса", "Index scale"),
    "students_per_teacher": ("Учащихся на учителя", "Students per teacher"),
    "students_per_class": ("Учащихся в классе", "Students per class"),
    "adjust_method": ("Поправка", "Adjustment"),
    "result": ("Результат", "Result"),
    "residual": ("Остаток", "Residual"),
    "rules_fired": ("Сработавшие правила", "Rules fired"),
    "schools": ("Школы", "Schools"),
    "years": ("Годы", "Years"),
    "direction": ("Направление", "Direction"),
    "weight": ("Вес", "Weight"),
    "negative_pct": ("% негативных", "% negative"),
    "positive_pct": ("% позитивных", "% positive"),
    "cv": ("CV весов", "Weight CV"),
    "weight_sum": ("Сумма весов", "Sum of weights"),
    "n_a": ("n A", "n A"),
    "n_b": ("n B", "n B"),
    "share_pct": ("Доля школ, %", "Share of schools, %"),
    "rwg_j_median": ("Медиана rwg(j)", "Median rwg(j)"),
    "ad_mean": ("Среднее AD", "Mean AD"),
    "icc1": ("ICC(1)", "ICC(1)"),
    "icc2": ("ICC(2)", "ICC(2)"),
    "alpha_raw_listwise": ("α (listwise)", "α (listwise)"),
    "alpha_std_listwise": ("α станд. (listwise)", "Std. α (listwise)"),
    "alpha_raw_pairwise": ("α (pairwise)", "α (pairwise)"),
    "omega_total_listwise": ("ω общая", "ω total"),
    # measurement: CFA and invariance (scoring stage, docs/METHODS.md § 22)
    "estimator": ("Метод оценивания", "Estimator"),
    "chi2": ("χ²", "χ²"),
    "cfi": ("CFI", "CFI"),
    "tli": ("TLI", "TLI"),
    "rmsea": ("RMSEA", "RMSEA"),
    "rmsea_ci_low": ("RMSEA, 90% ДИ: нижняя", "RMSEA 90% CI lower"),
    "rmsea_ci_high": ("RMSEA, 90% ДИ: верхняя", "RMSEA 90% CI upper"),
    "srmr": ("SRMR", "SRMR"),
    "loading_min": ("Наименьшая станд. нагрузка", "Smallest std. loading"),
    "weakest_item": ("Пункт с наименьшей нагрузкой", "Item with the smallest loading"),
    "across": ("Сравнение между", "Compared across"),
    "compared": ("Сравниваемые", "Compared"),
    "items": ("Пункты", "Items"),
    "group_equal": ("Равные параметры", "Equal parameters"),
    "n_groups": ("Групп", "Groups"),
    "delta_chi2": ("Δχ²", "Δχ²"),
    "delta_df": ("Δ ст. св.", "Δdf"),
    "delta_cfi": ("ΔCFI", "ΔCFI"),
    "delta_rmsea": ("ΔRMSEA", "ΔRMSEA"),
    "holds": ("Инвариантность подтверждена", "Invariance holds"),
}

#: Values of key columns that are translated (respondent groups, levels).
VALUE_LABELS: dict[str, tuple[str, str]] = {
    "students": ("Учащиеся", "Students"),
    "four_groups": ("Четыре группы школ (реестр)", "Four groups of schools (register)"),
    "kazachinsky": ("Казачинский район, 2018–2020", "Kazachinsky district, 2018–2020"),
    "kirovgrad": ("Кировградский городской округ", "Kirovgrad urban district"),
    "kostroma": ("Кострома, 2020–2021", "Kostroma, 2020–2021"),
    "minusinsk": ("Минусинск, 2020–2022", "Minusinsk, 2020–2022"),
    "smolensk": ("Смоленск", "Smolensk"),
    "context+focal": ("Контекст + заявленная гипотеза", "Context + declared hypothesis"),
    "context+climate": ("Контекст + все показатели климата (разведочная)",
                        "Context + every climate measure (exploratory)"),
    "ses_group": ("Группа по СЭС (терциль)", "SES group (tercile)"),
    "parents": ("Родители", "Parents"),
    "teachers": ("Учителя", "Teachers"),
    "low": ("низкий", "low"),
    "middle": ("средний", "middle"),
    "moderate": ("умеренный", "moderate"),
    "high": ("высокий", "high"),
    "critical": ("критический", "critical"),
    "achieved": ("достигнуто", "achieved"),
    "partly achieved": ("достигнуто частично", "partly achieved"),
    "not achieved": ("не достигнуто", "not achieved"),
    "no data": ("нет данных", "no data"),
    "no target": ("цель не задана", "no target"),
    "positive": ("положительная", "positive"),
    "negative": ("отрицательная", "negative"),
    "no change": ("без изменений", "no change"),
    "cannot tell": ("нельзя судить", "cannot tell"),
    "changed": ("изменилось", "changed"),
    "stably_low": ("стабильно низкие результаты", "stably low"),
    "stably_high": ("стабильно высокие результаты", "stably high"),
    "unstable": ("нестабильные результаты", "persistently unstable"),
    "other": ("прочие", "other"),
    "unfavourable_conditions": ("неблагоприятные условия", "unfavourable conditions"),
    "school": ("школа", "school"),
    "class": ("класс", "class"),
    "residual": ("остаточная", "residual"),
    "Residual": ("остаточная", "residual"),
    "(Intercept)": ("Константа", "(Intercept)"),
    "wellbeing_index": ("Индекс благополучия школы", "School well-being index"),
    "ses": ("СЭС учащегося", "Student SES"),
    "ses_mean": ("Средний СЭС школы", "School mean SES"),
    "listwise": ("listwise", "listwise"),
    "pairwise": ("pairwise", "pairwise"),
    # the register of schools (typology.register; models/register*)
    "low_results_low_context": ("низкие результаты и неблагоприятный контекст",
                                "low results and low context"),
    "low_results_only": ("только низкие результаты", "low results only"),
    "low_context_only": ("неблагоприятный контекст без низких результатов",
                         "low context, not low results"),
    "neither": ("ни то, ни другое", "neither"),
    "not_low_results": ("не ШНОР", "not low results"),
    "not_unfavourable_context": ("не ШФНСУ", "not unfavourable context"),
    "not_resilient": ("не резильентная", "not resilient"),
    "not_crisis": ("без резкого падения", "no crisis"),
    "not_improvement": ("без устойчивого роста", "no improvement"),
    "entered": ("перешла в статус", "entered"),
    "left": ("вышла из статуса", "left"),
    "stayed": ("осталась", "stayed"),
    "stayed_out": ("осталась вне статуса", "stayed out"),
    "minus": ("порог ниже на шаг", "threshold one step lower"),
    "plus": ("порог выше на шаг", "threshold one step higher"),
    "default": ("порог по умолчанию", "default threshold"),
}


#: Codes of data problems and the actions taken (the responses stage's problems table).
PROBLEM_LABELS: dict[str, tuple[str, str]] = {
    "duplicate_id": ("повторный номер анкеты", "duplicate respondent id"),
    "missing_id": ("нет номера анкеты", "no respondent id"),
    "not_in_sample": ("класс или школа не из выборки", "class or school not in the sample"),
    "out_of_range": ("значение вне шкалы", "value out of range"),
    "invalid_code": ("недопустимый код", "invalid code"),
    "not_a_code": ("не код ответа", "not an answer code"),
    "not_a_number": ("не число", "not a number"),
    "too_few_answers": ("слишком мало ответов", "too few answers"),
    "too_many_choices": ("выбрано больше допустимого", "too many choices"),
    "rank_incomplete": ("ранжирование неполное", "ranking incomplete"),
    "rank_ties": ("одинаковые ранги", "tied ranks"),
    "rank_gap": ("пропуск ранга", "rank missing"),
    "rank_not_permutation": ("ранги не перестановка", "ranks not a permutation"),
    "rank_out_of_range": ("ранг вне диапазона", "rank out of range"),
    "straightlining": ("одинаковые ответы подряд", "straightlining"),
    "outside_population": ("вне генеральной совокупности", "outside the population"),
    "experience_exceeds_age": ("стаж больше возраста", "experience exceeds age"),
    "column_not_in_instrument": ("столбец не из анкеты", "column not in the instrument"),
    "set to missing": ("заменено пропуском", "set to missing"),
    "respondent excluded": ("анкета исключена", "respondent excluded"),
    "flagged, kept": ("отмечено, оставлено", "flagged, kept"),
    "column dropped": ("столбец удалён", "column dropped"),
}

#: The rules that make a school resilient (``typology.resilience_rules``).
RESILIENCE_RULES: dict[str, tuple[str, str]] = {
    "quadrant": ("квадрант", "quadrant"),
    "residual": ("остаток", "residual"),
    "benchmark": ("эталон", "benchmark"),
}


def rule_names(rules, lang: str = "ru") -> str:
    """The resilience rules in words, comma-separated."""
    i = LANGS.index(lang)
    return ", ".join(RESILIENCE_RULES.get(r, (r, r))[i] for r in rules)


#: Titles of the study report's sections.
SECTION_TITLES: dict[str, dict[str, str]] = {
    "ru": {
        "findings": "Основные выводы",
        "limits": "Ограничения исследования",
        "data": "Данные и их качество", "rel": "Надёжность шкал",
        "tension": "Социальная напряжённость", "values": "Ценностные ориентации",
        "success": "Представления о жизненном успехе", "needs": "Фундаментальные потребности и институциональные условия",
        "community": "Профессиональное сообщество учителей", "design": "Оценки с учётом дизайна выборки",
        "context": "Индекс социального благополучия школ", "models": "Результаты обучения и социальный контекст",
        "dynamics": "Динамика между волнами", "indicators": "Целевые показатели программы",
    },
    "en": {
        "findings": "Key findings",
        "limits": "Limitations",
        "data": "Data and data quality", "rel": "Reliability of scales",
        "tension": "Social tension", "values": "Value orientations",
        "success": "Ideas of life success", "needs": "Fundamental needs and institutional conditions",
        "community": "Teachers' professional community", "design": "Design-based estimates",
        "context": "School social well-being index", "models": "Results and social context",
        "dynamics": "Change between waves", "indicators": "Programme target indicators",
    },
}



#: Labels of the respondent groups, by language (for figures and cards).
GROUP_LABELS: dict[str, dict[str, str]] = {
    lang: {g: VALUE_LABELS[g][i] for g in ("students", "parents", "teachers")}
    for i, lang in enumerate(LANGS)}


def relabel(df, glossary: dict[str, str], lang: str = "ru", columns=None):
    """A copy of a table for readers: text cells and column names that are ids of the study
    (scales, items, components, indicators, problem codes) replaced by their labels from the
    instruments (``glossary``) or from this module. The vocabulary columns keep their names:
    :func:`report.tables.format_table` labels them."""
    i = LANGS.index(lang)
    words = {k: v[i] for k, v in PROBLEM_LABELS.items()}
    words.update(glossary)
    out = df.copy()
    for c in (columns if columns is not None else out.columns):
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]) \
                or isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].map(lambda v: words.get(v, v) if isinstance(v, str) else v)
    out.columns = [c if c in COLUMN_LABELS else glossary.get(c, VALUE_LABELS.get(c, (c, c))[i])
                   for c in out.columns]
    return out
