"""The comparison engine: two videos' fingerprints in, one result out. Pure: no models, no
database, no requests (import-linter contracts in pyproject.toml hold it to that, and the site
to reading it through `pipeline`, `result` and `model` only).

The layout follows the flow:

- `model`: what every pass reads and writes: the matched span, the candidate stretch, what was
  measured along it, the finding (`Difference`), and the comparison's settings (`Alignment`).
- `signals`: the pair's signals, built once per comparison (`PairSignals`) with the moment measure
  on them (`MomentCosts`), shared by every pass.
- `passes/`: one module per pass, each with the one interface of `passes.base.Pass` (a name, and
  `run(signals, state) -> state`): align, screen, unrelated, moves, sync, speed, measure, text.
  `windows`, `speed_spans`, `pitch`, `verify` and `sources` are what the passes use (the window
  search, speed lines, pitch-matched sound, decoding the files to verify).
- `pipeline`: the passes in order, each timed (`run`; `candidates` then `finish` for the site,
  which stops between them), and `result`: the result type and its judging at a threshold.
- `clip_grid/`: engine 1, kept as the benches' baseline; engine 3's coarse alignment reads 2 s
  clips with its `ClipSeries`, `best_lag` and `cuts_pairs`.

Taken from PySceneDetect's layout (scenedetect/detector.py, detectors/, scene_manager.py,
stats_manager.py): one module per detector, all behind one small interface (its `SceneDetector`;
here the `Pass` protocol, structural rather than a base class, as the passes are frozen
dataclasses holding only their settings); a manager that runs the list in order (its
`SceneManager`; here `pipeline`, which also times each); and metrics computed once per frame and
shared by every detector (its `StatsManager`; here `PairSignals` with one `MomentCosts`). Not
taken: frame-by-frame streaming (a pass works on the whole pair: it searches both videos) and
detectors registering the metrics they need (every pass reads the same signals).
"""
