"""sage.gemini's helpers, through the real google-genai client, against the local Gemini stub."""

from __future__ import annotations

import pytest
from google.genai import types

from sage.gemini import GeminiError, gemini_enabled, generate_json, generate_text, stream_text
from tests.gemini_stub import API_KEY, GeminiReply, GeminiRequest, gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture


def test_generate_text_returns_the_answer_and_sends_key_model_prompt_and_system(gemini_stub, settings):
    gemini_stub.reply("Paris is the capital of France.")

    answer = generate_text("What is the capital of France?", system="Answer in one sentence.")

    assert answer == "Paris is the capital of France."
    request = gemini_stub.last
    assert request.api_key == API_KEY
    assert request.model == settings.GEMINI_MODEL
    assert not request.stream
    assert request.prompt == "What is the capital of France?"
    assert request.system == "Answer in one sentence."


def test_no_system_instruction_is_sent_when_none_is_given(gemini_stub):
    generate_text("Hello")
    assert gemini_stub.last.system is None


def test_gemini_is_enabled_only_with_a_key(settings):
    settings.GEMINI_API_KEY = None
    assert not gemini_enabled()
    with pytest.raises(GeminiError, match="not configured"):
        generate_text("Hello")
    settings.GEMINI_API_KEY = "some-key"
    assert gemini_enabled()


def test_a_reply_can_be_built_from_the_request(gemini_stub):
    gemini_stub.reply(lambda request: request.prompt.upper())
    assert generate_text("shout this") == "SHOUT THIS"


async def test_stream_text_yields_the_answer_in_several_pieces(gemini_stub):
    gemini_stub.reply("The quick brown fox jumps over the lazy dog.")

    pieces = [piece async for piece in stream_text("Tell me about foxes.", system="Be brief.")]

    assert len(pieces) == 3
    assert "".join(pieces) == "The quick brown fox jumps over the lazy dog."
    assert gemini_stub.last.stream
    assert gemini_stub.last.system == "Be brief."
    assert gemini_stub.last.api_key == API_KEY


async def test_stream_text_passes_scripted_chunks_through_in_order(gemini_stub):
    gemini_stub.reply(GeminiReply(chunks=["First, ", "second, ", "third."], chunk_delay=0.05))
    pieces = [piece async for piece in stream_text("Count.")]
    assert pieces == ["First, ", "second, ", "third."]


async def test_stream_text_raises_gemini_error_on_an_error_status(gemini_stub):
    gemini_stub.reply(GeminiReply(status=400, error_message="API key not valid"))
    with pytest.raises(GeminiError, match="API key not valid") as caught:
        _ = [piece async for piece in stream_text("Hello")]
    assert caught.value.status_code == 400


async def test_stream_text_raises_gemini_error_when_the_answer_is_blocked(gemini_stub):
    gemini_stub.reply(GeminiReply(block_reason="SAFETY"))
    with pytest.raises(GeminiError, match="declined"):
        _ = [piece async for piece in stream_text("Something unsafe")]


def test_a_client_error_is_not_retried_and_becomes_gemini_error(gemini_stub):
    gemini_stub.reply(GeminiReply(status=400, error_message="Request contains an invalid argument."))

    with pytest.raises(GeminiError, match="invalid argument") as caught:
        generate_text("Hello")

    assert caught.value.status_code == 400
    assert isinstance(caught.value.__cause__, Exception)  # the client's error is chained
    assert len(gemini_stub.requests) == 1


def test_a_transient_error_is_retried_and_the_retry_answer_returned(gemini_stub):
    gemini_stub.queue(GeminiReply(status=503), GeminiReply(status=429))
    gemini_stub.reply("Fine now.")

    assert generate_text("Hello") == "Fine now."
    assert len(gemini_stub.requests) == 3


def test_a_persistent_server_error_gives_up_after_the_retry_budget(gemini_stub, settings):
    gemini_stub.reply(GeminiReply(status=500, error_message="Internal error encountered."))

    with pytest.raises(GeminiError, match="500") as caught:
        generate_text("Hello")

    assert caught.value.status_code == 500
    assert len(gemini_stub.requests) == settings.OUTSIDE_RETRY_ATTEMPTS


