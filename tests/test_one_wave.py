"""A municipality's first wave: one survey year, one results year. Every stage runs; the
results-on-context and climate models fall back to OLS with HC1 (a school intercept is not
identifiable from one row per school) and say so; change tables that need two waves are absent."""
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def one_wave(tmp_path_factory):
    from shnro_research.demo import generate_demo, write_demo
    from shnro_research.pipeline import load_study, run_study
    folder = tmp_path_factory.mktemp("one_wave")
    write_demo(generate_demo(11, waves=(2024,)), folder, format="parquet")
    study = load_study(folder / "study.yaml")
    return study, run_study(study, progress=False)


def test_every_stage_runs(one_wave):
    study, results = one_wave
    assert [r.status for r in results] == ["ran"] * len(results)
    assert (study.output / "08_report" / "report.html").exists()


def test_results_on_context_is_ols_with_one_year(one_wave):
    study, _ = one_wave
    out = study.output / "06_models"
    fx = pd.read_parquet(out / "results_model_fixed.parquet")
    assert "wellbeing_index" in set(fx.term) and not fx.term.str.startswith("C(year)").any()
    var = pd.read_parquet(out / "results_model_variance.parquet")
    assert list(var.component) == ["residual"] and var.share.iloc[0] == 1.0
    eff = pd.read_parquet(out / "school_effects.parquet")
    assert (eff.n == 1).all() and eff.ci_low.isna().all()
    cm = pd.read_parquet(out / "climate_results_model.parquet")
    assert cm.note.str.contains("OLS with HC1").all()
    assert not (out / "climate_change_on_change.parquet").exists()


def test_same_estimates_as_the_per_year_regression(one_wave):
    """With one year the pooled model is the year's OLS: the same coefficients and HC1 SEs."""
    study, _ = one_wave
    out = study.output / "06_models"
    fx = pd.read_parquet(out / "results_model_fixed.parquet").set_index("term")
    per_year = pd.read_parquet(out / "context_regression.parquet").set_index("term")
    for col in ("est", "se"):
        assert fx.loc["wellbeing_index", col] == pytest.approx(
            per_year.loc["wellbeing_index", col], rel=1e-10)
