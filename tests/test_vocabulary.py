"""One vocabulary (docs/VOCABULARY.md) on every table the demo study writes and on the public
functions' parameters."""
import inspect
import re

import pandas as pd
import pytest

from shnro_research._checks import TIDY_COLUMNS

FORBIDDEN = {
    "effect": "est", "index": "est", "mean": "est", "lower": "ci_low", "upper": "ci_high",
    "ci_lower": "ci_low", "ci_upper": "ci_high", "lo": "ci_low", "hi": "ci_high",
    "pval": "p_value", "p": "p_value", "p_adj": "p_adjusted", "p_holm": "p_adjusted",
    "cluster": "school_id", "alpha": "level", "ci_level": "level", "conf_level": "level",
}
GROUPS = {"students", "parents", "teachers"}
#: tables where ``value`` is the raw value of a cell (docs/VOCABULARY.md)
RAW_VALUE_TABLES = {"problems", "exclusions"}


def _raw_value_table(name: str) -> bool:
    """The problems and exclusions logs (of responses and of every input table)."""
    return name in RAW_VALUE_TABLES or name.endswith(("_problems", "_exclusions"))


#: tables that are the raw inputs as read (their columns are the instruments' ids)
RAW_COPIES = {"passport", "students_clean", "parents_clean", "teachers_clean"}


@pytest.fixture(scope="module")
def tables(demo_run):
    study, _ = demo_run
    out = {}
    for p in sorted(study.output.rglob("*.parquet")):
        out[f"{p.parent.name}/{p.stem}"] = pd.read_parquet(p)
    assert len(out) > 50
    return out


def test_no_forbidden_column_names(tables):
    bad = {name: [f"{c} -> {FORBIDDEN[c]}" for c in df.columns if c in FORBIDDEN]
           for name, df in tables.items()}
    bad.update({name: ["value (only the raw value of a problem)"] for name, df in tables.items()
                if "value" in df.columns and not _raw_value_table(name.split("/")[1])})
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def test_group_is_the_respondent_group_only(tables):
    bad = {name: sorted(set(df["group"].dropna().astype(str)) - GROUPS)
           for name, df in tables.items() if "group" in df.columns}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def test_level_is_a_confidence_level_only(tables):
    for name, df in tables.items():
        if "level" in df.columns:
            lv = pd.to_numeric(df["level"], errors="coerce")
            assert lv.notna().all() and lv.between(0.5, 1, inclusive="neither").all(), name


def test_proportions_are_0_1_and_percents_say_pct(tables):
    share_like = re.compile(r"^(share|prop|sh_)|(_share|_prop)$")
    for name, df in tables.items():
        for c in df.columns:
            col = pd.to_numeric(df[c], errors="coerce") if df[c].dtype != bool else None
            if col is None or col.notna().sum() == 0:
                continue
            if c.endswith("_pct"):
                assert col.dropna().between(-100, 100).all(), (name, c)
            elif share_like.search(c) or c in ("p_value", "p_adjusted"):
                assert col.dropna().between(0, 1).all(), (name, c, col.max())
            assert not c.startswith("pct_"), (name, c, "percents end in _pct")


def test_estimate_columns_in_vocabulary_order(tables):
    for name, df in tables.items():
        present = [c for c in df.columns if c in TIDY_COLUMNS]
        assert present == [c for c in TIDY_COLUMNS if c in present], (name, present)


def test_adjusted_p_names_its_method(tables):
    for name, df in tables.items():
        if "p_adjusted" in df.columns:
            assert "adjust_method" in df.columns, name


PARAM_FORBIDDEN = {"ci_level": "level", "conf_level": "level", "random_state": "seed",
                   "cluster": "school", "p_adjust": "adjust"}


def _public_functions():
    import importlib
    mods = ["shnro_research.scoring", "shnro_research.design", "shnro_research.models",
            "shnro_research.context", "shnro_research.typology", "shnro_research.dynamics",
            "shnro_research.indicators", "shnro_research.responses", "shnro_research.io",
            "shnro_research.results", "shnro_research.student_ses", "shnro_research.forms",
            "shnro_research.climate", "shnro_research.resilience_profile",
            "shnro_research.instruments"]
    for m in mods:
        mod = importlib.import_module(m)
        for name in getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")]):
            obj = getattr(mod, name, None)
            if inspect.isfunction(obj) and obj.__module__.startswith("shnro_research"):
                yield f"{m}.{name}", obj


def test_public_parameters_use_the_vocabulary():
    bad = []
    for name, fn in _public_functions():
        for p in inspect.signature(fn).parameters:
            if p in PARAM_FORBIDDEN:
                bad.append(f"{name}({p} -> {PARAM_FORBIDDEN[p]})")
    assert not bad, bad
