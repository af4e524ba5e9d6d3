"""Tests of shnro_research.dynamics: change between waves, effect sizes, hierarchies.

R reference values: tests/reference/dynamics_effsize.R -> dynamics_effsize.json.
"""
from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from shnro_research import dynamics as dyn
from shnro_research.errors import DataError, ParameterError
from shnro_research.report.figures import plot_change, plot_trend

REF = json.loads((Path(__file__).parent / "reference" / "dynamics_effsize.json").read_text())


# ------------------------------------------------------------------ simulated repeated cross-sections

def simulate_waves(n_schools=40, groups=("students", "parents", "teachers"), waves=(2022, 2023, 2024),
                   n_resp=100, planted=(), delta=0.8, seed=1):
    """Respondent-level data: a new sample per school x group x wave; ``planted`` schools get a
    mean shift of ``delta`` (SD units) in the last wave, for every group."""
    rng = np.random.default_rng(seed)
    rows = []
    mu = rng.normal(3, 0.4, size=(n_schools, len(groups)))
    for s in range(n_schools):
        for gi, g in enumerate(groups):
            for w in waves:
                shift = delta if (s in planted and w == waves[-1]) else 0.0
                y = rng.normal(mu[s, gi] + shift, 1.0, size=n_resp)
                rows.append(pd.DataFrame({"school_id": s, "group": g, "wave": w, "y": y}))
    return pd.concat(rows, ignore_index=True)


def srs_estimates(resp, by=("school_id", "group", "wave"), value="y"):
    g = resp.groupby(list(by))[value]
    out = g.agg(est="mean", sd="std", n="count").reset_index()
    out["se"] = out["sd"] / np.sqrt(out["n"])
    out["df"] = out["n"] - 1
    return out.drop(columns="sd")


def test_planted_changes_detected_and_no_false_positive_with_holm():
    planted = (3, 7, 11, 19)
    resp = simulate_waves(planted=planted, n_resp=150, seed=11)
    est = srs_estimates(resp)
    res = dyn.wave_change(est, by=["school_id", "group"], base=2022, compare=2024, adjust="holm")
    assert len(res) == 40 * 3
    assert (res["adjust_method"] == "holm").all()
    hit = res[res["school_id"].isin(planted)]
    assert (hit["classification"] == "positive").all()
    assert (hit["direction"] == "increase").all()
    rest = res[~res["school_id"].isin(planted)]
    # Holm controls the family-wise error rate at 5 %: with 108 null domains expect none
    assert (rest["classification"] != "no change").sum() <= 1
    # the same planted changes for a "lower is better" variable are negative changes
    res_low = dyn.wave_change(est.assign(variable="tension"), by=["school_id", "group"],
                              base=2022, compare=2024, better={"tension": "lower"})
    assert (res_low.loc[res_low["school_id"].isin(planted), "classification"] == "negative").all()


def test_false_positive_rate_is_nominal_unadjusted_and_fwer_with_holm():
    # 60 replicate municipalities x 50 null domains, small samples (n=12) -> t test needed
    rng = np.random.default_rng(2024)
    reps, domains, n = 60, 50, 12
    y1 = rng.normal(0, 1, size=(reps, domains, n))
    y2 = rng.normal(0, 1, size=(reps, domains, n))
    rows = []
    for w, y in ((1, y1), (2, y2)):
        rows.append(pd.DataFrame({
            "replicate": np.repeat(np.arange(reps), domains),
            "domain": np.tile(np.arange(domains), reps),
            "wave": w, "est": y.mean(axis=2).ravel(),
            "se": (y.std(axis=2, ddof=1) / np.sqrt(n)).ravel(), "df": n - 1}))
    est = pd.concat(rows, ignore_index=True)
    res = dyn.wave_change(est, by=["replicate", "domain"], adjust="none", test="t")
    m = len(res)
    lo, hi = stats.binom.ppf([0.0005, 0.9995], m, 0.05)
    k = int((res["p_value"] < 0.05).sum())
    assert lo <= k <= hi, (k, lo, hi)
    # the Welch df of two equal-variance samples lies between n-1 and 2(n-1)
    assert res["df"].between(n - 1, 2 * (n - 1)).all()
    # family-wise error with Holm inside each replicate: at most ~5 % of replicates
    res_h = dyn.wave_change(est, by=["replicate", "domain"], adjust="holm", family="replicate")
    fw = res_h.groupby("replicate")["classification"].apply(lambda s: (s != "no change").any())
    assert fw.sum() <= stats.binom.ppf(0.9995, reps, 0.05)
    # a z test on such small samples is anti-conservative, the t test is not
    res_z = dyn.wave_change(est, by=["replicate", "domain"], adjust="none", test="z")
    assert (res_z["p_value"] < 0.05).sum() > k


