"""Publication figures from tidy tables (matplotlib, no global pyplot state).

Each function takes a tidy DataFrame and returns a :class:`matplotlib.figure.Figure`;
:func:`save_figure` writes PNG (300 dpi), SVG and PDF with fixed metadata, so reruns give
identical files. The statistics modules draw nothing: the figures of the dynamics tables
(:func:`plot_trend`, :func:`plot_change`) and of the programme indicators
(:func:`plot_achievement`, :func:`plot_indicator_trends`) are here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._checks import as_list, check_columns, check_option
from ..errors import ParameterError
from .labels import GROUP_LABELS, VALUE_LABELS

GROUP_COLORS = {"students": "#1b9e77", "parents": "#d95f02", "teachers": "#7570b3"}
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


#: Above this many schools a per-school axis is not drawn (``tension_by_school``,
#: ``caterpillar``) and per-school labels are left out (``results_vs_context``): 60 labels of
#: 7 pt with the usual 1.6 line spacing take 60 × 7 × 1.6 ≈ 670 pt, the usable height of an A4
#: page (29.7 cm less 2 × 2 cm margins ≈ 730 pt); more do not fit at a readable size. The
#: summary forms show every school's value without a label, and the captions say so.
MAX_SCHOOL_LABELS = 60

#: Above this many schools the per-school marks of the scatter are drawn smaller and lighter so
#: that the density of the cloud stays visible (1,000 marks of 22 pt² already cover a fifth of
#: the 6.5 × 4.5 in axes).
_DENSE_POINTS = 1000

#: seaborn's ``colorblind`` palette (its 10 colours; seaborn itself is not imported: its import
#: alone took longer than drawing a figure)
_COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
               "#949494", "#ece133", "#56b4e9")


def many_schools(n: int) -> bool:
    """Whether ``n`` schools get the summary form of a per-school figure (more than
    :data:`MAX_SCHOOL_LABELS`)."""
    return int(n) > MAX_SCHOOL_LABELS


def _fig(width=6.5, height=4.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "svg", "pdf"),
                dpi: int = 300) -> list[Path]:
    """Write ``stem.png`` (``dpi``), ``stem.svg`` and ``stem.pdf`` with fixed metadata; marks
    drawn rasterized (the per-school marks of a national figure) are embedded in the SVG and PDF
    at ``dpi`` as well."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    raster = any(a.get_rasterized() for ax in fig.axes for a in ax.get_children())
    out = []
    for fmt in formats:
        if fmt not in ("png", "svg", "pdf"):
            raise ParameterError(f"'formats' must be among ['png', 'svg', 'pdf']; got {fmt!r}")
        meta = {"png": {"Software": "shnro_research"},
                "svg": {"Date": None, "Creator": "shnro_research"},
                "pdf": {"CreationDate": None, "ModDate": None, "Creator": "shnro_research",
                        "Producer": "shnro_research"}}[fmt]
        path = stem.with_suffix("." + fmt)
        # rasterized marks (thousands of schools) are embedded in SVG/PDF at ``dpi`` too
        kw = {"dpi": dpi} if fmt == "png" or raster else {}
        if fmt == "svg":
            import matplotlib
            with matplotlib.rc_context({"svg.hashsalt": "shnro"}):
                fig.savefig(path, format=fmt, metadata=meta, **kw)
        else:
            fig.savefig(path, format=fmt, metadata=meta, **kw)
        out.append(path)
    return out


