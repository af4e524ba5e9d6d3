"""SPSS templates, labelled clean data and codebooks of an instrument."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .._reproducible import fix_sav_time, fix_zip
from .._checks import ParameterError
from ._common import _UI, _id_label, _instrument, _lang, _path, question_numbers



def _cut(s: str, limit: int) -> str:
    """Cut ``s`` to at most ``limit`` UTF-8 bytes at a character boundary (SPSS limits)."""
    b = s.encode("utf-8")
    if len(b) <= limit:
        return s
    return b[:limit].decode("utf-8", errors="ignore").rstrip()


#: SPSS limits in UTF-8 bytes: variable label, value label, file label.
_VAR_LABEL_BYTES, _VALUE_LABEL_BYTES, _FILE_LABEL_BYTES = 256, 120, 64
_TEXT_WIDTH = 1000
_STRING_IDS = {"resp_id": 32, "class_id": 16}


def _join_option(label: str, option: str) -> str:
    """Label of one column of a multiple/ranking item: question, then option."""
    return f"{label} {option}" if label.rstrip().endswith(("?", ":", "!")) else f"{label}: {option}"


def _code_width(codes) -> int:
    return max([len(str(int(c))) for c in codes] + [1])


def spss_metadata(instrument: Any, lang: str = "ru") -> dict[str, Any]:
    """SPSS metadata of an instrument, as keyword arguments of ``pyreadstat.write_sav``.

    Parameters
    ----------
    instrument : Instrument or str or Path
    lang : {"ru", "en"}
        Language of variable and value labels.

    Returns
    -------
    dict
        ``column_labels``, ``variable_value_labels`` (numeric codes only), ``missing_ranges``,
        ``variable_measure``, ``variable_format``, ``variable_display_width``, plus
        ``string_widths`` (``{column: width}`` of string columns) and ``columns`` (all columns in
        order: id columns, then answers).

    Notes
    -----
    * Labels are cut to the SPSS limits at a character boundary (variable labels 256 bytes, value
      labels 120 bytes in UTF-8, i.e. 128 / 60 Cyrillic letters). When two columns would get the
      same label (e.g. a need rated for importance and for realisation), the section title is
      prefixed.
    * Missing codes become SPSS user-missing values: up to 3 discrete values, otherwise one range
      ``lo..hi`` spanning them (refused if a valid code falls inside).
    * Measure: single/multiple/text/id -> nominal, likert/ranking -> ordinal, numeric -> scale.
      Formats: codes ``F<w>.0``, numeric items ``F<w>.2``, open text ``A1000``.
    * ``resp_id`` and ``class_id`` are strings (pseudonymous ids, class letters like «9А»);
      other id columns are numeric with the instrument's ``id_codes`` as value labels.
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    ui = _UI[lang]
    sec_title = {s.id: s.title.get(lang) for s in ins.sections}
    labels: dict[str, str] = {}
    values: dict[str, dict[float, str]] = {}
    missing: dict[str, list] = {}
    measure: dict[str, str] = {}
    fmt: dict[str, str] = {}
    width: dict[str, int] = {}
    strings: dict[str, int] = {}

    for col in ins.id_columns:
        labels[col] = _id_label(ins, col, lang)
        measure[col] = "nominal"
        if col in _STRING_IDS:
            strings[col] = _STRING_IDS[col]
            fmt[col] = f"A{strings[col]}"
            # a label on the blank string fixes the width of an empty string variable
            values[col] = {" " * strings[col]: ui["blank"]}
        else:
            codes = ins.id_codes.get(col, {})
            fmt[col] = f"F{max(_code_width(codes), 4 if col in ('year', 'wave') else 8)}.0"
            if codes:
                values[col] = {float(c): t.get(lang) for c, t in codes.items()}
    raw_labels: dict[str, tuple[str, str]] = {}
    for it in ins.items:
        for k, col in enumerate(it.columns):
            lab = it.text.get(lang)
            if it.type in ("multiple", "ranking"):
                lab = _join_option(lab, it.options[k].get(lang))
            raw_labels[col] = (lab, sec_title[it.section])
            mv = {float(c): t.get(lang) for c, t in it.missing.items()}
            if it.type in ("single", "likert"):
                values[col] = {float(c): t.get(lang) for c, t in it.codes.items()} | mv
                fmt[col] = f"F{_code_width(list(it.codes) + list(it.missing))}.0"
                measure[col] = "nominal" if it.type == "single" else "ordinal"
            elif it.type == "numeric":
                # two decimals always: shares, mean scores and counts alike (no data loss)
                w = _code_width([it.min, it.max] + list(it.missing)) + 1
                fmt[col] = f"F{w + 3}.2"
                measure[col] = "scale"
                if mv:
                    values[col] = mv
            elif it.type == "multiple":
                values[col] = {0.0: ui["not_chosen"], 1.0: ui["chosen"]} | mv
                fmt[col] = "F1.0"
                measure[col] = "nominal"
            elif it.type == "ranking":
                fmt[col] = f"F{_code_width([len(it.options)] + list(it.missing))}.0"
                measure[col] = "ordinal"
                if mv:
                    values[col] = mv
            else:  # text
                strings[col] = _TEXT_WIDTH
                fmt[col] = f"A{_TEXT_WIDTH}"
                measure[col] = "nominal"
                # a label on the blank string documents "no answer" and fixes the width
                values[col] = {" " * _TEXT_WIDTH: ui["blank"]}
            if it.missing:
                codes = sorted(float(c) for c in it.missing)
                if len(codes) <= 3:
                    missing[col] = codes
                else:
                    inside = [c for c in it.codes if codes[0] <= c <= codes[-1]]
                    if inside:
                        raise ParameterError(
                            f"item {it.id!r}: SPSS allows 3 discrete missing values or one range; "
                            f"the range {codes[0]:g}..{codes[-1]:g} of its {len(codes)} missing "
                            f"codes would cover valid codes {inside}")
                    missing[col] = [{"lo": codes[0], "hi": codes[-1]}]
    seen: dict[str, int] = {}
    for lab, _ in raw_labels.values():
        seen[lab] = seen.get(lab, 0) + 1
    for col, (lab, sec) in raw_labels.items():
        labels[col] = f"{sec}: {lab}" if seen[lab] > 1 else lab
    labels = {c: _cut(v, _VAR_LABEL_BYTES) for c, v in labels.items()}
    values = {c: {k: (_cut(v, _VALUE_LABEL_BYTES) if isinstance(k, float) else v)
                  for k, v in d.items()} for c, d in values.items()}
    for col, f in fmt.items():
        width[col] = min(max(int(f[1:].split(".")[0]), 6), 40)
    return dict(columns=list(ins.id_columns) + ins.columns, column_labels=labels,
                variable_value_labels=values, missing_ranges=missing, variable_measure=measure,
                variable_format=fmt, variable_display_width=width, string_widths=strings)


