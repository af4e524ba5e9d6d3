"""_stats.p_adjust_by: every method equals p_adjust applied family by family (ties, missing
p-values, families of one), exactly."""
from __future__ import annotations

import numpy as np
import pytest

from shnro_research._stats import P_ADJUST_METHODS, p_adjust, p_adjust_by


@pytest.mark.parametrize("method", P_ADJUST_METHODS)
def test_p_adjust_by_equals_p_adjust_per_family(method):
    rng = np.random.default_rng(11)
    n = 3000
    fam = rng.integers(0, 700, n)
    p = rng.uniform(size=n)
    p[rng.uniform(size=n) < 0.25] = 0.05                  # ties
    p[rng.uniform(size=n) < 0.1] = np.nan                 # missing
    got = p_adjust_by(p, fam, method)
    want = np.full(n, np.nan)
    for f in np.unique(fam):
        idx = np.flatnonzero(fam == f)
        want[idx] = p_adjust(p[idx], method)
    np.testing.assert_array_equal(got, want)


def test_p_adjust_by_string_families_and_errors():
    got = p_adjust_by([0.01, 0.02, 0.5, 0.04], ["S1", "S1", "S2", "S1"], "holm")
    np.testing.assert_array_equal(got, [0.03, 0.04, 0.5, 0.04])   # R: p.adjust per school
    with pytest.raises(Exception, match="family codes"):
        p_adjust_by([0.1, 0.2], [1], "holm")
    with pytest.raises(Exception, match="method"):
        p_adjust_by([0.1], [1], "Holm-ish")
