"""Real-data analyses: PISA 2003 Russia and Moscow ЕГЭ 2015-16 … 2017-18 (../shared/data)."""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.cli.realdata import (
    add_moscow_arguments,
    add_pisa_arguments,
    run_moscow,
    run_pisa,
)
from shnro_research.realdata import (
    default_data_dir,
    load_moscow_ege,
    load_pisa_russia,
    moscow_analysis,
    pisa_analysis,
)

DATA = default_data_dir()
pytestmark = pytest.mark.skipif(DATA is None, reason="../shared/data (real PISA / Moscow files) is absent")
REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def pisa():
    st, sc = load_pisa_russia(DATA, year=2003)
    return st, sc, pisa_analysis(st)


@pytest.fixture(scope="module")
def rref():
    ref = json.loads((REF / "context_typology.json").read_text())
    if "pisa" not in ref:
        pytest.skip("context_typology.json was generated without the PISA data")
    return ref["pisa"]


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


# ------------------------------------------------------------------ PISA
def test_pisa_sample(pisa):
    st, sc, _ = pisa
    assert len(st) == 5974 and st["school_id"].nunique() == 212     # SOURCES.md: RUS = 5,974 students
    assert len(sc) == 212 and set(sc["school_id"]) == set(st["school_id"])


def test_pisa_matches_r(pisa, rref):
    _, _, t = pisa
    g = t["gradient"].set_index("term")
    assert_allclose(g["est"], rref["coef"], rtol=1e-6)
    assert_allclose(g["se"], rref["se_cr1"], rtol=1e-6)          # sandwich::vcovCL(type = "HC1")
    s = t["summary"].set_index("statistic")["est"]
    assert_allclose(s["escs_r2"], rref["r2"], rtol=1e-6)
    v = t["variance"]
    # lme4 REML optimum: both optimisers stop at ~1e-6 relative change of theta -> rtol 1e-4
    assert_allclose(v.loc[0, ["var_between", "var_within"]].astype(float), rref["var_null"], rtol=1e-4)
    assert_allclose(v.loc[1, ["var_between", "var_within"]].astype(float), rref["var_escs"], rtol=1e-4)
    sr = t["school_regression"].set_index("term")
    assert_allclose(sr["est"], rref["school_coef"], rtol=1e-6)
    assert_allclose(sr["se"], rref["school_se_hc1"], rtol=1e-6)
    assert_allclose(sr["r2"].iloc[0], rref["school_r2"], rtol=1e-6)
    sch = t["schools"]
    assert len(sch) == rref["n_schools"]
    assert sorted(sch.loc[sch["resilient_residual"], "school_id"]) == sorted(np.atleast_1d(rref["resilient_residual"]))
    assert sorted(sch.loc[sch["resilient_quadrant"], "school_id"]) == sorted(np.atleast_1d(rref["resilient_quadrant"]))


def test_pisa_published_mean(pisa):
    """OECD (2004): Russian Federation mathematics mean 468 (S.E. 4.2). One PV, no BRR: ±3 points."""
    s = pisa[2]["summary"].set_index("statistic")
    assert abs(s.loc["mean_math", "est"] - 468) <= 3
    assert bool(s.loc["mean_math", "within_tolerance"])


def test_pisa_plausibility_bands(pisa):
    """Not a published check: broad bands around what the literature reports for Russia 2003.

    ESCS explains about a tenth of the variance of mathematics, the gradient is tens of points per
    unit, and roughly a third of the variance lies between schools. Bands are wide on purpose.
    """
    s = pisa[2]["summary"].set_index("statistic")["est"]
    assert 0.07 <= s["escs_r2"] <= 0.14
    assert 25 <= s["escs_slope"] <= 50
    assert 0.25 <= s["icc_between_school"] <= 0.45
    assert s["school_slope"] > s["escs_slope"]            # the school-level gradient is steeper


def test_pisa_cli(tmp_path):
    before = _digest(DATA / "pisa")
    p = add_pisa_arguments(argparse.ArgumentParser())
    args = p.parse_args(["--data-dir", str(DATA), "--out", str(tmp_path / "pisa")])
    assert run_pisa(args) == 0
    names = {f.name for f in (tmp_path / "pisa").glob("*.csv")}
    assert {"pisa_summary.csv", "pisa_gradient.csv", "pisa_variance.csv", "pisa_school_regression.csv",
            "pisa_schools.csv", "pisa_sensitivity.csv"} <= names
    assert _digest(DATA / "pisa") == before


# ------------------------------------------------------------------ Moscow
@pytest.fixture(scope="module")
def moscow():
    long, matching = load_moscow_ege(DATA)
    return long, matching, moscow_analysis(long)


def test_moscow_join(moscow):
    long, matching, _ = moscow
    assert long.groupby("year").size().to_dict() == {"2015-2016": 626, "2016-2017": 758, "2017-2018": 740}
    assert not long.duplicated(["school_key", "year"]).any()
    n_years = long.groupby("school_key")["year"].nunique()
    assert (n_years == 3).sum() >= 500
    # spot checks of the join (the source IDs differ between releases)
    k = long.loc[long["name"].str.contains("«Школа № 2109»", regex=False), "school_key"].unique()
    assert len(k) == 1 and n_years[k[0]] == 3
    k = long.loc[long["name"].str.contains("№ 1811", regex=False), ["school_key", "year"]]
    assert k["school_key"].nunique() == 1 and len(k) == 3        # «Гимназия № 1811» renamed «Школа № 1811»
    assert (long["n_220"] <= long["n_160"]).all()
    assert long.loc[long["year"] != "2015-2016", "n_total"].isna().all()
    assert matching["n"].sum() > 0


def test_moscow_measures_and_typology(moscow):
    long, _, t = moscow
    d = t["schools_long"]
    y16 = d[d["year"] == "2015-2016"]
    assert y16["share_220"].notna().all() and d.loc[d["year"] != "2015-2016", "share_220"].isna().all()
    assert_allclose(y16["share_220"], y16["n_220"] / y16["n_total"], rtol=1e-12)
    pc = t["proxy_check"].set_index("proxy")["spearman_with_share_220"]
    assert pc["ratio"] > 0.8 and pc["ratio"] > pc["count"]       # the size-free proxy tracks the share better
    for m in ("count", "ratio"):
        ty = t[f"typology_{m}"]
        assert ty["school_key"].is_unique
        assert set(ty["type"]) <= {"stably_low", "stably_high", "unstable", "other", "insufficient_years"}
        hi = ty[ty["type"] == "stably_high"]
        assert (hi["share_high"] == 1).all() and (hi["n_years"] == 3).all()
        assert (ty.loc[ty["type"] == "unstable", "n_changes"] >= 2).all()
        tm = t[f"transitions_{m}"]
        assert_allclose(tm.groupby("from_state")["share"].sum(), 1.0)
    assert t["typology_summary"]["n"].sum() == 2 * long["school_key"].nunique()


def test_moscow_cli(tmp_path):
    before = _digest(DATA / "moscow_ege")
    p = add_moscow_arguments(argparse.ArgumentParser())
    args = p.parse_args(["--data-dir", str(DATA), "--out", str(tmp_path / "m"), "--measures", "ratio"])
    assert run_moscow(args) == 0
    out = tmp_path / "m"
    assert (out / "moscow_typology_ratio.csv").is_file() and (out / "moscow_NOTES.md").is_file()
    assert not (out / "moscow_typology_count.csv").exists()
    ty = pd.read_csv(out / "moscow_typology_ratio.csv")
    assert len(ty) > 700
    assert _digest(DATA / "moscow_ege") == before