def test_wave_change_matches_r_z_and_t():
    c = REF["change"]
    est = pd.DataFrame({"wave": [1, 2], "est": [c["e1"], c["e2"]], "se": [c["s1"], c["s2"]],
                        "df": [c["d1"], c["d2"]]})
    t = dyn.wave_change(est, by=None, test="t")
    assert_allclose(t["est"], c["diff"], rtol=1e-12)
    assert_allclose(t["se"], c["se"], rtol=1e-12)
    assert_allclose(t["df"], c["df"], rtol=1e-10)
    assert_allclose(t["p_value"], c["t_p"], rtol=1e-8)
    assert_allclose(t[["ci_low", "ci_high"]].to_numpy().ravel(), c["t_ci"], rtol=1e-8)
    assert_allclose(t["mdc"], c["mdc_t"], rtol=1e-8)
    z = dyn.wave_change(est.drop(columns="df"), by=None)
    assert_allclose(z["p_value"], c["z_p"], rtol=1e-10)
    assert_allclose(z["mdc"], c["mdc_z"], rtol=1e-10)
    assert z["df"].isna().all()
    # significant decrease of a "higher is better" variable -> negative
    assert z.loc[0, "classification"] == "negative"
    # a minimum substantive change larger than the difference -> no change
    z2 = dyn.wave_change(est.drop(columns="df"), by=None, min_change=0.5)
    assert z2.loc[0, "classification"] == "no change"


def test_wave_change_pairs_missing_domains_and_se_diff():
    est = pd.DataFrame({"school_id": [1, 1, 1, 2, 2], "wave": [2022, 2023, 2024, 2022, 2023],
                        "est": [1.0, 1.2, 1.5, 2.0, 2.1], "se": [.1, .1, .1, .1, .1]})
    base = dyn.wave_change(est, by="school_id")
    assert len(base) == 4
    assert set(zip(base["wave_base"], base["wave_compare"])) == {(2022, 2023), (2022, 2024)}
    missing = base[(base["school_id"] == 2) & (base["wave_compare"] == 2024)]
    assert missing["classification"].tolist() == ["no data"]
    assert missing["p_adjusted"].isna().all()
    cons = dyn.wave_change(est, by="school_id", consecutive=True)
    assert set(zip(cons["wave_base"], cons["wave_compare"])) == {(2022, 2023), (2023, 2024)}
    # a design-based SE of the difference (shared PSUs) is used when supplied
    est2 = est.assign(se_diff=[np.nan, 0.05, np.nan, np.nan, np.nan])
    r = dyn.wave_change(est2, by="school_id", compare=2023)
    assert_allclose(r.loc[r["school_id"] == 1, "se"], 0.05)
    assert_allclose(r.loc[r["school_id"] == 2, "se"], np.sqrt(0.02))
    # key columns first, then the tidy vocabulary
    assert list(r.columns[:4]) == ["school_id", "wave_base", "wave_compare", "est"]


