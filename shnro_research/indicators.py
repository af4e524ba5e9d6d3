"""Programme indicators: a declarative catalogue, computation, achievement degree, monitoring.

The municipal programmes for ШНОР / ШФНСУ name their *target indicators* («целевые показатели»,
«ожидаемые результаты»): shares of schools with positive dynamics on ВПР, ОГЭ, ЕГЭ and regional
diagnostic work (reading and science literacy), shares of schools with fewer failing pupils or
more pupils with «4» and «5», shares of pupils with individual learning plans (ИОМ), in additional
education, with individual progress, with reduced anxiety, absences, municipality vs region...
Each is declared once in ``surveys/indicators.yaml``; :func:`compute_indicators` evaluates the
catalogue on the study's tables and grades each value against its yearly target
(achieved / partly achieved / not achieved, as the programmes' reports do).

Catalogue layout (YAML)::

    catalogue: {id: ..., version: 1, title: {ru: ..., en: ...}}
    defaults:                       # optional; every key may be overridden per indicator
      school: school_id             # school id column of every table
      year: year                    # year column (survey estimates: wave)
      achievement: {partly: 0.8}    # "partly achieved" threshold (see below)
    indicators:
      - id: oge_math_positive       # unique, [a-z0-9_]
        name: {ru: "...", en: "..."}
        kind: share_of_schools_with_change
        source: results             # which table of `tables`
        params: {column: mean_score, filter: {procedure: 2, subject: 2}, weight: n_participants,
                 direction: increase, tolerance: 1.0, compare_with: previous}
        unit: "%"
        better: higher              # higher | lower
        targets: {2023: 50, 2024: 60}
        achievement: {partly: 0.8}  # optional, overrides the default
        programmes: ["Минусинск 2020-2022, показатель 14"]   # optional, free text
        note: "..."                 # optional, free text

Computation kinds (``kind``) and their ``params``:

``share_of_schools_with_change``
    Share (%) of schools whose value moved in ``direction`` (increase / decrease) by more than
    ``tolerance`` since the comparison year (``compare_with``: ``previous`` year with data,
    ``first`` year, or a year). The school value is ``column`` (mean over the school's rows,
    weighted by ``weight`` if given) or ``numerator`` / ``denominator`` (x ``multiplier``).
    With ``test: true`` and an ``se`` column (design-based survey estimates) the change must
    also be significant (:func:`shnro_research.dynamics.wave_change`, ``alpha``, ``adjust``).
    n = schools with a value in both years.
``share_of_schools``
    Share (%) of schools whose value satisfies ``op`` (<, <=, >, >=) ``threshold``.
``share``
    ``multiplier`` (default 100) x sum(``numerator``) / sum(``denominator``) over the schools;
    n = schools (rows) with both values.
``mean``
    Mean of ``column`` over rows (weighted by ``weight``), or a ratio of sums as in ``share``
    with ``multiplier`` default 1.
``difference_vs_region``
    Municipal value of ``column`` (mean weighted by ``weight``) minus the regional value of
    ``region_column`` (default: same name) in the ``region`` table (``region_source``) after the
    same ``filter`` (filter keys absent from the region table are ignored).

Every kind accepts ``filter`` (``{column: value or [values]}``, values compared as numbers when
both sides are numeric and as text otherwise) and ``schools`` (``{source: passport,
column: in_programme, values: [1]}``: only schools flagged in another table).

Achievement degree: with ``better: higher``, "achieved" if value >= target; "partly achieved" if
value >= ``partly`` x target (``partly`` is a share of the target, default 0.8) or, with
``partly_within: d``, if value >= target - d; otherwise "not achieved". With ``better: lower``
the inequalities reverse (value <= target; value <= target / ``partly`` or <= target + d).
No target for the year: "no target"; no value: "no data" (with a note saying why).
"""
from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ._checks import DataError, InstrumentError, ParameterError, as_list, check_option

#: Fixed vocabulary of computation kinds.
KINDS = ("share_of_schools_with_change", "share_of_schools", "share", "mean", "difference_vs_region")
#: Table names a catalogue may refer to.
SOURCES = ("results", "passport", "survey", "programme_data", "diagnostics", "region")
ACHIEVEMENT = ("achieved", "partly achieved", "not achieved", "no target", "no data")

_COMMON_PARAMS = {"filter", "schools", "school", "year"}
_VALUE_PARAMS = {"column", "weight", "numerator", "denominator", "multiplier"}
_PARAMS = {
    "share_of_schools_with_change": _COMMON_PARAMS | _VALUE_PARAMS | {
        "direction", "tolerance", "compare_with", "test", "alpha", "adjust", "se"},
    "share_of_schools": _COMMON_PARAMS | _VALUE_PARAMS | {"op", "threshold"},
    "share": _COMMON_PARAMS | {"numerator", "denominator", "multiplier"},
    "mean": _COMMON_PARAMS | _VALUE_PARAMS,
    "difference_vs_region": _COMMON_PARAMS | {"column", "weight", "region_source", "region_column",
                                              "region_weight"},
}
_INDICATOR_FIELDS = {"id", "name", "kind", "source", "params", "unit", "better", "targets",
                     "achievement", "programmes", "note"}
_REQUIRED_FIELDS = ("id", "name", "kind", "source", "params", "unit", "better")
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}

LABELS = {
    "achieved": ("достигнуто", "achieved"),
    "partly achieved": ("достигнуто частично", "partly achieved"),
    "not achieved": ("не достигнуто", "not achieved"),
    "no target": ("цель не задана", "no target"),
    "no data": ("нет данных", "no data"),
}


class CatalogueError(InstrumentError):
    """The indicator catalogue is malformed; the message names file, indicator and field."""


@dataclass(frozen=True)
class Catalogue:
    """A checked indicator catalogue (see the module docstring for the YAML layout)."""

    id: str
    version: Any
    title: dict
    defaults: dict
    indicators: tuple[dict, ...]
    file: str = "<dict>"
    ids: tuple[str, ...] = field(default=())

    def get(self, indicator_id: str) -> dict:
        """The checked definition of one indicator."""
        for ind in self.indicators:
            if ind["id"] == indicator_id:
                return ind
        raise ParameterError(f"'indicator_id' must be one of {list(self.ids)}; got {indicator_id!r}")

    def table(self) -> pd.DataFrame:
        """One row per indicator: id, names, kind, source, unit, better, targets."""
        return pd.DataFrame([{
            "indicator": i["id"], "name_ru": i["name"]["ru"], "name_en": i["name"]["en"],
            "kind": i["kind"], "source": i["source"], "unit": i["unit"], "better": i["better"],
            "targets": "; ".join(f"{y}: {v:g}" for y, v in sorted(i["targets"].items())),
            "programmes": "; ".join(i.get("programmes", [])),
        } for i in self.indicators])


