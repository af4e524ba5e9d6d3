"""Text encodings: strict decoding, mis-decoded Cyrillic ("mojibake") and encodings that fit.

Municipal files are often in the Windows-1251 code page and sometimes declare the wrong one.
The reader decodes **strictly** with the declared, given or detected encoding; a file that does
not decode cleanly as a whole, or whose text is recognisably mis-decoded, is a
:class:`~shnro_research.errors.DataError` naming the file, the line (row) and column of the first
bad byte and the encodings that would fit. Nothing is re-decoded silently.

For UTF-8 and single-byte code pages (:func:`byte_level`) the checks run on the bytes: strict
decoding in blocks that end at a line break (:func:`first_bad_byte`), the mojibake checks on the
lines holding non-ASCII bytes (:func:`non_ascii_lines_of`, the same text as
:func:`non_ascii_lines` of the decoded file), so a large CSV is never held as one string
(:func:`check_encoding`; :func:`decode_text` adds the decoded text).
"""
from __future__ import annotations

import codecs
import functools
import re
import sys
from typing import Sequence

import numpy as np

from ..errors import DataError, ParameterError

#: encodings tried (in this order) when a file declares none: UTF-8, then single-byte Cyrillic
CANDIDATES = ("utf-8", "cp1251", "koi8-r", "cp866")
_CYRILLIC_CODEPAGES = CANDIDATES[1:]


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


# second characters produced when the UTF-8 bytes D0/D1 xx of Cyrillic letters are decoded as
# cp1251 (xx in 0x80..0xBF) or as latin-1 / cp1252
_CP1251_CONT = bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore")
_CP1252_CONT = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
_RE_UTF8_AS_CP1251 = re.compile("[РС]" + _char_class(_CP1251_CONT))
_RE_UTF8_AS_LATIN = re.compile("[ÐÑ]" + _char_class(_CP1252_CONT + "".join(
    chr(c) for c in range(0x80, 0xC0))))
_RE_CYR = re.compile("[А-яЁё]")
_RE_CYR_LOWER = re.compile("[а-яё]")
_RE_LATIN_HIGH_RUN = re.compile("[À-ÿ¨¸]{3,}")
_RE_LATIN_HIGH = re.compile("[À-ÿ¨¸]")
_RE_NONASCII = re.compile("[^\x00-\x7f]")
_RE_BOX = re.compile("[\u2500-\u259f\u25a0]")
_RE_CYR_WORD = re.compile("[А-яЁё]{2,}")
_RE_NORMAL_WORD = re.compile("[А-ЯЁ]?[а-яё]+|[А-ЯЁ]+")
_RE_WORD_WITH_CYR = re.compile("[A-Za-zА-яЁё]*[А-яЁё][A-Za-zА-яЁё]*")
_RE_LATIN_LETTER = re.compile("[A-Za-z]")
#: two or more UTF-8 encoded basic Cyrillic letters in a row (inside a single-byte file)
_RE_UTF8_CYR_RUN = re.compile(rb"(?:\xd0[\x90-\xbf]|\xd1[\x80-\x8f\x91]){2,}")

_SAMPLE = 500_000


