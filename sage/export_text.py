"""People's text in the files SAGE writes for other programs (CSV reports, editors' marker files).

Such text is read by programs that act on it: a spreadsheet runs a cell that starts like a formula
(OWASP's "CSV injection"), an editor's list shows a note whose bidi override turns what follows it
around, an XML parser refuses control characters, and a CMX 3600 EDL is ASCII. Every export cleans
people's text here, in one way."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from anyascii import anyascii

from sage.text import without_bidi_controls

# C0 and C1 controls but tab, line feed and carriage return: XML 1.0 cannot hold most of them and
# no program shows them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# OWASP, CSV injection: a cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_text(text: str) -> str:
    """`text` without the controls that set the direction of what follows them (a comment could
    reorder the text around it: sage.text) and control characters (line breaks and tabs stay)."""
    return _CONTROLS.sub("", without_bidi_controls(text))


def ascii_text(text: str) -> str:
    """`plain_text(text)` in ASCII: letters folded ("é" -> "e"), punctuation spelled ("—" -> "-",
    "…" -> "..."), other scripts transliterated, for formats that are ASCII (a CMX 3600 EDL)."""
    return plain_text(anyascii(plain_text(text)))


def shortened(text: str, limit: int, *, ellipsis: str = "...") -> str:
    """`text` cut to at most `limit` characters, at a word where one is near, ending in `ellipsis`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-.") + ellipsis


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written (OWASP's advice for CSV injection): text that starts
    like a formula gets a leading single quote, which the spreadsheet shows as text. Numbers stay
    numbers, negative ones too: only text can be a formula."""
    if not isinstance(value, str):
        return value
    value = plain_text(value)
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, ignore_extra: bool = False) -> str:
    """`rows` as CSV with a header of `columns`, every cell made safe to open in a spreadsheet.
    `ignore_extra` drops keys that are not columns (otherwise they are an error)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore" if ignore_extra else "raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return out.getvalue()
