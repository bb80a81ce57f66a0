"""Issue 52: chunks go by workspace alone; who uploaded a video is the video's to say. The way back
fills the owner again from each chunk's video (the column comes back empty first)."""

from django.db import migrations

REFILL_OWNER = (
    "UPDATE videos_transcriptchunk AS c SET owner_id = v.owner_id FROM videos_video AS v WHERE v.id = c.video_id"
)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0026_chunk_embedding_hnsw_by_workspace_part"),
    ]

    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, REFILL_OWNER),
        migrations.RemoveField(model_name="transcriptchunk", name="owner"),
    ]
