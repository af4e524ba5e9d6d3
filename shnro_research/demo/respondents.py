"""Respondents of the sampled classes and schools (pupils, one parent per responding pupil,
teachers) and the planted data problems in their answers."""
from __future__ import annotations

import numpy as np
import pandas as pd


def _per_unit(rng, units: pd.DataFrame, keep: list[str], name: str) -> pd.DataFrame:
    """For each unit (row), ``n_responded`` of ``1..n_pupils`` drawn without replacement and
    sorted: one row per chosen respondent with the unit's ``keep`` columns."""
    n = units["n_pupils"].to_numpy()
    k = units["n_responded"].to_numpy()
    chosen = [np.sort(rng.choice(np.arange(1, n_i + 1), k_i, replace=False))
              for n_i, k_i in zip(n.tolist(), k.tolist())]
    out = {c: np.repeat(units[c].to_numpy(), k) for c in keep}
    out[name] = (np.concatenate(chosen) if chosen else np.array([], dtype=np.int64))
    return pd.DataFrame(out)


def make_respondents(st, schools, frame, c, waves):
    rng = st("respondents")
    cls = frame[(frame["unit"] == "class") & (frame["sampled"] == 1)].reset_index(drop=True)
    # one draw per class, in the frame's order (the same random stream as drawing class by
    # class); the class columns are repeated once per chosen pupil instead of building one
    # DataFrame per class
    stu = _per_unit(rng, cls, ["school", "school_id", "class_id", "grade", "wave"], "pupil")
    stu["resp_id"] = [f"W{w % 100:02d}-{cid}-{p:03d}" for w, cid, p in
                      zip(stu["wave"], stu["class_id"], stu["pupil"])]
    stu["ses"] = 0.5 * c[stu["school"]] + rng.normal(0, np.sqrt(0.75), len(stu))
    # parents: one per responding pupil, ~65 % respond (class-level variation)
    pr = rng.beta(0.65 * 30, 0.35 * 30, len(cls))
    key = cls["class_id"] + "|" + cls["wave"].astype(str)
    p_cls = pd.Series(pr, index=key)
    p = p_cls.reindex(stu["class_id"] + "|" + stu["wave"].astype(str)).to_numpy()
    par = stu[rng.uniform(size=len(stu)) < p].copy()
    par["resp_id"] = par["resp_id"] + "-P"
    n_par = par.groupby(["class_id", "wave"]).size()
    # teachers
    t = frame[(frame["unit"] == "teachers") & (frame["sampled"] == 1)]
    tea = _per_unit(rng, t, ["school", "school_id", "wave"], "teacher")
    tea["resp_id"] = [f"W{w % 100:02d}-{s}-T{k:03d}" for w, s, k in
                      zip(tea["wave"], tea["school_id"], tea["teacher"])]
    tea["ses"] = 0.0
    return stu, par, tea, n_par



def _likert_cols(inst):
    return [it.id for it in inst.items if it.type == "likert"]


