"""Paper export: what an author needs for a conference paper — the methods paragraph in Russian
and English written from the study's own parameters and numbers, and the BibTeX of every source
it cites (the methods, the instruments and the R packages whose results the package reproduces).

The report stage writes ``08_report/paper/``: ``methods_ru.md``, ``methods_en.md``,
``references.bib``, and copies of the APA tables (DOCX, LaTeX) and figures (PDF, PNG 300 dpi)
the note shows.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from ..instruments import load_instrument

#: The sources the methods paragraph cites (key -> BibTeX entry).
REFERENCES: dict[str, str] = {
    "cronbach1951": """@article{cronbach1951,
  author = {Cronbach, Lee J.}, year = {1951},
  title = {Coefficient alpha and the internal structure of tests},
  journal = {Psychometrika}, volume = {16}, number = {3}, pages = {297--334}}""",
    "mcdonald1999": """@book{mcdonald1999,
  author = {McDonald, Roderick P.}, year = {1999}, title = {Test Theory: A Unified Treatment},
  publisher = {Lawrence Erlbaum}, address = {Mahwah, NJ}}""",
    "feldt1987": """@article{feldt1987,
  author = {Feldt, Leonard S. and Woodruff, David J. and Salih, Fathi A.}, year = {1987},
  title = {Statistical inference for coefficient alpha},
  journal = {Applied Psychological Measurement}, volume = {11}, number = {1}, pages = {93--103}}""",
    "james1984": """@article{james1984,
  author = {James, Lawrence R. and Demaree, Robert G. and Wolf, Gerrit}, year = {1984},
  title = {Estimating within-group interrater reliability with and without response bias},
  journal = {Journal of Applied Psychology}, volume = {69}, number = {1}, pages = {85--98}}""",
    "burke1999": """@article{burke1999,
  author = {Burke, Michael J. and Finkelstein, Lisa M. and Dusig, Matthew S.}, year = {1999},
  title = {On average deviation indices for estimating interrater agreement},
  journal = {Organizational Research Methods}, volume = {2}, number = {1}, pages = {49--68}}""",
    "lebreton2008": """@article{lebreton2008,
  author = {LeBreton, James M. and Senter, Jenell L.}, year = {2008},
  title = {Answers to 20 questions about interrater reliability and interrater agreement},
  journal = {Organizational Research Methods}, volume = {11}, number = {4}, pages = {815--852}}""",
    "bliese2000": """@incollection{bliese2000,
  author = {Bliese, Paul D.}, year = {2000},
  title = {Within-group agreement, non-independence, and reliability: Implications for data
           aggregation and analysis},
  booktitle = {Multilevel Theory, Research, and Methods in Organizations},
  editor = {Klein, Katherine J. and Kozlowski, Steve W. J.}, publisher = {Jossey-Bass},
  address = {San Francisco}, pages = {349--381}}""",
    "rokeach1973": """@book{rokeach1973,
  author = {Rokeach, Milton}, year = {1973}, title = {The Nature of Human Values},
  publisher = {Free Press}, address = {New York}}""",
    "schwartz2001": """@article{schwartz2001,
  author = {Schwartz, Shalom H. and Melech, Gila and Lehmann, Arielle and Burgess, Steven and
            Harris, Mari and Owens, Vicki}, year = {2001},
  title = {Extending the cross-cultural validity of the theory of basic human values with a
           different method of measurement},
  journal = {Journal of Cross-Cultural Psychology}, volume = {32}, number = {5},
  pages = {519--542}}""",
    "lumley2004": """@article{lumley2004,
  author = {Lumley, Thomas}, year = {2004}, title = {Analysis of complex survey samples},
  journal = {Journal of Statistical Software}, volume = {9}, number = {8}, pages = {1--19}}""",
    "bates2015": """@article{bates2015,
  author = {Bates, Douglas and M{\\"a}chler, Martin and Bolker, Ben and Walker, Steve},
  year = {2015}, title = {Fitting linear mixed-effects models using {lme4}},
  journal = {Journal of Statistical Software}, volume = {67}, number = {1}, pages = {1--48}}""",
    "white1980": """@article{white1980,
  author = {White, Halbert}, year = {1980},
  title = {A heteroskedasticity-consistent covariance matrix estimator and a direct test for
           heteroskedasticity},
  journal = {Econometrica}, volume = {48}, number = {4}, pages = {817--838}}""",
    "holm1979": """@article{holm1979,
  author = {Holm, Sture}, year = {1979},
  title = {A simple sequentially rejective multiple test procedure},
  journal = {Scandinavian Journal of Statistics}, volume = {6}, number = {2}, pages = {65--70}}""",
    "hedges1981": """@article{hedges1981,
  author = {Hedges, Larry V.}, year = {1981},
  title = {Distribution theory for {Glass's} estimator of effect size and related estimators},
  journal = {Journal of Educational Statistics}, volume = {6}, number = {2}, pages = {107--128}}""",
    "cliff1993": """@article{cliff1993,
  author = {Cliff, Norman}, year = {1993},
  title = {Dominance statistics: Ordinal analyses to answer ordinal questions},
  journal = {Psychological Bulletin}, volume = {114}, number = {3}, pages = {494--509}}""",
    "oecd2020": """@book{oecd2020,
  author = {{OECD}}, year = {2020}, title = {{PISA} 2018 Technical Report},
  publisher = {OECD Publishing}, address = {Paris}}""",
    "psych": """@manual{psych,
  author = {Revelle, William}, year = {2022},
  title = {psych: Procedures for Psychological, Psychometric, and Personality Research},
  note = {R package version 2.2.9}, organization = {Northwestern University}}""",
    "survey": """@manual{survey,
  author = {Lumley, Thomas}, year = {2022}, title = {survey: Analysis of Complex Survey Samples},
  note = {R package version 4.1-1}}""",
    "multilevel": """@manual{multilevel,
  author = {Bliese, Paul}, year = {2022}, title = {multilevel: Multilevel Functions},
  note = {R package version 2.7}}""",
}


_GROUP_WORDS = {"ru": {"students": "учащиеся", "parents": "родители", "teachers": "учителя"},
                "en": {"students": "students", "parents": "parents", "teachers": "teachers"}}


def instruments_text(instruments=("students", "parents", "teachers"), *, lang: str) -> str:
    """The provenance of every scale and item block of the instruments, one line each: label
    (groups): status and source, or the basis of project-authored items; the basis of printed
    levels. Scales of the same id and provenance in several groups share a line; the ten PVQ-21
    value indices share one. Read from the ``provenance:`` of ``surveys/*.yaml``."""
    lines: dict[tuple, list] = {}
    for ref in instruments:
        ins = load_instrument(ref)
        blocks = [(sid, sc.label.get(lang), sc.provenance, sc.role)
                  for sid, sc in ins.scales.items()]
        blocks += [(sec.id, sec.title.get(lang), sec.provenance, "")
                   for sec in ins.sections if sec.provenance is not None]
        for sid, label, prov, role in blocks:
            if role == "pvq_value":
                sid, label = "pvq", ("PVQ-21: 10 ценностей" if lang == "ru" else
                                     "PVQ-21: 10 values")
            if prov is None:
                text = "происхождение не указано" if lang == "ru" else "provenance not given"
            else:
                text = prov.summary(lang)
                if prov.levels_basis.get(lang):
                    text += f". {prov.levels_basis.get(lang)}"
            entry = lines.setdefault((sid, text), [label, []])
            group = _GROUP_WORDS[lang].get(ins.group, ins.group)
            if group not in entry[1]:
                entry[1].append(group)
    head = ("Происхождение шкал и блоков анкет:" if lang == "ru" else
            "Provenance of the scales and item blocks:")
    return "\n".join([head] + [f"- {label} ({', '.join(groups)}): {text}"
                               for (_, text), (label, groups) in lines.items()])


def methods_text(*, lang: str, groups: dict[str, int], waves: list[int], n_schools: int,
                 min_cell: int, thresholds, typology: dict, adjust: str, alpha: float,
                 index_weights: str, instruments=("students", "parents", "teachers")) -> str:
    """The methods paragraph of a paper, from the study's counts and parameters, with
    ``[@key]`` citations of :data:`REFERENCES` (pandoc style), followed by the provenance of
    every scale of ``instruments`` (:func:`instruments_text`; names, paths or Instruments)."""
    g = ", ".join(f"{k} — {v}" if lang == "ru" else f"{k}: {v}" for k, v in groups.items())
    w = ", ".join(map(str, waves))
    sep = "," if lang == "ru" else "."
    lo, mid, hi = (f"{x:g}".replace(".", sep) for x in thresholds)
    cut = (typology.get("register") or {}).get("low_context")
    cq = f"{cut:g}".replace(".", sep) if cut is not None else None
    rsd = f"{typology['residual_sd']:g}".replace(".", sep)
    a = f"{alpha:g}".replace(".", sep)
    holm = " [@holm1979]" if adjust in ("holm", "Holm", "Холма") else ""
    if lang == "ru":
        return (
            f"Исследование проведено в {len(waves)} волнах ({w}) на многоступенчатой выборке "
            f"школ ({n_schools}) и классов; анкетированы учащиеся, родители и учителя (принято к "
            f"анализу анкет: {g}). Анкеты раздаточные; шкалы социальной напряжённости, учебной "
            f"мотивации (внутренней и контролируемой), школьной тревожности, выгорания (по трём "
            f"измерениям MBI, но не пункты MBI) и профессионального сообщества учителей "
            f"составлены для проекта (авторские, без опубликованных норм); ценностные ориентации "
            f"измерены ранжированием терминальных и инструментальных ценностей [@rokeach1973] и "
            f"портретным опросником PVQ-21 (перевод проекта, мужская и женская версии) с "
            f"центрированием на среднем ответе респондента [@schwartz2001]. Надёжность оценена α Кронбаха [@cronbach1951] с доверительным "
            f"интервалом Фельдта [@feldt1987] и ω [@mcdonald1999]; согласованность учителей внутри "
            f"школы — rwg(j) [@james1984], AD [@burke1999] и ICC [@bliese2000]. Оценки по "
            f"муниципалитету взвешены и учитывают страты, школы и классы (линеаризация Тейлора "
            f"[@lumley2004]). Индекс социального благополучия школы — "
            f"{'равновзвешенное' if index_weights == 'equal' else 'взвешенное по первой главной компоненте'} "
            f"среднее стандартизованных показателей социального паспорта (по образцу ESCS "
            f"[@oecd2020]). Связь результатов (средний z-балл ВПР, ОГЭ, ЕГЭ) с индексом оценена "
            f"регрессией по годам со стандартными ошибками HC1 [@white1980] и двухуровневой "
            f"моделью со случайным интерсептом школы (REML) [@bates2015]; резильентные школы — "
            + (f"индекс благополучия не выше общего порога неблагоприятного контекста ({cq} SD "
               f"базового года; тот же порог, что для ШФНСУ) и остаток выше "
               if cq is not None else "индекс в нижней части распределения и остаток выше ") +
            f"{rsd} SD. Изменения между волнами проверены с поправкой "
            f"{adjust}{holm} при α = {a}; величина эффекта — g Хеджеса [@hedges1981] и "
            f"δ Клиффа [@cliff1993]. Уровни напряжённости (< {lo}, {lo}–{mid}, {mid}–{hi}, "
            f"≥ {hi}) — соглашение проекта. Ячейки менее {min_cell} респондентов не публикуются. "
            f"Расчёты выполнены пакетом shnro_research; его оценки совпадают с R (psych [@psych], "
            f"survey [@survey], lme4 [@bates2015], multilevel [@multilevel]) на эталонных данных."
            "\n\n" + instruments_text(instruments, lang=lang))
    return (
        f"The study ran in {len(waves)} waves ({w}) on a multistage sample of {n_schools} schools "
        f"and their classes; students, parents and teachers answered handout questionnaires "
        f"(questionnaires analysed: {g}). The social tension, learning motivation (intrinsic and "
        f"controlled), school anxiety, burnout (after the three MBI dimensions, not the MBI "
        f"items) and teachers' professional community scales were written for this project "
        f"(project-authored, without published norms); value orientations were measured by "
        f"ranking terminal and instrumental values [@rokeach1973] and by the PVQ-21 portrait "
        f"questionnaire (the project's translation, male and female versions) centred on each "
        f"respondent's mean answer [@schwartz2001]. Reliability is "
        f"Cronbach's α [@cronbach1951] with Feldt's interval [@feldt1987] and ω [@mcdonald1999]; "
        f"agreement of teachers within schools is rwg(j) [@james1984], AD [@burke1999] and ICC "
        f"[@bliese2000]. Municipality estimates are weighted and account for strata, schools and "
        f"classes (Taylor linearisation [@lumley2004]). The school social well-being index is the "
        f"{'equally weighted' if index_weights == 'equal' else 'first-principal-component weighted'}"
        f" mean of standardised social-passport indicators (after ESCS [@oecd2020]). Results "
        f"(mean z-score of ВПР, ОГЭ, ЕГЭ) were related to the index by yearly regressions with "
        f"HC1 standard errors [@white1980] and a two-level random-intercept model (REML) "
        f"[@bates2015]; resilient schools have an index at or below the shared "
        + (f"low-context cut-off ({cq} SD of the reference year, the same as for ШФНСУ)"
           if cq is not None else "low-context cut-off")
        + f" and a residual above {rsd} SD. Changes between waves were "
        f"tested with the {adjust} adjustment{holm} at α = {a}; effect sizes are "
        f"Hedges' g [@hedges1981] and Cliff's δ [@cliff1993]. Tension levels (< {lo}, "
        f"{lo}–{mid}, {mid}–{hi}, ≥ {hi}) are this project's convention. Cells of fewer "
        f"than {min_cell} respondents are not published. Computations used the shnro_research "
        f"package, whose estimates agree with R (psych [@psych], survey [@survey], lme4 "
        f"[@bates2015], multilevel [@multilevel]) on reference data."
        "\n\n" + instruments_text(instruments, lang=lang))


def bibtex(keys=None) -> str:
    """The BibTeX entries of the given keys (default: every reference)."""
    keys = list(REFERENCES) if keys is None else keys
    return "\n\n".join(REFERENCES[k] for k in keys) + "\n"


def write_paper(folder: Path, report_dir: Path, *, methods: dict[str, str],
                tables: list[str], figures: list[str]) -> list[Path]:
    """``folder`` with the methods paragraphs, the BibTeX file and copies of the named APA
    tables (DOCX, LaTeX) and figures (PDF, PNG) of the report."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lang, text in methods.items():
        p = folder / f"methods_{lang}.md"
        p.write_text(text + "\n", encoding="utf-8")
        written.append(p)
    cited = [k for k in REFERENCES if any(f"@{k}]" in t for t in methods.values())]
    p = folder / "references.bib"
    p.write_text(bibtex(cited), encoding="utf-8")
    written.append(p)
    for name in tables:
        for ext in ("docx", "tex"):
            src = report_dir / "tables" / f"{name}.{ext}"
            if src.exists():
                written.append(Path(shutil.copy2(src, folder / src.name)))
    for name in figures:
        for ext in ("pdf", "png"):
            src = report_dir / "figures" / f"{name}.{ext}"
            if src.exists():
                written.append(Path(shutil.copy2(src, folder / src.name)))
    return written
