"""The channel layer the settings build: web processes of one site hear each other's group sends; a
site on another database of the same Redis server (or another test process) does not."""

from __future__ import annotations

import asyncio
import runpy
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.module_loading import import_string


def layer_from_settings(monkeypatch: Any, redis_url: str) -> Any:
    """A new channel layer, as a web process started with REDIS_URL=`redis_url` would build it."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "sage" / "settings.py"))["CHANNEL_LAYERS"]["default"]
    return import_string(config["BACKEND"])(**config["CONFIG"])


def on_database(url: str, database: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def heard(layer: Any, channel: str, seconds: float) -> dict[str, Any] | None:
    try:
        return await asyncio.wait_for(layer.receive(channel), timeout=seconds)
    except TimeoutError:
        return None


async def test_a_group_send_reaches_the_sites_other_processes_and_not_a_site_on_another_database(
    monkeypatch: Any,
) -> None:
    ours = settings.REDIS_URL
    sender = layer_from_settings(monkeypatch, ours)
    other_web_process = layer_from_settings(monkeypatch, ours)
    # Pub/sub ignores the database number; a database no test process uses holds no data to clash with.
    neighbour = layer_from_settings(monkeypatch, on_database(ours, 15))
    group = f"chat.probe-{uuid.uuid4().hex}"
    listening = await other_web_process.new_channel()
    eavesdropping = await neighbour.new_channel()
    await other_web_process.group_add(group, listening)
    await neighbour.group_add(group, eavesdropping)
    try:
        await asyncio.sleep(0.2)  # SUBSCRIBE is sent, not awaited: let Redis register both
        frame = {"type": "chat.frame", "frame": {"type": "chunk", "seq": 1}}
        await sender.group_send(group, frame)

        assert await heard(other_web_process, listening, 5) == frame
        assert await heard(neighbour, eavesdropping, 0.5) is None
    finally:
        for layer in (sender, other_web_process, neighbour):
            await layer.flush()
