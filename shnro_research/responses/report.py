"""The result of validation (:class:`ValidationResult`) and its CSV files."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from ..io.report import short_list as _short_list
from .rules import ValidationRules, _message


@dataclass
class ValidationResult:
    """Result of :func:`validate_responses`.

    Attributes
    ----------
    clean : DataFrame
        Kept respondents (index of the raw data), answers as numbers with problems and declared
        missing codes set to NaN; text items and the columns kept by ``rules.keep_columns`` as
        read (every other column not in the instrument is dropped).
    problems : DataFrame
        ``row, resp_id, column, value, problem, message, action`` (one row per problem).
    exclusions : DataFrame
        ``row, resp_id, reason, reasons, message`` (one row per excluded raw row).
    missing_codes : DataFrame
        ``column, code, label, n``: declared missing codes converted to NaN.
    n_raw : int
        Rows of the raw data (= ``len(clean) + len(exclusions)``).
    unknown_columns, dropped_columns : list
        Columns of the data not in the instrument, and those of them dropped from ``clean``
        (all but ``rules.keep_columns``).
    """

    clean: pd.DataFrame
    problems: pd.DataFrame
    exclusions: pd.DataFrame
    missing_codes: pd.DataFrame
    n_raw: int
    instrument: str
    missing_columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    rules: ValidationRules = field(default_factory=ValidationRules)
    lang: str = "ru"
    dropped_columns: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Counts as a tidy table ``section, key, detail, n``.

        Sections: ``rows`` (raw, clean, excluded), ``exclusions`` (by first reason),
        ``problems`` (by problem and action), ``missing_codes`` (by column),
        ``columns`` (instrument columns missing from the data; unknown columns).
        """
        ru = self.lang != "en"
        rows = [("rows", "raw", "", self.n_raw), ("rows", "clean", "", len(self.clean)),
                ("rows", "excluded", "", len(self.exclusions))]
        if len(self.exclusions):
            for k, n in self.exclusions["reason"].value_counts(sort=False).sort_index().items():
                rows.append(("exclusions", k, _message(k, self.lang), int(n)))
        if len(self.problems):
            g = self.problems.groupby(["problem", "action"], sort=True).size()
            for (p, a), n in g.items():
                rows.append(("problems", p, a, int(n)))
        if len(self.missing_codes):
            what = ("коды пропуска заменены на NaN" if ru else
                    "declared missing codes -> NaN")
            for c, n in self.missing_codes.groupby("column", sort=False)["n"].sum().items():
                rows.append(("missing_codes", c, what, int(n)))
        for c in self.missing_columns:
            rows.append(("columns", c, "столбца анкеты нет в данных" if ru else
                         "instrument column missing from the data", 0))
        for c in self.unknown_columns:
            if c in self.dropped_columns:
                what = ("столбец не из анкеты: удалён" if ru else
                        "column not in the instrument: dropped")
            else:
                what = ("столбец не из анкеты: оставлен (keep_columns)" if ru else
                        "column not in the instrument: kept (keep_columns)")
            rows.append(("columns", c, what, 0))
        return pd.DataFrame(rows, columns=["section", "key", "detail", "n"])

    def text(self) -> str:
        """A short human-readable summary (used by ``shnro validate``)."""
        ru = self.lang != "en"
        lines = [(f"Анкета {self.instrument}: строк {self.n_raw}, оставлено {len(self.clean)}, "
                  f"исключено {len(self.exclusions)}, проблем {len(self.problems)}") if ru else
                 (f"Instrument {self.instrument}: {self.n_raw} rows, {len(self.clean)} kept, "
                  f"{len(self.exclusions)} excluded, {len(self.problems)} problems")]
        if len(self.exclusions):
            for k, n in self.exclusions["reason"].value_counts().items():
                lines.append(f"  - {'исключено' if ru else 'excluded'} ({k}): {n}")
        if len(self.problems):
            for k, n in self.problems["problem"].value_counts().items():
                lines.append(f"  - {'проблема' if ru else 'problem'} {k}: {n}")
        nm = int(self.missing_codes["n"].sum()) if len(self.missing_codes) else 0
        if nm:
            lines.append(f"  - {'кодов пропуска → NaN' if ru else 'missing codes -> NaN'}: {nm}")
        if self.missing_columns:
            lines.append(("  - нет столбцов: " if ru else "  - missing columns: ")
                         + _short_list(self.missing_columns))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ValidationResult\n{self.text()}"


def write_validation_report(result: ValidationResult, folder: str | Path) -> dict[str, Path]:
    """Write ``problems.csv``, ``exclusions.csv``, ``summary.csv`` and ``missing_codes.csv``.

    Files are UTF-8 with a byte-order mark (Excel opens them with Cyrillic intact), comma
    separated. Returns ``{name: path}``.
    """
    if not isinstance(result, ValidationResult):
        raise ParameterError(f"'result' must be a ValidationResult; got {type(result).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, tab in (("problems", result.problems), ("exclusions", result.exclusions),
                      ("summary", result.summary()), ("missing_codes", result.missing_codes)):
        p = folder / f"{name}.csv"
        tab.to_csv(p, index=False, encoding="utf-8-sig")
        out[name] = p
    return out
