"""Data-migration tests: the database taken back to a migration and the models as they were then.

A test names only the migration its data change follows; what else must go back with it (every
migration that needs one undone, in any app) is Django's plan's to say, so a later migration that
depends on the app (a new model pointing at a hold) does not break the test's idea of "before".
"""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps


def migrated_back_to(target: tuple[str, str]) -> StateApps:
    """Undo `target`'s app's migrations after it, with every migration that depends on one of them;
    returns the models of the migrations left."""
    executor = MigrationExecutor(connection)
    undone = {
        (migration.app_label, migration.name) for migration, backwards in executor.migration_plan([target]) if backwards
    }
    left = [node for node in executor.loader.applied_migrations if node not in undone]
    executor.migrate([target])
    return executor.loader.project_state(left).apps


def migrated_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
