"""Sidecar subtitle files: SubRip (.srt) and WebVTT (.vtt) parsed into transcript segments.

A small parser of our own (neither `srt` nor `webvtt-py` is installed), lenient where real files
are sloppy — no WEBVTT header, "," or "." before the milliseconds, hours left out, cue settings or
SRT coordinates after the times, no blank line before the next cue's number — and strict where
guessing would put words at the wrong time: a timing line that does not parse is an error naming
the line.
"""

from __future__ import annotations

import codecs
import html
import re
from pathlib import PurePath

from django.conf import settings

from videos.timed_text import TimedLine
from videos.transcripts.base import TranscriptError, clean_segments, one_line

SUBTITLE_EXTENSIONS = (".srt", ".vtt")
MAX_CUES = 20_000

_TIMESTAMP = r"(?:(\d{1,4}):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
_TIMING_LINE = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s.*)?$")
# Anything shaped like "x --> y": where a timing line belongs, it must parse.
_ARROW_LINE = re.compile(r"^\s*\S.*-->")
_INDEX_LINE = re.compile(r"^\s*\d+\s*$")
# Blocks of a WebVTT file that hold no cue (the header's own metadata block included).
_NON_CUE_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")

# Markup inside cue text: HTML-like tags (<i>, </b>, <c.colour>, <v Speaker>, <font …>, <ruby>),
# WebVTT karaoke timestamps (<00:00:01.000>), ASS override blocks ({\an8}, {\b1}) and ASS escapes.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}(?::\d{2}){1,2}[.,]\d{1,3}>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_RUBY_TEXT = re.compile(r"<rt>.*?</rt>", re.DOTALL)  # pronunciation shown above the text, not said twice
_ASS_LINE_BREAK = re.compile(r"\\[Nnh]")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Rolling captions follow on at once (YouTube's even overlap); a cue further apart is a new line.
_ROLLING_GAP_SECONDS = 1.0
_SAMPLE_BYTES = 4096
# Share of control characters (besides tab, newlines, form feed) above which a "text" is binary data.
_MAX_CONTROL_SHARE = 0.01


def strip_markup(text: str) -> str:
    """Plain text of a cue: tags, karaoke timestamps and ASS overrides removed, entities decoded,
    on one line. Entities are decoded last, so an escaped "&lt;i&gt;" stays as the text "<i>"."""
    text = _ASS_OVERRIDE.sub("", text)
    text = _ASS_LINE_BREAK.sub(" ", text)
    text = _RUBY_TEXT.sub("", text)
    text = _TAG.sub("", text)
    return one_line(html.unescape(text))


def parse_subtitles(data: bytes, filename: str = "") -> list[TimedLine]:
    """Segments of an SRT or WebVTT file (told apart by content, not by `filename`).

    Raises TranscriptError("bad_subtitles", …) for bytes that are not a subtitle file, a file with
    no cues or no text, a timing line that does not parse, or more than MAX_CUES cues."""
    name = f"“{PurePath(filename).name}”" if filename else "The subtitle file"
    text = _decode(data, name)
    lines = text.splitlines()
    if lines and lines[0].lstrip().startswith("[Script Info]"):
        raise TranscriptError(
            "bad_subtitles", f"{name} is an ASS/SSA subtitle file; only SRT and WebVTT files are supported."
        )
    cues = _parse_cues(lines, name)
    if not cues:
        raise TranscriptError(
            "bad_subtitles",
            f"{name} has no subtitles in it: expected SRT or WebVTT cues such as "
            "“00:00:01,000 --> 00:00:04,000” followed by their text.",
        )
    segments = clean_segments(_roll_up(cues))
    if not segments:
        raise TranscriptError("bad_subtitles", f"{name} has subtitle times but no text in any of them.")
    return segments


def validate_subtitle_file(data: bytes, filename: str) -> list[TimedLine]:
    """What the upload API checks before it stores a sidecar file: the .srt/.vtt extension, the size
    limit (settings.SUBTITLE_MAX_BYTES), then that it parses. Returns the segments."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUBTITLE_EXTENSIONS:
        shown = f"“{PurePath(filename).name}”" if filename else "This file"
        raise TranscriptError(
            "bad_subtitles", f"{shown} is not a subtitle file we can read: upload an .srt or .vtt file."
        )
    limit = int(settings.SUBTITLE_MAX_BYTES)
    if len(data) > limit:
        raise TranscriptError(
            "bad_subtitles",
            f"The subtitle file is {_size(len(data))}; the largest accepted is {_size(limit)}.",
        )
    if not data.strip():
        raise TranscriptError("bad_subtitles", "The subtitle file is empty.")
    return parse_subtitles(data, filename)


# --- bytes to text ------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            break
    else:
        encoding_guess = _utf16_without_bom(data)
        if encoding_guess is not None:
            text = data.decode(encoding_guess, errors="replace")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                # Older subtitle files are mostly Windows-1252; it leaves 5 byte values undefined,
                # which Latin-1 takes instead.
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
    if _looks_binary(text):
        raise TranscriptError(
            "bad_subtitles", f"{name} is not a subtitle file: it holds binary data (a video or an image?)."
        )
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text in the Latin range has a zero in every other byte; nothing else looks like it."""
    sample = data[:_SAMPLE_BYTES]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    sample = text[: _SAMPLE_BYTES * 4]
    if "\x00" in sample:
        return True
    controls = sum(1 for character in sample if ord(character) < 32 and character not in "\t\n\r\f\v")
    return controls > _MAX_CONTROL_SHARE * max(1, len(sample))


# --- text to cues -------------------------------------------------------------------------------


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float:
    # "1,5" is half a second: the digits after the separator are a decimal fraction.
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")


def _parse_cues(lines: list[str], name: str) -> list[tuple[float, float, list[str]]]:
    """(start, end, text lines) per cue, in file order. A line-by-line state machine rather than a
    split on blank lines, so a cue that runs into the next one's number is still read."""
    cues: list[tuple[float, float, list[str]]] = []
    current: tuple[float, float, list[str]] | None = None
    block: list[str] = []  # the lines of the block so far (a block ends at a blank line)
    skipping = False  # inside a WebVTT header, NOTE, STYLE or REGION block
    for number, line in enumerate(lines, start=1):
        if not line:
            # Only an empty line ends a block: YouTube's captions put a lone space in cue text.
            current, block, skipping = None, [], False
            continue
        if not block and line.lstrip().startswith(_NON_CUE_BLOCKS):
            skipping = True
        block.append(line)
        timing = _TIMING_LINE.match(line)
        if skipping and timing is None:
            continue
        skipping = False  # a cue right after a header or note, with no blank line between
        if timing is None and _ARROW_LINE.match(line) and _is_timing_position(block, current):
            raise TranscriptError(
                "bad_subtitles",
                f"{name}, line {number}: “{one_line(line)[:80]}” is not a valid subtitle time "
                "(expected e.g. “00:01:02,500 --> 00:01:04,000”).",
            )
        if timing is None:
            if current is not None:
                current[2].append(line)
            continue
        if current is not None and current[2] and _INDEX_LINE.match(current[2][-1]):
            current[2].pop()  # the next cue's number, with no blank line before it
        groups = timing.groups()
        start, end = _seconds(*groups[:4]), _seconds(*groups[4:])
        current = (start, max(start, end), [])
        cues.append(current)
        if len(cues) > MAX_CUES:
            raise TranscriptError(
                "bad_subtitles", f"{name} has more than {MAX_CUES:,} subtitles; that is more than a video needs."
            )
    return cues


def _is_timing_position(block: list[str], current: tuple[float, float, list[str]] | None) -> bool:
    """Whether the block's last line is where a timing line goes: the first line of a block, the
    second after a cue number or WebVTT identifier, or right after a cue's number inside a cue."""
    if current is None:
        return len(block) <= 2
    return len(current[2]) == 1 and bool(_INDEX_LINE.match(current[2][0]))


def _roll_up(cues: list[tuple[float, float, list[str]]]) -> list[TimedLine]:
    """Segments from cues, without the lines rolling captions repeat: YouTube's automatic
    captions show the previous line again above each new one, so the leading lines of a cue that
    the cue just before it showed are dropped (a cue left with nothing is dropped too). Only cues
    that follow on within a second count: a line said again later is kept."""
    segments: list[TimedLine] = []
    previous_lines: set[str] = set()
    previous_end = float("-inf")
    for start, end, raw_lines in cues:
        cue_lines = [plain for plain in (strip_markup(line) for line in raw_lines) if plain]
        new_lines = list(cue_lines)
        if start <= previous_end + _ROLLING_GAP_SECONDS:
            while new_lines and new_lines[0] in previous_lines:
                new_lines.pop(0)
        if new_lines:
            segments.append(TimedLine(start=start, end=end, text=" ".join(new_lines)))
        previous_lines, previous_end = set(cue_lines), end
    return segments


def _size(byte_count: int) -> str:
    if byte_count >= 1024 * 1024:
        return f"{byte_count / (1024 * 1024):.1f} MB"
    return f"{max(1, round(byte_count / 1024))} KB"