def test_wave_change_bad_input():
    est = pd.DataFrame({"school_id": [1, 1], "group": ["s", "s"], "wave": [1, 2],
                        "est": [1.0, 2.0], "se": [0.1, 0.1]})
    with pytest.raises(DataError, match="'group'|group"):
        dyn.wave_change(est.drop(columns="group"))
    with pytest.raises(DataError, match="more than one row"):
        dyn.wave_change(pd.concat([est, est]))
    with pytest.raises(ParameterError, match="'adjust'"):
        dyn.wave_change(est, adjust="tukey")
    with pytest.raises(ParameterError, match="'base'"):
        dyn.wave_change(est, base=1999)
    with pytest.raises(ParameterError, match="'better'"):
        dyn.wave_change(est, better="up")
    with pytest.raises(ParameterError, match="test='t'"):
        dyn.wave_change(est, test="t")
    with pytest.raises(DataError, match="negative standard errors"):
        dyn.wave_change(est.assign(se=[-1.0, 0.1]))
    with pytest.raises(DataError, match="two waves"):
        dyn.wave_change(est[est["wave"] == 1])


# ------------------------------------------------------------------ p.adjust vs R

@pytest.mark.parametrize("method", ["holm", "hochberg", "bonferroni", "BH", "BY", "fdr", "none"])
def test_p_adjust_matches_r(method):
    p = np.array([np.nan if v is None else v for v in REF["p"]], dtype=float)
    expected = np.array([np.nan if v is None else v for v in REF["p_adjust"][method]], dtype=float)
    assert_allclose(dyn.p_adjust(p, method), expected, rtol=1e-12, equal_nan=True)


def test_p_adjust_with_n_and_errors():
    p = np.array([np.nan if v is None else v for v in REF["p"]], dtype=float)
    expected = np.array([np.nan if v is None else v for v in REF["p_adjust_holm_n40"]], dtype=float)
    assert_allclose(dyn.p_adjust(p, "holm", n=40), expected, rtol=1e-12, equal_nan=True)
    with pytest.raises(ParameterError, match="'n'"):
        dyn.p_adjust([0.1, 0.2, 0.3], "holm", n=2)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        dyn.p_adjust([0.1, 1.2])
    with pytest.raises(ParameterError, match="'method'"):
        dyn.p_adjust([0.1], "sidak")


# ------------------------------------------------------------------ effect sizes vs R

@pytest.mark.parametrize("case", ["normal", "likert", "small", "disjoint", "treatment_control"])
def test_hedges_g_matches_r(case):
    c = REF["effect"][case]
    r = dyn.hedges_g(c["x"], c["y"], level=c["conf"])
    h = c["hedges"]
    assert_allclose([r["est"], r["d"], r["J"], r["se"], r["ci_low"], r["ci_high"]],
                    [h["g"], h["d"], h["J"], h["se"], h["lower"], h["upper"]], rtol=1e-9)


@pytest.mark.parametrize("case", ["normal", "likert", "small", "disjoint", "treatment_control"])
def test_cliff_delta_matches_r(case):
    c = REF["effect"][case]
    r = dyn.cliff_delta(c["x"], c["y"], level=c["conf"])
    e = c["cliff"]
    assert_allclose([r["est"], r["se"] ** 2, r["ci_low"], r["ci_high"]],
                    [e["delta"], e["var"], e["lower"], e["upper"]], rtol=1e-9, atol=1e-14)


def test_cliff_delta_against_dominance_matrix_and_symmetry():
    rng = np.random.default_rng(5)
    x, y = rng.integers(1, 6, 300), rng.integers(1, 6, 250)
    dom = np.sign(x[:, None] - y[None, :])
    r = dyn.cliff_delta(x, y)
    assert_allclose(r["est"], dom.mean(), rtol=1e-12)
    r2 = dyn.cliff_delta(y, x)
    assert_allclose(r2["est"], -r["est"], rtol=1e-12)
    assert_allclose([r2["ci_low"], r2["ci_high"]], [-r["ci_high"], -r["ci_low"]], rtol=1e-10)
    with pytest.raises(DataError, match="at least 2"):
        dyn.cliff_delta([1.0], [1.0, 2.0])
    with pytest.raises(DataError, match="zero variance"):
        dyn.hedges_g([1.0, 1.0], [2.0, 2.0])


