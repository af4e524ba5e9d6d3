"""What the reader found in a file (:class:`ReadReport`) and the result (:class:`ReadResult`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd


def short_list(values: Sequence[str], n: int = 12) -> str:
    """``'a, b, c, ... (40 in all)'``."""
    values = list(values)
    s = ", ".join(map(str, values[:n]))
    return s + (f", ... ({len(values)} in all)" if len(values) > n else "")


@dataclass
class ReadReport:
    """What :func:`~shnro_research.io.read_table` found in a file. ``to_frame()`` gives a table.

    Attributes
    ----------
    file, format : str
        File name and format (``sav``, ``csv``, ``xlsx``, ``parquet``).
    n_rows, n_columns : int
        Size of the data as read (also as ``rows`` and ``columns``).
    encoding_declared : str or None
        SPSS: the encoding the file declares (record 7/20, else the code page of record 7/3);
        CSV: the ``encoding=`` argument, if any.
    encoding_used : str
        The encoding the text was decoded with (also as ``encoding``).
    encoding_source : str
        ``"file"``, ``"argument"``, ``"byte-order mark"``, ``"detected"`` or ``"format"``.
    separator, decimal : str or None
        CSV separator and decimal mark (``decimal`` also when given for another format).
    sheet, sheets : str, tuple
        Excel sheet read and all sheets of the workbook.
    mapped : dict
        ``{file column: instrument column}``.
    unknown_columns, missing_columns : list
        File columns not in the instrument (kept as read); instrument answer columns not in
        the file.
    variable_labels, value_labels, user_missing : dict
        SPSS metadata, keyed by (instrument) column names.
    notes : list of str
        Everything else worth knowing (decimal commas, sheet choice, value labels that disagree
        with the instrument, blank lines skipped).
    lines : numpy array or None
        The file's own 1-based line of each data row (CSV: where the row's record starts, so
        blank lines and line breaks inside quoted cells are counted); ``None`` when the format
        has no lines or the reader did not record them.
    """

    file: str
    format: str
    n_rows: int = 0
    n_columns: int = 0
    encoding_declared: str | None = None
    encoding_used: str | None = None
    encoding_source: str = ""
    separator: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    instrument: str | None = None
    mapped: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, list] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lines: Any = field(default=None, repr=False)

    @property
    def encoding(self) -> str | None:
        """The encoding the text was decoded with (``encoding_used``)."""
        return self.encoding_used

    @property
    def rows(self) -> int:
        """Number of data rows read (``n_rows``)."""
        return self.n_rows

    @property
    def columns(self) -> int:
        """Number of columns read (``n_columns``)."""
        return self.n_columns

    def to_frame(self) -> pd.DataFrame:
        """One row per field: ``field, value`` (lists joined with ', ')."""
        rows = []
        for f in ("file", "format", "n_rows", "n_columns", "encoding_declared", "encoding_used",
                  "encoding_source", "separator", "decimal", "sheet", "sheets", "instrument"):
            v = getattr(self, f)
            if isinstance(v, tuple):
                v = ", ".join(v)
            rows.append((f, "" if v is None else str(v)))
        renamed = {k: v for k, v in self.mapped.items() if k != v}
        rows.append(("n_mapped_columns", str(len(self.mapped))))
        rows.append(("renamed_columns", ", ".join(f"{k!r}->{v}" for k, v in renamed.items())))
        rows.append(("unknown_columns", ", ".join(self.unknown_columns)))
        rows.append(("missing_columns", ", ".join(self.missing_columns)))
        rows.append(("n_value_labels", str(len(self.value_labels))))
        rows.append(("user_missing", "; ".join(f"{k}: {v}" for k, v in self.user_missing.items())))
        for i, n in enumerate(self.notes):
            rows.append((f"note_{i + 1}", n))
        return pd.DataFrame(rows, columns=["field", "value"])

    def columns_table(self) -> pd.DataFrame:
        """One row per column of the file: ``column, mapped_to, status, label, n_value_labels``."""
        inv = self.mapped
        rows = []
        for col in list(inv) + self.unknown_columns:
            target = inv.get(col)
            rows.append(dict(column=col, mapped_to=target or "",
                             status="mapped" if target else "unknown",
                             label=self.variable_labels.get(col, ""),
                             n_value_labels=len(self.value_labels.get(col, {}))))
        for col in self.missing_columns:
            rows.append(dict(column="", mapped_to=col, status="missing in file", label="",
                             n_value_labels=0))
        return pd.DataFrame(rows, columns=["column", "mapped_to", "status", "label",
                                           "n_value_labels"])

    def summary(self) -> str:
        enc = self.encoding_used or "-"
        if self.encoding_declared and self.encoding_declared != self.encoding_used:
            enc += f" (declared {self.encoding_declared})"
        lines = [f"{self.file}: {self.format}, {self.n_rows} rows x {self.n_columns} columns, "
                 f"encoding {enc}"
                 + (f", separator {self.separator!r}" if self.separator else "")
                 + (f", decimal {self.decimal!r}" if self.decimal else "")
                 + (f", sheet {self.sheet!r}" if self.sheet else "")]
        if self.instrument:
            lines.append(f"instrument {self.instrument}: {len(self.mapped)} columns mapped, "
                         f"{len(self.unknown_columns)} unknown, {len(self.missing_columns)} "
                         "missing")
            if self.unknown_columns:
                lines.append("  unknown columns: " + short_list(self.unknown_columns))
            if self.missing_columns:
                lines.append("  missing columns: " + short_list(self.missing_columns))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class ReadResult:
    """Result of :func:`~shnro_research.io.read_table`: ``data`` (values as stored) and ``report``."""

    data: pd.DataFrame
    report: ReadReport

    def __repr__(self) -> str:
        return f"ReadResult(data={self.data.shape[0]}x{self.data.shape[1]})\n{self.report}"
