"""WebSocket routes. Later apps add theirs here (chat, pipeline progress).

Each socket's user is read by Channels' AuthMiddleware before its consumer runs, on the thread every
consumer shares; a session socket's reads its session cookie only (no database work before it is
accepted: a crowd joins at once), and finds its user itself (`review_sessions.consumers`)."""

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from channels.sessions import SessionMiddlewareStack
from django.urls import path, re_path

from chat.consumers import ChatConsumer
from review_sessions.consumers import SessionConsumer
from reviews.consumers import SharedLinkConsumer
from sage.consumers import EventsConsumer, RefusedSocket
from videos.consumers import VideoProgressConsumer

SESSIONS_PATH = "/ws/sessions/"
refused_socket = RefusedSocket.as_asgi()

websocket_urlpatterns = [
    path("ws/events/", AuthMiddlewareStack(EventsConsumer.as_asgi())),
    path("ws/videos/<int:video_id>/", AuthMiddlewareStack(VideoProgressConsumer.as_asgi())),
    path("ws/chat/<int:conversation_id>/", AuthMiddlewareStack(ChatConsumer.as_asgi())),
    path("ws/shared/<str:token>/", AuthMiddlewareStack(SharedLinkConsumer.as_asgi())),
    path("ws/sessions/<str:code>/", SessionMiddlewareStack(SessionConsumer.as_asgi())),
    # A path no socket has (`/ws/sessions/` with no code, or no trailing slash): 4404, as an unknown
    # session is, rather than Channels' "No route found" (a 500 and a traceback in the log).
    re_path(r"", refused_socket),
]


def _origin_of(scope: dict[str, Any]) -> ParseResult | None:
    """The socket's Origin header, parsed as Channels' OriginValidator parses it."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"origin":
            try:
                return urlparse(value.decode("latin1"))
            except UnicodeDecodeError:
                return None
    return None


class SessionRefusalOriginValidator(OriginValidator):
    """Channels' origin check (ALLOWED_HOSTS), except that a session socket it refuses is accepted,
    then closed with 4404 before any frame, as every other refusal of a session socket is
    (docs/api.md): a refused handshake is an HTTP 403, which a browser only sees as 1006."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if not str(scope.get("path", "")).startswith(SESSIONS_PATH) or self.valid_origin(_origin_of(scope)):
            return await super().__call__(scope, receive, send)
        return await refused_socket(scope, receive, send)


def websocket_application() -> SessionRefusalOriginValidator:
    """Every socket of the site, behind the origin check (its allowed hosts, as Channels' own)."""
    allowed = AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))
    return SessionRefusalOriginValidator(allowed.application, allowed.allowed_origins)
