# Hand-written: the 16 partial HNSW indexes over the chunks are cut by the workspace's id instead of
# the owner's (videos.models.CHUNK_INDEX_PARTS), so a workspace's search walks only the part holding
# its chunks, whichever member uploaded them.

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.math
import django.db.models.lookups
import pgvector.django.halfvec
import pgvector.django.indexes
from django.db import migrations, models

PARTS = 16
HALFVEC = '((("embedding")::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)'


def create_part_sql(part, *, column, name):
    return (
        f'CREATE INDEX CONCURRENTLY "{name}" ON "videos_transcriptchunk" USING hnsw '
        f'{HALFVEC} WHERE MOD("{column}", {PARTS}) = {part}'
    )


def swap_sql(part, *, column):
    """Build the part by `column` under a name of its own, then put it in the old part's place: the
    old part serves searches until the new one exists."""
    name, building = f"chunk_embedding_hnsw_{part}", f"chunk_embedding_hnsw_{part}_building"
    return [
        create_part_sql(part, column=column, name=building),
        f'DROP INDEX CONCURRENTLY "{name}"',
        f'ALTER INDEX "{building}" RENAME TO "{name}"',
    ]


def part_index(part, field):
    return pgvector.django.indexes.HnswIndex(
        django.contrib.postgres.indexes.OpClass(
            django.db.models.functions.comparison.Cast(
                'embedding', pgvector.django.halfvec.HalfVectorField(dimensions=384)
            ),
            name='halfvec_cosine_ops',
        ),
        condition=models.Q(
            django.db.models.lookups.Exact(
                django.db.models.functions.math.Mod(field, PARTS, output_field=models.BigIntegerField()), part
            )
        ),
        ef_construction=64,
        m=16,
        name=f'chunk_embedding_hnsw_{part}',
    )


class Migration(migrations.Migration):
    # CONCURRENTLY, which cannot run inside a transaction (see 0013: at a million chunks the parts
    # take minutes to build, and a plain CREATE INDEX would hold every new chunk's insert until the
    # last is done). A build that fails leaves an invalid "…_building" index behind: drop it, then
    # migrate again.
    atomic = False

    dependencies = [
        ('videos', '0025_chunk_workspace_required'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    swap_sql(part, column="workspace_id"), reverse_sql=swap_sql(part, column="owner_id")
                )
                for part in range(PARTS)
            ],
            state_operations=[
                *(
                    migrations.RemoveIndex(model_name='transcriptchunk', name=f'chunk_embedding_hnsw_{part}')
                    for part in range(PARTS)
                ),
                *(
                    migrations.AddIndex(model_name='transcriptchunk', index=part_index(part, 'workspace'))
                    for part in range(PARTS)
                ),
            ],
        ),
    ]
