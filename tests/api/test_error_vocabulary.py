"""One error vocabulary: the services' refusals are `ApplicationError`s, answered by the one API
handler exactly as the per-module translations answered them (a serializer's ValidationError for a
field, a 409 conflict), so no API module translates them any more."""

from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from accounts.services import ApiTokenError
from notes.services import NoteInvalid
from sage.api.errors import exception_handler
from sage.errors import ApplicationError, Conflict
from videos.compare.services import ComparisonRefused
from videos.services import SubtitlesInvalid, SubtitlesRefused
from videos.uploads.services import UploadRejected
from videos.youtube import YouTubeError


def _answer(exc: Exception) -> tuple[int, bytes, dict[str, str]]:
    response = exception_handler(exc, {})
    return response.status_code, JSONRenderer().render(response.data), dict(response.items())


@pytest.mark.parametrize(
    ("refusal", "field", "reason"),
    [
        (ComparisonRefused("Choose two different videos.", field="video_b"), "video_b", "Choose two different videos."),
        (ComparisonRefused("Not comparable."), "non_field_errors", "Not comparable."),
        (NoteInvalid("end", "The end must come after the start."), "end", "The end must come after the start."),
        (UploadRejected("The file is empty.", field="size"), "size", "The file is empty."),
        (UploadRejected("Parts still missing: 2.", kind="incomplete"), "non_field_errors", "Parts still missing: 2."),
        (YouTubeError("Playlists are not supported."), "url", "Playlists are not supported."),
        (SubtitlesInvalid("The file is empty.", field="file"), "file", "The file is empty."),
    ],
)
def test_a_field_refusal_is_answered_as_a_validation_error_for_that_field_was(refusal, field, reason) -> None:
    assert isinstance(refusal, ApplicationError)
    assert str(refusal) == reason  # what pages show by their own form field

    assert _answer(refusal) == _answer(serializers.ValidationError({field: [reason]}))


def test_subtitles_refused_is_a_conflict_and_a_token_refusal_keeps_its_code() -> None:
    assert _answer(SubtitlesRefused("Too late.")) == _answer(Conflict("Too late."))
    revoked = ApiTokenError("This API token has been revoked.", code="token_revoked")
    assert (revoked.status, revoked.code, revoked.message) == (401, "token_revoked", "This API token has been revoked.")
