"""Whether browsers play an upload as it is, from what the probe found: `playback_plan(probe)`.

What every current browser (Chromium, Firefox, Safari; desktop and phone) plays in a `<video>`:
H.264 at 8 bits in 4:2:0, progressive, at a constant rate, with AAC or MP3 sound (or none), in an
MP4-family container. Such a file is served as it is; with its index (moov) after the media data
it is only remuxed with the index first (no re-encode), or the browser must fetch the end of the
file before the first frame. WebM (VP8/VP9) plays in Chromium and Firefox but not in every Safari,
so it gets a rendition like everything else (ProRes, DNxHD, HEVC, AV1, 10-bit, 4:2:2, interlaced,
variable rate, PCM/ALAC/Opus sound...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from videos.probe import ProbeResult

PLAYABLE_CONTAINERS = frozenset({"mp4", "mov", "m4v"})
PLAYABLE_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})
PLAYABLE_PROFILES = frozenset({"Baseline", "Constrained Baseline", "Main", "High", "Extended", ""})
PLAYABLE_AUDIO = frozenset({"aac", "mp3", "mp3float"})


class Playback(enum.Enum):
    AS_IS = "as_is"  # the original is served to players
    REMUX = "remux"  # the same streams, copied into an MP4 with its index first
    ENCODE = "encode"  # a new H.264/AAC rendition


@dataclass(frozen=True)
class PlaybackPlan:
    playback: Playback
    reasons: tuple[str, ...]  # why it does not play as it is (for logs and the admin)


def playback_plan(probe: ProbeResult) -> PlaybackPlan:
    reasons: list[str] = []
    if probe.container not in PLAYABLE_CONTAINERS:
        reasons.append(f"container {probe.container}")
    if probe.video_codec != "h264":
        reasons.append(f"video codec {probe.video_codec}")
    elif probe.profile not in PLAYABLE_PROFILES:
        reasons.append(f"H.264 profile {probe.profile}")
    if probe.pix_fmt not in PLAYABLE_PIXEL_FORMATS:
        reasons.append(f"pixel format {probe.pix_fmt or 'unknown'}")
    if probe.interlaced:
        reasons.append("interlaced")
    if probe.variable_rate:
        reasons.append("variable frame rate")
    if probe.has_audio and probe.audio_codec not in PLAYABLE_AUDIO:
        reasons.append(f"audio codec {probe.audio_codec}")
    if reasons:
        return PlaybackPlan(Playback.ENCODE, tuple(reasons))
    if not probe.index_first:
        return PlaybackPlan(Playback.REMUX, ("index at the end",))
    return PlaybackPlan(Playback.AS_IS, ())
