"""Run the stages in order, rerunning exactly those whose key changed.

A stage's key hashes (1) the source of its pipeline file and of every package module it imports,
directly or not (found from the import statements, so a changed writer in ``forms.py`` reruns the
stage that writes with it, and a comment in another stage's file does not); (2) the config keys
and blocks it declares in ``CONFIG``; (3) the bytes and read options of the raw files it declares
in ``INPUTS``; (4) the keys of its ``UPSTREAM`` stages; (5) the package versions. A stage whose
key is unchanged and whose outputs are intact is skipped.

A stage writes into ``<folder>.tmp`` and the folder is swapped in only when the stage succeeds,
so a failing stage leaves its previous outputs as they were.
"""
from __future__ import annotations

import ast
import json
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._stats import one_blas_thread
from ..config import Study, existing_study_files, load_study
from ..errors import ConfigError, ParameterError
from ..report.provenance import (canonical_json, file_hash, json_hash, package_versions,
                                 write_json)
from ._base import Stage, StageContext, declared_files, read_stage_table
from .registry import STAGES, get_stage

PACKAGE = "shnro_research"
PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class StageResult:
    """What one stage did in a run."""

    stage: str
    status: str          # "ran" | "skipped (unchanged)"
    seconds: float
    key: str
    outputs: list[str]


# -- code closure -------------------------------------------------------------------------------

def _module_file(name: str) -> Path | None:
    """The source file of a package module (``a/b.py`` or ``a/b/__init__.py``), else None."""
    if name == PACKAGE:
        return PACKAGE_DIR / "__init__.py"
    if not name.startswith(PACKAGE + "."):
        return None
    rel = Path(*name.split(".")[1:])
    for p in (PACKAGE_DIR / rel.with_suffix(".py"), PACKAGE_DIR / rel / "__init__.py"):
        if p.exists():
            return p
    return None


