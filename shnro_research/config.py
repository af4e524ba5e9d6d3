"""The study config: one file (``study.yaml``) naming the instruments, the raw files, the design
and the parameters of every stage. :func:`load_study` parses and checks it; it reads no data
(the pipeline does, through :mod:`shnro_research.io`). The stages are in
:mod:`shnro_research.pipeline`.

Config (paths relative to the config file; ``shnro make-demo`` writes a complete example)::

    study: {id: demo, title: Демо-муниципалитет, seed: 20240501, waves: [2022, 2023, 2024],
            lang: ru}
    instruments: {students: students, parents: parents, teachers: teachers,
                  school: school_passport, results: results}   # bundled names or .yaml paths
    responses:                              # group -> wave -> file
      students: {2022: {file: raw/students_2022.sav}}
      parents:  {2022: {file: raw/parents_2022.csv, encoding: cp1251, sep: ";"}}
      teachers: {2022: {file: raw/teachers_2022.xlsx, sheet: 0}}
    design:                                 # the sampling frame of sampled schools and classes
      frame: {file: raw/sample_frame.csv}
      wave: wave; strata: stratum; school: school_id; class: class_id; unit: unit
      weight: weight; weight_nr: weight_nr
    context:
      passport: {file: raw/school_passport.xlsx}
      results: {file: raw/results.csv}
      components: {low_income_pct: -1, parents_higher_edu_pct: 1, ...}   # default: all passport shares
      weights: equal                        # equal | pca
    output: output
    # optional parameter blocks: validation, scoring, typology, dynamics, indicators, report
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


import yaml

from .errors import DataError, ParameterError

GROUPS = ("students", "parents", "teachers")
#: extra tables of the programme indicators (``indicators: {programme_data: {file: ...}}``)
INDICATOR_TABLES = ("programme_data", "diagnostics", "region")
PARAM_BLOCKS = ("validation", "scoring", "design", "context", "typology", "dynamics",
                "indicators", "report")


@dataclass(frozen=True)
class DataFile:
    """A raw file named by the config, with how to read it."""

    file: Path
    encoding: str | None = None
    sep: str | None = None
    sheet: str | int | None = None
    decimal: str | None = None

    def options(self) -> dict[str, Any]:
        """How the file is read (part of the key of the stages that read it)."""
        return {"encoding": self.encoding, "sep": self.sep, "sheet": self.sheet,
                "decimal": self.decimal}


@dataclass(frozen=True)
class ResponseFile(DataFile):
    group: str = ""
    wave: int = 0


@dataclass
class Study:
    """A parsed study config. Build with :func:`load_study`."""

    path: Path
    id: str
    title: str
    seed: int
    lang: str
    output: Path
    waves: list[int]
    instruments: dict[str, str]
    responses: list[ResponseFile]
    frame: DataFile | None
    passport: DataFile | None
    results: DataFile | None
    truth: Path | None
    params: dict[str, dict]
    tables: dict[str, DataFile] = field(default_factory=dict)   # programme_data, diagnostics, region
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    def input_files(self) -> list[Path]:
        files = [r.file for r in self.responses]
        files += [d.file for d in (self.frame, self.passport, self.results) if d is not None]
        files += [d.file for d in self.tables.values()]
        return files

    def instrument(self, group: str):
        """The instrument (questionnaire) of a respondent group or form (``school``, ``results``)."""
        from .instruments import load_instrument
        if group not in self.instruments:
            raise ParameterError(f"study {self.id!r} has no instrument for {group!r}; "
                                 f"it has {sorted(self.instruments)}")
        return load_instrument(self.instruments[group])

    def instrument_file(self, group: str) -> Path | None:
        """The YAML file behind an instrument (bundled or the study's own)."""
        from .instruments import SURVEYS_DIR
        v = self.instruments[group]
        p = Path(v) if str(v).endswith((".yaml", ".yml")) else SURVEYS_DIR / f"{v}.yaml"
        return p if p.exists() else None

    @property
    def groups(self) -> list[str]:
        """Respondent groups with response files, in the order students, parents, teachers."""
        return [g for g in GROUPS if any(r.group == g for r in self.responses)]


def load_study(path: str | Path, *, output: str | Path | None = None) -> Study:
    """Read and check a study config; every problem names the field and what was expected."""
    path = Path(path).resolve()
    if not path.exists():
        raise ParameterError(f"study config not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path.name}: expected a mapping at the top level; got {type(raw).__name__}")
    root = path.parent

    def fail(field_: str, expected: str, got: Any):
        raise DataError(f"{path.name}: {field_}: expected {expected}; got {got!r}")

    def data_file(spec: Any, where: str, cls=DataFile, **extra) -> DataFile:
        if isinstance(spec, str):
            spec = {"file": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
            fail(where, "{file: path[, encoding, sep, sheet, decimal]}", spec)
        p = (root / spec["file"]).resolve()
        if not p.exists():
            fail(f"{where}.file", "an existing file", str(p))
        return cls(file=p, encoding=spec.get("encoding"), sep=spec.get("sep"),
                   sheet=spec.get("sheet"), decimal=spec.get("decimal"), **extra)

    meta = raw.get("study") or {}
    if not isinstance(meta, dict):
        fail("study", "a mapping {id, title, seed, waves, lang}", meta)
    lang = meta.get("lang", "ru")
    if lang not in ("ru", "en"):
        fail("study.lang", "ru or en", lang)
    seed = meta.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        fail("study.seed", "a whole number", seed)
    instruments = raw.get("instruments") or {g: g for g in GROUPS}
    if not isinstance(instruments, dict):
        fail("instruments", "a mapping group -> instrument name or path", instruments)
    instruments = {g: (str((root / v).resolve()) if str(v).endswith((".yaml", ".yml")) else str(v))
                   for g, v in instruments.items()}
    responses: list[ResponseFile] = []
    resp = raw.get("responses") or {}
    if not isinstance(resp, dict):
        fail("responses", "a mapping group -> wave -> {file: ...}", resp)
    for group, waves in resp.items():
        if group not in GROUPS or group not in instruments:
            fail(f"responses.{group}", f"a respondent group with an instrument "
                 f"({[g for g in GROUPS if g in instruments]})", group)
        if not isinstance(waves, dict):
            fail(f"responses.{group}", "a mapping wave -> {file: ...}", waves)
        for wave, spec in waves.items():
            try:
                w = int(wave)
            except (TypeError, ValueError):
                fail(f"responses.{group}", "waves as whole numbers (years)", wave)
            responses.append(data_file(spec, f"responses.{group}.{wave}", ResponseFile,
                                       group=group, wave=w))
    design = dict(raw.get("design") or {})
    frame = data_file(design.pop("frame"), "design.frame") if design.get("frame") else None
    context = dict(raw.get("context") or {})
    passport = data_file(context.pop("passport"), "context.passport") \
        if context.get("passport") else None
    results = data_file(context.pop("results"), "context.results") \
        if context.get("results") else None
    params = {b: dict(raw.get(b) or {}) for b in PARAM_BLOCKS}
    params["design"], params["context"] = design, context
    tables = {}
    for name in INDICATOR_TABLES:
        spec = params["indicators"].pop(name, None)
        if spec:
            tables[name] = data_file(spec, f"indicators.{name}")
    for b, v in params.items():
        if not isinstance(v, dict):
            fail(b, "a mapping of parameters", v)
    truth = (root / raw["truth"]).resolve() if raw.get("truth") else None
    out = Path(output) if output is not None else (root / raw.get("output", "output"))
    waves = meta.get("waves") or sorted({r.wave for r in responses})
    return Study(path=path, id=str(meta.get("id", path.stem)),
                 title=str(meta.get("title", meta.get("id", path.stem))), seed=seed, lang=lang,
                 output=out.resolve(), waves=[int(w) for w in waves], instruments=instruments,
                 responses=sorted(responses, key=lambda r: (GROUPS.index(r.group), r.wave)),
                 frame=frame, passport=passport, results=results,
                 truth=truth if truth is not None and truth.exists() else None,
                 params=params, tables=tables, raw=raw)
