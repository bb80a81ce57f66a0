"""Celery: configuration invariants, and a scheduled task run by a real worker process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.signals import worker_process_init
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from threadpoolctl import ThreadpoolController, threadpool_limits

from accounts.tasks import clear_expired_sessions
from devtools import processes
from sage.celery import app


def test_redis_redelivers_an_unacknowledged_task_only_after_the_longest_task_could_have_finished() -> None:
    # With acks_late, a task is acknowledged when it ends; if Redis' visibility timeout were shorter
    # than a task may run, a long task would be handed to a second worker while still running.
    assert app.conf.task_acks_late is True
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_tasks_are_json_and_workers_take_one_task_at_a_time() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1


def test_media_tasks_go_to_the_media_queue_and_the_rest_to_default() -> None:
    router = app.amqp.router
    media_tasks = ("process_video", "recompute_comparison", "recompute_old_comparisons", "verify_comparison")
    for media_task in (*media_tasks, "build_sample"):
        assert router.route({}, f"videos.tasks.{media_task}")["queue"].name == "media"
    # Video tasks that touch no media must not wait behind whole videos on a media worker.
    for light_task in ("take_over_lapsed_videos", "abort_idle_uploads", "summarize_comparison"):
        assert router.route({}, f"videos.tasks.{light_task}")["queue"].name == "default"
    assert router.route({}, "accounts.tasks.clear_expired_sessions")["queue"].name == "default"


def test_a_prefork_worker_process_computes_numpy_products_on_one_thread() -> None:
    # BLAS's own threads spin between the pipeline's products and take the decoder's core (sage.blas).
    # (worker_init, the solo pool's, is not sent here: Celery's Django fixup acts on it too.)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a machine with two cores or more
        assert _blas_threads() == {2}
        worker_process_init.send(sender=None)
        assert _blas_threads() == {1}


def _blas_threads() -> set[int]:
    return {pool.num_threads for pool in ThreadpoolController().select(user_api="blas").lib_controllers}


def test_every_scheduled_task_exists() -> None:
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.worker
def test_a_real_worker_runs_the_session_cleanup_task(transactional_db) -> None:
    Session.objects.create(session_key="expired", session_data="x", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="current", session_data="x", expire_date=timezone.now() + timedelta(days=1))

    with processes.celery_worker():
        clear_expired_sessions.delay().get(timeout=60)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]
