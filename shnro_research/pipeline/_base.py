"""What a stage is: its declaration (inputs, config keys, upstream stages, outputs) and the
context it runs in.

A stage file declares at its top::

    INPUTS = ("results",)              # raw files it reads (see INPUT_KINDS)
    CONFIG = ("typology", "study.seed")  # config blocks and study keys it reads
    UPSTREAM = ("context", "scoring")  # earlier stages whose tables it reads
    OUTPUTS = ("school_results", ...)  # tables and files it writes

and a function ``run(ctx)``. The :class:`StageContext` hands the stage exactly what it declared
and refuses anything else, so the stage key (which hashes what is declared) cannot miss an input:
reading an undeclared config block, raw file or upstream table is an error, not a stale cache.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pandas as pd

from ..config import GROUPS, DataFile, ResponseFile, Study
from ..errors import DataError, ParameterError
from ..io.sheets import read_parquet_frame
from ..report.privacy import escape_formulas

#: kinds of raw input a stage may declare in ``INPUTS``
INPUT_KINDS = ("instruments", "responses", "frame", "passport", "results", "tables", "catalogue")
#: raw tables validated when read: kind -> (key of the config's ``instruments:``, bundled
#: instrument used when the config names none)
TABLE_INSTRUMENTS = {"frame": ("frame", "sample_frame"), "passport": ("school", "school_passport"),
                     "results": ("results", "results"),
                     "programme_data": ("programme_data", "programme_data"),
                     "diagnostics": ("diagnostics", "diagnostics"), "region": ("region", "region"),
                     "programme_results": ("programme_results", "programme_results"),
                     "action_plan": ("action_plan", "action_plan")}
#: study-level config keys a stage may declare in ``CONFIG`` (besides the parameter blocks)
STUDY_KEYS = ("study.id", "study.title", "study.seed", "study.lang", "study.waves")


@dataclass(frozen=True, repr=False)
class Stage:
    """One stage of the study, built from its pipeline file by :func:`stage_from_module`."""

    number: int
    name: str
    module: ModuleType
    inputs: tuple[str, ...]
    config: tuple[str, ...]
    upstream: tuple[str, ...]
    outputs: tuple[str, ...]
    run: Callable[["StageContext"], None]

    def __repr__(self) -> str:
        return (f"Stage({self.number}, {self.name!r}, inputs={self.inputs}, config={self.config}, "
                f"upstream={self.upstream})")

    @property
    def folder(self) -> str:
        """Name of the stage's output folder, e.g. ``06_models``."""
        return f"{self.number:02d}_{self.name}"

    @property
    def doc(self) -> str:
        return (self.module.__doc__ or "").strip().splitlines()[0]


def stage_from_module(number: int, module: ModuleType, known: tuple[str, ...]) -> Stage:
    """Read a pipeline file's declaration; refuse unknown input kinds, config keys or stages."""
    name = module.__name__.rsplit(".", 1)[-1]
    decl = {k: tuple(getattr(module, k, ())) for k in ("INPUTS", "CONFIG", "UPSTREAM", "OUTPUTS")}
    for kind in decl["INPUTS"]:
        if kind not in INPUT_KINDS:
            raise ParameterError(f"stage {name}: INPUTS has {kind!r}; expected among {INPUT_KINDS}")
    from ..config import PARAM_BLOCKS
    for key in decl["CONFIG"]:
        if key not in STUDY_KEYS and key not in PARAM_BLOCKS:
            raise ParameterError(f"stage {name}: CONFIG has {key!r}; expected among "
                                 f"{STUDY_KEYS + PARAM_BLOCKS}")
    for up in decl["UPSTREAM"]:
        if up not in known:
            raise ParameterError(f"stage {name}: UPSTREAM has {up!r}, which is not an earlier "
                                 f"stage ({list(known)})")
    return Stage(number, name, module, decl["INPUTS"], decl["CONFIG"], decl["UPSTREAM"],
                 decl["OUTPUTS"], module.run)