def plant_problems(st, inst, frames, frame, waves) -> list[dict]:
    rng = st("problems")
    problems = []
    stu_inst = inst["students"]
    w_mid = waves[len(waves) // 2]
    w_last = waves[-1]
    w_first = waves[0]
    S = frames["students"]

    def pick_row(df, wave, avoid=()):
        idx = df.index[(df["wave"] == wave) & ~df["resp_id"].isin(avoid)]
        return int(rng.choice(idx))

    used: list[str] = []
    # 1. duplicate ids: an exact double entry and a different respondent with the same id
    i = pick_row(S, w_mid)
    dup1 = S.loc[[i]].copy()
    used.append(S.at[i, "resp_id"])
    problems.append(dict(problem="duplicate_id", group="students", wave=w_mid,
                         resp_id=S.at[i, "resp_id"], detail="exact duplicate row (double entry)"))
    j = pick_row(S, w_mid, used)
    k = pick_row(S, w_mid, used + [S.at[j, "resp_id"]])
    dup2 = S.loc[[k]].copy()
    dup2["resp_id"] = S.at[j, "resp_id"]
    used += [S.at[j, "resp_id"], S.at[k, "resp_id"]]
    problems.append(dict(problem="duplicate_id", group="students", wave=w_mid,
                         resp_id=S.at[j, "resp_id"],
                         detail=f"a second, different respondent (answers of "
                                f"{S.at[k, 'resp_id']}) entered under the same id"))
    # the two rows are appended at the end (pick_row never picks them: their ids are used)
    # 2. out-of-range codes: one per group (a code that is neither valid nor missing)
    for g, wave, offset in (("students", w_first, 1), ("parents", w_mid, -1),
                            ("teachers", w_last, 2)):
        df = frames[g]
        cols = [c for c in _likert_cols(inst[g]) if inst[g].item(c).missing] \
            or _likert_cols(inst[g])
        if not cols:
            continue
        col = cols[int(rng.integers(len(cols)))]
        it = inst[g].item(col)
        taken = set(it.codes) | set(it.missing)
        bad = (max(it.codes) if offset > 0 else min(it.codes)) + offset
        while bad in taken:
            bad += 1 if offset > 0 else -1
        r = pick_row(df, wave, used)
        used.append(df.at[r, "resp_id"])
        df.at[r, col] = float(bad)
        problems.append(dict(problem="out_of_range", group=g, wave=wave,
                             resp_id=df.at[r, "resp_id"], column=col, value=int(bad)))
    # 3. invalid rankings (students): a tie and a gap
    rk = [it for it in stu_inst.items if it.type == "ranking"]
    if rk:
        it = rk[0]
        for kind in ("tie", "gap"):
            r = pick_row(S, w_last, used)
            while S.loc[r, it.columns].isna().any():
                r = pick_row(S, w_last, used)
            used.append(S.at[r, "resp_id"])
            vals = S.loc[r, it.columns].to_numpy(float)
            if kind == "tie":
                a = int(np.flatnonzero(vals == 6)[0])
                S.at[r, it.columns[a]] = 5.0
                detail = "ranks 5 given twice, rank 6 missing"
            else:
                a = int(np.flatnonzero(vals == min(12, len(vals)))[0])
                S.at[r, it.columns[a]] = np.nan
                detail = f"option {it.columns[a]} left unranked (rank {min(12, len(vals))} missing)"
            problems.append(dict(problem=f"invalid_ranking_{kind}", group="students",
                                 wave=w_last, resp_id=S.at[r, "resp_id"], item=it.id,
                                 detail=detail))
    # 4. straightliners: every likert item at the same position
    lk = _likert_cols(stu_inst)
    for kind in ("middle", "top"):
        r = pick_row(S, w_first, used)
        used.append(S.at[r, "resp_id"])
        for col in lk:
            codes = sorted(stu_inst.item(col).codes)
            S.at[r, col] = float(codes[len(codes) // 2] if kind == "middle" else codes[-1])
        problems.append(dict(problem="straightliner", group="students", wave=w_first,
                             resp_id=S.at[r, "resp_id"],
                             detail=f"every likert item at its {kind} code"))
    # 5. a respondent from a class that was not sampled
    r = pick_row(S, w_mid, used)
    sid = S.at[r, "school_id"]
    other = frame[(frame["unit"] == "class") & (frame["school_id"] == sid) &
                  (frame["sampled"] == 0) & (frame["wave"] == w_mid)]
    if len(other):
        new_cls = other["class_id"].iloc[0]
        old = S.at[r, "resp_id"]
        S.at[r, "class_id"] = new_cls
        S.at[r, "resp_id"] = f"W{w_mid % 100:02d}-{new_cls}-001"
        used.append(S.at[r, "resp_id"])
        problems.append(dict(problem="non_sampled_class", group="students", wave=w_mid,
                             resp_id=S.at[r, "resp_id"], class_id=new_cls,
                             detail=f"class {new_cls} is in the frame but was not sampled "
                                    f"(replaces respondent {old})"))
    # 6. a respondent with almost nothing answered
    r = pick_row(S, w_last, used)
    used.append(S.at[r, "resp_id"])
    keep = {c for c in ("sex", "grade") if c in S.columns}
    blank = [c for c in stu_inst.columns if c not in keep]
    for c in blank:
        S.at[r, c] = None if S[c].dtype == object else np.nan
    problems.append(dict(problem="almost_empty", group="students", wave=w_last,
                         resp_id=S.at[r, "resp_id"],
                         detail=f"only {sorted(keep)} answered"))
    # the answers come one block per column (generate_answers); each frame is rebuilt here into
    # one float block, a column at a time, the students with the two duplicate rows appended
    # and sorted: no group's answers are ever held twice
    for g in frames:
        if g != "students":
            frames[g] = _rebuild(frames[g])
    rows = pd.concat([dup1, dup2], ignore_index=True)
    keys = ["wave", "school_id", "class_id", "resp_id"]
    order = pd.concat([S[keys], rows[keys]], ignore_index=True).sort_values(
        keys, kind="mergesort").index.to_numpy()
    frames["students"] = _rebuild(S, lambda c, s: pd.concat([s, rows[c]], ignore_index=True)
                                  .take(order).reset_index(drop=True))
    return problems


def _trim() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere
    nothing): the columns given back by :func:`_rebuild` are heap chunks, which the allocator
    would otherwise keep beside the new block."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _rebuild(df: pd.DataFrame, column=None) -> pd.DataFrame:
    """``df`` rebuilt with its float64 columns in one block (its other columns as they are),
    a column at a time, each column deleted from ``df`` once copied; ``column(name, series)``
    gives the new column (default: the same). A frame of one block per column (as
    generate_answers gives) is never held twice: the block's rows are written, and so take
    memory, one at a time while ``df`` gives back its columns. With ``column`` =
    concat + take this is ``pd.concat([df, rows]).sort_values(keys, kind="mergesort")``."""
    names = list(df.columns)
    floats = [c for c in names if df[c].dtype == np.float64]
    row = {c: j for j, c in enumerate(floats)}
    block, others, index = None, {}, df.index
    for k, c in enumerate(names):
        v = df[c] if column is None else column(c, df[c])
        index = v.index
        if c in row:
            if block is None:
                block = np.empty((len(floats), len(v)))
            block[row[c]] = v.to_numpy()
        else:
            others[c] = v.array
        del v, df[c]
        if k % 8 == 7:
            _trim()
    out = pd.DataFrame(block.T if block is not None else None, columns=floats or None,
                       index=index, copy=False)
    for pos, c in enumerate(names):
        if c in others:
            out.insert(pos, c, others[c])
    return out