def detect_mojibake(texts: Sequence[str] | str) -> tuple[str | None, str]:
    """Recognise mis-decoded Cyrillic text.

    Parameters
    ----------
    texts : str or sequence of str
        Labels and string values as decoded by the reader.

    Returns
    -------
    kind : str or None
        ``None`` when the text looks like normal Russian (or has no letters to judge), else one of
        ``"utf-8 read as cp1251"`` (e.g. ``'РњРЅРµ'`` for ``'Мне'``), ``"utf-8 read as latin"``
        (``'ÐœÐ½Ðµ'``), ``"cp1251 read as latin"`` (``'Ìíå'``), ``"pseudo-graphics"`` (box-drawing
        characters: a DOS or KOI8 code page read as another), ``"wrong Cyrillic code page"``
        (words such as ``'оПХБЕР'``: cp1251 read as koi8-r or back), ``"Latin text read as
        Cyrillic"`` (words such as ``'Mьller'``) or ``"undecodable"`` (U+FFFD).
    example : str
        A short excerpt showing the pattern ("" when ``kind`` is ``None``).

    Notes
    -----
    Each Cyrillic letter in UTF-8 is two bytes, ``D0``/``D1`` followed by ``80..BF``. Decoded as
    cp1251 they become ``'Р'``/``'С'`` followed by a character of cp1251's ``80..BF`` block
    (mostly outside ``А..я``), so there are about as many such pairs as basic Cyrillic letters;
    in genuine Russian text they are rare (``'Сё'``, ``'С»'``). The thresholds (at least 2 pairs,
    and pairs at least half the number of ``А..яЁё`` letters) are far from both. cp1251 and
    koi8-r put upper- and lower-case letters in each other's places, so a capitalised word read
    with the other code page starts lower-case and goes on in capitals (``'оПХБЕР'``).

    Examples
    --------
    >>> detect_mojibake(["Мне нравится школа"])
    (None, '')
    >>> detect_mojibake(["Мне нравится школа".encode("utf-8").decode("cp1251")])[0]
    'utf-8 read as cp1251'
    """
    if isinstance(texts, str):
        texts = [texts]
    text = "\n".join(t for t in texts if isinstance(t, str) and t)[:_SAMPLE]
    if not text:
        return None, ""
    n_cyr = len(_RE_CYR.findall(text))

    def example(m: re.Match) -> str:
        a = max(0, m.start() - 10)
        return text[a:m.end() + 20].split("\n")[0]

    pairs = list(_RE_UTF8_AS_CP1251.finditer(text))
    if len(pairs) >= 2 and len(pairs) >= 0.5 * n_cyr:
        return "utf-8 read as cp1251", example(pairs[0])
    pairs = list(_RE_UTF8_AS_LATIN.finditer(text))
    if len(pairs) >= 2 and n_cyr <= len(pairs):
        return "utf-8 read as latin", example(pairs[0])
    runs = _RE_LATIN_HIGH_RUN.search(text)
    if runs and n_cyr == 0 and len(_RE_LATIN_HIGH.findall(text)) >= 6:
        return "cp1251 read as latin", example(runs)
    boxes = list(_RE_BOX.finditer(text))
    if len(boxes) >= 3 and len(boxes) >= 0.1 * len(_RE_NONASCII.findall(text)):
        return "pseudo-graphics", example(boxes[0])
    words = [m for m in _RE_CYR_WORD.finditer(text) if any(c.islower() for c in m.group())]
    odd = [m for m in words if not _RE_NORMAL_WORD.fullmatch(m.group())]
    if len(odd) >= 2 and len(odd) >= 0.5 * len(words):
        return "wrong Cyrillic code page", example(odd[0])
    cyr_words = list(_RE_WORD_WITH_CYR.finditer(text))
    mixed = [m for m in cyr_words if _RE_LATIN_LETTER.search(m.group())]
    if len(mixed) >= 2 and len(mixed) >= 0.5 * len(cyr_words):
        return "Latin text read as Cyrillic", example(mixed[0])
    if "\ufffd" in text:
        i = text.index("\ufffd")
        return "undecodable", text[max(0, i - 15):i + 15].split("\n")[0]
    return None, ""


def cyrillic_score(text: str) -> float:
    """How much ``text`` looks like Russian, 0..1 (normal Russian about 0.9).

    The share of non-ASCII characters that are lowercase Cyrillic letters; with 20 or more such
    letters, scaled down when the eight most frequent Russian letters (о е а и н т с р, about
    58 % of letters in Russian text) are under 45 % of them -- as when cp1251 is read as cp866.
    """
    n = len(_RE_NONASCII.findall(text))
    if n == 0:
        return 0.0
    lower = _RE_CYR_LOWER.findall(text)
    score = len(lower) / n
    if len(lower) >= 20:
        freq = sum(1 for c in lower if c in "оеаинтср") / len(lower)
        score *= min(1.0, freq / 0.45)
    return score


def misdecoded(text: str, raw: bytes, encoding: str) -> tuple[str | None, str]:
    """:func:`detect_mojibake`, and for a text with 20+ lowercase Cyrillic letters that scores
    under 0.5 (:func:`cyrillic_score`) while another encoding fits ``raw``: ``"implausible
    Russian letter frequencies"`` (e.g. cp1251 read as cp866); for a text of 20+ Cyrillic
    letters almost all capitals while another encoding fits: lower-case cp1251 text read as
    koi8-r (the two swap the cases)."""
    kind, example = detect_mojibake(text)
    if kind is not None:
        return kind, example
    if (len(_RE_CYR_LOWER.findall(text)) >= 20 and cyrillic_score(text) < 0.5
            and fitting_encodings(raw, skip=[encoding])):
        return "implausible Russian letter frequencies", sample_text(text)
    n_cyr = len(_RE_CYR.findall(text))
    if (n_cyr >= 20 and len(_RE_CYR_LOWER.findall(text)) < 0.1 * n_cyr
            and fitting_encodings(raw, skip=[encoding])):
        # lower-case text in one code page reads as capitals in another (cp1251 <-> koi8-r)
        return "capital letters only, while another encoding reads lower-case text", \
            sample_text(text)
    return None, ""


