"""scoring._common.group_codes: the fast mixed-radix codes equal what
``MultiIndex.factorize(sort=True)`` gave before (codes, key order and key dtypes), for strings,
numbers, missing keys and categoricals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_research.scoring._common import group_codes


def reference(data, by):
    complete = data[by].notna().all(axis=1).to_numpy()
    codes = np.full(len(data), -1, dtype=np.int64)
    c, uniques = pd.MultiIndex.from_frame(data.loc[complete, by]).factorize(sort=True)
    codes[complete] = c
    keys = uniques.to_frame(index=False)
    keys.columns = by
    return codes, keys.reset_index(drop=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 20_000
    return pd.DataFrame({
        "school_id": rng.choice([f"S{i:04d}" for i in range(300)], n),
        "wave": rng.choice([2024, 2022, 2023], n),
        "group": pd.Series(rng.choice(["students", "parents", "teachers"], n)).astype("string"),
        "sex": rng.choice([1.0, 2.0, np.nan], n),
        "kind": pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["c", "b", "a"]),
    })


@pytest.mark.parametrize("by", [["school_id", "wave"], ["wave", "group", "sex"],
                                ["kind", "wave"], ["sex", "school_id", "group"]])
def test_group_codes_equal_the_multiindex_factorisation(data, by):
    codes, keys = group_codes(data, by)
    ref_codes, ref_keys = reference(data, by)
    np.testing.assert_array_equal(codes, ref_codes)
    pd.testing.assert_frame_equal(keys, ref_keys)
    assert (codes[data[by].isna().any(axis=1).to_numpy()] == -1).all()


def test_group_codes_with_every_key_missing(data):
    empty = data.assign(sex=np.nan)
    codes, keys = group_codes(empty, ["sex", "wave"])
    assert (codes == -1).all() and keys.empty and list(keys.columns) == ["sex", "wave"]
