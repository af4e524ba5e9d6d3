"""Study report and per-school cards: HTML + DOCX open with their tables; small cells hidden."""
import numpy as np
import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.report.document import (ReportFigure, ReportTable, Section, suppress_small_cells,
                                            write_report, write_school_card)
from shnro_research.report.figures import caterpillar, save_figure


def test_suppress_small_cells_blanks_estimates_and_exact_counts():
    df = pd.DataFrame({"group": ["students", "parents"], "est": [50.0, 40.0], "se": [1.0, 9.0],
                       "n": [25, 3]})
    out = suppress_small_cells(df)
    assert out.loc[0, "est"] == 50.0 and out.loc[0, "n"] == 25
    assert np.isnan(out.loc[1, "est"]) and np.isnan(out.loc[1, "se"])
    assert out.loc[1, "n"] == "n<5" and out["suppressed"].tolist() == [False, True]
    assert df.loc[1, "est"] == 40.0  # input untouched


def test_suppress_requires_count_column():
    with pytest.raises(ParameterError, match="'n'"):
        suppress_small_cells(pd.DataFrame({"est": [1.0]}))


def test_report_and_card(tmp_path):
    eff = pd.DataFrame({"school_id": ["S1", "S2", "S3"], "est": [0.1, -0.2, 0.3],
                        "ci_low": [-0.1, -0.4, 0.1], "ci_high": [0.3, 0.0, 0.5]})
    png = save_figure(caterpillar(eff), tmp_path / "fig", formats=("png",))[0]
    sections = [Section("Напряжённость", ["Текст раздела."],
                        [ReportTable("Индекс", pd.DataFrame({"group": ["students"], "est": [51.2],
                                                             "n": [30]}), note="Взвешено.")],
                        [ReportFigure("Эффекты школ", png)])]
    html_p, docx_p = write_report(sections, tmp_path, title="Отчёт")
    text = html_p.read_text(encoding="utf-8")
    assert "Таблица 1" in text and "51,20" in text and "data:image/png;base64" in text
    import docx
    d = docx.Document(str(docx_p))
    assert d.tables[0].rows[1].cells[1].text == "51,20"
    assert len(d.inline_shapes) == 1
    card = write_school_card("S1", [ReportTable("Напряжённость по группам", pd.DataFrame(
        {"group": ["students", "teachers"], "est": [55.5, 44.4], "n": [20, 4]}))], tmp_path)
    html_card = card[0].read_text(encoding="utf-8")
    assert "55,50" in html_card and "44,40" not in html_card and "n&lt;5" in html_card
    dc = docx.Document(str(card[1]))
    cells = [c.text for r in dc.tables[0].rows for c in r.cells]
    assert "44,40" not in cells and "n<5" in cells
