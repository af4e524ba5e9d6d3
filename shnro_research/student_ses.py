"""Students' socio-economic status (SES) from their own answers, ESCS-style.

Components are the students' instrument items with roles ``ses_parent_edu`` (the higher of the
two parents counts), ``ses_books`` and ``ses_possession`` (summed over possessions). The index is
the equal-weight mean of the standardised components, re-standardised — the PISA 2018+
construction without occupational status (OECD 2019, PISA 2018 Technical Report, ch. 16) —
within each wave.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .context import student_ses_index


def _components(instrument) -> tuple[list[str], list[str], list[str]]:
    return tuple([i.id for i in instrument.items if i.role == role]
                 for role in ("ses_parent_edu", "ses_books", "ses_possession"))


def student_ses_columns(instrument) -> list[str]:
    """The columns of the students' table that :func:`student_ses` reads: ``resp_id,
    school_id, wave`` and the items with an SES role (so a big table can be read with only
    these columns)."""
    edu, books, poss = _components(instrument)
    return ["resp_id", "school_id", "wave", *edu, *books[:1], *poss]


def student_ses(data: pd.DataFrame, instrument) -> pd.DataFrame:
    """``resp_id, wave, ses`` of every student; ``ses`` is missing when too few components.

    A student needs all but one of the components present.
    """
    edu, books, poss = _components(instrument)
    comp = pd.DataFrame({"resp_id": data["resp_id"], "school_id": data["school_id"],
                         "wave": data["wave"]})
    comps = {}
    if edu:
        comp["parent_edu"] = data[edu].max(axis=1, skipna=True)
        comps["parent_edu"] = 1
    if books:
        comp["books"] = data[books[0]]
        comps["books"] = 1
    if poss:
        comp["possessions"] = data[poss].sum(axis=1, min_count=len(poss))
        comps["possessions"] = 1
    if not comps:
        return comp.assign(ses=np.nan)[["resp_id", "wave", "ses"]]
    res = student_ses_index(comp, comps, student=["resp_id", "wave"], school="school_id",
                            by="wave", min_components=max(1, len(comps) - 1))
    return res.scores[["resp_id", "wave", "est"]].rename(columns={"est": "ses"})