def test_cramers_v_matches_r():
    c = REF["cramer"]
    d = pd.DataFrame({"wave": c["wave"], "answer": c["answer"]})
    r = dyn.cramers_v(d, "answer")
    assert_allclose([r["est"], r["statistic"], r["df"], r["p_value"]],
                    [c["all"]["V"], c["all"]["chisq"], c["all"]["df"], c["all"]["p"]], rtol=1e-9)
    r2 = dyn.cramers_v(d, "answer", waves=[2022, 2024])
    assert_allclose([r2["est"], r2["statistic"], r2["p_value"]],
                    [c["w2022_2024"]["V"], c["w2022_2024"]["chisq"], c["w2022_2024"]["p"]], rtol=1e-9)
    with pytest.raises(DataError, match="2 x|x 1|1 x"):
        dyn.cramers_v(d[d["wave"] == 2022], "answer")


def test_wave_effect_sizes_table():
    resp = simulate_waves(n_schools=4, groups=("students",), waves=(2022, 2024), n_resp=60,
                          planted=(0,), delta=1.0, seed=3)
    g = dyn.wave_effect_sizes(resp, "y", by="school_id")
    assert list(g.columns[:4]) == ["school_id", "wave_base", "wave_compare", "measure"]
    s0 = resp[resp["school_id"] == 0]
    ref = dyn.hedges_g(s0.loc[s0["wave"] == 2024, "y"], s0.loc[s0["wave"] == 2022, "y"])
    assert_allclose(g.loc[g["school_id"] == 0, "est"], ref["est"], rtol=1e-12)
    assert g.loc[0, "est"] > 0.5 and g.loc[0, "ci_low"] > 0
    c = dyn.wave_effect_sizes(resp, "y", by="school_id", measure="cliff_delta")
    assert c["est"].between(-1, 1).all()
    v = dyn.wave_effect_sizes(resp.assign(cat=(resp["y"] > 3).astype(int)), "cat", by="school_id",
                              measure="cramers_v")
    assert v["est"].between(0, 1).all() and "p_value" in v.columns
    small = dyn.wave_effect_sizes(resp.head(61), "y", by="school_id")
    assert small["est"].isna().all() and small["note"].str.contains("fewer than").all()
    with pytest.raises(ParameterError, match="'measure'"):
        dyn.wave_effect_sizes(resp, "y", measure="eta")


# ------------------------------------------------------------------ hierarchies

def test_hierarchy_change_matches_r():
    r = REF["ranks"]
    items = [f"v{i:02d}" for i in range(18)]
    long = pd.DataFrame({"group": "teachers", "wave": np.repeat([2022, 2024], 18),
                         "category": items * 2, "mean_rank": np.r_[r["h1"], r["h2"]]})
    res = dyn.hierarchy_change(long)
    sp = res[res["method"] == "spearman"].iloc[0]
    kd = res[res["method"] == "kendall"].iloc[0]
    assert_allclose([sp["est"], sp["p_value"]], [r["spearman"]["rho"], r["spearman"]["p"]], rtol=1e-9)
    assert_allclose([kd["est"], kd["p_value"]], [r["kendall"]["tau"], r["kendall"]["p"]], rtol=1e-9)
    assert sp["n"] == 18
    n = len(r["t1"])
    tied = pd.DataFrame({"group": "students", "wave": np.repeat([1, 2], n),
                         "category": list(range(n)) * 2, "mean_rank": np.r_[r["t1"], r["t2"]]})
    res2 = dyn.hierarchy_change(tied)
    sp2 = res2[res2["method"] == "spearman"].iloc[0]
    kd2 = res2[res2["method"] == "kendall"].iloc[0]
    assert_allclose([sp2["est"], sp2["p_value"]],
                    [r["spearman_ties"]["rho"], r["spearman_ties"]["p"]], rtol=1e-9)
    assert_allclose([kd2["est"], kd2["p_value"]],
                    [r["kendall_ties"]["tau"], r["kendall_ties"]["p"]], rtol=1e-9)


