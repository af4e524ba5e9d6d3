"""Generate tests/reference/measurement_likert/data.csv: a seeded synthetic 5-point Likert scale
(six items, one factor, two respondent groups with a planted intercept shift on one item and a few
unanswered cells) used by tests/test_cfa.py and by measurement_cfa.R (R lavaan computes the
expected values from the same CSV).

Run once from tests/reference:  python measurement_make_data.py  (numpy default_rng(2027)).
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(2027)
n = 700
grp = np.where(rng.random(n) < 0.55, "students", "teachers")
eta = rng.normal(0, 1, n) + np.where(grp == "teachers", 0.3, 0.0)
loadings = np.array([0.9, 0.8, 0.7, 0.75, 0.6, 0.5])
shift = np.zeros((n, 6))
shift[:, 4] = np.where(grp == "teachers", 0.6, 0.0)      # item 5 functions differently
latent = eta[:, None] * loadings + rng.normal(0, 0.8, (n, 6)) + shift
cuts = np.array([-1.6, -0.6, 0.4, 1.3])
items = 1 + (latent[:, :, None] > cuts).sum(axis=2).astype(float)
items[rng.random((n, 6)) < 0.02] = np.nan
d = pd.DataFrame(items, columns=[f"q{j + 1}" for j in range(6)])
d.insert(0, "group", grp)
d.insert(0, "resp_id", np.arange(1, n + 1))
out = Path(__file__).parent / "measurement_likert" / "data.csv"
d.to_csv(out, index=False, na_rep="")
print(out, d.shape)