def test_rate_limiting_is_reported_with_its_status(gemini_stub, settings):
    settings.OUTSIDE_RETRY_ATTEMPTS = 1
    gemini_stub.reply(GeminiReply(status=429, error_message="Resource has been exhausted"))
    with pytest.raises(GeminiError) as caught:
        generate_text("Hello")
    assert caught.value.status_code == 429


def test_a_slow_answer_times_out_as_gemini_error(gemini_stub, settings):
    settings.GEMINI_TIMEOUT_SECONDS = 1
    settings.OUTSIDE_RETRY_ATTEMPTS = 1
    gemini_stub.reply(GeminiReply(text="too late", delay=5))

    with pytest.raises(GeminiError, match="in time"):
        generate_text("Hello")


def test_a_timed_out_request_is_retried(gemini_stub, settings):
    settings.GEMINI_TIMEOUT_SECONDS = 1
    gemini_stub.queue(GeminiReply(text="too late", delay=5))
    gemini_stub.reply("On time.")

    assert generate_text("Hello") == "On time."
    assert len(gemini_stub.requests) == 2


def test_an_unreachable_service_is_gemini_error(settings):
    from devtools.processes import free_port

    settings.GEMINI_API_KEY = API_KEY
    settings.GEMINI_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.OUTSIDE_RETRY_ATTEMPTS = 1
    with pytest.raises(GeminiError, match="could not be reached"):
        generate_text("Hello")


def test_an_empty_or_cut_off_answer_is_gemini_error(gemini_stub):
    gemini_stub.reply(GeminiReply(text=""))
    with pytest.raises(GeminiError, match="empty"):
        generate_text("Hello")

    gemini_stub.reply(GeminiReply(text="", finish_reason="MAX_TOKENS"))
    with pytest.raises(GeminiError, match="MAX_TOKENS"):
        generate_text("Hello")


def test_generate_json_asks_for_json_with_the_schema_and_parses_the_answer(gemini_stub):
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    gemini_stub.reply('{"answer": 42}')
    audio = types.Part.from_bytes(data=b"OggS fake audio", mime_type="audio/ogg")

    result = generate_json("What is six times seven?", schema=schema, parts=[audio], temperature=0.0)

    assert result == {"answer": 42}
    request: GeminiRequest = gemini_stub.last
    assert request.generation_config["responseMimeType"] == "application/json"
    assert request.generation_config["responseSchema"]["properties"]["answer"]["type"].lower() == "integer"
    assert request.generation_config["temperature"] == 0.0
    assert request.inline_data == [("audio/ogg", b"OggS fake audio")]
    assert request.prompt == "What is six times seven?"


def test_generate_json_rejects_an_answer_that_is_not_json(gemini_stub):
    gemini_stub.reply("Sure! The answer is 42.")
    with pytest.raises(GeminiError, match="not valid JSON"):
        generate_json("What is six times seven?", schema={"type": "object"})


def test_the_stub_serves_another_process_through_its_environment(gemini_stub):
    """Daphne and Celery workers are subprocesses: they reach the stub by URL and key alone."""
    import subprocess
    import sys

    from devtools.processes import BASE_DIR, server_env

    gemini_stub.reply(lambda request: f"seen by the stub: {request.prompt}")
    script = "import django; django.setup(); from sage.gemini import generate_text; print(generate_text('from afar'))"

    finished = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=server_env(DJANGO_SETTINGS_MODULE="sage.settings", **gemini_stub.env()),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().endswith("seen by the stub: from afar")
    assert gemini_stub.last.api_key == API_KEY


async def test_a_stream_gemini_refused_for_now_is_opened_again(gemini_stub):
    gemini_stub.queue(GeminiReply(status=503), "Second time lucky.")

    pieces = [piece async for piece in stream_text("Hello")]

    assert "".join(pieces) == "Second time lucky."
    assert len(gemini_stub.requests) == 2