def norm_encoding(encoding: str | None, name: str = "encoding") -> str | None:
    """Python's canonical name of ``encoding`` (``None`` stays ``None``); ParameterError if unknown."""
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise ParameterError(f"{name!r} must be a text encoding name such as 'cp1251' or "
                             f"'utf-8'; got {encoding!r}")
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ParameterError(f"{name!r}: unknown encoding {encoding!r}; expected e.g. 'cp1251', "
                             "'utf-8', 'koi8-r', 'cp866'") from None


def norm_encoding_safe(enc: str | None) -> str | None:
    try:
        return norm_encoding(enc)
    except ParameterError:
        return None


def iconv_name(py_name: str) -> str:
    """The iconv (ReadStat) name of a Python encoding name."""
    return {"cp1251": "WINDOWS-1251", "cp1252": "WINDOWS-1252", "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8", "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1",
            "koi8-r": "KOI8-R", "cp866": "CP866"}.get(py_name, py_name.upper())


def sample_text(text: str) -> str:
    """A short excerpt around the first Cyrillic (else non-ASCII) character."""
    m = _RE_CYR.search(text) or _RE_NONASCII.search(text)
    i = m.start() if m else 0
    return text[max(0, i - 5):i + 40].replace("\r", " ").replace("\n", " ")


def non_ascii_lines(text: str) -> str:
    """The lines of ``text`` holding non-ASCII characters (what encodings are judged on)."""
    if text.isascii():
        return ""
    return "\n".join(ln for ln in text.splitlines() if not ln.isascii())[:_SAMPLE]


