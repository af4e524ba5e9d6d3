"""Helpers of tests/test_streaming.py and tests/test_engine_dask.py: run the reading, scoring and
design stages of one small demo study under two engine settings and compare every table."""
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

STAGES = ["instruments", "responses", "scoring", "design"]
FOLDERS = ["02_responses", "03_scoring", "04_design"]


def make_study(folder: Path, n_schools: int = 24, waves=(2023, 2024)) -> Path:
    from shnro_research.demo import generate_demo, write_demo
    write_demo(generate_demo(20240501, n_schools=n_schools, n_sampled=n_schools, waves=waves),
               folder, format="parquet")
    return folder / "study.yaml"


def run_with(cfg: Path, name: str, engine: dict | None) -> Path:
    """Run the stages with the ``engine:`` block ``engine`` into ``<study>/<name>``."""
    from shnro_research.pipeline.runner import run_study
    raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    raw["output"] = name
    if engine is not None:
        raw["engine"] = engine
    other = cfg.with_name(f"study_{name}.yaml")
    other.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run_study(other, stages=STAGES, force=True, progress=False)
    return cfg.parent / name


def compare_outputs(a: Path, b: Path, rtol: float = 1e-10) -> int:
    """Assert that every parquet table of the compared stages is equal (numbers at ``rtol``);
    return how many tables were compared."""
    n = 0
    for folder in FOLDERS:
        names = sorted(p.name for p in (a / folder).glob("*.parquet"))
        assert names == sorted(p.name for p in (b / folder).glob("*.parquet")), folder
        for name in names:
            x = pd.read_parquet(a / folder / name)
            y = pd.read_parquet(b / folder / name)
            assert list(x.columns) == list(y.columns), f"{folder}/{name}: columns differ"
            assert len(x) == len(y), f"{folder}/{name}: {len(x)} rows vs {len(y)}"
            for c in x.columns:
                if pd.api.types.is_numeric_dtype(x[c]) and pd.api.types.is_numeric_dtype(y[c]):
                    np.testing.assert_allclose(y[c].to_numpy(float), x[c].to_numpy(float),
                                               rtol=rtol, atol=0, equal_nan=True,
                                               err_msg=f"{folder}/{name}: column {c}")
                else:
                    assert x[c].astype(str).tolist() == y[c].astype(str).tolist(), \
                        f"{folder}/{name}: column {c}"
            n += 1
    return n
