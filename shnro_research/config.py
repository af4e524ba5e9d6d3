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

from .errors import ConfigError, ParameterError

GROUPS = ("students", "parents", "teachers")
#: extra tables of the programme indicators (``indicators: {programme_data: {file: ...}}``)
INDICATOR_TABLES = ("programme_data", "diagnostics", "region", "programme_results", "action_plan")
PARAM_BLOCKS = ("validation", "scoring", "design", "context", "typology", "dynamics",
                "indicators", "breakdowns", "report", "engine")


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
    """Read and check a study config (:mod:`.config_schema`) before anything runs.

    Every key is checked (type, range, unknown keys and duplicates refused, with "did you mean");
    every named file must exist; the output folder must lie inside the study folder unless
    ``output`` (``shnro run --out``) names another. Errors are :class:`ConfigError` naming the
    key path and the value.
    """
    from .config_schema import parse_config
    path = Path(path).resolve()
    if not path.exists():
        raise ParameterError(f"load_study: study config not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not UTF-8 text (byte {exc.start}): save the config "
                          f"as UTF-8") from None
    cfg = parse_config(text, path.name)
    root = path.parent

    def fail(key: str, expected: str, got: Any):
        raise ConfigError(f"{path.name}: {key}: expected {expected}; got {got!r}")

    def data_file(spec, key: str, cls=DataFile, **extra) -> DataFile:
        p = (root / spec.file).resolve()
        if not p.is_file():
            fail(f"{key}.file", "an existing file", str(p))
        return cls(file=p, encoding=spec.encoding, sep=spec.sep, sheet=spec.sheet,
                   decimal=spec.decimal, **extra)

    instruments = cfg.instruments or {g: g for g in GROUPS}
    instruments = {g: (str((root / v).resolve()) if str(v).endswith((".yaml", ".yml")) else str(v))
                   for g, v in instruments.items()}
    responses: list[ResponseFile] = []
    for group, waves in cfg.responses.items():
        if group not in instruments:
            fail(f"responses.{group}", f"a group with an instrument ({sorted(instruments)})", group)
        for wave, spec in waves.items():
            responses.append(data_file(spec, f"responses.{group}.{wave}", ResponseFile,
                                       group=group, wave=int(wave)))
    frame = data_file(cfg.design.frame, "design.frame") if cfg.design.frame else None
    passport = data_file(cfg.context.passport, "context.passport") if cfg.context.passport else None
    results = data_file(cfg.context.results, "context.results") if cfg.context.results else None
    tables = {name: data_file(getattr(cfg.indicators, name), f"indicators.{name}")
              for name in INDICATOR_TABLES if getattr(cfg.indicators, name) is not None}
    files = {"design": ("frame",), "context": ("passport", "results"),
             "indicators": INDICATOR_TABLES}
    params = {b: getattr(cfg, b).model_dump(by_alias=True, exclude=set(files.get(b, ())))
              for b in PARAM_BLOCKS}
    if output is not None:
        out = Path(output).resolve()
    else:
        out = (root / cfg.output).resolve()
        if not out.is_relative_to(root):
            fail("output", f"a folder inside the study folder {root} (or shnro run --out)",
                 cfg.output)
    truth = (root / cfg.truth).resolve() if cfg.truth else None
    meta = cfg.study
    waves = meta.waves or sorted({r.wave for r in responses})
    listed = {r.wave for r in responses}
    missing = [w for w in waves if responses and w not in listed]
    if missing:
        fail("study.waves", f"waves with response files ({sorted(listed)})", missing)
    return Study(path=path, id=str(meta.id or path.stem), title=str(meta.title or meta.id or path.stem),
                 seed=meta.seed, lang=meta.lang, output=out, waves=[int(w) for w in waves],
                 instruments=instruments,
                 responses=sorted(responses, key=lambda r: (GROUPS.index(r.group), r.wave)),
                 frame=frame, passport=passport, results=results,
                 truth=truth if truth is not None and truth.exists() else None,
                 params=params, tables=tables,
                 raw=cfg.model_dump(mode="json", by_alias=True, exclude_unset=True))


def existing_study_files(folder: str | Path) -> list[Path]:
    """Files in ``folder`` that mark an existing study: ``study.yaml``, ``truth.json`` and any
    file under ``raw/`` (empty for a missing or empty folder). Writers of demo studies refuse to
    write over them."""
    folder = Path(folder)
    found = [folder / name for name in ("study.yaml", "truth.json") if (folder / name).is_file()]
    raw = folder / "raw"
    if raw.is_dir():
        found += sorted(p for p in raw.rglob("*") if p.is_file())
    return found
