"""The DOCX table written as one WordprocessingML string (report.tables.docx_table) against the
python-docx cell-by-cell path it replaced (kept here, private, as the reference): the same XML,
so the same cell texts, run formatting (bold/italic/size), paragraph alignment, widths and
rules; and the same refusal of characters a DOCX file cannot hold."""
from __future__ import annotations

import pandas as pd
import pytest
from lxml import etree

from shnro_research.errors import DataError
from shnro_research.report.tables import _header, _rows, docx_table, new_document


# -- the old path (python-docx cell by cell), the reference ---------------------------------------
def _old_docx_table(document, blocks, caption="", title="", note="", font_size=10):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if isinstance(blocks, pd.DataFrame):
        blocks = [("", blocks)]
    cols = _header(blocks)
    if caption:
        p = document.add_paragraph()
        p.add_run(caption).bold = True
    if title:
        p = document.add_paragraph()
        p.add_run(title).italic = True
    rows = list(_rows(blocks, cols))
    table = document.add_table(rows=1 + len(rows), cols=len(cols))
    grid = _old_grid(table)
    for j, c in enumerate(cols):
        _old_cell_text(grid[0][j], c, font_size, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, (kind, val) in enumerate(rows, 1):
        if kind == "head":
            merged = grid[i][0].merge(grid[i][len(cols) - 1])
            _old_cell_text(merged, val, font_size, italic=True)
        else:
            for j, v in enumerate(val):
                _old_cell_text(grid[i][j], v, font_size,
                               align=WD_ALIGN_PARAGRAPH.LEFT if j == 0
                               else WD_ALIGN_PARAGRAPH.RIGHT)
    _old_borders(table, n_rows=1 + len(rows))
    if note:
        p = document.add_paragraph()
        r = p.add_run(note)
        r.font.size = Pt(font_size - 1)
    return table


def _old_grid(table):
    from docx.table import _Cell
    return [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]


def _old_cell_text(cell, text, size, italic=False, align=None):
    from docx.shared import Pt
    cell.text = ""
    par = cell.paragraphs[0]
    run = par.add_run(str(text))
    run.font.size = Pt(size)
    run.italic = italic
    if align is not None:
        par.alignment = align


def _old_borders(table, n_rows):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def set_border(cell, edge, sz):
        tcPr = cell._tc.get_or_add_tcPr()
        borders = tcPr.find(qn("w:tcBorders"))
        if borders is None:
            borders = OxmlElement("w:tcBorders")
            tcPr.append(borders)
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(sz))
        el.set(qn("w:color"), "000000")
        borders.append(el)

    grid = _old_grid(table)
    for cell in grid[0]:
        set_border(cell, "top", 12)
        set_border(cell, "bottom", 6)
    for cell in grid[n_rows - 1]:
        set_border(cell, "bottom", 12)


# -- helpers --------------------------------------------------------------------------------------
def _both(blocks, **kw):
    old, new = new_document(), new_document()
    _old_docx_table(old, blocks, **kw)
    docx_table(new, blocks, **kw)
    return old, new


def _body_xml(doc) -> bytes:
    return etree.tostring(doc.element.body)


def _cells(doc):
    """(text, alignment, [(bold, italic, size) of every run]) of every cell of the table."""
    out = []
    for row in doc.tables[0].rows:
        for cell in row.cells:
            par = cell.paragraphs[0]
            out.append((cell.text, par.alignment,
                        [(r.bold, r.italic, r.font.size) for r in par.runs]))
    return out


FRAME = pd.DataFrame({"Показатель": ["Напряжённость", "x & <y>", " пробел ", "", "a\tb\nc\r\nd"],
                      "Оценка": ["1,25", "−0,40", "< 0,001", "[0,1; 0,2]", "5"],
                      "n": ["12", "n<5", "", "7", "8"]})
