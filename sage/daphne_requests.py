"""daphne's HTTP requests leave form bodies to Django.

Twisted's `http.Request`, which daphne's `WebRequest` is, parses a POSTed form body itself by default
(to fill `request.args`, which daphne never reads) and answers a multipart body it cannot parse (one
with no boundary, say) with a bare 400 and no body, before Django sees the request: no error page for
a page, no JSON error for the API or the Stripe webhook. Twisted's own switch for that,
`parsePOSTFormSubmission=False`, leaves the body to Django, which answers it as any request it cannot
read (`sage.views.bad_request`) and does not read it twice.
"""

from __future__ import annotations

from typing import Any

from daphne import http_protocol


class DjangoParsesForms(http_protocol.WebRequest):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)


def leave_form_bodies_to_django() -> None:
    """Called as the ASGI app loads, before daphne serves: its factory builds each request from
    `http_protocol.WebRequest`, looked up when a connection opens."""
    http_protocol.WebRequest = DjangoParsesForms
