"""Figures: each builds from a tidy table and saves PNG/SVG/PDF identically on rerun."""
import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import DataError
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
            "category": ["здоровье", "семья", "здоровье", "семья"],
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


def test_figures_of_the_statistics_tables():
    """The dynamics and indicator figures live here; the statistics modules draw nothing."""
    from matplotlib.figure import Figure
    trend = pd.DataFrame({"wave": [2022, 2024] * 2, "group": ["students"] * 2 + ["parents"] * 2,
                          "variable": "tension", "est": [50.0, 45, 40, 41],
                          "ci_low": [47.0, 42, 37, 38], "ci_high": [53.0, 48, 43, 44]})
    fig = F.plot_trend(trend, lang="en")
    assert isinstance(fig, Figure) and len(fig.axes[0].collections) == 2      # one band per group
    changes = pd.DataFrame({"school_id": ["A", "B", "C"], "group": "students", "variable": "tension",
                            "est": [-5.0, 1, 0.5], "ci_low": [-8.0, -2, -1], "ci_high": [-2.0, 4, 2],
                            "classification": ["positive", "no change", "no change"]})
    fig = F.plot_change(changes, lang="en")
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) >= 2
    ind = pd.DataFrame({"indicator": ["a", "a", "b"], "year": [2023, 2024, 2024],
                        "est": [40.0, 55, 3.0], "target": [50.0, 50, np.nan],
                        "achievement": ["partly achieved", "achieved", "no target"],
                        "target_ratio": [0.8, 1.1, np.nan], "name_ru": ["А", "А", "Б"],
                        "name_en": ["A", "A", "B"], "unit": "%"})
    fig = F.plot_achievement(ind, lang="en")
    assert len(fig.axes[0].patches) == 2                                       # the 2024 rows
    assert isinstance(F.plot_indicator_trends(ind), Figure)


def test_statistics_modules_do_not_import_matplotlib():
    import subprocess
    import sys
    code = ("import sys; import shnro_research.dynamics, shnro_research.indicators, "
            "shnro_research.typology, shnro_research.context, shnro_research._stats; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
