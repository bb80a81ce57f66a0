"""The Celery app. Configuration lives in settings (CELERY_* names); queues: `default`, `media`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")

app = Celery("sage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
