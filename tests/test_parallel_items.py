"""Comparable groups: tension items meant for comparison carry one `parallel` id in students,
parents and teachers; group-specific questions have their own ids; the group comparison of
tension uses the parallel items only, and an item id that means different things in two groups
is left out with its reason."""
import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import ShnroWarning
from shnro_research.instruments import load_instrument, parse_instrument
from shnro_research.scoring import compare_groups
from shnro_research.scoring.instrument import (parallel_items, tension_balance,
                                               tension_group_comparison, tension_parallel)

GROUPS = ("students", "parents", "teachers")


@pytest.fixture(scope="module")
def bundled():
    return {g: load_instrument(g) for g in GROUPS}


def test_bundled_tension_items_are_parallel_and_ids_mean_one_thing(bundled):
    pars = {g: {it.id: it.parallel for it in ins.items_of(role="tension")}
            for g, ins in bundled.items()}
    assert pars["students"] == pars["parents"] == pars["teachers"]
    assert all(pars["students"].values()) and len(set(pars["students"].values())) == 11
    # every id used in several instruments carries the same parallel id in each of them
    ids: dict[str, set] = {}
    for ins in bundled.values():
        for it in ins.items:
            ids.setdefault(it.id, set()).add(it.parallel)
    assert all(len(v) == 1 for v in ids.values()), {k: v for k, v in ids.items() if len(v) > 1}
    # the group-specific conflicts have their own ids, outside the compared index
    assert bundled["parents"].item("ten_parents_school").role == "tension_group"
    assert bundled["teachers"].item("ten_staff_admin").role == "tension_group"
    for g, iid in (("students", "ten_parents_school"), ("students", "ten_staff_admin"),
                   ("teachers", "ten_parents_school"), ("parents", "ten_staff_admin")):
        assert iid not in [it.id for it in bundled[g].items]
    assert "ten_staff_admin" not in bundled["teachers"].scales["tension"].items
    m = parallel_items(bundled)
    assert m.included.all() and (m.groupby("group").size() == 11).all()


def _mini(group, pars, reverse=()):
    items = [{"id": iid, "type": "likert", "codes": {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"},
              "scales": ["tension"], "text": f"Пункт {iid}", "reverse": iid in reverse,
              **({"parallel": p} if p else {})} for iid, p in pars.items()]
    return parse_instrument({"instrument": {"id": group, "group": group},
                             "sections": [{"id": "t", "items": items}],
                             "scales": {"tension": {"role": "tension", "min_valid": 0.5}}},
                            source=f"{group}.yaml")


@pytest.fixture
def two_groups():
    # x01 and x02 are parallel; x03 means something else in each group (different parallel
    # ids); x04 is students-only; y05 is the teachers' own question
    a = _mini("students", {"x01": "conflict", "x02": "calm", "x03": "unfair_pupils",
                           "x04": ""}, reverse=("x02",))
    b = _mini("teachers", {"x01": "conflict", "x02": "calm", "x03": "unfair_staff",
                           "y05": ""}, reverse=("x02",))
    rng = np.random.default_rng(11)
    n = 40
    frames = []
    for g, cols in (("students", ["x01", "x02", "x03", "x04"]),
                    ("teachers", ["x01", "x02", "x03", "y05"])):
        d = pd.DataFrame(rng.integers(1, 6, size=(n, 4)).astype(float), columns=cols)
        d.loc[::7, "x01"] = np.nan
        frames.append(d.assign(group=g, resp_id=np.arange(n), school_id=np.repeat([1, 2], n // 2),
                               wave=2024))
    return {"students": a, "teachers": b}, pd.concat(frames, ignore_index=True)


def test_clashing_and_group_specific_items_are_excluded_with_reasons(two_groups):
    ins, _ = two_groups
    with pytest.warns(ShnroWarning, match="x03.*different parallel ids"):
        m = parallel_items(ins)
    kept = m[m.included]
    assert sorted(kept.item.unique()) == ["x01", "x02"]
    r = m.set_index(["group", "item"]).reason
    assert "different parallel ids" in r[("students", "x03")]
    assert "different parallel ids" in r[("teachers", "x03")]
    assert r[("students", "x04")].startswith("no parallel id")
    assert r[("teachers", "y05")].startswith("no parallel id")


def test_comparison_uses_only_parallel_items(two_groups):
    ins, data = two_groups
    with pytest.warns(ShnroWarning):
        sc = tension_parallel(data, ins)
    # by hand: 100 (y - 1) / 4 over x01 and reversed x02, mean of the answered (>= 1 of 2)
    y1 = 100 * (data["x01"] - 1) / 4
    y2 = 100 * ((6 - data["x02"]) - 1) / 4
    expected = pd.concat([y1, y2], axis=1).mean(axis=1)
    np.testing.assert_allclose(sc["tension_parallel"].to_numpy(), expected.to_numpy(),
                               rtol=1e-12, atol=0)
    assert (sc["tension_parallel_n_valid"] == data[["x01", "x02"]].notna().sum(axis=1)).all()
    with pytest.warns(ShnroWarning):
        cmp_ = tension_group_comparison(data, ins, by=["school_id", "wave"])
    ref = compare_groups(sc.assign(tension_parallel=expected.to_numpy()), "tension_parallel",
                         "group", by=["school_id", "wave"])
    np.testing.assert_allclose(cmp_["est"], ref["est"], rtol=1e-12, atol=0)
    s1 = expected[(data.group == "students") & (data.school_id == 1)].mean()
    t1 = expected[(data.group == "teachers") & (data.school_id == 1)].mean()
    np.testing.assert_allclose(cmp_.loc[cmp_.school_id == 1, "est"].iloc[0], s1 - t1,
                               rtol=1e-12, atol=0)
    # the balance of the indicators: only the parallel items, matched by their parallel id
    with pytest.warns(ShnroWarning):
        bal = tension_balance(data, ins)
    assert set(bal["item"]) == {"x01", "x02"} and set(bal["parallel"]) == {"conflict", "calm"}


def test_no_parallel_item_is_refused(two_groups):
    ins, data = two_groups
    a = _mini("students", {"x01": "", "x02": ""})
    b = _mini("teachers", {"x01": "", "x02": ""})
    with pytest.warns(ShnroWarning), pytest.raises(Exception, match="no item of scale 'tension' "
                                                                   "is parallel in all groups"):
        tension_parallel(data, {"students": a, "teachers": b})


def test_single_instrument_balance_uses_its_parallel_items(bundled):
    s = bundled["students"]
    rng = np.random.default_rng(3)
    cols = list(s.scales["tension"].items)
    d = pd.DataFrame(rng.integers(1, 6, size=(30, len(cols))).astype(float), columns=cols)
    d = d.assign(group="students", wave=2024)
    bal = tension_balance(d, s)
    assert list(bal["item"]) == cols and bal["parallel"].str.len().gt(0).all()
