"""Generate tests/reference/context_passport/data.csv (seeded synthetic social passports).

Run once: ``python tests/reference/context_make_data.py``; then ``Rscript tests/reference/context_typology.R``
writes ``context_typology.json`` with R's values for the same data.
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261122)
S, years = 150, [2021, 2022, 2023]
f = rng.normal(size=S)                 # latent favourable context of a school
eff = rng.normal(scale=4, size=S)      # school effect on results
rows = []
for t, y in enumerate(years):
    ft = f + rng.normal(scale=0.2, size=S)
    d = pd.DataFrame({"school_id": np.arange(1, S + 1), "year": y})
    d["share_parents_higher_ed"] = np.clip(0.35 + 0.10 * ft + rng.normal(scale=0.05, size=S), 0, 1)
    d["share_low_income"] = np.clip(0.20 - 0.07 * ft + rng.normal(scale=0.05, size=S), 0, 1)
    d["share_single_parent"] = np.clip(0.25 - 0.04 * ft + rng.normal(scale=0.05, size=S), 0, 1)
    d["share_registered"] = np.clip(0.03 - 0.01 * ft + rng.normal(scale=0.01, size=S), 0, 1)
    d["share_non_native"] = np.clip(0.08 - 0.02 * ft + rng.normal(scale=0.04, size=S), 0, 1)
    d["share_teachers_top_category"] = np.clip(0.30 + 0.03 * ft + rng.normal(scale=0.08, size=S), 0, 1)
    d["score"] = 60 + 8 * f + eff + rng.normal(scale=2, size=S) + t
    rows.append(d)
data = pd.concat(rows, ignore_index=True)
# planted missing components
miss = rng.choice(len(data), 40, replace=False)
cols = ["share_parents_higher_ed", "share_low_income", "share_single_parent", "share_registered",
        "share_non_native", "share_teachers_top_category"]
for i, r in enumerate(miss):
    k = 1 + (i % 5)            # 1..5 components missing
    data.loc[r, rng.choice(cols, k, replace=False)] = np.nan
out = Path(__file__).parent / "context_passport" / "data.csv"
data.round(6).to_csv(out, index=False)
print(out, data.shape)
