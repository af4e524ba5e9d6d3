"""Programme catalogues: vocabulary, loading and checking (``surveys/programmes/*.yaml``).

One catalogue per programme text. A catalogue file has a ``programme:`` header (id, title,
municipality, document, text_file, period, partial_rule, note), ``indicators:`` (the text's
numbered target indicators, each with its number, wording, unit, base, baseline and targets AS
STATED, and how it is computed from data), ``results:`` (qualitative planned results) and
``actions:`` (the action plan). An index file (``include: [files]``, the bundled
``surveys/indicators.yaml``) joins several catalogues. See docs/INDICATORS.md.
"""
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
           "DEFAULT_CATALOGUE", "PROGRAMMES_DIR", "load_catalogue"]

#: Computation kinds; ``qualitative`` (a status recorded in the table ``programme_results``) and
#: ``not_computable`` (the reason in ``note``) are not computed from data.
KINDS = ("share_of_schools_with_change", "share_of_schools", "share", "mean", "difference_vs_region",
         "qualitative", "not_computable")
_DATA_KINDS = KINDS[:5]
#: Table names a catalogue may refer to (``register``: school statuses per school x year).
SOURCES = ("results", "passport", "survey", "programme_data", "diagnostics", "region", "register")
#: Degrees of achievement; "no target" = the programme text states no target (never graded).
ACHIEVEMENT = ("achieved", "partly achieved", "not achieved", "no target", "no data")

_COMMON_PARAMS = {"filter", "schools", "school", "year"}
_VALUE_PARAMS = {"column", "weight", "numerator", "denominator", "multiplier"}
_PARAMS = {
    "share_of_schools_with_change": _COMMON_PARAMS | _VALUE_PARAMS | {
        "direction", "tolerance", "compare_with", "test", "alpha", "adjust", "se"},
    "share_of_schools": _COMMON_PARAMS | _VALUE_PARAMS | {"op", "threshold", "where"},
    "share": _COMMON_PARAMS | {"numerator", "denominator", "multiplier"},
    "mean": _COMMON_PARAMS | _VALUE_PARAMS,
    "difference_vs_region": _COMMON_PARAMS | {"column", "weight", "region_source", "region_column",
                                              "region_weight"},
}
_INDICATOR_FIELDS = {"id", "number", "part", "section", "wording", "name", "unit", "base",
                     "baseline", "targets", "target_text", "better", "kind", "source", "params",
                     "partial", "note", "numbered_in_text", "reported", "programmes"}
_REQUIRED_FIELDS = ("id", "number", "wording", "name", "unit", "base", "kind")
_DATA_FIELDS = ("source", "params", "better")
_ITEM_FIELDS = {"number", "section", "text", "indicators", "reported", "note", "numbered_in_text",
                "deadline", "responsible", "planned_result"}
_HEADER_FIELDS = {"id", "title", "municipality", "document", "text_file", "period", "partial_rule",
                  "note", "version"}
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
#: shown for a target the programme text does not state
NOT_SET = {"ru": "не установлено", "en": "not set"}

#: Reader's labels (ru, en) of the achievement degrees, from the report glossary.
LABELS = {a: VALUE_LABELS[a] for a in ACHIEVEMENT}


class CatalogueError(InstrumentError):
    """A programme catalogue is malformed; the message names file, indicator and field."""


