"""The accuracy corpus (issue 13): pairs of versions of natural footage with exact ground truth.

Every case is two edit lists over the same source footage (:mod:`.edits`), so its truth — offset,
matched spans, and every segment with its kind, A and B ranges and least acceptable severity —
follows from the edit lists (:attr:`Case.truth`). Times and edits are deliberately off the 2 s clip
grid. `bench/accuracy.py` scores the comparison engine on :data:`CASES`;
tests/videos/test_compare_accuracy.py runs the short :data:`QUICK_CASES`. Pairs with engine 3's
findings (A/V sync, moves, speed, changed text) are built on real footage in :mod:`.real_footage`
(`bench/accuracy.py --real`), their truth in :mod:`.scoring`'s `TruthFinding`.

    path_a, path_b = render_case(case, directory)   # cached by a hash of the case and this code
    case.truth.offset, case.truth.segments

Categories and cases (H: held out — the engine is not tuned on these; they use other programmes,
seeds and timings than the tuning cases):

- offset: lead_in_3_4, lead_in_negative_1_3, black_lead_in_11_frames, trims_both_ends;
  H intro_lead_in_7_3, H lead_in_and_tail_trim
- insert_remove: insert_3_7_at_17_3, remove_4_2_at_21_3, insert_0_8, insert_12, jump_cut_0_8,
  several_edits; H insert_4_7_at_12_6, H remove_and_insert
- frame_rate: fps_25_vs_30_lead_in; H fps_24_vs_30_negative
- reencode (the truth is no segment): reencode_size_rate_codec, reencode_low_bitrate,
  reencode_letterbox, reencode_pillarbox, reencode_audio_44k_stereo; H reencode_everything,
  H reencode_pillarbox_vp9
- picture: logo, burned_subtitles, banner, grade_strong, grade_mild, replaced_scene;
  H logo_bottom_left, H grade_strong_bleach, H burned_subtitles_late
- sound: music_swap, mute, music_up_10db, speech_removed; H music_down_10db, H mute_short
- both: replaced_scene_new_music; H replaced_scene_new_music_late
- combination: lead_in_insert_banner; H trim_remove_grade
- fresh (all held out, added after the other held-out cases had been used to diagnose misses, so
  that some cases stay unseen by any tuning; programmes 71–73): fresh_reencode_25fps_low_bitrate,
  fresh_reencode_letterbox_vp9_stereo, fresh_logo_top_left, fresh_grade_mild_cool,
  fresh_music_up_6db, fresh_mute_long, fresh_speech_removed_early, fresh_insert_and_new_music
- second fresh (all held out, added when two of the fresh cases had been used to find a fault;
  programmes 74–76): fresh2_reencode_stereo_44k_small, fresh2_reencode_pillarbox_vp9_stereo,
  fresh2_banner_short, fresh2_music_swap, fresh2_replaced_scene_new_music, fresh2_removal_and_logo

Severity floors: a strong grade, a replaced scene, a new music bed and muted sound are never "low"
(floor "medium"); other changes accept any severity.

Pictures are drawn at the case's `master` size (320×180, or 640×360 for the re-encodes that scale)
and each version is encoded as its :class:`~sage.synthetic_media.edits.Encoding` says: H.264 (x264
"ultrafast", CRF 23; the low-bitrate re-encodes "superfast", with B-frames) + AAC, or VP9 + Opus.
The footage is shot at 30 fps; a version at another rate shows the nearest earlier frames (as
FFmpeg's frame-rate conversion drops and repeats frames; no blended frames). Rendered files are
kept in a directory under names that hash the version and the generator's code, so a rerun reuses
them and any change to either renders afresh.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .caching import code_digest
from .content import SAMPLE_RATE
from .edits import Change, Encoding, Piece, Severity, Truth, Version, derive_truth, render_version
from .natural import Programme, ProgrammePainter
from .natural_sound import spoken_lines
from .overlays import (
    Banner,
    BurnedText,
    DropSpeech,
    Grade,
    Logo,
    MusicLevel,
    Mute,
    ReplacePicture,
    SwapMusic,
)

Category = Literal["offset", "insert_remove", "frame_rate", "reencode", "picture", "sound", "both", "combination"]
CATEGORIES: tuple[Category, ...] = (
    "offset",
    "insert_remove",
    "frame_rate",
    "reencode",
    "picture",
    "sound",
    "both",
    "combination",
)
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".sage" / "corpus"
_CODE = ("content.py", "writing.py", "natural.py", "natural_sound.py", "overlays.py", "edits.py")


@dataclass(frozen=True)
class Case:
    name: str
    category: Category
    main: Programme
    a: Version
    b: Version
    held_out: bool = False
    master: tuple[int, int] = (320, 180)

    @functools.cached_property
    def truth(self) -> Truth:
        return derive_truth(self.a, self.b, self.main)


def whole(programme: Programme) -> Version:
    return Version((Piece(programme, 0.0, programme.seconds),))


def cut(
    *pieces: tuple[Programme, float, float], changes: tuple[Change, ...] = (), encoding: Encoding | None = None
) -> Version:
    return Version(tuple(Piece(*piece) for piece in pieces), changes, encoding or Encoding())


def changed(programme: Programme, *changes: Change) -> Version:
    return Version((Piece(programme, 0.0, programme.seconds),), changes)


def encoded(programme: Programme, **encoding: object) -> Version:
    return Version((Piece(programme, 0.0, programme.seconds),), (), Encoding(**encoding))  # type: ignore[arg-type]


# --- source footage ------------------------------------------------------------------------------

# Tuning programmes.
P11, P12, P13 = Programme(11, 48), Programme(12, 40, fast=2), Programme(13, 36)
P14, P15, P16 = Programme(14, 44), Programme(15, 40, fast=2), Programme(16, 32)
# Held-out programmes.
H61, H62, H63 = Programme(61, 46), Programme(62, 40, fast=2), Programme(63, 38)
H64, H65 = Programme(64, 44), Programme(65, 34, fast=2)
# Fresh held-out programmes (see the module docstring).
F71, F72, F73 = Programme(71, 42), Programme(72, 38, fast=2), Programme(73, 40)
F74, F75, F76 = Programme(74, 44), Programme(75, 40, fast=2), Programme(76, 38)
# Material inserted by an edit, and the other pictures and music a change brings in.
INSERTS = {seed: Programme(seed, 20) for seed in (101, 102, 103, 104, 105, 106, 111)}
OTHER = {seed: Programme(seed, 48) for seed in (201, 202, 203, 204)}
BLACK = Programme(0, 10, black=True)

HD = (640, 360)
SUBTITLES = ("WHERE DID THE TRAIN GO", "ALONG THE RIVER, I THINK", "WE WAITED UNTIL NOON", "NOBODY CAME BACK")


def _cases() -> list[Case]:
    i101, i102, i103, i104, i105, i106, i111 = (INSERTS[seed] for seed in (101, 102, 103, 104, 105, 106, 111))
    o201, o202, o203, o204 = (OTHER[seed] for seed in (201, 202, 203, 204))
    medium: Severity = "medium"
    return [
        # offsets and trims
        Case("lead_in_3_4", "offset", P12, cut((P12, 3.4, 40)), whole(P12)),
        Case("lead_in_negative_1_3", "offset", P13, whole(P13), cut((P13, 1.3, 36))),
        Case("black_lead_in_11_frames", "offset", P16, whole(P16), cut((BLACK, 0, 11 / 30), (P16, 0, 32))),
        Case("trims_both_ends", "offset", P14, whole(P14), cut((P14, 2.7, 38.6))),
        Case("intro_lead_in_7_3", "offset", H61, whole(H61), cut((i111, 3.1, 10.4), (H61, 0, 46)), held_out=True),
        Case("lead_in_and_tail_trim", "offset", H63, cut((H63, 1.7, 38)), cut((H63, 0, 33.2)), held_out=True),
        # insertions and removals
        Case(
            "insert_3_7_at_17_3", "insert_remove", P11, whole(P11), cut((P11, 0, 17.3), (i101, 2, 5.7), (P11, 17.3, 48))
        ),
        Case("remove_4_2_at_21_3", "insert_remove", P15, whole(P15), cut((P15, 0, 21.3), (P15, 25.5, 40))),
        Case("insert_0_8", "insert_remove", P13, whole(P13), cut((P13, 0, 9.7), (i102, 1, 1.8), (P13, 9.7, 36))),
        Case("insert_12", "insert_remove", P14, whole(P14), cut((P14, 0, 14.7), (i103, 0, 12), (P14, 14.7, 44))),
        Case("jump_cut_0_8", "insert_remove", P12, whole(P12), cut((P12, 0, 18.9), (P12, 19.7, 40))),
        Case(
            "several_edits",
            "insert_remove",
            P11,
            whole(P11),
            cut((P11, 0, 8.7), (i104, 0, 2.9), (P11, 8.7, 24.6), (P11, 28.8, 36.6), (i101, 8, 9.6), (P11, 36.6, 48)),
        ),
        Case(
            "insert_4_7_at_12_6",
            "insert_remove",
            H62,
            whole(H62),
            cut((H62, 0, 12.6), (i105, 3, 7.7), (H62, 12.6, 40)),
            held_out=True,
        ),
        Case(
            "remove_and_insert",
            "insert_remove",
            H64,
            whole(H64),
            cut((H64, 0, 7.4), (H64, 10.7, 30.8), (i106, 0, 2.9), (H64, 30.8, 44)),
            held_out=True,
        ),
        # frame rates
        Case(
            "fps_25_vs_30_lead_in", "frame_rate", P15, cut((P15, 2.7, 40)), cut((P15, 0, 40), encoding=Encoding(fps=25))
        ),
        Case(
            "fps_24_vs_30_negative",
            "frame_rate",
            H65,
            cut((H65, 0, 34), encoding=Encoding(fps=24)),
            cut((H65, 1.4, 34)),
            held_out=True,
        ),
        # re-encodes: no segment
        Case(
            "reencode_size_rate_codec",
            "reencode",
            P12,
            encoded(P12, width=640, height=360),
            encoded(P12, width=384, height=216, fps=25, suffix=".webm"),
            master=HD,
        ),
        Case(
            "reencode_low_bitrate",
            "reencode",
            P15,
            encoded(P15, width=640, height=360),
            encoded(P15, width=640, height=360, bitrate=250_000, audio_bitrate=48_000, preset="superfast"),
            master=HD,
        ),
        Case(
            "reencode_letterbox",
            "reencode",
            P16,
            encoded(P16, width=640, height=360),
            encoded(P16, width=480, height=360, picture=(480, 270)),
            master=HD,
        ),
        Case(
            "reencode_pillarbox",
            "reencode",
            P13,
            encoded(P13, width=640, height=360),
            encoded(P13, width=640, height=272, picture=(484, 272)),
            master=HD,
        ),
        Case(
            "reencode_audio_44k_stereo", "reencode", P14, whole(P14), encoded(P14, sample_rate=44_100, layout="stereo")
        ),
        Case(
            "reencode_everything",
            "reencode",
            H62,
            encoded(H62, width=640, height=360),
            encoded(H62, fps=24, bitrate=200_000, sample_rate=44_100, layout="stereo", preset="superfast"),
            master=HD,
            held_out=True,
        ),
        Case(
            "reencode_pillarbox_vp9",
            "reencode",
            H64,
            encoded(H64, width=640, height=360),
            encoded(H64, width=640, height=272, picture=(484, 272), suffix=".webm"),
            master=HD,
            held_out=True,
        ),
        # picture changes
        Case("logo", "picture", P14, whole(P14), changed(P14, Change(6.7, 31.7, (Logo(),)))),
        Case("burned_subtitles", "picture", P11, whole(P11), changed(P11, Change(8.6, 19.3, (BurnedText(SUBTITLES),)))),
        Case("banner", "picture", P16, whole(P16), changed(P16, Change(15.3, 22.6, (Banner(),)))),
        Case(
            "grade_strong",
            "picture",
            P12,
            whole(P12),
            changed(P12, Change(16.4, 22.4, (Grade("strong", "teal-orange"),), medium)),
        ),
        Case("grade_mild", "picture", P13, whole(P13), changed(P13, Change(9.1, 18.6, (Grade("mild", "warm"),)))),
        Case(
            "replaced_scene",
            "picture",
            P15,
            whole(P15),
            changed(P15, Change(22.3, 26.9, (ReplacePicture(o201),), medium)),
        ),
        Case(
            "logo_bottom_left",
            "picture",
            H63,
            whole(H63),
            changed(H63, Change(4.9, 27.4, (Logo("bottom-left", size=0.11, letters="N"),))),
            held_out=True,
        ),
        Case(
            "grade_strong_bleach",
            "picture",
            H61,
            whole(H61),
            changed(H61, Change(12.7, 18.9, (Grade("strong", "bleach"),), medium)),
            held_out=True,
        ),
        Case(
            "burned_subtitles_late",
            "picture",
            H64,
            whole(H64),
            changed(H64, Change(23.4, 33.1, (BurnedText(SUBTITLES[::-1], line_seconds=3.1),))),
            held_out=True,
        ),
        # sound changes
        Case("music_swap", "sound", P13, whole(P13), changed(P13, Change(12.7, 24.4, (SwapMusic(o202),), medium))),
        Case("mute", "sound", P16, whole(P16), changed(P16, Change(18.5, 21.4, (Mute(),), medium))),
        Case("music_up_10db", "sound", P14, whole(P14), changed(P14, Change(10.3, 19.4, (MusicLevel(10),)))),
        Case("speech_removed", "sound", P15, whole(P15), changed(P15, Change(13.4, 27.6, (DropSpeech(),)))),
        Case(
            "music_down_10db",
            "sound",
            H62,
            whole(H62),
            changed(H62, Change(9.6, 21.2, (MusicLevel(-10),))),
            held_out=True,
        ),
        Case(
            "mute_short", "sound", H61, whole(H61), changed(H61, Change(30.35, 33.05, (Mute(),), medium)), held_out=True
        ),
        # picture and sound
        Case(
            "replaced_scene_new_music",
            "both",
            P11,
            whole(P11),
            changed(P11, Change(14.7, 19.5, (ReplacePicture(o201), SwapMusic(o202)), medium)),
        ),
        Case(
            "replaced_scene_new_music_late",
            "both",
            H63,
            whole(H63),
            changed(H63, Change(22.6, 28.5, (ReplacePicture(o203), SwapMusic(o204)), medium)),
            held_out=True,
        ),
        # combinations
        Case(
            "lead_in_insert_banner",
            "combination",
            P14,
            cut((P14, 2.4, 44)),
            cut(
                (P14, 0, 20.8),
                (i102, 5, 9.1),
                (P14, 20.8, 44),
                changes=(Change(29.0, 33.4, (Banner("BREAKING NEWS"),)),),
            ),
        ),
        Case(
            "trim_remove_grade",
            "combination",
            H61,
            whole(H61),
            cut((H61, 2.5, 16.9), (H61, 20.9, 46), changes=(Change(27.2, 33.4, (Grade("strong", "night"),), medium),)),
            held_out=True,
        ),
        *_fresh_cases(),
        *_second_fresh_cases(),
    ]


def _fresh_cases() -> list[Case]:
    medium: Severity = "medium"
    return [
        Case(
            "fresh_reencode_25fps_low_bitrate",
            "reencode",
            F71,
            encoded(F71, width=640, height=360),
            encoded(F71, fps=25, bitrate=300_000, preset="superfast"),
            master=HD,
            held_out=True,
        ),
        Case(
            "fresh_reencode_letterbox_vp9_stereo",
            "reencode",
            F72,
            encoded(F72, width=640, height=360),
            encoded(F72, width=480, height=360, picture=(480, 270), suffix=".webm", layout="stereo"),
            master=HD,
            held_out=True,
        ),
        Case(
            "fresh_logo_top_left",
            "picture",
            F73,
            whole(F73),
            changed(F73, Change(11.2, 29.7, (Logo("top-left", size=0.12, letters="K"),))),
            held_out=True,
        ),
        Case(
            "fresh_grade_mild_cool",
            "picture",
            F71,
            whole(F71),
            changed(F71, Change(20.3, 27.5, (Grade("mild", "cool"),))),
            held_out=True,
        ),
        Case(
            "fresh_music_up_6db",
            "sound",
            F72,
            whole(F72),
            changed(F72, Change(8.7, 19.3, (MusicLevel(6),))),
            held_out=True,
        ),
        Case(
            "fresh_mute_long",
            "sound",
            F73,
            whole(F73),
            changed(F73, Change(21.1, 27.6, (Mute(),), medium)),
            held_out=True,
        ),
        Case(
            "fresh_speech_removed_early",
            "sound",
            F71,
            whole(F71),
            changed(F71, Change(3.3, 14.9, (DropSpeech(),))),
            held_out=True,
        ),
        Case(
            "fresh_insert_and_new_music",
            "combination",
            F72,
            whole(F72),
            cut(
                (F72, 0, 13.4),
                (INSERTS[106], 2, 7.3),
                (F72, 13.4, 38),
                changes=(Change(25.1, 31.3, (SwapMusic(OTHER[204]),), medium),),
            ),
            held_out=True,
        ),
    ]


def _second_fresh_cases() -> list[Case]:
    medium: Severity = "medium"
    return [
        Case(
            "fresh2_reencode_stereo_44k_small",
            "reencode",
            F74,
            encoded(F74, width=640, height=360),
            encoded(F74, width=480, height=270, sample_rate=44_100, layout="stereo"),
            master=HD,
            held_out=True,
        ),
        Case(
            "fresh2_reencode_pillarbox_vp9_stereo",
            "reencode",
            F75,
            encoded(F75, width=640, height=360),
            encoded(F75, width=640, height=360, picture=(480, 360), suffix=".webm", layout="stereo"),
            master=HD,
            held_out=True,
        ),
        Case(
            "fresh2_banner_short",
            "picture",
            F76,
            whole(F76),
            changed(F76, Change(17.3, 21.6, (Banner("LIVE"),))),
            held_out=True,
        ),
        Case(
            "fresh2_music_swap",
            "sound",
            F76,
            whole(F76),
            changed(F76, Change(6.5, 14.8, (SwapMusic(OTHER[203]),), medium)),
            held_out=True,
        ),
        Case(
            "fresh2_replaced_scene_new_music",
            "both",
            F75,
            whole(F75),
            changed(F75, Change(24.7, 29.5, (ReplacePicture(OTHER[202]), SwapMusic(OTHER[201])), medium)),
            held_out=True,
        ),
        Case(
            "fresh2_removal_and_logo",
            "combination",
            F74,
            whole(F74),
            cut((F74, 0, 17.6), (F74, 21.3, 44), changes=(Change(26.4, 35.2, (Logo("bottom-right", letters="Q"),)),)),
            held_out=True,
        ),
    ]


# Short pairs (≤ ~15 s at 320×180) for tests/videos/test_compare_accuracy.py: one or two per kind.
Q1, Q2 = Programme(301, 12), Programme(302, 14)


def _quick_cases() -> list[Case]:
    insert = INSERTS[103]
    medium: Severity = "medium"
    return [
        Case("quick_lead_in", "offset", Q1, cut((Q1, 2.6, 12)), whole(Q1)),
        Case("quick_insertion", "insert_remove", Q1, whole(Q1), cut((Q1, 0, 6.7), (insert, 4, 7.7), (Q1, 6.7, 12))),
        Case("quick_removal", "insert_remove", Q1, whole(Q1), cut((Q1, 0, 4.6), (Q1, 8.3, 12))),
        Case(
            "quick_reencode",
            "reencode",
            Q2,
            whole(Q2),
            encoded(Q2, width=256, height=144, fps=25, suffix=".webm", bitrate=150_000),
        ),
        Case(
            "quick_reencode_padded_44k_stereo",
            "reencode",
            Q2,
            whole(Q2),
            encoded(Q2, width=320, height=240, picture=(320, 180), sample_rate=44_100, layout="stereo"),
        ),
        Case(
            "quick_grade",
            "picture",
            Q1,
            whole(Q1),
            changed(Q1, Change(4.6, 8.9, (Grade("strong", "teal-orange"),), medium)),
        ),
        Case(
            "quick_music_swap", "sound", Q2, whole(Q2), changed(Q2, Change(3.3, 7.6, (SwapMusic(OTHER[202]),), medium))
        ),
        Case(
            "quick_replaced_scene_new_music",
            "both",
            Q2,
            whole(Q2),
            changed(Q2, Change(5.1, 9.6, (ReplacePicture(OTHER[201]), SwapMusic(OTHER[203])), medium)),
        ),
    ]


CASES: tuple[Case, ...] = tuple(_cases())
QUICK_CASES: tuple[Case, ...] = tuple(_quick_cases())


def case_named(name: str) -> Case:
    for case in (*CASES, *QUICK_CASES):
        if case.name == name:
            return case
    raise KeyError(name)


# --- checks ---------------------------------------------------------------------------------------


def check_case(case: Case) -> list[str]:
    """What is wrong with a case's definition (empty when nothing): pieces outside their source,
    an edit or a change boundary where the picture fades through black (the truth would sit
    where nothing can be seen), speech left out from or to a pause (nothing to hear there)."""
    problems: list[str] = []
    fades = ProgrammePainter(case.main, 2, 2).black_stretches()

    def on_frames(seconds: float, fps: int) -> bool:
        return abs(seconds * fps - round(seconds * fps)) < 1e-6

    for label, version in (("A", case.a), ("B", case.b)):
        for piece, at in zip(version.pieces, version.piece_starts(), strict=True):
            if not 0 <= piece.start < piece.end <= piece.source.seconds + 1e-9:
                problems.append(f"{label}: {piece.start}–{piece.end} s outside its {piece.source.seconds} s source")
            # At the footage's own frame rate, cuts fall between its frames, as an editor's do
            # (so the truth is exact to the frame).
            fps = piece.source.fps
            if version.encoding.fps == fps and not all(on_frames(t, fps) for t in (piece.start, piece.end, at)):
                problems.append(f"{label}: {piece.start}–{piece.end} s (at {at} s) cuts between frames")
            if piece.source == case.main:
                for edge in (piece.start, piece.end):
                    if 0 < edge < case.main.seconds and any(low < edge < high for low, high in fades):
                        problems.append(f"{label}: an edit at {edge} s of the source is in a fade through black")
        for change in version.changes:
            for edge in (change.start, change.end) if "picture" in change.channels() else ():
                if any(low < edge < high for low, high in fades):
                    problems.append(f"{label}: a change's edge at {edge} s is in a fade through black")
                if not on_frames(edge, case.main.fps):
                    problems.append(f"{label}: a change's edge at {edge} s is between frames")
            if any(isinstance(effect, DropSpeech) for effect in change.effects):
                lines = spoken_lines(case.main)
                for edge in (change.start, change.end):
                    if not any(line.start + 0.2 < edge < line.end - 0.3 for line in lines):
                        problems.append(f"{label}: speech left out from or to {edge} s, where nobody speaks")
            for effect in change.effects:
                source = getattr(effect, "source", None)
                if isinstance(source, Programme) and source.seconds < change.end:
                    problems.append(f"{label}: {source} ends before the change does")
    return problems


# --- rendering and the cache ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that draws, mixes and encodes the corpus (see caching.code_digest)."""
    return code_digest(Path(__file__).parent / name for name in _CODE)


def version_key(case: Case, version: Version) -> str:
    """The name of a rendered version's file: a hash of what it is made of and of the code."""
    described = repr((version, case.main, case.master, SAMPLE_RATE)) + code_fingerprint()
    return hashlib.sha256(described.encode()).hexdigest()[:20]


def version_path(case: Case, version: Version, directory: Path) -> Path:
    return directory / f"{version_key(case, version)}{version.encoding.suffix}"


def render_case(case: Case, directory: Path = DEFAULT_CACHE) -> tuple[Path, Path]:
    """The files of `case`'s versions A and B, rendered into `directory` unless already there."""
    return render_version_cached(case, case.a, directory), render_version_cached(case, case.b, directory)


def render_version_cached(case: Case, version: Version, directory: Path) -> Path:
    path = version_path(case, version, directory)
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        # Written under another name, then renamed: a file under the final name is always whole,
        # even when two processes render the same version at once.
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
        render_version(version, case.main, case.master, partial)
        partial.replace(path)
    return path
