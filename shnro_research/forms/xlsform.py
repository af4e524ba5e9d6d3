"""XLSForm export of an instrument, for KoBoToolbox, ODK Collect / ODK Central and Enketo.

:func:`xlsform_tables` builds the three sheets of an XLSForm (https://xlsform.org) and
:func:`write_xlsform` writes them as ``.xlsx``; :func:`xlsform_to_xform` converts the workbook
to an XForm with pyxform (optionally checked by ODK Validate, which needs Java).

Mapping of the instrument:

============ ===================================================================================
item type    XLSForm
============ ===================================================================================
single       ``select_one <list>`` — choice names are the codes, the missing codes are choices too
likert       ``select_one <list>`` (one list per distinct code list, named after the response
             scale); a section is a ``begin_group`` with ``appearance = field-list``
numeric      ``integer`` for counts (unit чел., классов, уроков, лет), else ``decimal``;
             ``constraint`` ``. >= min and . <= max`` (or a declared missing code)
multiple     ``select_multiple <list>`` with choices ``01`` .. ``k`` (as the data columns
             ``id_01`` .. ``id_k``) and ``count-selected(.) <= max_choices``
ranking      ``rank <list>`` (ODK Collect's ranking widget) with choices ``01`` .. ``k``
text         ``text``
id columns   ``resp_id``: ``calculate`` of a random pseudonymous id (``once(uuid())``, cut to
             12 characters), never a name; ``wave``: ``calculate`` of the wave when given, else
             an ``integer`` question; coded id columns: ``select_one``; ``year``: ``integer``;
             others (``school_id``, ``class_id``): required ``text``
============ ===================================================================================

Labels are ``label::Russian (ru)`` and ``label::English (en)``; hints (unit, range, «не более 3»)
likewise; ``required`` is ``yes`` for the id questions only (an answer may always be skipped,
as on paper). Field names are the instrument's ids, so a KoBoToolbox or ODK Central export with
"XML values and headers" reads back with :func:`shnro_research.responses.read_online_form`
(``ten_01`` columns by name, ``life_success/01`` columns of a split ``select_multiple``, and
``rok_term`` as the space-separated order of a ``rank`` answer).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import ParameterError, public
from .._reproducible import fix_zip
from ..instruments import Item, Text
from ._common import _id_label, _instrument, _path
from .entry import is_count

RU, EN = "Russian (ru)", "English (en)"
SURVEY_COLUMNS = ["type", "name", f"label::{RU}", f"label::{EN}", f"hint::{RU}", f"hint::{EN}",
                  "required", "constraint", f"constraint_message::{RU}",
                  f"constraint_message::{EN}", "relevant", "appearance", "calculation"]
CHOICE_COLUMNS = ["list_name", "name", f"label::{RU}", f"label::{EN}"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language"]


def _g(t: Text, lang: str) -> str:
    return t.get(lang)


def _num(x: float) -> str:
    return f"{x:.15g}"


def _choice_name(k: int) -> str:
    return f"{k:02d}"


@public
def xlsform_tables(instrument: Any, *, wave: int | None = None) -> dict[str, pd.DataFrame]:
    """The ``survey``, ``choices`` and ``settings`` sheets of an instrument's XLSForm.

    Parameters
    ----------
    instrument : Instrument or str or Path
    wave : int, optional
        The survey wave written into the form (a ``calculate`` field ``wave``); without it the
        form asks for the wave (year) as an integer question.

    Returns
    -------
    dict of DataFrame
        ``{"survey": ..., "choices": ..., "settings": ...}`` with the columns
        :data:`SURVEY_COLUMNS`, :data:`CHOICE_COLUMNS`, :data:`SETTINGS_COLUMNS`.

    Examples
    --------
    >>> t = xlsform_tables("students", wave=2025)
    >>> t["settings"]["form_id"].item()
    'shnro_students'

    R equivalent: none (the XLSForm standard, https://xlsform.org, is tool-neutral).
    """
    ins = _instrument(instrument)
    if wave is not None and (isinstance(wave, bool) or not isinstance(wave, int)
                             or not 1900 <= wave <= 2100):
        raise ParameterError(f"'wave' must be a year 1900..2100; got {wave!r}")
    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []
    lists: dict[tuple, str] = {}
    used_names: set[str] = set()

    def add_list(base: str, pairs: list[tuple[str, Text]]) -> str:
        key = tuple((n, t.ru, t.en) for n, t in pairs)
        if key in lists:
            return lists[key]
        name, k = base, 1
        while name in used_names:
            k += 1
            name = f"{base}_{k}"
        used_names.add(name)
        lists[key] = name
        for n, t in pairs:
            choices.append({"list_name": name, "name": n, f"label::{RU}": t.ru,
                            f"label::{EN}": t.en or t.ru})
        return name

    def row(**kw: str) -> None:
        survey.append({k.replace("__", "::"): v for k, v in kw.items()})

    def lab(t: Text) -> dict[str, str]:
        return {f"label::{RU}": t.ru, f"label::{EN}": t.en or t.ru}

    def hint(ru: str, en: str) -> dict[str, str]:
        return {f"hint::{RU}": ru, f"hint::{EN}": en}

    if ins.intro.ru:
        survey.append(dict(type="note", name="intro", **lab(ins.intro)))
    for col in ins.id_columns:
        label = Text(_id_label(ins, col, "ru"), _id_label(ins, col, "en"))
        if col == "resp_id":
            survey.append(dict(type="calculate", name=col,
                               calculation="substr(once(uuid()), 0, 12)", **lab(label)))
        elif col == "wave" and wave is not None:
            survey.append(dict(type="calculate", name=col, calculation=str(wave), **lab(label)))
        elif col in ins.id_codes:
            lst = add_list(f"id_{col}", [(str(c), t) for c, t in ins.id_codes[col].items()])
            survey.append(dict(type=f"select_one {lst}", name=col, required="yes", **lab(label)))
        elif col in ("wave", "year"):
            survey.append(dict(type="integer", name=col, required="yes",
                               constraint=". >= 1900 and . <= 2100",
                               **{f"constraint_message::{RU}": "год от 1900 до 2100",
                                  f"constraint_message::{EN}": "a year 1900-2100"},
                               **lab(label)))
        else:
            survey.append(dict(type="text", name=col, required="yes", **lab(label)))

    by_id = {it.id: it for it in ins.items}
    for sec in ins.sections:
        grp = {"type": "begin_group", "name": f"sec_{sec.id}", **lab(sec.title)}
        if any(by_id[i].type in ("likert", "single") for i in sec.items):
            grp["appearance"] = "field-list"
        if sec.instruction.ru:
            grp.update(hint(sec.instruction.ru, sec.instruction.en or sec.instruction.ru))
        survey.append(grp)
        for iid in sec.items:
            survey.append(_item_row(by_id[iid], add_list, lab, hint))
        survey.append({"type": "end_group", "name": ""})

    settings = pd.DataFrame([{
        "form_title": ins.title.ru, "form_id": f"shnro_{ins.id}",
        "version": f"{ins.version}" + (f"_{wave}" if wave is not None else ""),
        "default_language": RU}], columns=SETTINGS_COLUMNS)
    sv = pd.DataFrame(survey).reindex(columns=SURVEY_COLUMNS).astype(object).fillna("")
    ch = pd.DataFrame(choices, columns=CHOICE_COLUMNS)
    return {"survey": sv, "choices": ch, "settings": settings}


def _item_row(it: Item, add_list, lab, hint) -> dict[str, str]:
    base = {"name": it.id, **lab(it.text)}
    miss = list(it.missing.items())
    if it.type in ("single", "likert"):
        lst = add_list(it.response or f"c_{it.id}",
                       [(str(c), t) for c, t in list(it.codes.items()) + miss])
        return {"type": f"select_one {lst}", **base}
    if it.type == "multiple":
        pairs = [(_choice_name(k), o) for k, o in enumerate(it.options, start=1)]
        lst = add_list(f"o_{it.id}", pairs + [(str(c), t) for c, t in miss])
        out = {"type": f"select_multiple {lst}", **base}
        cons = []
        if it.max_choices is not None:
            cons.append(f"count-selected(.) <= {it.max_choices}")
            out.update(hint(f"не более {it.max_choices}", f"no more than {it.max_choices}"))
        for c, _ in miss:
            cons.append(f"not(selected(., '{c}') and count-selected(.) > 1)")
        if cons:
            out["constraint"] = " and ".join(cons)
            out[f"constraint_message::{RU}"] = (
                f"не более {it.max_choices} вариантов" if it.max_choices else
                "вариант «затрудняюсь ответить» выбирается один")
            out[f"constraint_message::{EN}"] = (
                f"no more than {it.max_choices} options" if it.max_choices else
                "'don't know' cannot be combined")
        return out
    if it.type == "ranking":
        lst = add_list(f"o_{it.id}", [(_choice_name(k), o)
                                      for k, o in enumerate(it.options, start=1)])
        return {"type": f"rank {lst}", **base,
                **hint("перетащите варианты: сверху самое важное",
                       "drag the options: most important on top")}
    if it.type == "numeric":
        lo, hi = it.bounds
        cons = f". >= {_num(lo)} and . <= {_num(hi)}"
        if miss:
            cons = f"({cons})" + "".join(f" or . = {_num(c)}" for c, _ in miss)
        unit = f" ({it.unit})" if it.unit else ""
        mtxt_ru = "; ".join(f"{c} = {t.ru}" for c, t in miss)
        mtxt_en = "; ".join(f"{c} = {t.en or t.ru}" for c, t in miss)
        return {"type": "integer" if is_count(it) else "decimal", **base,
                "constraint": cons,
                f"constraint_message::{RU}": f"число от {_num(lo)} до {_num(hi)}"
                + (f"; или {mtxt_ru}" if miss else ""),
                f"constraint_message::{EN}": f"a number from {_num(lo)} to {_num(hi)}"
                + (f"; or {mtxt_en}" if miss else ""),
                **hint(f"от {_num(lo)} до {_num(hi)}{unit}"
                       + (f"; {mtxt_ru}" if miss else ""),
                       f"{_num(lo)} to {_num(hi)}{unit}" + (f"; {mtxt_en}" if miss else ""))}
    return {"type": "text", **base, "appearance": "multiline"}


@public
def write_xlsform(instrument: Any, path: str | Path, *, wave: int | None = None) -> Path:
    """Write an instrument as an XLSForm workbook (sheets ``survey``, ``choices``,
    ``settings``) for KoBoToolbox / ODK.

    Parameters
    ----------
    instrument : Instrument or str or Path
    path : str or Path
        Output ``.xlsx``.
    wave : int, optional
        Written into the form as the ``wave`` of every submission (see :func:`xlsform_tables`).

    Returns
    -------
    Path

    Notes
    -----
    The mapping of item types is in the module docstring. Convert and check the form with
    :func:`xlsform_to_xform` (pyxform; ODK Validate when Java is present) or upload it to
    KoBoToolbox / ODK Central, which run the same conversion. The zip and document dates are
    fixed: the same instrument gives the same bytes.

    Examples
    --------
    >>> write_xlsform("students", "xlsform/students.xlsx", wave=2025)   # doctest: +SKIP

    R equivalent: none; ``openxlsx::write.xlsx(list(survey = ..., choices = ...,
    settings = ...))`` of the same three tables.
    """
    ins = _instrument(instrument)
    p = _path(path)
    if p.suffix.lower() != ".xlsx":
        raise ParameterError(f"'path' must end with .xlsx; got {str(path)!r}")
    tables = xlsform_tables(ins, wave=wave)
    import openpyxl
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for r in df.itertuples(index=False):
            ws.append([None if v == "" else v for v in r])
        for j in range(1, df.shape[1] + 1):
            ws.cell(1, j).font = Font(bold=True)
        ws.freeze_panes = "A2"
    wb.save(p)
    fix_zip(p)
    return p


@public
def xlsform_to_xform(path: str | Path, *, validate: bool = False) -> str:
    """Convert an XLSForm workbook to XForm XML with pyxform; return the XML text.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` of :func:`write_xlsform`.
    validate : bool
        Also run ODK Validate (bundled with pyxform; needs Java on the PATH).

    Raises
    ------
    ParameterError
        If pyxform is not installed.
    InstrumentError
        If pyxform (or ODK Validate) refuses the form; the message is theirs.

    Examples
    --------
    >>> xml = xlsform_to_xform(write_xlsform("parents", "x/parents.xlsx"),
    ...                        validate=True)                           # doctest: +SKIP

    Command-line equivalent: ``xls2xform x/parents.xlsx parents.xml`` (pyxform).
    """
    try:
        from pyxform.errors import PyXFormError
        from pyxform.validators.odk_validate import ODKValidateError
        from pyxform.xls2xform import convert
    except ImportError:  # pragma: no cover - pyxform is a dependency
        raise ParameterError("xlsform_to_xform needs pyxform (pip install pyxform)") from None
    from .._checks import InstrumentError
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"'path': file not found: {p}")
    try:
        res = convert(xlsform=str(p), validate=validate, pretty_print=True)
    except (PyXFormError, ODKValidateError) as exc:
        raise InstrumentError(f"{p.name}: the XLSForm does not convert to an XForm: "
                              f"{type(exc).__name__}: {exc}") from None
    return res.xform