#: Bundled catalogue (top-level ``surveys/indicators.yaml`` of the repository).
DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "surveys" / "indicators.yaml"


# --------------------------------------------------------------------------------------------
# catalogue: load and check
# --------------------------------------------------------------------------------------------

def load_catalogue(path: str | Path | Mapping | None = None) -> Catalogue:
    """Load and check an indicator catalogue.

    Parameters
    ----------
    path : str, Path or mapping, optional
        YAML file (default: the bundled ``surveys/indicators.yaml``) or an already parsed mapping.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Naming the file, the indicator (id and position) and the field at fault.

    Examples
    --------
    >>> cat = load_catalogue()              # doctest: +SKIP
    >>> cat.table()[["indicator", "kind"]]  # doctest: +SKIP
    """
    if path is None:
        path = DEFAULT_CATALOGUE
    if isinstance(path, Mapping):
        raw, file = dict(path), "<dict>"
    else:
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"indicator catalogue not found: {p}")
        file = str(p)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{file}: not valid YAML: {exc}") from None
    return _check_catalogue(raw, file)


def _err(file: str, where: str, fld: str, msg: str) -> CatalogueError:
    return CatalogueError(f"{file}: {where}: field {fld!r}: {msg}")


def _check_catalogue(raw: Any, file: str) -> Catalogue:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{file}: the catalogue must be a mapping with keys 'catalogue', "
                             f"'indicators'; got {type(raw).__name__}")
    unknown = set(raw) - {"catalogue", "defaults", "indicators"}
    if unknown:
        raise CatalogueError(f"{file}: unknown top-level key(s) {sorted(unknown)}; expected "
                             f"'catalogue', 'defaults', 'indicators'")
    head = raw.get("catalogue") or {}
    if not isinstance(head, Mapping):
        raise _err(file, "catalogue", "catalogue", f"expected a mapping; got {head!r}")
    defaults = dict(raw.get("defaults") or {})
    bad = set(defaults) - {"school", "year", "achievement", "missing_codes"}
    if bad:
        raise _err(file, "defaults", sorted(bad)[0], "unknown key; expected school, year, "
                   "achievement, missing_codes")
    defaults.setdefault("school", "school_id")
    defaults.setdefault("year", "year")
    defaults["achievement"] = _check_achievement(defaults.get("achievement", {"partly": 0.8}),
                                                 file, "defaults")
    inds = raw.get("indicators")
    if not isinstance(inds, list) or not inds:
        raise _err(file, "catalogue", "indicators", "expected a non-empty list of indicators")
    checked, seen = [], set()
    for pos, ind in enumerate(inds, start=1):
        where = f"indicator #{pos}"
        if not isinstance(ind, Mapping):
            raise CatalogueError(f"{file}: {where}: expected a mapping; got {ind!r}")
        if "id" in ind:
            where = f"indicator {ind['id']!r} (#{pos})"
        c = _check_indicator(dict(ind), file, where, defaults)
        if c["id"] in seen:
            raise _err(file, where, "id", f"duplicate id {c['id']!r}")
        seen.add(c["id"])
        checked.append(c)
    return Catalogue(id=str(head.get("id", "")), version=head.get("version"),
                     title=dict(head.get("title") or {}), defaults=defaults,
                     indicators=tuple(checked), file=file, ids=tuple(i["id"] for i in checked))


def _check_achievement(a: Any, file: str, where: str) -> dict:
    if not isinstance(a, Mapping) or len(a) != 1 or next(iter(a)) not in ("partly", "partly_within"):
        raise _err(file, where, "achievement", "expected {partly: share of the target in (0, 1)} "
                   f"or {{partly_within: absolute distance >= 0}}; got {a!r}")
    key, val = next(iter(a.items()))
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise _err(file, where, f"achievement.{key}", f"expected a number; got {val!r}")
    if key == "partly" and not 0 < val < 1:
        raise _err(file, where, "achievement.partly", f"expected a share of the target in (0, 1); got {val!r}")
    if key == "partly_within" and val < 0:
        raise _err(file, where, "achievement.partly_within", f"expected a number >= 0; got {val!r}")
    return {key: float(val)}


def _is_num(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float))


def _check_indicator(ind: dict, file: str, where: str, defaults: dict) -> dict:
    unknown = set(ind) - _INDICATOR_FIELDS
    if unknown:
        raise _err(file, where, sorted(unknown)[0], f"unknown field; expected {sorted(_INDICATOR_FIELDS)}")
    for f in _REQUIRED_FIELDS:
        if f not in ind or ind[f] is None:
            raise _err(file, where, f, "required field is missing")
    if not isinstance(ind["id"], str) or not re.fullmatch(r"[a-z][a-z0-9_]*", ind["id"]):
        raise _err(file, where, "id", f"expected lower-case letters, digits, '_'; got {ind['id']!r}")
    name = ind["name"]
    if not isinstance(name, Mapping) or not all(isinstance(name.get(k), str) and name.get(k)
                                                for k in ("ru", "en")):
        raise _err(file, where, "name", f"expected {{ru: ..., en: ...}} with both texts; got {name!r}")
    if ind["kind"] not in KINDS:
        raise _err(file, where, "kind", f"expected one of {list(KINDS)}; got {ind['kind']!r}")
    if ind["source"] not in SOURCES:
        raise _err(file, where, "source", f"expected one of {list(SOURCES)}; got {ind['source']!r}")
    if ind["better"] not in ("higher", "lower"):
        raise _err(file, where, "better", f"expected 'higher' or 'lower'; got {ind['better']!r}")
    if not isinstance(ind["unit"], str):
        raise _err(file, where, "unit", f"expected a text; got {ind['unit']!r}")
    targets = ind.get("targets") or {}
    if not isinstance(targets, Mapping):
        raise _err(file, where, "targets", f"expected a mapping year: value; got {targets!r}")
    tg = {}
    for y, v in targets.items():
        try:
            yi = int(y)
        except (TypeError, ValueError):
            raise _err(file, where, "targets", f"years must be whole numbers; got {y!r}") from None
        if not _is_num(v):
            raise _err(file, where, f"targets.{y}", f"expected a number; got {v!r}")
        tg[yi] = float(v)
    ach = _check_achievement(ind["achievement"], file, where) if "achievement" in ind \
        else dict(defaults["achievement"])
    if "partly" in ach:
        neg = [y for y, v in tg.items() if v < 0]
        if neg:
            raise _err(file, where, f"targets.{neg[0]}", "a ratio threshold 'partly' needs targets "
                       ">= 0; use achievement: {partly_within: d} for signed targets")
    params = ind["params"]
    if not isinstance(params, Mapping):
        raise _err(file, where, "params", f"expected a mapping; got {params!r}")
    params = _check_params(dict(params), ind["kind"], file, where)
    for k in ("programmes",):
        if k in ind and not (isinstance(ind[k], list) and all(isinstance(x, str) for x in ind[k])):
            raise _err(file, where, k, f"expected a list of texts; got {ind[k]!r}")
    out = dict(ind)
    out.update(name={"ru": name["ru"], "en": name["en"]}, targets=tg, achievement=ach, params=params)
    out.setdefault("programmes", [])
    out.setdefault("note", "")
    return out


