"""Agreement indices against R multilevel 2.7 (multilevel_bhr2000 and scoring_agreement.json)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import ad_index, icc_anova, rwg, rwg_j, uniform_null_variance

REF = Path(__file__).parent / "reference"
BHR = pd.read_csv(REF / "multilevel_bhr2000" / "data.csv")
EXP = json.loads((REF / "multilevel_bhr2000" / "expected.json").read_text())
EXTRA = json.loads((REF / "scoring_agreement.json").read_text())
ITEMS = EXP["items"]


def holed():
    d = BHR.copy()
    i = np.arange(1, len(d) + 1)
    d.loc[i % 37 == 0, "AF07"] = np.nan
    d.loc[i % 53 == 0, "AP12"] = np.nan
    return d


def test_rwg_j_bhr2000():
    assert uniform_null_variance(EXP["options"]) == EXP["expected_uniform_variance"]
    r = rwg_j(BHR, ITEMS, EXP["group"], options=EXP["options"])
    assert_allclose(r["est"].mean(), EXP["rwg_j_mean"], rtol=1e-6)
    assert_allclose(r["est"].median(), EXP["rwg_j_median"], rtol=1e-6)
    first = r.set_index("GRP").loc[[int(g) for g in EXP["rwg_j_by_group_first_10"]], "est"]
    assert_allclose(first, list(EXP["rwg_j_by_group_first_10"].values()), rtol=1e-6)
    assert ((r["est"] >= 0) & (r["est"] <= 1)).all()


def test_icc_bhr2000():
    d = BHR.dropna(subset=ITEMS).copy()
    d["scale"] = d[ITEMS].mean(axis=1)
    ic = icc_anova(d, "scale", "GRP").set_index("measure")
    assert_allclose(ic.loc["icc1", "est"], EXP["icc1_of_scale_mean"], rtol=1e-6)
    assert_allclose(ic.loc["icc2", "est"], EXP["icc2_of_scale_mean"], rtol=1e-6)
    assert ic.loc["icc1", "n_groups"] == 99


def test_with_missing_as_multilevel():
    d = holed()
    r = rwg_j(d, ITEMS, "GRP", null_variance=2.0)
    assert list(r["GRP"]) == EXTRA["grpid"]
    assert_allclose(r["est"], EXTRA["rwg_j"], rtol=1e-6)
    assert list(r["n"]) == EXTRA["rwg_j_gsize"]
    r1 = rwg(d, "AF07", "GRP", options=5)
    assert_allclose(r1["est"], EXTRA["rwg_af07"], rtol=1e-6)
    assert list(r1["n"]) == EXTRA["rwg_af07_gsize"]
    # truncation: observed variance above the null -> 0 (5 groups here)
    r15 = rwg(d, "AF06", "GRP", null_variance=1.5)
    assert_allclose(r15["est"], EXTRA["rwg_af06_ranvar15"], rtol=1e-6, atol=1e-12)
    assert (r15["est"] == 0).sum() == 5
    assert_allclose(ad_index(d, ITEMS, "GRP")["est"], EXTRA["ad_mean"], rtol=1e-6)
    assert_allclose(ad_index(d, ITEMS, "GRP", center="median")["est"], EXTRA["ad_median"], rtol=1e-6)
    assert_allclose(ad_index(d, "AF07", "GRP")["est"], EXTRA["ad_af07"], rtol=1e-6)
    ic = icc_anova(d, "AF07", "GRP").set_index("measure")["est"]
    assert_allclose(ic.loc["icc1"], EXTRA["icc1_af07"], rtol=1e-6)
    assert_allclose(ic.loc["icc2"], EXTRA["icc2_af07"], rtol=1e-6)
    d["scale"] = d[ITEMS].mean(axis=1, skipna=False)
    ic = icc_anova(d, "scale", "GRP").set_index("measure")["est"]
    assert_allclose(ic.loc[["icc1", "icc2"]], [EXTRA["icc1_scale"], EXTRA["icc2_scale"]], rtol=1e-6)


def test_lindell_and_k0_and_singletons():
    d = pd.DataFrame({"g": [1, 1, 1, 2, 3, 3], "x": [1, 5, 1, 3, 2, 2], "y": [5, 1, 5, 3, 2, 3]})
    r = rwg_j(d, ["x", "y"], "g", options=5)
    assert np.isnan(r.loc[r.g == 2, "est"]).all()            # a group of one
    g1 = r[r.g == 1].iloc[0]
    assert g1.est == 0 and g1.rwg_lindell < 0                 # truncated vs Lindell
    assert_allclose(g1.rwg_lindell, 1 - g1.mean_var / 2.0)
    ic_mean = icc_anova(d, "x", "g").est.iloc[0]
    ic_k0 = icc_anova(d, "x", "g", group_size="k0").est.iloc[0]
    assert ic_mean != ic_k0


def test_bad_input():
    with pytest.raises(ParameterError, match="options"):
        rwg_j(BHR, ITEMS, "GRP")
    with pytest.raises(ParameterError, match="exactly one"):
        rwg_j(BHR, ITEMS, "GRP", options=5, null_variance=2)
    with pytest.raises(ParameterError, match="options"):
        rwg(BHR, "AF06", "GRP", options=1)
    with pytest.raises(DataError, match="NOPE"):
        rwg_j(BHR, ITEMS + ["NOPE"], "GRP", options=5)
    with pytest.raises(ParameterError, match="center"):
        ad_index(BHR, ITEMS, "GRP", center="mode")
    with pytest.raises(DataError, match="2 groups"):
        icc_anova(BHR.assign(one=1), "AF06", "one")
