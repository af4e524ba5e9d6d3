"""Read response files and validate them against their questionnaire.

Stage 2 of the study (``shnro validate``; notebook ``02_data_quality.ipynb``)::

    data/raw/*.sav|csv|xlsx|parquet ── read_responses ──▶ raw data + reading report
                                    ── validate_responses ──▶ clean data + problems + exclusions

Reading (:func:`read_responses`, module :mod:`.read`) is :func:`shnro_research.io.read_table`
plus the instrument's column mapping: it never modifies the file and never "fixes" a value; it
returns the values as stored (codes as numbers, text as text), maps the file's columns to the
instrument (case- and whitespace-insensitive, or an explicit ``rename=``) and reports what it
found: format, declared and used text encoding, separator, decimal mark, unknown and missing
columns, variable and value labels, SPSS user-missing codes. Decoding is strict: an encoding
that does not fit is a :class:`~shnro_research.errors.DataError` naming the line (row) and
column of the first bad byte and the encodings that would fit.

Validation (:func:`validate_responses`, module :mod:`.validate`) works on a copy, vectorised
over respondents, and applies explicit rules (:class:`ValidationRules`, module :mod:`.rules`).
Each problem becomes one row of a single problems table with the action taken (``set to
missing``, ``respondent excluded``, ``flagged, kept``); every excluded respondent is listed with
the reason. Always ``raw rows = clean rows + excluded rows``. Declared missing codes (e.g. 9 =
«затрудняюсь ответить») become NaN and are counted. The result (:class:`ValidationResult`) and
its CSV files (:func:`write_validation_report`) are in :mod:`.report`.

Getting answers in (see ``docs/DATA_ENTRY.md``): :func:`compare_entries` lists every cell where
two independent typings of the same forms disagree (module :mod:`.double_entry`);
:func:`read_online_form` maps a Google Forms / Yandex Forms / KoBoToolbox export (question texts
as headers, option texts as answers) onto the instrument's coded columns with a report of
unmatched questions and answers (module :mod:`.online_forms`).

Row numbers
-----------
``row`` in the problems and exclusions tables is the 1-based data row of the raw file (the
header line is not counted: in a CSV or Excel file the line number is ``row + 1``; in SPSS it
is the case number shown in Data View).
"""
from __future__ import annotations

from ..io.columns import map_columns
from ..io.encodings import detect_mojibake
from ..io.report import ReadReport, ReadResult
from .read import read_responses
from .report import ValidationResult, write_validation_report
from .rules import ACTION_DROPPED, ACTION_EXCLUDED, ACTION_FLAGGED, ACTION_MISSING, ValidationRules
from .tables import TableValidation, validate_table, write_table_report
from .validate import validate_responses
from .double_entry import DoubleEntry, compare_entries, write_double_entry_report
from .online_forms import FormImport, norm_text, read_online_form, write_form_report

__all__ = [
    "ReadReport", "ReadResult", "read_responses", "map_columns",
    "ValidationRules", "ValidationResult", "validate_responses", "write_validation_report",
    "validate_table", "TableValidation", "write_table_report",
    "compare_entries", "DoubleEntry", "write_double_entry_report",
    "read_online_form", "FormImport", "write_form_report", "norm_text",
    "detect_mojibake", "ACTION_MISSING", "ACTION_EXCLUDED", "ACTION_FLAGGED", "ACTION_DROPPED",
]