def _check_params(p: dict, kind: str, file: str, where: str) -> dict:
    allowed = _PARAMS[kind]
    unknown = set(p) - allowed
    if unknown:
        raise _err(file, where, f"params.{sorted(unknown)[0]}",
                   f"not a parameter of kind {kind!r}; expected some of {sorted(allowed)}")
    for k in ("column", "weight", "numerator", "denominator", "region_column", "region_weight",
              "school", "year", "se"):
        if k in p and not isinstance(p[k], str):
            raise _err(file, where, f"params.{k}", f"expected a column name; got {p[k]!r}")
    has_col = "column" in p
    has_ratio = "numerator" in p or "denominator" in p
    if has_ratio and not ("numerator" in p and "denominator" in p):
        raise _err(file, where, "params.numerator", "'numerator' and 'denominator' go together")
    if kind in ("share_of_schools_with_change", "share_of_schools", "mean"):
        if has_col == has_ratio:
            raise _err(file, where, "params.column", "give either 'column' or "
                       "'numerator' + 'denominator'")
    if kind == "share" and not has_ratio:
        raise _err(file, where, "params.numerator", "kind 'share' needs 'numerator' and 'denominator'")
    if kind == "difference_vs_region" and not has_col:
        raise _err(file, where, "params.column", "kind 'difference_vs_region' needs 'column'")
    if "weight" in p and has_ratio:
        raise _err(file, where, "params.weight", "'weight' applies to 'column', not to a ratio")
    if "multiplier" in p and not _is_num(p["multiplier"]):
        raise _err(file, where, "params.multiplier", f"expected a number; got {p['multiplier']!r}")
    if kind == "share_of_schools_with_change":
        if p.get("direction") not in ("increase", "decrease"):
            raise _err(file, where, "params.direction",
                       f"expected 'increase' or 'decrease'; got {p.get('direction')!r}")
        tol = p.setdefault("tolerance", 0.0)
        if not _is_num(tol) or tol < 0:
            raise _err(file, where, "params.tolerance", f"expected a number >= 0; got {tol!r}")
        cw = p.setdefault("compare_with", "previous")
        if cw not in ("previous", "first") and not (isinstance(cw, int) and not isinstance(cw, bool)):
            raise _err(file, where, "params.compare_with",
                       f"expected 'previous', 'first' or a year; got {cw!r}")
        if not isinstance(p.setdefault("test", False), bool):
            raise _err(file, where, "params.test", f"expected true or false; got {p['test']!r}")
        a = p.setdefault("alpha", 0.05)
        if not _is_num(a) or not 0 < a < 1:
            raise _err(file, where, "params.alpha", f"expected a number in (0, 1); got {a!r}")
        from .dynamics import P_ADJUST_METHODS
        if p.setdefault("adjust", "none") not in P_ADJUST_METHODS:
            raise _err(file, where, "params.adjust", f"expected one of {list(P_ADJUST_METHODS)}; "
                       f"got {p['adjust']!r}")
        p.setdefault("se", "se")
    if kind == "share_of_schools":
        if p.get("op") not in _OPS:
            raise _err(file, where, "params.op", f"expected one of {list(_OPS)}; got {p.get('op')!r}")
        if not _is_num(p.get("threshold")):
            raise _err(file, where, "params.threshold", f"expected a number; got {p.get('threshold')!r}")
    if kind == "difference_vs_region":
        p.setdefault("region_source", "region")
        if p["region_source"] not in SOURCES:
            raise _err(file, where, "params.region_source",
                       f"expected one of {list(SOURCES)}; got {p['region_source']!r}")
        p.setdefault("region_column", p["column"])
    p.setdefault("multiplier", 100.0 if kind == "share" else 1.0)
    flt = p.get("filter", {}) or {}
    if not isinstance(flt, Mapping):
        raise _err(file, where, "params.filter", f"expected a mapping column: value(s); got {flt!r}")
    p["filter"] = {str(k): (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in flt.items()}
    sch = p.get("schools")
    if sch is not None:
        if not isinstance(sch, Mapping) or set(sch) - {"source", "column", "values"} or \
                "column" not in sch or "values" not in sch:
            raise _err(file, where, "params.schools",
                       f"expected {{source: passport, column: ..., values: [...]}}; got {sch!r}")
        sch = dict(sch)
        sch.setdefault("source", "passport")
        if sch["source"] not in SOURCES:
            raise _err(file, where, "params.schools.source", f"expected one of {list(SOURCES)}; "
                       f"got {sch['source']!r}")
        sch["values"] = list(sch["values"]) if isinstance(sch["values"], (list, tuple)) else [sch["values"]]
        p["schools"] = sch
    return p


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------

class _NoData(Exception):
    """Raised inside an indicator computation when its data are absent (-> 'no data' row)."""


def _match(series: pd.Series, values: list) -> pd.Series:
    """Rows of ``series`` equal to one of ``values`` (numbers compared as numbers, else text)."""
    num = pd.to_numeric(series, errors="coerce")
    nums = [float(v) for v in values if _is_num(v) or (isinstance(v, str) and _is_float(v))]
    texts = [str(v) for v in values]
    hit = num.isin(nums) if nums else pd.Series(False, index=series.index)
    return hit | series.astype(str).isin(texts)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _prepare(ind: dict, tables: Mapping[str, pd.DataFrame], defaults: dict, source: str | None = None,
             needed: Sequence[str] = (), missing_codes: Sequence[float] = (-9,)) -> tuple[pd.DataFrame, str, str, list]:
    """Source table filtered by ``filter`` and ``schools``; returns (data, school, year, notes)."""
    p = ind["params"]
    source = source or ind["source"]
    school = p.get("school", defaults["school"])
    year = p.get("year", defaults["year"])
    if source not in tables or tables[source] is None:
        raise _NoData(f"table {source!r} not provided")
    df = tables[source]
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"tables[{source!r}] must be a pandas DataFrame; got {type(df).__name__}")
    if source == "survey" and year not in df.columns and "wave" in df.columns and "year" not in p:
        year = "wave"
    cols = [year] + [c for c in p["filter"]] + list(needed)
    absent = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if absent:
        raise _NoData(f"column(s) {absent} not in table {source!r}")
    notes = []
    mask = pd.Series(True, index=df.index)
    for col, vals in p["filter"].items():
        mask &= _match(df[col], vals)
    df = df.loc[mask]
    if p.get("schools"):
        sch = p["schools"]
        if sch["source"] not in tables or tables[sch["source"]] is None:
            raise _NoData(f"table {sch['source']!r} (school selection) not provided")
        st = tables[sch["source"]]
        if school not in st.columns or sch["column"] not in st.columns:
            raise _NoData(f"column(s) {[c for c in (school, sch['column']) if c not in st.columns]} "
                          f"not in table {sch['source']!r} (school selection)")
        chosen = st.loc[_match(st[sch["column"]], sch["values"]), school].unique()
        if school not in df.columns:
            raise _NoData(f"column {school!r} not in table {source!r}")
        df = df[df[school].isin(chosen)]
        notes.append(f"{len(chosen)} schools with {sch['column']} in {sch['values']}")
    if missing_codes and len(needed):
        df = df.copy()
        for c in needed:
            if pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].where(~df[c].isin(list(missing_codes)))
    return df, school, year, notes