def declared_files(study: Study, stage: Stage) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The raw files behind a stage's ``INPUTS``: label -> (path, read options)."""
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    for kind in stage.inputs:
        if kind == "instruments":
            for g in study.instruments:
                p = study.instrument_file(g)
                if p is not None:
                    out[f"instrument:{g}"] = (p, {})
        elif kind == "responses":
            for r in study.responses:
                out[f"responses:{r.group}:{r.wave}"] = (r.file, r.options())
        elif kind == "tables":
            for name, f in study.tables.items():
                out[f"table:{name}"] = (f.file, f.options())
                out[f"table:{name}:instrument"] = (table_instrument_file(study, name),
                                                   {"lang": study.lang})
        elif kind == "catalogue":   # the catalogue and the files an index of catalogues includes
            from ..indicators.catalogue import catalogue_files
            for k, p in enumerate(catalogue_files(catalogue_path(study))):
                out["catalogue" if k == 0 else f"catalogue:{p.name}"] = (p, {})
        else:
            f = getattr(study, kind)
            if f is not None:
                out[kind] = (f.file, f.options())
                # validated against it; the language of its messages is part of the key
                out[f"{kind}:instrument"] = (table_instrument_file(study, kind),
                                             {"lang": study.lang})
    return out


def table_instrument(study: Study, kind: str):
    """The instrument a raw table of this kind is validated against: the one the config's
    ``instruments:`` names under the kind's key (``school`` for the passport, ``frame``,
    ``results``, ``programme_data``, ``diagnostics``, ``region``), else the bundled one."""
    from ..instruments import load_instrument
    key, bundled = TABLE_INSTRUMENTS[kind]
    return study.instrument(key) if key in study.instruments else load_instrument(bundled)


def table_instrument_file(study: Study, kind: str) -> Path:
    """The YAML file behind :func:`table_instrument` (part of the reading stage's key)."""
    from ..instruments import SURVEYS_DIR
    key, bundled = TABLE_INSTRUMENTS[kind]
    p = study.instrument_file(key) if key in study.instruments else None
    return p if p is not None else SURVEYS_DIR / f"{bundled}.yaml"


def catalogue_path(study: Study) -> Path:
    """The programme-indicator catalogue: the study's own or the bundled one."""
    from ..instruments import SURVEYS_DIR
    cat = study.params["indicators"].get("catalogue")
    return (study.root / cat).resolve() if cat else SURVEYS_DIR / "indicators.yaml"


def read_file(f: DataFile):
    """Read a raw table of the study (sav, csv, xlsx, parquet) with the config's options;
    returns the :class:`~shnro_research.io.ReadResult` (data and what the reader found)."""
    from ..io import read_table
    return read_table(f.file, encoding=f.encoding, sep=f.sep, sheet=f.sheet, decimal=f.decimal)


#: config key of each frame column (``design:`` block) -> the sampling-frame instrument's column
_FRAME_COLUMNS = {"wave": "wave", "strata": "stratum", "school": "school_id", "class": "class_id",
                  "unit": "unit", "weight": "weight", "weight_nr": "weight_nr"}


def validate_input(study: Study, kind: str, f: DataFile, out: Path,
                   design: dict[str, Any] | None = None) -> pd.DataFrame:
    """Read a raw table, validate it against its instrument (:func:`~shnro_research.responses.
    validate_table`), write ``<kind>_problems``, ``<kind>_exclusions``, ``<kind>_missing_codes``
    and ``<kind>_row_counts`` into ``out`` and return the clean table.

    The sampling frame's columns may carry other names (the config's ``design:`` block): they
    are matched to the instrument's and given back their names in the clean table.
    """
    from ..responses.tables import frame_options, validate_table
    read = read_file(f)
    inst = table_instrument(study, kind)
    kw: dict[str, Any] = {}
    back: dict[str, str] = {}
    if kind == "frame":
        d = design or {}
        names = {key: d.get(key, default if key not in ("weight_nr",) else None)
                 for key, default in _FRAME_COLUMNS.items()}
        cols = set(map(str, read.data.columns))
        rename = {v: _FRAME_COLUMNS[k] for k, v in names.items()
                  if v and v != _FRAME_COLUMNS[k] and v in cols}
        back = {v: k for k, v in rename.items()}
        kw = dict(rename=rename or None,
                  **frame_options("unit" if names.get("unit") else None, "class_id"))
    res = validate_table(read, inst, file=f.file.name, lang=study.lang, **kw)
    for name, tab in (("problems", res.problems), ("exclusions", res.exclusions),
                      ("missing_codes", res.missing_codes), ("row_counts", res.counts)):
        tab = tab.astype({c: str for c in ("value", "key") if c in tab.columns})
        write_table(tab, out, f"{kind}_{name}")
    clean = res.clean
    if len(clean) == 0:
        first = res.exclusions.iloc[0]
        p = res.problems[res.problems["action"] == "row excluded"].iloc[0]
        why = res.exclusions["reason"].value_counts().to_dict()
        raise DataError(f"{f.file.name}: every row of the {kind} table is excluded "
                        f"({len(res.exclusions)} rows: {why}); e.g. row {first['row']}, column "
                        f"{p['column']!r}, value {p['value']!r}: {p['message']} (expected "
                        f"{p['expected']})")
    return clean.rename(columns=back) if back else clean


