"""One schemathesis runner for the API contract tests: the whole API (tests/sage) or a part of it
(tests/notes), against the real ASGI app under daphne, reporting failed checks and what was answered."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import httpx
import schemathesis
from django.conf import settings
from schemathesis.engine import events, from_schema

SCHEMA = "/api/schema/"
LOGIN = "/accounts/login/"


# Operations whose input has rules a JSON schema cannot state (one field against another, or against
# stored state): there, schema-valid input may still be refused with a 400 (402 for tokens) whose every
# message names one of these rules (the regular expression). Any other refusal of schema-valid input is
# a schema that says less than the server checks (schemathesis's ST202), and fails the run.
RULES_BEYOND_THE_SCHEMA: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/comparisons"): (
        "two different videos, both ready uploads with a clip analysis by one backend",
        r"Choose two different videos|for uploaded videos only|is not ready yet|no clip analysis|different backends",
    ),
    ("POST", "/api/v1/videos/{ref}/notes"): (
        "`end` not before `start`, both within the video; empty text only with AI notes on",
        r"is before the start|is past its end|longer than any video|turn on AI notes",
    ),
    # A member's own comment: text, or a drawing (whose shapes, palette and limits the service checks)
    # with the text empty; a side of this object; times within that side's video; a link of the same
    # object.
    **{
        ("POST", f"/api/v1/{kind}/{{{kind[:-1]}_id}}/comments"): (
            "text, or a drawing with the text empty; a side and times within this object; its own link",
            r"^body: (Text is required|This cannot be empty)|^drawing: |^side: |^start: |^end: |^link: ",
        )
        for kind in ("comparisons", "videos", "stacks")
    },
    ("POST", "/api/v1/sessions/{code}/handover"): (
        "a participant of this live session who is connected now",
        r"^participant: ",
    ),
    ("PATCH", "/api/v1/notes/{note_id}"): (
        "`end` not before `start`, both within the video",
        r"is before the start|is after the end|is past its end|longer than any video",
    ),
    ("POST", "/api/v1/uploads"): (
        "within the plan's file size, storage and length, and paid for; `version_of` an uploaded video",
        r"plan accepts files up to|Storing this file would use|plan allows up to|This needs .* tokens but only|"
        r"owed from a refund or dispute|only uploaded videos can have new versions",
    ),
    # The upload protocol's later steps, on an upload as stored: its part count, its store, its state.
    ("POST", "/api/v1/uploads/{upload_id}/parts/{number}/url"): (
        "a part number of the upload, which is active and sent to S3",
        r"Part numbers run from|takes its parts directly|This upload is |video was deleted",
    ),
    ("PUT", "/api/v1/uploads/{upload_id}/parts/{number}"): (
        "a part number of the upload, which is active and sent here; the part's own size and checksum",
        r"Part numbers run from|go straight to S3|This upload is |video was deleted|^body: ",
    ),
    ("POST", "/api/v1/uploads/{upload_id}/complete"): (
        "every part sent, to an active upload",
        r"Parts still missing|This upload is |video was deleted",
    ),
    ("POST", "/api/v1/videos/youtube"): (
        "a video YouTube says exists and is public",
        r"private, removed or does not exist",
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): (
        "a question that is more than spaces",
        r"Type a question first",
    ),
    ("PUT", "/api/v1/videos/{video_id}/subtitles"): ("an .srt or .vtt file with at least one cue", r"^file: "),
    ("POST", "/api/v1/tokens"): ("`expires_at` in the future", r"expiry must be in the future"),
    ("POST", "/api/v1/comparisons/{comparison_id}/share-links"): (
        "`expires_at` in the future; a name that is more than spaces",
        r"expiry must be in the future|^name: ",
    ),
    ("POST", "/api/v1/videos/{video_id}/share-links"): (
        "`expires_at` in the future; a name that is more than spaces",
        r"expiry must be in the future|^name: ",
    ),
    ("POST", "/api/v1/stacks/{stack_id}/share-links"): (
        "`expires_at` in the future; a name that is more than spaces",
        r"expiry must be in the future|^name: ",
    ),
    ("POST", "/api/v1/projects/{project_id}/share-links"): (
        "`expires_at` in the future; a name that is more than spaces",
        r"expiry must be in the future|^name: ",
    ),
    ("POST", "/api/v1/projects"): ("a name no other live project of the workspace has", r"already a project named"),
    ("PATCH", "/api/v1/projects/{project_id}"): (
        "a name no other live project of the workspace has",
        r"already a project named",
    ),
}


@dataclass
class RunResult:
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def seen(self, label: str) -> set[int]:
        return {status for (operation, status) in self.statuses if operation == label}

    def operations(self) -> set[str]:
        return {label for (label, _) in self.statuses}


def assert_clean(result: RunResult) -> None:
    """No run errors, no failed check, and no server error among the answers."""
    assert not result.errors, "\n\n".join(result.errors)
    assert not result.failures, "\n\n".join(result.failures)
    assert not any(status >= 500 for (_, status) in result.statuses), result.statuses


def browser_session_headers(base_url: str, email: str, password: str) -> dict[str, str]:
    """Headers of a browser that signed in through the site's login form: the session cookie and the
    CSRF cookie the site set (and rotated at sign-in), with the header that repeats it. Nothing in
    them is made up: a run sends what that browser would."""
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        browser.get(LOGIN)
        form = {"login": email, "password": password, "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME]}
        signed_in = browser.post(LOGIN, data=form)
        assert signed_in.status_code == 302, signed_in.text[:500]
        session = browser.cookies[settings.SESSION_COOKIE_NAME]
        csrf = browser.cookies[settings.CSRF_COOKIE_NAME]
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return {"Cookie": cookie, "X-CSRFToken": csrf}


def schemathesis_run(
    base_url: str,
    headers: dict[str, str],
    *,
    max_examples: int = 12,
    path_regex: str | None = None,
    names: Collection[str] | None = None,
    skip_names: Collection[str] = (),
    coverage: bool = True,
    made_up_credentials: bool = True,
) -> RunResult:
    """Run schemathesis's phases over every operation (or those whose path matches `path_regex`), with
    every check. `max_examples` random cases an operation, beside the coverage phase's boundary and
    invalid cases, which come whatever it is: at 25 the two whole-API runs took 3 minutes each, a
    tenth of the suite's time.

    A browser-session run sends its session cookie as a fixed header, which schemathesis cannot take
    away: its "missing or wrong credentials" cases still carry a valid session there. So that run skips
    `ignored_auth` and the negative cases about the `sessionid` cookie or the Authorization header;
    the API-token run covers them. `made_up_credentials=False` also stops it sending made-up
    Authorization headers in its ordinary cases: beside a session they are refused (401) before the
    body is read, so a run over a few operations can spend most of its cases on them.

    `names` ("GET /api/v1/me", …) keeps only those operations, `skip_names` leaves those out;
    `coverage=False` skips the coverage phase's boundary and invalid cases (every phase runs else).
    """
    fixed_session = f"{settings.SESSION_COOKIE_NAME}=" in headers.get("Cookie", "")
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "workers": 1,
            # The first search in a fresh server loads the text-embedding model: about 7 s on an idle
            # machine, past 10 s on a busy one. Longer than that is still a failure.
            "request-timeout": 30,
            # Every check: no server error; status codes, content types, headers and bodies as documented
            # (errors included); invalid input refused and valid input accepted; methods the schema does
            # not list refused; authentication not ignored.
            "checks": {"enabled": True, "ignored_auth": {"enabled": not fixed_session}},
            "generation": {"max-examples": max_examples, "with-security-parameters": made_up_credentials},
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": coverage}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}{SCHEMA}?format=json", config=config)
    operations = schema if path_regex is None else schema.include(path_regex=path_regex)
    if names is not None:
        operations = operations.include(name=sorted(names))
    if skip_names:
        operations = operations.exclude(name=sorted(skip_names))
    result = RunResult()
    for event in from_schema(operations).execute():
        if isinstance(event, events.ScenarioFinished):
            label = event.recorder.label
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    result.statuses[(label, interaction.response.status_code)] += 1
            for case_id, checks in event.recorder.checks.items():
                answered = event.recorder.interactions.get(case_id)
                answer = answered.response.content if answered and answered.response else b""
                if answered and _framing_the_http_server_refuses(answered.request.headers):
                    continue
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        if fixed_session and "sessionid" in failure.message:
                            continue
                        if fixed_session and _a_wrong_authorization_beside_the_session(check.name, failure.message):
                            continue
                        if _a_rule_beyond_the_schema(label, check.name, check.failure_info, answer):
                            continue
                        if check.name == "positive_data_acceptance" and b"lone surrogate" in answer:
                            continue  # JSON Schema strings hold any code point; this API refuses lone surrogates
                        result.failures.append(
                            f"{label}: {check.name}: {failure.title}\n{failure.message}\n"
                            f"{check.failure_info.code_sample}\nanswered: {answer[:300]!r}"
                        )
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
    return result


# Headers that frame the request itself: a value the HTTP server (Twisted, under daphne) cannot read
# is refused there with a bare 400 and the connection closed (RFC 9112 §6.3), before the app could
# answer in the API's shape, as any server or proxy in front of it would. Schemathesis's generated
# headers sometimes include one (seen in CI: `Content-Length: \\:9~?AsTuzuz^` on a DELETE).
_FRAMING_HEADERS = {"content-length": re.compile(r"\d+"), "transfer-encoding": re.compile(r"chunked|identity", re.I)}


def _framing_the_http_server_refuses(headers: dict[str, list[str]]) -> bool:
    """Whether the request carried a Content-Length or Transfer-Encoding the HTTP server cannot read."""
    for name, values in headers.items():
        pattern = _FRAMING_HEADERS.get(name.lower())
        if pattern and not all(pattern.fullmatch(value.strip()) for value in values):
            return True
    return False


def _a_wrong_authorization_beside_the_session(check_name: str, message: str) -> bool:
    """An invalid request accepted though its Authorization header breaks the schema: beside a
    browser's session, a header that does not say Bearer is not the API token's to refuse
    (workspaces.authentication leaves it to the session, which authenticates the request). The
    API-token run checks that header. Seen once in CI: that case's other "invalid" part, a `q` of six
    ordinary characters, met the schema as sent."""
    return check_name == "negative_data_rejection" and "/properties/Authorization" in message


def _a_rule_beyond_the_schema(label: str, check_name: str, failure_info: object, answer: bytes) -> bool:
    """A schema-valid request refused by an operation of RULES_BEYOND_THE_SCHEMA for one of its rules:
    a 400 or 402 whose every message (per field, as "field: message") matches the rule's expression."""
    if check_name != "positive_data_acceptance":
        return False
    method, _, path = label.partition(" ")
    failure = getattr(failure_info, "failure", None)
    rule = RULES_BEYOND_THE_SCHEMA.get((method, path))
    if rule is None or getattr(failure, "status_code", None) not in (400, 402):
        return False
    messages = _error_messages(answer)
    return bool(messages) and all(re.search(rule[1], message) for message in messages)


def _error_messages(answer: bytes) -> list[str]:
    """The messages of an error answer: "field: message" for each field's, else the message."""
    try:
        error = json.loads(answer)["error"]
    except (ValueError, KeyError, TypeError):
        return []
    fields = error.get("fields") or {}
    if fields:
        return [f"{name}: {message}" for name, messages in fields.items() for message in messages]
    return [str(error.get("message", ""))]