def write_clean_sav(data: pd.DataFrame, instrument: Any, path: str | Path,
                    lang: str = "ru") -> Path:
    """Clean answers as SPSS ``.sav`` with the instrument's variable and value labels and
    missing-value codes (columns the instrument does not know are written without labels).

    Text columns are written as strings (missing as empty); the file's timestamp is fixed so the
    same data give the same bytes. The file is bytecode-compressed, as SPSS itself writes
    ``.sav`` files (Likert answers take 1 byte instead of 8: 15 MB instead of 104 MB for 41,000
    students). The rows go to pyreadstat as a polars frame: pyreadstat 1.3 writes a pandas
    frame calling ``pd.isna`` on every value (7.6 s for 41,000 × 183), a polars frame in 3.0 s,
    byte-identical (benchmarks/bench_io.py).
    """
    import polars as pl
    import pyreadstat
    meta = spss_metadata(instrument, lang)
    cols = list(data.columns)
    keep = {k: {c: v for c, v in meta[k].items() if c in cols}
            for k in ("column_labels", "variable_value_labels", "missing_ranges",
                      "variable_measure") if isinstance(meta.get(k), dict)}
    out = data.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith(("string", "category")):
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    path = Path(path)
    pyreadstat.write_sav(pl.from_pandas(out), str(path), row_compress=True, **keep)
    fix_sav_time(path)
    return path


