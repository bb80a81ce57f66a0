"""Queueing a task by the name it is registered under, so that services never import tasks.

The one rule: a `tasks.py` imports the services it runs; a service that starts work queues the task
through a `TaskRef` holding that task's name (and its arguments' types), never by importing it.
Imports then go one way (tasks → services), as the layers contract in pyproject.toml checks.

A `TaskRef` finds its task in the project's Celery app's registry when it queues it, so a wrong
name raises `NotRegistered` (tests/sage/test_queueing.py checks every name in the code), and Celery
checks the arguments against the task's signature as it sends them.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, ParamSpec

from celery import Task
from celery.exceptions import NotRegistered
from django.db import transaction

from sage.celery import app

P = ParamSpec("P")

_autodiscovery_lock = threading.Lock()


class TaskRef(Generic[P]):
    """A task by its registered name, typed with its arguments: `TaskRef[[int]]("videos.tasks.process_video")`.
    `delay_on_commit` and `apply_async_on_commit` queue it as Celery's own (Django) task methods do."""

    def __init__(self, name: str) -> None:
        self.name = name

    def task(self) -> Task[P, Any]:
        """The registered task, in the project's app (not Celery's current app, which is per thread)."""
        try:
            task: Task[P, Any] = app.tasks[self.name]
        except NotRegistered:
            # The apps' tasks modules are loaded by autodiscovery, which a worker runs as it starts
            # and a web process here, on its first queueing (a wrong name still raises). One thread
            # at a time: a second one would find a tasks module half imported by the first, its
            # tasks not yet registered (two uploads completing at once in a threaded server did).
            with _autodiscovery_lock:
                if self.name not in app.tasks:
                    app.loader.import_default_modules()
            task = app.tasks[self.name]
        return task

    def delay_on_commit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Queue the task once the current transaction commits (at once outside one): the worker
        must see the rows it is given the ids of."""
        transaction.on_commit(lambda: self.task().delay(*args, **kwargs))

    def apply_async_on_commit(self, args: tuple[Any, ...], **options: Any) -> None:
        """`delay_on_commit` with Celery's sending options (`priority`, `countdown`…)."""
        transaction.on_commit(lambda: self.task().apply_async(args, **options))

    def __repr__(self) -> str:
        return f"TaskRef({self.name!r})"


def revoke(task_id: str) -> None:
    """Tell the workers to drop a queued task. terminate=False: a running task sees its row's
    cancelled status between steps and stops there."""
    app.control.revoke(task_id)
