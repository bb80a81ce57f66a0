"""The change list as AAF (pyaaf2): v2's cut as a composition whose sound clips are v1's sound, the
file a sound editor imports into Pro Tools (File > Import > Session Data) or Media Composer.

The mobs as Avid writes a programme of linked audio, and Pro Tools reads one:

- a tape SourceMob named for v1's reel (`reel_name`, the EDL's) with a sound slot and a timecode
  slot that starts at v1's start timecode (the source timecode every clip's in point is read on);
- a file SourceMob for v1's sound, a `PCMDescriptor` (48 kHz, mono, 24-bit: what a reference mix
  is delivered as) with a `NetworkLocator` naming `<v1's file name>.wav`: the sound editor's own
  v1 mix or stem relinks by that name (AAF with linked media; nothing is embedded);
- a MasterMob for v1 (its clip, as a bin shows it) whose sound slot, at 48 000 edit units a
  second, reads the file mob;
- the CompositionMob, v2: a timecode slot starting at v2's start timecode and one sound track at
  v2's frame rate (Avid writes audio tracks at the picture's edit rate), a SourceClip of the
  MasterMob per event that carries v1's material (its in point v1's frame, its length v2's) and a
  Filler where v2 has new material.

A speed change is carried as its v1 in point at speed 1 (Pro Tools does not apply an AAF's motion
effects to sound); the change EDL and CSV say its speed.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path, PurePosixPath

import aaf2

from sage.export_text import ascii_text
from videos.compare.markers import media_file_name
from videos.conform.files import GONE, NEW_MATERIAL, reel_name, title
from videos.conform.sheet import ChangeSheet

SAMPLE_RATE = 48_000
CHANNELS = 1
SAMPLE_BITS = 24


def _rate(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def change_aaf(sheet: ChangeSheet) -> bytes:
    """The AAF file's bytes (see the module's note)."""
    # pyaaf2 finishes the compound file only when it closes it, and closing an in-memory file
    # discards it: written to a file of its own, then read.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "changes.aaf"
        _write(sheet, path)
        return path.read_bytes()


def _write(sheet: ChangeSheet, path: Path) -> None:
    rate_v1, rate_v2 = sheet.rate_v1, sheet.rate_v2
    v1_samples = round(Fraction(sheet.changes.frames_v1) / rate_v1.fps * SAMPLE_RATE)
    sound_name = str(PurePosixPath(ascii_text(media_file_name(sheet.video_v1))).with_suffix(".wav"))
    with aaf2.open(str(path), "w") as f:
        tape = f.create.SourceMob()
        f.content.mobs.append(tape)
        tape_slot, timecode_slot = tape.create_tape_slots(
            reel_name(sheet.video_v1), _rate(rate_v1.fps), rate_v1.nominal, rate_v1.drop_frame, media_kind="sound"
        )
        timecode_slot.segment.start = sheet.start_v1

        source = f.create.SourceMob(sound_name)
        f.content.mobs.append(source)
        _, file_slot = source.create_essence(SAMPLE_RATE, "sound", offline=True)
        descriptor = f.create.PCMDescriptor()
        descriptor["Channels"].value = CHANNELS
        descriptor["BlockAlign"].value = CHANNELS * SAMPLE_BITS // 8
        descriptor["SampleRate"].value = SAMPLE_RATE
        descriptor["AverageBPS"].value = SAMPLE_RATE * CHANNELS * SAMPLE_BITS // 8
        descriptor["QuantizationBits"].value = SAMPLE_BITS
        descriptor["AudioSamplingRate"].value = SAMPLE_RATE
        descriptor.length = v1_samples
        locator = f.create.NetworkLocator()
        locator["URLString"].value = sound_name
        descriptor["Locator"].append(locator)
        source.descriptor = descriptor
        # The file starts at v1's start timecode on the tape (in the file slot's own units, samples).
        file_slot.segment = tape.create_source_clip(slot_id=tape_slot.slot_id, media_kind="sound")
        file_slot.segment.start = round(Fraction(sheet.start_v1) / rate_v1.fps * SAMPLE_RATE)
        file_slot.segment.length = v1_samples

        master = f.create.MasterMob(sheet.video_v1.label)
        f.content.mobs.append(master)
        master_slot = master.create_timeline_slot(SAMPLE_RATE)
        master_slot.segment = source.create_source_clip(slot_id=file_slot.slot_id, media_kind="sound")
        master_slot.segment.length = v1_samples

        composition = f.create.CompositionMob(title(sheet))
        f.content.mobs.append(composition)
        composition_timecode = composition.create_timeline_slot(_rate(rate_v2.fps))
        composition_timecode.segment = f.create.Timecode(
            rate_v2.nominal, drop=rate_v2.drop_frame, length=sheet.changes.frames_v2
        )
        composition_timecode.segment.start = sheet.start_v2
        track = composition.create_sound_slot(edit_rate=_rate(rate_v2.fps))
        track.name = "A1"
        for row in sheet.rows:
            if row.kind in GONE:
                continue
            length = row.v2_frame_out - row.v2_frame_in
            if row.kind in NEW_MATERIAL:
                track.segment.components.append(f.create.Filler("sound", length))
                continue
            assert row.event.v1_start is not None
            clip = master.create_source_clip(slot_id=master_slot.slot_id, media_kind="sound")
            # In the composition slot's units (v2's frames): v1's in point as a time, on v2's grid.
            clip.start = round(row.event.v1_start * rate_v2.fps)
            clip.length = length
            track.segment.components.append(clip)
