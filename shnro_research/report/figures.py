"""Publication figures from tidy tables (matplotlib, no global pyplot state).

Each function takes a tidy DataFrame and returns a :class:`matplotlib.figure.Figure`;
:func:`save_figure` writes PNG (300 dpi), SVG and PDF with fixed metadata, so reruns give
identical files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._checks import ParameterError, check_columns

GROUP_COLORS = {"students": "#1b9e77", "parents": "#d95f02", "teachers": "#7570b3"}
GROUP_LABELS = {"ru": {"students": "Учащиеся", "parents": "Родители", "teachers": "Учителя"},
                "en": {"students": "Students", "parents": "Parents", "teachers": "Teachers"}}
_T = {
    "ru": {"context": "Индекс социального благополучия школы", "result": "Результат",
           "resilient": "резильентные", "school": "Школа", "tension": "Индекс напряжённости (0–100)",
           "rank": "Средний ранг (1 — самая важная)", "wave": "Волна", "effect": "Эффект школы",
           "fit": "Регрессия на контекст"},
    "en": {"context": "School social well-being index", "result": "Result",
           "resilient": "resilient", "school": "School", "tension": "Tension index (0–100)",
           "rank": "Mean rank (1 = most important)", "wave": "Wave", "effect": "School effect",
           "fit": "Regression on context"},
}


def _fig(width=6.5, height=4.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "svg", "pdf"),
                dpi: int = 300) -> list[Path]:
    """Write ``stem.png`` (``dpi``), ``stem.svg`` and ``stem.pdf`` with fixed metadata."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        if fmt not in ("png", "svg", "pdf"):
            raise ParameterError(f"'formats' must be among ['png', 'svg', 'pdf']; got {fmt!r}")
        meta = {"png": {"Software": "shnro_research"},
                "svg": {"Date": None, "Creator": "shnro_research"},
                "pdf": {"CreationDate": None, "ModDate": None, "Creator": "shnro_research",
                        "Producer": "shnro_research"}}[fmt]
        path = stem.with_suffix("." + fmt)
        kw = {"dpi": dpi} if fmt == "png" else {}
        if fmt == "svg":
            import matplotlib
            with matplotlib.rc_context({"svg.hashsalt": "shnro"}):
                fig.savefig(path, format=fmt, metadata=meta, **kw)
        else:
            fig.savefig(path, format=fmt, metadata=meta, **kw)
        out.append(path)
    return out


def results_vs_context(schools: pd.DataFrame, *, x: str = "context", y: str = "result",
                       label: str = "school_id", resilient: str | None = "resilient",
                       x_threshold: float | None = None, y_threshold: float | None = None,
                       fit: bool = True, lang: str = "ru", xlabel: str | None = None,
                       ylabel: str | None = None) -> Figure:
    """Scatter of school results against context with quadrants and resilient schools labelled.

    Quadrant lines default to the medians (``x_threshold``/``y_threshold`` set them); the OLS
    line of ``y`` on ``x`` is drawn when ``fit``; schools with ``resilient`` true are marked
    and labelled with their (pseudonymous) id.
    """
    check_columns(schools, [x, y, label], "schools")
    d = schools.dropna(subset=[x, y])
    t = _T[lang]
    fig = _fig()
    ax = fig.add_subplot()
    flag = d[resilient].astype(bool) if resilient and resilient in d else pd.Series(False, d.index)
    ax.scatter(d.loc[~flag, x], d.loc[~flag, y], s=22, color="#777777", alpha=.8)
    ax.scatter(d.loc[flag, x], d.loc[flag, y], s=40, color="#d62728", label=t["resilient"])
    for _, r in d.loc[flag].iterrows():
        ax.annotate(str(r[label]), (r[x], r[y]), xytext=(4, 4), textcoords="offset points",
                    fontsize=8, color="#d62728")
    xt = d[x].median() if x_threshold is None else x_threshold
    yt = d[y].median() if y_threshold is None else y_threshold
    ax.axvline(xt, color="#444", lw=.8, ls="--")
    ax.axhline(yt, color="#444", lw=.8, ls="--")
    if fit and len(d) > 2:
        b, a = np.polyfit(d[x], d[y], 1)
        xs = np.linspace(d[x].min(), d[x].max(), 50)
        ax.plot(xs, a + b * xs, color="#1f77b4", lw=1.2, label=t["fit"])
    ax.set_xlabel(xlabel or t["context"])
    ax.set_ylabel(ylabel or t["result"])
    ax.legend(frameon=False, fontsize=8, loc="best")
    return fig


