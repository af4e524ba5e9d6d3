"""The planted climate effect (demo/climate.py): the study's declared hypothesis — students'
social tension goes with lower results beyond context — is fitted on its own, and its interval
covers the planted standardised coefficient; the report says "cannot tell" when it covers zero."""
import json

import numpy as np
import pandas as pd


def _focal(study):
    cm = pd.read_parquet(study.output / "06_models" / "climate_results_model.parquet")
    f = cm[(cm.part == "fixed") & (cm.model == "context+focal") & cm.variable.notna()]
    return cm, f


def test_planted_climate_effect_in_the_focal_interval(demo_run):
    study, _ = demo_run
    truth = json.loads((study.root / "truth.json").read_text())["results"]["climate_effect"]
    assert truth["tension_std_coef"] < -0.1          # planted: more tension, lower results
    cm, f = _focal(study)
    assert len(f) == 1 and f.iloc[0]["group"] == "students" and f.iloc[0]["variable"] == "tension"
    r = f.iloc[0]
    assert r.ci_low <= truth["tension_std_coef"] <= r.ci_high, (truth, r.to_dict())
    # the minimum detectable coefficient at 80 % power: (z_.975 + z_.80) * se
    assert np.isclose(r.mde, (1.959963984540054 + 0.8416212335729143) * r.se, rtol=1e-12)
    # exploratory model with every measure is there too, on the same school-years
    allm = cm[(cm.part == "fixed") & (cm.model == "context+climate") & cm.variable.notna()]
    assert len(allm) > 1 and set(allm["n"]) == set(f["n"])


def test_report_reads_the_focal_hypothesis_honestly(demo_run):
    study, _ = demo_run
    _, f = _focal(study)
    r = f.iloc[0]
    ev = pd.read_parquet(study.output / "08_report" / "findings.parquet")
    ev = ev[ev["key"] == "climate"]
    quoted = ev.set_index("quantity")["est"]
    assert np.isclose(quoted["focal_est"], r.est) and np.isclose(quoted["focal_ci_low"], r.ci_low)
    text = ev["text"].iloc[0]
    assert "Заявленная гипотеза" in text and "напряжённость" in text
    covers_zero = r.ci_low <= 0 <= r.ci_high
    assert ("нельзя сказать, есть ли связь" in text) == covers_zero
    assert ("focal_mde" in quoted.index) == covers_zero
