"""ASGI entry point: daphne serves HTTP and WebSockets from here."""

import os

from django.core.asgi import get_asgi_application

from sage.services.startup import start_embedded_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
# Before Django reads settings: they name the servers this starts in development.
start_embedded_services()
# The web process embeds single questions (chat, search): one thread costs less CPU per question
# than two (measured with bench/chat.py), and leaves the other core to the database.
os.environ.setdefault("TEXT_EMBEDDING_THREADS", "1")
# Questions and search queries are embedded by a child process, off this process's interpreter lock.
os.environ.setdefault("TEXT_EMBEDDING_SUBPROCESS", "true")
# Django must be set up before importing anything that touches models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from sage.memory import freeze_long_lived_objects  # noqa: E402
from sage.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
# Django, Channels and the app are loaded for good: the collector need not walk them again.
freeze_long_lived_objects()
