"""What videos tells the apps above it, which it may not import (the layers in pyproject.toml)."""

from __future__ import annotations

from django.dispatch import Signal

# A video's transcript was made, or its processing ended (ready, failed, cancelled) and no transcript
# will come from it: whatever waits for the transcript can go on (notes writes, or refunds, its
# waiting AI notes). Sent with `video_id`, inside the transaction that did it, if any (as Django's
# post_save is): a receiver that queues work queues it on commit. May come more than once for a
# video, so receivers must be idempotent.
transcript_settled = Signal()

# Videos or comparisons left a project: moved out (a video with its stack), or the project went to the
# trash (then everything in it, and `trashed` is true). Sent with `project_id`, `video_ids`,
# `comparison_ids` and `trashed` after the change is written: what a project opened to others (its
# share links' pages) closes them at once.
left_project = Signal()
