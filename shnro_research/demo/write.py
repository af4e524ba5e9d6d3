"""Writing the demo study: raw files in the formats schools send (SPSS, Windows-1251 CSV,
Excel), ``truth.json`` and ``study.yaml``; reading the truth back.

Same study => byte-identical files: the .sav header's creation time and the .xlsx zip member
times and document dates are fixed (:mod:`shnro_research._reproducible`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._reproducible import fix_sav_time, fix_zip
from ..errors import ParameterError
from ..instruments import SURVEYS_DIR, Instrument
from .base import DemoStudy
from .parameters import GROUPS


def _whole_number_columns(df: pd.DataFrame, rows: np.ndarray | None = None) -> list[str]:
    """Float columns whose every present value (of ``rows``, default all) is a whole number."""
    out = []
    for col in df.columns:
        s = df[col]
        if s.dtype.kind == "f":
            vals = s.to_numpy() if rows is None else s.to_numpy()[rows]
            vals = vals[~np.isnan(vals)]
            if len(vals) == 0 or np.all(vals == np.round(vals)):
                out.append(col)
    return out


def _as_int_where_possible(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype({c: "Int64" for c in _whole_number_columns(df)})


STREAM_CELLS = 250_000   # sheets with more cells are written by openpyxl in write-only mode
FORMATS = ("xlsx", "parquet", "csv")


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``{sheet name: frame}`` to an .xlsx (header row of column names, no index; missing
    values as empty cells) with fixed zip and document dates.

    Small workbooks (at most :data:`STREAM_CELLS` cells in every sheet, e.g. every file of the
    default 40-school demo) go through ``DataFrame.to_excel`` / openpyxl as before (the same
    bytes); larger ones through openpyxl's write-only mode (rows streamed to the file, about 4x
    faster: no cell objects are kept), which reads back to the same values.
    """
    if all(df.shape[0] * df.shape[1] <= STREAM_CELLS for df in sheets.values()):
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=str(name)[:31], index=False)
    else:
        import openpyxl
        wb = openpyxl.Workbook(write_only=True)
        for name, df in sheets.items():
            ws = wb.create_sheet(str(name)[:31])
            ws.append([str(c) for c in df.columns])
            cols = [df[c].astype(object).where(df[c].notna(), None).tolist()
                    for c in df.columns]
            for row in zip(*cols):
                ws.append(row)
        wb.save(path)
    fix_zip(path)


def _write_flat(df: pd.DataFrame, path: Path, format: str) -> dict:
    """Write one table as Parquet or UTF-8 CSV; its entry for study.yaml."""
    if format == "parquet":
        df.to_parquet(path, index=False, compression="zstd")
        return {"file": f"raw/{path.name}", "format": "parquet"}
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return {"file": f"raw/{path.name}", "format": "csv", "encoding": "utf-8", "sep": ",",
            "decimal": "."}


#: rows of a parquet row group (and of a chunk held in memory while writing)
PARQUET_ROWS = 250_000


