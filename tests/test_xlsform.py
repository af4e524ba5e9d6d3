"""XLSForm export: pyxform converts every respondent questionnaire to an XForm with one field
(bind) per item and id column, ODK Validate (Java) accepts it, choices carry the codes."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import openpyxl
import pytest

from shnro_research._checks import InstrumentError, ParameterError
from shnro_research.forms import write_forms, write_xlsform, xlsform_tables, xlsform_to_xform
from shnro_research.instruments import list_instruments, load_instrument

pytest.importorskip("pyxform")
JAVA = shutil.which("java") is not None


def _binds(xform: str) -> dict[str, dict]:
    """{field name: bind attributes} of the XForm (the last element of each nodeset)."""
    root = ET.fromstring(xform)
    out = {}
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "bind":
            out[el.get("nodeset").rsplit("/", 1)[-1]] = dict(el.attrib)
    return out


@pytest.mark.parametrize("name", ["students", "parents", "teachers"])
def test_respondent_forms_convert_and_validate(name, tmp_path):
    ins = load_instrument(name)
    p = write_xlsform(ins, tmp_path / f"{name}.xlsx", wave=2025)
    xform = xlsform_to_xform(p, validate=JAVA)         # ODK Validate runs where Java is
    binds = _binds(xform)
    fields = set(binds) - {"instanceID", "intro"}
    assert fields == set(ins.id_columns) | {it.id for it in ins.items}
    assert len(fields) == len(ins.id_columns) + len(ins.items)   # one bind per field
    for it in ins.items:
        b = binds[it.id]
        want = {"single": "string", "likert": "string", "multiple": "string",
                "ranking": "odk:rank", "text": "string", "numeric": None}[it.type]
        if it.type == "numeric":
            assert b["type"] in ("int", "decimal")
            assert b["constraint"].startswith("(. >= ") or b["constraint"].startswith(". >= ")
        else:
            assert b["type"] == want, (it.id, b)
        if it.type == "multiple" and it.max_choices:
            assert f"count-selected(.) <= {it.max_choices}" in b["constraint"]
    assert binds["wave"]["calculate"] == "2025"
    assert "uuid()" in binds["resp_id"]["calculate"]
    assert "required" not in binds[ins.items[-1].id] or \
        binds[ins.items[-1].id]["required"] == "false()"
    assert binds["school_id"]["required"] == "true()"
    # Russian labels are in the form's translations, with the codes as choice values
    assert ins.items[0].text.ru in xform
    assert 'lang="Russian (ru)"' in xform


def test_choices_and_settings():
    ins = load_instrument("students")
    t = xlsform_tables(ins)
    sv, ch, st = t["survey"], t["choices"], t["settings"]
    assert list(st.iloc[0]) == [ins.title.ru, "shnro_students", str(ins.version), "Russian (ru)"]
    ten = ins.item("ten_01")
    row = sv[sv["name"] == "ten_01"].iloc[0]
    assert row["type"] == f"select_one {ten.response}"
    lst = ch[ch["list_name"] == ten.response]
    assert lst["name"].tolist() == [str(c) for c in list(ten.codes) + list(ten.missing)]
    assert lst["label::Russian (ru)"].tolist() == [t.ru for t in
                                                    list(ten.codes.values())
                                                    + list(ten.missing.values())]
    # one list per distinct code list: all agree5 items share one
    agree = sv[sv["type"] == f"select_one {ten.response}"]
    assert len(agree) == sum(1 for it in ins.items if it.response == ten.response
                             and it.codes == ten.codes and it.missing == ten.missing)
    rk = ins.items_of(type="ranking")[0]
    assert sv[sv["name"] == rk.id].iloc[0]["type"] == f"rank o_{rk.id}"
    assert ch[ch["list_name"] == f"o_{rk.id}"]["name"].tolist() == [
        f"{k:02d}" for k in range(1, len(rk.options) + 1)]
    # without a wave the form asks it as a year
    w = sv[sv["name"] == "wave"].iloc[0]
    assert (w["type"], w["constraint"], w["required"]) == (
        "integer", ". >= 1900 and . <= 2100", "yes")
    # sections are groups
    assert (sv["type"] == "begin_group").sum() == len(ins.sections) == (
        sv["type"] == "end_group").sum()


@pytest.mark.parametrize("name", list_instruments())
def test_every_instrument_converts(name, tmp_path):
    p = write_xlsform(name, tmp_path / f"{name}.xlsx")
    xform = xlsform_to_xform(p)
    ins = load_instrument(name)
    assert set(ins.id_columns) | {it.id for it in ins.items} <= set(_binds(xform))
    # numeric items with missing codes admit them in the constraint
    for it in ins.items_of(type="numeric"):
        c = _binds(xform)[it.id]["constraint"]
        for code in it.missing:
            assert f". = {code}" in c


def test_written_workbook_and_refusals(tmp_path):
    p = write_xlsform("parents", tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    assert [c.value for c in wb["survey"][1]][:3] == ["type", "name", "label::Russian (ru)"]
    again = write_xlsform("parents", tmp_path / "q.xlsx")
    assert p.read_bytes() == again.read_bytes()
    paths = write_forms(["region"], tmp_path / "f", formats=["xlsform"])
    assert [x.relative_to(tmp_path / "f").as_posix() for x in paths] == ["xlsform/region.xlsx"]
    with pytest.raises(ParameterError, match="'wave' must be a year"):
        xlsform_tables("students", wave=25)
    with pytest.raises(ParameterError, match="must end with .xlsx"):
        write_xlsform("students", tmp_path / "s.xls")
    # a broken form is refused with pyxform's message
    t = xlsform_tables("region")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, df in t.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(df.columns))
        for r in df.itertuples(index=False):
            ws.append([None if v == "" else v for v in r])
    wb["survey"].append(["select_one nosuchlist", "broken", "x"])
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(InstrumentError, match="does not convert"):
        xlsform_to_xform(tmp_path / "bad.xlsx")


@pytest.mark.skipif(not JAVA, reason="ODK Validate needs Java")
def test_odk_validate_catches_what_pyxform_lets_through(tmp_path):
    t = xlsform_tables("region")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, df in t.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(df.columns))
        for r in df.itertuples(index=False):
            ws.append([None if v == "" else v for v in r])
    row = [None] * len(t["survey"].columns)
    cols = list(t["survey"].columns)
    row[cols.index("type")], row[cols.index("name")] = "calculate", "bad"
    row[cols.index("calculation")] = "nosuchfunction(1)"
    wb["survey"].append(row)
    wb.save(tmp_path / "bad.xlsx")
    assert "nosuchfunction" in xlsform_to_xform(tmp_path / "bad.xlsx", validate=False)
    with pytest.raises(InstrumentError, match=re.escape("ODK Validate")):
        xlsform_to_xform(tmp_path / "bad.xlsx", validate=True)