def _resident_bytes() -> int | None:
    """Resident memory of this process (Linux ``/proc/self/statm``; None elsewhere)."""
    try:
        import os
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class FigureSaver:
    """Save figures (:func:`save_figure`) in forked child processes while the caller goes on
    (the report exports its tables meanwhile); :meth:`wait` before the files are read.

    Saving is where the time of a figure goes (three formats, each laid out and drawn), and a
    forked child draws exactly what the caller would: the files are byte-identical. Figures are
    saved in the calling process instead where ``fork`` is unavailable, in a daemon process,
    with ``background=False`` or when the process holds more than ``max_resident`` bytes (a
    child shares the parent's pages, but tools that add up the resident memory of a process
    tree count them twice). At most ``workers`` children run at once (default: the CPUs less
    one, at least one); while they are busy the next figure is saved in the calling process. A
    child that fails is followed by a save in the calling process, which raises the real error.
    """

    def __init__(self, background: bool = True, *, workers: int | None = None,
                 max_resident: int = 1 << 30):
        import multiprocessing as mp
        import os
        rss = _resident_bytes()
        self._ctx = (mp.get_context("fork") if background and rss is not None
                     and rss <= max_resident and "fork" in mp.get_all_start_methods()
                     and not mp.current_process().daemon else None)   # a daemon has no child
        self._workers = workers or max(1, (os.cpu_count() or 1) - 1)
        self._jobs: list = []

    def save(self, fig: Figure, stem: str | Path,
             formats: Sequence[str] = ("png", "svg", "pdf"), dpi: int = 300) -> list[Path]:
        """Start saving ``fig`` as :func:`save_figure` does; returns the paths it will write."""
        stem = Path(stem)
        if self._ctx is None or sum(j[0].is_alive() for j in self._jobs) >= self._workers:
            return save_figure(fig, stem, formats, dpi)     # here, while the children work
        bad = [f for f in formats if f not in ("png", "svg", "pdf")]
        if bad:
            raise ParameterError(f"'formats' must be among ['png', 'svg', 'pdf']; got {bad[0]!r}")
        stem.parent.mkdir(parents=True, exist_ok=True)
        proc = self._ctx.Process(target=save_figure, args=(fig, stem, tuple(formats), dpi))
        proc.start()
        self._jobs.append((proc, fig, stem, tuple(formats), dpi))
        return [stem.with_suffix("." + f) for f in formats]

    def wait(self, timeout: float = 600.0) -> None:
        """Wait for every started save; redo here a failed one (raising its error) and one still
        running after ``timeout`` seconds (the child is ended)."""
        jobs, self._jobs = self._jobs, []
        for proc, fig, stem, formats, dpi in jobs:
            proc.join(timeout)
            if proc.is_alive():
                proc.kill()
                proc.join()
            if proc.exitcode != 0:
                save_figure(fig, stem, formats, dpi)


