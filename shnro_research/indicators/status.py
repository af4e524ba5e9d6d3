"""Qualitative results and the action plan of a programme: the catalogue's items with the status
the municipality records (tables ``programme_results`` and ``action_plan``, forms
``surveys/programme_results.yaml`` and ``surveys/action_plan.yaml``), and their counts."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import public
from ..errors import DataError, ParameterError
from .catalogue import Catalogue, load_catalogue

__all__ = ["RESULT_STATUS", "ACTION_STATUS", "result_status_table", "action_plan_table",
           "status_summary"]

#: Codes of the status of a qualitative result (form ``programme_results``), ru / en.
RESULT_STATUS = {
    1: ("не реализуется", "not implemented"),
    2: ("разработана, не реализуется", "developed, not yet implemented"),
    3: ("разработана, частично реализуется", "developed, partly implemented"),
    4: ("реализуется", "implemented"),
    5: ("достигнуто", "achieved"),
    6: ("частично достигнуто", "partly achieved"),
    7: ("не достигнуто", "not achieved"),
}
#: Codes of the execution of an action-plan item (form ``action_plan``), ru / en.
ACTION_STATUS = {
    1: ("выполнено", "done"),
    2: ("выполнено частично", "partly done"),
    3: ("не выполнено", "not done"),
    4: ("срок не наступил", "not yet due"),
}
_NO_INFO = ("нет сведений", "no information")


def _cat(catalogue) -> Catalogue:
    return catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)


def _statuses(df: pd.DataFrame | None, name: str, extra: list[str]) -> pd.DataFrame:
    """The recorded statuses, keys as text (programme, item) and year as int."""
    cols = ["programme", "item", "year", "status"] + extra
    if df is None:
        return pd.DataFrame(columns=cols)
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"{name!r} must be a pandas DataFrame or None; got {type(df).__name__}")
    miss = [c for c in ("programme", "item", "year", "status") if c not in df.columns]
    if miss:
        raise DataError(f"{name}: column(s) {miss} not found; expected the form "
                        f"surveys/{name}.yaml (programme, item, year, status, ...)")
    if pd.api.types.is_float_dtype(df["item"]):
        raise DataError(f"{name}: column 'item' was read as decimal numbers (e.g. "
                        f"{df['item'].dropna().iloc[0]!r}), so items such as 2.1 and 2.10 cannot "
                        "be told apart; store the column as text (Excel: format «Текстовый»)")
    d = df.copy()
    for c in extra:
        if c not in d.columns:
            d[c] = ""
    d["programme"] = d["programme"].astype(str).str.strip()
    d["item"] = d["item"].astype(str).str.strip()
    d["year"] = pd.to_numeric(d["year"], errors="coerce")
    d["status"] = pd.to_numeric(d["status"], errors="coerce")
    d.loc[d["status"] < 0, "status"] = np.nan           # -9 «нет сведений»
    for c in extra:
        d[c] = d[c].where(d[c].notna(), "").astype(str)
    return d[cols]


def _join(items: pd.DataFrame, rec: pd.DataFrame, codes: dict, name: str) -> pd.DataFrame:
    """Every catalogue item x every recorded year of its programme (an item with no row in a
    year gets status NaN, «нет сведений»); unknown (programme, item) pairs are an error."""
    known = set(zip(items["programme"], items["number"]))
    bad = rec[[(p, i) not in known for p, i in zip(rec["programme"], rec["item"])]]
    if len(bad):
        r = bad.iloc[0]
        raise DataError(f"{name}: row {int(bad.index[0]) + 1}: (programme, item) = "
                        f"({r['programme']!r}, {r['item']!r}) is not an item of the catalogue; "
                        f"expected one of its numbers, e.g. {sorted(known)[:3]}")
    years = rec[["programme", "year"]].dropna().drop_duplicates()
    grid = items.merge(years, on="programme", how="inner")
    out = grid.merge(rec.rename(columns={"item": "number"}), on=["programme", "number", "year"],
                     how="left")
    bad_code = out["status"].notna() & ~out["status"].isin(list(codes))
    if bad_code.any():
        r = out[bad_code].iloc[0]
        raise DataError(f"{name}: status {r['status']!r} of ({r['programme']}, {r['number']}, "
                        f"{int(r['year'])}) is not a code; expected one of {sorted(codes)} or -9")
    out["status_ru"] = out["status"].map(lambda s: codes[int(s)][0] if s == s else _NO_INFO[0])
    out["status_en"] = out["status"].map(lambda s: codes[int(s)][1] if s == s else _NO_INFO[1])
    out["year"] = pd.array(out["year"], dtype="Int64")
    out["status"] = pd.array(out["status"], dtype="Int64")
    return out


@public
def result_status_table(catalogue: Catalogue | str | Path | Mapping | None,
                        statuses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Qualitative results and qualitative indicators of the catalogue(s) with their status.

    Parameters
    ----------
    catalogue : Catalogue, path, programme id or mapping
    statuses : DataFrame, optional
        The table ``programme_results`` (form ``surveys/programme_results.yaml``): programme,
        item, year, status (codes :data:`RESULT_STATUS`, -9 = no information), evidence, date.

    Returns
    -------
    DataFrame
        ``programme, number, item_kind (result | indicator), section, text, year, status,
        status_ru, status_en, evidence, date, reported_year, reported_status``: one row per item
        and recorded year of its programme (an item without a row in that year: status
        «нет сведений»); ``reported_*`` is what the programme text itself reports (Kostroma's
        «Частично достигнуто»...). With no statuses, one row per item (year missing).

    Examples
    --------
    >>> result_status_table("kostroma")[["number", "reported_status"]]   # doctest: +SKIP

    R equivalent: ``merge(items, statuses, all.x = TRUE)``.
    """
    cat = _cat(catalogue)
    rows = [dict(programme=r["programme"], number=r["number"], item_kind="result",
                 section=r.get("section", ""), text=r["text"],
                 reported_year=(r.get("reported") or {}).get("year"),
                 reported_status=(r.get("reported") or {}).get("status", ""))
            for r in cat.results]
    rows += [dict(programme=i["programme"], number=i["number"], item_kind="indicator",
                  section=i.get("section", ""), text=i["wording"], reported_year=None,
                  reported_status="")
             for i in cat.indicators if i["kind"] == "qualitative"]
    items = pd.DataFrame(rows, columns=["programme", "number", "item_kind", "section", "text",
                                        "reported_year", "reported_status"])
    rec = _statuses(statuses, "programme_results", ["evidence", "date"])
    if rec.empty:
        out = items.assign(year=pd.array([pd.NA] * len(items), dtype="Int64"),
                           status=pd.array([pd.NA] * len(items), dtype="Int64"),
                           status_ru=_NO_INFO[0], status_en=_NO_INFO[1], evidence="", date="")
    else:
        out = _join(items, rec, RESULT_STATUS, "programme_results")
        out[["evidence", "date"]] = out[["evidence", "date"]].fillna("")
    out["reported_year"] = pd.array(pd.to_numeric(out["reported_year"], errors="coerce"),
                                    dtype="Int64")
    cols = ["programme", "number", "item_kind", "section", "text", "year", "status", "status_ru",
            "status_en", "evidence", "date", "reported_year", "reported_status"]
    return out[cols].reset_index(drop=True)