@dataclass(frozen=True)
class Catalogue:
    """Checked programme catalogue(s): indicators, qualitative results and action-plan items,
    each with its ``programme`` id (see docs/INDICATORS.md for the YAML layout)."""

    id: str
    version: Any
    title: dict
    defaults: dict
    indicators: tuple[dict, ...]
    file: str = "<dict>"
    ids: tuple[str, ...] = field(default=())
    programmes: tuple[dict, ...] = field(default=())
    results: tuple[dict, ...] = field(default=())
    actions: tuple[dict, ...] = field(default=())

    def get(self, indicator_id: str) -> dict:
        """The checked definition of one indicator."""
        for ind in self.indicators:
            if ind["id"] == indicator_id:
                return ind
        raise ParameterError(f"'indicator_id' must be one of {list(self.ids)}; got {indicator_id!r}")

    def programme(self, programme_id: str) -> dict:
        """The header of one programme."""
        for p in self.programmes:
            if p["id"] == programme_id:
                return p
        raise ParameterError(f"'programme_id' must be one of {[p['id'] for p in self.programmes]}; "
                             f"got {programme_id!r}")

    def table(self) -> pd.DataFrame:
        """One row per indicator: programme, number, wording, base, baseline, targets (as stated,
        «не установлено» when the text states none), kind, source, note."""
        rows = []
        for i in self.indicators:
            b = i.get("baseline") or {}
            rows.append({
                "programme": i["programme"], "number": i["number"], "part": i.get("part", ""),
                "indicator": i["id"], "name_ru": i["name"]["ru"], "name_en": i["name"]["en"],
                "wording": i["wording"], "unit": i["unit"],
                "base_numerator": i["base"].get("numerator", ""),
                "base_denominator": i["base"].get("denominator", ""),
                "base_text": i["base"].get("text", ""),
                "baseline": b.get("value", np.nan), "baseline_year": b.get("year", np.nan),
                "targets": ("; ".join(f"{y}: {v:g}" for y, v in sorted(i["targets"].items()))
                            or NOT_SET["ru"]),
                "target_text": i.get("target_text") or NOT_SET["ru"],
                "kind": i["kind"], "source": i.get("source", ""), "better": i.get("better", ""),
                "note": i.get("note", ""),
            })
        return pd.DataFrame(rows)


#: Bundled index of the programme catalogues (``surveys/indicators.yaml``).
DEFAULT_CATALOGUE = Path(__file__).resolve().parents[2] / "surveys" / "indicators.yaml"
#: Folder of the bundled programme catalogues, one per programme text.
PROGRAMMES_DIR = DEFAULT_CATALOGUE.parent / "programmes"


# --------------------------------------------------------------------------------------------
# load and check
# --------------------------------------------------------------------------------------------

def load_catalogue(path: str | Path | Mapping | None = None) -> Catalogue:
    """Load and check a programme catalogue, or an index of catalogues (``include:``).

    Parameters
    ----------
    path : str, Path or mapping, optional
        YAML file (default: the bundled index ``surveys/indicators.yaml``, i.e. the five
        programme catalogues and the four-group shares), the id of a bundled programme
        (``"minusinsk"``: ``surveys/programmes/minusinsk.yaml``) or an already parsed mapping.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Naming the file, the indicator (id and position) and the field at fault.

    Examples
    --------
    >>> cat = load_catalogue("minusinsk")                   # doctest: +SKIP
    >>> cat.table()[["number", "base_text", "targets"]]     # doctest: +SKIP
    """
    if path is None:
        path = DEFAULT_CATALOGUE
    if isinstance(path, Mapping):
        return _check_any(dict(path), "<dict>", None)
    p = _bundled(Path(path))
    if not p.exists():
        raise FileNotFoundError(f"indicator catalogue not found: {p}")
    return _check_any(_read_yaml(p), str(p), p.parent)


def catalogue_files(path: str | Path | None = None) -> list[Path]:
    """The YAML files behind a catalogue path: the file itself and, for an index, every file it
    includes (for a cache key that follows the included files)."""
    p = _bundled(Path(path) if path is not None else DEFAULT_CATALOGUE)
    raw = _read_yaml(p)
    files = [p]
    if isinstance(raw, Mapping) and "include" in raw:
        files += [(p.parent / f).resolve() for f in raw["include"]]
    return files


def _bundled(p: Path) -> Path:
    """A path that does not exist and is a bare programme id (``minusinsk``) -> the bundled
    catalogue of that programme."""
    if not p.exists() and p.suffix == "" and re.fullmatch(r"[a-z][a-z0-9_]*", p.name) \
            and (PROGRAMMES_DIR / f"{p.name}.yaml").exists():
        return PROGRAMMES_DIR / f"{p.name}.yaml"
    return p