def _write_parquet_rows(frame: pd.DataFrame, wave: int, path: Path) -> dict:
    """One wave of a group as parquet, written in row groups of :data:`PARQUET_ROWS` rows, so
    that writing holds one chunk, not copies of the whole group (a national group of millions
    of rows x ~180 answers). The values and types are those of :func:`_as_int_where_possible`
    on the wave's rows: a float column all of whose values are whole numbers becomes
    ``Int64``, decided on the whole wave (so every row group has one schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = np.flatnonzero((frame["wave"] == wave).to_numpy())
    whole = _whole_number_columns(frame, rows)
    schema, writer = None, None
    try:
        for i in range(0, max(len(rows), 1), PARQUET_ROWS):
            chunk = frame.iloc[rows[i:i + PARQUET_ROWS]].reset_index(drop=True)
            chunk = chunk.astype({c: "Int64" for c in whole})
            table = pa.Table.from_pandas(chunk, preserve_index=False, schema=schema)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return {"file": f"raw/{path.name}", "format": "parquet"}


def _sav_metadata(inst: Instrument, df: pd.DataFrame):
    cb = inst.codebook("ru")
    labels = dict(zip(cb["variable"], cb["label"]))
    column_labels = {c: str(labels.get(c, c))[:250] for c in df.columns}
    value_labels, missing, measure = {}, {}, {}
    for it in inst.items:
        if it.type in ("single", "likert"):
            vl = {int(k): t.ru for k, t in it.codes.items()}
            vl.update({int(k): t.ru for k, t in it.missing.items()})
            value_labels[it.id] = vl
            if it.missing:
                missing[it.id] = [int(k) for k in sorted(it.missing)][:3]
            measure[it.id] = "ordinal" if it.type == "likert" else "nominal"
        elif it.type == "multiple":
            for col in it.columns:
                value_labels[col] = {0: "не выбрано", 1: "выбрано"}
                measure[col] = "nominal"
        elif it.type in ("ranking", "numeric"):
            for col in it.columns:
                measure[col] = "scale" if it.type == "numeric" else "ordinal"
    return column_labels, value_labels, missing, measure


def write_demo(study: DemoStudy, folder: str | Path, *, format: str = "xlsx"
               ) -> dict[str, Path]:
    """Write the demo study as raw files plus ``truth.json`` and ``study.yaml``.

    Parameters
    ----------
    study : DemoStudy
        From :func:`generate_demo`.
    folder : str or Path
        Created if needed; existing demo files are overwritten.
    format : {"xlsx", "parquet", "csv"}, default "xlsx"
        ``"xlsx"``: the formats schools send (students SPSS ``.sav``, parents Windows-1251 CSV,
        teachers / passport / programme monitoring ``.xlsx``). For a region or the country
        (hundreds to tens of thousands of schools) ``"parquet"`` writes the students', parents'
        and teachers' answers, the passport and the programme monitoring as Parquet (typed, ~100x
        faster to write and read than .xlsx), ``"csv"`` as UTF-8 CSV (``,`` separated, decimal
        point); the passport's codebook then goes to ``school_passport_codebook.<ext>``. The
        data, the truth and the other files are the same in every format.

    Returns
    -------
    dict
        Name -> path of every written file (``students_2022``, ..., ``programme_data``,
        ``diagnostics``, ``region``, ``truth``, ``study``).

    Notes
    -----
    ``study.yaml`` (read by the pipeline; paths relative to the yaml's folder)::

        study: {id, title, seed, waves: [2022, ...]}
        instruments: {students: students, parents: parents, teachers: teachers,
                      school: school_passport, results: results,   # bundled names or paths
                      frame: sample_frame, programme_data: programme_data,
                      diagnostics: diagnostics, region: region}
        responses:
          students: {2022: {file: raw/students_2022.sav, format: sav}, ...}
          parents:  {2022: {file: raw/parents_2022.csv, format: csv, encoding: cp1251,
                            sep: ";", decimal: ","}, ...}
          teachers: {2022: {file: raw/teachers_2022.xlsx, format: xlsx, sheet: 0}, ...}
        design:
          frame: {file: raw/sample_frame.csv, format: csv, encoding: utf-8, sep: ",",
                  decimal: "."}
          wave: wave; strata: stratum; school: school_id; class: class_id
          weight: weight            # 1 / (p_school p_class p_unit), sampled units
          weight_nr: weight_nr      # x n_pupils / n_responded (class or school's teachers)
          unit: unit                # "class" rows (students, parents), "teachers" rows
        context:
          passport: {file: raw/school_passport.xlsx, format: xlsx, sheet: 0}
          results: {file: raw/results.csv, format: csv, encoding: utf-8, sep: ",", decimal: "."}
        indicators:             # extra tables of the indicator catalogue (stage dynamics)
          programme_data: {file: raw/programme_data.xlsx}
          diagnostics: {file: raw/diagnostics.csv}
          region: {file: raw/region.csv}
          programme_results: {file: raw/programme_results.csv}   # statuses of the results
          action_plan: {file: raw/action_plan.csv}               # execution of the plan
        truth: truth.json
        output: output

    Examples
    --------
    >>> paths = write_demo(generate_demo(), "demo_study")   # doctest: +SKIP
    """
    import pyreadstat
    import yaml

    if not isinstance(study, DemoStudy):
        raise ParameterError(f"'study' must be a DemoStudy from generate_demo(); "
                             f"got {type(study).__name__}")
    folder = Path(folder)
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    inst = study.instruments
    paths: dict[str, Path] = {}
    responses: dict[str, dict] = {g: {} for g in GROUPS}
    if format not in FORMATS:
        raise ParameterError(f"'format' must be one of {list(FORMATS)}; got {format!r}")
    for w in study.waves:
        if format == "parquet":           # in chunks of rows: a national group is GBs
            for g in GROUPS:
                paths[f"{g}_{w}"] = p = raw / f"{g}_{w}.parquet"
                responses[g][w] = _write_parquet_rows(getattr(study, g), w, p)
            continue
        if format != "xlsx":
            for g in GROUPS:
                frame = getattr(study, g)
                df = _as_int_where_possible(frame[frame["wave"] == w]).reset_index(drop=True)
                paths[f"{g}_{w}"] = p = raw / f"{g}_{w}.{format}"
                responses[g][w] = _write_flat(df, p, format)
            continue
        # students: SPSS .sav
        df = study.students[study.students["wave"] == w].reset_index(drop=True)
        df = df.copy()
        for it in inst["students"].items_of(type="text"):
            df[it.id] = df[it.id].astype(object).where(df[it.id].notna(), "").astype(str)
        cl, vl, miss, meas = _sav_metadata(inst["students"], df)
        p = raw / f"students_{w}.sav"
        pyreadstat.write_sav(df, str(p), file_label=f"Демо-муниципалитет: учащиеся, {w}",
                             column_labels=cl, variable_value_labels=vl, missing_ranges=miss,
                             variable_measure=meas)
        fix_sav_time(p)
        paths[f"students_{w}"] = p
        responses["students"][w] = dict(file=f"raw/students_{w}.sav", format="sav")
        # parents: cp1251 CSV
        df = _as_int_where_possible(study.parents[study.parents["wave"] == w])
        p = raw / f"parents_{w}.csv"
        df.to_csv(p, sep=";", decimal=",", index=False, encoding="cp1251", lineterminator="\r\n")
        paths[f"parents_{w}"] = p
        responses["parents"][w] = dict(file=f"raw/parents_{w}.csv", format="csv",
                                       encoding="cp1251", sep=";", decimal=",")
        # teachers: xlsx
        df = _as_int_where_possible(study.teachers[study.teachers["wave"] == w])
        p = raw / f"teachers_{w}.xlsx"
        write_xlsx({f"teachers_{w}": df}, p)
        paths[f"teachers_{w}"] = p
        responses["teachers"][w] = dict(file=f"raw/teachers_{w}.xlsx", format="xlsx", sheet=0)
    # passport
    cb = inst["school_passport"].codebook("ru")[["variable", "label", "codes"]]
    if "in_programme" in study.passport.columns and "in_programme" not in set(cb["variable"]):
        cb = pd.concat([cb, pd.DataFrame([{
            "variable": "in_programme",
            "label": "Школа участвует в программе поддержки (не из анкеты паспорта)",
            "codes": "1 = да; 0 = нет"}])], ignore_index=True)
    if format == "xlsx":
        p = raw / "school_passport.xlsx"
        write_xlsx({"passport": _as_int_where_possible(study.passport), "codebook": cb}, p)
        passport_entry = {"file": "raw/school_passport.xlsx", "format": "xlsx", "sheet": 0}
    else:
        p = raw / f"school_passport.{format}"
        passport_entry = _write_flat(_as_int_where_possible(study.passport), p, format)
        paths["school_passport_codebook"] = q = raw / f"school_passport_codebook.{format}"
        _write_flat(cb, q, format)
    paths["school_passport"] = p
    p = raw / "results.csv"
    res = study.results.copy()
    for col in ("year", "procedure", "subject", "grade", "n_participants"):
        if col in res:
            res[col] = res[col].astype("Int64")
    res.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
    paths["results"] = p
    p = raw / "sample_frame.csv"
    study.frame.to_csv(p, index=False, encoding="utf-8", lineterminator="\n",
                       float_format="%.10g")
    paths["sample_frame"] = p
    # programme monitoring, regional diagnostic work, regional values
    if format == "xlsx":
        p = raw / "programme_data.xlsx"
        write_xlsx({"programme_data": study.programme_data}, p)
        programme_entry = {"file": "raw/programme_data.xlsx"}
    else:
        p = raw / f"programme_data.{format}"
        programme_entry = _write_flat(study.programme_data, p, format)
    paths["programme_data"] = p
    for name in ("diagnostics", "region"):
        p = raw / f"{name}.csv"
        getattr(study, name).to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        paths[name] = p
    # statuses of the programmes' qualitative results and action plans (demo/programme.py)
    from .programme import make_programme_status
    from .base import Streams
    status = make_programme_status(Streams(study.seed), study.waves,
                                   SURVEYS_DIR / "indicators.yaml")
    for name, d in zip(("programme_results", "action_plan"), status[:2]):
        p = raw / f"{name}.csv"
        d.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        paths[name] = p
    p = folder / "truth.json"
    p.write_text(json.dumps(study.truth, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
                 encoding="utf-8")
    paths["truth"] = p

    def inst_ref(name):
        path = inst[name].path
        bundled = Path(path).resolve().parent == SURVEYS_DIR.resolve() if path else False
        return name if bundled else (str(Path(path).resolve()) if path else name)

    config = {
        "study": {"id": "demo", "title": "Демо-муниципалитет (shnro_research.demo)",
                  "seed": study.seed, "waves": list(study.waves)},
        "instruments": {"students": inst_ref("students"), "parents": inst_ref("parents"),
                        "teachers": inst_ref("teachers"), "school": inst_ref("school_passport"),
                        "results": inst_ref("results"),
                        # the other input tables' instruments (bundled): validation and forms
                        "frame": "sample_frame", "programme_data": "programme_data",
                        "diagnostics": "diagnostics", "region": "region",
                        "programme_results": "programme_results", "action_plan": "action_plan"},
        "responses": responses,
        "design": {"frame": {"file": "raw/sample_frame.csv", "format": "csv",
                             "encoding": "utf-8", "sep": ",", "decimal": "."},
                   "wave": "wave", "strata": "stratum", "school": "school_id",
                   "class": "class_id", "weight": "weight", "weight_nr": "weight_nr",
                   "unit": "unit"},
        "context": {"passport": passport_entry,
                    "results": {"file": "raw/results.csv", "format": "csv", "encoding": "utf-8",
                                "sep": ",", "decimal": "."}},
        "indicators": {"programme_data": programme_entry,
                       "diagnostics": {"file": "raw/diagnostics.csv"},
                       "region": {"file": "raw/region.csv"},
                       "programme_results": {"file": "raw/programme_results.csv"},
                       "action_plan": {"file": "raw/action_plan.csv"}},
        "truth": "truth.json",
        "output": "output",
    }
    p = folder / "study.yaml"
    p.write_text("# Demo study generated by shnro_research.demo.write_demo; "
                 "paths relative to this file.\n"
                 + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                 encoding="utf-8")
    paths["study"] = p
    return paths


def load_demo_truth(folder: str | Path) -> dict:
    """Read ``truth.json`` written by :func:`write_demo` (``folder`` or the file itself)."""
    p = Path(folder)
    if p.is_dir():
        p = p / "truth.json"
    if not p.exists():
        raise ParameterError(f"'folder' must contain truth.json written by write_demo; "
                             f"not found: {p}")
    return json.loads(p.read_text(encoding="utf-8"))
