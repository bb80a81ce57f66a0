"""Gemini through the official `google-genai` client: one place that builds the client from settings
and turns every way a call can fail into one `GeminiError`.

Transient failures (429, 5xx, timeouts, refused connections) are tried again by `sage.retrying`
(backoff with jitter, OUTSIDE_RETRY_ATTEMPTS in all), so a caller makes one call and gets an answer or
a `GeminiError`; its `on_retry` hears of each wait, for the page to say so.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncIterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
from django.conf import settings

from sage.retrying import (
    TRANSIENT_HTTP_STATUSES,
    AsyncRetryListener,
    RetryListener,
    acall_with_retries,
    call_with_retries,
)

if TYPE_CHECKING:
    from google import genai
    from google.genai import types


class _Sdk(NamedTuple):
    genai: ModuleType
    errors: ModuleType
    types: ModuleType


@functools.cache
def _sdk() -> _Sdk:
    """google-genai's modules, imported on first use, in this one place: the import takes a second
    or more, which every web and worker process paid at start (and each test that starts one), most
    never calling Gemini."""
    from google import genai  # heavy, loaded lazily (see above)
    from google.genai import errors, types

    return _Sdk(genai, errors, types)


logger = logging.getLogger(__name__)


def _http_libraries() -> list[Any]:
    """google-genai sends requests with httpx2 when it is installed and httpx otherwise: errors from
    either count."""
    libraries: list[Any] = [httpx]
    try:
        import httpx2  # type: ignore[import-not-found,unused-ignore]  # optional: google-genai's preferred transport
    except ImportError:  # pragma: no cover - depends on what is installed
        pass
    else:
        libraries.append(httpx2)
    return libraries


_TIMEOUTS: tuple[type[Exception], ...] = (TimeoutError, *(lib.TimeoutException for lib in _http_libraries()))


@functools.cache
def _call_failures() -> tuple[type[Exception], ...]:
    """Everything a Gemini call may raise that is the service's or the network's fault, not ours:
    error statuses, timeouts, refused or broken connections, and (ValueError) the client's own
    complaints about an unreadable answer (UnknownApiResponseError, pydantic validation)."""
    return (
        _sdk().errors.APIError,
        OSError,
        ValueError,
        *_TIMEOUTS,
        *(lib.HTTPError for lib in _http_libraries()),
        *(lib.StreamError for lib in _http_libraries()),
    )


class GeminiError(Exception):
    """A Gemini call failed: the service answered with an error, timed out, or gave no usable answer.
    `status_code` is the HTTP status when the service answered with one (429 = rate limited);
    `transient` says whether asking again later may work (a busy or unreachable service)."""

    def __init__(self, message: str, *, status_code: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.transient = transient


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, GeminiError) and error.transient


def gemini_enabled() -> bool:
    return bool(settings.GEMINI_API_KEY)


def gemini_client() -> genai.Client:
    """A client for the Gemini Developer API (not Vertex), pointed at GEMINI_BASE_URL when set (tests
    point it at a local stub). Raises GeminiError when no key is configured."""
    if not settings.GEMINI_API_KEY:
        raise GeminiError("Gemini is not configured (GEMINI_API_KEY is not set).")
    sdk = _sdk()
    http_options = sdk.types.HttpOptions(
        timeout=settings.GEMINI_TIMEOUT_SECONDS * 1000,  # milliseconds
        # The client's own retries are off (one attempt): sage.retrying retries, and tells the page.
        retry_options=sdk.types.HttpRetryOptions(attempts=1),
    )
    if settings.GEMINI_BASE_URL:
        http_options.base_url = settings.GEMINI_BASE_URL
    client: genai.Client = sdk.genai.Client(api_key=settings.GEMINI_API_KEY, vertexai=False, http_options=http_options)
    return client


def _config(system: str | None, **options: Any) -> types.GenerateContentConfig:
    sdk_types = _sdk().types
    config: types.GenerateContentConfig = sdk_types.GenerateContentConfig(
        system_instruction=system,
        # No tools are ever passed: one plain request, without the client's function-calling loop.
        automatic_function_calling=sdk_types.AutomaticFunctionCallingConfig(disable=True),
        **options,
    )
    return config


# What `parts` hold: made with image_part and text_part, so callers need not import google-genai.
if TYPE_CHECKING:
    Part = types.Part


def media_part(data: bytes, mime_type: str) -> types.Part:
    """A file's bytes sent inline with a prompt (a still, a stretch of sound)."""
    part: types.Part = _sdk().types.Part.from_bytes(data=data, mime_type=mime_type)
    return part


def image_part(jpeg: bytes) -> types.Part:
    """A JPEG picture sent inline with a prompt (a video's still)."""
    return media_part(jpeg, "image/jpeg")


def text_part(text: str) -> types.Part:
    """Words sent among other parts (e.g. what a picture shows and when), before the prompt."""
    part: types.Part = _sdk().types.Part.from_text(text=text)
    return part


