"""ASGI entry point: daphne serves HTTP and WebSockets from here."""

import logging
import os
from concurrent.futures import Future

from django.conf import settings
from django.core.asgi import get_asgi_application

from sage.blas import use_one_blas_thread
from sage.memory import limit_malloc_arenas
from sage.services.startup import start_embedded_services
from videos.text_embedding.child import warm_embedding_process

# Before the threads that pass response bodies start (each could take a malloc arena of its own).
limit_malloc_arenas(2)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
# Before Django reads settings: they name the servers this starts in development.
start_embedded_services()
# The web process embeds single questions (chat, search): one thread costs less CPU per question
# than two (measured with bench/chat.py), and leaves the other core to the database.
os.environ.setdefault("TEXT_EMBEDDING_THREADS", "1")
# Questions and search queries are embedded by a child process, off this process's interpreter lock.
os.environ.setdefault("TEXT_EMBEDDING_SUBPROCESS", "true")
# Requests share a pool of database connections instead of opening one each (sage/settings.py).
os.environ.setdefault("DB_POOL", "true")
# Django must be set up before importing anything that touches models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from chat.paying import PaidAFewAtATime  # noqa: E402
from sage.daphne_backpressure import pace_response_bodies  # noqa: E402
from sage.daphne_connections import limit_slow_and_oversized_requests  # noqa: E402
from sage.daphne_requests import leave_form_bodies_to_django  # noqa: E402
from sage.daphne_sockets import answer_oversized_socket_messages  # noqa: E402
from sage.health import ready_once  # noqa: E402
from sage.memory import freeze_long_lived_objects, start_allocation_tracing  # noqa: E402
from sage.routing import websocket_application  # noqa: E402

leave_form_bodies_to_django()  # a broken multipart body gets Django's 400, not Twisted's bare one
limit_slow_and_oversized_requests()  # 414/431 instead of a silent close; slowloris heads time out
pace_response_bodies()  # bodies go out no faster than clients read (extends the request class above)
answer_oversized_socket_messages()  # a socket message over daphne's cap gets `too_large`, not a dropped socket
# Comparisons are made inline here: their band products are small enough that OpenBLAS's second
# thread, spinning while the other core is busy, made them several times slower (bench/compare.py).
# Once the app is loaded, so that every BLAS its modules loaded is reached (sage.blas).
use_one_blas_thread()


def _say_if_the_model_did_not_load(warming: Future[bool]) -> None:
    # A child that cannot start is started again by the first question, which says why.
    if not warming.cancelled() and warming.exception() is not None:
        logging.getLogger(__name__).warning("the text model was not loaded at start", exc_info=warming.exception())


application = ProtocolTypeRouter(
    {
        "http": PaidAFewAtATime(django_asgi_app),
        "websocket": websocket_application(),
    }
)
# The child loads the model (~2 s; ~9 s the first time, when it exports it) once this process has
# Django set up, and this one serves meanwhile: a process the supervisor restarts is back as soon as
# Django is (the child's start, begun earlier, took CPU from that), and a question asked meanwhile
# waits in the child's queue behind the load. Readiness says "loading" until the model is in
# (sage.health), so a deploy's load balancer sends it questions only once it is.
if settings.TEXT_EMBEDDING_SUBPROCESS and settings.TEXT_EMBEDDING_WARM_AT_START:
    warming = warm_embedding_process()
    ready_once("text model", warming)
    warming.add_done_callback(_say_if_the_model_did_not_load)
# Django, Channels and the app are loaded for good: the collector need not walk them again.
freeze_long_lived_objects()
if settings.MEMORY_TRACE_SECONDS:
    start_allocation_tracing(
        every_seconds=settings.MEMORY_TRACE_SECONDS,
        directory=settings.DATA_DIR,
        allocations=settings.MEMORY_TRACE_ALLOCATIONS,
    )
