"""A study = one config file (``study.yaml``) + stages run in order into one output folder.

``shnro run study.yaml`` (or :func:`run_study`) runs every stage; each notebook runs one stage
on the same config. Each stage reads the raw files named in the config or the outputs of earlier
stages, writes its own subfolder and a ``_stage.json`` with the key of its inputs (file hashes,
parameters, code, upstream keys): a rerun whose inputs did not change skips the stage. The top
of the output folder gets ``manifest.json`` (input hashes, package versions, parameters, seed)
and ``stage_log.csv``.

Config (paths relative to the config file)::

    name: Демо-муниципалитет
    seed: 20240501
    lang: ru                          # report language: ru | en
    output: output                    # output folder
    waves: [2022, 2023, 2024]
    instruments: {students: students, parents: parents, teachers: teachers}
    responses:                        # one entry per raw file
      - {group: students, wave: 2022, file: raw/students_2022.sav}
      - {group: parents, wave: 2022, file: raw/parents_2022.csv, encoding: cp1251}
    sample: {file: raw/sample_frame.csv}       # sampled schools and classes, design columns
    design: {strata: stratum, school: school_id, class: class_id,
             fpc_school: n_schools_stratum, fpc_class: n_classes_school}
    passport: {file: raw/school_passport.xlsx}
    results: {file: raw/results.csv}
    context: {components: {sh_low_income: -1, sh_parents_higher_edu: 1}, weights: equal}
    typology: {...}    validation: {...}    report: {min_cell: 5}
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import yaml

from ._checks import DataError, ParameterError

GROUPS = ("students", "parents", "teachers")


@dataclass(frozen=True)
class ResponseFile:
    group: str
    wave: int
    file: Path
    encoding: str | None = None
    sep: str | None = None
    sheet: str | int | None = None


@dataclass
class Study:
    """A parsed study config. Build with :func:`load_study`."""

    path: Path
    name: str
    seed: int
    lang: str
    output: Path
    waves: list[int]
    instruments: dict[str, str]
    responses: list[ResponseFile]
    sample: Path | None
    design: dict
    passport: Path | None
    results: Path | None
    context: dict
    typology: dict
    validation: dict
    scoring: dict
    dynamics: dict
    indicators: dict
    report: dict
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    def stage_dir(self, stage: str) -> Path:
        return self.output / STAGE_DIRS[stage]

    def input_files(self) -> list[Path]:
        files = [r.file for r in self.responses]
        files += [p for p in (self.sample, self.passport, self.results) if p is not None]
        return files


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

    def file_of(key: str, required: bool = False) -> Path | None:
        v = raw.get(key)
        if v is None:
            if required:
                fail(key, "{file: path}", v)
            return None
        f = v.get("file") if isinstance(v, dict) else v
        if not isinstance(f, str):
            fail(f"{key}.file", "a path", f)
        p = (root / f).resolve()
        if not p.exists():
            fail(f"{key}.file", "an existing file", str(p))
        return p

    lang = raw.get("lang", "ru")
    if lang not in ("ru", "en"):
        fail("lang", "ru or en", lang)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int):
        fail("seed", "a whole number", seed)
    instruments = raw.get("instruments") or {g: g for g in GROUPS}
    if not isinstance(instruments, dict):
        fail("instruments", "a mapping group -> instrument name or path", instruments)
    instruments = {g: (str((root / v).resolve()) if str(v).endswith(".yaml") else str(v))
                   for g, v in instruments.items()}
    responses = []
    for k, r in enumerate(raw.get("responses") or []):
        if not isinstance(r, dict) or "file" not in r or "group" not in r:
            fail(f"responses[{k}]", "{group: ..., wave: ..., file: ...}", r)
        if r["group"] not in instruments:
            fail(f"responses[{k}].group", f"one of {sorted(instruments)}", r["group"])
        p = (root / r["file"]).resolve()
        if not p.exists():
            fail(f"responses[{k}].file", "an existing file", str(p))
        responses.append(ResponseFile(r["group"], int(r.get("wave", 0)), p, r.get("encoding"),
                                      r.get("sep"), r.get("sheet")))
    out = Path(output) if output is not None else (root / raw.get("output", "output"))
    waves = raw.get("waves") or sorted({r.wave for r in responses})
    return Study(path=path, name=str(raw.get("name", path.stem)), seed=seed, lang=lang,
                 output=out.resolve(), waves=[int(w) for w in waves], instruments=instruments,
                 responses=responses, sample=file_of("sample"), design=dict(raw.get("design") or {}),
                 passport=file_of("passport"), results=file_of("results"),
                 context=dict(raw.get("context") or {}), typology=dict(raw.get("typology") or {}),
                 validation=dict(raw.get("validation") or {}), scoring=dict(raw.get("scoring") or {}),
                 dynamics=dict(raw.get("dynamics") or {}),
                 indicators=dict(raw.get("indicators") or {}), report=dict(raw.get("report") or {}),
                 raw=raw)


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
    params = {k: study.raw.get(k) for k in spec.params}
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
        "study": study.name, "config": study.path.name, "seed": study.seed, "lang": study.lang,
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
