"""WebSocket routes. Later apps add theirs here (chat, pipeline progress)."""

from django.urls import path

from sage.consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
]
