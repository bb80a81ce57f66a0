"""WebSocket routes. Later apps add theirs here (chat, pipeline progress).

Each socket's user is read by Channels' AuthMiddleware before its consumer runs, on the thread every
consumer shares; a session socket's reads its session cookie only (no database work before it is
accepted: a crowd joins at once), and finds its user itself (`review_sessions.consumers`)."""

from channels.auth import AuthMiddlewareStack
from channels.sessions import SessionMiddlewareStack
from django.urls import path

from chat.consumers import ChatConsumer
from review_sessions.consumers import SessionConsumer
from reviews.consumers import SharedLinkConsumer
from sage.consumers import EventsConsumer
from videos.consumers import VideoProgressConsumer

websocket_urlpatterns = [
    path("ws/events/", AuthMiddlewareStack(EventsConsumer.as_asgi())),
    path("ws/videos/<int:video_id>/", AuthMiddlewareStack(VideoProgressConsumer.as_asgi())),
    path("ws/chat/<int:conversation_id>/", AuthMiddlewareStack(ChatConsumer.as_asgi())),
    path("ws/shared/<str:token>/", AuthMiddlewareStack(SharedLinkConsumer.as_asgi())),
    path("ws/sessions/<str:code>/", SessionMiddlewareStack(SessionConsumer.as_asgi())),
]
