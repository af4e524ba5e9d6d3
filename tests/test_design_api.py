"""shnro_research.design: checks at construction, weights, sampling, pipeline entry point, CLI."""
import argparse

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research import design as sd
from shnro_research._checks import DataError, ParameterError
from shnro_research.errors import DesignWarning


def _school_data(seed=3, n_schools=12, classes=3, pupils=10):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_schools):
        eff = rng.normal(0, 5)
        for c in range(classes):
            for _ in range(pupils):
                rows.append({"mun": s % 3, "school_id": f"S{s}", "class_id": f"S{s}-{c}",
                             "class_no": c, "y": 50 + eff + rng.normal(0, 10),
                             "q": rng.choice(["yes", "no", "maybe"]),
                             "opt_a": rng.integers(0, 2), "opt_b": rng.integers(0, 2),
                             "group": rng.choice(["student", "parent"]), "wave": 1 + (c % 2),
                             "w": rng.uniform(5, 15)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data():
    return _school_data()


@pytest.fixture(scope="module")
def design(data):
    return sd.survey_design(data, ids=["school_id", "class_id"], strata="mun", weight="w")


# ------------------------------------------------------------------ construction checks
def test_class_in_two_schools_is_an_error(data):
    with pytest.raises(DataError, match="class_no.*several 'school_id'.*nest=True"):
        sd.survey_design(data, ids=["school_id", "class_no"], weight="w")
    d = sd.survey_design(data, ids=["school_id", "class_no"], weight="w", nest=True)
    d2 = sd.survey_design(data, ids=["school_id", "class_id"], weight="w")
    assert d.stages[1].n_clusters == d2.stages[1].n_clusters == 36


def test_psu_in_two_strata_is_an_error(data):
    bad = data.assign(mun=np.where(data.index % 2 == 0, 0, 1))
    with pytest.raises(DataError, match="occurs in several strata.*nest=True"):
        sd.survey_design(bad, ids="school_id", strata="mun", weight="w")
    sd.survey_design(bad, ids="school_id", strata="mun", weight="w", nest=True)


@pytest.mark.parametrize("value", [0.0, -1.0, np.inf, np.nan])
def test_bad_weights(data, value):
    bad = data.copy()
    bad.loc[5, "w"] = value
    with pytest.raises(DataError, match="weight"):
        sd.survey_design(bad, ids="school_id", weight="w")


def test_fpc_checks(data):
    d = data.assign(N1=np.where(data.index == 0, 30, 40))
    with pytest.raises(DataError, match="varies within"):
        sd.survey_design(d, ids="school_id", strata="mun", weight="w", fpc="N1")
    d = data.assign(N1=2)
    with pytest.raises(DataError, match="more than 100%"):
        sd.survey_design(d, ids="school_id", strata="mun", weight="w", fpc="N1")
    d = data.assign(N1=np.where(data.mun == 0, 0.5, 20.0))
    with pytest.raises(DataError, match="mix population counts"):
        sd.survey_design(d, ids="school_id", strata="mun", weight="w", fpc="N1")
    with pytest.raises(ParameterError, match="one entry per stage"):
        sd.survey_design(data, ids=["school_id", "class_id"], weight="w", fpc="w")


def test_parameter_errors(data):
    with pytest.raises(ParameterError, match="lonely_psu"):
        sd.survey_design(data, ids="school_id", weight="w", lonely_psu="skip")
    with pytest.raises(DataError, match="not found"):
        sd.survey_design(data, ids="school", weight="w")
    with pytest.raises(ParameterError, match="^survey_design: give either 'weight' or 'probs'"):
        sd.survey_design(data, weight="w", probs="w")
    with pytest.raises(ParameterError, match="DataFrame"):
        sd.survey_design(data.to_dict(), weight="w")
    d = sd.survey_design(data, ids="school_id", weight="w")
    with pytest.raises(ParameterError, match="'ci'"):
        sd.svy_mean(d, "y", ci="z")
    with pytest.raises(DataError, match="numeric"):
        sd.svy_mean(d, "q")
    with pytest.raises(ParameterError, match="'design'"):
        sd.svy_mean(data, "y")


def test_missing_values_rule(data):
    d0 = data.copy()
    d0.loc[[1, 7, 30], "y"] = np.nan
    des = sd.survey_design(d0, ids="school_id", weight="w")
    m = sd.svy_mean(des, "y")
    assert m.n[0] == len(d0) - 3
    keep = d0.y.notna()
    assert_allclose(m.est[0], np.average(d0.y[keep], weights=d0.w[keep]), rtol=1e-12)
    with pytest.raises(DataError, match="missing"):
        sd.svy_mean(des, "y", missing="fail")


def test_equal_probability_warning(data):
    with pytest.warns(DesignWarning, match="assuming equal probability"):
        sd.survey_design(data, ids="school_id")


# ------------------------------------------------------------------ estimates
def test_domain_not_by_filtering(design, data):
    """Domain SE uses the whole design: differs from the SE of the filtered subset."""
    by = sd.svy_mean(design, "y", by="group")
    sub = data[data.group == "parent"]
    alone = sd.svy_mean(sd.survey_design(sub, ids=["school_id", "class_id"], strata="mun", weight="w"), "y")
    row = by[by.group == "parent"].iloc[0]
    assert_allclose(row.est, alone.est[0], rtol=1e-12)
    assert row.df == design.degf()


def test_estimate_by_pipeline(design):
    t = sd.estimate_by(design, ["y", "q"], by=["school_id", "group", "wave"])
    assert list(t.columns[:5]) == ["variable", "category", "school_id", "group", "wave"]
    assert list(t.columns[5:]) == ["est", "se", "ci_low", "ci_high", "df", "n", "n_eff", "deff"]
    means = t[t.variable == "y"]
    assert len(means) == 12 * 2 * 2
    props = t[t.variable == "q"]
    s = props.groupby(["school_id", "group", "wave"]).est.sum()
    assert_allclose(s, 1.0, rtol=1e-12)
    assert (t.ci_low <= t.est).all() and (t.est <= t.ci_high).all()


def test_multiresponse(design, data):
    m = sd.svy_multiresponse(design, ["opt_a", "opt_b"])
    assert_allclose(m.est, [np.average(data.opt_a, weights=data.w), np.average(data.opt_b, weights=data.w)],
                    rtol=1e-12)
    bad = data.assign(opt_a=2)
    with pytest.raises(DataError, match="0/1"):
        sd.svy_multiresponse(sd.survey_design(bad, ids="school_id", weight="w"), ["opt_a"])


def test_total_of_ones_is_weight_sum(design, data):
    t = sd.svy_total(design.with_weights(design.weights), "wave")
    assert_allclose(t.est[0], (data.w * data.wave).sum(), rtol=1e-12)


# ------------------------------------------------------------------ weights
def test_nonresponse_adjust_keeps_cell_totals(data):
    d = data.assign(resp=(np.arange(len(data)) % 4 != 0))
    w = sd.nonresponse_adjust(d, "w", responded="resp", cells="class_id")
    assert (w[~d.resp] == 0).all()
    assert_allclose(w.groupby(d.class_id).sum(), d.w.groupby(d.class_id).sum(), rtol=1e-12)
    d.loc[d.class_id == "S0-0", "resp"] = False
    with pytest.raises(DataError, match="S0-0.*no respondent"):
        sd.nonresponse_adjust(d, "w", responded="resp", cells="class_id")


def test_base_weights(data):
    d = data.assign(p1=0.25, p2=0.5)
    assert_allclose(sd.base_weights(d, ["p1", "p2"]), 8.0)
    with pytest.raises(DataError, match="\\(0, 1\\]"):
        sd.base_weights(d.assign(p1=1.5), ["p1"])


def test_rake_school_grade_sex(design, data):
    margins = {"group": {"parent": 3000, "student": 5000}, "wave": {1: 4500, 2: 3500}}
    dr = sd.rake(design, margins)
    for var, tab in margins.items():
        got = pd.Series(dr.weights).groupby(data[var].to_numpy()).sum()
        assert_allclose(got[list(tab)].to_numpy(), list(tab.values()), rtol=1e-6)
    with pytest.raises(DataError, match="same population"):
        sd.rake(design, {"group": {"parent": 1, "student": 2}, "wave": {1: 5, 2: 5}})
    with pytest.raises(DataError, match="no population total"):
        sd.rake(design, {"group": {"parent": 1.0}})
    diag = sd.weight_diagnostics(dr)
    assert_allclose(diag["n_eff"], dr.weights.sum() ** 2 / (dr.weights ** 2).sum())
    assert_allclose(diag["deff"], len(data) / diag["n_eff"], rtol=1e-12)
    assert list(diag.columns) == ["n", "weight_sum", "weight_min", "weight_max", "weight_mean",
                                  "cv", "max_min_ratio", "n_eff", "deff"]


def test_trim_strict(design):
    t = sd.trim_weights(design, upper=12, strict=True)
    assert t.weights.max() <= 12 + 1e-9
    assert_allclose(t.weights.sum(), design.weights.sum(), rtol=1e-12)
    with pytest.raises(ParameterError, match="lower"):
        sd.trim_weights(design, upper=5, lower=6)


# ------------------------------------------------------------------ sampling
@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    schools = pd.DataFrame({"school_id": [f"s{i}" for i in range(200)],
                            "mun": np.repeat(["A", "B", "C", "D"], 50),
                            "enrol": rng.integers(80, 1500, 200)})
    schools.loc[0, "enrol"] = 40000  # certainty school
    classes = pd.DataFrame([{"school_id": s, "class_id": f"{s}-{k}"}
                            for s, e in zip(schools.school_id, schools.enrol) for k in range(max(1, e // 100))])
    return schools, classes


def test_draw_sample_reproducible_and_weights(frame):
    schools, classes = frame
    a = sd.draw_sample(schools, size="enrol", stratum="mun", n_schools=5, classes=classes, seed=42)
    b = sd.draw_sample(schools, size="enrol", stratum="mun", n_schools=5, classes=classes, seed=42)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("stratum").school_id.nunique().eq(5).all()
    assert a.loc[a.school_id == "s0", "certainty"].all()
    assert_allclose(a.weight, 1 / (a.pi1 * a.pi2))
    # pi1 = n M_i / sum M in a stratum without certainty units; in A, s0 is taken and 4 remain
    b_tot = schools.loc[schools.mun == "B", "enrol"].sum()
    sb = a[a.stratum == "B"]
    assert_allclose(sb.pi1, 5 * sb.enrol / b_tot, rtol=1e-12)
    a_rest = schools.loc[(schools.mun == "A") & (schools.school_id != "s0"), "enrol"].sum()
    sa = a[(a.stratum == "A") & (a.school_id != "s0")]
    assert_allclose(sa.pi1, 4 * sa.enrol / a_rest, rtol=1e-12)
    c = sd.draw_sample(schools, size="enrol", stratum="mun", n_schools=5, classes=classes, seed=43)
    assert not a.school_id.equals(c.school_id)


def test_pps_inclusion_probabilities_empirical():
    size = np.array([1, 2, 3, 4, 10, 20], float)
    rng = np.random.default_rng(1)
    counts = np.zeros(6)
    for _ in range(4000):
        idx, _ = sd.pps_systematic(size, 2, rng)
        counts[idx] += 1
    pi = 2 * size / size.sum()
    assert_allclose(counts / 4000, pi, atol=0.03)


def test_srs_sample_and_fpc_design(frame):
    schools, classes = frame
    s = sd.draw_sample(schools, stratum="mun", n_schools=4, method="srs", classes=classes, n_classes=2, seed=7)
    assert_allclose(s.pi1, 4 / 50)
    d = sd.survey_design(s.assign(y=1.0), ids=["school_id", "class_id"], strata="stratum",
                         fpc=["N1", "N2"], lonely_psu="certainty")
    assert_allclose(d.weights, s.weight, rtol=1e-12)
    with pytest.raises(ParameterError, match="'size'"):
        sd.draw_sample(schools, n_schools=3)


def test_plan_sample_size():
    p = sd.plan_sample_size(0.05, icc=0.1, cluster_size=25, p=0.5)
    assert_allclose(p.deff[0], 3.4)
    assert p.n_srs[0] == 385 and p.n[0] == int(np.ceil(1.959963984540054 ** 2 * 0.25 / 0.0025 * 3.4))
    assert p.clusters[0] == int(np.ceil(p.n[0] / 25))
    with pytest.raises(ParameterError, match="icc"):
        sd.plan_sample_size(0.05, icc=1.5, cluster_size=25)


# ------------------------------------------------------------------ CLI
def test_cli_estimate(tmp_path, data, capsys):
    from shnro_research.cli import estimate as cli_estimate
    path = tmp_path / "resp.csv"
    data.to_csv(path, index=False)
    parser = argparse.ArgumentParser()
    cli_estimate.add_arguments(parser)
    out = tmp_path / "est.csv"
    args = parser.parse_args([str(path), "--vars", "y", "q", "--by", "school_id", "wave",
                              "--ids", "school_id", "class_id", "--strata", "mun", "--weights", "w",
                              "--out", str(out)])
    assert cli_estimate.run(args) == 0
    t = pd.read_csv(out)
    assert {"est", "se", "ci_low", "deff"} <= set(t.columns) and len(t) == 12 * 2 * 4
    args = parser.parse_args([str(tmp_path / "none.csv"), "--vars", "y"])
    with pytest.raises(ParameterError, match="not found"):
        cli_estimate.run(args)


def test_quantile_by_domain_and_replicate_pipeline(design, data):
    q = sd.svy_quantile(design, "y", [0.5], by="group")
    for g, row in q.set_index("group").iterrows():
        sub = data[data.group == g]
        order = np.argsort(sub.y.to_numpy())
        cw = np.cumsum(sub.w.to_numpy()[order]) / sub.w.sum()
        assert row.est == sub.y.to_numpy()[order][np.argmax(cw >= 0.5)]
        assert row.ci_low <= row.est <= row.ci_high
    rep = sd.as_replicate(sd.survey_design(data, ids="school_id", strata="mun", weight="w"), "JKn")
    t = sd.estimate_by(rep, ["y"], by=["group"])
    taylor = sd.estimate_by(sd.survey_design(data, ids="school_id", strata="mun", weight="w"), ["y"], by=["group"])
    assert_allclose(t.est, taylor.est, rtol=1e-12)
    assert_allclose(t.se, taylor.se, rtol=0.2)  # jackknife ~ linearisation


def test_design_and_glm_summaries(design, data):
    text = design.summary()
    assert isinstance(text, str)
    for word in ("Survey design", "school_id + class_id", "mun", "No. observations",
                 str(design.n), "Design df", str(design.degf()), "Stages"):
        assert word in text
    g = design.glance()
    assert len(g) == 1 and g["n"].item() == design.n and g["df"].item() == design.degf()
    assert list(design.tidy()["stage"]) == [1, 2]
    fit = sd.svy_glm(design, "y ~ wave")
    text = fit.summary()
    tab = fit.tidy()
    for term, est in zip(tab["term"], tab["est"]):
        assert term in text and f"{est:.4f}" in text
    for word in ("svyglm", "y ~ wave", "gaussian", "Residual df", "design-based"):
        assert word in text
    assert fit.glance()["groups"].item() == design.n_psu
    assert (fit.tidy(level=0.5)["ci_high"] < tab["ci_high"]).all()
    rep = sd.as_replicate(design, "JKn")
    assert "Replicate" in rep.summary() and rep.glance()["replicates"].item() == design.n_psu


def test_old_parameter_names_still_work(data):
    with pytest.warns(FutureWarning, match="'weights' is renamed 'weight'"):
        old = sd.survey_design(data, ids="school_id", weights="w")
    new = sd.survey_design(data, ids="school_id", weight="w")
    assert_allclose(old.weights, new.weights)
    with pytest.raises(ParameterError, match="^svy_mean: 'level' must be < 1; got 95"):
        sd.svy_mean(new, "y", level=95)