def results_vs_context(schools: pd.DataFrame, *, x: str = "context", y: str = "result",
                       school: str = "school_id", resilient: str | None = "resilient",
                       x_threshold: float | None = None, y_threshold: float | None = None,
                       fit: bool = True, lang: str = "ru", xlabel: str | None = None,
                       ylabel: str | None = None) -> Figure:
    """Scatter of school results against context with quadrants and resilient schools labelled.

    Quadrant lines default to the medians (``x_threshold``/``y_threshold`` set them); the OLS
    line of ``y`` on ``x`` is drawn when ``fit``; schools with ``resilient`` true are marked
    and labelled with their (pseudonymous) id — up to :data:`MAX_SCHOOL_LABELS` of them; with
    more, the legend gives their number instead. Above ``_DENSE_POINTS`` schools the marks are
    drawn smaller and lighter, rasterized in the vector files.
    """
    check_columns(schools, [x, y, school], "schools")
    d = schools.dropna(subset=[x, y])
    t = _T[lang]
    fig = _fig()
    ax = fig.add_subplot()
    flag = d[resilient].astype(bool) if resilient and resilient in d else pd.Series(False, d.index)
    n_flag = int(flag.sum())
    dense = len(d) > _DENSE_POINTS
    raster = {"rasterized": True} if dense else {}
    ax.scatter(d.loc[~flag, x], d.loc[~flag, y], s=5 if dense else 22, color="#777777",
               alpha=.4 if dense else .8, linewidths=0 if dense else None, **raster)
    labelled = n_flag <= MAX_SCHOOL_LABELS
    ax.scatter(d.loc[flag, x], d.loc[flag, y], s=8 if dense else 40, color="#d62728",
               label=t["resilient"] if labelled else f"{t['resilient']} (n = {n_flag})",
               **raster)
    if labelled:
        for sid, xv, yv in zip(d.loc[flag, school], d.loc[flag, x], d.loc[flag, y]):
            ax.annotate(str(sid), (xv, yv), xytext=(4, 4), textcoords="offset points",
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
    """Dot plot of the tension index per school (rows) and respondent group (colours).

    With more than :data:`MAX_SCHOOL_LABELS` schools the rows would not be readable: the figure
    shows instead the distribution of the schools' index per respondent group (box: quartiles
    and median; whiskers: 5th and 95th percentiles; diamond: mean; n = schools), the
    thresholds as dotted lines.
    """
    check_columns(tension, [school, group, est], "tension")
    if many_schools(tension[school].nunique()):
        return _tension_distribution(tension, school=school, group=group, est=est,
                                     thresholds=thresholds, lang=lang)
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


def _tension_distribution(tension: pd.DataFrame, *, school: str, group: str, est: str,
                          thresholds: Sequence[float], lang: str) -> Figure:
    """The national form of :func:`tension_by_school`: one box per respondent group."""
    d = tension.dropna(subset=[est])
    present = set(d[group])
    groups = [g for g in GROUP_COLORS if g in present] + sorted(present - set(GROUP_COLORS))
    values = [d.loc[d[group] == g, est].to_numpy(dtype=float) for g in groups]
    n = [int(d.loc[d[group] == g, school].nunique()) for g in groups]
    word = "школ" if lang == "ru" else "schools"
    fig = _fig(6.5, max(2.6, 0.7 * len(groups) + 1.4))
    ax = fig.add_subplot()
    pos = np.arange(len(groups))[::-1]
    if groups:
        bp = ax.boxplot(values, positions=pos, orientation="horizontal", whis=(5, 95),
                        showfliers=False, showmeans=True, widths=.55, patch_artist=True,
                        meanprops={"marker": "D", "markersize": 4, "markerfacecolor": "white",
                                   "markeredgecolor": "black"},
                        medianprops={"color": "black"})
        for box, g in zip(bp["boxes"], groups):
            box.set_facecolor(GROUP_COLORS.get(g, "#bbbbbb"))
            box.set_alpha(.75)
    for th in thresholds:
        ax.axvline(th, color="#999", lw=.7, ls=":")
    ax.set_yticks(pos, [f"{GROUP_LABELS[lang].get(g, g)}\n(n = {k} {word})"
                        for g, k in zip(groups, n)], fontsize=8)
    ax.set_xlabel(_T[lang]["tension"])
    return fig


def _short(label, width: int = 40) -> str:
    """A long label cut at a word boundary with an ellipsis (full text stays in the tables)."""
    label = str(label)
    if len(label) <= width:
        return label
    cut = label[:width].rsplit(" ", 1)[0].rstrip(" ,(")
    return cut + "…"


def value_hierarchies(ranks: pd.DataFrame, *, category: str = "category", group: str = "group",
                      est: str = "mean_rank", lang: str = "ru") -> Figure:
    """Mean (or median) rank of each value (``category``: the column naming the ranked value)
    per respondent group, values ordered by the mean."""
    check_columns(ranks, [category, group, est], "ranks")
    order = ranks.groupby(category)[est].mean().sort_values().index.tolist()
    pos = {v: i for i, v in enumerate(order)}
    fig = _fig(7.5, max(3.5, 0.28 * len(order) + 1.0))
    ax = fig.add_subplot()
    for g, dg in ranks.groupby(group, sort=False):
        ax.plot(dg[est], dg[category].map(pos), "o", ms=4, color=GROUP_COLORS.get(g),
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


def caterpillar(effects: pd.DataFrame, *, school: str = "school_id", est: str = "est",
                ci: tuple[str, str] = ("ci_low", "ci_high"), highlight: Sequence | None = None,
                lang: str = "ru") -> Figure:
    """Caterpillar plot: school effects sorted, with intervals; ``highlight`` ids in red.

    Up to :data:`MAX_SCHOOL_LABELS` schools each is labelled; with more, no labels: the
    horizontal axis is the schools' rank (its label gives their number), the intervals are grey
    under the black estimates and the highlighted schools are drawn on top in red; above ``_DENSE_POINTS`` schools the marks are thinner, rasterized
    in the vector files.
    """
    check_columns(effects, [school, est, *ci], "effects")
    d = effects.sort_values(est).reset_index(drop=True)
    hl = d[school].isin(set(() if highlight is None else highlight)).to_numpy()
    fig = _fig(6.5, 4.0)
    ax = fig.add_subplot()
    xx = np.arange(len(d))
    if not many_schools(len(d)):
        colors = np.where(hl, "#d62728", "#333333").tolist()
        ax.vlines(xx, d[ci[0]], d[ci[1]], color=colors, lw=1)
        ax.scatter(xx, d[est], s=10, color=colors, zorder=3)
        ax.axhline(0, color="#999", lw=.8)
        ax.set_xticks(xx, [str(s) for s in d[school]], rotation=90, fontsize=6)
        ax.set_xlabel(_T[lang]["school"])
    else:
        dense = len(d) > _DENSE_POINTS
        for part, line, dot, z in ((~hl, "#bbbbbb", "#333333", 2), (hl, "#f1a1a1", "#d62728", 3)):
            lo, hi = d[ci[0]].to_numpy(float)[part], d[ci[1]].to_numpy(float)[part]
            if dense:       # one path of segments split by NaN: no Path object per school
                xs = np.repeat(xx[part].astype(float), 3)
                xs[2::3] = np.nan
                ys = np.column_stack([lo, hi, np.full(len(lo), np.nan)]).ravel()
                ax.plot(xs, ys, color=line, lw=.3, zorder=z, rasterized=True,
                        solid_capstyle="butt")
            else:
                ax.vlines(xx[part], lo, hi, color=line, lw=.6, zorder=z)
            ax.scatter(xx[part], d[est].to_numpy()[part], s=2 if dense else 5, color=dot,
                       linewidths=0, zorder=z + .5, rasterized=dense)
        ax.axhline(0, color="#999", lw=.8)
        ax.set_xticks([])
        word = ("Школы, упорядоченные по эффекту (n = {n}; красным — {k})" if lang == "ru"
                else "Schools ranked by effect (n = {n}; in red: {k})")
        ax.set_xlabel(word.format(n=len(d), k=int(hl.sum())))
    ax.set_ylabel(_T[lang]["effect"])
    return fig

# --------------------------------------------------------------------------------------------
# dynamics between waves (tables of shnro_research.dynamics)
# --------------------------------------------------------------------------------------------

_CLASSES = ("positive", "negative", "changed", "no change", "cannot tell", "no data")


def _sorted_levels(values: Sequence) -> list:
    """Distinct non-missing values, sorted (as text when they do not compare)."""
    uniq = pd.unique(pd.Series(list(values)).dropna())
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def plot_trend(table: pd.DataFrame, *, x: str = "wave", hue: str | None = "group",
               facet: str | None = "variable", est: str = "est", ci_low: str = "ci_low",
               ci_high: str = "ci_high", title: str | None = None, lang: str = "ru",
               max_facets: int = 12):
    """Trend lines with CI bands (one panel per ``facet`` value, one line per ``hue`` value).

    Parameters
    ----------
    table : DataFrame
        E.g. the output of :func:`shnro_research.dynamics.trend_table`, or a tidy indicator
        table (``x="year"``); CI columns may be absent (lines only).
    x, hue, facet : str
        Columns for the horizontal axis, the lines and the panels (``None`` for none).
    lang : {"ru", "en"}
        Axis labels language.
    max_facets : int
        At most this many panels (the first ones in sorted order).

    Returns
    -------
    matplotlib.figure.Figure
        The caller saves it (``fig.savefig(path)``); nothing is written here.

    Examples
    --------
    R equivalent: ``ggplot(tab, aes(wave, est, ymin = ci_low, ymax = ci_high, colour = group))
    + geom_ribbon(alpha = .2) + geom_line() + facet_wrap(~variable)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    check_columns(table, [x, est] + ([hue] if hue else []) + ([facet] if facet else []), "table")
    has_ci = ci_low in table.columns and ci_high in table.columns
    panels = _sorted_levels(table[facet].tolist())[:max_facets] if facet else [None]
    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 3.2 * nrow), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    palette = _palette()
    for ax, panel in zip(axes, panels):
        sub = table if panel is None else table[table[facet] == panel]
        lines = _sorted_levels(sub[hue].tolist()) if hue else [None]
        for i, h in enumerate(lines):
            s = sub if h is None else sub[sub[hue] == h]
            s = s.sort_values(x)
            colour = palette[i % len(palette)]
            ax.plot(s[x].astype(str) if not pd.api.types.is_numeric_dtype(s[x]) else s[x],
                    s[est], marker="o", color=colour, label=None if h is None else str(h))
            if has_ci and s[ci_low].notna().any():
                xs = s[x].astype(str) if not pd.api.types.is_numeric_dtype(s[x]) else s[x]
                ax.fill_between(xs, s[ci_low].astype(float), s[ci_high].astype(float),
                                color=colour, alpha=0.2, linewidth=0)
        if panel is not None:
            ax.set_title(str(panel), fontsize=10)
        ax.set_xlabel({"ru": "Волна", "en": "Wave"}[lang] if x == "wave" else
                      ({"ru": "Год", "en": "Year"}[lang] if x == "year" else x))
        ax.set_ylabel({"ru": "Оценка (95% ДИ)", "en": "Estimate (95% CI)"}[lang] if has_ci
                      else {"ru": "Значение", "en": "Value"}[lang])
        if pd.api.types.is_numeric_dtype(sub[x]):
            ax.set_xticks(sorted(pd.unique(sub[x].dropna())))
        if hue and len(lines) > 1:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


_CLASS_COLOURS = {"positive": "#2a9d8f", "negative": "#e76f51", "changed": "#e9c46a",
                  "no change": "#8d99ae", "cannot tell": "#c9ccd5", "no data": "#d9d9d9"}


def plot_change(changes: pd.DataFrame, *, label: str | Sequence[str] = ("school_id", "group"),
                facet: str | None = "variable", lang: str = "ru", max_rows: int = 60,
                max_facets: int = 6):
    """Forest plot of the change between waves: difference with its CI per domain, coloured by
    the classification (positive / negative / no change).

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`shnro_research.dynamics.wave_change` (one pair of waves is shown: the last ``wave_compare``).
    label : str or list of str
        Columns naming a domain on the vertical axis.
    facet : str, optional
        One panel per value (default: per variable).
    max_rows, max_facets : int
        At most this many domains per panel (largest |change| first) and panels.

    Returns
    -------
    matplotlib.figure.Figure
        Not saved; the caller calls ``fig.savefig``.

    Examples
    --------
    R equivalent: ``ggplot(res, aes(est, domain, xmin = ci_low, xmax = ci_high,
    colour = classification)) + geom_pointrange() + facet_wrap(~variable)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    label = as_list(label)
    check_columns(changes, ["est", "ci_low", "ci_high", "classification"] + label, "changes")
    from matplotlib.lines import Line2D
    d = changes
    if "wave_compare" in d.columns and d["wave_compare"].nunique() > 1:
        d = d[d["wave_compare"] == _sorted_levels(d["wave_compare"].tolist())[-1]]
    facet = facet if facet and facet in d.columns else None
    panels = _sorted_levels(d[facet].tolist())[:max_facets] if facet else [None]
    i = 0 if lang == "ru" else 1
    nrows = max(min(max_rows, int((d[facet] == p).sum()) if facet else len(d)) for p in panels) if len(d) else 1
    fig = Figure(figsize=(4.5 * len(panels), 0.22 * nrows + 1.6), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    for ax, panel in zip(axes, panels):
        s = d if panel is None else d[d[facet] == panel]
        s = s.assign(_abs=s["est"].abs()).sort_values("_abs", ascending=False).head(max_rows)
        s = s.sort_values("est")
        y = np.arange(len(s))
        colours = [_CLASS_COLOURS.get(c, "#999999") for c in s["classification"]]
        ax.hlines(y, s["ci_low"], s["ci_high"], colors=colours, linewidth=1.5)
        ax.scatter(s["est"], y, c=colours, s=14, zorder=3)
        ax.axvline(0, color="black", linewidth=0.8)
        names = s[label].astype(str).agg(" · ".join, axis=1) if label else pd.Series([""] * len(s))
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=7)
        if panel is not None:
            ax.set_title(str(panel), fontsize=10)
        ax.set_xlabel(("Изменение (95% ДИ)", "Change (95% CI)")[i])
        ax.grid(axis="x", alpha=0.3)
    present = [c for c in _CLASSES if c in set(d["classification"])]
    fig.legend(handles=[Line2D([], [], color=_CLASS_COLOURS[c], marker="o", label=VALUE_LABELS[c][i])
                        for c in present], loc="outside lower center", ncol=max(1, len(present)),
               fontsize=8)
    return fig


def _palette() -> list:
    """seaborn's ``colorblind`` palette as RGB tuples (as ``sns.color_palette`` returns it)."""
    from matplotlib.colors import to_rgb
    return [to_rgb(c) for c in _COLORBLIND]



# --------------------------------------------------------------------------------------------
# programme indicators (tables of shnro_research.indicators)
# --------------------------------------------------------------------------------------------

_ACHIEVEMENT = ("achieved", "partly achieved", "not achieved", "no target", "no data")
_ACHIEVEMENT_COLOURS = {"achieved": "#2a9d8f", "partly achieved": "#e9c46a", "not achieved": "#e76f51",
            "no target": "#8d99ae", "no data": "#d9d9d9"}


def plot_achievement(indicators: pd.DataFrame, *, year: int | None = None, lang: str = "ru",
                     partly: float = 0.8, max_label: int = 60):
    """Horizontal bars of the value as % of the target, coloured by achievement degree.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`shnro_research.indicators.compute_indicators`.
    year : int, optional
        Year shown (default: the latest year with a target).
    lang : {"ru", "en"}
    partly : float
        Position of the dashed "partly achieved" line (share of the target).

    Returns
    -------
    matplotlib.figure.Figure
        Not saved; the caller calls ``fig.savefig``.

    Examples
    --------
    R equivalent: ``ggplot(res, aes(100 * target_ratio, name, fill = achievement)) + geom_col()``.
    """
    check_option(lang, "lang", ("ru", "en"))
    from matplotlib.patches import Patch
    d = indicators
    if year is None:
        with_t = d[d["target"].notna()]
        year = int(with_t["year"].max()) if not with_t.empty else int(d["year"].max())
    d = d[d["year"] == year].copy()
    i = 0 if lang == "ru" else 1
    names = d["name_ru" if lang == "ru" else "name_en"].astype(str)
    names = names.where(names.str.len() <= max_label, names.str.slice(0, max_label - 1) + "…")
    deg = (100 * d["target_ratio"]).fillna(0).clip(upper=200)
    fig = Figure(figsize=(11, 0.35 * len(d) + 1.5), constrained_layout=True)
    ax = fig.subplots()
    pos = np.arange(len(d))[::-1]
    ax.barh(pos, deg, color=[_ACHIEVEMENT_COLOURS.get(a, "#999999") for a in d["achievement"]])
    ax.set_yticks(pos)
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(100, color="black", linewidth=1)
    ax.axvline(100 * partly, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel(("% от целевого значения", "% of target")[i])
    ax.set_title((f"Достижение целевых показателей, {year}", f"Achievement of targets, {year}")[i])
    # a text at the end of each bar: the label of rows without a bar, the value of signed rows
    for y, (_, r), dg in zip(pos, d.iterrows(), deg):
        if r["achievement"] == "no data":
            txt = VALUE_LABELS["no data"][i]
        elif not np.isfinite(r["target_ratio"]) and np.isfinite(r["est"]):
            txt = f"{r['est']:+.1f} {r['unit']} ({VALUE_LABELS.get(r['achievement'], (r['achievement'],) * 2)[i]})"
        else:
            txt = ""
        if txt:
            ax.text(max(float(dg), 0) + 2, y, txt, va="center", fontsize=7, color="#444444")
    ax.set_xlim(0, max(130, float(deg.max()) + 10))
    present = [a for a in _ACHIEVEMENT if a in set(d["achievement"])]
    ax.legend(handles=[Patch(color=_ACHIEVEMENT_COLOURS[a], label=VALUE_LABELS[a][i]) for a in present],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_indicator_trends(indicators: pd.DataFrame, *, ids: Sequence[str] | None = None,
                          lang: str = "ru", max_panels: int = 12):
    """Indicator values over the years (lines) with their targets (crosses), one panel each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    R equivalent: ``ggplot(res, aes(year, est)) + geom_line() + geom_point(aes(y = target),
    shape = 4) + facet_wrap(~indicator)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    d = indicators if ids is None else indicators[indicators["indicator"].isin(list(ids))]
    panels = list(dict.fromkeys(d["indicator"]))[:max_panels]
    ncol = min(3, max(1, len(panels)))
    nrow = max(1, int(np.ceil(len(panels) / ncol)))
    fig = Figure(figsize=(4.2 * ncol, 3.0 * nrow), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    i = 0 if lang == "ru" else 1
    for ax, pid in zip(axes, panels):
        s = d[d["indicator"] == pid].sort_values("year")
        s = s[s["year"].notna()]
        ax.plot(s["year"].astype(float), s["est"].astype(float), marker="o", color="#264653",
                label=("Значение", "Value")[i])
        ax.plot(s["year"].astype(float), s["target"].astype(float), linestyle="none", marker="x",
                color="#e76f51", label=("Цель", "Target")[i])
        title = str(s["name_ru" if lang == "ru" else "name_en"].iloc[0]) if len(s) else pid
        ax.set_title(title if len(title) <= 55 else title[:54] + "…", fontsize=8)
        if len(s):
            ax.set_xticks(sorted(s["year"].astype(int).unique()))
            ax.set_ylabel(str(s["unit"].iloc[0]))
        ax.grid(alpha=0.3)
    if panels:
        axes[0].legend(fontsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig
