"""Forms fit the respondent: PVQ-21 portraits in the male and the female wording (separate
versions of the questionnaire, as the ESS prints them), neutral section headings (no method or
author names that prime the answers), and the new topic blocks on the printed forms."""
import re

import docx
import pytest

from shnro_research import forms
from shnro_research.instruments import ParameterError, load_instrument

GROUPS = ("students", "parents", "teachers")
MALE = re.compile(r"\b(он|него|ему|его|нему|сам|свободным|скромным|богатым|успешным|"
                  r"преданным|убеждён)\b", re.I)
FEMALE = re.compile(r"\b(она|неё|ней|ей|её|сама|свободной|скромной|богатой|успешной|"
                    r"преданной|убеждена)\b", re.I)
JARGON = ("Терминальн", "Инструментальн", "Шварц", "PVQ", "Портрет", "Рокич", "Rokeach",
          "Schwartz", "Terminal", "Instrumental", "ESS")


@pytest.mark.parametrize("name", GROUPS)
def test_pvq_has_gender_matched_versions(name):
    ins = load_instrument(name)
    assert ins.gendered
    pvq = ins.items_of(role="pvq")
    assert len(pvq) == 21
    female = ins.for_sex("female")
    for it, fit in zip(pvq, female.items_of(role="pvq")):
        assert it.text_female.ru and it.text_female.ru != it.text.ru, it.id
        assert MALE.search(it.text.ru) and not FEMALE.search(it.text.ru), it.text.ru
        assert FEMALE.search(fit.text.ru) and not MALE.search(fit.text.ru), fit.text.ru
        assert re.search(r"\b(her|she)\b", fit.text.en, re.I)
        assert not re.search(r"\b(him|he|his)\b", fit.text.en, re.I)
        assert all(t.ru.lower().endswith("похожа на меня") for t in fit.codes.values())
        assert all(t.ru.lower().endswith("похож на меня") for t in it.codes.values())
        assert sorted(fit.codes) == sorted(it.codes)          # same codes, same data column
    # items without a female wording are the same in both versions
    assert female.item("ten_01") == ins.item("ten_01")
    assert ins.for_sex("male") is ins
    assert female.columns == ins.columns
    with pytest.raises(ParameterError, match="'sex' must be one of"):
        ins.for_sex("f")
    passport = load_instrument("school_passport")
    assert not passport.gendered and passport.for_sex("female") is passport


def test_handouts_print_both_versions(tmp_path):
    p = forms.render_html("parents", tmp_path / "parents_ru.html")
    female = tmp_path / "parents_ru_female.html"
    assert p == tmp_path / "parents_ru.html" and female.exists()
    m, f = p.read_text(encoding="utf-8"), female.read_text(encoding="utf-8")
    assert "Вариант анкеты М" in m and "Вариант анкеты Ж" in f
    assert "Для него важно быть скромным" in m and "Для неё важно быть скромной" not in m
    assert "Для неё важно быть скромной" in f and "Для него важно быть скромным" not in f
    assert "Очень похожа на меня" in f and "Очень похожа на меня" not in m
    # the same numbered questions in both versions
    assert re.findall(r'id="q-(\w+)"', m) == re.findall(r'id="q-(\w+)"', f)
    # one version only when asked
    only = forms.render_html("students", tmp_path / "s.html", sex="female")
    assert "Вариант анкеты Ж" in only.read_text(encoding="utf-8")
    assert not (tmp_path / "s_female.html").exists()
    d = forms.render_docx("teachers", tmp_path / "t.docx")
    text = " ".join(par.text for par in docx.Document(str(tmp_path / "t_female.docx")).paragraphs)
    cells = " ".join(c.text for t in docx.Document(str(tmp_path / "t_female.docx")).tables
                     for r in t.rows for c in r.cells)
    assert d.exists() and "Вариант анкеты Ж" in text and "Для неё важны традиции" in cells
    # a questionnaire without female wordings has one file and no banner
    r = forms.render_html("school_passport", tmp_path / "sp.html")
    assert "Вариант анкеты" not in r.read_text(encoding="utf-8")
    assert not (tmp_path / "sp_female.html").exists()


@pytest.mark.parametrize("name", GROUPS)
@pytest.mark.parametrize("sex", ["male", "female"])
def test_respondents_see_no_jargon(name, sex):
    ins = load_instrument(name).for_sex(sex)
    shown = [ins.title, ins.intro]
    for sec in ins.sections:
        shown += [sec.title, sec.instruction]
    for it in ins.items:
        shown += [it.text, *it.options, *it.codes.values(), *it.missing.values()]
    for t in shown:
        for word in JARGON:
            assert word not in t.ru and word not in t.en, (word, t.ru)
    titles = {s.id: s.title.ru for s in ins.sections}
    you = "тебя" if name == "students" else "Вас"
    assert titles["values_pvq"] == f"Насколько этот человек похож на {you}"
    assert titles["values_rokeach"] == f"Что для {you} важно в жизни"


def test_students_form_states_its_grades():
    s = load_instrument("students")
    assert "8–11" in s.title.ru
    assert sorted(s.item("grade").codes) == [8, 9, 10, 11]


def test_new_topic_blocks_are_on_the_forms_and_project_authored():
    labels = {1: "Только русский", 2: "Русский и другой язык", 3: "В основном другой язык"}
    for name in ("students", "parents"):
        it = load_instrument(name).item("home_language")
        assert it.type == "single" and it.role == "home_language"
        assert {c: t.ru for c, t in it.codes.items()} == labels
    expected = {
        "students": (["learning", "interests"], ["learning_satisfaction"],
                     ["learn_difficulties", "interests", "school_interests", "sl_01"]),
        "parents": (["social_order", "edu_quality"], ["edu_quality_satisfaction"],
                    ["social_order", "qe_01"]),
        "teachers": (["prof_work", "school_changes", "demandingness_self"],
                     ["demand_self", "demand_colleagues"],
                     ["workload_hours", "work_hours_total", "prof_difficulties", "work_motives",
                      "school_problems", "school_resources", "changes_wanted", "dself_01",
                      "dcol_01"]),
    }
    for name, (sections, scales, items) in expected.items():
        ins = load_instrument(name)
        html = forms.html_string(ins, "ru")
        for sid in sections:
            assert f'<section id="s-{sid}">' in html
            sec = next(s for s in ins.sections if s.id == sid)
            if sec.provenance is not None:
                assert sec.provenance.items == "project_authored"
        for sid in scales:
            assert ins.scales[sid].provenance.items == "project_authored"
            assert any(ins.item(i).reverse for i in ins.scales[sid].items) or sid in (
                "learning_satisfaction", "edu_quality_satisfaction")
        for iid in items:
            assert f'id="q-{iid}"' in html
    # the stated length follows the longer questionnaires
    assert "около 35 минут" in load_instrument("students").intro.ru
    assert "около 35 минут" in load_instrument("parents").intro.ru
    assert "около 40 минут" in load_instrument("teachers").intro.ru
    t = load_instrument("teachers")
    assert t.item("workload_hours").bounds == (0, 40) and 999 in t.item("workload_hours").missing
