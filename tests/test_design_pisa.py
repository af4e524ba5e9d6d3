"""Real data: PISA 2003 country means of mathematics against the published OECD values.

Published (OECD 2004, *Learning for Tomorrow's World*, Table 2.5c, mean and s.e. of the
mathematics scale; five plausible values, 80 Fay BRR replicates).  The file holds one plausible
value and no replicate weights, so the means must agree within ±3 points and our Taylor SEs,
with schools as PSUs within country strata (no explicit strata inside a country), must be of
the same order (ratio within 0.5–2.2).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research import design as sd

PISA = Path("/work/shared/data/pisa/student_2003_full.csv.gz")
if not PISA.exists():  # CI clones main with shared/ beside it
    PISA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pisa" / "student_2003_full.csv.gz"

PUBLISHED = {  # country: (mean, s.e.)
    "RUS": (468, 4.2), "FIN": (544, 1.9), "JPN": (534, 4.0), "USA": (483, 2.9),
    "DEU": (503, 3.3), "KOR": (542, 3.2), "CAN": (532, 1.8), "HKG": (550, 4.5),
}


@pytest.fixture(scope="module")
def country_means():
    if not PISA.exists():
        pytest.skip(f"PISA 2003 file not found at {PISA}")
    df = pd.read_csv(PISA, usecols=["country", "school_id", "math", "stu_wgt"],
                     dtype={"country": str, "school_id": str})
    d = sd.survey_design(df, ids="school_id", strata="country", weight="stu_wgt", nest=True,
                         lonely_psu="certainty")
    return sd.svy_mean(d, "math", by="country").set_index("country")


@pytest.mark.parametrize("country", sorted(PUBLISHED))
def test_published_means(country_means, country):
    mean, se = PUBLISHED[country]
    row = country_means.loc[country]
    assert abs(row.est - mean) <= 3, (country, row.est, mean)
    assert 0.5 <= row.se / se <= 2.2, (country, row.se, se)
    assert row.deff > 1.5  # clustering of pupils in schools


def test_all_countries_present(country_means):
    assert len(country_means) == 41
    assert np.isfinite(country_means.se).all()