def write_spss_template(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write an empty SPSS ``.sav`` file with the instrument's full metadata (data-entry template).

    Parameters
    ----------
    instrument : Instrument or str or Path
    path : str or Path
        Output ``.sav`` file.
    lang : {"ru", "en"}
        Language of the labels.

    Returns
    -------
    Path

    Notes
    -----
    One variable per data column (id columns first), with variable labels, value labels of
    numeric codes, user-missing values (``missing_ranges``), measure levels and formats; open
    text items are ``A1000`` strings. See :func:`spss_metadata` for the rules and limits.
    Read it back with ``pyreadstat.read_sav(path, metadataonly=True)``.

    Examples
    --------
    >>> write_spss_template("students", "forms/students.sav")       # doctest: +SKIP

    R equivalent: ``haven::read_sav("forms/students.sav")`` shows the same labels.
    """
    import pyreadstat

    ins = _instrument(instrument)
    p = _path(path)
    if p.suffix.lower() != ".sav":
        raise ParameterError(f"'path' must end with .sav; got {str(path)!r}")
    meta = spss_metadata(ins, lang)
    df = pd.DataFrame({c: pd.Series([], dtype=object if c in meta["string_widths"] else "float64")
                       for c in meta["columns"]})
    # SPSS document lines hold 80 bytes each
    note = [_cut(f"shnro_research: instrument {ins.id} v{ins.version} ({ins.group})", 80),
            _cut(f"source: {Path(ins.path).name if ins.path else '<dict>'}", 80)]
    pyreadstat.write_sav(
        df, str(p), file_label=_cut(ins.title.get(lang), _FILE_LABEL_BYTES),
        column_labels=meta["column_labels"], note=note,
        variable_value_labels=meta["variable_value_labels"],
        missing_ranges=meta["missing_ranges"] or None,
        variable_measure=meta["variable_measure"], variable_format=meta["variable_format"],
        variable_display_width=meta["variable_display_width"])
    fix_sav_time(p)
    return p


# -- codebook ----------------------------------------------------------------------------------

def codebook_table(instrument: Any, lang: str = "ru") -> pd.DataFrame:
    """Codebook: one row per data column, in file order (id columns first).

    Parameters
    ----------
    instrument : Instrument or str or Path
    lang : {"ru", "en"}

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, question, item, section, type, role, label, codes, missing, min,
        max, scales, reverse, parallel, provenance, measure, spss_format`` (``question`` is the
        printed number; empty for id columns; ``provenance`` the status and source or basis of
        the item's scale or block, docs/PROVENANCE.md).

    Examples
    --------
    >>> codebook_table("teachers", "en").query("item == 'bo_07'")   # doctest: +SKIP
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    cb = ins.codebook(lang)
    nums = question_numbers(ins)
    meta = spss_metadata(ins, lang)
    by_col = ins.column_item()
    cb.insert(1, "question", [nums.get(i, pd.NA) for i in cb["item"]])
    cb["question"] = cb["question"].astype("Int64")
    cb.insert(cb.columns.get_loc("type") + 1, "role",
              [by_col[v].role if v in by_col else "" for v in cb["variable"]])
    bounds = [by_col[v].bounds if v in by_col else None for v in cb["variable"]]
    cb.insert(cb.columns.get_loc("missing") + 1, "min",
              [b[0] if b else float("nan") for b in bounds])
    cb.insert(cb.columns.get_loc("min") + 1, "max", [b[1] if b else float("nan") for b in bounds])
    cb["measure"] = [meta["variable_measure"][v] for v in cb["variable"]]
    cb["spss_format"] = [meta["variable_format"][v] for v in cb["variable"]]
    return cb.reset_index(drop=True)


_PROV_COLUMNS = ["item_status", "source", "basis", "adaptation", "licence",
                 "reliability_validity", "levels_basis"]


def _provenance_cells(prov, lang: str) -> dict:
    if prov is None:
        return dict.fromkeys(_PROV_COLUMNS, "")
    return dict(item_status=prov.items, source=prov.source or "", basis=prov.basis.get(lang),
                adaptation=prov.adaptation.get(lang), licence=prov.licence.get(lang),
                reliability_validity=prov.reliability_validity.get(lang),
                levels_basis=prov.levels_basis.get(lang))


def scales_table(instrument: Any, lang: str = "ru") -> pd.DataFrame:
    """One row per scale: ``scale, label, role, method, min_valid, n_items, items, description``
    (``items`` in psych key notation, ``-`` marking reverse-keyed items) and its provenance
    (``item_status`` published / adapted / project_authored, ``source``, ``basis``,
    ``adaptation``, ``licence``, ``reliability_validity``, ``levels_basis``; docs/PROVENANCE.md)."""
    ins = _instrument(instrument)
    lang = _lang(lang)
    keys = ins.scale_keys()
    rows = [dict(scale=sid, label=sc.label.get(lang), role=sc.role, method=sc.method,
                 min_valid=sc.min_valid, n_items=len(sc.items), items=", ".join(keys[sid]),
                 description=sc.description.get(lang), **_provenance_cells(sc.provenance, lang))
            for sid, sc in ins.scales.items()]
    return pd.DataFrame(rows, columns=["scale", "label", "role", "method", "min_valid", "n_items",
                                       "items", "description"] + _PROV_COLUMNS)


def write_codebook_xlsx(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write the codebook (sheet ``codebook``) and the scales (sheet ``scales``) to Excel."""
    ins = _instrument(instrument)
    p = _path(path)
    if p.suffix.lower() != ".xlsx":
        raise ParameterError(f"'path' must end with .xlsx; got {str(path)!r}")
    cb = codebook_table(ins, lang)
    sc = scales_table(ins, lang)
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        for name, df in (("codebook", cb), ("scales", sc)):
            df.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            ws.freeze_panes = "B2"
            for j, col in enumerate(df.columns, start=1):
                longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(300)])
                ws.column_dimensions[ws.cell(1, j).column_letter].width = min(max(8, longest + 2),
                                                                             60)
    fix_zip(p)
    return p


# -- several instruments at once -------------------------------------------------------------

