"""Publication tables: formatting and every export format."""
import zipfile

import numpy as np
import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.report.tables import TableStyle, export_table, format_number, format_p, format_table


@pytest.fixture
def est():
    return pd.DataFrame({
        "group": ["students", "parents", "teachers"],
        "est": [51.234, 47.5, -0.004],
        "se": [1.2, 0.85, 2.0],
        "ci_low": [48.9, 45.8, -3.9], "ci_high": [53.6, 49.2, 3.9],
        "n": [420, 310, 95], "p_value": [0.00001, 0.0449, 0.5],
    })


def test_format_number_decimal_comma_and_minus():
    assert format_number(3.14159, 2, ",") == "3,14"
    assert format_number(-1.5, 1, ".") == "−1.5"
    assert format_number(-0.0001, 2, ".") == "0.00"
    assert format_number(np.nan, 2) == ""
    assert format_number(0.456, 2, ".", leading_zero=False) == ".46"


def test_format_p_apa():
    assert format_p(0.00001, TableStyle(lang="en")) == "< .001"
    assert format_p(0.0449, TableStyle(lang="en")) == ".045"
    assert format_p(0.0449, TableStyle(lang="ru")) == "0,045"


def test_format_table_labels_and_ci(est):
    ru = format_table(est, TableStyle(lang="ru"))
    assert list(ru.columns) == ["Группа", "Оценка", "Ст. ошибка", "95% ДИ", "n", "p"]
    assert ru.iloc[0].tolist() == ["Учащиеся", "51,23", "1,20", "[48,90; 53,60]", "420", "< 0,001"]
    en = format_table(est, TableStyle(lang="en", decimal="."))
    assert en["Group"].tolist() == ["Students", "Parents", "Teachers"]
    assert en["95% CI"][2] == "[−3.90; 3.90]"


@pytest.mark.parametrize("suffix", ["docx", "xlsx", "tex", "html", "md", "csv"])
def test_export_every_format(tmp_path, est, suffix):
    vc = pd.DataFrame({"component": ["school", "residual"], "variance": [0.17, 0.85]})
    p = export_table(est, tmp_path / f"t.{suffix}", title="Индекс напряжённости", note="Взвешено.",
                     number=1, panels=[("Компоненты дисперсии", vc)])
    assert p.exists() and p.stat().st_size > 0
    if suffix in ("tex", "html", "md", "csv"):
        text = p.read_text(encoding="utf-8-sig")
        assert "Учащиеся" in text and "Компоненты дисперсии" in text and "51,23" in text
    if suffix == "docx":
        import docx
        d = docx.Document(str(p))
        cells = [c.text for c in d.tables[0].rows[1].cells]
        assert cells[0] == "Учащиеся" and "51,23" in cells
    if suffix == "xlsx":
        import openpyxl
        ws = openpyxl.load_workbook(p).active
        values = [c.value for row in ws.iter_rows() for c in row]
        assert "Учащиеся" in values and "Компоненты дисперсии" in values


@pytest.mark.parametrize("suffix", ["docx", "xlsx", "html"])
def test_export_is_byte_identical_on_rerun(tmp_path, est, suffix):
    a = export_table(est, tmp_path / f"a.{suffix}", title="x")
    b = export_table(est, tmp_path / f"b.{suffix}", title="x")
    assert a.read_bytes() == b.read_bytes()


def test_export_rejects_unknown_suffix(tmp_path, est):
    with pytest.raises(ParameterError, match="path suffix"):
        export_table(est, tmp_path / "t.pdf")


def test_style_validates():
    with pytest.raises(ParameterError, match="'lang'"):
        TableStyle(lang="de")
    with pytest.raises(ParameterError, match="'digits'"):
        TableStyle(digits=-1)
