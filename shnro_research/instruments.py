"""Questionnaires as data: load, check and describe the study's instruments.

An instrument (one YAML file in ``surveys/``) lists its items: id, Russian wording with an English
gloss, response type, codes with labels, missing codes, reverse keying and scale membership; and
its scales: items, scoring rule and minimum number of valid items. Everything downstream (forms,
SPSS codebooks, validation, scoring, the demo municipality) follows from it.

YAML layout (see ``surveys/README.md`` for the full schema)::

    instrument: {id: students, group: students, version: 1,
                 title: {ru: ..., en: ...}, intro: {ru: ..., en: ...},
                 id_columns: [resp_id, school_id, class_id, wave],
                 id_codes: {}}                   # value labels of coded id columns (results)
    response_scales:                     # reusable code lists
      agree5: {type: likert, codes: {1: {ru: ..., en: ...}, ...}, missing: {9: {...}}}
    sections:
      - id: tension
        title: {ru: ..., en: ...}
        items:
          - {id: ten_01, text: {ru: ..., en: ...}, response: agree5, scales: [tension],
             parallel: conflict_students}       # comparable across groups; text_female too
    scales:
      tension: {label: {ru: ..., en: ...}, method: mean, min_valid: 0.6, role: tension,
                provenance: {source: null, items: project_authored, basis: ..., ...}}

Item types and the data columns they produce:

========== ================================================================
``single``   one column ``id``; nominal codes
``likert``   one column ``id``; ordered codes, low..high; may be ``reverse``
``numeric``  one column ``id``; ``min``/``max`` bounds (e.g. shares in %)
``multiple`` one 0/1 column per option: ``id_01`` .. ``id_k`` (SPSS dichotomy set)
``ranking``  one column per option holding its rank 1..k: ``id_01`` .. ``id_k``
``text``     one string column ``id`` (never exported with names of minors)
========== ================================================================
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from ._checks import InstrumentError, ParameterError

ITEM_TYPES = ("single", "likert", "numeric", "multiple", "ranking", "text")
GROUPS = ("students", "parents", "teachers", "school", "results")
SCALE_METHODS = ("mean", "sum")

#: Folder of the bundled questionnaires (top-level ``surveys/`` of the repository).
SURVEYS_DIR = Path(__file__).resolve().parent.parent / "surveys"


@dataclass(frozen=True)
class Text:
    """A wording in Russian with an English gloss."""

    ru: str
    en: str = ""

    def get(self, lang: str = "ru") -> str:
        return self.en if (lang == "en" and self.en) else self.ru


#: Status of a scale's items in its provenance: the published items, adapted from a published
#: instrument (translated, reworded, shortened), or written for this project.
ITEM_STATUSES = ("published", "adapted", "project_authored")
SEXES = ("male", "female")


@dataclass(frozen=True)
class Provenance:
    """Where a scale (or a block of items) comes from: ``docs/PROVENANCE.md``, ``surveys/README.md``.

    ``source`` is the citation (author, year, title) or ``None`` for project-authored items;
    ``items`` one of :data:`ITEM_STATUSES`; ``levels_basis`` says what any printed level or
    cut-off rests on (a norm or a convention).
    """

    items: str
    basis: Text
    adaptation: Text
    licence: Text
    reliability_validity: Text
    source: str | None = None
    levels_basis: Text = Text("")

    def summary(self, lang: str = "ru") -> str:
        """One line: the basis of project-authored items, else status and source."""
        if self.items == "project_authored":
            return self.basis.get(lang)
        status = {"published": ("опубликованные пункты", "published items"),
                  "adapted": ("адаптированные пункты", "adapted items")}[self.items]
        return f"{status[lang == 'en']}: {self.source}"


@dataclass(frozen=True)
class Item:
    """One question of an instrument."""

    id: str
    text: Text
    type: str
    section: str
    codes: Mapping[int, Text] = field(default_factory=dict)
    missing: Mapping[int, Text] = field(default_factory=dict)
    options: tuple[Text, ...] = ()
    min: float | None = None
    max: float | None = None
    reverse: bool = False
    scales: tuple[str, ...] = ()
    max_choices: int | None = None
    unit: str = ""
    role: str = ""
    response: str = ""
    #: id shared by items meant to be compared across respondent groups (same wording pattern)
    parallel: str = ""
    #: wording for female respondents (ESS-style gender-matched versions); empty = same wording
    text_female: Text = Text("")
    codes_female: Mapping[int, Text] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Data columns this item occupies."""
        if self.type in ("multiple", "ranking"):
            return [f"{self.id}_{k:02d}" for k in range(1, len(self.options) + 1)]
        return [self.id]

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Declared (min, max) of valid answers; ``None`` for text items."""
        if self.type in ("single", "likert"):
            return (min(self.codes), max(self.codes))
        if self.type == "numeric":
            return (self.min, self.max)
        if self.type == "multiple":
            return (0, 1)
        if self.type == "ranking":
            return (1, len(self.options))
        return None


@dataclass(frozen=True)
class Scale:
    """A scale: its items, scoring rule (``mean`` or ``sum``) and minimum of valid items."""

    id: str
    label: Text
    items: tuple[str, ...]
    method: str = "mean"
    min_valid: float | int | None = None
    role: str = ""
    description: Text = Text("")
    #: direction of improvement: ``"higher"`` (default) or ``"lower"`` (tension, anxiety,
    #: burnout: a higher score is worse); read by the dynamics stage to classify changes
    better: str = "higher"
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    items: tuple[str, ...]
    instruction: Text = Text("")
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: items in order, sections, scales. Build with :func:`load_instrument`."""

    id: str
    group: str
    version: int
    title: Text
    intro: Text
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    scales: Mapping[str, Scale]
    id_columns: tuple[str, ...]
    path: str = ""
    #: Value labels of coded id columns, e.g. ``{"procedure": {1: Text("ВПР"), ...}}``.
    id_codes: Mapping[str, Mapping[int, Text]] = field(default_factory=dict)

    # -- look-ups ---------------------------------------------------------------------------
    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise ParameterError(f"instrument {self.id!r} has no item {item_id!r}")

    @property
    def columns(self) -> list[str]:
        """All answer columns in questionnaire order (without id columns)."""
        return [c for it in self.items for c in it.columns]

    def column_item(self) -> dict[str, Item]:
        """Map every answer column to its item."""
        return {c: it for it in self.items for c in it.columns}

    def items_of(self, *, type: str | None = None, role: str | None = None) -> list[Item]:
        return [it for it in self.items
                if (type is None or it.type == type) and (role is None or it.role == role)]

    def scale_keys(self, scale_ids: list[str] | None = None) -> dict[str, list[str]]:
        """psych-style keys ``{"scale": ["-item", "item", ...]}`` (``-`` marks reverse keying)."""
        keys = {}
        for sid, sc in self.scales.items():
            if scale_ids is not None and sid not in scale_ids:
                continue
            keys[sid] = [("-" if self.item(i).reverse else "") + i for i in sc.items]
        return keys

    def item_bounds(self) -> dict[str, tuple[float, float]]:
        """Declared bounds of every single/likert/numeric item (used for reverse keying)."""
        return {it.id: it.bounds for it in self.items
                if it.type in ("single", "likert", "numeric")}

    @property
    def gendered(self) -> bool:
        """True if some item has a wording for female respondents (``text_female``)."""
        return any(it.text_female.ru or it.codes_female for it in self.items)

    def for_sex(self, sex: str) -> "Instrument":
        """The version of the questionnaire for respondents of ``sex`` (``"male"``/``"female"``).

        As the ESS does for the PVQ portraits: the male version prints ``text``, the female
        version ``text_female`` (and ``codes_female``) where an item has them; ids, codes and
        columns are the same, so both versions enter one data file.
        """
        if sex not in SEXES:
            raise ParameterError(f"'sex' must be one of {list(SEXES)}; got {sex!r}")
        if sex == "male" or not self.gendered:
            return self
        items = tuple(replace(it, text=it.text_female if it.text_female.ru else it.text,
                              codes=dict(it.codes_female) or it.codes) for it in self.items)
        return replace(self, items=items)

    def provenance_of(self, item: Item) -> Provenance | None:
        """Provenance of an item: that of its first scale with one, else of its section."""
        for s in item.scales:
            if s in self.scales and self.scales[s].provenance is not None:
                return self.scales[s].provenance
        sec = next((x for x in self.sections if x.id == item.section), None)
        return sec.provenance if sec is not None else None

    def codebook(self, lang: str = "ru") -> pd.DataFrame:
        """One row per data column: variable, label, type, item, valid codes, missing codes,
        scales, reverse keying, ``parallel`` id and ``provenance`` (status; source or basis)."""
        rows = []
        for col in self.id_columns:
            codes = self.id_codes.get(col, {})
            rows.append(dict(variable=col, item=col, section="id", type="id",
                             label=_ID_LABELS.get(col, Text(col)).get(lang),
                             codes="; ".join(f"{c}={t.get(lang)}" for c, t in codes.items()),
                             missing="", scales="", reverse=False, parallel="", provenance=""))
        for it in self.items:
            prov = self.provenance_of(it)
            for k, col in enumerate(it.columns):
                label = it.text.get(lang)
                if it.type in ("multiple", "ranking"):
                    sep = " " if label.rstrip().endswith(("?", ":", "!")) else ": "
                    label = f"{label}{sep}{it.options[k].get(lang)}"
                if it.type in ("single", "likert"):
                    codes = "; ".join(f"{c}={t.get(lang)}" for c, t in it.codes.items())
                elif it.type == "multiple":
                    codes = "0=не выбрано; 1=выбрано" if lang == "ru" else "0=not chosen; 1=chosen"
                elif it.bounds is not None:
                    codes = f"{it.bounds[0]:g}..{it.bounds[1]:g}"
                else:
                    codes = ""
                rows.append(dict(
                    variable=col, item=it.id, section=it.section, type=it.type, label=label,
                    codes=codes,
                    missing="; ".join(f"{c}={t.get(lang)}" for c, t in it.missing.items()),
                    scales=",".join(it.scales), reverse=it.reverse, parallel=it.parallel,
                    provenance=prov.summary(lang) if prov is not None else ""))
        return pd.DataFrame(rows)

    def __repr__(self) -> str:  # short, readable in notebooks
        return (f"Instrument(id={self.id!r}, group={self.group!r}, version={self.version}, "
                f"items={len(self.items)}, columns={len(self.columns)}, scales={len(self.scales)})")


