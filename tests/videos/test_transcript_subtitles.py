"""Sidecar subtitle files (.srt / .vtt) read into transcript segments, and the checks made on upload."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sage.synthetic_media import Cue, make_video, write_srt, write_vtt
from videos.timed_text import TimedLine
from videos.transcripts import (
    MAX_CUES,
    TranscriptError,
    TranscriptResult,
    clean_segments,
    parse_subtitles,
    validate_subtitle_file,
)

CUES = [Cue(0.5, 2.0, "Hello there."), Cue(2.5, 4.25, "General Kenobi!"), Cue(61.0, 63.5, "A minute later.")]
EXPECTED = [
    TimedLine(0.5, 2.0, "Hello there."),
    TimedLine(2.5, 4.25, "General Kenobi!"),
    TimedLine(61.0, 63.5, "A minute later."),
]


def texts(segments: list[TimedLine]) -> list[str]:
    return [segment.text for segment in segments]


def bad_subtitles(data: bytes, filename: str = "subs.srt") -> str:
    with pytest.raises(TranscriptError) as caught:
        parse_subtitles(data, filename)
    assert caught.value.code == "bad_subtitles"
    return caught.value.message


# --- well-formed files ------------------------------------------------------------------------


def test_an_srt_file_gives_its_cues_with_times(tmp_path: Path) -> None:
    data = write_srt(tmp_path / "a.srt", CUES).read_bytes()

    assert parse_subtitles(data, "a.srt") == EXPECTED


def test_a_webvtt_file_gives_its_cues_with_times(tmp_path: Path) -> None:
    data = write_vtt(tmp_path / "a.vtt", CUES).read_bytes()

    assert parse_subtitles(data, "a.vtt") == EXPECTED


def test_the_format_is_told_by_content_not_by_the_file_name(tmp_path: Path) -> None:
    srt = write_srt(tmp_path / "a.srt", CUES).read_bytes()
    vtt = write_vtt(tmp_path / "a.vtt", CUES).read_bytes()

    assert parse_subtitles(srt, "named-wrongly.vtt") == EXPECTED
    assert parse_subtitles(vtt, "named-wrongly.srt") == EXPECTED
    assert parse_subtitles(vtt) == EXPECTED


# --- messy SubRip -----------------------------------------------------------------------------


MESSY_SRT = (
    "1\r\n"
    "00:00:01,000 --> 00:00:03,500 X1:40 X2:600 Y1:20 Y2:50\r\n"
    "<i>Where are you going?</i>\r\n"
    "{\\an8}- To the <b>market</b>.\r\n"
    "\r\n"
    "2\r\n"
    "00:00:04,2 --> 00:00:06,000\r\n"
    "Fish &amp; chips,\r\n"
    '<font color="#ffff00">then home.</font>\r\n'
    "3\r\n"  # no blank line before the next cue's number
    "0:00:07,000 --> 0:00:08,000\r\n"
    "1 < 2 and 3 > 2\r\n"
    "\r\n"
    "\r\n"
    "4\r\n"
    "00:00:09,000 --> 00:00:10,000\r\n"
    "   \r\n"  # a cue with no text
)


def test_messy_srt_gives_plain_one_line_texts_at_the_right_times() -> None:
    segments = parse_subtitles(b"\xef\xbb\xbf" + MESSY_SRT.encode(), "messy.srt")

    assert segments == [
        TimedLine(1.0, 3.5, "Where are you going? - To the market."),
        TimedLine(4.2, 6.0, "Fish & chips, then home."),
        TimedLine(7.0, 8.0, "1 < 2 and 3 > 2"),
    ]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),  # no byte-order mark
        ("cp1252", b""),
    ],
)
def test_accented_text_survives_every_common_encoding(encoding: str, prefix: bytes) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème – “déjà vu”\n"

    segments = parse_subtitles(prefix + text.encode(encoding), "accents.srt")

    assert texts(segments) == ["Café crème – “déjà vu”"]


# --- messy WebVTT -----------------------------------------------------------------------------


MESSY_VTT = """WEBVTT - a title
Kind: captions
Language: en

NOTE This file was made by hand.
It has a note that runs
over lines.

STYLE
::cue(.yellow) { color: yellow; }

REGION
id:fred
width:40%

intro
00:01.000 --> 00:03.000 align:start position:10% line:0
<v Roger Bingham><c.yellow>We are in</c> New York City</v>

00:00:03.500 --> 00:00:05.000
Tom &amp; Jerry &lt;3&nbsp;cheese
that's &quot;all&quot;

NOTE between cues

