# Hand-written: the HNSW index over everyone's chunks becomes 16 partial indexes, one per remainder of
# the owner's id (videos.models.CHUNK_INDEX_PARTS), so a person's search walks only the part holding
# their chunks.

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.math
import django.db.models.lookups
import pgvector.django.halfvec
import pgvector.django.indexes
from django.db import migrations, models

PARTS = 16
HALFVEC = '((("embedding")::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)'


def create_part_sql(part):
    return (
        f'CREATE INDEX CONCURRENTLY "chunk_embedding_hnsw_{part}" ON "videos_transcriptchunk" USING hnsw '
        f'{HALFVEC} WHERE MOD("owner_id", {PARTS}) = {part}'
    )


def part_index(part):
    return pgvector.django.indexes.HnswIndex(
        django.contrib.postgres.indexes.OpClass(
            django.db.models.functions.comparison.Cast(
                'embedding', pgvector.django.halfvec.HalfVectorField(dimensions=384)
            ),
            name='halfvec_cosine_ops',
        ),
        condition=models.Q(
            django.db.models.lookups.Exact(
                django.db.models.functions.math.Mod('owner', PARTS, output_field=models.BigIntegerField()), part
            )
        ),
        ef_construction=64,
        m=16,
        name=f'chunk_embedding_hnsw_{part}',
    )


class Migration(migrations.Migration):
    # CONCURRENTLY, which cannot run inside a transaction: at a million chunks the parts take minutes
    # to build (bench/search.py), and a plain CREATE INDEX would hold every new chunk's insert (the
    # pipeline's transcripts) until the last is done. The old index serves searches until the parts
    # exist. A build that fails leaves an invalid index behind: drop it, then migrate again.
    atomic = False

    dependencies = [
        ('videos', '0012_chunk_embedding_hnsw_halfvec'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                *(
                    migrations.RunSQL(
                        create_part_sql(part),
                        reverse_sql=f'DROP INDEX CONCURRENTLY "chunk_embedding_hnsw_{part}"',
                    )
                    for part in range(PARTS)
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY "chunk_embedding_hnsw"',
                    reverse_sql=(
                        'CREATE INDEX CONCURRENTLY "chunk_embedding_hnsw" ON "videos_transcriptchunk" USING hnsw '
                        + HALFVEC
                    ),
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name='transcriptchunk', name='chunk_embedding_hnsw'),
                *(migrations.AddIndex(model_name='transcriptchunk', index=part_index(part)) for part in range(PARTS)),
            ],
        ),
    ]