def _read_yaml(p: Path) -> Any:
    try:
        # the C parser when PyYAML has it (the same safe constructor: the same objects)
        return yaml.load(p.read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{p}: not valid YAML: {exc}") from None


def _check_any(raw: Any, file: str, folder: Path | None) -> Catalogue:
    if isinstance(raw, Mapping) and "include" in raw:
        if set(raw) - {"include"}:
            raise CatalogueError(f"{file}: an index has only the key 'include'; got {sorted(raw)}")
        inc = raw["include"]
        if not isinstance(inc, list) or not inc or not all(isinstance(x, str) for x in inc):
            raise CatalogueError(f"{file}: 'include' must be a non-empty list of file names; got {inc!r}")
        base = folder if folder is not None else Path.cwd()
        parts = [load_catalogue(base / f) for f in inc]
        return _merge(parts, file)
    return _check_catalogue(raw, file)


def _merge(parts: list[Catalogue], file: str) -> Catalogue:
    ids: set = set()
    for c in parts:
        dup = ids & set(c.ids)
        if dup:
            raise CatalogueError(f"{file}: indicator id(s) {sorted(dup)} appear in more than one "
                                 f"included catalogue ({c.file})")
        ids |= set(c.ids)
    progs = [p for c in parts for p in c.programmes]
    seen = [p["id"] for p in progs]
    if len(set(seen)) != len(seen):
        raise CatalogueError(f"{file}: programme ids repeat across included catalogues: {seen}")
    return Catalogue(id="+".join(seen), version=None,
                     title={"ru": "Каталоги программ", "en": "Programme catalogues"},
                     defaults=dict(parts[0].defaults),
                     indicators=tuple(i for c in parts for i in c.indicators), file=file,
                     ids=tuple(i for c in parts for i in c.ids), programmes=tuple(progs),
                     results=tuple(r for c in parts for r in c.results),
                     actions=tuple(a for c in parts for a in c.actions))


def _err(file: str, where: str, fld: str, msg: str) -> CatalogueError:
    return CatalogueError(f"{file}: {where}: field {fld!r}: {msg}")


def _check_header(raw: Mapping, file: str) -> dict:
    head = raw.get("programme")
    if head is None:
        raise CatalogueError(f"{file}: the catalogue needs a 'programme' header (id, title, ...)")
    if not isinstance(head, Mapping):
        raise _err(file, "programme", "programme", f"expected a mapping; got {head!r}")
    bad = set(head) - _HEADER_FIELDS
    if bad:
        raise _err(file, "programme", sorted(bad)[0], f"unknown field; expected {sorted(_HEADER_FIELDS)}")
    pid = head.get("id")
    if not isinstance(pid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", pid):
        raise _err(file, "programme", "id", f"expected lower-case letters, digits, '_'; got {pid!r}")
    per = head.get("period")
    if per is not None and not (isinstance(per, list) and len(per) == 2
                                and all(isinstance(y, int) for y in per) and per[0] <= per[1]):
        raise _err(file, "programme", "period", f"expected [first year, last year]; got {per!r}")
    out = dict(head)
    out.setdefault("partial_rule", None)
    out["title"] = dict(head.get("title") or {"ru": pid, "en": pid})
    return out


def _check_catalogue(raw: Any, file: str) -> Catalogue:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{file}: the catalogue must be a mapping with keys 'programme', "
                             f"'indicators'; got {type(raw).__name__}")
    unknown = set(raw) - {"programme", "defaults", "indicators", "results", "actions"}
    if unknown:
        raise CatalogueError(f"{file}: unknown top-level key(s) {sorted(unknown)}; expected "
                             f"'programme', 'defaults', 'indicators', 'results', 'actions'")
    head = _check_header(raw, file)
    defaults = dict(raw.get("defaults") or {})
    bad = set(defaults) - {"school", "year", "missing_codes"}
    if bad:
        raise _err(file, "defaults", sorted(bad)[0], "unknown key; expected school, year, "
                   "missing_codes (the achievement rule is not a default: see docs/INDICATORS.md)")
    defaults.setdefault("school", "school_id")
    defaults.setdefault("year", "year")
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
        c = _check_indicator(dict(ind), file, where, head)
        if c["id"] in seen:
            raise _err(file, where, "id", f"duplicate id {c['id']!r}")
        seen.add(c["id"])
        checked.append(c)
    results = _check_items(raw.get("results"), file, "results", head["id"])
    actions = _check_items(raw.get("actions"), file, "actions", head["id"])
    clash = {r["number"] for r in results} & {i["number"] for i in checked
                                              if i["kind"] == "qualitative"}
    if clash:
        raise _err(file, "results", "number", f"number(s) {sorted(clash)} are also numbers of "
                   "qualitative indicators: a status row (programme, item) must name one item")
    return Catalogue(id=head["id"], version=head.get("version"), title=head["title"],
                     defaults=defaults, indicators=tuple(checked), file=file,
                     ids=tuple(i["id"] for i in checked), programmes=(head,),
                     results=results, actions=actions)


def _check_items(items: Any, file: str, key: str, programme: str) -> tuple[dict, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise _err(file, key, key, f"expected a list; got {type(items).__name__}")
    out, seen = [], set()
    for pos, it in enumerate(items, start=1):
        where = f"{key} #{pos}"
        if not isinstance(it, Mapping):
            raise CatalogueError(f"{file}: {where}: expected a mapping; got {it!r}")
        bad = set(it) - _ITEM_FIELDS
        if bad:
            raise _err(file, where, sorted(bad)[0], f"unknown field; expected {sorted(_ITEM_FIELDS)}")
        for f in ("number", "text"):
            if not isinstance(it.get(f), str) or not it[f].strip():
                raise _err(file, where, f, "required text is missing")
        if it["number"] in seen:
            raise _err(file, where, "number", f"duplicate number {it['number']!r}")
        seen.add(it["number"])
        rep = it.get("reported")
        if rep is not None and not (isinstance(rep, Mapping) and isinstance(rep.get("status"), str)):
            raise _err(file, where, "reported", f"expected {{year, status, reason}}; got {rep!r}")
        out.append({"programme": programme, "section": "", **dict(it)})
    return tuple(out)


def _is_num(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float))


def _check_indicator(ind: dict, file: str, where: str, head: dict) -> dict:
    if "achievement" in ind:
        raise _err(file, where, "achievement", "removed: a share-of-target rule such as 80 % is "
                   "not stated by the programmes; use 'partial' with the text that defines it")
    unknown = set(ind) - _INDICATOR_FIELDS
    if unknown:
        raise _err(file, where, sorted(unknown)[0], f"unknown field; expected {sorted(_INDICATOR_FIELDS)}")
    for f in _REQUIRED_FIELDS:
        if f not in ind or ind[f] is None:
            raise _err(file, where, f, "required field is missing")
    if not isinstance(ind["id"], str) or not re.fullmatch(r"[a-z][a-z0-9_]*", ind["id"]):
        raise _err(file, where, "id", f"expected lower-case letters, digits, '_'; got {ind['id']!r}")
    for f in ("number", "wording", "unit"):
        if not isinstance(ind[f], str) or not ind[f].strip():
            raise _err(file, where, f, f"expected a non-empty text; got {ind[f]!r}")
    name = ind["name"]
    if not isinstance(name, Mapping) or not all(isinstance(name.get(k), str) and name.get(k)
                                                for k in ("ru", "en")):
        raise _err(file, where, "name", f"expected {{ru: ..., en: ...}} with both texts; got {name!r}")
    base = ind["base"]
    if not isinstance(base, Mapping) or not all(isinstance(base.get(k), str)
                                                for k in ("numerator", "denominator", "text")):
        raise _err(file, where, "base", "expected {numerator: text, denominator: text, text: the "
                   f"programme's own words}}; got {base!r}")
    if ind["kind"] not in KINDS:
        raise _err(file, where, "kind", f"expected one of {list(KINDS)}; got {ind['kind']!r}")
    computed = ind["kind"] in _DATA_KINDS
    if computed:
        for f in _DATA_FIELDS:
            if f not in ind or ind[f] is None:
                raise _err(file, where, f, f"required for kind {ind['kind']!r}")
        if ind["source"] not in SOURCES:
            raise _err(file, where, "source", f"expected one of {list(SOURCES)}; got {ind['source']!r}")
    else:
        if not isinstance(ind.get("note"), str) or not ind["note"].strip():
            raise _err(file, where, "note", f"kind {ind['kind']!r} needs a note saying why it is "
                       "not computed from data")
        extra = [f for f in ("source", "params") if f in ind]
        if extra:
            raise _err(file, where, extra[0], f"not used by kind {ind['kind']!r}")
    if "better" in ind and ind["better"] not in ("higher", "lower"):
        raise _err(file, where, "better", f"expected 'higher' or 'lower'; got {ind['better']!r}")
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
    if tg and not (isinstance(ind.get("target_text"), str) and ind["target_text"].strip()):
        raise _err(file, where, "target_text", "a stated target needs the text that states it")
    bl = ind.get("baseline")
    if bl is not None:
        if not isinstance(bl, Mapping) or not isinstance(bl.get("text"), str) or \
                not isinstance(bl.get("year"), int) or not (bl.get("value") is None or _is_num(bl["value"])):
            raise _err(file, where, "baseline", f"expected {{year: int, value: number, text: the "
                       f"text's words}}; got {bl!r}")
    partial = ind.get("partial")
    if partial is not None:
        if not (isinstance(partial, Mapping) and _is_num(partial.get("degree"))
                and 0 < partial["degree"] < 1 and isinstance(partial.get("text"), str)):
            raise _err(file, where, "partial", "expected {degree: share of the way from baseline to "
                       f"target in (0, 1), text: the programme's definition}}; got {partial!r}")
    out = dict(ind)
    out.update(name={"ru": name["ru"], "en": name["en"]}, targets=tg, programme=head["id"],
               base=dict(base))
    if computed:
        if not isinstance(ind["params"], Mapping):
            raise _err(file, where, "params", f"expected a mapping; got {ind['params']!r}")
        out["params"] = _check_params(dict(ind["params"]), ind["kind"], file, where)
    out.setdefault("note", "")
    out.setdefault("part", "")
    out.setdefault("section", "")
    out.setdefault("numbered_in_text", True)
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
    if kind == "share_of_schools" and "where" in p:
        w = p["where"]
        if not isinstance(w, Mapping) or not w or has_col or has_ratio or "op" in p:
            raise _err(file, where, "params.where", "expected {column: value(s)} alone (no column, "
                       f"ratio or op): the share of schools whose rows match; got {w!r}")
        p["where"] = {str(k): (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in w.items()}
    elif kind in ("share_of_schools_with_change", "share_of_schools", "mean"):
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
    if kind == "share_of_schools" and "where" not in p:
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
        if not isinstance(sch, Mapping) or set(sch) - {"source", "column", "values", "at"} or \
                "column" not in sch or "values" not in sch:
            raise _err(file, where, "params.schools",
                       f"expected {{source: register, column: ..., values: [...], at: year | base | "
                       f"any}}; got {sch!r}")
        sch = dict(sch)
        sch.setdefault("source", "passport")
        sch.setdefault("at", "any")
        if sch["source"] not in SOURCES:
            raise _err(file, where, "params.schools.source", f"expected one of {list(SOURCES)}; "
                       f"got {sch['source']!r}")
        if sch["at"] not in ("year", "base", "any"):
            raise _err(file, where, "params.schools.at", "expected 'year' (status in the year of the "
                       "value), 'base' (in the year compared with) or 'any' (in any year); got "
                       f"{sch['at']!r}")
        if sch["at"] == "base" and kind != "share_of_schools_with_change":
            raise _err(file, where, "params.schools.at", "'base' applies to kind "
                       "'share_of_schools_with_change' only")
        sch["values"] = list(sch["values"]) if isinstance(sch["values"], (list, tuple)) else [sch["values"]]
        p["schools"] = sch
    return p