2
00:00:05.000 --> 00:00:06.500 size:50%
<ruby>漢<rt>kan</rt></ruby>字 <b>bold</b> <u>under</u>
"""


def test_messy_webvtt_skips_notes_styles_and_regions_and_strips_markup() -> None:
    segments = parse_subtitles(MESSY_VTT.replace("\n", "\r\n").encode(), "messy.vtt")

    assert segments == [
        TimedLine(1.0, 3.0, "We are in New York City"),
        TimedLine(3.5, 5.0, 'Tom & Jerry <3 cheese that\'s "all"'),
        TimedLine(5.0, 6.5, "漢字 bold under"),
    ]


# YouTube's automatic captions, as yt-dlp and others save them: each cue shows the line before it
# again above the new one, karaoke timestamps mark each word, and 10 ms cues repeat what is shown.
# Some lines hold a lone space ({space}), as YouTube's do.
YOUTUBE_ROLLING_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.160 --> 00:00:02.070 align:start position:0%
{space}
hey<00:00:00.480><c> everyone</c><00:00:00.800><c> welcome</c><00:00:01.120><c> back</c>

00:00:02.070 --> 00:00:02.080 align:start position:0%
hey everyone welcome back
{space}

00:00:02.080 --> 00:00:04.390 align:start position:0%
hey everyone welcome back
today<00:00:02.560><c> we</c><00:00:02.720><c> are</c><00:00:03.040><c> making</c><00:00:03.520><c> bread</c>

00:00:04.390 --> 00:00:04.400 align:start position:0%
today we are making bread
{space}

00:00:04.400 --> 00:00:06.000 align:start position:0%
today we are making bread
from<00:00:04.800><c> scratch</c>
""".replace("{space}", " ")


def test_youtube_rolling_captions_give_each_line_once() -> None:
    segments = parse_subtitles(YOUTUBE_ROLLING_VTT.encode(), "youtube.en.vtt")

    assert texts(segments) == ["hey everyone welcome back", "today we are making bread", "from scratch"]
    assert [segment.start for segment in segments] == [0.16, 2.08, 4.4]
    assert " ".join(texts(segments)) == "hey everyone welcome back today we are making bread from scratch"


def test_a_line_said_again_later_is_kept() -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\nThank you.\n\n2\n00:00:30,000 --> 00:00:31,000\nThank you.\n"

    assert texts(parse_subtitles(data)) == ["Thank you.", "Thank you."]


# --- files that are refused -------------------------------------------------------------------


def test_a_video_is_refused_as_not_a_subtitle_file(tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=1).read_bytes()

    message = bad_subtitles(video, "clip.srt")

    assert "not a subtitle file" in message
    assert "binary" in message


def test_text_without_any_cue_is_refused_with_an_example_of_what_was_expected() -> None:
    message = bad_subtitles(b"Just some notes I wrote.\nNo times here.\n", "notes.srt")

    assert "“notes.srt” has no subtitles" in message
    assert "00:00:01,000 --> 00:00:04,000" in message


def test_a_timestamp_that_does_not_parse_is_refused_naming_the_line() -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\nFine.\n\n2\n00:00:0x,000 --> 00:00:04,000\nBroken.\n"

    message = bad_subtitles(data, "broken.srt")

    assert "line 6" in message
    assert "00:00:0x,000 --> 00:00:04,000" in message


def test_an_absurdly_long_hour_is_refused_as_a_bad_time() -> None:
    data = b"1\n" + b"9" * 5000 + b":00:01,000 --> 00:00:02,000\nHi\n"

    assert "line 2" in bad_subtitles(data)


def test_cues_with_times_but_no_text_are_refused() -> None:
    message = bad_subtitles(b"WEBVTT\n\n00:01.000 --> 00:02.000\n<i> </i>\n", "empty.vtt")

    assert "no text" in message


def test_an_ass_file_is_refused_by_name() -> None:
    message = bad_subtitles(b"[Script Info]\nTitle: x\n\n[Events]\n", "fancy.srt")

    assert "ASS/SSA" in message


def test_more_cues_than_the_cap_are_refused() -> None:
    cue = "00:00:01.000 --> 00:00:02.000\nx\n\n"
    data = ("WEBVTT\n\n" + cue * (MAX_CUES + 1)).encode()

    assert "more than 20,000 subtitles" in bad_subtitles(data, "huge.vtt")


