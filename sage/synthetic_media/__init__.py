"""Small videos made on the fly with PyAV, so no binary fixtures are committed: the tests' media,
and `make run`'s demo pair and shared sample (`showcase`), which is why production may import it.

Everything here is deterministic: frames are drawn from seeded parameters, never from the clock,
and with the default single encoder thread the same arguments write the same bytes.

Making videos::

    make_video(tmp_path / "a.mp4")                                   # 6 s, 320×240, 15 fps, H.264 + AAC tone
    make_video(tmp_path / "a.webm")                                  # VP9 + Opus (codecs follow the container)
    make_video(tmp_path / "a.mkv", subtitles=[Cue(0.5, 2.0, "Hello")])  # + a subrip subtitle stream
    make_video(tmp_path / "talk.mp4", seconds=4, audio=SpeechAudio("the quick brown fox"))
    make_video(tmp_path / "mute.mp4", audio=None)                    # video only

Edited copies for comparison tests — build both versions from scene lists, changing one entry::

    A, B, C = Scene(4, "shapes", seed=1), Scene(4, "bars", seed=2), Scene(4, "gradient", seed=3)
    make_video(original, scenes=[A, B, C])
    make_video(replaced, scenes=[A, Scene(4, "noise", seed=9), C])     # 4–8 s is different content
    make_video(inserted, scenes=[A, Scene(2, "noise", seed=9), B, C])  # 2 s inserted at 4 s

The modules, by capability:

- :mod:`.content`: what goes into a video (Scene, ToneAudio, SpeechAudio, Cue) and the frames and
  samples drawn from it.
- :mod:`.writing`: encoding into a container (:func:`make_video`, :func:`png_bytes`).
- :mod:`.copies`: copies of a file that already exists (:func:`reencode`, :func:`edited_copy`).
- :mod:`.subtitles`: sidecar subtitles (:func:`write_srt`, :func:`write_vtt`).
- :mod:`.bad_files`: files that the upload probe must refuse (:func:`make_bad_file`).
- :mod:`.mp4`: just enough MP4 box and H.264 SPS handling to build some of those bad files.

Frame-exact media (issue 62), each frame's number in its pixels, read back without OCR:

- :mod:`.frame_numbers`: the pattern (:func:`~.frame_numbers.draw_frame_number`,
  :func:`~.frame_numbers.read_frame_number`);
- :mod:`.numbered_videos`: videos at an exact rational rate whose frame k shows a known number, and
  what a decoded file shows (every frame's number and time; the frame on screen at an instant);
- :mod:`.numbered_pairs`: B made from A by an insertion, a removal or a move given in frames, with
  the truth of where the edit is on both sides.

The comparison accuracy corpus (issue 13), natural-looking footage with exact ground truth:

- :mod:`.natural` / :mod:`.natural_sound`: source footage (shots, camera, grain, fades; speech,
  music and ambience stems) as functions of source time;
- :mod:`.overlays`: picture and sound changes (logo, burned-in text, banner, grades, replaced
  picture; other music, mute, re-mix);
- :mod:`.edits`: versions as edit lists over source time, rendered to files, and the truth that
  follows from two of them;
- :mod:`.corpus`: the cases (:data:`~.corpus.CASES`, the short :data:`~.corpus.QUICK_CASES`) and
  the rendered-file cache; :mod:`.scoring`: a comparison's findings against a case's truth.
"""

from .bad_files import BAD_FILE_KINDS, make_bad_file
from .content import (
    ESPEAK,
    SAMPLE_RATE,
    AudioSpec,
    Cue,
    Scene,
    SceneKind,
    SpeechAudio,
    Tone,
    ToneAudio,
    audio_samples,
    scene_frames,
    speak,
    speech_seconds,
)
from .copies import DecodedVideo, decode_video, edited_copy, reencode
from .subtitles import write_srt, write_vtt
from .writing import (
    AUDIO_CODEC_BY_CONTAINER,
    CONTAINER_BY_SUFFIX,
    SUBTITLE_CODEC_BY_CONTAINER,
    VIDEO_CODEC_BY_CONTAINER,
    container_for,
    make_video,
    png_bytes,
)

__all__ = [
    "AUDIO_CODEC_BY_CONTAINER",
    "BAD_FILE_KINDS",
    "CONTAINER_BY_SUFFIX",
    "ESPEAK",
    "SAMPLE_RATE",
    "SUBTITLE_CODEC_BY_CONTAINER",
    "VIDEO_CODEC_BY_CONTAINER",
    "AudioSpec",
    "Cue",
    "DecodedVideo",
    "Scene",
    "SceneKind",
    "SpeechAudio",
    "Tone",
    "ToneAudio",
    "audio_samples",
    "container_for",
    "decode_video",
    "edited_copy",
    "make_bad_file",
    "make_video",
    "png_bytes",
    "reencode",
    "scene_frames",
    "speak",
    "speech_seconds",
    "write_srt",
    "write_vtt",
]
