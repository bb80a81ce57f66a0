"""Services queue tasks by name (sage.queueing): every name they use is a registered task."""

from __future__ import annotations

import re
from pathlib import Path

from sage.celery import app

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sage", "accounts", "billing", "videos", "notes", "chat", "reviews", "showcase")
TASK_REF = re.compile(r"""TaskRef\[.*?\]\(\s*["']([\w.]+)["']\s*\)""")


def test_every_task_a_service_queues_by_name_is_registered() -> None:
    names = {
        name
        for package in APPS
        for path in (ROOT / package).rglob("*.py")
        for name in TASK_REF.findall(path.read_text(encoding="utf-8"))
    }
    app.loader.import_default_modules()  # what a worker loads as it starts

    assert names >= {"videos.tasks.process_video", "notes.tasks.generate_ai_note"}  # the scan finds them
    assert sorted(name for name in names if name not in app.tasks) == []
