"""Issue 52: a chunk carries its video's workspace, so a team's members search every video of the
workspace, whoever uploaded it. The column is added, filled from each chunk's video, and each
chunk's stored words swap their owner's lexeme ('~owner <id>') for the workspace's ('~workspace
<id>', videos.text_search.words.WORKSPACE_LEXEME_PREFIX): the words side of search asks GIN for a
word and the workspace together.

One statement over the table (a million rows are rewritten once, not twice). Neither direction
reads the chunk's owner column, which a later migration drops: the owner lexemes found are what is
removed, and the way back takes the owner from the video. Stored words are sets, so running either
twice changes nothing. The column is required only in the next migration: Postgres refuses ALTER
TABLE while this transaction's updates of foreign-key rows may have trigger events pending."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = (
    "UPDATE videos_transcriptchunk AS c SET workspace_id = v.workspace_id, "
    "search_vector = ts_delete(c.search_vector, "
    "ARRAY(SELECT word.lexeme FROM unnest(c.search_vector) AS word WHERE starts_with(word.lexeme, '~owner '))) "
    "|| array_to_tsvector(ARRAY['~workspace ' || v.workspace_id::text]) "
    "FROM videos_video AS v WHERE v.id = c.video_id"
)
BACKWARD = (
    "UPDATE videos_transcriptchunk AS c SET search_vector = ts_delete(c.search_vector, "
    "ARRAY(SELECT word.lexeme FROM unnest(c.search_vector) AS word WHERE starts_with(word.lexeme, '~workspace '))) "
    "|| array_to_tsvector(ARRAY['~owner ' || v.owner_id::text]) "
    "FROM videos_video AS v WHERE v.id = c.video_id AND c.search_vector IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0023_workspace_required"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcriptchunk",
            name="workspace",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="workspaces.workspace"
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
