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


# ---------------------------------------------------------------------------------- R (lme4, plm)
#: 10 schools x 3 years (one school 2), values typed in; R 4 / lme4 / plm output below from
#:   z <- d; for (v in c("result","wellbeing_index","tension","leadership")) z[[v]] <- scale(d[[v]])
#:   m1 <- lmer(result ~ wellbeing_index + tension + leadership + factor(year) + (1|school_id), z)
#:   m0 <- lmer(result ~ wellbeing_index + factor(year) + (1|school_id), z)
#:   fixef(m1); sqrt(diag(vcov(m1))); fixef(m0); as.data.frame(VarCorr(m1))$vcov  (and m0)
#:   fe <- plm(result ~ tension + leadership + factor(year), d, index = c("school_id","year"),
#:             model = "within"); coef(fe); sqrt(diag(vcovHC(fe, type = "sss", cluster = "group")))
R_PANEL = pd.DataFrame({
    "school_id": [f"S{j:02d}" for j in range(10) for _ in range(3)][:29],
    "year": [2022, 2023, 2024] * 9 + [2022, 2023],
    "result": [0.19, 1.234, 0.179, 0.092, 0.167, -0.05, -0.389, -0.073, -0.53, -0.192, 0.736,
               2.159, 0.956, 1.229, 0.483, -0.222, 0.028, 0.162, -0.815, 0.388, 0.889, -1.157,
               -0.264, 0.436, -0.041, 0.817, 0.467, 1.215, 1.706],
    "wellbeing_index": [1.269, 0.858, 1.04, 2.041, 1.973, 1.594, -1.349, -1.639, -1.568, 0.049,
                        -0.233, 0.165, 1.495, 1.346, 1.277, -0.203, -0.004, 0.011, -1.972, -1.4,
                        -1.527, -0.931, -0.374, -0.283, 0.04, 0.495, 0.253, -0.773, -0.121],
    "tension": [0.721, -1.324, 0.492, 0.496, -0.798, -1.048, -0.242, 0.136, 2.203, 1.089, 1.028,
                -0.068, 2.794, -0.369, 1.013, 0.513, -1.253, 0.568, 0.86, -0.034, -1.028, -1.033,
                -0.532, -0.645, 1.174, -1.214, -1.644, 1.195, 1.175],
    "leadership": [1.305, -0.422, -2.225, -0.59, -1.03, -0.816, -0.067, 0.67, 0.888, -0.352,
                   -0.341, 1.27, -0.164, -1.903, -1.886, 1.285, -1.12, 0.649, 1.122, 0.293,
                   1.516, 0.264, 0.131, 0.621, 0.506, 0.732, 0.295, -1.481, -0.424]})
R_M1_EST = [-0.441011585464519, 0.561023482781223, -0.191504835392864, 0.370228745893039,
            0.800147590082483, 0.753881084266890]
R_M1_SE = [0.373356042259513, 0.305701900287640, 0.150909624250329, 0.149966222991607,
           0.298539269253615, 0.279630289645229]
R_M0_EST = [-0.481675904916900, 0.348339676761528, 0.821604018762463, 0.767450240145666]
R_V1 = [0.997429356397494, 0.317116983150939]          # school, residual
R_V0 = [0.473269662263781, 0.484762556754714]
R_FE_EST = [-0.199416549365799, 0.348546302883071, 0.601395298093199, 0.586022675924145]
R_FE_SE = [0.0968497865822955, 0.1254956278881580, 0.2005199787040548, 0.2649412276715203]


def test_climate_results_model_equals_lme4():
    d = R_PANEL
    cl = pd.concat([d[["school_id", "year", v]].rename(columns={"year": "wave", v: "est"})
                    .assign(group=g, variable=v)
                    for g, v in [("students", "tension"), ("teachers", "leadership")]])
    out = CL.climate_results_model(d, cl, measures=["students:tension", "teachers:leadership"])
    m1 = out[(out["model"] == "context+climate") & (out["part"] == "fixed")].set_index("term")
    m0 = out[(out["model"] == "context") & (out["part"] == "fixed")].set_index("term")
    t1 = ["(Intercept)", "wellbeing_index", "students_tension", "teachers_leadership",
          "C(year)[T.2023]", "C(year)[T.2024]"]
    t0 = ["(Intercept)", "wellbeing_index", "C(year)[T.2023]", "C(year)[T.2024]"]
    assert_allclose(m1.loc[t1, "est"], R_M1_EST, rtol=1e-6)
    assert_allclose(m1.loc[t1, "se"], R_M1_SE, rtol=1e-6)
    assert_allclose(m0.loc[t0, "est"], R_M0_EST, rtol=1e-6)
    var = out[out["part"] == "variance"].set_index(["model", "term"])["est"]
    assert_allclose(var["context+climate"].loc[["school", "residual"]], R_V1, rtol=1e-6)
    assert_allclose(var["context"].loc[["school", "residual"]], R_V0, rtol=1e-6)
    expl = out[out["part"] == "explained"].set_index("term")["est"]
    assert_allclose(expl["school"], 1 - R_V1[0] / R_V0[0], rtol=1e-6)   # here < 0: it can be


def test_change_on_change_equals_plm_within_with_stata_cluster_se():
    out = CL.change_on_change(R_PANEL.rename(columns={"year": "wave"}), "result",
                              ["tension", "leadership"]).set_index("term")
    terms = ["tension", "leadership", "C(wave)[T.2023]", "C(wave)[T.2024]"]
    assert_allclose(out.loc[terms, "est"], R_FE_EST, rtol=1e-8)
    assert_allclose(out.loc[terms, "se"], R_FE_SE, rtol=1e-8)


def test_models_stage_writes_the_climate_tables_and_the_note_reads_them(demo_run):
    from shnro_research.pipeline import read_table, stage_dir
    study, _ = demo_run
    cm = read_table(study, "models", "climate_results_model")
    assert cm["note"].str.startswith("association, not effect").all()
    fixed = cm[(cm.part == "fixed") & (cm.model == "context+climate")].dropna(subset=["variable"])
    assert len(fixed) >= 8 and np.isfinite(fixed[["est", "ci_low", "ci_high"]]).all().all()
    for name in ("school_climate", "pupil_outcomes_model", "climate_change_on_change"):
        assert len(read_table(study, "models", name)) > 0
    html = (stage_dir(study, "report") / "report.html").read_text(encoding="utf-8")
    assert "Климат школы и результаты" in html and "Связь, а не влияние" in html
