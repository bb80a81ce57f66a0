"""WebSocket routes. Later apps add theirs here (chat, pipeline progress)."""

from django.urls import path

from chat.consumers import ChatConsumer
from review_sessions.consumers import SessionConsumer
from reviews.consumers import SharedLinkConsumer
from sage.consumers import EventsConsumer
from videos.consumers import VideoProgressConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/videos/<int:video_id>/", VideoProgressConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
    path("ws/shared/<str:token>/", SharedLinkConsumer.as_asgi()),
    path("ws/sessions/<str:code>/", SessionConsumer.as_asgi()),
]
