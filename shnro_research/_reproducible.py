"""Identical bytes on a rerun: fixed timestamps in the files the package writes.

Office files (.xlsx, .docx) are zip archives whose members carry the time of writing and whose
``docProps/core.xml`` carries creation/modification dates; SPSS .sav headers carry the creation
date and time. These helpers rewrite them with fixed values, so the same inputs and seed give
byte-identical outputs (the manifest records when and with what a run was made instead).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ._checks import DataError

FIXED_ISO = "2000-01-01T00:00:00Z"
FIXED_SAV_DATE = b"01 Jan 00"
FIXED_SAV_TIME = b"00:00:00"
_DATE_TAGS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def fix_zip(path: str | Path) -> None:
    """Rewrite an .xlsx/.docx with fixed member times and fixed core-property dates."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            if name == "docProps/core.xml":
                data = _DATE_TAGS.sub(rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zf.writestr(zi, data)


def fix_sav_time(path: str | Path) -> None:
    """Overwrite the creation date and time in an SPSS system file's header.

    Header layout: rec_type 4, product 60, layout 4, nominal case size 4, compression 4,
    weight index 4, ncases 4, bias 8 -> creation date (9 bytes) at offset 92, time (8) at 101.
    """
    with open(path, "r+b") as fh:
        head = fh.read(120)
        if head[:4] not in (b"$FL2", b"$FL3"):
            raise DataError(f"{path}: not an SPSS system file")
        fh.seek(92)
        fh.write(FIXED_SAV_DATE)
        fh.write(FIXED_SAV_TIME)
