"""Printable forms (HTML, DOCX), SPSS templates and codebooks built from the instruments."""
from __future__ import annotations

import html
import re

import docx
import pandas as pd
import pyreadstat
import pytest

from shnro_research import forms
from shnro_research._checks import ParameterError
from shnro_research.instruments import load_instrument, parse_instrument

ALL = ("students", "parents", "teachers", "school_passport", "results")


@pytest.fixture(scope="module")
def ins():
    return {n: load_instrument(n) for n in ALL}


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _expected_texts(i, lang="ru"):
    out = [i.title.get(lang), i.intro.get(lang)]
    for sec in i.sections:
        out += [sec.title.get(lang), sec.instruction.get(lang)]
    for it in i.items:
        out.append(it.text.get(lang))
        out += [o.get(lang) for o in it.options]
        out += [t.get(lang) for t in list(it.codes.values()) + list(it.missing.values())]
    return [_norm(t) for t in out if t]


@pytest.mark.parametrize("name", ALL)
def test_html_contains_every_text_and_number(ins, name, tmp_path):
    i = ins[name]
    p = forms.render_html(i, tmp_path / "sub" / f"{name}.html")
    raw = p.read_text(encoding="utf-8")
    assert raw.startswith("<!DOCTYPE html>") and "size: A4" in raw and "@media print" in raw
    text = _norm(html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    for t in _expected_texts(i):
        assert t in text, t
    # one numbered question per item, in order
    nums = forms.question_numbers(i)
    assert list(nums.values()) == list(range(1, len(i.items) + 1))
    for it in i.items:
        assert f'id="q-{it.id}"' in raw
    assert f">{len(i.items)}.<" in raw


def test_html_layout_students(ins, tmp_path):
    s = ins["students"]
    raw = forms.html_string(s, "ru")
    # tension items share agree5 -> one grid with a row per item and missing column shaded
    grid = re.search(r'<section id="s-tension">.*?</section>', raw, re.S).group(0)
    assert grid.count("<table class=\"grid\">") == 1
    assert grid.count("<tr id=\"q-ten_") == len(s.items_of(role="tension"))
    assert 'class="miss">Затрудняюсь ответить' in grid
    # rankings as tables with an empty rank column, 18 rows each
    rank = re.search(r'id="q-rok_term".*?</table>', raw, re.S).group(0)
    assert rank.count('<td class="rank"></td>') == 18
    assert "ранг от 1 до 18" in rank
    assert "не более 3" in raw                       # max_choices of life_success
    assert "Отметь один вариант ответа в каждой строке." in raw
    assert "анонимная" in raw
    # English gloss
    en = forms.html_string(s, "en")
    assert 'lang="en"' in en and "Conflicts between students often arise" in en
    assert "Затрудняюсь" not in en


@pytest.mark.parametrize("name", ["students", "teachers", "school_passport"])
def test_docx_opens_and_contains_items(ins, name, tmp_path):
    i = ins[name]
    p = forms.render_docx(i, tmp_path / f"{name}.docx")
    d = docx.Document(str(p))
    chunks = [par.text for par in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            chunks += [c.text for c in row.cells]
    text = _norm(" ".join(chunks))
    for it in i.items:
        assert _norm(it.text.ru) in text, it.id
        for o in it.options:
            assert _norm(o.ru) in text
    sec = d.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297
    if name == "students":
        # a grid per likert block, and 2 ranking tables with 18 + 1 rows
        assert sum(1 for t in d.tables if len(t.rows) == 19 and len(t.columns) == 3) == 2
        ten = [t for t in d.tables if len(t.rows) > 1 and
               t.rows[1].cells[1].text.startswith("В нашей школе часто")]
        assert len(ten) == 1 and len(ten[0].columns) == 2 + 5 + 1


@pytest.mark.parametrize("name", ["students", "teachers", "results"])
def test_sav_template_round_trip(ins, name, tmp_path):
    i = ins[name]
    p = forms.write_spss_template(i, tmp_path / f"{name}.sav")
    df, meta = pyreadstat.read_sav(str(p), metadataonly=True, user_missing=True)
    assert meta.column_names == list(i.id_columns) + i.columns
    assert meta.number_rows in (0, None)
    labels = meta.column_names_to_labels
    vl = meta.variable_value_labels
    if name == "students":
        assert labels["ten_01"] == "В нашей школе часто возникают конфликты между учениками."
        assert vl["ten_01"] == {1.0: "Совершенно не согласен(-на)", 2.0: "Скорее не согласен(-на)",
                                3.0: "И да, и нет", 4.0: "Скорее согласен(-на)",
                                5.0: "Полностью согласен(-на)", 9.0: "Затрудняюсь ответить"}
        assert meta.missing_ranges["ten_01"] == [{"lo": 9.0, "hi": 9.0}]
        assert meta.missing_ranges["mother_edu"] == [{"lo": 9.0, "hi": 9.0}]
        assert vl["own_room"] == {1.0: "Да", 0.0: "Нет"}
        assert vl["life_success_01"] == {0.0: "не выбрано", 1.0: "выбрано"}
        assert labels["rok_term_03"].endswith("Здоровье (физическое и психическое)")
        # the same need text in two sections gets the section title as prefix
        assert labels["need_imp_01"] != labels["need_real_01"]
        assert meta.variable_measure["ten_01"] == "ordinal"
        assert meta.variable_measure["sex"] == "nominal"
        assert meta.variable_measure["rok_term_01"] == "ordinal"
        assert meta.original_variable_types["open_change"] == "A1000"
        assert meta.variable_storage_width["open_change"] == 1000
        assert meta.original_variable_types["resp_id"] == "A32"
        assert meta.readstat_variable_types["school_id"] == "double"
        assert meta.file_label.startswith("Анкета для обучающихся")
    elif name == "teachers":
        assert labels["bo_07"] == "Я чувствую, что своей работой положительно влияю на жизнь учеников."
        assert vl["bo_01"][0.0] == "Никогда" and vl["bo_01"][6.0] == "Каждый день"
        assert meta.variable_measure["experience"] == "scale"
        assert meta.original_variable_types["experience"] == "F6.2"
        assert meta.missing_ranges["experience"] == [{"lo": 99.0, "hi": 99.0}]
        assert vl["experience"] == {99.0: "Не хочу отвечать"}
    else:
        assert vl["procedure"] == {1.0: "ВПР", 2.0: "ОГЭ", 3.0: "ЕГЭ"}
        assert vl["subject"][1.0] == "Русский язык"
        assert meta.missing_ranges["mean_score"] == [{"lo": -9.0, "hi": -9.0}]
        assert meta.original_variable_types["mean_score"].endswith(".2")
    # every labelled column of the codebook got its label
    cb = forms.codebook_table(i)
    for var, lab in zip(cb["variable"], cb["label"]):
        assert labels[var] is not None and labels[var].split(": ")[-1][:40] in lab or \
            lab[:40] in labels[var]


def _long_instrument(n_missing=1, overlap=False):
    long = "Очень длинная формулировка вопроса про школу " * 12
    missing = {9 + k: f"пропуск {k}" for k in range(n_missing)}
    codes = {k: "Ж" * 100 for k in range(1, 6)}
    if overlap:
        codes = {1: "a", 2: "b", 10: "c"}
        missing = {0: "x", 20: "y", 5: "z", 30: "w"}
    return parse_instrument({
        "instrument": {"id": "long", "group": "students", "title": "Ы" * 100},
        "sections": [{"id": "s", "items": [
            {"id": "q1", "type": "single", "text": long, "codes": codes, "missing": missing}]}],
    })


def test_sav_labels_cut_at_character_boundary(tmp_path):
    p = forms.write_spss_template(_long_instrument(n_missing=4), tmp_path / "long.sav")
    _, meta = pyreadstat.read_sav(str(p), metadataonly=True, user_missing=True)
    lab = meta.column_names_to_labels["q1"]
    assert len(lab.encode("utf-8")) <= 256 and lab.startswith("Очень длинная")
    assert meta.variable_value_labels["q1"][1.0] == "Ж" * 60          # 120 bytes
    assert len(meta.file_label.encode("utf-8")) <= 64 and set(meta.file_label) == {"Ы"}
    # 4 missing codes -> one range
    assert meta.missing_ranges["q1"] == [{"lo": 9.0, "hi": 12.0}]
    with pytest.raises(ParameterError, match="'q1'.*valid codes \\[1, 2, 10\\]|valid codes"):
        forms.write_spss_template(_long_instrument(overlap=True), tmp_path / "bad.sav")


def test_codebook_table_and_xlsx(ins, tmp_path):
    s = ins["students"]
    cb = forms.codebook_table(s, "ru")
    assert list(cb["variable"]) == list(s.id_columns) + s.columns
    assert list(cb.columns[:3]) == ["variable", "question", "item"]
    row = cb.set_index("variable").loc["ten_10"]
    assert row["question"] == forms.question_numbers(s)["ten_10"]
    assert row["role"] == "tension" and bool(row["reverse"]) and row["min"] == 1 and row["max"] == 5
    assert row["spss_format"] == "F1.0" and row["measure"] == "ordinal"
    assert pd.isna(cb.set_index("variable").loc["resp_id", "question"])
    p = forms.write_codebook_xlsx(s, tmp_path / "cb.xlsx", "en")
    book = pd.read_excel(p, sheet_name=None)
    assert set(book) == {"codebook", "scales"}
    assert len(book["codebook"]) == len(cb)
    sc = book["scales"].set_index("scale")
    assert sc.loc["tension", "items"].endswith("-ten_10, -ten_11")
    assert sc.loc["pvq_universalism", "n_items"] == 3
    assert sc.loc["tension", "label"] == "Social tension index"


def test_cli_forms(tmp_path, capsys):
    from shnro_research.cli import main
    rc = main(["forms", "students", "results", "--out", str(tmp_path / "f"), "--lang", "en",
               "--format", "html", "sav"])
    assert rc == 0
    printed = capsys.readouterr().out.split()
    assert [p.rsplit("/", 1)[1] for p in printed] == [
        "students_en.html", "students_en.sav", "results_en.html", "results_en.sav"]
    for p in printed:
        assert (tmp_path / "f" / p.rsplit("/", 1)[1]).stat().st_size > 0
    # default: the three respondent questionnaires
    written = forms.write_forms(out=tmp_path / "g", formats=["xlsx"])
    assert [p.name for p in written] == ["students_codebook_ru.xlsx", "parents_codebook_ru.xlsx",
                                         "teachers_codebook_ru.xlsx"]
    assert main(["forms", "nonexistent", "--out", str(tmp_path)]) == 2


def test_bad_parameters(ins, tmp_path):
    with pytest.raises(ParameterError, match="'lang' must be one of"):
        forms.render_html(ins["students"], tmp_path / "x.html", lang="de")
    with pytest.raises(ParameterError, match="'instrument' must be"):
        forms.render_html(42, tmp_path / "x.html")
    with pytest.raises(ParameterError, match="must end with .sav"):
        forms.write_spss_template(ins["results"], tmp_path / "x.txt")
    with pytest.raises(ParameterError, match="not a folder"):
        forms.render_html(ins["results"], tmp_path)
    with pytest.raises(ParameterError, match="'formats' must be one of"):
        forms.write_forms(["results"], tmp_path, formats=["pdf"])
    # a name works as well as an Instrument
    assert forms.render_html("results", tmp_path / "r.html").exists()