@lru_cache(maxsize=None)
def _direct_imports(name: str, file: str, mtime_ns: int) -> frozenset[str]:
    """Package modules imported anywhere in a module's source (function bodies included)."""
    path = Path(file)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    pkg = name if is_pkg else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = pkg.split(".")
                base = parts[:len(parts) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not (mod == PACKAGE or mod.startswith(PACKAGE + ".")):
                continue
            if _module_file(mod):
                found.add(mod)
            for a in node.names:           # ``from . import scoring`` imports a module
                if _module_file(f"{mod}.{a.name}"):
                    found.add(f"{mod}.{a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(PACKAGE) and _module_file(a.name):
                    found.add(a.name)
    found.discard(name)
    return frozenset(found)


def code_closure(module: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Every package module that ``module`` imports, directly or through others.

    Importing ``a.b.c`` also runs the ``__init__`` of ``a.b``, so those count too. Modules in
    ``exclude`` (the other stages' pipeline files) are neither included nor followed.
    """
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m in seen or (m in exclude and m != module):
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]   # parent packages
        f = _module_file(m)
        if f is not None:
            todo += list(_direct_imports(m, str(f), f.stat().st_mtime_ns))
    return sorted(seen)


def code_hash(modules: list[str]) -> str:
    return json_hash({m: file_hash(_module_file(m)) for m in modules})


def _not_stage_code(stages: list[Stage]) -> frozenset[str]:
    """Modules left out of every stage's code closure: the other stages' files and the
    orchestration (package ``__init__``, registry, runner), which decide *whether* a stage runs,
    not what it writes. ``_base`` (the stage context and table writer) is stage code."""
    here = __name__.rsplit(".", 1)[0]
    return frozenset([s.module.__name__ for s in stages]
                     + [here, f"{here}.registry", f"{here}.runner"])


# -- keys ---------------------------------------------------------------------------------------

def _config_values(study: Study, stage: Stage) -> dict:
    out = {}
    for key in stage.config:
        if key.startswith("study."):
            attr = key.split(".", 1)[1]
            out[key] = getattr(study, attr)
        else:
            out[key] = study.params.get(key)
    return out


def _rel(study: Study, p: Path) -> str:
    return str(p.relative_to(study.root)) if p.is_relative_to(study.root) else str(p)


def stage_key(study: Study, stage: Stage, upstream: dict[str, str],
              stage_modules: frozenset[str]) -> tuple[str, dict]:
    """The key of a stage and what went into it (written to ``_stage.json``)."""
    modules = code_closure(stage.module.__name__, stage_modules)
    parts = {
        "stage": stage.name,
        "code": code_hash(modules),
        "config": _config_values(study, stage),
        "files": {label: {"file": _rel(study, p), "sha256": file_hash(p), "read": opts}
                  for label, (p, opts) in declared_files(study, stage).items()},
        "upstream": {u: upstream.get(u) for u in stage.upstream},
        "versions": package_versions(),
    }
    return json_hash(parts), {**parts, "modules": modules}


# -- running --------------------------------------------------------------------------------------

def stage_dir(study: Study, stage: str) -> Path:
    """The output folder of a stage (``<output>/0N_<stage>``)."""
    return study.output / get_stage(stage).folder


def read_table(study: Study, stage: str, name: str) -> pd.DataFrame:
    """Read a table an earlier run of a stage wrote (``06_models/school_effects.parquet``)."""
    return read_stage_table(stage_dir(study, stage), name)


def _intact(folder: Path, marker: dict) -> bool:
    return all((folder / o).exists() and file_hash(folder / o) == h
               for o, h in marker.get("outputs", {}).items())


def _check_outputs(stage: Stage, folder: Path) -> None:
    names = {p.name for p in folder.iterdir()}
    stems = {n.split(".", 1)[0] for n in names}
    missing = [o for o in stage.outputs if o not in names and o not in stems]
    if missing:
        raise ParameterError(f"stage {stage.name} declares OUTPUTS {missing} that it did not write")


def run_study(config: str | Path | Study, *, stages: list[str] | None = None,
              force: bool = False, progress: bool = True, output: str | Path | None = None
              ) -> list[StageResult]:
    """Run the study's stages in order (all by default); skip those whose key is unchanged.

    Returns one :class:`StageResult` per stage run or skipped and writes ``manifest.json`` and
    ``stage_log.csv`` to the output folder.
    """
    study = config if isinstance(config, Study) else load_study(config, output=output)
    wanted = list(STAGES) if stages is None else list(stages)
    for s in wanted:
        if s not in STAGES:
            raise ParameterError(f"run_study: 'stages' must be among {list(STAGES)}; got {s!r}")
    all_stages = [get_stage(s) for s in STAGES]
    stage_modules = _not_stage_code(all_stages)
    folders = {s.name: study.output / s.folder for s in all_stages}
    study.output.mkdir(parents=True, exist_ok=True)
    keys: dict[str, str] = {}
    results: list[StageResult] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(wanted), desc="study", unit="stage")
    for stage in all_stages:
        folder = folders[stage.name]
        marker_path = folder / "_stage.json"
        if stage.name not in wanted:
            if marker_path.exists():
                keys[stage.name] = json.loads(marker_path.read_text())["key"]
            continue
        if bar is not None:
            bar.set_postfix_str(stage.name)
        key, parts = stage_key(study, stage, keys, stage_modules)
        t0 = time.perf_counter()
        status = "ran"
        if not force and marker_path.exists():
            done = json.loads(marker_path.read_text())
            if done.get("key") == key and _intact(folder, done):
                status, outputs = "skipped (unchanged)", list(done["outputs"])
        if status == "ran":
            # one BLAS thread: the stages make many small factorisations (model fits, CR2,
            # CFA), which multi-threaded OpenBLAS slows 10-15x on a busy 2-core machine
            # (scoring + design + models of 400 schools: 14.2 s -> 10.2 s), and the sums
            # then run in the same order on every machine
            with one_blas_thread():
                outputs = _run_one(study, stage, folder, folders, key, parts)
        keys[stage.name] = key
        results.append(StageResult(stage.name, status, round(time.perf_counter() - t0, 2), key,
                                   outputs))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    _write_manifest(study, results, stages is not None)
    return results


def plan_study(config: str | Path | Study, *, output: str | Path | None = None) -> pd.DataFrame:
    """Which stages a run would rerun, and why, without running anything.

    Returns one row per stage: ``stage``, ``rerun`` (bool) and ``reason`` (``"no earlier
    run"``, ``"outputs changed"``, or the parts of the key that changed: ``code``, ``config``,
    ``files``, ``upstream``, ``versions``).
    """
    study = config if isinstance(config, Study) else load_study(config, output=output)
    all_stages = [get_stage(s) for s in STAGES]
    stage_modules = _not_stage_code(all_stages)
    keys: dict[str, str] = {}
    rows = []
    for stage in all_stages:
        folder = study.output / stage.folder
        key, parts = stage_key(study, stage, keys, stage_modules)
        keys[stage.name] = key
        marker = folder / "_stage.json"
        if not marker.exists():
            rows.append({"stage": stage.name, "rerun": True, "reason": "no earlier run"})
            continue
        done = json.loads(marker.read_text())
        if done.get("key") == key:
            intact = _intact(folder, done)
            rows.append({"stage": stage.name, "rerun": not intact,
                         "reason": "" if intact else "outputs changed"})
            continue
        changed = [k for k in ("code", "config", "files", "upstream", "versions")
                   if done.get(k) != json.loads(canonical_json(parts[k]))]
        rows.append({"stage": stage.name, "rerun": True, "reason": ", ".join(changed)})
    return pd.DataFrame(rows)


def _run_one(study: Study, stage: Stage, folder: Path, folders: dict[str, Path], key: str,
             parts: dict) -> list[str]:
    """Run a stage into ``<folder>.tmp``; swap it in only when the stage succeeds."""
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        stage.run(StageContext(study, stage, tmp, folders))
        _check_outputs(stage, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    outputs = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
    write_json(tmp / "_stage.json", {
        "stage": stage.name, "key": key, "code": parts["code"], "modules": parts["modules"],
        "config": parts["config"], "files": parts["files"], "upstream": parts["upstream"],
        "versions": parts["versions"],
        "outputs": {o: file_hash(tmp / o) for o in outputs}})
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return outputs


def _write_manifest(study: Study, results: list[StageResult], partial: bool) -> None:
    path = study.output / "manifest.json"
    stages = {r.stage: {"key": r.key, "outputs": len(r.outputs)} for r in results}
    if partial and path.exists():   # a run of some stages keeps what the others recorded
        old = json.loads(path.read_text(encoding="utf-8")).get("stages", {})
        stages = {s: stages.get(s, old.get(s)) for s in STAGES if s in stages or s in old}
    manifest = {
        "study": study.id, "title": study.title, "config": study.path.name, "seed": study.seed,
        "lang": study.lang,
        "inputs": {_rel(study, p): file_hash(p) for p in study.input_files()},
        "config_sha256": file_hash(study.path),
        "parameters": study.raw,
        "versions": package_versions(),
        "stages": stages,
    }
    write_json(path, manifest)
    log = pd.DataFrame([{"stage": r.stage, "status": r.status, "seconds": r.seconds,
                         "outputs": len(r.outputs)} for r in results])
    log_path = study.output / "stage_log.csv"
    if log_path.exists() and partial:
        old = pd.read_csv(log_path)
        log = pd.concat([old[~old.stage.isin(log.stage)], log]).set_index("stage").reindex(
            [s for s in STAGES if s in set(old.stage) | set(log.stage)]).reset_index()
    log.to_csv(log_path, index=False)


DEMO_SEED = 20240501


def demo_config(folder: str | Path = "output/demo", *, seed: int = DEMO_SEED,
                regenerate: bool = False) -> Path:
    """Path of the demo study's ``study.yaml``, generating the demo municipality if needed.

    The raw files are written once (seeded): an existing demo with the same seed is reused, so
    raw data are never rewritten under a running analysis. A folder holding any other study
    (its own ``study.yaml`` or raw files, or a demo of another seed) is refused unless
    ``regenerate=True`` (``shnro demo --regenerate``) says to write the demo over it.
    """
    from ..demo import generate_demo, load_demo_truth, write_demo
    folder = Path(folder)
    cfg = folder / "study.yaml"
    if not regenerate:
        existing = existing_study_files(folder)
        if cfg.exists():
            try:
                same = load_demo_truth(folder).get("seed") == seed
            except Exception:  # noqa: BLE001 - no readable truth: not our demo
                same = False
            if same:
                return cfg
        if existing:
            raise ConfigError(
                f"demo_config: {folder} already holds a study ({len(existing)} files, e.g. "
                f"{existing[0].name}) that is not the demo of seed {seed}; its raw files would "
                f"be overwritten. Choose another folder, or pass --regenerate to write the demo "
                f"over it.")
    write_demo(generate_demo(seed), folder)
    return cfg
