"""The Note JSON (the API's, the live `note` event's and the JSON export's) and the API's inputs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notes.markdown import render_note
from notes.models import MAX_TEXT_LENGTH, Note
from sage.api.fields import SPACE_CHARACTERS, TextField
from sage.formatting import FORMAT_HELP, MAX_SECONDS, TIME_PATTERN, TimeFormatError, clock, parse_time
from workspaces.policy import Actor, may

# Longer text is not a time, however many spaces are around it.
MAX_TIME_TEXT = 100
# What `parse_time` reads, with the spaces around it that it strips. A time as text may still be
# past MAX_SECONDS or the video's end: those are refused with their own message.
_TIME_SCHEMA = {
    "oneOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        {
            "type": "string",
            "maxLength": MAX_TIME_TEXT,
            "pattern": rf"^[{SPACE_CHARACTERS}]*(?:{TIME_PATTERN})[{SPACE_CHARACTERS}]*$",
        },
    ],
    "description": 'Seconds (90, 90.5, "90"), "mm:ss" or "hh:mm:ss" (fractions allowed: "1:02.5"); '
    f"at most {MAX_SECONDS // 3600} hours, and within the video.",
    "example": "1:02.5",
}


def frame_url(note: Note) -> str | None:
    return reverse("notes:frame", args=[note.pk]) if note.frame_key else None


class NoteOutput(serializers.ModelSerializer[Note]):
    video_id = serializers.IntegerField(read_only=True)
    start_label = serializers.SerializerMethodField(help_text='"mm:ss", or "h:mm:ss" from an hour on.')
    end_label = serializers.SerializerMethodField()
    html = serializers.SerializerMethodField(help_text="The text rendered as safe HTML (a Markdown subset).")
    frame_url = serializers.SerializerMethodField(help_text="A JPEG still at `start` (uploaded videos; owner only).")
    frame = serializers.SerializerMethodField(
        help_text="The frame on screen at `start` (0 is the first), at the video's `frame_rate`."
    )
    author_id = serializers.IntegerField(source="owner_id", read_only=True, help_text="Who wrote it (a user id).")
    author_name = serializers.SerializerMethodField(
        help_text="Who wrote it: their display name, else their e-mail's name part (an AI note: who asked for it)."
    )
    can_change = serializers.SerializerMethodField(
        help_text="Whether the caller may edit and delete it (the policy's `note.change`: an editor anyone's, a "
        "commenter their own); null where no one caller is known (a live event, an export)."
    )

    class Meta:
        model = Note
        fields = [
            "id", "video_id", "start", "frame", "end", "start_label", "end_label", "text", "html",
            "ai_generated", "ai_status", "frame_url", "created_at", "updated_at", "author_id", "author_name",
            "can_change",
        ]  # fmt: skip
        read_only_fields = fields

    def get_start_label(self, note: Note) -> str:
        return clock(note.start)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_end_label(self, note: Note) -> str | None:
        return clock(note.end) if note.end is not None else None

    def get_frame(self, note: Note) -> int:
        return note.video.timebase.frame_at(note.start)

    def get_author_name(self, note: Note) -> str:
        return note.owner.name

    def get_html(self, note: Note) -> str:
        return str(render_note(note.text))

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_can_change(self, note: Note) -> bool | None:
        actor = self.context.get("actor")
        if actor is None:
            return None
        return may(actor, "note.change", workspace_id=note.workspace_id, made_by=note.owner_id)

    @extend_schema_field({"type": "string", "nullable": True, "example": "/notes/12/frame.jpg"})
    def get_frame_url(self, note: Note) -> str | None:
        return frame_url(note)


def note_payload(note: Note, actor: Actor | None = None) -> dict[str, Any]:
    """A note as JSON; with `actor`, whether they may change it (`can_change`)."""
    return dict(NoteOutput(note, context={"actor": actor}).data)


@extend_schema_field(_TIME_SCHEMA)
class TimeField(serializers.Field):  # type: ignore[type-arg]
    """A time in the video in any form `sage.formatting.parse_time` reads; seconds once validated."""

    default_error_messages = {"invalid": FORMAT_HELP}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, str) and len(data) > MAX_TIME_TEXT:
            raise serializers.ValidationError(FORMAT_HELP, code="invalid")
        try:
            return parse_time(data)
        except TimeFormatError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value: float) -> float:
        return value


class NoteTextField(TextField):
    """A note's text. `allow_blank` (a new note): empty text asks for a note written from the
    transcript; otherwise (a change) there must be more than spaces."""

    def __init__(self, *, allow_blank: bool, **kwargs: Any) -> None:
        super().__init__(
            allow_blank=allow_blank,
            require_text=not allow_blank,
            trim_whitespace=False,  # indentation is Markdown (nested lists); the service strips the ends
            max_length=MAX_TEXT_LENGTH,
            error_messages={
                "max_length": f"A note can be at most {MAX_TEXT_LENGTH:,} characters.",
                "blank": "A note cannot be emptied; delete it instead.",
            },
            help_text="A Markdown subset: *emphasis*, **strong**, `code`, http(s) links, lists, line breaks.",
            **kwargs,
        )


class NoteCreateInput(serializers.Serializer[Any]):
    start = TimeField()
    end = TimeField(required=False, allow_null=True, help_text="For a note about a range; not before `start`.")
    text = NoteTextField(allow_blank=True, default="")


class NoteUpdateInput(serializers.Serializer[Any]):
    start = TimeField(required=False)
    end = TimeField(required=False, allow_null=True, help_text="null makes it a note about one moment again.")
    text = NoteTextField(allow_blank=False, required=False)
