"""Make the playable renditions of every ready upload that has none, in the foreground, a line per
video (what the beat's sweep does a batch at a time; run it, stop it and run it again at will:
videos that have them are not picked, and the original is never touched)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from videos.models import Video
from videos.pipeline.renditions import renditions_backfill, videos_missing_renditions


class Command(BaseCommand):
    help = "Make the browser-playable renditions of ready videos processed before renditions existed."

    def handle(self, *args: Any, **options: Any) -> None:
        made = failed = 0
        tried: set[int] = set()
        while batch := [video_id for video_id in videos_missing_renditions() if video_id not in tried]:
            for video_id in batch:
                tried.add(video_id)
                if renditions_backfill(video_id):
                    made += 1
                    self.stdout.write(f"video {video_id}: made")
                else:
                    failed += 1
                    video = Video.objects.filter(pk=video_id).only("rendition_error").first()
                    reason = video.rendition_error if video is not None and video.rendition_error else "skipped"
                    self.stdout.write(f"video {video_id}: {reason}")
        self.stdout.write(self.style.SUCCESS(f"Renditions made for {made} videos; {failed} not made."))