PANEL = pd.DataFrame({"Показатель": ["Школа", "Класс"], "Оценка": ["0,30", "0,05"]})

CASES = {
    "frame": dict(blocks=FRAME),
    "caption_title_note": dict(blocks=FRAME, caption="Таблица 3", title="Заголовок",
                               note="Примечание. Ячейки n<5 скрыты."),
    "panels": dict(blocks=[("", FRAME), ("Компоненты дисперсии", PANEL)], caption="Таблица 1"),
    "panel_last_empty": dict(blocks=[("", FRAME), ("Пустая панель", FRAME.iloc[0:0])]),
    "one_column": dict(blocks=[("", FRAME[["n"]]), ("Панель", FRAME[["n"]].head(2))]),
    "header_only": dict(blocks=FRAME.iloc[0:0], title="Нет строк"),
    "seven_columns": dict(blocks=pd.DataFrame({f"c{j}": [f"{j}.{i}" for i in range(3)]
                                               for j in range(7)}), font_size=9),
    "font_11": dict(blocks=FRAME, font_size=11),
    "seven_columns_panel": dict(blocks=[("", pd.DataFrame({f"c{j}": ["1", "2"] for j in range(7)})),
                                        ("Панель", pd.DataFrame({"c0": ["x"], "c6": ["y"]}))],
                                note="Примечание."),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_xml_as_python_docx_cell_by_cell(case):
    old, new = _both(**CASES[case])
    assert _body_xml(new) == _body_xml(old)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_texts_formatting_and_alignment(case):
    old, new = _both(**CASES[case])
    got, want = _cells(new), _cells(old)
    assert got == want
    assert len(got) > 0
    # the formatting is there, not only equal: header centred, body left/right, size set
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    size = CASES[case].get("font_size", 10)
    assert got[0][1] == WD_ALIGN_PARAGRAPH.CENTER
    assert got[0][2][-1][2].pt == size and got[0][2][-1][1] is False


def test_panel_heading_italic_spanning_the_row():
    _, new = _both(blocks=[("", FRAME), ("Компоненты дисперсии", PANEL)])
    row = new.tables[0].rows[1 + len(FRAME)]
    cells = row.cells
    assert all(c.text == "Компоненты дисперсии" for c in cells)   # one merged cell
    run = cells[0].paragraphs[0].runs[-1]
    assert run.italic is True and run.font.size.pt == 10
    tc = row._tr.tc_lst[0]
    assert len(row._tr.tc_lst) == 1 and tc.grid_span == 3


def test_saved_file_reads_back(tmp_path):
    from docx import Document
    from shnro_research.report.tables import save_document
    doc = new_document()
    docx_table(doc, [("", FRAME), ("Панель", PANEL)], "Таблица 1", "Т", "Примечание.")
    d = Document(str(save_document(doc, tmp_path / "t.docx")))
    assert d.tables[0].cell(1, 0).text == "Напряжённость"
    assert d.tables[0].cell(2, 0).text == "x & <y>"
    assert d.tables[0].cell(5, 0).text == "a\tb\nc\n\nd"


@pytest.mark.parametrize("ch", ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff",
                                "\ud800"])
def test_word_invalid_characters_refused_as_before(ch):
    bad = FRAME.astype(object)
    bad.loc[2, "Оценка"] = f"1{ch}2"
    with pytest.raises(ValueError):          # python-docx (lxml) refused it with a ValueError
        _old_docx_table(new_document(), bad)
    with pytest.raises(DataError, match=r"row 3 .*column 'Оценка'.*U\+"):
        docx_table(new_document(), bad)
    if ch == "\ud800":     # pandas refuses a lone surrogate in column names itself
        return
    head = FRAME.astype(object)
    head.columns = pd.Index(["Показатель", "Оценка", f"n{ch}"], dtype=object)
    with pytest.raises(ValueError):
        _old_docx_table(new_document(), head)
    with pytest.raises(DataError, match=r"row 0"):
        docx_table(new_document(), head)


