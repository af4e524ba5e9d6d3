"""The indicator catalogue: vocabulary, loading and checking of ``surveys/indicators.yaml``."""
from __future__ import annotations

import re

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._stats import P_ADJUST_METHODS
from ..errors import InstrumentError, ParameterError
from ..report.labels import VALUE_LABELS

__all__ = ["KINDS", "SOURCES", "ACHIEVEMENT", "LABELS", "CatalogueError", "Catalogue",
           "DEFAULT_CATALOGUE", "load_catalogue"]

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

#: Reader's labels (ru, en) of the achievement degrees, from the report glossary.
LABELS = {a: VALUE_LABELS[a] for a in ACHIEVEMENT}


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
DEFAULT_CATALOGUE = Path(__file__).resolve().parents[2] / "surveys" / "indicators.yaml"


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
