"""A study = one config file (``study.yaml``) + stages run in order into one output folder.

``shnro run study.yaml`` (or :func:`run_study`) runs every stage; each notebook runs one stage
on the same config. Each stage reads the raw files named in the config or the outputs of earlier
stages, writes its own subfolder and a ``_stage.json`` with the key of its inputs (file hashes,
parameters, code, upstream keys): a rerun whose inputs did not change skips the stage. The top
of the output folder gets ``manifest.json`` (input hashes, package versions, parameters, seed)
and ``stage_log.csv``.

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

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ._checks import DataError, ParameterError

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

    def read(self) -> pd.DataFrame:
        """Read a table (CSV/XLSX/SAV) of the study as it is (never modified)."""
        from .responses import read_responses
        return read_responses(self.file, encoding=self.encoding, sep=self.sep,
                              sheet=self.sheet).data


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

    def stage_dir(self, stage: str) -> Path:
        return self.output / STAGE_DIRS[stage]

    def input_files(self) -> list[Path]:
        files = [r.file for r in self.responses]
        files += [d.file for d in (self.frame, self.passport, self.results) if d is not None]
        files += [d.file for d in self.tables.values()]
        return files

    def instrument(self, group: str):
        from .instruments import load_instrument
        if group not in self.instruments:
            raise ParameterError(f"study {self.id!r} has no instrument for {group!r}; "
                                 f"it has {sorted(self.instruments)}")
        return load_instrument(self.instruments[group])


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


# -- stage machinery ----------------------------------------------------------------------------

STAGES = ("instruments", "responses", "scoring", "design", "context", "models", "dynamics",
          "report")
STAGE_DIRS = {s: f"{i + 1:02d}_{s}" for i, s in enumerate(STAGES)}


@dataclass
class StageResult:
    stage: str
    status: str          # "ran" | "skipped (unchanged)"
    seconds: float
    key: str
    outputs: list[str]


def _stage_key(study: Study, stage: str, upstream: dict[str, str]) -> str:
    from .report.provenance import code_hash, file_hash, json_hash
    from . import stages as _st
    spec = _st.STAGE_SPECS[stage]
    files = {str(p.relative_to(study.root)) if p.is_relative_to(study.root) else str(p):
             file_hash(p) for p in spec.inputs(study)}
    params = {k: study.params.get(k) for k in spec.params}
    params.update(seed=study.seed, lang=study.lang)
    return json_hash({"stage": stage, "files": files, "params": params,
                      "upstream": {u: upstream.get(u) for u in spec.upstream},
                      "code": code_hash(spec.modules + ["shnro_research.stages"])})


def run_study(config: str | Path | Study, *, stages: list[str] | None = None,
              force: bool = False, progress: bool = True, output: str | Path | None = None
              ) -> list[StageResult]:
    """Run the study's stages in order (all by default); skip those whose inputs are unchanged.

    Returns one :class:`StageResult` per stage and writes ``manifest.json`` and
    ``stage_log.csv`` to the output folder.
    """
    import json

    from .report.provenance import file_hash, package_versions, write_json
    from . import stages as _st

    study = config if isinstance(config, Study) else load_study(config, output=output)
    wanted = list(STAGES) if stages is None else list(stages)
    for s in wanted:
        if s not in STAGES:
            raise ParameterError(f"'stages' must be among {list(STAGES)}; got {s!r}")
    study.output.mkdir(parents=True, exist_ok=True)
    keys: dict[str, str] = {}
    results: list[StageResult] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(wanted), desc="study", unit="stage")
    for stage in STAGES:
        if stage not in wanted:
            prev = study.stage_dir(stage) / "_stage.json"
            if prev.exists():
                keys[stage] = json.loads(prev.read_text())["key"]
            continue
        if bar is not None:
            bar.set_postfix_str(stage)
        key = _stage_key(study, stage, keys)
        folder = study.stage_dir(stage)
        marker = folder / "_stage.json"
        t0 = time.perf_counter()
        status = "ran"
        if not force and marker.exists():
            done = json.loads(marker.read_text())
            intact = all((folder / o).exists() and file_hash(folder / o) == h
                         for o, h in done.get("outputs", {}).items())
            if done.get("key") == key and intact:
                status = "skipped (unchanged)"
                outputs = list(done["outputs"])
        if status == "ran":
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.rglob("*"):
                if old.is_file():
                    old.unlink()
            _st.STAGE_SPECS[stage].run(study)
            outputs = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                             if p.is_file() and p.name != "_stage.json")
            write_json(marker, {"stage": stage, "key": key,
                                "outputs": {o: file_hash(folder / o) for o in outputs}})
        keys[stage] = key
        results.append(StageResult(stage, status, round(time.perf_counter() - t0, 2), key, outputs))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    manifest = {
        "study": study.id, "title": study.title, "config": study.path.name, "seed": study.seed, "lang": study.lang,
        "inputs": {str(p.relative_to(study.root)) if p.is_relative_to(study.root) else str(p):
                   file_hash(p) for p in study.input_files()},
        "config_sha256": file_hash(study.path),
        "parameters": study.raw,
        "versions": package_versions(),
        "stages": {r.stage: {"key": r.key, "outputs": len(r.outputs)} for r in results},
    }
    write_json(study.output / "manifest.json", manifest)
    log = pd.DataFrame([{"stage": r.stage, "status": r.status, "seconds": r.seconds,
                         "outputs": len(r.outputs)} for r in results])
    log_path = study.output / "stage_log.csv"
    if log_path.exists() and stages is not None:
        old = pd.read_csv(log_path)
        log = pd.concat([old[~old.stage.isin(log.stage)], log]).set_index("stage").reindex(
            [s for s in STAGES if s in set(old.stage) | set(log.stage)]).reset_index()
    log.to_csv(log_path, index=False)
    return results


# -- reading and writing stage products ---------------------------------------------------------

def write_table(df: pd.DataFrame, folder: Path, name: str, *, csv: bool = True) -> Path:
    """Write a data product as parquet (exact types) and CSV (UTF-8 with BOM, for Excel)."""
    folder.mkdir(parents=True, exist_ok=True)
    df = df.reset_index(drop=True)
    p = folder / f"{name}.parquet"
    df.to_parquet(p, index=False)
    if csv:
        df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    return p


def read_table(study: Study, stage: str, name: str) -> pd.DataFrame:
    """Read a data product of an earlier stage (run that stage first if it is missing)."""
    p = study.stage_dir(stage) / f"{name}.parquet"
    if not p.exists():
        raise DataError(f"{p} not found: run stage {stage!r} first (shnro run CONFIG --stages {stage})")
    return pd.read_parquet(p)