@given(st.binary(max_size=400))
@hypothesis_settings(max_examples=300)
def test_any_bytes_either_parse_into_clean_segments_or_are_refused_with_a_message(data: bytes) -> None:
    try:
        segments = parse_subtitles(data, "random.srt")
    except TranscriptError as error:
        assert error.code == "bad_subtitles"
        assert error.message
    else:
        assert segments
        assert all(segment.text and "\n" not in segment.text for segment in segments)
        assert all(0 <= segment.start <= segment.end for segment in segments)
        assert [segment.start for segment in segments] == sorted(segment.start for segment in segments)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=36_000_000),
            st.integers(min_value=1, max_value=10_000),
            st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=30),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_written_srt_reads_back_to_the_same_cues(items: list[tuple[int, int, str]]) -> None:
    # Times in whole milliseconds, texts different from one cue to the next (identical neighbours
    # are merged, by design).
    cues = [
        Cue(start / 1000, (start + length) / 1000, f"{index} {text}")
        for index, (start, length, text) in enumerate(items)
    ]
    with tempfile.TemporaryDirectory() as directory:
        data = write_srt(Path(directory) / "roundtrip.srt", cues).read_bytes()

    segments = parse_subtitles(data)

    expected = [(cue.start, cue.end, cue.text) for cue in sorted(cues, key=lambda cue: (cue.start, cue.end))]
    got = [(segment.start, segment.end, segment.text) for segment in segments]
    assert len(got) == len(expected)
    for (start, end, text), (got_start, got_end, got_text) in zip(expected, got, strict=True):
        assert math.isclose(start, got_start, abs_tol=1e-6) and math.isclose(end, got_end, abs_tol=1e-6)
        assert text == got_text


# --- upload checks ----------------------------------------------------------------------------


def test_an_upload_with_a_good_file_gives_its_segments(tmp_path: Path) -> None:
    data = write_vtt(tmp_path / "a.vtt", CUES).read_bytes()

    assert validate_subtitle_file(data, "Lecture 1.VTT") == EXPECTED


@pytest.mark.parametrize("filename", ["subs.txt", "subs.ass", "subs", "subs.srt.exe"])
def test_an_upload_without_an_srt_or_vtt_extension_is_refused(tmp_path: Path, filename: str) -> None:
    data = write_srt(tmp_path / "a.srt", CUES).read_bytes()

    with pytest.raises(TranscriptError) as caught:
        validate_subtitle_file(data, filename)

    assert caught.value.code == "bad_subtitles"
    assert "upload an .srt or .vtt file" in caught.value.message


def test_an_upload_over_the_size_limit_is_refused_with_both_sizes(settings, tmp_path: Path) -> None:
    settings.SUBTITLE_MAX_BYTES = 2048
    data = write_srt(tmp_path / "a.srt", [Cue(i, i + 0.5, f"cue number {i}") for i in range(100)]).read_bytes()

    with pytest.raises(TranscriptError) as caught:
        validate_subtitle_file(data, "a.srt")

    assert caught.value.code == "bad_subtitles"
    assert f"is {round(len(data) / 1024)} KB" in caught.value.message
    assert "largest accepted is 2 KB" in caught.value.message


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(TranscriptError, match="empty"):
        validate_subtitle_file(b"\n\n", "a.srt")


# --- the shared clean-up ----------------------------------------------------------------------


def test_clean_segments_sorts_trims_clamps_and_drops_empty_or_out_of_range_ones() -> None:
    segments = [
        TimedLine(5.0, 7.0, "  second\n line "),
        TimedLine(-1.0, 1.0, "first"),
        TimedLine(2.0, 2.5, "   "),
        TimedLine(8.0, 12.0, "runs past the end"),
        TimedLine(11.0, 12.0, "starts after the end"),
        TimedLine(9.5, 9.0, "ends before it starts"),
        TimedLine(math.nan, 1.0, "no time"),
    ]

    assert clean_segments(segments, duration=10.0) == [
        TimedLine(0.0, 1.0, "first"),
        TimedLine(5.0, 7.0, "second line"),
        TimedLine(8.0, 10.0, "runs past the end"),
        TimedLine(9.5, 9.5, "ends before it starts"),
    ]


def test_clean_segments_merges_a_caption_repeated_at_once_but_not_one_said_again_later() -> None:
    segments = [
        TimedLine(1.0, 2.0, "again"),
        TimedLine(2.0, 3.0, "again"),
        TimedLine(3.5, 4.0, "again"),
        TimedLine(20.0, 21.0, "again"),
    ]

    assert clean_segments(segments) == [TimedLine(1.0, 4.0, "again"), TimedLine(20.0, 21.0, "again")]


def test_a_transcripts_text_is_its_segments_joined() -> None:
    result = TranscriptResult(source="sidecar", segments=EXPECTED)

    assert result.text == "Hello there. General Kenobi! A minute later."
    assert (result.language, result.low_confidence) == ("", False)