def test_hierarchy_change_from_respondent_ranks():
    rng = np.random.default_rng(8)
    items = list("ABCDEFGH")
    rows = []
    for w, order in ((2022, items), (2024, items[::-1])):
        for r in range(30):
            perm = np.argsort(np.argsort(np.arange(8) + rng.normal(0, 1.0, 8))) + 1
            rows.append(pd.DataFrame({"group": "students", "wave": w, "category": order, "rank": perm}))
    res = dyn.hierarchy_change(pd.concat(rows), score="rank")
    assert (res["est"] < -0.8).all()          # the hierarchy was reversed
    assert res.loc[0, "top_base"].startswith("A") and res.loc[0, "top_compare"].startswith("H")


# ------------------------------------------------------------------ monitoring table, figure, CLI

def test_trend_table_and_figure():
    resp = simulate_waves(n_schools=2, waves=(2022, 2023, 2024), n_resp=30, seed=4)
    est = srs_estimates(resp).assign(variable="motivation")
    tab = dyn.trend_table(est)
    assert {"ci_low", "ci_high", "change_from_first"} <= set(tab.columns)
    q = stats.t.ppf(0.975, 29)
    assert_allclose(tab["ci_high"] - tab["est"], q * tab["se"], rtol=1e-10)
    assert_allclose(tab.groupby(["school_id", "group"])["change_from_first"].first(), 0.0)
    fig = plot_trend(tab[tab["school_id"] == 0], hue="group", facet="variable", lang="en")
    from matplotlib.figure import Figure
    assert isinstance(fig, Figure) and len(fig.axes) >= 1
    assert len(fig.axes[0].collections) == 3     # one CI band per group


def test_classification_summary():
    res = pd.DataFrame({"variable": ["a"] * 4, "classification":
                        ["positive", "no change", "no change", "no data"]})
    s = dyn.classification_summary(res, by="variable")
    assert_allclose(s.set_index("classification").loc["positive", "share_pct"], 100 / 3)
    assert np.isnan(s.set_index("classification").loc["no data", "share_pct"])


def test_cli_dynamics(tmp_path):
    from shnro_research.cli import dynamics as cli_dynamics
    resp = simulate_waves(n_schools=3, waves=(2022, 2024), n_resp=40, planted=(0,), delta=1.5, seed=9)
    est = srs_estimates(resp).assign(variable="tension")
    f = tmp_path / "est.csv"
    est.to_csv(f, index=False)
    parser = argparse.ArgumentParser()
    cli_dynamics.add_arguments(parser)
    args = parser.parse_args(["--estimates", str(f), "--out", str(tmp_path / "out"),
                              "--lower-better", "tension", "--base", "2022"])
    assert cli_dynamics.run(args) == 0
    res = pd.read_csv(tmp_path / "out" / "wave_change.csv")
    assert (res.loc[res["school_id"] == 0, "classification"] == "negative").all()
    assert (tmp_path / "out" / "wave_change.png").exists()
    fig = plot_change(res, label="school_id", lang="en")
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) >= 2


# ------------------------------------------------------------------ the demo municipality