@public
def action_plan_table(catalogue: Catalogue | str | Path | Mapping | None,
                      statuses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Action-plan items of the catalogue(s) with their execution and reasons.

    Parameters
    ----------
    catalogue : Catalogue, path, programme id or mapping
    statuses : DataFrame, optional
        The table ``action_plan`` (form ``surveys/action_plan.yaml``): programme, item, year,
        status (codes :data:`ACTION_STATUS`, -9 = no information), responsible, deadline, reason.

    Returns
    -------
    DataFrame
        ``programme, number, section, text, planned_deadline, planned_responsible, year, status,
        status_ru, status_en, responsible, deadline, reason, reported_status, reported_reason``;
        ``planned_*`` as the programme text states them, the others as recorded.

    Examples
    --------
    >>> action_plan_table("minusinsk", plan)   # doctest: +SKIP

    R equivalent: ``merge(items, plan, all.x = TRUE)``.
    """
    cat = _cat(catalogue)
    items = pd.DataFrame([dict(programme=a["programme"], number=a["number"],
                               section=a.get("section", ""), text=a["text"],
                               planned_deadline=a.get("deadline", ""),
                               planned_responsible=a.get("responsible", ""),
                               reported_status=(a.get("reported") or {}).get("status", ""),
                               reported_reason=(a.get("reported") or {}).get("reason", ""))
                          for a in cat.actions],
                         columns=["programme", "number", "section", "text", "planned_deadline",
                                  "planned_responsible", "reported_status", "reported_reason"])
    rec = _statuses(statuses, "action_plan", ["responsible", "deadline", "reason"])
    if rec.empty:
        out = items.assign(year=pd.array([pd.NA] * len(items), dtype="Int64"),
                           status=pd.array([pd.NA] * len(items), dtype="Int64"),
                           status_ru=_NO_INFO[0], status_en=_NO_INFO[1], responsible="",
                           deadline="", reason="")
    else:
        out = _join(items, rec, ACTION_STATUS, "action_plan")
        out[["responsible", "deadline", "reason"]] = out[["responsible", "deadline", "reason"]].fillna("")
    cols = ["programme", "number", "section", "text", "planned_deadline", "planned_responsible",
            "year", "status", "status_ru", "status_en", "responsible", "deadline", "reason",
            "reported_status", "reported_reason"]
    return out[cols].reset_index(drop=True)


@public
def status_summary(results: pd.DataFrame | None = None,
                   actions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts of items per programme, year and status (qualitative results, action plan).

    Returns
    -------
    DataFrame
        ``programme, table (results | action_plan), year, status, status_ru, status_en, n,
        share`` (share of the programme's items of that table and year, 0–1).

    Examples
    --------
    R equivalent: ``as.data.frame(table(programme, year, status))``.
    """
    parts = []
    for name, d in (("results", results), ("action_plan", actions)):
        if d is None or d.empty:
            continue
        g = d.assign(status_key=d["status"].astype("float").fillna(-9)) \
            .groupby(["programme", "year", "status_key", "status_ru", "status_en"], dropna=False) \
            .size().rename("n").reset_index()
        tot = g.groupby(["programme", "year"], dropna=False)["n"].transform("sum")
        g["share"] = g["n"] / tot
        g["table"] = name
        g["status"] = pd.array(g["status_key"].where(g["status_key"] >= 0), dtype="Int64")
        parts.append(g.drop(columns="status_key"))
    cols = ["programme", "table", "year", "status", "status_ru", "status_en", "n", "share"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]
