"""One reader for every data file of the study: SPSS ``.sav``, CSV, Excel ``.xlsx``, Parquet.

:func:`read_table` detects the format (extension checked against the first bytes), the text
encoding (strictly: a file that does not decode cleanly is an error naming the line and column
of the first bad byte and the encodings that would fit), the CSV separator and decimal mark,
and returns the values as stored with a :class:`ReadReport` of what it found::

    from shnro_research.io import read_table
    res = read_table("raw/parents_2022.csv")
    res.data                      # DataFrame, values as stored
    res.report.encoding, res.report.separator, res.report.decimal, res.report.notes

Modules: :mod:`.read` (format detection, :func:`read_table`), :mod:`.encodings` (strict decoding,
mojibake), :mod:`.text` (CSV), :mod:`.sav` (SPSS), :mod:`.sheets` (Excel, Parquet),
:mod:`.columns` (column names, :func:`map_columns` to an instrument), :mod:`.report`.
Response files are read with :func:`shnro_research.responses.read_responses`, which adds the
instrument's column mapping.
"""
from .columns import map_columns
from .encodings import detect_mojibake
from .read import FORMATS, detect_format, read_table
from .report import ReadReport, ReadResult

__all__ = ["read_table", "ReadResult", "ReadReport", "detect_format", "detect_mojibake",
           "map_columns", "FORMATS"]