@pytest.mark.parametrize("ch", ["\x7f", "\x85", "\u00a0", "\U0001F600", "\u2028"])
def test_valid_unusual_characters_kept_as_before(ch):
    frame = FRAME.astype(object)
    frame.loc[1, "Показатель"] = f"{ch}x{ch}"
    old, new = _both(blocks=frame)
    assert _body_xml(new) == _body_xml(old)
    assert new.tables[0].cell(2, 0).text == f"{ch}x{ch}"


def _old_rows(blocks, cols):
    for head, b in blocks:
        if head:
            yield "head", head
        for rec in b.reindex(columns=cols).astype(object).fillna("").itertuples(index=False):
            yield "row", [str(v) for v in rec]


def test_rows_same_texts_as_the_pandas_path():
    import numpy as np
    mixed = pd.DataFrame({
        "s": pd.array(["a", None, "c"], dtype="str"), "o": np.array(["x", np.nan, 3], dtype=object),
        "f": [1.5, np.nan, -0.0], "f32": np.array([0.1, np.nan, 2.0], dtype="float32"),
        "i": [1, 2, 3], "I": pd.array([1, None, 3], dtype="Int64"), "b": [True, False, True],
        "t": pd.to_datetime(["2024-01-01", None, "2024-03-01"]),
        "c": pd.Categorical(["u", None, "w"])})
    blocks = [("", mixed), ("Панель", mixed[["f", "s"]].iloc[:2]), ("", mixed.iloc[0:0])]
    cols = _header(blocks)
    got, want = list(_rows(blocks, cols)), list(_old_rows(blocks, cols))
    assert got == want
    assert got[1] == ("row", ["", "", "", "", "2", "", "False", "", ""])
    assert got[3] == ("head", "Панель") and len(got) == 6
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])      # duplicate names: the general path
    with pytest.raises(ValueError):
        list(_rows([("", dup)], ["a"]))


def _old_suppress(df, *, n="n", min_n=5, columns=None):
    import numpy as np
    out = df.copy()
    small = out[n].fillna(0).to_numpy() < min_n
    if columns is None:
        columns = [c for c in out.columns if c != n and pd.api.types.is_numeric_dtype(out[c])
                   and c not in ("wave", "year")]
    for c in columns:
        out[c] = out[c].astype(float)
        out.loc[small, c] = np.nan
    out[n] = out[n].astype(object)
    out.loc[small, n] = f"n<{min_n}"
    out["suppressed"] = small
    return out


@pytest.mark.parametrize("counts", [[25, 3, 7], [1, 2, 3], [9, 8, 7], [None, 4, 30]])
def test_suppress_small_cells_same_as_the_loc_path(counts):
    import numpy as np
    from shnro_research.report.document import suppress_small_cells
    df = pd.DataFrame({"group": ["a", "b", "c"], "wave": [2022, 2023, 2024],
                       "est": [50.0, 40.0, np.nan], "k": [1, 2, 3], "flag": [True, False, True],
                       "f32": np.array([1.5, 2.5, 3.5], dtype="float32"),
                       "I": pd.array([1, None, 3], dtype="Int64"),
                       "n": pd.array(counts, dtype="Int64") if None in counts else counts},
                      index=[10, 11, 12])
    for kw in ({}, {"min_n": 8}, {"columns": ["est", "I"]}):
        got, want = suppress_small_cells(df, **kw), _old_suppress(df, **kw)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    got = suppress_small_cells(df)
    small = np.array([c is None or c < 5 for c in counts])
    assert got["est"][small].isna().all() and (got["n"][small] == "n<5").all()
    assert got["n"].dtype == object and got["suppressed"].tolist() == small.tolist()


