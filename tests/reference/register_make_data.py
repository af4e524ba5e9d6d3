"""Generate tests/reference/register/{results,context}.csv (seeded synthetic register data).

Run once: ``python tests/reference/register_make_data.py``; then ``Rscript tests/reference/register.R``
writes ``register.json`` with R's values of the register on the same data. 30 schools x 4 years,
3 test cells (procedure 1: subjects 1, 2, grade 5; procedure 2: subject 1, grade 9); one school
falls sharply in 2022, two rise steadily, one school-year has no context value and one procedure
has 2 participants.
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261130)
S, years = 30, [2020, 2021, 2022, 2023]
cells = [(1, 1, 5, 60.0, 9.0), (1, 2, 5, 55.0, 9.0), (2, 1, 9, 62.0, 8.0)]
ctx = rng.normal(size=S)
u = rng.normal(scale=0.6, size=S)
path = np.zeros((S, len(years)))
path[3, 2:] = -2.5                            # sharp fall in 2022 (a crisis)
path[7] = [0.0, 0.9, 1.8, 2.7]                # stable rises
path[11] = [0.0, 1.0, 2.0, 2.2]
rows = []
for t, y in enumerate(years):
    v = rng.normal(scale=0.25, size=S)
    z = 0.7 * ctx + u + v + path[:, t] + 0.1 * t
    for proc, subj, grade, mu, sb in cells:
        n = rng.integers(15, 60, size=S)
        m = mu + sb * (z + rng.normal(scale=0.3, size=S))
        below = 100 * rng.binomial(n, 1 / (1 + np.exp(-(-1.8 - 1.2 * z)))) / n
        rows.append(pd.DataFrame({"school_id": [f"S{i + 1:02d}" for i in range(S)], "year": y,
                                  "procedure": proc, "subject": subj, "grade": grade,
                                  "n_participants": n, "mean_score": np.round(m, 2),
                                  "below_min_pct": np.round(below, 2)}))
results = pd.concat(rows, ignore_index=True)
results.loc[(results.school_id == "S05") & (results.year == 2021) & (results.procedure == 2),
            "n_participants"] = 2
context = pd.DataFrame({"school_id": np.repeat([f"S{i + 1:02d}" for i in range(S)], len(years)),
                        "year": np.tile(years, S)})
context["est"] = np.round(np.repeat(0.8 * ctx, len(years)) + rng.normal(scale=0.1, size=len(context)), 4)
context.loc[(context.school_id == "S09") & (context.year == 2021), "est"] = np.nan
out = Path(__file__).with_name("register")
out.mkdir(exist_ok=True)
results.to_csv(out / "results.csv", index=False)
context.to_csv(out / "context.csv", index=False)
