"""Each chunk's stored words also hold its owner's lexeme ('~owner <id>'), as videos.chunks now
stores them: the words side of search asks GIN for a word and the owner together. One statement
over the table; stored words are sets, so running it twice changes nothing."""

from django.db import migrations

FORWARD = (
    "UPDATE videos_transcriptchunk "
    "SET search_vector = search_vector || array_to_tsvector(ARRAY['~owner ' || owner_id::text]) "
    "WHERE search_vector IS NOT NULL"
)
BACKWARD = (
    "UPDATE videos_transcriptchunk SET search_vector = ts_delete(search_vector, '~owner ' || owner_id::text) "
    "WHERE search_vector IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [("videos", "0019_chunk_owner_index_once")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
