"""Printable summaries of result objects (design and models stages), in the manner of statsmodels.

:func:`summary_text` lays out a title, a header of ``(label, value)`` pairs in two columns (model,
data, estimator, fit statistics, type of standard errors) and then one or more tables -- first
the coefficient table. The result is a :class:`Summary`, a ``str`` that prints and displays
itself as text (``print(fit.summary())``, or just ``fit.summary()`` in a notebook).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

WIDTH = 78


class Summary(str):
    """A printable summary: a ``str`` whose ``repr`` is the text itself."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html
        return f"<pre>{html.escape(str(self))}</pre>"

    def as_text(self) -> str:
        """The summary as plain text (statsmodels ``Summary.as_text``)."""
        return str(self)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):d}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if np.isnan(v):
            return "NA"
        if np.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-4):
            return f"{v:.4g}"
        return f"{v:.2f}" if abs(v) >= 1000 else f"{v:.4f}"
    return str(value)


def _header(pairs: Sequence[tuple[str, Any]]) -> list[str]:
    """Two columns of ``label: value`` pairs, filled left then right (as statsmodels)."""
    col = WIDTH // 2
    items = [(str(k), _fmt(v)) for k, v in pairs if v is not None]
    wide = [(k, v) for k, v in items if len(v) > col - 22 or len(k) > 19]
    items = [kv for kv in items if kv not in wide]
    lines = [f"{k + ':':<20}{v}" for k, v in wide]
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:]
    for i in range(half):
        k, v = left[i]
        s = f"{k + ':':<20}{v:>{col - 21}} "
        if i < len(right):
            k2, v2 = right[i]
            s += f"{k2 + ':':<20}{v2:>{WIDTH - col - 20}}"
        lines.append(s.rstrip())
    return lines


def format_table(table: pd.DataFrame, index: str | None = None) -> str:
    """A DataFrame as aligned text with 4 significant decimals (``index``: the row-label column)."""
    t = table.copy()
    if index is not None and index in t.columns:
        t = t.set_index(index)
        t.index.name = None
    for c in t.columns:
        if pd.api.types.is_float_dtype(t[c]):
            v = t[c].to_numpy(dtype=float)
            fin = v[np.isfinite(v)]
            if fin.size and np.all(fin == np.round(fin)) and np.all(np.abs(fin) < 1e6):
                t[c] = [_fmt(int(x)) if np.isfinite(x) else _fmt(x) for x in v]
            else:
                t[c] = [_fmt(x) for x in v]
    return t.to_string(index=index is not None)


def summary_text(title: str, header: Sequence[tuple[str, Any]],
                 tables: Sequence[tuple[str | None, pd.DataFrame, str | None]],
                 notes: Sequence[str] = ()) -> Summary:
    """Compose a :class:`Summary`: title, header pairs, then ``(caption, table, index)`` blocks."""
    lines = [title.center(WIDTH).rstrip(), "=" * WIDTH, *_header(header)]
    for caption, table, index in tables:
        lines.append("=" * WIDTH if caption is None else "-" * WIDTH)
        if caption:
            lines.append(caption)
        lines.append(format_table(table, index))
    lines.append("=" * WIDTH)
    for n in notes:
        lines.append(f"Note: {n}")
    return Summary("\n".join(lines))