def tension_by_school(tension: pd.DataFrame, *, school: str = "school_id", group: str = "group",
                      est: str = "est", ci: tuple[str, str] | None = ("ci_low", "ci_high"),
                      thresholds: Sequence[float] = (), lang: str = "ru") -> Figure:
    """Dot plot of the tension index per school (rows) and respondent group (colours)."""
    check_columns(tension, [school, group, est], "tension")
    d = tension.copy()
    order = (d.groupby(school)[est].mean().sort_values().index.tolist())
    pos = {s: i for i, s in enumerate(order)}
    groups = [g for g in GROUP_COLORS if g in set(d[group])] + \
        sorted(set(d[group]) - set(GROUP_COLORS))
    fig = _fig(6.5, max(3.0, 0.22 * len(order) + 1.2))
    ax = fig.add_subplot()
    off = np.linspace(-.25, .25, max(1, len(groups))) if len(groups) > 1 else [0]
    for k, g in enumerate(groups):
        dg = d[d[group] == g]
        yy = dg[school].map(pos).to_numpy() + off[k]
        color = GROUP_COLORS.get(g)
        if ci and ci[0] in dg and ci[1] in dg:
            ax.hlines(yy, dg[ci[0]], dg[ci[1]], color=color, lw=1, alpha=.7)
        ax.scatter(dg[est], yy, s=16, color=color, label=GROUP_LABELS[lang].get(g, g), zorder=3)
    for th in thresholds:
        ax.axvline(th, color="#999", lw=.7, ls=":")
    ax.set_yticks(range(len(order)), [str(s) for s in order], fontsize=7)
    ax.set_xlabel(_T[lang]["tension"])
    ax.set_ylabel(_T[lang]["school"])
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def _short(label, width: int = 40) -> str:
    """A long label cut at a word boundary with an ellipsis (full text stays in the tables)."""
    label = str(label)
    if len(label) <= width:
        return label
    cut = label[:width].rsplit(" ", 1)[0].rstrip(" ,(")
    return cut + "…"


def value_hierarchies(ranks: pd.DataFrame, *, value: str = "value", group: str = "group",
                      est: str = "mean_rank", lang: str = "ru") -> Figure:
    """Mean (or median) rank of each value per respondent group, values ordered by the mean."""
    check_columns(ranks, [value, group, est], "ranks")
    order = ranks.groupby(value)[est].mean().sort_values().index.tolist()
    pos = {v: i for i, v in enumerate(order)}
    fig = _fig(7.5, max(3.5, 0.28 * len(order) + 1.0))
    ax = fig.add_subplot()
    for g, dg in ranks.groupby(group, sort=False):
        ax.plot(dg[est], dg[value].map(pos), "o", ms=4, color=GROUP_COLORS.get(g),
                label=GROUP_LABELS[lang].get(g, g))
    ax.set_yticks(range(len(order)), [_short(v) for v in order], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_T[lang]["rank"])
    ax.legend(frameon=False, fontsize=8)
    return fig


def dynamics(trend: pd.DataFrame, *, x: str = "wave", est: str = "est",
             ci: tuple[str, str] | None = ("ci_low", "ci_high"), hue: str | None = "group",
             ylabel: str = "", lang: str = "ru") -> Figure:
    """Trend lines over waves (years) with CI bands, one line per ``hue`` level."""
    check_columns(trend, [x, est] + ([hue] if hue else []), "trend")
    fig = _fig()
    ax = fig.add_subplot()
    groups = trend.groupby(hue, sort=False) if hue else [("", trend)]
    for g, dg in groups:
        dg = dg.sort_values(x)
        color = GROUP_COLORS.get(g)
        ax.plot(dg[x], dg[est], "o-", color=color, label=GROUP_LABELS[lang].get(g, g) if hue else None)
        if ci and ci[0] in dg and ci[1] in dg:
            ax.fill_between(dg[x], dg[ci[0]], dg[ci[1]], color=color or "#1f77b4", alpha=.18)
    ax.set_xticks(sorted(trend[x].unique()))
    ax.set_xlabel(_T[lang]["wave"])
    ax.set_ylabel(ylabel)
    if hue:
        ax.legend(frameon=False, fontsize=8)
    return fig


def caterpillar(effects: pd.DataFrame, *, id: str = "school_id", est: str = "est",
                ci: tuple[str, str] = ("ci_low", "ci_high"), highlight: Sequence | None = None,
                lang: str = "ru") -> Figure:
    """Caterpillar plot: school effects sorted, with intervals; ``highlight`` ids in red."""
    check_columns(effects, [id, est, *ci], "effects")
    d = effects.sort_values(est).reset_index(drop=True)
    hl = set(highlight or [])
    colors = ["#d62728" if s in hl else "#333333" for s in d[id]]
    fig = _fig(6.5, 4.0)
    ax = fig.add_subplot()
    xx = np.arange(len(d))
    ax.vlines(xx, d[ci[0]], d[ci[1]], color=colors, lw=1)
    ax.scatter(xx, d[est], s=10, color=colors, zorder=3)
    ax.axhline(0, color="#999", lw=.8)
    if len(d) <= 60:
        ax.set_xticks(xx, [str(s) for s in d[id]], rotation=90, fontsize=6)
    else:
        ax.set_xticks([])
    ax.set_xlabel(_T[lang]["school"])
    ax.set_ylabel(_T[lang]["effect"])
    return fig