def _value_columns(p: dict) -> list[str]:
    if "column" in p:
        return [p["column"]] + ([p["weight"]] if "weight" in p else [])
    return [p["numerator"], p["denominator"]]


def _aggregate(df: pd.DataFrame, keys: list[str], p: dict) -> pd.DataFrame:
    """Value per ``keys`` group: weighted mean of ``column`` or ratio of sums x multiplier.

    Rows with a missing value (or weight) are excluded; columns ``value`` and ``n_rows``."""
    if "column" in p:
        cols = _value_columns(p)
        d = df.dropna(subset=cols)
        w = d[p["weight"]].astype(float) if "weight" in p else pd.Series(1.0, index=d.index)
        if (w < 0).any():
            raise DataError(f"weight column {p['weight']!r} has negative values")
        tmp = pd.DataFrame({"_wy": w * d[p["column"]].astype(float), "_w": w}, index=d.index)
        for k in keys:
            tmp[k] = d[k]
        g = tmp.groupby(keys, dropna=False) if keys else tmp.assign(_k=0).groupby("_k")
        out = g.agg(_wy=("_wy", "sum"), _w=("_w", "sum"), n_rows=("_w", "size")).reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = np.where(out["_w"] > 0, out["_wy"] / out["_w"], np.nan) * float(p.get("multiplier", 1.0))
    else:
        d = df.dropna(subset=[p["numerator"], p["denominator"]])
        tmp = pd.DataFrame({"_n": d[p["numerator"]].astype(float), "_d": d[p["denominator"]].astype(float)},
                           index=d.index)
        for k in keys:
            tmp[k] = d[k]
        g = tmp.groupby(keys, dropna=False) if keys else tmp.assign(_k=0).groupby("_k")
        out = g.agg(_n=("_n", "sum"), _d=("_d", "sum"), n_rows=("_n", "size")).reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = np.where(out["_d"] > 0, out["_n"] / out["_d"], np.nan) * float(p["multiplier"])
    return out


def _years_of(df: pd.DataFrame, year: str) -> list:
    ys = pd.to_numeric(df[year], errors="coerce").dropna().unique()
    return sorted(int(y) if float(y).is_integer() else y for y in ys)


