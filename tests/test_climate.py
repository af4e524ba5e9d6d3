"""Climate and results (shnro_research.climate): shrinkage by hand, ICC as icc_anova, the models
on the demo tables, the within estimator as OLS with school dummies, the vocabulary."""
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research import climate as CL
from shnro_research._checks import TIDY_COLUMNS
from shnro_research.errors import DataError, ParameterError, ShnroWarning
from shnro_research.scoring.agreement import icc_anova

FORBIDDEN = {"effect", "index", "mean", "lower", "upper", "ci_lower", "ci_upper", "lo", "hi",
             "pval", "p", "p_adj", "p_holm", "cluster", "alpha", "ci_level", "conf_level", "value"}
STUDENT_MEASURES = ["tension", "motivation", "anxiety", "rel_satisfaction"]
TEACHER_MEASURES = ["pc_values", "leadership", "high_results", "demandingness",
                    "burnout_exhaustion"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo study's tables up to the models stage."""
    from shnro_research.pipeline import demo_config, load_study, run_study
    folder = tmp_path_factory.mktemp("climate_demo")
    study = load_study(demo_config(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShnroWarning)
        run_study(study, stages=["instruments", "responses", "scoring", "design", "context",
                                 "models"], progress=False)
    out = study.output

    def read(stage, name):
        return pd.read_parquet(next(out.glob(f"*_{stage}")) / f"{name}.parquet")
    scores = read("scoring", "respondent_scores")
    return {"scores": scores,
            "school_results": read("models", "school_results"),
            "students_clean": read("responses", "students_clean"),
            "student_ses": read("models", "student_ses"),
            "climate": CL.school_climate(scores, STUDENT_MEASURES + TEACHER_MEASURES)}


def _check_vocabulary(df):
    assert not FORBIDDEN & set(df.columns), sorted(FORBIDDEN & set(df.columns))
    vocab = [c for c in df.columns if c in TIDY_COLUMNS]
    assert vocab == [c for c in TIDY_COLUMNS if c in vocab]
    assert list(df.columns[-len(vocab):]) == vocab          # keys first, estimates last
    if "group" in df:
        assert set(df["group"].dropna()) <= {"students", "parents", "teachers"}
    if "level" in df:
        assert_allclose(df["level"].to_numpy(dtype=float), 0.95, rtol=0)


# ---------------------------------------------------------------------------------- shrinkage
def test_shrinkage_against_a_hand_computation():
    y = {"A": [1.0, 2.0, 3.0, 4.0], "B": [4.0, 5.0, 6.0], "C": [2.0, 8.0, 5.0, 7.0, 3.0],
         "D": [6.0, 7.0]}
    d = pd.DataFrame([(s, v) for s, vs in y.items() for v in vs], columns=["school_id", "x"])
    d["wave"], d["group"] = 2023, "students"
    out = CL.school_climate(d, "x").set_index("school_id")
    N, G = len(d), len(y)
    grand = d["x"].mean()
    means = {s: np.mean(v) for s, v in y.items()}
    ssb = sum(len(v) * (means[s] - grand) ** 2 for s, v in y.items())
    ssw = sum(((np.array(v) - means[s]) ** 2).sum() for s, v in y.items())
    msb, msw = ssb / (G - 1), ssw / (N - G)
    k = N / G
    tau2 = (msb - msw) / k
    assert tau2 > 0
    for s, v in y.items():
        lam = tau2 / (tau2 + msw / len(v))
        est = grand + lam * (means[s] - grand)
        se = np.sqrt(lam * msw / len(v))
        row = out.loc[s]
        assert_allclose([row["est_raw"], row["shrinkage"], row["est"], row["se"], row["n"]],
                        [means[s], lam, est, se, len(v)], rtol=1e-12)
        assert_allclose([row["ci_low"], row["ci_high"]], [est - 1.959963984540054 * se,
                                                          est + 1.959963984540054 * se],
                        rtol=1e-12)
        assert_allclose(row["sd"], np.std(v, ddof=1), rtol=1e-12)
    assert_allclose(out["icc1"].iloc[0], (msb - msw) / (msb + (k - 1) * msw), rtol=1e-12)
    assert_allclose(out["icc2"].iloc[0], (msb - msw) / msb, rtol=1e-12)
    assert_allclose(out["tau2"].iloc[0], tau2, rtol=1e-12)


def test_no_between_school_variance_gives_the_grand_mean():
    d = pd.DataFrame({"school_id": list("AAABBB"), "x": [1.0, 2.0, 3.0, 3.0, 2.0, 1.0],
                      "wave": 2022, "group": "parents"})
    out = CL.school_climate(d, ["x"])
    assert_allclose(out["shrinkage"], 0.0, atol=0)
    assert_allclose(out["est"], 2.0, rtol=1e-12)


def test_icc_equals_icc_anova(demo):
    scores, cl = demo["scores"], demo["climate"]
    checked = 0
    for (var, grp, wave), part in cl.groupby(["variable", "group", "wave"]):
        sub = scores[(scores["group"] == grp) & (scores["wave"] == wave)]
        ref = icc_anova(sub, var, "school_id").set_index("measure")["est"]
        assert_allclose(part["icc1"].to_numpy(), ref["icc1"], rtol=1e-10)
        assert_allclose(part["icc2"].to_numpy(), ref["icc2"], rtol=1e-10)
        checked += 1
    assert checked >= 3 * (len(STUDENT_MEASURES) + len(TEACHER_MEASURES))


def test_school_climate_table(demo):
    cl = demo["climate"]
    _check_vocabulary(cl)
    assert set(cl.loc[cl["variable"] == "leadership", "group"]) == {"teachers"}
    assert set(cl.loc[cl["variable"] == "anxiety", "group"]) == {"students"}
    assert np.isfinite(cl[["est", "se", "ci_low", "ci_high"]].to_numpy()).all()
    # shrinkage pulls towards the grand mean: never further from it than the raw mean
    lam = cl["shrinkage"]
    assert ((lam >= 0) & (lam <= 1)).all()
    assert not cl.duplicated(["school_id", "wave", "group", "variable"]).any()


def test_school_climate_parameters():
    d = pd.DataFrame({"school_id": ["A", "B"], "x": [1.0, 2.0], "wave": 1, "group": "students"})
    with pytest.raises(ParameterError, match="school_climate"):
        CL.school_climate(d, [])
    with pytest.raises(DataError, match="nope"):
        CL.school_climate(d, ["nope"])
    with pytest.raises(ParameterError, match="level"):
        CL.school_climate(d, "x", level=95)


# ---------------------------------------------------------------------------------- models
def test_climate_results_model_on_the_demo(demo):
    measures = ["students:tension", "students:motivation", "teachers:leadership",
                "teachers:high_results"]
    out = CL.climate_results_model(demo["school_results"], demo["climate"], measures=measures)
    _check_vocabulary(out)
    fixed = out[out["part"] == "fixed"]
    assert set(fixed["model"]) == {"context", "context+climate"}
    clim = fixed.dropna(subset=["variable"])
    assert set(clim["group"] + ":" + clim["variable"]) == set(measures)
    assert (clim["model"] == "context+climate").all()
    assert np.isfinite(fixed[["est", "se", "ci_low", "ci_high"]].to_numpy()).all()
    assert (fixed["ci_low"] < fixed["est"]).all() and (fixed["est"] < fixed["ci_high"]).all()
    assert out["note"].str.match(r"association, not effect; \d+ schools, \d+ school-years").all()
    expl = out[out["part"] == "explained"].set_index("term")["est"]
    var = out[out["part"] == "variance"].set_index(["model", "term"])["est"]
    assert_allclose(expl["school"], 1 - var["context+climate", "school"] / var["context", "school"],
                    rtol=1e-12)
    assert len(set(demo["climate"].loc[demo["climate"]["variable"] == "tension", "group"])) > 1
    with pytest.raises(ParameterError, match="several groups"):
        CL.climate_results_model(demo["school_results"], demo["climate"], measures=["tension"])
    with pytest.raises(DataError, match="no rows"):
        CL.climate_results_model(demo["school_results"], demo["climate"],
                                measures=["parents:motivation"])


def test_climate_results_model_is_standardised(demo):
    """Coefficients equal the mixed model on z-scored columns fitted directly."""
    from shnro_research.models import random_intercept
    cl = demo["climate"]
    wide = cl[(cl["group"] == "students") & (cl["variable"] == "tension")]
    d = demo["school_results"].merge(
        wide[["school_id", "wave", "est"]].rename(columns={"wave": "year", "est": "t"}),
        on=["school_id", "year"]).dropna(subset=["result", "wellbeing_index", "t"])
    for c in ["result", "wellbeing_index", "t"]:
        d[c] = (d[c] - d[c].mean()) / d[c].std(ddof=1)
    ref = random_intercept(d, "result ~ wellbeing_index + t + C(year)", school="school_id")
    out = CL.climate_results_model(demo["school_results"], cl, measures="students:tension")
    got = out[(out["model"] == "context+climate") & (out["term"] == "students_tension")]
    assert_allclose(got["est"].iloc[0], ref.params["t"], rtol=1e-6)


def test_pupil_outcomes_recode():
    d = pd.DataFrame({"marks": [1, 2, 5, 9, np.nan], "plans": [1, 2, 5, np.nan, 3]})
    out = CL.pupil_outcomes(d)
    assert_allclose(out["marks_score"].to_numpy(), [5, 4, 1, np.nan, np.nan], rtol=0)
    assert_allclose(out["plans_higher"].to_numpy(), [1, 0, 0, np.nan, 0], rtol=0)
    with pytest.raises(DataError, match="marks"):
        CL.pupil_outcomes(pd.DataFrame({"marks": [7], "plans": [1]}))


@pytest.mark.parametrize("outcome", ["marks_score", "plans_higher"])
def test_pupil_outcomes_model_on_the_demo(demo, outcome):
    po = CL.pupil_outcomes(demo["students_clean"])[["resp_id", "wave", "marks_score",
                                                   "plans_higher"]]
    st = demo["scores"][demo["scores"]["group"] == "students"]
    d = st.merge(po, on=["resp_id", "wave"]).merge(
        demo["student_ses"][["resp_id", "wave", "ses"]], on=["resp_id", "wave"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShnroWarning)       # a school variance ~0 is possible
        out = CL.pupil_outcomes_model(d, outcome, ["tension", "motivation", "anxiety", "ses"],
                                     wave="wave")
    _check_vocabulary(out)
    assert {"tension", "motivation", "anxiety", "ses"} <= set(out["term"])
    assert np.isfinite(out[["est", "se", "ci_low", "ci_high"]].to_numpy()).all()
    assert out["note"].str.startswith("association, not effect").all()
    kind = "linear probability (mixed)" if outcome == "plans_higher" else "linear mixed"
    assert (out["model"] == kind).all()


# ---------------------------------------------------------------------------------- panel
def _panel(seed=3, schools=15, waves=(2022, 2023, 2024)):
    rng = np.random.default_rng(seed)
    rows = []
    for j in range(schools):
        a = rng.normal()
        for t, w in enumerate(waves):
            if j % 5 == 0 and t == 2:
                continue                                   # unbalanced panel
            x1, x2 = rng.normal() + a, rng.normal()
            rows.append((f"S{j:02d}", w, x1, x2, 2 * a + 0.5 * x1 - 0.3 * x2 + 0.2 * t
                         + rng.normal()))
    rows.append(("S99", 2022, 0.1, 0.2, 0.3))                # a single wave: dropped
    return pd.DataFrame(rows, columns=["school_id", "wave", "x1", "x2", "result"])


def test_within_estimator_equals_ols_with_school_dummies():
    import statsmodels.formula.api as smf
    p = _panel()
    out = CL.change_on_change(p, "result", ["x1", "x2"]).set_index("term")
    q = p[p["school_id"] != "S99"].reset_index(drop=True)
    ref = smf.ols("result ~ x1 + x2 + C(wave) + C(school_id)", q).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(q["school_id"])[0]})
    names = {"x1": "x1", "x2": "x2", "C(wave)[T.2023]": "C(wave)[T.2023]",
             "C(wave)[T.2024]": "C(wave)[T.2024]"}
    assert_allclose(out.loc[list(names), "est"].to_numpy(),
                    ref.params[list(names.values())].to_numpy(), rtol=1e-8)
    # CR1 with the absorbed school effects not counted in K (fixest fixef.K = "nested"):
    # statsmodels counts them, so its SEs differ by sqrt((N - K_full) / (N - K))
    n, k_full, k = len(q), int(ref.df_model) + 1, 4
    assert_allclose(out.loc[list(names), "se"].to_numpy(),
                    ref.bse[list(names.values())].to_numpy() * np.sqrt((n - k_full) / (n - k)),
                    rtol=1e-8)
    assert (out["n"] == n).all() and (out["n_schools"] == 15).all()
    assert_allclose(out["df"].to_numpy(), 14, rtol=0)
    _check_vocabulary(out.reset_index())
    assert "cannot rule out" in out["note"].iloc[0]


def test_within_estimator_without_wave_effects():
    import statsmodels.formula.api as smf
    p = _panel(seed=5)
    out = CL.change_on_change(p, "result", "x1", wave_effects=False).set_index("term")
    q = p[p["school_id"] != "S99"]
    ref = smf.ols("result ~ x1 + C(school_id)", q).fit()
    assert list(out.index) == ["x1"]
    assert_allclose(out.loc["x1", "est"], ref.params["x1"], rtol=1e-8)


def test_change_on_change_on_the_demo(demo):
    cl = demo["climate"]
    wide = cl[cl["group"] == "students"].pivot_table(
        index=["school_id", "wave"], columns="variable", values="est").reset_index()
    panel = demo["school_results"].rename(columns={"year": "wave"}).merge(
        wide, on=["school_id", "wave"])
    out = CL.change_on_change(panel, "result", ["tension", "motivation"])
    assert np.isfinite(out[["est", "se", "ci_low", "ci_high"]].to_numpy()).all()
    assert out["note"].str.startswith("association, not effect").all()


def test_change_on_change_refuses_duplicates_and_constants():
    p = _panel()
    with pytest.raises(DataError, match="several rows"):
        CL.change_on_change(pd.concat([p, p.iloc[:1]]), "result", "x1")
    p["const"] = p.groupby("school_id")["x1"].transform("mean")
    with pytest.raises(DataError, match="do not vary within"):
        CL.change_on_change(p, "result", ["const"], wave_effects=False)


# ---------------------------------------------------------------------------------- docs
@pytest.mark.parametrize("name", CL.__all__)
def test_docstrings_state_formula_reference_and_r(name):
    doc = getattr(CL, name).__doc__
    assert "Examples" in doc
    assert "R: " in doc or "R (" in doc
    if name != "pupil_outcomes":
        assert "References" in doc
        assert ".. math::" in doc or ":math:" in doc