def test_blank_document_writes_the_bytes_of_save_document(tmp_path):
    from shnro_research.report.tables import BlankDocument, save_document
    blank = BlankDocument()
    for k in range(3):                       # filled again and again: no trace of the last one
        kw = CASES[sorted(CASES)[k]]
        ref = new_document()
        ref.add_heading(f"Карточка {k}", level=0)
        ref.add_heading("Раздел", level=1)
        docx_table(ref, **kw)
        doc = blank.fresh()
        blank.heading(f"Карточка {k}", 0)
        blank.heading("Раздел", 1)
        docx_table(doc, **kw)
        a = save_document(ref, tmp_path / f"ref{k}.docx").read_bytes()
        b = blank.save(tmp_path / f"blank{k}.docx").read_bytes()
        assert a == b and len(a) > 10000


def test_blank_document_refuses_a_new_part(tmp_path):
    from shnro_research._checks import ParameterError
    from shnro_research.report.figures import caterpillar, save_figure
    from shnro_research.report.tables import BlankDocument
    eff = pd.DataFrame({"school_id": ["S1", "S2"], "est": [0.1, -0.2], "ci_low": [-0.1, -0.4],
                        "ci_high": [0.3, 0.0]})
    png = save_figure(caterpillar(eff), tmp_path / "fig", formats=("png",))[0]
    blank = BlankDocument()
    blank.fresh().add_picture(str(png))
    with pytest.raises(ParameterError, match="gained a part"):
        blank.save(tmp_path / "x.docx")


@pytest.mark.parametrize("part", ["caption", "title", "note"])
def test_invalid_character_in_caption_title_note(part):
    kw = {"caption": "Таблица 1", "title": "Т", "note": "Примечание."}
    kw[part] = "a\x01b"
    with pytest.raises(ValueError):
        _old_docx_table(new_document(), FRAME, **kw)
    with pytest.raises(DataError, match=f"the table's {part}"):
        docx_table(new_document(), FRAME, **kw)


def test_table_inserted_before_section_properties_and_returned():
    doc = new_document()
    doc.add_paragraph("до")
    t = docx_table(doc, FRAME, "Таблица 1", "Т", "Примечание.")
    doc.add_paragraph("после")
    body = doc.element.body
    tags = [el.tag.rsplit("}", 1)[1] for el in body]
    assert tags == ["p", "p", "p", "tbl", "p", "p", "sectPr"]
    assert t._tbl is body[3] and t.cell(1, 0).text == "Напряжённость"
    assert doc.paragraphs[-1].text == "после"


def test_formatted_cells_read_as_the_formatted_frame():
    import numpy as np
    from shnro_research.report.tables import TableStyle, _format_cells, format_table
    tidy = pd.DataFrame({"group": ["students", "teachers", None], "variable": ["tension", "x", "y"],
                         "est": [51.234, np.nan, -0.004], "ci_low": [50.0, np.nan, -0.1],
                         "ci_high": [52.5, 1.0, 0.1], "n": [30, 4, 12], "df": [29.0, 3.0, 11.0],
                         "p_value": [0.0001, 0.2, np.nan]})
    for style in (TableStyle(lang="ru"), TableStyle(lang="en")):
        frame, cells = format_table(tidy, style), _format_cells(tidy, style)
        assert list(frame.columns) == cells.columns and len(frame) == len(cells) == 3
        pd.testing.assert_frame_equal(cells.frame(), frame)
        blocks_f = [("", frame), ("Панель", frame.iloc[:1])]
        blocks_c = [("", cells), ("Панель", _format_cells(tidy.iloc[:1], style))]
        cols = _header(blocks_f)
        assert _header(blocks_c) == cols
        assert list(_rows(blocks_c, cols)) == list(_rows(blocks_f, cols))
        assert list(_rows(blocks_c, cols + ["absent"]))[0][1][-1] == ""
    empty = _format_cells(tidy[[]], TableStyle())          # no column: rows of nothing
    assert list(_rows([("", empty)], [])) == [("row", [])] * 3