_ID_LABELS = {
    "resp_id": Text("Псевдонимный идентификатор респондента", "Pseudonymous respondent id"),
    "school_id": Text("Код школы", "School code"),
    "class_id": Text("Код класса", "Class code"),
    "wave": Text("Волна (год) опроса", "Survey wave (year)"),
    "grade": Text("Класс (параллель)", "Grade"),
    "year": Text("Год", "Year"),
    "subject": Text("Предмет", "Subject"),
    "procedure": Text("Процедура оценки", "Assessment procedure"),
}


# -- loading and schema check -----------------------------------------------------------------

#: Words SPSS reserves; they cannot be variable names.
_SPSS_RESERVED = frozenset({"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR",
                            "TO", "WITH"})
_TOP_KEYS = frozenset({"instrument", "response_scales", "sections", "scales"})
_META_KEYS = frozenset({"id", "group", "version", "title", "intro", "id_columns", "id_codes",
                        "note"})
_SECTION_KEYS = frozenset({"id", "title", "instruction", "items", "note", "provenance"})
_SCALE_KEYS = frozenset({"label", "method", "min_valid", "role", "description", "note",
                         "better", "provenance"})
_ITEM_KEYS = frozenset({"id", "text", "type", "response", "codes", "missing", "options", "min",
                        "max", "reverse", "scales", "max_choices", "unit", "role", "note",
                        "parallel", "text_female", "codes_female"})