def _compute_one(ind: dict, tables: Mapping[str, pd.DataFrame], defaults: dict,
                 years: list | None, missing_codes) -> list[dict]:
    """Rows (year, value, n, note) of one indicator."""
    kind, p = ind["kind"], ind["params"]
    needed = _value_columns(p) if kind != "share" else [p["numerator"], p["denominator"]]
    if kind == "share_of_schools_with_change" and p.get("test"):
        needed = needed + [p["se"]]
    df, school, year, notes = _prepare(ind, tables, defaults, needed=needed, missing_codes=missing_codes)
    df = df.assign(**{year: pd.to_numeric(df[year], errors="coerce")})
    n_missing = int(df[needed].isna().any(axis=1).sum()) if needed else 0
    if n_missing:
        notes.append(f"{n_missing} rows with missing values excluded")
    data_years = _years_of(df, year)
    rows = []
    if kind in ("share_of_schools_with_change", "share_of_schools"):
        if school not in df.columns:
            raise _NoData(f"column {school!r} not in table {ind['source']!r}")
        per_school = _aggregate(df, [school, year], p)
        per_school = per_school.dropna(subset=["value"])
        if kind == "share_of_schools":
            op = _OPS[p["op"]]
            for y in (years if years is not None else data_years):
                v = per_school[per_school[year] == y]
                if v.empty:
                    rows.append({"year": y, "value": np.nan, "n": 0,
                                 "note": f"no data for {y} in {ind['source']!r}"})
                    continue
                hit = op(v["value"].to_numpy(float), float(p["threshold"]))
                rows.append({"year": y, "value": 100 * hit.mean(), "n": int(len(v)), "note": ""})
            return _with_notes(rows, notes)
        wide = per_school.pivot(index=school, columns=year, values="value")
        se_wide = None
        if p.get("test"):
            if "column" not in p:
                raise _NoData("params.test needs 'column' (a design-based estimate) with its 'se'")
            se_wide = df.dropna(subset=[p["column"], p["se"]]).groupby([school, year])[p["se"]].agg(
                lambda s: np.sqrt((s ** 2).sum()) / len(s)).unstack(year)
        target_years = years if years is not None else data_years[1:]
        for y in target_years:
            y0 = _comparison_year(p["compare_with"], y, data_years)
            if y0 is None or y not in wide.columns or y0 not in wide.columns:
                why = (f"no year before {y} with data" if y0 is None
                       else f"no data for {y if y not in wide.columns else y0} in {ind['source']!r}")
                rows.append({"year": y, "value": np.nan, "n": 0, "note": why})
                continue
            both = wide[[y0, y]].dropna()
            change = both[y] - both[y0]
            tol = float(p["tolerance"])
            moved = change > tol if p["direction"] == "increase" else change < -tol
            note = f"vs {y0}; tolerance {tol:g}"
            if p.get("test") and se_wide is not None:
                from .dynamics import wave_change
                se_b = se_wide.reindex(both.index)
                est = pd.DataFrame({school: np.r_[both.index, both.index],
                                    "wave": np.r_[[y0] * len(both), [y] * len(both)],
                                    "est": np.r_[both[y0], both[y]],
                                    "se": np.r_[se_b[y0], se_b[y]]})
                wc = wave_change(est, by=school, base=y0, compare=y, test="z",
                                 adjust=p["adjust"], alpha=p["alpha"], min_change=tol,
                                 better="higher" if p["direction"] == "increase" else "lower",
                                 variable=None).set_index(school)
                moved = (wc.loc[both.index, "classification"] == "positive").to_numpy()
                adj = "unadjusted" if p["adjust"] == "none" else f"{p['adjust']}-adjusted"
                note += f"; significant change at alpha {p['alpha']:g} ({adj} z test)"
            n = int(len(both))
            rows.append({"year": y, "value": 100 * float(np.mean(moved)) if n else np.nan, "n": n,
                         "note": note if n else f"no school with data in both {y0} and {y}"})
        return _with_notes(rows, notes)

    if kind in ("share", "mean"):
        agg = _aggregate(df, [year], p)
        counts = df.dropna(subset=needed).groupby(year)[school].nunique() if school in df.columns else None
        for y in (years if years is not None else data_years):
            v = agg[agg[year] == y]
            if v.empty or not np.isfinite(v["value"].iloc[0]):
                rows.append({"year": y, "value": np.nan, "n": 0,
                             "note": f"no data for {y} in {ind['source']!r}"})
                continue
            n = int(counts.get(y, 0)) if counts is not None else int(v["n_rows"].iloc[0])
            rows.append({"year": y, "value": float(v["value"].iloc[0]), "n": n, "note": ""})
        return _with_notes(rows, notes)

    # difference_vs_region
    reg_src = p["region_source"]
    if reg_src not in tables or tables[reg_src] is None:
        raise _NoData(f"table {reg_src!r} (regional values) not provided")
    reg = tables[reg_src]
    rcol = p["region_column"]
    ryear = year if year in reg.columns else defaults["year"]
    absent = [c for c in (ryear, rcol) if c not in reg.columns]
    if absent:
        raise _NoData(f"column(s) {absent} not in table {reg_src!r}")
    rmask = pd.Series(True, index=reg.index)
    for col, vals in p["filter"].items():
        if col in reg.columns:
            rmask &= _match(reg[col], vals)
    reg = reg.loc[rmask].assign(**{ryear: pd.to_numeric(reg.loc[rmask, ryear], errors="coerce")})
    rp = {"column": rcol, "multiplier": 1.0}
    if "region_weight" in p:
        rp["weight"] = p["region_weight"]
    ragg = _aggregate(reg, [ryear], rp).set_index(ryear)["value"]
    magg = _aggregate(df, [year], {**p, "multiplier": 1.0}).set_index(year)
    counts = df.dropna(subset=needed).groupby(year)[school].nunique() if school in df.columns else None
    for y in (years if years is not None else data_years):
        if y not in magg.index or not np.isfinite(magg.loc[y, "value"]):
            rows.append({"year": y, "value": np.nan, "n": 0,
                         "note": f"no municipal data for {y} in {ind['source']!r}"})
            continue
        if y not in ragg.index or not np.isfinite(ragg.loc[y]):
            rows.append({"year": y, "value": np.nan, "n": 0,
                         "note": f"no regional value for {y} in {reg_src!r}"})
            continue
        mv, rv = float(magg.loc[y, "value"]), float(ragg.loc[y])
        n = int(counts.get(y, 0)) if counts is not None else int(magg.loc[y, "n_rows"])
        rows.append({"year": y, "value": mv - rv, "n": n,
                     "note": f"municipality {mv:.4g} - region {rv:.4g}"})
    return _with_notes(rows, notes)


def _with_notes(rows: list[dict], notes: list[str]) -> list[dict]:
    if notes:
        for r in rows:
            r["note"] = "; ".join([x for x in [r.get("note", "")] + notes if x])
    return rows


def _comparison_year(cw: Any, y: Any, data_years: list) -> Any:
    if cw == "previous":
        before = [d for d in data_years if d < y]
        return before[-1] if before else None
    if cw == "first":
        return data_years[0] if data_years and data_years[0] < y else None
    return cw if cw < y else None