class StageContext:
    """What a running stage may see: the declared config, raw files and upstream tables.

    ``ctx.params("typology")`` returns a parameter block; ``ctx.title``, ``ctx.waves``,
    ``ctx.lang``, ``ctx.seed``, ``ctx.study_id`` the study keys; ``ctx.read("results")`` a raw
    file; ``ctx.table("context", "wellbeing_index")`` an upstream table; ``ctx.write(df, name)``
    writes a table into the stage's folder ``ctx.out``.
    """

    def __init__(self, study: Study, stage: Stage, out: Path, folders: dict[str, Path]):
        self._study, self.stage, self.out, self._folders = study, stage, out, folders
        self._tables: dict[tuple[str, str], pd.DataFrame] = {}

    # -- config ---------------------------------------------------------------------------
    def _key(self, key: str) -> None:
        if key not in self.stage.config:
            raise ParameterError(
                f"stage {self.stage.name} reads config {key!r} but does not declare it in "
                f"CONFIG {self.stage.config}: add it, or its changes would not rerun the stage")

    def params(self, block: str) -> dict[str, Any]:
        self._key(block)
        return self._study.params[block]

    @property
    def title(self) -> str:
        self._key("study.title")
        return self._study.title

    @property
    def waves(self) -> list[int]:
        self._key("study.waves")
        return list(self._study.waves)

    @property
    def lang(self) -> str:
        self._key("study.lang")
        return self._study.lang

    @property
    def seed(self) -> int:
        self._key("study.seed")
        return self._study.seed

    @property
    def study_id(self) -> str:
        self._key("study.id")
        return self._study.id

    # -- raw inputs -----------------------------------------------------------------------
    def _input(self, kind: str) -> None:
        if kind not in self.stage.inputs:
            raise ParameterError(f"stage {self.stage.name} reads input {kind!r} but does not "
                                 f"declare it in INPUTS {self.stage.inputs}")

    def instrument(self, group: str):
        self._input("instruments")
        return self._study.instrument(group)

    @property
    def instrument_names(self) -> list[str]:
        self._input("instruments")
        return list(self._study.instruments)

    @property
    def groups(self) -> list[str]:
        """Respondent groups with response files (students, parents, teachers)."""
        return self._study.groups

    def responses(self, group: str) -> list[ResponseFile]:
        self._input("responses")
        return [r for r in self._study.responses if r.group == group]

    def has(self, kind: str) -> bool:
        """Whether the config names a raw file of this kind (``frame``, ``results``, ...)."""
        self._input(kind)
        return getattr(self._study, kind) is not None

    def read(self, kind: str) -> pd.DataFrame:
        """A raw table of the study (``frame``, ``passport``, ``results``), never modified,
        validated against its instrument: returns the clean table and writes
        ``<kind>_problems``, ``<kind>_exclusions``, ``<kind>_missing_codes`` and
        ``<kind>_row_counts`` into the stage's folder (raw rows = clean + excluded rows). A
        missing key column is a :class:`DataError` naming the file and the column."""
        self._input(kind)
        f = getattr(self._study, kind)
        if f is None:
            where = {"frame": "design.frame", "passport": "context.passport",
                     "results": "context.results"}[kind]
            raise DataError(f"stage {self.stage.name}: the study config {self._study.path.name} "
                            f"has no {where} file")
        design = self.params("design") if kind == "frame" else None
        return validate_input(self._study, kind, f, self.out, design)

    def read_tables(self) -> dict[str, pd.DataFrame]:
        """The programme tables (programme_data, diagnostics, region) the config names, each
        validated against its instrument like :meth:`read`."""
        self._input("tables")
        return {name: validate_input(self._study, name, f, self.out)
                for name, f in self._study.tables.items()}

    def catalogue(self) -> Path:
        self._input("catalogue")
        return catalogue_path(self._study)

    # -- tables of earlier stages ---------------------------------------------------------
    def table(self, stage: str, name: str, *, cache: bool = True,
              columns: list[str] | None = None) -> pd.DataFrame:
        """An upstream table; ``cache=False`` reads it without keeping it for a second call
        (a big table read once: the streaming engines); ``columns`` reads only those columns
        (a national table of respondents has ~100), without caching them."""
        if stage not in self.stage.upstream:
            raise ParameterError(f"stage {self.stage.name} reads {stage}/{name} but does not "
                                 f"declare {stage!r} in UPSTREAM {self.stage.upstream}")
        if columns is not None:
            if (stage, name) in self._tables:
                return self._tables[stage, name][list(columns)].copy(deep=False)
            return read_stage_table(self._folders[stage], name, columns=list(columns))
        if not cache and (stage, name) not in self._tables:
            return read_stage_table(self._folders[stage], name)
        if (stage, name) not in self._tables:      # read each upstream table once per run
            self._tables[stage, name] = read_stage_table(self._folders[stage], name)
        # callers may change their copy: copy-on-write (pandas >= 3) copies what they change,
        # so a shallow copy keeps the cached table intact without copying every column
        return self._tables[stage, name].copy(deep=False)

    def table_with(self, stage: str, name: str, wanted: list[str]) -> pd.DataFrame:
        """An upstream table with those of the ``wanted`` columns it has, in its own column
        order (a national table of respondents has millions of rows), not cached."""
        path = self.table_path(stage, name)
        if not path.exists():
            return self.table(stage, name)          # the missing-table error of the stage
        import pyarrow.parquet as pq
        want = set(wanted)
        return self.table(stage, name,
                          columns=[c for c in pq.read_schema(path).names if c in want])

    def table_path(self, stage: str, name: str) -> Path:
        """The parquet file of an upstream table (read by the Dask engine in partitions)."""
        if stage not in self.stage.upstream:
            raise ParameterError(f"stage {self.stage.name} reads {stage}/{name} but does not "
                                 f"declare {stage!r} in UPSTREAM {self.stage.upstream}")
        return self._folders[stage] / f"{name}.parquet"

    def has_table(self, stage: str, name: str) -> bool:
        if stage not in self.stage.upstream:
            raise ParameterError(f"stage {self.stage.name}: {stage!r} not in UPSTREAM")
        return (self._folders[stage] / f"{name}.parquet").exists()

    # -- outputs --------------------------------------------------------------------------
    def write(self, df: pd.DataFrame, name: str, *, csv: bool = True) -> Path:
        return write_table(df, self.out, name, csv=csv)