def _user_turn(prompt: str, parts: Sequence[types.Part] = ()) -> list[types.Content]:
    sdk_types = _sdk().types
    # Media parts first, then the words about them: Google's advice for prompts with one file.
    return [sdk_types.Content(role="user", parts=[*parts, sdk_types.Part.from_text(text=prompt)])]


def _failure(error: Exception) -> GeminiError:
    if isinstance(error, _sdk().errors.APIError):
        detail = error.message or error.status or "no details"
        return GeminiError(
            f"Gemini answered with an error ({error.code}): {detail}",
            status_code=error.code,
            transient=error.code in TRANSIENT_HTTP_STATUSES,
        )
    if isinstance(error, _TIMEOUTS):
        return GeminiError("Gemini did not answer in time.", transient=True)
    if isinstance(error, ValueError):  # the client could not read the answer: the same next time
        return GeminiError(f"Gemini gave an unreadable answer: {error}")
    return GeminiError(f"Gemini could not be reached: {error}", transient=True)


def _answer_text(response: types.GenerateContentResponse) -> str:
    """The response's text, or GeminiError saying why there is none (blocked, cut off, empty)."""
    text = response.text
    if text and text.strip():
        return text
    feedback = response.prompt_feedback
    if feedback and feedback.block_reason:
        raise GeminiError(f"Gemini declined the request ({feedback.block_reason.value}).")
    finish = response.candidates[0].finish_reason if response.candidates else None
    if finish and finish != _sdk().types.FinishReason.STOP:
        raise GeminiError(f"Gemini stopped without an answer ({finish.value}).")
    raise GeminiError("Gemini gave an empty answer.")


def _generate(
    contents: list[types.Content], config: types.GenerateContentConfig, on_retry: RetryListener | None
) -> str:
    client = gemini_client()

    def attempt() -> str:
        try:
            response = client.models.generate_content(model=settings.GEMINI_MODEL, contents=contents, config=config)
            return _answer_text(response)
        except _call_failures() as error:
            raise _failure(error) from error

    try:
        return call_with_retries(attempt, service="Gemini", transient=_is_transient, on_retry=on_retry)
    finally:
        client.close()


def generate_text(prompt: str, *, system: str | None = None, on_retry: RetryListener | None = None) -> str:
    """Gemini's plain-text answer to `prompt` (with `system` as the system instruction)."""
    return _generate(_user_turn(prompt), _config(system), on_retry)


def generate_json(
    prompt: str,
    *,
    schema: Any,
    system: str | None = None,
    parts: Sequence[types.Part] = (),
    temperature: float | None = None,
    on_retry: RetryListener | None = None,
) -> Any:
    """Gemini's answer as parsed JSON shaped by `schema` (a google-genai Schema, a JSON-schema-like
    dict or a pydantic model), with `parts` (e.g. inline audio) sent before the prompt."""
    config = _config(system, response_mime_type="application/json", response_schema=schema, temperature=temperature)
    text = _generate(_user_turn(prompt, parts), config, on_retry)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise GeminiError(f"Gemini's answer is not valid JSON: {error}") from error


_Pieces = AsyncIterator["types.GenerateContentResponse"]


async def stream_text(
    prompt: str,
    *,
    system: str | None = None,
    parts: Sequence[types.Part] = (),
    on_retry: AsyncRetryListener | None = None,
) -> AsyncIterator[str]:
    """Gemini's answer to `prompt` piece by piece, as it is generated, with `parts` (e.g. stills,
    each introduced by a text part) sent before the prompt. Raises GeminiError (possibly after some
    pieces were yielded) when the call fails or nothing at all comes back. `on_retry` hears of each
    wait before the first piece (e.g. to tell the chat it is retrying)."""
    client = gemini_client()

    async def open_stream() -> tuple[_Pieces, types.GenerateContentResponse | None]:
        # The request goes out when the first piece is asked for: that is where a 429 or 503 shows.
        try:
            stream = await client.aio.models.generate_content_stream(
                model=settings.GEMINI_MODEL, contents=_user_turn(prompt, parts), config=_config(system)
            )
            return stream, await anext(stream, None)
        except _call_failures() as error:
            raise _failure(error) from error

    try:
        # Only opening the stream is tried again: once pieces went out, a second answer would repeat them.
        stream, first = await acall_with_retries(
            open_stream, service="Gemini", transient=_is_transient, on_retry=on_retry
        )
        answered = False
        last: types.GenerateContentResponse | None = None
        if first is not None:
            last = first
            if first.text:
                answered = True
                yield first.text
        async for chunk in stream:
            last = chunk
            if chunk.text:
                answered = True
                yield chunk.text
        if not answered:
            _answer_text(last or _sdk().types.GenerateContentResponse())  # raises with the reason
    except _call_failures() as error:
        raise _failure(error) from error
    finally:
        await client.aio.aclose()
        client.close()