def achievement_degree(value: Any, target: Any, better: str = "higher",
                       partly: float | None = 0.8, partly_within: float | None = None) -> np.ndarray:
    """Degree of achievement of a planned value: achieved / partly achieved / not achieved.

    Parameters
    ----------
    value, target : array-like
        Observed and planned values (NaN value -> "no data"; NaN target -> "no target").
    better : {"higher", "lower"}
        Which direction is an improvement.
    partly : float in (0, 1), optional
        "Partly achieved" when value >= partly x target (higher) or value <= target / partly
        (lower); used when ``partly_within`` is None.
    partly_within : float >= 0, optional
        Absolute alternative: value >= target - d (higher) or value <= target + d (lower).

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> achievement_degree([60, 45, 30, None], [50, 50, 50, 50]).tolist()
    ['achieved', 'partly achieved', 'not achieved', 'no data']

    R equivalent: ``ifelse(v >= t, "achieved", ifelse(v >= 0.8 * t, "partly achieved",
    "not achieved"))``.
    """
    check_option(better, "better", ("higher", "lower"))
    v = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(value), dtype=object), errors="coerce"), float)
    t = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(target), dtype=object), errors="coerce"), float)
    v, t = np.broadcast_arrays(v, t)
    if partly_within is None:
        if partly is None or not 0 < partly < 1:
            raise ParameterError(f"'partly' must be in (0, 1); got {partly!r}")
        if better == "higher":
            full, part = v >= t, v >= partly * t
        else:
            with np.errstate(divide="ignore"):
                full, part = v <= t, v <= t / partly
    else:
        if partly_within < 0:
            raise ParameterError(f"'partly_within' must be >= 0; got {partly_within!r}")
        if better == "higher":
            full, part = v >= t, v >= t - partly_within
        else:
            full, part = v <= t, v <= t + partly_within
    out = np.where(full, "achieved", np.where(part, "partly achieved", "not achieved")).astype(object)
    out[np.isnan(t)] = "no target"
    out[np.isnan(v)] = "no data"
    return out


