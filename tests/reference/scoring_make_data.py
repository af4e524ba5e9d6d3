"""Generate tests/reference/scoring_survey/data.csv: a small seeded synthetic survey used by the
scoring tests and by scoring_survey.R (R computes the expected values from the same CSV).

Run once: python tests/reference/scoring_make_data.py  (deterministic, numpy default_rng(2026)).
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(2026)
n = 1200
school = rng.integers(1, 7, n)
group = rng.choice(["student", "parent", "teacher"], n, p=[0.5, 0.3, 0.2])
d = pd.DataFrame({"id": np.arange(1, n + 1), "school": school, "group": group,
                  "wave": rng.choice([2021, 2022], n),
                  "w": np.round(rng.uniform(0.5, 2.0, n), 3)})
# tension indicators 1..5 (t4, t5: satisfaction, higher = less tension)
lat = rng.normal(0, 1, n) + (school - 3.5) * 0.2 + (group == "teacher") * 0.4
for j in range(1, 6):
    sign = -1 if j >= 4 else 1
    v = np.clip(np.round(3 + sign * 0.9 * lat + rng.normal(0, 1, n)), 1, 5)
    v[rng.random(n) < 0.05] = np.nan
    d[f"t{j}"] = v
# needs: importance / realisation 1..5
for need in ("safety", "respect", "growth"):
    imp = np.clip(np.round(rng.normal(4.2, 0.8, n)), 1, 5)
    real = np.clip(np.round(imp - rng.normal(0.6, 1.0, n)), 1, 5)
    imp[rng.random(n) < 0.03] = np.nan
    real[rng.random(n) < 0.03] = np.nan
    d[f"imp_{need}"], d[f"real_{need}"] = imp, real
# multiple response: life success (6 options), 0/1, some unanswered, some none chosen
probs = np.array([0.6, 0.45, 0.3, 0.25, 0.15, 0.1])
mr = (rng.random((n, 6)) < probs * np.where(group == "teacher", 0.8, 1.0)[:, None]).astype(float)
mr[rng.random(n) < 0.04] = np.nan
for j in range(6):
    d[f"success_{j + 1}"] = mr[:, j]
# single-response item 1..4
d["q_single"] = rng.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1])
d.loc[rng.random(n) < 0.03, "q_single"] = np.nan
# Rokeach ranks of 18 terminal values: group-specific preferences + noise
k = 18
pref = {"student": rng.normal(0, 1, k), "parent": rng.normal(0, 1, k), "teacher": rng.normal(0, 1, k)}
ranks = np.empty((n, k))
for i in range(n):
    score = pref[group[i]] + rng.normal(0, 1.2, k)
    ranks[i] = np.argsort(np.argsort(-score)) + 1
bad = rng.choice(n, 36, replace=False)
for b_i, r in enumerate(bad):
    kind = b_i % 4
    if kind == 0:
        ranks[r, 3] = ranks[r, 4]          # tie (and a gap)
    elif kind == 1:
        ranks[r, 7] = np.nan               # incomplete
    elif kind == 2:
        ranks[r, 2] = 19                   # out of range
    else:
        ranks[r, 5] = ranks[r, 5] + 0.5    # not an integer
for j in range(k):
    d[f"r{j + 1}"] = ranks[:, j]
out = Path(__file__).resolve().parent / "scoring_survey" / "data.csv"
d.to_csv(out, index=False, na_rep="")
print(out, d.shape)
