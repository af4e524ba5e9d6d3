"""Shared helpers of the printable forms: language, paths, question numbering, layout."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._checks import ParameterError, check_option
from ..instruments import _ID_LABELS, Instrument, Item, Text, load_instrument

LANGS = ("ru", "en")
FORMATS = ("html", "docx", "sav", "xlsx")
#: Instruments ``shnro forms`` renders when none is named.
DEFAULT_INSTRUMENTS = ("students", "parents", "teachers")

BOX = "\u2610"  # ☐

_UI = {
    "ru": {
        "service": "Заполняется организатором опроса",
        "max_choices": "не более {n}",
        "rank_no": "№", "rank_value": "Ценность / вариант", "rank": "Ранг",
        "rank_hint": "ранг от 1 до {k}",
        "stmt": "Утверждение", "question": "Вопрос",
        "range": "от {lo} до {hi}",
        "thanks": "Спасибо за участие!",
        "chosen": "выбрано", "not_chosen": "не выбрано", "blank": "(нет ответа)",
        "questions": "вопросов",
        "male": "Вариант анкеты М — для респондентов мужского пола",
        "female": "Вариант анкеты Ж — для респондентов женского пола",
    },
    "en": {
        "service": "To be filled in by the survey organiser",
        "max_choices": "no more than {n}",
        "rank_no": "No.", "rank_value": "Value / option", "rank": "Rank",
        "rank_hint": "rank 1 to {k}",
        "stmt": "Statement", "question": "Question",
        "range": "from {lo} to {hi}",
        "thanks": "Thank you for taking part!",
        "chosen": "chosen", "not_chosen": "not chosen", "blank": "(no answer)",
        "questions": "questions",
        "male": "Version M — for male respondents",
        "female": "Version F — for female respondents",
    },
}


def versions(ins: Instrument, sex: str | None = None) -> list[tuple[str, Instrument]]:
    """The printed versions of a questionnaire: ``[("", ins)]`` when no item has a female
    wording; otherwise, as the ESS does, a male and a female version (``sex`` picks one)."""
    if sex is not None:
        return [(sex if ins.gendered else "", ins.for_sex(sex))]
    if not ins.gendered:
        return [("", ins)]
    return [(s, ins.for_sex(s)) for s in ("male", "female")]


def version_paths(ins: Instrument, path: Path, sex: str | None = None) -> list[tuple[str, Path]]:
    """Files of the printed versions: ``path`` for the first (male or only) version, and
    ``<stem>_female<suffix>`` beside it for the female version when both are printed."""
    out = []
    for k, (version, _) in enumerate(versions(ins, sex)):
        out.append((version, path if k == 0 else
                    path.with_name(f"{path.stem}_{version}{path.suffix}")))
    return out


def _instrument(instrument: Any) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, (str, Path)):
        return load_instrument(instrument)
    raise ParameterError(f"'instrument' must be an Instrument, a bundled name or a .yaml path; "
                         f"got {type(instrument).__name__}")


def _lang(lang: Any) -> str:
    return check_option(lang, "lang", LANGS)


def _path(path: Any, name: str = "path") -> Path:
    if not isinstance(path, (str, Path)) or str(path) == "":
        raise ParameterError(f"{name!r} must be a file path (str or Path); got {path!r}")
    p = Path(path)
    if p.exists() and p.is_dir():
        raise ParameterError(f"{name!r} must be a file path, not a folder; got {str(p)!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# -- layout shared by HTML and DOCX -----------------------------------------------------------

@dataclass
class _Block:
    """A printed unit: one question, or a grid of numbered likert rows sharing a response scale."""

    kind: str                       # "grid" or an item type
    items: list[tuple[int, Item]]   # (question number, item)


def _grid_key(it: Item) -> tuple | None:
    if it.type not in ("likert", "single"):
        return None
    return (it.type, tuple((c, t.ru, t.en) for c, t in it.codes.items()),
            tuple((c, t.ru, t.en) for c, t in it.missing.items()))


def question_numbers(instrument: Any) -> dict[str, int]:
    """Printed question number of every item (1, 2, ... in questionnaire order).

    Parameters
    ----------
    instrument : Instrument or str or Path

    Returns
    -------
    dict
        ``{item id: number}``; the numbers are those printed by :func:`render_html` and
        :func:`render_docx` and listed in :func:`codebook_table`.
    """
    ins = _instrument(instrument)
    return {it.id: k for k, it in enumerate(ins.items, start=1)}


def _layout(ins: Instrument) -> list[tuple[Any, list[_Block]]]:
    """Sections with their blocks; runs of >= 2 likert/single items with equal codes -> grid.

    A run of single items becomes a grid only when all its options are short (yes/no style).
    """
    numbers = question_numbers(ins)
    by_id = {it.id: it for it in ins.items}
    out = []
    for sec in ins.sections:
        blocks: list[_Block] = []
        run: list[Item] = []

        def flush():
            if len(run) >= 2 and (run[0].type == "likert" or
                                  all(len(t.ru) <= 12 for t in run[0].codes.values())):
                blocks.append(_Block("grid", [(numbers[i.id], i) for i in run]))
            else:
                blocks.extend(_Block(i.type, [(numbers[i.id], i)]) for i in run)
            run.clear()

        for iid in sec.items:
            it = by_id[iid]
            key = _grid_key(it)
            if run and key == _grid_key(run[0]):
                run.append(it)
                continue
            flush()
            if key is not None:
                run.append(it)
            else:
                blocks.append(_Block(it.type, [(numbers[it.id], it)]))
        flush()
        out.append((sec, blocks))
    return out


def _answer_codes(it: Item) -> list[tuple[int, Text, bool]]:
    """(code, label, is_missing) in printed order: valid codes, then missing codes."""
    return [(c, t, False) for c, t in it.codes.items()] + \
        [(c, t, True) for c, t in it.missing.items()]


#: Shorter labels of id columns for the service line of a printed form.
_SERVICE_LABELS = {"resp_id": Text("№ анкеты", "Form no."),
                   "wave": Text("Волна (год)", "Wave (year)")}


def _id_label(ins: Instrument, col: str, lang: str, printed: bool = False) -> str:
    if printed and col in _SERVICE_LABELS:
        return _SERVICE_LABELS[col].get(lang)
    return _ID_LABELS.get(col, Text(col)).get(lang)


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 14mm 12mm 14mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "PT Serif", "Times New Roman", serif; font-size: 10.5pt; line-height: 1.3;
       color: #000; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 1.5mm; border-bottom: 1px solid #000;
     page-break-after: avoid; break-after: avoid; }
.intro { border: 1px solid #000; padding: 2.5mm 3mm; margin-bottom: 4mm; text-align: justify; }
.service { font-size: 9pt; margin-bottom: 4mm; }
.service .field { display: inline-block; min-width: 22mm; border-bottom: 1px solid #000;
                  margin: 0 4mm 0 1mm; }
.instruction { font-style: italic; margin: 0 0 2mm; page-break-after: avoid; }
.q { margin: 0 0 3mm; page-break-inside: avoid; break-inside: avoid; }
.qtext { font-weight: bold; margin: 0 0 1mm; }
.num { display: inline-block; min-width: 7mm; }
.hint { font-weight: normal; font-style: italic; }
ul.opts { list-style: none; margin: 0; padding-left: 7mm; }
ul.opts.inline li { display: inline-block; margin-right: 6mm; }
.box { font-size: 12pt; margin-right: 1.5mm; }
.code { font-size: 7.5pt; color: #444; vertical-align: super; margin-left: 0.5mm; }
.missing-opt { font-style: italic; }
.field { display: inline-block; min-width: 30mm; border-bottom: 1px solid #000; height: 5mm; }
table { border-collapse: collapse; width: 100%; margin: 0 0 3mm; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
th, td { border: 1px solid #000; padding: 1mm 1.2mm; vertical-align: middle; }
th { font-size: 8pt; font-weight: normal; text-align: center; }
td.cell { text-align: center; white-space: nowrap; width: 11mm; }
td.n { width: 8mm; text-align: right; }
th.miss, td.miss { border-left: 2px solid #000; background: #f2f2f2; }
td.rank { width: 16mm; }
.lines div { border-bottom: 1px solid #000; height: 7mm; }
.thanks { text-align: center; font-weight: bold; margin-top: 6mm; }
.version { text-align: center; font-weight: bold; border: 2px solid #000; padding: 1.5mm;
           margin: 0 0 3mm; }
@media print { body { max-width: none; } }
"""


