"""Figures: each builds from a tidy table and saves PNG/SVG/PDF identically on rerun."""
import numpy as np
import pandas as pd
import pytest

from shnro_research._checks import DataError
from shnro_research.report import figures as F


@pytest.fixture
def schools():
    rng = np.random.default_rng(1)
    c = rng.normal(size=30)
    return pd.DataFrame({"school_id": [f"S{i:02d}" for i in range(30)], "context": c,
                         "result": 50 + 5 * c + rng.normal(size=30),
                         "resilient": [i < 3 for i in range(30)]})


def _figures(schools):
    return {
        "scatter": F.results_vs_context(schools),
        "tension": F.tension_by_school(pd.DataFrame({
            "school_id": ["A", "A", "B", "B"], "group": ["students", "teachers"] * 2,
            "est": [60, 40, 30, 35], "ci_low": [55, 33, 25, 30], "ci_high": [65, 47, 35, 40]}),
            thresholds=[50]),
        "values": F.value_hierarchies(pd.DataFrame({
            "value": ["здоровье", "семья", "здоровье", "семья"],
            "group": ["students", "students", "parents", "parents"], "mean_rank": [3.1, 4.2, 1.5, 2.0]})),
        "dyn": F.dynamics(pd.DataFrame({"wave": [2022, 2023, 2024] * 2, "group": ["students"] * 3 + ["parents"] * 3,
                                        "est": [1, 2, 3, 2, 2, 2], "ci_low": [0, 1, 2, 1, 1, 1],
                                        "ci_high": [2, 3, 4, 3, 3, 3]})),
        "cat": F.caterpillar(schools.assign(est=schools.result - 50, ci_low=schools.result - 52,
                                            ci_high=schools.result - 48), highlight=["S01"]),
    }


def test_all_figures_build_and_save_identically(tmp_path, schools):
    again = _figures(schools)
    for name, fig in _figures(schools).items():
        paths = F.save_figure(fig, tmp_path / name)
        assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
        second = F.save_figure(again[name], tmp_path / (name + "_again"))
        for p, q in zip(paths, second):
            assert p.read_bytes() == q.read_bytes(), p


def test_missing_column_is_named(schools):
    with pytest.raises(DataError, match="context"):
        F.results_vs_context(schools.drop(columns="context"))
