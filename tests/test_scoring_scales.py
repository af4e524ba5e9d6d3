"""score_scales: declared-bound reverse keying, min_valid, sum/prorate, formats, bad input."""
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import reverse_code, score_scales


@pytest.fixture()
def d():
    return pd.DataFrame({"a": [2, 3, np.nan, 5], "b": [5, 4, 4, np.nan], "c": [2, np.nan, np.nan, 3]},
                        index=["r1", "r2", "r3", "r4"])


def test_reverse_uses_declared_bounds(d):
    # observed range of b is 4..5, declared 1..6: reversed = 7 - x, not 9 - x
    s = score_scales(d, {"s": ["a", "-b"]}, item_min=1, item_max=6, min_valid=1)
    assert_allclose(s["s"], [(2 + 2) / 2, (3 + 3) / 2, 3.0, 5.0])
    assert list(s["s_n_valid"]) == [2, 2, 1, 1]
    assert list(s.index) == ["r1", "r2", "r3", "r4"]
    rc = reverse_code(d, ["b"], item_min=1, item_max=6)
    assert_allclose(rc["b"].to_numpy()[:3], [2, 3, 3])


def test_min_valid_count_and_share(d):
    full = score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6)
    assert full["s"].notna().tolist() == [True, False, False, False]
    two = score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6, min_valid=2)
    assert_allclose(two["s"], [3.0, 3.5, np.nan, 4.0])
    share = score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6, min_valid=0.5)
    assert_allclose(share["s"], two["s"])   # 0.5 of 3 items -> 2


def test_sum_and_prorate(d):
    s = score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6, method="sum")
    assert_allclose(s["s"], [9.0, np.nan, np.nan, np.nan])
    p = score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6, method="sum",
                     prorate=True, min_valid=2)
    assert_allclose(p["s"], [9.0, 10.5, np.nan, 12.0])
    with pytest.raises(ParameterError, match="prorate"):
        score_scales(d, {"s": ["a", "b", "c"]}, item_min=1, item_max=6, method="sum", min_valid=2)


def test_long_format_and_overlapping_scales(d):
    lg = score_scales(d, {"s": ["a", "-b"], "t": ["b", "c"]}, item_min=1, item_max=6,
                      min_valid=1, format="long")
    assert list(lg.columns) == ["row", "scale", "score", "n_valid", "n_items"]
    assert len(lg) == 8
    t = lg[lg.scale == "t"].set_index("row")
    assert_allclose(t.loc["r1", "score"], 3.5)


def test_per_item_bounds():
    d = pd.DataFrame({"a": [1, 4], "b": [0, 10]})
    s = score_scales(d, {"s": ["-a", "-b"]}, item_min={"a": 1, "b": 0}, item_max={"a": 4, "b": 10})
    assert_allclose(s["s"], [(4 + 10) / 2, (1 + 0) / 2])


def test_bad_input(d):
    with pytest.raises(DataError, match="'zz'"):
        score_scales(d, {"s": ["a", "zz"]}, item_min=1, item_max=6)
    with pytest.raises(ParameterError, match="min_valid"):
        score_scales(d, {"s": ["a", "b"]}, item_min=1, item_max=6, min_valid=3)
    with pytest.raises(ParameterError, match="min_valid"):
        score_scales(d, {"s": ["a", "b"]}, item_min=1, item_max=6, min_valid=0)
    with pytest.raises(ParameterError, match="method"):
        score_scales(d, {"s": ["a", "b"]}, item_min=1, item_max=6, method="median")
    with pytest.raises(DataError, match="outside the declared range"):
        score_scales(d, {"s": ["a", "b"]}, item_min=1, item_max=4)
    ok = score_scales(d, {"s": ["a", "b"]}, item_min=1, item_max=4, out_of_range="missing",
                      min_valid=1)
    assert_allclose(ok["s"], [2.0, 3.5, 4.0, np.nan])
    with pytest.raises(ParameterError, match="item_max"):
        score_scales(d, {"s": ["a"]}, item_min={"a": 1}, item_max={"b": 6})
    with pytest.raises(ParameterError, match="more than once"):
        score_scales(d, {"s": ["a", "-a"]}, item_min=1, item_max=6)
    with pytest.raises(DataError, match="numeric"):
        score_scales(pd.DataFrame({"a": ["x", "1"]}), {"s": ["a"]}, item_min=1, item_max=6)
