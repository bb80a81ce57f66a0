"""The Celery app. Configuration lives in settings (CELERY_* names); queues: `default`, `media`."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init
from django.conf import settings

from sage.blas import use_one_blas_thread
from sage.services.startup import start_embedded_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")

app = Celery("sage")


@app.on_configure.connect
def _start_embedded_services(sender: Celery, **kwargs: Any) -> None:
    # A worker or beat (`celery -A sage`) reads its configuration before Django's settings: this is
    # its entry point. In a process where Django is set up already (web, manage.py, the tests) its
    # own entry point did this, and it is too late anyway: settings have read their URLs.
    if not settings.configured:
        start_embedded_services()


@worker_init.connect  # the worker's own process: `--pool solo` runs tasks there
@worker_process_init.connect  # each prefork child, before it takes a task
def _one_blas_thread(**kwargs: Any) -> None:
    # A worker runs a process per core and a video's processing keeps both cores busy with threads
    # of its own: BLAS's spinning threads only took the decoder's core (see sage.blas).
    use_one_blas_thread()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