#: rows of an Excel sheet (1,048,576) less the header: a longer CSV would not open in Excel
EXCEL_MAX_ROWS = 1_048_575


def write_table(df: pd.DataFrame, folder: Path, name: str, *, csv: bool = True) -> Path:
    """Write a data product as parquet (exact types) and CSV (UTF-8 with BOM, for Excel).

    A table longer than an Excel sheet (:data:`EXCEL_MAX_ROWS`, e.g. the respondent scores of a
    national study) is written as parquet only: its CSV would be cut when opened in Excel, and
    writing it is the slowest part of a stage at that size.
    """
    folder.mkdir(parents=True, exist_ok=True)
    df = df.reset_index(drop=True)
    p = folder / f"{name}.parquet"
    df.to_parquet(p, index=False)
    if csv and len(df) <= EXCEL_MAX_ROWS:   # for Excel: text that would start a formula is
        # escaped (parquet keeps it exact)
        write_csv(escape_formulas(df), folder / f"{name}.csv")
    return p


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV with a byte-order mark (Excel), through polars: ~12x faster than
    ``DataFrame.to_csv`` on the stage tables (148 s -> 12 s for the tables of a 4,000-school
    study under load). Missing values are empty cells; floats are written in their shortest
    exact decimal form without an exponent, booleans as ``true``/``false``; an empty string
    is ``""`` (polars tells it from a missing value). A table polars cannot take (a column of
    mixed Python objects) is written by pandas."""
    import polars as pl
    try:
        frame = pl.from_pandas(df)
    except (TypeError, ValueError, ArithmeticError, pl.exceptions.PolarsError):
        df.to_csv(path, index=False, encoding="utf-8-sig")     # what polars cannot convert
        return
    frame.write_csv(path, include_bom=True)


def read_stage_table(folder: Path, name: str, columns: list[str] | None = None
                     ) -> pd.DataFrame:
    p = folder / f"{name}.parquet"
    if not p.exists():
        raise DataError(f"{p} not found: run stage {folder.name[3:]!r} first "
                        f"(shnro run CONFIG --stages {folder.name[3:]})")
    if columns is not None:
        import pyarrow.parquet as pq
        have = set(pq.read_schema(p).names)
        missing = [c for c in columns if c not in have]
        if missing:
            raise DataError(f"{p}: column(s) {missing} not in the table (it has "
                            f"{len(have)} columns); rerun stage {folder.name[3:]!r}")
    return read_parquet_frame(p, columns)     # a read peaks at about the table's size


__all__ = ["Stage", "StageContext", "GROUPS", "write_table", "read_stage_table"]