def compute_indicators(catalogue: Catalogue | str | Path | Mapping | None,
                       tables: Mapping[str, pd.DataFrame], years: Sequence[int] | None = None,
                       *, missing_codes: Sequence[float] = (-9,)) -> pd.DataFrame:
    """Evaluate every indicator of a catalogue, with its target and achievement degree.

    Parameters
    ----------
    catalogue : Catalogue, path or mapping
        The indicator catalogue (``None``: the bundled ``surveys/indicators.yaml``).
    tables : dict of str -> DataFrame
        The study's tables by source name: ``results`` (school x year x procedure x subject x
        grade), ``passport`` (school x year), ``survey`` (design-based estimates: school_id,
        group, wave, variable, est, se), ``programme_data`` (school x year counts of the
        programme's monitoring), ``diagnostics`` (regional diagnostic work), ``region``
        (regional values by year, procedure, subject).
    years : list of int, optional
        Years to report (default: every year with data, plus every target year).
    missing_codes : sequence of numbers
        Codes treated as missing in the value columns (default ``-9`` = «нет данных»).

    Returns
    -------
    DataFrame
        ``indicator, year, value, target, achievement, n, note`` then ``degree`` (value as % of
        the target, for ``better: lower`` target / value x 100; NaN under a ``partly_within``
        rule, whose targets may be zero or negative), ``name_ru, name_en, unit,
        better, kind, source``. An indicator whose table or column is absent gives one row per
        requested / target year with achievement "no data" and the reason in ``note``; no
        indicator is ever dropped.

    Examples
    --------
    >>> res = compute_indicators("surveys/indicators.yaml",
    ...                          {"results": results, "passport": passport})  # doctest: +SKIP

    R equivalent: none (a declarative monitoring table); each value is a ``dplyr``
    summary, e.g. ``mean(diff(score) > tol)`` per school for the change kinds.
    """
    cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    if not isinstance(tables, Mapping):
        raise ParameterError(f"'tables' must be a dict of DataFrames; got {type(tables).__name__}")
    unknown = set(tables) - set(SOURCES)
    if unknown:
        raise ParameterError(f"'tables' has unknown source name(s) {sorted(unknown)}; "
                             f"expected some of {list(SOURCES)}")
    if years is not None:
        years = sorted(int(y) for y in as_list(years) if y is not None) if not isinstance(years, (int, np.integer)) \
            else [int(years)]
    rows = []
    for ind in cat.indicators:
        try:
            got = _compute_one(ind, tables, cat.defaults, years, missing_codes)
        except _NoData as exc:
            ys = years if years is not None else (sorted(ind["targets"]) or [np.nan])
            got = [{"year": y, "value": np.nan, "n": 0, "note": str(exc)} for y in ys]
        if years is None:  # add target years without data
            have = {r["year"] for r in got}
            got += [{"year": y, "value": np.nan, "n": 0, "note": "no data for this target year"}
                    for y in sorted(ind["targets"]) if y not in have]
        for r in got:
            r["indicator"] = ind["id"]
            r["target"] = ind["targets"].get(r["year"], np.nan)
        ach = ind["achievement"]
        vals = np.array([r["value"] for r in got], float)
        tars = np.array([r["target"] for r in got], float)
        deg = achievement_degree(vals, tars, ind["better"], partly=ach.get("partly"),
                                 partly_within=ach.get("partly_within"))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = 100 * (vals / tars if ind["better"] == "higher" else tars / vals)
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)
        if "partly_within" in ach:   # signed targets (e.g. a gap to the region): no % of target
            ratio = np.full(len(got), np.nan)
        for r, a, dg in zip(got, deg, ratio):
            r.update(achievement=a, degree=dg, name_ru=ind["name"]["ru"], name_en=ind["name"]["en"],
                     unit=ind["unit"], better=ind["better"], kind=ind["kind"], source=ind["source"])
        rows += sorted(got, key=lambda r: (np.inf if r["year"] != r["year"] else r["year"]))
    out = pd.DataFrame(rows)
    out["year"] = pd.array(pd.to_numeric(out["year"], errors="coerce"), dtype="Int64")
    out["n"] = out["n"].astype(int)
    cols = ["indicator", "year", "value", "target", "achievement", "n", "note", "degree",
            "name_ru", "name_en", "unit", "better", "kind", "source"]
    return out[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# monitoring tables and figures
# --------------------------------------------------------------------------------------------

def achievement_table(indicators: pd.DataFrame, *, lang: str = "ru",
                      years: Sequence[int] | None = None) -> pd.DataFrame:
    """Report table of planned vs achieved values («степень достижения запланированных
    результатов»), labelled in Russian or English.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`compute_indicators`.
    lang : {"ru", "en"}
    years : list of int, optional
        Years to keep (default: all).

    Returns
    -------
    DataFrame
        One row per indicator x year: name, unit, year, value, target, % of target,
        achievement (translated), n, note.

    Examples
    --------
    >>> achievement_table(res, lang="en")  # doctest: +SKIP
    """
    check_option(lang, "lang", ("ru", "en"))
    check_columns_ = ["indicator", "year", "value", "target", "achievement", "n", "note", "degree"]
    missing = [c for c in check_columns_ if c not in indicators.columns]
    if missing:
        raise DataError(f"indicators: column(s) {missing} not found; expected the output of "
                        f"compute_indicators")
    d = indicators.copy()
    if years is not None:
        d = d[d["year"].isin(list(years))]
    i = 0 if lang == "ru" else 1
    name_col = "name_ru" if lang == "ru" else "name_en"
    head = {
        "indicator": ("Код", "Code"), "name": ("Показатель", "Indicator"), "unit": ("Ед. изм.", "Unit"),
        "year": ("Год", "Year"), "value": ("Значение", "Value"), "target": ("Целевое значение", "Target"),
        "degree": ("% от цели", "% of target"), "achievement": ("Степень достижения", "Achievement"),
        "n": ("n", "n"), "note": ("Примечание", "Note"),
    }
    out = pd.DataFrame({
        head["indicator"][i]: d["indicator"],
        head["name"][i]: d[name_col] if name_col in d.columns else d["indicator"],
        head["unit"][i]: d["unit"] if "unit" in d.columns else "",
        head["year"][i]: d["year"],
        head["value"][i]: d["value"].round(2),
        head["target"][i]: d["target"],
        head["degree"][i]: d["degree"].round(1),
        head["achievement"][i]: d["achievement"].map(lambda a: LABELS.get(a, (a, a))[i]),
        head["n"][i]: d["n"],
        head["note"][i]: d["note"],
    })
    return out.reset_index(drop=True)


def achievement_summary(indicators: pd.DataFrame) -> pd.DataFrame:
    """Number of indicators per year and achievement degree (achieved / partly / not / ...).

    Examples
    --------
    R equivalent: ``table(res$year, res$achievement)``.
    """
    for c in ("year", "achievement"):
        if c not in indicators.columns:
            raise DataError(f"indicators: column {c!r} not found; expected the output of compute_indicators")
    tab = pd.crosstab(indicators["year"], indicators["achievement"])
    tab = tab.reindex(columns=[a for a in ACHIEVEMENT if a in tab.columns])
    return tab.reset_index().rename_axis(columns=None)


def region_comparison_table(results: pd.DataFrame, region: pd.DataFrame, *,
                            by: str | Sequence[str] = ("procedure", "subject"),
                            columns: Sequence[str] = ("below_min_pct", "high_pct", "mean_score"),
                            weight: str | None = "n_participants", year: str = "year",
                            region_weight: str | None = None,
                            missing_codes: Sequence[float] = (-9,)) -> pd.DataFrame:
    """Municipality vs region: the municipal value (schools' values weighted by the number of
    participants) and the regional one, per year x ``by``, and their difference.

    Parameters
    ----------
    results : DataFrame
        School results (school x year x procedure x subject x grade).
    region : DataFrame
        Regional values with ``year``, the ``by`` columns present in it and ``columns``.
    by : list of str
        Comparison cells (e.g. procedure and subject).
    columns : list of str
        Measures compared (share below the minimum threshold, share of high results, mean).
    weight : str, optional
        Participant counts used to weight schools (None: unweighted mean of schools).

    Returns
    -------
    DataFrame
        ``year, by..., measure, municipality, region, difference, n`` (schools).

    Examples
    --------
    R equivalent: ``aggregate(cbind(sh*n, n) ~ year + procedure + subject, results, sum)``
    then the ratio, merged with the regional table.
    """
    by = as_list(by)
    miss = [c for c in [year] + by + list(columns) if c not in results.columns]
    if miss:
        raise DataError(f"results: column(s) {miss} not found")
    rby = [c for c in by if c in region.columns]
    if year not in region.columns:
        raise DataError(f"region: column {year!r} not found")
    rows = []
    for col in columns:
        p = {"column": col, "multiplier": 1.0}
        if weight:
            if weight not in results.columns:
                raise DataError(f"results: weight column {weight!r} not found")
            p["weight"] = weight
        res = results.copy()
        for c in [col] + ([weight] if weight else []):
            res[c] = res[c].where(~res[c].isin(list(missing_codes)))
        m = _aggregate(res, [year] + by, p).rename(columns={"value": "municipality"})
        n = res.dropna(subset=[col]).groupby([year] + by, dropna=False)
        m["n"] = m.merge(n.size().rename("_n").reset_index(), on=[year] + by, how="left")["_n"].to_numpy()
        if col in region.columns:
            rp = {"column": col, "multiplier": 1.0}
            if region_weight:
                rp["weight"] = region_weight
            r = _aggregate(region, [year] + rby, rp).rename(columns={"value": "region"})
            m = m.merge(r[[year] + rby + ["region"]], on=[year] + rby, how="left")
        else:
            m["region"] = np.nan
        m["difference"] = m["municipality"] - m["region"]
        m["measure"] = col
        rows.append(m[[year] + by + ["measure", "municipality", "region", "difference", "n"]])
    return pd.concat(rows, ignore_index=True).sort_values([year] + by + ["measure"]).reset_index(drop=True)


_COLOURS = {"achieved": "#2a9d8f", "partly achieved": "#e9c46a", "not achieved": "#e76f51",
            "no target": "#8d99ae", "no data": "#d9d9d9"}


def plot_achievement(indicators: pd.DataFrame, *, year: int | None = None, lang: str = "ru",
                     partly: float = 0.8, max_label: int = 60):
    """Horizontal bars of the value as % of the target, coloured by achievement degree.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`compute_indicators`.
    year : int, optional
        Year shown (default: the latest year with a target).
    lang : {"ru", "en"}
    partly : float
        Position of the dashed "partly achieved" line (share of the target).

    Returns
    -------
    matplotlib.figure.Figure
        Not saved; the caller calls ``fig.savefig``.

    Examples
    --------
    R equivalent: ``ggplot(res, aes(degree, name, fill = achievement)) + geom_col()``.
    """
    check_option(lang, "lang", ("ru", "en"))
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    d = indicators
    if year is None:
        with_t = d[d["target"].notna()]
        year = int(with_t["year"].max()) if not with_t.empty else int(d["year"].max())
    d = d[d["year"] == year].copy()
    i = 0 if lang == "ru" else 1
    names = d["name_ru" if lang == "ru" else "name_en"].astype(str)
    names = names.where(names.str.len() <= max_label, names.str.slice(0, max_label - 1) + "…")
    deg = d["degree"].fillna(0).clip(upper=200)
    fig = Figure(figsize=(11, 0.35 * len(d) + 1.5), constrained_layout=True)
    ax = fig.subplots()
    pos = np.arange(len(d))[::-1]
    ax.barh(pos, deg, color=[_COLOURS.get(a, "#999999") for a in d["achievement"]])
    ax.set_yticks(pos)
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(100, color="black", linewidth=1)
    ax.axvline(100 * partly, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel(("% от целевого значения", "% of target")[i])
    ax.set_title((f"Достижение целевых показателей, {year}", f"Achievement of targets, {year}")[i])
    # a text at the end of each bar: the label of rows without a bar, the value of signed rows
    for y, (_, r), dg in zip(pos, d.iterrows(), deg):
        if r["achievement"] == "no data":
            txt = LABELS["no data"][i]
        elif not np.isfinite(r["degree"]) and np.isfinite(r["value"]):
            txt = f"{r['value']:+.1f} {r['unit']} ({LABELS.get(r['achievement'], (r['achievement'],) * 2)[i]})"
        else:
            txt = ""
        if txt:
            ax.text(max(float(dg), 0) + 2, y, txt, va="center", fontsize=7, color="#444444")
    ax.set_xlim(0, max(130, float(deg.max()) + 10))
    present = [a for a in ACHIEVEMENT if a in set(d["achievement"])]
    ax.legend(handles=[Patch(color=_COLOURS[a], label=LABELS[a][i]) for a in present],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_indicator_trends(indicators: pd.DataFrame, *, ids: Sequence[str] | None = None,
                          lang: str = "ru", max_panels: int = 12):
    """Indicator values over the years (lines) with their targets (crosses), one panel each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    R equivalent: ``ggplot(res, aes(year, value)) + geom_line() + geom_point(aes(y = target),
    shape = 4) + facet_wrap(~indicator)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    from matplotlib.figure import Figure
    d = indicators if ids is None else indicators[indicators["indicator"].isin(list(ids))]
    panels = list(dict.fromkeys(d["indicator"]))[:max_panels]
    ncol = min(3, max(1, len(panels)))
    nrow = max(1, int(np.ceil(len(panels) / ncol)))
    fig = Figure(figsize=(4.2 * ncol, 3.0 * nrow), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    i = 0 if lang == "ru" else 1
    for ax, pid in zip(axes, panels):
        s = d[d["indicator"] == pid].sort_values("year")
        s = s[s["year"].notna()]
        ax.plot(s["year"].astype(float), s["value"].astype(float), marker="o", color="#264653",
                label=("Значение", "Value")[i])
        ax.plot(s["year"].astype(float), s["target"].astype(float), linestyle="none", marker="x",
                color="#e76f51", label=("Цель", "Target")[i])
        title = str(s["name_ru" if lang == "ru" else "name_en"].iloc[0]) if len(s) else pid
        ax.set_title(title if len(title) <= 55 else title[:54] + "…", fontsize=8)
        if len(s):
            ax.set_xticks(sorted(s["year"].astype(int).unique()))
            ax.set_ylabel(str(s["unit"].iloc[0]))
        ax.grid(alpha=0.3)
    if panels:
        axes[0].legend(fontsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


# --------------------------------------------------------------------------------------------
# CLI: shnro indicators
# --------------------------------------------------------------------------------------------

def add_indicators_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro indicators``."""
    parser.add_argument("--catalogue", default=str(DEFAULT_CATALOGUE),
                        help="indicator catalogue (default: surveys/indicators.yaml)")
    parser.add_argument("--results", help="school results (ВПР/ОГЭ/ЕГЭ) table")
    parser.add_argument("--passport", help="school social passports table")
    parser.add_argument("--survey", help="design-based survey estimates (school_id, group, wave, variable, est, se)")
    parser.add_argument("--programme-data", dest="programme_data", help="programme monitoring data (school x year)")
    parser.add_argument("--diagnostics", help="regional diagnostic work results (reading / science literacy)")
    parser.add_argument("--region", help="regional values (year, procedure, subject, shares)")
    parser.add_argument("--years", nargs="*", type=int, default=None, help="years to report")
    parser.add_argument("--lang", default="ru", choices=["ru", "en"])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-figure", action="store_true", help="do not draw figures")


def cli_indicators(args: argparse.Namespace) -> int:
    """``shnro indicators``: indicators.csv, achievement_table.csv/.xlsx, figures."""
    from .dynamics import _read_table
    cat = load_catalogue(args.catalogue)
    tables = {}
    for src in SOURCES:
        path = getattr(args, src, None)
        if path:
            tables[src] = _read_table(path, f"--{src.replace('_', '-')}")
    res = compute_indicators(cat, tables, years=args.years)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "indicators.csv", index=False)
    achievement_table(res, lang=args.lang).to_csv(out / "achievement_table.csv", index=False)
    achievement_summary(res).to_csv(out / "achievement_summary.csv", index=False)
    written = ["indicators.csv", "achievement_table.csv", "achievement_summary.csv"]
    if "results" in tables and "region" in tables:
        try:
            region_comparison_table(tables["results"], tables["region"]).to_csv(
                out / "region_comparison.csv", index=False)
            written.append("region_comparison.csv")
        except DataError as exc:
            print(f"shnro indicators: region comparison skipped: {exc}")
    if not args.no_figure:
        import matplotlib
        matplotlib.use("Agg")
        plot_achievement(res, lang=args.lang).savefig(out / "achievement.png", dpi=120)
        plot_indicator_trends(res, lang=args.lang).savefig(out / "indicator_trends.png", dpi=120)
        written += ["achievement.png", "indicator_trends.png"]
    counts = res["achievement"].value_counts().to_dict()
    print(f"shnro indicators: {res['indicator'].nunique()} indicators, {len(res)} rows ({counts}); "
          f"wrote {', '.join(written)} to {out}")
    return 0
