"""WebSocket routes. Later apps add theirs here (chat, pipeline progress)."""

from django.urls import path

from sage.consumers import EventsConsumer
from videos.consumers import VideoProgressConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/videos/<int:video_id>/", VideoProgressConsumer.as_asgi()),
]