@functools.lru_cache(maxsize=1)
def demo_estimates():
    """Demo study (3 waves) -> scale scores -> design-based estimates per school x group x wave.

    Design used here: school x wave strata, respondents as units with the non-response adjusted
    weights of their class (the demo draws respondents of a school independently, no class
    effect). Respondents whose class is not in the sampling frame (a planted problem) and
    duplicated ids are dropped. Returns (study, estimates)."""
    demo = pytest.importorskip("shnro_research.demo")
    from shnro_research.design import estimate_by, survey_design
    from shnro_research.scoring.scales import score_scales
    study = demo.generate_demo()
    frames = []
    wanted = {"students": ["tension", "motivation", "anxiety"], "parents": ["tension"],
              "teachers": ["tension"]}
    for group, scales in wanted.items():
        inst = study.instruments[group]
        keys = inst.scale_keys(scales)
        items = [k.lstrip("-") for v in keys.values() for k in v]
        data = study.answers(group).drop_duplicates("resp_id", keep=False).copy()
        for i in items:
            data[i] = pd.to_numeric(data[i], errors="coerce")
            data.loc[data[i].isin(list(inst.item(i).missing)), i] = np.nan
        bounds = inst.item_bounds()
        sc = score_scales(data, keys, item_min={i: bounds[i][0] for i in items},
                          item_max={i: bounds[i][1] for i in items}, min_valid=0.6,
                          out_of_range="missing")
        idc = [c for c in ("resp_id", "school_id", "class_id", "wave") if c in data.columns]
        resp = pd.concat([data[idc], sc[scales]], axis=1)
        unit = "class" if group != "teachers" else "teachers"
        fr = study.sample[study.sample["unit"] == unit]
        on = ["wave", "school_id"] + (["class_id"] if unit == "class" else [])
        resp = resp.merge(fr[on + ["weight_nr"]], on=on, how="left")
        resp = resp[resp["weight_nr"].notna()]
        resp["stratum"] = resp["school_id"].astype(str) + "_" + resp["wave"].astype(str)
        des = survey_design(resp, strata="stratum", weight="weight_nr")
        frames.append(estimate_by(des, scales, by=["school_id", "wave"]).assign(group=group))
    return study, pd.concat(frames, ignore_index=True)


@pytest.mark.slow
def test_demo_planted_changes_detected_and_no_false_changes():
    study, est = demo_estimates()
    assert sorted(est["wave"].unique()) == [2022, 2023, 2024]
    better = {"tension": "lower", "anxiety": "lower", "motivation": "higher"}
    res = dyn.wave_change(est, by=["school_id", "group"], base=2022, compare=2024,
                          better=better, adjust="holm")
    programme = study.truth["dynamics"]["programme_schools"]
    assert len(programme) == 4
    prog = res[res["school_id"].isin(programme)]
    # students' tension falls in every programme school: detected after Holm adjustment
    st = prog[(prog["group"] == "students") & (prog["variable"] == "tension")]
    assert (st["classification"] == "positive").all() and (st["direction"] == "decrease").all()
    # motivation rises (smaller planted shift): detected in most programme schools
    mot = prog[(prog["group"] == "students") & (prog["variable"] == "motivation")]
    assert (mot["classification"] == "positive").sum() >= 3
    assert (mot["est"] > 0).all()
    # every planted change goes in the planted direction
    expected = study.truth["dynamics"]["expected_change_first_to_last"]
    for _, r in prog.iterrows():
        exp = expected.get(r["group"], {}).get(r["variable"], {}).get(r["school_id"])
        if exp is not None and abs(exp) > 0.5:
            assert np.sign(r["est"]) == np.sign(exp)
    # no change elsewhere: nothing survives Holm, and the unadjusted rate is nominal
    other = res[~res["school_id"].isin(programme)]
    assert (other["classification"] != "no change").sum() == 0
    k = int((other["p_value"] < 0.05).sum())
    assert k <= stats.binom.ppf(0.999, len(other), 0.05)
    # the trend table of the same estimates has well-formed CIs
    tab = dyn.trend_table(est[est["group"] == "students"], by=["school_id", "group"])
    assert tab["ci_low"].le(tab["est"]).all()


