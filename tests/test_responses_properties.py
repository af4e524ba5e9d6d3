"""Property tests: random response tables either validate with consistent counts or raise
DataError — never a crash, never a row lost."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnro_research._checks import DataError
from shnro_research.instruments import load_instrument
from shnro_research.responses import (ACTION_EXCLUDED, ACTION_FLAGGED, ACTION_MISSING,
                                      read_responses, validate_responses)

DATA = Path(__file__).parent / "data"
INST = load_instrument(DATA / "mini_students.yaml")

CELL = st.one_of(
    st.sampled_from([1, 2, 3, 4, 5, 8, 9, 10, 11, 0]),       # codes, missing code, edges
    st.integers(-5, 300),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.none(),
    st.sampled_from(["", " ", "abc", "много", " 3 ", "2,5", "1e3", "NA", "9", "-"]),
)
IDS = st.one_of(st.integers(1, 12), st.none(), st.sampled_from(["a", " 7", "", "7"]))
SCHOOLS = st.one_of(st.sampled_from([101, 102, 103, 999]), st.none(),
                    st.sampled_from(["101", "x"]), st.floats(100, 104, width=32))


@st.composite
def response_tables(draw):
    n = draw(st.integers(0, 25))
    df = pd.DataFrame({
        "resp_id": draw(st.lists(IDS, min_size=n, max_size=n)),
        "school_id": draw(st.lists(SCHOOLS, min_size=n, max_size=n)),
        "class_id": draw(st.lists(st.sampled_from([1, 2, None, "2"]), min_size=n, max_size=n)),
        "wave": draw(st.lists(st.sampled_from([2021, 2022]), min_size=n, max_size=n)),
    })
    cols = draw(st.lists(st.sampled_from(INST.columns), unique=True, max_size=len(INST.columns)))
    for c in cols:
        kind = draw(st.sampled_from(["codes", "mixed"]))
        if kind == "codes":
            df[c] = draw(st.lists(st.one_of(st.sampled_from([0, 1, 2, 3, 4, 5, 9]), st.none()),
                                  min_size=n, max_size=n))
        else:
            df[c] = pd.Series(draw(st.lists(CELL, min_size=n, max_size=n)), dtype=object)
    if draw(st.booleans()):
        df = df.rename(columns=str.upper)
    return df


RULES = st.fixed_dictionaries({
    "duplicates": st.sampled_from(["exclude_all", "keep_first"]),
    "straightlining": st.sampled_from(["flag", "exclude", "off"]),
    "min_answered": st.sampled_from([0.0, 0.5, 1.0]),
    "straightline_min_items": st.sampled_from([2, 5]),
})
SAMPLE = st.one_of(st.none(), st.just(pd.DataFrame({"school_id": [101, 102]})),
                   st.just(pd.DataFrame({"school_id": ["101", "103"], "class_id": [1, 2]})))


def check_result(res, n):
    assert res.n_raw == n
    assert len(res.clean) + len(res.exclusions) == n
    ex = res.exclusions
    assert ex["row"].is_unique and ex["row"].between(1, n).all()
    assert not set(res.clean.index) & set(ex["row"] - 1)
    p = res.problems
    assert p["row"].between(1, n).all()
    assert set(p["action"].astype(str)) <= {ACTION_MISSING, ACTION_EXCLUDED, ACTION_FLAGGED}
    # every excluded row has an exclusion problem, and vice versa
    ex_rows = set(p.loc[p["action"].astype(str) == ACTION_EXCLUDED, "row"])
    assert ex_rows == set(ex["row"])
    c = res.clean
    for it in INST.items:
        cols = [col for col in it.columns if col in c.columns]
        if not cols or it.type == "text":
            continue
        x = c[cols].to_numpy(dtype=float)
        fin = np.isfinite(x)
        if it.type in ("single", "likert"):
            assert np.isin(x[fin], list(it.codes)).all()
        elif it.type == "numeric":
            assert ((x[fin] >= it.min) & (x[fin] <= it.max)).all()
        elif it.type == "multiple":
            assert np.isin(x[fin], [0, 1]).all()
            assert (np.nansum(x == 1, axis=1) <= it.max_choices).all()
        elif it.type == "ranking":
            some = fin.any(axis=1)
            if len(cols) == len(it.columns):
                ok = np.sort(x[some], axis=1) == np.arange(1, len(cols) + 1)
                assert ok.all()
            else:
                assert not some.any()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(df=response_tables(), rules=RULES, sample=SAMPLE)
def test_random_tables_validate_or_raise_data_error(df, rules, sample):
    before = df.copy(deep=True)
    try:
        res = validate_responses(df, INST, rules=rules, sample=sample)
    except DataError:
        return
    finally:
        pd.testing.assert_frame_equal(df, before)          # input never modified
    check_result(res, len(df))
    res.summary()
    res.text()


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(df=response_tables(), sep=st.sampled_from([",", ";"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
def test_random_tables_through_csv(df, sep, encoding):
    df = df.copy()
    name = "COMMENT" if "COMMENT" in df.columns else "comment"
    df[name] = "Всё хорошо"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        df.to_csv(path, sep=sep, index=False, encoding=encoding)
        try:
            raw = read_responses(path, INST)
        except DataError as exc:
            assert len(df) == 0 and "no data rows" in str(exc)
            return
        assert len(raw.data) == len(df)
        assert (raw.data["comment"] == "Всё хорошо").all()
        try:
            res = validate_responses(raw, INST)
        except DataError:
            return
        check_result(res, len(df))
