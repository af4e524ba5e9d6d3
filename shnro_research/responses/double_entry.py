"""Double data entry: two independent typings of the same paper forms, compared cell by cell.

Each batch of questionnaires is typed twice, by two operators, into two files (e.g. two copies
of the Excel entry template, :func:`shnro_research.forms.write_entry_template`).
:func:`compare_entries` matches the rows of the two files by their keys (default: ``resp_id``
and ``wave``) and lists every cell where they disagree, and every row typed in one file only, so
that the operators can settle each disagreement against the paper form. Neither file is changed.

Values are compared *as typed*, before any validation: ``3``, ``3.0`` and ``"3"`` are equal, as
are ``"3,5"`` and ``3.5``; text is compared with its surrounding spaces stripped; an empty cell
equals an empty cell and differs from any value (a blank against a missing code ``9`` is a
disagreement: one operator skipped a mark the other typed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import ParameterError, public
from ..errors import DataError
from ..instruments import Instrument, load_instrument
from ..io.columns import map_columns
from ..io.report import ReadReport, ReadResult, short_list

KIND_DIFFERS = "value differs"
KIND_ONLY_FIRST = "row only in first entry"
KIND_ONLY_SECOND = "row only in second entry"
KIND_DUPLICATE = "key given twice"
KIND_COLUMN = "column only in one entry"
KINDS = (KIND_DIFFERS, KIND_ONLY_FIRST, KIND_ONLY_SECOND, KIND_DUPLICATE, KIND_COLUMN)


@dataclass
class DoubleEntry:
    """Result of :func:`compare_entries`.

    Attributes
    ----------
    differences : DataFrame
        One row per disagreeing cell, per row typed in one entry only, per key typed twice in
        one entry and per column present in one entry only: the key columns, then ``column``,
        ``first``, ``second`` (the values as typed, as text; empty for a blank cell),
        ``row_first``, ``row_second`` (1-based data rows of each file; empty where the row is
        absent), ``kind``.
    by_column : DataFrame
        One row per compared column: ``column, n, n_agree, n_differ, agreement`` over the rows
        present in both entries (``agreement`` = n_agree / n, a proportion 0–1).
    n_first, n_second, n_both : int
        Rows of each entry and rows matched in both.
    """

    differences: pd.DataFrame
    by_column: pd.DataFrame
    keys: list[str]
    n_first: int
    n_second: int
    n_both: int
    files: tuple[str, str] = ("first", "second")
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """The differences table."""
        return self.differences

    def glance(self) -> pd.DataFrame:
        """One row: rows of each entry, rows in both, cells compared, cells differing, agreement,
        rows only in one entry, keys typed twice."""
        k = self.differences["kind"]
        cells = int(self.by_column["n"].sum())
        differ = int(self.by_column["n_differ"].sum())
        return pd.DataFrame([dict(
            n_first=self.n_first, n_second=self.n_second, n_both=self.n_both, n_cells=cells,
            n_differ=differ, agreement=(1 - differ / cells) if cells else np.nan,
            n_only_first=int((k == KIND_ONLY_FIRST).sum()),
            n_only_second=int((k == KIND_ONLY_SECOND).sum()),
            n_duplicate_keys=int((k == KIND_DUPLICATE).sum()))])

    def summary(self) -> str:
        g = self.glance().to_dict("records")[0]
        lines = [f"Double entry: {self.files[0]} vs {self.files[1]} (keys: "
                 f"{', '.join(self.keys)})",
                 f"rows: {g['n_first']} / {g['n_second']}, in both {g['n_both']}; cells "
                 f"compared {g['n_cells']}, differing {g['n_differ']} (agreement "
                 f"{g['agreement']:.4f})",
                 f"rows only in first {g['n_only_first']}, only in second "
                 f"{g['n_only_second']}, keys typed twice {g['n_duplicate_keys']}"]
        worst = self.by_column[self.by_column["n_differ"] > 0].sort_values(
            ["agreement", "column"]).head(10)
        if len(worst):
            lines.append("columns with most disagreement: " + ", ".join(
                f"{r.column} ({r.n_differ})" for r in worst.itertuples()))
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary()


def _canon(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as ``(numbers, text)``: the number of each cell (NaN if blank or text; a decimal
    comma and inner spaces allowed in text) and the stripped text of the cells that are not
    numbers ('' elsewhere). Text work runs once per distinct value (``pd.factorize``)."""
    s = s.reset_index(drop=True)
    n = len(s)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan), np.full(n, "", dtype=object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    unum = np.full(len(uniq) + 1, np.nan)             # [-1]: a missing cell
    utxt = np.full(len(uniq) + 1, "", dtype=object)
    for j, u in enumerate(np.asarray(uniq, dtype=object)):
        if isinstance(u, str):
            t = u.strip()
            try:
                unum[j] = float(t.replace(",", ".").replace(" ", "")) if t else np.nan
            except ValueError:
                utxt[j] = t
        else:
            try:
                unum[j] = float(u)
            except (TypeError, ValueError):
                utxt[j] = str(u).strip()
    bad = ~np.isfinite(unum) & ~np.isnan(unum)        # inf: keep as text
    utxt[bad] = [str(v) for v in unum[bad]]
    unum[bad] = np.nan
    return unum[codes], utxt[codes]


def _show(num: np.ndarray, txt: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The cells at ``pos`` as text: numbers in one notation ('3', '3.5'), text as typed."""
    out = np.asarray(txt[pos], dtype=object).copy()
    v = num[pos]
    fin = np.isfinite(v)
    out[fin] = [format(x, ".15g") for x in v[fin]]
    return out


def _key_columns(df: pd.DataFrame, keys: list[str]) -> dict[str, pd.Series]:
    """Each key column as comparable text ('101' for 101, 101.0 and ' 101 ')."""
    out = {}
    for k in keys:
        num, txt = _canon(df[k])
        out[k] = pd.Series(_show(num, txt, np.arange(len(num))), dtype=object)
    return out


def _joined(cols: dict[str, pd.Series]) -> pd.Series:
    parts = list(cols.values())
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out


def _table(x: Any, name: str) -> tuple[pd.DataFrame, str]:
    if isinstance(x, ReadResult):
        return x.data, x.report.file
    if isinstance(x, pd.DataFrame):
        return x, name
    raise ParameterError(f"'{name}' must be a DataFrame or a ReadResult (read the file with "
                         f"shnro_research.io.read_table); got {type(x).__name__}")


@public
def compare_entries(first: Any, second: Any, instrument: Instrument | str | None = None, *,
                    keys: Sequence[str] | None = None,
                    columns: Sequence[str] | None = None) -> DoubleEntry:
    """List every cell where two independent entries of the same forms disagree.

    Parameters
    ----------
    first, second : DataFrame or ReadResult
        The two entries as read (:func:`shnro_research.io.read_table`), never modified.
    instrument : Instrument or str, optional
        The questionnaire: columns are mapped to its names (case and spaces ignored) and
        compared in its order (id columns that are not keys, then answer columns). Without it,
        the columns of both files are compared as they are named.
    keys : list of str, optional
        Columns identifying a form. Default: ``resp_id`` and ``wave`` (those of them in the
        instrument's id columns) when the instrument has ``resp_id``, else all its id columns;
        without an instrument, ``resp_id`` [+ ``wave``] if present. Other id columns (school,
        class) are compared like answers, so a class typed differently is a difference, not
        two unmatched rows.
    columns : list of str, optional
        Compare only these columns.

    Returns
    -------
    DoubleEntry
        ``differences`` (one row per disagreeing cell or unmatched row), ``by_column``
        (agreement per column), ``glance()``, ``summary()``.

    Notes
    -----
    Rows are matched on the keys compared as text (``101`` = ``"101"`` = ``101.0``). A key typed
    twice in one entry (``kind = "key given twice"``) cannot be matched: its rows are listed and
    left out of the comparison. Agreement per column = cells equal / cells compared over the rows
    of both entries; a blank cell equals only a blank cell.

    Examples
    --------
    >>> a = read_table("entry/students_operator1.xlsx")               # doctest: +SKIP
    >>> b = read_table("entry/students_operator2.xlsx")               # doctest: +SKIP
    >>> res = compare_entries(a, b, "students")                       # doctest: +SKIP
    >>> res.differences[["resp_id", "column", "first", "second"]]     # doctest: +SKIP

    R equivalent: ``dplyr::full_join(a, b, by = keys)`` and a comparison per column
    (``waldo::compare``, ``arsenal::comparedf(a, b, by = keys)``).
    """
    a, fa = _table(first, "first")
    b, fb = _table(second, "second")
    ins = None
    if instrument is not None:
        ins = load_instrument(instrument) if isinstance(instrument, (str, Path)) else instrument
        if not isinstance(ins, Instrument):
            raise ParameterError("'instrument' must be an Instrument, a bundled name or a YAML "
                                 f"path; got {type(instrument).__name__}")
        a = map_columns(a, ins, report=ReadReport(file=fa, format="DataFrame"), where=fa)
        b = map_columns(b, ins, report=ReadReport(file=fb, format="DataFrame"), where=fb)
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    if keys is None:
        pool = list(ins.id_columns) if ins is not None else list(a.columns)
        if "resp_id" in pool:
            keys = ["resp_id"] + (["wave"] if "wave" in pool else [])
        elif ins is not None:
            keys = list(ins.id_columns)
        else:
            raise ParameterError("'keys' must be given: no instrument and no resp_id column")
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not keys:
        raise ParameterError("'keys' must name at least one column")
    for df, f in ((a, fa), (b, fb)):
        absent = [k for k in keys if k not in df.columns]
        if absent:
            raise DataError(f"{f}: key column(s) {absent} not found; columns: "
                            f"{short_list(list(df.columns))}")
    if ins is not None:
        order = [c for c in list(ins.id_columns) + ins.columns if c not in keys]
        extra = [c for c in list(a.columns) + list(b.columns) if c not in order and c not in keys]
        order += list(dict.fromkeys(extra))
    else:
        order = [c for c in dict.fromkeys(list(a.columns) + list(b.columns)) if c not in keys]
    if columns is not None:
        unknown = [c for c in columns if c not in order]
        if unknown:
            raise ParameterError(f"'columns': {unknown} are in neither entry (or are keys)")
        order = [c for c in order if c in set(columns)]

    rows: list[pd.DataFrame] = []
    key_cols_a, key_cols_b = _key_columns(a, keys), _key_columns(b, keys)
    ka, kb = _joined(key_cols_a), _joined(key_cols_b)

    def emit(keysrc: dict, pos: np.ndarray, column: str | np.ndarray, v1, v2, r1, r2, kind):
        if len(pos) == 0:
            return
        d = {k: keysrc[k].iloc[pos].to_numpy(dtype=object) for k in keys}
        d.update(column=column, first=v1, second=v2,
                 row_first=pd.array(r1, dtype="Int64"), row_second=pd.array(r2, dtype="Int64"),
                 kind=kind)
        rows.append(pd.DataFrame(d))

    dup_a = ka.duplicated(keep=False).to_numpy()
    dup_b = kb.duplicated(keep=False).to_numpy()
    none = lambda m: [None] * m                                     # noqa: E731
    for dup, keysrc, f, first_side in ((dup_a, key_cols_a, fa, True),
                                       (dup_b, key_cols_b, fb, False)):
        pos = np.flatnonzero(dup)
        emit(keysrc, pos, "", "", "", (pos + 1) if first_side else none(len(pos)),
             none(len(pos)) if first_side else (pos + 1), KIND_DUPLICATE)
    ia = pd.Series(np.flatnonzero(~dup_a), index=ka[~dup_a].to_numpy())
    ib = pd.Series(np.flatnonzero(~dup_b), index=kb[~dup_b].to_numpy())
    both = ia.index.intersection(ib.index, sort=False)
    only_a = ia.index.difference(ib.index, sort=False)
    only_b = ib.index.difference(ia.index, sort=False)
    pa = ia.loc[both].to_numpy()
    pb = ib.loc[both].to_numpy()
    oa = np.sort(ia.loc[only_a].to_numpy())
    ob = np.sort(ib.loc[only_b].to_numpy())
    emit(key_cols_a, oa, "", "", "", oa + 1, none(len(oa)), KIND_ONLY_FIRST)
    emit(key_cols_b, ob, "", "", "", none(len(ob)), ob + 1, KIND_ONLY_SECOND)
    order_rows = np.argsort(pa, kind="stable")          # report in the first entry's row order
    pa, pb = pa[order_rows], pb[order_rows]

    stats = []
    notes = []
    for col in order:
        in_a, in_b = col in a.columns, col in b.columns
        if not in_a and not in_b:
            continue
        if in_a != in_b:
            emit({k: pd.Series([""], dtype=object) for k in keys}, np.array([0]), col,
                 "present" if in_a else "", "present" if in_b else "", [None], [None],
                 KIND_COLUMN)
            notes.append(f"column {col!r} only in {'first' if in_a else 'second'} entry")
            continue
        na, ta = _canon(a[col])
        nb, tb = _canon(b[col])
        na, ta, nb, tb = na[pa], ta[pa], nb[pb], tb[pb]
        same = (na == nb) | (np.isnan(na) & np.isnan(nb) & (ta == tb))
        diff = ~same
        stats.append((col, len(pa), int(len(pa) - diff.sum()), int(diff.sum())))
        pos = np.flatnonzero(diff)
        if len(pos):
            emit({k: key_cols_a[k].iloc[pa].reset_index(drop=True) for k in keys}, pos, col,
                 _show(na, ta, pos), _show(nb, tb, pos), pa[pos] + 1, pb[pos] + 1,
                 KIND_DIFFERS)

    cols = keys + ["column", "first", "second", "row_first", "row_second", "kind"]
    if rows:
        differences = pd.concat(rows, ignore_index=True)
        pos = {c: j for j, c in enumerate(order)}
        differences["_pos"] = differences["column"].map(pos).fillna(-1)
        differences = differences.sort_values(["row_first", "row_second", "_pos"],
                                              na_position="last", kind="stable")
        differences = differences[cols].reset_index(drop=True)
    else:
        differences = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        differences["row_first"] = differences["row_first"].astype("Int64")
        differences["row_second"] = differences["row_second"].astype("Int64")
    by_column = pd.DataFrame(stats, columns=["column", "n", "n_agree", "n_differ"])
    by_column["agreement"] = np.where(by_column["n"] > 0,
                                      by_column["n_agree"] / by_column["n"].where(
                                          by_column["n"] > 0, 1), np.nan)
    return DoubleEntry(differences, by_column, keys, len(a), len(b), len(pa), (fa, fb), notes)


@public
def write_double_entry_report(result: DoubleEntry, folder: str | Path,
                              name: str = "double_entry") -> list[Path]:
    """Write ``<name>_differences.csv`` and ``<name>_by_column.csv`` (UTF-8 with BOM, as Excel
    opens them) into ``folder``; return the paths."""
    if not isinstance(result, DoubleEntry):
        raise ParameterError(f"'result' must be a DoubleEntry; got {type(result).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for part, df in (("differences", result.differences), ("by_column", result.by_column)):
        p = folder / f"{name}_{part}.csv"
        df.to_csv(p, index=False, encoding="utf-8-sig")
        out.append(p)
    return out