@pytest.mark.slow
def test_demo_value_hierarchies_are_stable():
    study, _ = demo_estimates()
    cols = [c for c in study.students.columns if c.startswith("rok_term_")]
    long = (study.students[["wave"] + cols].melt(id_vars="wave", var_name="category", value_name="rank")
            .assign(group="students"))
    res = dyn.hierarchy_change(long, score="rank", consecutive=True)
    assert len(res) == 4 and (res["n"] == 18).all()
    # no change of values was planted: the hierarchies of consecutive waves agree closely
    assert (res.loc[res["method"] == "spearman", "est"] > 0.9).all()
    truth = study.truth["values"]["rokeach"]["rok_term"]["students"]["order_columns"]
    top = res["top_compare"].iloc[-1].split(", ")
    assert set(top) <= set(truth[:5])


# ------------------------------------------------------------------ design-based SE of the change

def test_design_wave_change_matches_r_svycontrast():
    ref = json.loads((Path(__file__).parent / "reference" / "dynamics_design.json").read_text())
    from shnro_research.design import survey_design
    d = pd.DataFrame(ref["data"])
    d["y"] = pd.to_numeric(d["y"])
    des = survey_design(d, ids="class_id", strata="stratum", weight="w")
    r = dyn.design_wave_change(des, "y", by="stratum").sort_values("stratum")
    assert_allclose(r["est"], ref["strata"]["diff"], rtol=1e-10)
    assert_allclose(r["se"], ref["strata"]["diff_se"], rtol=1e-8)
    assert_allclose(r["df"], ref["degf"])
    est = np.array(ref["strata"]["est"])        # city.2022, village.2022, city.2024, village.2024
    assert_allclose(r["est_base"], est[:2], rtol=1e-10)
    assert_allclose(r["est_compare"], est[2:], rtol=1e-10)
    # the shared classes make the waves correlated: the independence SE is much larger here
    assert (r["se_independent"] > 2 * r["se"]).all()
    overall = dyn.design_wave_change(des, "y")
    assert_allclose(overall["est"], ref["overall"]["diff"], rtol=1e-10)
    assert_allclose(overall["se"], np.ravel(ref["overall"]["diff_se"]), rtol=1e-8)
    with pytest.raises(ParameterError, match="SurveyDesign"):
        dyn.design_wave_change(d, "y")
    with pytest.raises(DataError, match="'class_id' must be numeric"):
        dyn.design_wave_change(des, "class_id")


def test_one_cramers_v_core():
    """dynamics.cramers_v goes through the single core _stats.cramers_v_table."""
    from shnro_research._stats import cramers_v_table
    tab = np.array([[10, 20, 5], [20, 10, 5]])
    r = cramers_v_table(tab)
    chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    assert_allclose([r["statistic"], r["p_value"], r["df"]], [chi2, p, dof], rtol=1e-12)
    assert_allclose(r["est"], np.sqrt(chi2 / (tab.sum() * 1)), rtol=1e-12) and r["n"] == 70
    # 2 x 2: no continuity correction (R chisq.test(correct = FALSE))
    assert_allclose(cramers_v_table([[10, 20], [20, 10]])["est"], 1 / 3, rtol=1e-12)
    # empty rows / columns are dropped; a degenerate table is an error
    assert_allclose(cramers_v_table([[10, 20, 0], [20, 10, 0]])["est"], 1 / 3, rtol=1e-12)
    with pytest.raises(DataError, match="Cramér"):
        cramers_v_table([[1, 2], [0, 0]])
    d = pd.DataFrame({"wave": np.repeat([1, 2], [35, 35]),
                      "x": ["a"] * 10 + ["b"] * 20 + ["c"] * 5 + ["a"] * 20 + ["b"] * 10 + ["c"] * 5})
    assert dyn.cramers_v(d, "x") == r
    assert dyn.p_adjust is __import__("shnro_research._stats", fromlist=["p_adjust"]).p_adjust