def fitting_encodings(raw: bytes, skip: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Encodings of :data:`CANDIDATES` that decode ``raw`` cleanly into plausible text.

    Returns ``[(encoding, sample), ...]``, the best first. UTF-8 fits when the bytes are valid
    UTF-8 (and not pure ASCII); a single-byte code page fits when every byte decodes, the text
    does not look mis-decoded and most non-ASCII characters are lower-case Cyrillic letters.
    """
    skip = {norm_encoding_safe(s) for s in skip}
    out: list[tuple[float, str, str]] = []
    run: list[int | None] = []
    for cand in CANDIDATES:        # all byte-level codecs (see byte_level): nothing decoded whole
        if cand in skip or first_bad_byte(raw, cand) is not None or raw.isascii():
            continue
        if cand == "utf-8":        # valid UTF-8 with non-ASCII: decisive
            out.append((2.0, cand, first_sample_text(raw, cand)))
            continue
        t = non_ascii_lines_of(raw, cand)
        if not run:
            run.append(utf8_run(raw))
        if detect_mojibake(t)[0] is not None or run[0] is not None:
            continue
        sc = cyrillic_score(t)
        if sc >= 0.5:
            out.append((sc, cand, sample_text(t)))
    out.sort(key=lambda x: -x[0])
    return [(c, s) for _, c, s in out]


def utf8_run(raw: bytes) -> int | None:
    """Offset of the first run of UTF-8 encoded Cyrillic letters, or None.

    The first match of ``_RE_UTF8_CYR_RUN``: a pair (``D0 90..BF`` or ``D1 80..8F|91``) at
    offset ``i`` followed by another at ``i + 2``; found with numpy in blocks of 16 MiB (the
    regular expression takes about 1 s per 100 MB).
    """
    if b"\xd0" not in raw and b"\xd1" not in raw:
        return None
    a = np.frombuffer(raw, dtype=np.uint8)
    block = 1 << 24
    for lo in range(0, len(a), block):
        seg = a[lo:lo + block + 3]
        if len(seg) < 4:
            break
        x, y = seg[:-1], seg[1:]
        pair = (((x == 0xD0) & (y >= 0x90) & (y <= 0xBF))
                | ((x == 0xD1) & (((y >= 0x80) & (y <= 0x8F)) | (y == 0x91))))
        hits = np.flatnonzero((pair[:-2] & pair[2:])[:block])
        if hits.size:
            return lo + int(hits[0])
    return None


# -- byte-level views of a text: what the checks need without decoding a whole file ---------

_UTF8 = ("utf-8", "utf-8-sig")
_RE_HIGH = re.compile(rb"[\x80-\xff]")
_BLOCK = 1 << 24


@functools.lru_cache(maxsize=64)
def _single_byte_undefined(enc: str) -> bytes | None:
    """For a single-byte code page whose bytes 00..7F are ASCII and 80..FF decode (if at all)
    to non-ASCII characters: the bytes it does not decode (``b""`` when every byte decodes);
    else None."""
    name = codecs.lookup(enc).name
    if name not in ("iso8859-1", "ascii"):
        mod = sys.modules.get(getattr(codecs.lookup(enc).decode, "__module__", "") or "")
        if mod is None or not hasattr(mod, "decoding_table"):
            return None
    bad = []
    for b in range(256):
        try:
            c = bytes([b]).decode(enc)
        except UnicodeDecodeError:
            bad.append(b)
            continue
        if len(c) != 1 or (b < 128 and c != chr(b)) or (b >= 128 and ord(c) < 128):
            return None
    return bytes(bad)


def byte_level(enc: str) -> bool:
    """True when line breaks, separators, quotes and non-ASCII characters of a text in ``enc``
    can be found in its bytes: UTF-8 and single-byte code pages (cp1251, koi8-r, cp866, ...)
    whose bytes 00..7F are ASCII and never part of another character."""
    try:
        name = codecs.lookup(enc).name
    except LookupError:
        return False
    return name in _UTF8 or _single_byte_undefined(name) is not None


def first_bad_byte(raw: bytes, enc: str) -> int | None:
    """Offset of the first byte where strict decoding of ``raw`` with ``enc`` fails (the
    ``start`` of the UnicodeDecodeError), or None; ``raw`` is never decoded as a whole."""
    name = codecs.lookup(enc).name
    undefined = _single_byte_undefined(name) if name not in _UTF8 else None
    if undefined is not None:
        if not undefined or not raw.translate(None, bytes(set(range(256)) - set(undefined))):
            return None
        return min(i for i in (raw.find(bytes([b])) for b in undefined) if i >= 0)
    if name not in _UTF8:
        try:
            raw.decode(enc)
        except UnicodeDecodeError as exc:
            return exc.start
        return None
    if raw.isascii():
        return None
    n, lo = len(raw), 0
    while lo < n:     # blocks end after a line break: no UTF-8 character spans two blocks
        hi = raw.find(b"\n", lo + _BLOCK) if lo + _BLOCK < n else -1
        hi = n if hi < 0 else hi + 1
        try:       # as "utf-8" also with a byte-order mark: the offset counts from raw[0]
            raw[lo:hi].decode("utf-8")
        except UnicodeDecodeError as exc:
            return lo + exc.start
        lo = hi
    return None


def _base(enc: str) -> str:
    return "utf-8" if codecs.lookup(enc).name in _UTF8 else enc


def _nonascii_segments(raw: bytes, start: int = 0):
    """``(a, b)`` byte spans of the ``\\n``-separated lines of ``raw[start:]`` holding a byte
    80..FF, in order (lazily)."""
    if raw.isascii():
        return
    pos, n = start, len(raw)
    while True:
        m = _RE_HIGH.search(raw, pos)
        if m is None:
            return
        a = max(start, raw.rfind(b"\n", start, m.start()) + 1)
        b = raw.find(b"\n", m.start())
        b = n if b < 0 else b
        yield a, b
        pos = b + 1


def non_ascii_lines_of(raw: bytes, enc: str, start: int = 0) -> str:
    """:func:`non_ascii_lines` of ``raw[start:].decode(enc)`` (``raw`` decodes cleanly, ``enc``
    is :func:`byte_level`), decoding only the lines it needs."""
    if not byte_level(enc):
        return non_ascii_lines(raw[start:].decode(enc))
    base = _base(enc)
    parts: list[str] = []
    total = 0
    for a, b in _nonascii_segments(raw, start):
        for ln in raw[a:b].decode(base).splitlines():
            if not ln.isascii():
                parts.append(ln)
                total += len(ln) + 1
        if total > _SAMPLE + 1:
            break
    return "\n".join(parts)[:_SAMPLE]


def _char_start(raw: bytes, i: int, base: str) -> int:
    """``i`` moved back to the first byte of the character it falls in (UTF-8)."""
    if base == "utf-8":
        while 0 < i < len(raw) and 0x80 <= raw[i] < 0xC0:
            i -= 1
    return i


def first_sample_text(raw: bytes, enc: str, start: int = 0) -> str:
    """:func:`sample_text` of ``raw[start:].decode(enc)``, decoding only a window around the
    first Cyrillic (else non-ASCII) character."""
    if not byte_level(enc):
        return sample_text(raw[start:].decode(enc))
    base = _base(enc)
    at = None
    for a, b in _nonascii_segments(raw, start):
        seg = raw[a:b].decode(base)
        m = _RE_CYR.search(seg)
        if m is not None:
            at = a + (len(seg[:m.start()].encode(base)) if base == "utf-8" else m.start())
            break
    if at is None:
        m = _RE_HIGH.search(raw, start)
        if m is None:
            return sample_text(raw[start:start + 64].decode(base))
        at = _char_start(raw, m.start(), base)
    lo = max(start, _char_start(raw, at - 24, base))
    hi = _char_start(raw, at + 41 * 4 + 4, base) if at + 41 * 4 + 4 < len(raw) else len(raw)
    window = raw[lo:hi].decode(base)
    i = len(raw[lo:at].decode(base))
    return window[max(0, i - 5):i + 40].replace("\r", " ").replace("\n", " ")


def decode_head(raw: bytes, enc: str, start: int, n_chars: int) -> str:
    """The first ``n_chars`` characters of ``raw[start:].decode(enc)`` (byte-level ``enc``)."""
    base = _base(enc)
    width = 4 if base == "utf-8" else 1
    hi = start + n_chars * width
    hi = len(raw) if hi >= len(raw) else _char_start(raw, hi, base)
    return raw[start:hi].decode(base)[:n_chars]


def position(raw: bytes, offset: int, encoding: str) -> tuple[int, int, str]:
    """``(line, column, line_text)`` (1-based) of byte ``offset`` of ``raw``."""
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    end = len(raw) if end < 0 else end
    col = len(raw[start:offset].decode(encoding, errors="replace")) + 1
    return line, col, raw[start:end].decode(encoding, errors="replace").rstrip("\r")


def fits_text(fits: list[tuple[str, str]]) -> str:
    """'encodings that fit: 'cp1251' (reads '...')' or a hint when none fits."""
    if not fits:
        return ("no candidate encoding (utf-8, cp1251, koi8-r, cp866) decodes the whole file "
                "into plausible text: pass the file's encoding= if it is another one, or re-save "
                "the file in one encoding if it mixes them or is damaged")
    first = fits[0]
    return (f"encodings that fit: {', '.join(repr(c) for c, _ in fits)} (with {first[0]!r} the "
            f"text reads {first[1]!r}); pass encoding={first[0]!r}")


def raise_misdecoded(where: str, encoding: str, how: str, kind: str, example: str,
                     fits: list[tuple[str, str]]) -> None:
    """Raise the DataError of a text that decodes but is recognisably mis-decoded."""
    raise DataError(f"{where}: encoding {encoding!r} ({how}) does not fit: the text looks "
                    f"mis-decoded ({kind}: {example!r}); " + fits_text(fits))


def decode_text(raw: bytes, encoding: str | None, where: str
                ) -> tuple[str, str, str, list[str]]:
    """Decode the whole of a text file strictly (:func:`check_encoding`, then the text).

    Returns ``(text, encoding_used, encoding_source, notes)``; raises DataError naming the line
    and column of the first bad byte and the encodings that would fit.
    """
    enc, source, notes = check_encoding(raw, encoding, where)
    return raw.decode(text_codec(raw, enc)), enc, source, notes


def text_codec(raw: bytes, enc: str) -> str:
    """The codec that decodes ``raw`` read as ``enc``: ``utf-8-sig`` for UTF-8 with a BOM."""
    return "utf-8-sig" if enc == "utf-8" and raw.startswith(b"\xef\xbb\xbf") else enc


def check_encoding(raw: bytes, encoding: str | None, where: str
                   ) -> tuple[str, str, list[str]]:
    """Check strictly that a text file decodes, without decoding it as a whole.

    The encoding is ``encoding`` if given, else a byte-order mark, else UTF-8, else the one
    Cyrillic code page that decodes the whole file into plausible text. Returns
    ``(encoding_used, encoding_source, notes)``; raises DataError naming the line and column of
    the first bad byte and the encodings that would fit, or the mis-decoded text (mojibake)
    the encoding produces. With UTF-8 and single-byte code pages (:func:`byte_level`) the
    bytes are checked in blocks and only the lines with non-ASCII characters are decoded.
    """
    notes: list[str] = []
    bom = ("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else
           "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else None)
    if encoding is not None:
        enc = "utf-8-sig" if (encoding == "utf-8" and bom == "utf-8-sig") else encoding
        _strict(raw, enc, where, f"given as encoding={encoding!r}")
        start = 3 if bom == "utf-8-sig" and codecs.lookup(enc).name == "utf-8-sig" else 0
        kind, example = misdecoded(non_ascii_lines_of(raw, enc, start), raw, encoding)
        if kind is not None:
            raise_misdecoded(where, encoding, f"given as encoding={encoding!r}", kind, example,
                             fitting_encodings(raw, skip=[encoding]))
        _check_no_utf8_inside(raw, enc, where)
        return encoding, "argument", notes
    if bom is not None:
        _strict(raw, bom, where, f"{bom} byte-order mark")
        return bom, "byte-order mark", notes
    bad = first_bad_byte(raw, "utf-8")
    if bad is not None:
        if not raw[:bad].isascii():
            _bad_byte(raw, "utf-8", bad, where, "detected from the text before it", mixed=True)
        fits = fitting_encodings(raw, skip=["utf-8"])
        run = utf8_run(raw)
        if not fits and run is not None:        # a single-byte file with UTF-8 rows inside
            before = fitting_encodings(raw[:run], skip=["utf-8"])
            if before:
                _check_no_utf8_inside(raw, before[0][0], where)
        if not fits:
            _bad_byte(raw, "utf-8", bad, where, "the file is neither UTF-8 nor a "
                      "Cyrillic code page")
        enc = fits[0][0]
        _check_no_utf8_inside(raw, enc, where)
        if len(fits) > 1:
            notes.append(f"encoding detected as {enc!r} (also decodes: "
                         f"{', '.join(c for c, _ in fits[1:])}); pass encoding= to choose")
        return enc, "detected", notes
    kind, example = detect_mojibake(non_ascii_lines_of(raw, "utf-8"))
    if kind is not None:
        notes.append(f"the text inside the file already looks mis-decoded ({kind}: "
                     f"{example!r}); it was probably converted with a wrong encoding before it "
                     "was saved")
    return "utf-8", "detected", notes


def _strict(raw: bytes, enc: str, where: str, how: str) -> None:
    bad = first_bad_byte(raw, enc)
    if bad is not None:
        _bad_byte(raw, enc, bad, where, how)


def _bad_byte(raw: bytes, enc: str, offset: int, where: str, how: str, mixed: bool = False):
    line, col, text = position(raw, offset, enc)
    fits = fitting_encodings(raw, skip=[enc])
    line_fits = [c for c, _ in fitting_encodings(_line_bytes(raw, offset), skip=[enc])]
    msg = (f"{where}: not valid {enc} ({how}): line {line}, column {col}: byte "
           f"0x{raw[offset]:02x} does not decode (line reads {text[:60]!r})")
    if mixed:
        msg += "; the lines before it are UTF-8, so the file mixes encodings"
    if line_fits and not fits:
        msg += f"; this line fits {', '.join(repr(c) for c in line_fits)}"
    raise DataError(msg + "; " + fits_text(fits))


def _line_bytes(raw: bytes, offset: int) -> bytes:
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    return raw[start:len(raw) if end < 0 else end]


def _check_no_utf8_inside(raw: bytes, enc: str, where: str) -> None:
    if codecs.lookup(enc).name.startswith(("utf", "utf_")):
        return
    at = utf8_run(raw)
    if at is None:
        return
    line, col, text = position(raw, at, enc)
    frag = _line_bytes(raw, at).decode("utf-8", errors="replace")
    raise DataError(f"{where}: the file reads as {enc} but line {line}, column {col} holds UTF-8 "
                    f"text ({frag[:60]!r}); the file mixes encodings: re-save it in one "
                    "encoding")
