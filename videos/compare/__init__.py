"""Comparisons on the site: the web layer around the engine (videos.engine), which it reads only
through the engine's result type.

`services` (make, re-judge and describe a comparison, stored on `Comparison`), `selectors`,
`views` and `urls` (the pages), `recompute` (older comparisons made again by the current engine),
`words` (the transcripts' word diff, kept with a comparison, and each segment's word changes from
it), and the exports: `markers` (marker files: EDL via `edl`, FCPXML via `fcpxml`, CSV, with
`timecode`), `finding_words` (a finding as a sentence). `files` compares two files on this machine
(benches and tests).
"""
