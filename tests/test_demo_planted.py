"""The demo municipality's planted effects for the analyses of issue 12 are recovered by those
analyses on the session demo (``docs/DEMO_TRUTH.md`` §§ 5a, 10a).

The truth is read from the demo's own ``truth.json`` (computed by the generator from its
parameters); the estimates from the tables the pipeline wrote.
"""
from __future__ import annotations

import json

import pytest

from shnro_research.pipeline import read_table


@pytest.fixture(scope="module")
def truth(demo_run):
    study, _ = demo_run
    return json.loads(study.truth.read_text(encoding="utf-8"))


def test_sex_difference_in_students_anxiety(demo_run, truth):
    study, _ = demo_run
    t = truth["sex_difference"]
    assert t["scale"] == "anxiety" and t["latent_shift"] > 0
    con = read_table(study, "design", "breakdowns_contrasts")
    rows = con[(con.group == "students") & (con.variable == "anxiety") & (con.by == "sex")
               & (con.contrast.astype(str) == "2 - 1")]
    assert len(rows) == len(truth["waves"])
    means = read_table(study, "design", "breakdowns_means")
    m = means[(means.group == "students") & (means.variable == "anxiety") & (means.by == "sex")]
    assert set(m.by_category.astype(float)) >= {1.0, 2.0}
    for _, r in rows.iterrows():
        expected = t["expected_difference"][str(int(r.wave))]
        assert 0.2 < expected < 0.35          # +0.3 latent ~ +0.28 scale points
        assert r.ci_low <= expected <= r.ci_high, (r.wave, r.ci_low, r.ci_high, expected)
        assert r.ci_low > 0, (r.wave, r.ci_low)   # girls - boys: excludes 0
        # the breakdown means themselves show girls above boys
        w = m[m.wave == r.wave]
        w = w.set_index(w.by_category.astype(float))["est"]
        assert w[2.0] - w[1.0] == pytest.approx(r.est, abs=1e-6)


def test_teachers_profile_of_resilient_schools(demo_run, truth):
    study, _ = demo_run
    t = truth["teachers_community_resilient"]
    assert t["resilient_schools"] == truth["results"]["resilient_schools"]
    flags = read_table(study, "models", "resilient_schools")
    found = sorted(flags.loc[flags.resilient.astype(bool), "school_id"].astype(str))
    assert found == t["resilient_schools"]          # the analysis flags the planted ones
    cmp_ = read_table(study, "models", "resilient_vs_others")
    for scale in t["scales"]:
        rows = cmp_[cmp_.variable == f"teachers_{scale}"]
        assert len(rows) == len(truth["waves"]), scale
        for _, r in rows.iterrows():
            expected = t["expected_difference"][scale][str(int(r.wave))]
            assert expected > 0.4, (scale, expected)
            assert r.est > 0, (scale, r.wave, r.est)                  # sign as planted
            assert r.p_value < 0.05, (scale, r.wave, r.p_value)      # permutation, unadjusted
            assert r.n_resilient == 3
