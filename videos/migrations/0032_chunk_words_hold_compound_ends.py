"""Give the stored words of English windows written before the last part of each compound they say
("shipwreck" also as "wreck"), as videos.chunks writes them now (videos.text_search.compounds). Only
windows saying a compound are written again, in batches."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from videos.chunks import fill_search_vectors
from videos.text_search.words import ENGLISH, search_config, searchable_text, stored_text

BATCH = 2_000


def fill(apps: Any, schema_editor: Any) -> None:
    chunk_model = apps.get_model("videos", "TranscriptChunk")
    transcript_model = apps.get_model("videos", "Transcript")
    last_id = 0
    while True:
        rows = list(
            chunk_model.objects.filter(pk__gt=last_id).order_by("pk").values_list("pk", "video_id", "text")[:BATCH]
        )
        if not rows:
            return
        videos = {video_id for _, video_id, _ in rows}
        languages = dict(transcript_model.objects.filter(video_id__in=videos).values_list("video_id", "language"))
        ids, texts = [], []
        for pk, video_id, text in rows:
            english = search_config(languages.get(video_id) or "") == ENGLISH
            if english and stored_text(text) != searchable_text(text):
                ids.append(pk)
                texts.append(text)
        fill_search_vectors(ids, texts, ENGLISH)
        last_id = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("videos", "0031_renditions")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
