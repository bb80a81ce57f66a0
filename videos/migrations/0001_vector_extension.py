from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """pgvector, for clip embeddings, transcript chunks and message search."""

    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [VectorExtension()]
