"""Provenance of an output folder: input hashes, package versions, parameters, seed.

Each stage of a study run writes ``<stage>/_stage.json`` with the key of its inputs (hashes of
files read, parameters, the keys of the stages it builds on and the package version); a rerun
whose key is unchanged and whose outputs are intact skips the stage. The run writes
``manifest.json`` at the top of the output folder.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

PACKAGES = ("shnro_research", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn",
            "matplotlib", "seaborn", "pingouin", "pyreadstat", "openpyxl", "python-docx",
            "pyarrow", "PyYAML")


def file_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            b = fh.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def json_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def code_hash(modules: Iterable[str]) -> str:
    """Hash of the source files of the given modules (a stage reruns when its code changes)."""
    h = hashlib.sha256()
    for name in sorted(modules):
        mod = sys.modules.get(name)
        if mod is None:
            import importlib
            mod = importlib.import_module(name)
        files = []
        f = getattr(mod, "__file__", None)
        if f and f.endswith("__init__.py"):
            files = sorted(Path(f).parent.rglob("*.py"))
        elif f:
            files = [Path(f)]
        for p in files:
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def write_json(path: str | Path, obj: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2, default=str)
                    + "\n", encoding="utf-8")
    return path