#: Fields a reusable response scale may set (an item's own fields override them).
_RSCALE_KEYS = frozenset({"type", "codes", "missing", "options", "min", "max", "reverse",
                          "unit", "label", "note", "codes_female"})
#: Fields of a ``provenance:`` mapping (scales and sections); ``levels_basis`` optional.
_PROV_KEYS = frozenset({"source", "adaptation", "licence", "items", "basis",
                        "reliability_validity", "levels_basis"})
_PROV_REQUIRED = ("source", "adaptation", "licence", "items", "basis", "reliability_validity")


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # C parser if built
    """A safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found an unhashable key {key!r}", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def list_instruments(folder: str | Path | None = None) -> list[str]:
    """Names of the instruments in ``folder`` (default: the bundled ``surveys/``).

    Only YAML files with a top-level ``instrument:`` key count: the folder may hold other
    configuration (e.g. programme indicators) next to the questionnaires.
    """
    folder = Path(folder) if folder is not None else SURVEYS_DIR
    out = []
    for p in folder.glob("*.yaml"):
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if re.search(r"^instrument:", text, re.M):
            out.append(p.stem)
    return sorted(out)


def load_instrument(name_or_path: str | Path) -> Instrument:
    """Load and check an instrument.

    Parameters
    ----------
    name_or_path : str or Path or Instrument
        A bundled instrument name (``"students"``, ``"parents"``, ``"teachers"``,
        ``"school_passport"``, ``"results"``) or a path to a YAML file; an
        :class:`Instrument` is returned unchanged.

    Returns
    -------
    Instrument

    Raises
    ------
    ParameterError
        If the name is not a bundled instrument or the file does not exist.
    InstrumentError
        If the file is not UTF-8, not valid YAML (duplicate keys included) or breaks the schema;
        the message names the file, the item and the field at fault, with what was expected.

    Examples
    --------
    >>> ins = load_instrument("students")
    >>> ins.scale_keys(["tension"])["tension"][-1]
    '-ten_11'
    """
    if isinstance(name_or_path, Instrument):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise ParameterError(f"'name_or_path' must be an instrument name or a path; "
                             f"got {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if not path.suffix:
        path = SURVEYS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise ParameterError(
                f"'name_or_path' must be one of {list_instruments()} or a .yaml path; "
                f"got {str(name_or_path)!r}")
    if not path.is_file():
        raise ParameterError(f"instrument file not found: {path}")
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        msg = str(exc).replace('"<unicode string>"', path.name)
        raise InstrumentError(f"{path.name}: not valid YAML: {msg}") from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(f"{path.name}: instrument files must be UTF-8 ({exc})") from None
    except RecursionError:
        raise InstrumentError(f"{path.name}: YAML nested too deeply") from None
    return parse_instrument(raw, source=path.name, path=str(path))


def _keys(d: Mapping) -> list[str]:
    """Keys of a mapping as sorted strings (keys of mixed types do not sort)."""
    return sorted(str(k) for k in d)


def parse_instrument(raw: Any, source: str = "<dict>", path: str = "") -> Instrument:
    """Build an :class:`Instrument` from already-parsed YAML, checking the schema.

    Parameters
    ----------
    raw : dict
        The parsed YAML (see ``surveys/README.md``).
    source : str
        Name used in error messages (usually the file name).
    path : str
        Stored in :attr:`Instrument.path`.

    Raises
    ------
    InstrumentError
        On any schema violation, naming ``source``, the item and the field.
    """
    p = _Parser(source)
    if not isinstance(raw, dict):
        p.fail("top level", "a mapping with keys instrument, sections, scales", raw)
    p.known(raw, _TOP_KEYS, "top level")
    meta = p.mapping(raw.get("instrument"), "instrument")
    p.known(meta, _META_KEYS, "instrument")
    iid = p.ident(meta.get("id"), "instrument.id")
    group = meta.get("group")
    if not isinstance(group, str) or group not in GROUPS:
        p.fail("instrument.group", f"one of {list(GROUPS)}", group)
    version = meta.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        p.fail("instrument.version", "a whole number >= 1", version)
    id_columns = meta.get("id_columns", ["resp_id", "school_id", "class_id", "wave"])
    if not isinstance(id_columns, list) or not id_columns:
        p.fail("instrument.id_columns", "a non-empty list of column names", id_columns)
    for c in id_columns:
        p.ident(c, "instrument.id_columns")
    if len(set(id_columns)) != len(id_columns):
        p.fail("instrument.id_columns", "distinct column names", id_columns)
    id_codes_raw = p.mapping(meta.get("id_codes", {}) or {}, "instrument.id_codes")
    id_codes: dict[str, dict[int, Text]] = {}
    for col, codes in id_codes_raw.items():
        if col not in id_columns:
            p.fail("instrument.id_codes", f"codes of id columns {list(id_columns)}", col)
        id_codes[col] = p.codes(codes, f"instrument.id_codes.{col}")

    rscales = p.mapping(raw.get("response_scales", {}) or {}, "response_scales")
    for rid, rs in rscales.items():
        p.ident(rid, f"response_scales key {rid!r}")
        p.known(p.mapping(rs, f"response_scales.{rid}"), _RSCALE_KEYS, f"response_scales.{rid}")
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        p.fail("sections", "a non-empty list of sections", sections_raw)

    items: list[Item] = []
    sections: list[Section] = []
    seen_cols: dict[str, str] = {c: "id column" for c in id_columns}
    seen_sections: set[str] = set()
    for s_i, sraw in enumerate(sections_raw):
        where = f"sections[{s_i}]"
        sraw = p.mapping(sraw, where)
        sid = p.ident(sraw.get("id"), f"{where}.id")
        if sid in seen_sections:
            p.fail(f"{where}.id", "a unique section id", sid)
        seen_sections.add(sid)
        p.known(sraw, _SECTION_KEYS, f"section {sid!r}")
        s_items = sraw.get("items")
        if not isinstance(s_items, list) or not s_items:
            p.fail(f"section {sid!r}.items", "a non-empty list of items", s_items)
        ids = []
        for k, iraw in enumerate(s_items):
            it = p.item(iraw, sid, k, rscales)
            for col in it.columns:
                if col.upper() in seen_cols:
                    p.fail(f"item {it.id!r}.id",
                           f"a unique id (column {col!r} is already used by "
                           f"{seen_cols[col.upper()]}; SPSS names ignore case)", it.id)
                seen_cols[col.upper()] = f"item {it.id!r}"
            items.append(it)
            ids.append(it.id)
        sections.append(Section(sid, p.text(sraw.get("title", sid), f"section {sid!r}.title"),
                                tuple(ids),
                                p.text(sraw.get("instruction", ""), f"section {sid!r}.instruction"),
                                p.provenance(sraw, f"section {sid!r}")))

    by_id = {it.id: it for it in items}
    scales: dict[str, Scale] = {}
    declared = p.mapping(raw.get("scales", {}) or {}, "scales")
    members: dict[str, list[str]] = {}
    for it in items:
        for s in it.scales:
            members.setdefault(s, []).append(it.id)
    for s in members:
        if s not in declared:
            p.fail(f"item {members[s][0]!r}.scales", f"a scale declared under 'scales:' "
                   f"(declared: {_keys(declared)})", s)
    for sid, sraw in declared.items():
        p.ident(sid, f"scale {sid!r}")
        sraw = p.mapping(sraw, f"scale {sid!r}")
        p.known(sraw, _SCALE_KEYS, f"scale {sid!r}")
        method = sraw.get("method", "mean")
        if not isinstance(method, str) or method not in SCALE_METHODS:
            p.fail(f"scale {sid!r}.method", f"one of {list(SCALE_METHODS)}", method)
        its = members.get(sid, [])
        if len(its) < 2:
            p.fail(f"scale {sid!r}.items", "at least 2 items naming it in their 'scales'", its)
        for i in its:
            if by_id[i].type not in ("likert", "numeric", "single"):
                p.fail(f"item {i!r}.scales", "only likert/numeric/single items in scales",
                       by_id[i].type)
        mv = sraw.get("min_valid")
        if mv is not None:
            bad = isinstance(mv, bool) or not isinstance(mv, (int, float)) or \
                not math.isfinite(mv) or mv <= 0 or \
                (isinstance(mv, float) and mv > 1) or (isinstance(mv, int) and mv > len(its))
            if bad:
                p.fail(f"scale {sid!r}.min_valid",
                       f"a share in (0, 1] or a count in 1..{len(its)}", mv)
        role = sraw.get("role", "")
        if not isinstance(role, str):
            p.fail(f"scale {sid!r}.role", "a string", role)
        better = sraw.get("better", "higher")
        if better not in ("higher", "lower"):
            p.fail(f"scale {sid!r}.better", "'higher' or 'lower' (which direction is better)",
                   better)
        scales[sid] = Scale(sid, p.text(sraw.get("label", sid), f"scale {sid!r}.label"),
                            tuple(its), method, mv, role,
                            p.text(sraw.get("description", ""), f"scale {sid!r}.description"),
                            better, p.provenance(sraw, f"scale {sid!r}"))
    return Instrument(iid, group, version, p.text(meta.get("title", iid), "instrument.title"),
                      p.text(meta.get("intro", ""), "instrument.intro"), tuple(sections),
                      tuple(items), scales, tuple(id_columns), path, id_codes)


class _Parser:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, expected: str, got: Any) -> None:
        try:
            shown = repr(got)
        except Exception:  # pragma: no cover - exotic objects
            shown = f"<{type(got).__name__}>"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise InstrumentError(f"{self.source}: {where}: expected {expected}; got {shown}")

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "a mapping", value)
        return value

    def known(self, value: dict, allowed: frozenset, where: str) -> None:
        extra = [k for k in value if k not in allowed]
        if extra:
            self.fail(where, f"fields among {sorted(allowed)}", sorted(map(str, extra)))

    def ident(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.isascii() or not value.isidentifier() \
                or not value[0].isalpha():
            self.fail(where, "an ASCII identifier starting with a letter (letters, digits, _), "
                      "usable as an SPSS name", value)
        if len(value) > 60:
            self.fail(where, "at most 60 characters", value)
        if value.upper() in _SPSS_RESERVED:
            self.fail(where, f"a name that is not an SPSS reserved word {sorted(_SPSS_RESERVED)}",
                      value)
        return value

    def text(self, value: Any, where: str, required: bool = False) -> Text:
        out = None
        if isinstance(value, str):
            out = Text(value, "")
        elif isinstance(value, dict) and isinstance(value.get("ru"), str) and \
                isinstance(value.get("en", ""), str) and set(value) <= {"ru", "en"}:
            out = Text(value["ru"], value.get("en", ""))
        if out is None or (required and not out.ru.strip()):
            self.fail(where, "a non-empty string or {ru: ..., en: ...}" if required
                      else "a string or {ru: ..., en: ...}", value)
        return out

    def codes(self, value: Any, where: str) -> dict[int, Text]:
        if value is None:
            return {}
        value = self.mapping(value, where)
        out = {}
        for c, lab in value.items():
            if isinstance(c, bool) or not isinstance(c, int):
                self.fail(f"{where} code {c!r}", "whole-number codes", c)
            if abs(c) > 2 ** 31 - 1:
                self.fail(f"{where} code {c!r}", "a code within 32-bit integer range", c)
            out[int(c)] = self.text(lab, f"{where}[{c}]", required=True)
        return out

    def provenance(self, raw: dict, where: str) -> Provenance | None:
        """The optional ``provenance:`` of a scale or section (all fields but levels_basis)."""
        if raw.get("provenance") is None:
            return None
        where = f"{where}.provenance"
        pv = self.mapping(raw["provenance"], where)
        self.known(pv, _PROV_KEYS, where)
        for k in _PROV_REQUIRED:
            if k not in pv:
                self.fail(f"{where}.{k}", "a value (provenance needs "
                          f"{', '.join(_PROV_REQUIRED)}; source may be null)", None)
        status = pv["items"]
        if status not in ITEM_STATUSES:
            self.fail(f"{where}.items", f"one of {list(ITEM_STATUSES)}", status)
        src = pv["source"]
        if src is not None and (not isinstance(src, str) or not src.strip()):
            self.fail(f"{where}.source", "null or 'Author, year, title'", src)
        if status in ("published", "adapted") and src is None:
            self.fail(f"{where}.source", f"the published source (author, year, title) of "
                      f"items: {status}", src)
        texts = {k: self.text(pv[k], f"{where}.{k}", required=True)
                 for k in ("basis", "adaptation", "licence", "reliability_validity")}
        return Provenance(status, source=src, levels_basis=self.text(
            pv.get("levels_basis", ""), f"{where}.levels_basis"), **texts)

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value):
            self.fail(where, "a finite number (numeric items need min and max)", value)
        return float(value)

    def item(self, raw: Any, section: str, k: int, rscales: dict) -> Item:
        raw = self.mapping(raw, f"section {section!r} item #{k + 1}")
        iid = self.ident(raw.get("id"), f"section {section!r} item #{k + 1}.id")
        w = f"item {iid!r}"
        self.known(raw, _ITEM_KEYS, w)
        spec: dict = {}
        resp = raw.get("response")
        if resp is not None:
            if not isinstance(resp, str) or resp not in rscales:
                self.fail(f"{w}.response", f"one of the response_scales {_keys(rscales)}", resp)
            spec.update(self.mapping(rscales[resp], f"response_scales.{resp}"))
        spec.update({key: v for key, v in raw.items() if key != "response"})
        typ = spec.get("type")
        if not isinstance(typ, str) or typ not in ITEM_TYPES:
            self.fail(f"{w}.type", f"one of {list(ITEM_TYPES)}", typ)
        text = self.text(spec.get("text"), f"{w}.text", required=True)
        codes = self.codes(spec.get("codes"), f"{w}.codes")
        missing = self.codes(spec.get("missing"), f"{w}.missing")
        if typ in ("single", "likert") and len(codes) < 2:
            self.fail(f"{w}.codes", "at least 2 codes with labels", spec.get("codes"))
        if typ not in ("single", "likert") and codes:
            self.fail(f"{w}.codes", "codes only on single or likert items", typ)
        overlap = set(codes) & set(missing)
        if overlap:
            self.fail(f"{w}.missing", "missing codes distinct from valid codes", sorted(overlap))
        if typ == "likert" and sorted(codes) != list(range(min(codes), max(codes) + 1)):
            self.fail(f"{w}.codes", "consecutive whole numbers for a likert item", sorted(codes))
        options: tuple[Text, ...] = ()
        if typ in ("multiple", "ranking"):
            opts = spec.get("options")
            if not isinstance(opts, list) or len(opts) < 2:
                self.fail(f"{w}.options", "a list of at least 2 options", opts)
            if len(opts) > 99:
                self.fail(f"{w}.options", "at most 99 options", len(opts))
            options = tuple(self.text(o, f"{w}.options[{j}]", required=True)
                            for j, o in enumerate(opts))
        elif spec.get("options") is not None:
            self.fail(f"{w}.options", "options only on multiple or ranking items", typ)
        lo, hi = spec.get("min"), spec.get("max")
        if typ == "numeric":
            lo = self.number(lo, f"{w}.min")
            hi = self.number(hi, f"{w}.max")
            if lo >= hi:
                self.fail(f"{w}.max", f"a number greater than min ({lo:g})", hi)
        elif lo is not None or hi is not None:
            self.fail(f"{w}.min", "min/max only on numeric items", typ)
        if typ in ("numeric", "ranking", "multiple"):
            b_lo, b_hi = (lo, hi) if typ == "numeric" else \
                (1, len(options)) if typ == "ranking" else (0, 1)
            inside = sorted(c for c in missing if b_lo <= c <= b_hi)
            if inside:
                self.fail(f"{w}.missing", f"missing codes outside the valid range "
                          f"{b_lo:g}..{b_hi:g}", inside)
        if typ == "text" and missing:
            self.fail(f"{w}.missing", "no missing codes on a text item", sorted(missing))
        reverse = spec.get("reverse", False)
        if not isinstance(reverse, bool):
            self.fail(f"{w}.reverse", "true or false", reverse)
        if reverse and typ not in ("likert", "numeric"):
            self.fail(f"{w}.reverse", "reverse keying only on likert or numeric items", typ)
        scales = spec.get("scales", [])
        if isinstance(scales, str):
            scales = [scales]
        if not isinstance(scales, list) or not all(isinstance(s, str) for s in scales):
            self.fail(f"{w}.scales", "a list of scale ids", scales)
        if len(set(scales)) != len(scales):
            self.fail(f"{w}.scales", "distinct scale ids", scales)
        mc = spec.get("max_choices")
        if mc is not None and (typ != "multiple" or isinstance(mc, bool) or
                               not isinstance(mc, int) or not 1 <= mc <= len(options)):
            self.fail(f"{w}.max_choices",
                      "a whole number 1..(number of options) on a multiple item", mc)
        unit, role = spec.get("unit", ""), spec.get("role", "")
        for name, v in (("unit", unit), ("role", role)):
            if not isinstance(v, str):
                self.fail(f"{w}.{name}", "a string", v)
        parallel = spec.get("parallel", "")
        if parallel:
            self.ident(parallel, f"{w}.parallel")
        text_f = self.text(spec.get("text_female", ""), f"{w}.text_female")
        codes_f = self.codes(spec.get("codes_female"), f"{w}.codes_female")
        if codes_f and sorted(codes_f) != sorted(codes):
            self.fail(f"{w}.codes_female", f"the same codes as 'codes' {sorted(codes)}",
                      sorted(codes_f))
        return Item(iid, text, typ, section, codes, missing, options,
                    lo if typ == "numeric" else None, hi if typ == "numeric" else None,
                    reverse, tuple(scales), mc, unit, role, str(resp or ""), parallel, text_f,
                    codes_f)


# -- provenance --------------------------------------------------------------------------------

def check_provenance(instrument: Instrument | str | Path) -> Instrument:
    """Refuse an instrument whose scales or item blocks lack a complete provenance.

    Required: a ``provenance:`` on every scale, and on every section holding ranking or
    multiple-choice items or likert items outside any scale (value lists, life success, needs);
    a ``levels_basis`` on scales whose levels are printed (role ``tension``). The fields
    themselves are checked when the file is read (:func:`parse_instrument`): ``items`` is
    ``published``, ``adapted`` or ``project_authored``, and a published or adapted block names
    its ``source``. See ``docs/PROVENANCE.md``.

    Raises
    ------
    InstrumentError
        Naming the file, the scale or section and the missing field.

    Examples
    --------
    >>> check_provenance("students").id
    'students'
    """
    ins = load_instrument(instrument)
    src = Path(ins.path).name if ins.path else ins.id
    p = _Parser(src)
    for sid, sc in ins.scales.items():
        if sc.provenance is None:
            p.fail(f"scale {sid!r}.provenance", "a provenance mapping with "
                   f"{', '.join(_PROV_REQUIRED)}", None)
        if sc.role == "tension" and not sc.provenance.levels_basis.ru:
            p.fail(f"scale {sid!r}.provenance.levels_basis", "the basis of the printed levels "
                   "(a norm or a convention)", None)
    by_id = {it.id: it for it in ins.items}
    for sec in ins.sections:
        needs = [i for i in sec.items if by_id[i].type in ("ranking", "multiple")
                 or (by_id[i].type == "likert" and not by_id[i].scales)]
        if needs and sec.provenance is None:
            p.fail(f"section {sec.id!r}.provenance", f"a provenance mapping (items {needs} "
                   "belong to no scale)", None)
    return ins
