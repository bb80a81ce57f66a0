"""Videos and their resumable uploads."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast, Lower, Mod
from django.db.models.lookups import Exact
from django.utils import timezone
from pgvector.django import HalfVectorField, HnswIndex, VectorField

from sage.timebase import Timebase
from videos.stored_files import delete_stored_files

# The width of the text vector columns below: the text model's output size, defined beside the model.
from videos.text_embedding.encoder import TEXT_EMBEDDING_DIM as TEXT_EMBEDDING_DIM

# What the upload page and the API accept; the probe enforces the real container allow-list.
ALLOWED_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".mkv")


class ReviewStatus(models.TextChoices):
    """Where a version (a video) or a comparison stands in review (issue 52): set by members who
    may comment and by guests of a link that allows it; its history is `reviews.StatusChange`."""

    IN_PROGRESS = "in_progress", "In progress"
    NEEDS_REVIEW = "needs_review", "Needs review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


class Project(models.Model):
    """A folder of a workspace's videos, version stacks and comparisons (issue 52). Deleting one is
    soft (`deleted_at`): the project and everything in it leave lists, search and the API, intact,
    until it is restored or, after PROJECT_TRASH_DAYS, purged with its contents."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [Lower("name"), "pk"]
        constraints = [
            # Among live projects only: a deleted "Edits" leaves its name free, and restoring it
            # while a new "Edits" lives is refused with a clear message rather than an error.
            models.UniqueConstraint(
                Lower("name"),
                "workspace",
                condition=Q(deleted_at__isnull=True),
                name="one_live_project_name_per_workspace",
            ),
        ]
        indexes = [models.Index(fields=["deleted_at"], name="project_trash")]

    def __str__(self) -> str:
        return self.name


class VideoStack(models.Model):
    """The versions of one asset — v1, v2, … of a cut — each an uploaded Video (`Video.stack`).

    Once the newest version is ready it is compared with the one before (cuts alignment), so the
    stack's page says what changed; a share link to a stack shows its newest pair."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_stacks")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    # Its project (None: the workspace's top level); its versions are always in the same one.
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="stacks")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Video(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        YOUTUBE = "youtube", "YouTube"

    class Status(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    youtube_id = models.CharField(max_length=11, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADING)
    stage = models.CharField(max_length=30, blank=True, help_text="The pipeline step running now.")
    percent = models.PositiveSmallIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    # The timecode of its first frame as the file carries it (a QuickTime timecode track, an MXF or
    # Matroska tag), read when probed: "" when it carries none (the change list and marker files
    # then start it at videos.compare.timecode.DEFAULT_START).
    start_timecode = models.CharField(max_length=12, blank=True)
    video_codec = models.CharField(max_length=30, blank=True)
    audio_codec = models.CharField(max_length=30, blank=True)
    has_audio = models.BooleanField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text="Bytes.")
    storage_key = models.CharField(max_length=500, blank=True)
    poster_key = models.CharField(max_length=500, blank=True)
    # An outside poster (YouTube's thumbnail), used when there is no poster of our own.
    poster_url = models.URLField(max_length=500, blank=True)
    sprite_key = models.CharField(max_length=500, blank=True)
    # Tile geometry of the sprite: {"columns", "rows", "tile_width", "tile_height", "interval"}.
    sprite_meta = models.JSONField(default=dict, blank=True)
    # What players are given (videos.pipeline.renditions): the H.264/AAC MP4 made from an original no
    # browser plays as it is (or its remux with the index first), "" when the original plays as it
    # is (`original_plays`) or it is not made yet; and the small copy for phones and slow links.
    playable_key = models.CharField(max_length=500, blank=True)
    small_key = models.CharField(max_length=500, blank=True)
    # Whether the original is served to players as it is; None until the renditions step has judged it.
    original_plays = models.BooleanField(null=True, blank=True)
    # Why the renditions could not be made (for the person): the page says it and offers the original.
    rendition_error = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # Which backend produced each kind of derived data, e.g. {"clips": "local", "transcript": "sidecar"}.
    backends = models.JSONField(default=dict, blank=True)
    # Tokens held while processing; settled when ready, released when it fails or is cancelled.
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Processing runs started (a retry or a requeue after a crash adds one); keys the hold per run.
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=50, blank=True, help_text="The Celery task processing it now.")
    # The run processing it holds a lease (videos.pipeline.lease): a token of its own and an expiry
    # its heartbeat pushes forward. A run starts only by taking a free or lapsed lease, so a stale
    # or redelivered message finds it held and stops; a lapsed lease means the run's worker died.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Where the lease's run works ("host:pid"): the worker that saw that process die can take the
    # video over at once, sure that it takes the lease of no live run.
    lease_process = models.CharField(max_length=300, blank=True)
    # Runs whose worker died (their lease lapsed) since processing was last asked for; at
    # VIDEO_MAX_ATTEMPTS the video fails and is refunded instead of being taken over again.
    crashes = models.PositiveSmallIntegerField(default=0)
    # A subtitle file (.srt/.vtt) sent with the upload; the transcript step prefers it.
    subtitle_key = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    # A version of an asset: v`version` of `stack` (both empty for a video that is not one).
    stack = models.ForeignKey(VideoStack, null=True, blank=True, on_delete=models.SET_NULL, related_name="versions")
    version = models.PositiveIntegerField(null=True, blank=True)
    review_status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.IN_PROGRESS)
    # Its project (None: the workspace's top level); a version is in its stack's.
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="videos")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workspace", "status", "-created_at"], name="video_workspace_status_newest"),
            # The takeover sweep (every 30 s) reads leases by expiry; only running videos have one.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(lease_expires_at__isnull=False),
                name="video_lease_expiry",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "youtube_id"],
                condition=models.Q(source="youtube"),
                name="one_video_per_youtube_id_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["stack", "version"], condition=models.Q(stack__isnull=False), name="one_video_per_version"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def label(self) -> str:
        """The title with the version, "Walk base (v2)": a new version often keeps its title, so
        without the number two versions read the same."""
        return f"{self.title} (v{self.version})" if self.stack_id is not None and self.version else self.title

    @property
    def timebase(self) -> Timebase:
        """Its frames at its exact rate (30000/1001 for a measured 29.97): every time shown,
        exported or sought on it is one of them (`sage.timebase`)."""
        return Timebase.measured(self.fps)

    @property
    def playback_key(self) -> str:
        """The file players are given: the rendition, or the original when it plays as it is; ""
        while neither is known to play (not made yet, or making it failed)."""
        if self.playable_key:
            return self.playable_key
        return self.storage_key if self.original_plays else ""

    @property
    def playback_state(self) -> str:
        """ "ready" (something plays), "preparing" (the rendition is being made or waits its turn) or
        "failed" (it could not be made: the page says why and offers the original)."""
        if self.playback_key:
            return "ready"
        return "failed" if self.rendition_error else "preparing"

    @property
    def resume_note(self) -> str:
        """What the video page and the admin say while a run that died is being taken over, else "".

        The attempt is the number of the run that resumes (or is queued to) since processing was
        last asked for: the first run, plus one for each run that died (`crashes`). At
        VIDEO_MAX_ATTEMPTS dead runs the video fails and is refunded, so the last attempt is that one."""
        if not self.crashes or self.status not in (Video.Status.QUEUED, Video.Status.PROCESSING):
            return ""
        attempts = settings.VIDEO_MAX_ATTEMPTS
        return f"Resuming after a crash (attempt {min(self.crashes + 1, attempts)} of {attempts})"


class Upload(models.Model):
    """A resumable upload in parts; it becomes the video's file when every part has arrived."""

    class Store(models.TextChoices):
        LOCAL = "local", "Local storage"
        S3 = "s3", "S3"

    class Status(models.TextChoices):
        ACTIVE = "active", "Receiving parts"
        # Every part arrived; the store is joining them (then the row becomes COMPLETED). A row
        # left so by a crash is finished by completing again (videos.uploads.services).
        COMPLETING = "completing", "Completing"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    video = models.OneToOneField(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(help_text="Bytes announced when the upload was created.")
    part_size = models.PositiveIntegerField()
    part_count = models.PositiveIntegerField()
    store = models.CharField(max_length=5, choices=Store.choices)
    s3_upload_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "last_activity_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    def expected_part_size(self, number: int) -> int:
        """Every part is `part_size` bytes except the last, which holds the rest."""
        if number < self.part_count:
            return self.part_size
        return self.size - self.part_size * (self.part_count - 1)


class UploadPart(models.Model):
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    etag = models.CharField(max_length=100, blank=True, help_text="S3's ETag, or the part's SHA-256 locally.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["upload", "number"], name="one_row_per_upload_part")]

    def __str__(self) -> str:
        return f"part {self.number} of {self.upload_id}"


class ClipEmbedding(models.Model):
    """One 2-second clip's vectors. Dimensions depend on the backend (recorded per row, never mixed
    in a comparison), so the columns have none; clips are read per video, never searched by ANN."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="clips")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    backend = models.CharField(max_length=20)
    visual = VectorField()
    audio = VectorField(null=True, blank=True, help_text="Empty when the video has no sound.")

    class Meta:
        ordering = ["video", "index"]
        constraints = [models.UniqueConstraint(fields=["video", "index"], name="one_row_per_video_clip")]

    def __str__(self) -> str:
        return f"clip {self.index} of video {self.video_id}"


class VideoFingerprint(models.Model):
    """Fine signals for aligning and comparing two videos, finer than the 2 s clips: the picture
    (border-cropped, a small luma/chroma grid) `visual_rate` times a second and the sound (log-mel
    bands) `audio_rate` times a second, from the start of the file. Kept as one compressed NumPy
    archive (videos.embeddings.fingerprint packs and unpacks it): a few MB per hour of video."""

    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="fingerprint")
    version = models.PositiveSmallIntegerField()
    visual_rate = models.FloatField(help_text="Picture samples per second.")
    audio_rate = models.FloatField(null=True, blank=True, help_text="Sound frames per second; empty without sound.")
    duration = models.FloatField(help_text="Seconds covered.")
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"fingerprint of video {self.video_id} (v{self.version})"


class Transcript(models.Model):
    class Source(models.TextChoices):
        SIDECAR = "sidecar", "Subtitle file"
        STREAM = "stream", "Subtitle track in the video"
        YOUTUBE = "youtube", "YouTube captions"
        GEMINI = "gemini", "Gemini transcription"
        WHISPER = "whisper", "Offline speech recognition (Whisper)"
        # Transcripts made before Whisper replaced pocketsphinx (re-transcribe them from the admin).
        POCKETSPHINX = "pocketsphinx", "Offline speech recognition"
        NONE = "none", "No speech found"

    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="transcript")
    source = models.CharField(max_length=15, choices=Source.choices)
    language = models.CharField(max_length=20, blank=True)
    # The whole transcript is uncertain (most of its speech is in low-confidence segments, or it
    # came from pocketsphinx): the page says so next to the text.
    low_confidence = models.BooleanField(default=False)
    # Speech was heard in a language the configured speech model does not know (the bundled model is
    # English only): no words were made for it, and the page says so instead of showing invented ones.
    other_language = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"transcript of video {self.video_id} ({self.source})"


class TranscriptSegment(models.Model):
    """One caption line (or recognised phrase) with its time span."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    # Speech recognition was unsure of this line: summaries, comparisons and answers leave it out or
    # say so.
    low_confidence = models.BooleanField(default=False)
    # Recognised words with their times, [[start, end, "word", probability], ...] (seconds and
    # probability to 0.01; see videos.timed_text.lines); null for subtitles and captions.
    words = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [models.UniqueConstraint(fields=["transcript", "index"], name="one_row_per_transcript_segment")]

    def __str__(self) -> str:
        return f"{self.start:.1f}–{self.end:.1f}: {self.text[:40]}"


def chunk_embedding_halfvec() -> Cast:
    """A chunk's embedding as halfvec (16-bit floats): what the HNSW index holds, so a search orders
    by exactly this expression to use it (videos.selectors._NEAREST_THROUGH_INDEX_SQL)."""
    return Cast("embedding", HalfVectorField(dimensions=TEXT_EMBEDDING_DIM))


# The chunks' HNSW index is cut into this many parts by workspace, each a partial index over the
# workspaces whose id leaves that remainder: a workspace's search walks only its part, where its
# chunks are a share CHUNK_INDEX_PARTS times larger than in one index over everyone, so a filtered
# walk finds its nearest chunks sooner and misses fewer (bench/search.py has the figures at a million).
CHUNK_INDEX_PARTS = 16


def chunk_index_part(workspace_id: int) -> int:
    """Which part of the chunks' HNSW index holds this workspace's chunks."""
    return workspace_id % CHUNK_INDEX_PARTS


def chunk_index_part_condition(part: int) -> Q:
    """The partial index's condition, as SQL must state it for Postgres to use that index: the
    search states this very expression in its SQL (videos.selectors._NEAREST_THROUGH_INDEX_SQL)."""
    return Q(Exact(Mod("workspace", CHUNK_INDEX_PARTS, output_field=models.BigIntegerField()), part))


class ScreenTextLine(models.Model):
    """Text shown in the video (a slide's line, a title, a lower third, a sign), read from its frames
    and merged across the frames that show it: what it says, where and when."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="screen_lines")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    # Where on the picture: [left, top, width, height] as fractions of the frame's width and height.
    box = models.JSONField(default=list)
    confidence = models.FloatField(help_text="The reader's confidence, 0–1.")

    class Meta:
        ordering = ["video", "index"]
        constraints = [models.UniqueConstraint(fields=["video", "index"], name="one_row_per_screen_line")]

    def __str__(self) -> str:
        return f"{self.start:.1f}–{self.end:.1f} on screen: {self.text[:40]}"


class TranscriptChunk(models.Model):
    """A ~30–45 s window of the transcript on sentence boundaries (or of the text shown on screen),
    embedded for search and chat. `workspace` is copied from the video so a search filters on this
    table alone (a team's members search the workspace's videos, whoever uploaded them)."""

    class Kind(models.TextChoices):
        SAID = "said", "Said"
        SHOWN = "shown", "Shown on screen"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="chunks")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.SAID)
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    embedding = VectorField(dimensions=TEXT_EMBEDDING_DIM)
    # The text's words for full-text search (stemmed, numbers normalised): the other half of hybrid
    # search beside `embedding`. Null on rows written before it existed.
    search_vector = SearchVectorField(null=True)
    # The window's sentences as a search quotes them (videos.window_sentences), worked out when the
    # window is written, `[[start, end, "text", low_confidence], ...]`, and their MiniLM vectors
    # (normalised float32, one row per sentence, as bytes): a search then reads them instead of
    # embedding them at question time. Null on windows written before they existed, until
    # `store_window_sentences` fills them; the question-time way still serves those.
    sentences = models.JSONField(null=True)
    sentence_vectors = models.BinaryField(null=True)

    class Meta:
        ordering = ["video", "kind", "index"]
        constraints = [models.UniqueConstraint(fields=["video", "kind", "index"], name="one_row_per_video_chunk_kind")]
        indexes = [
            # halfvec: half the size of full vectors, built faster; searches re-sort what it finds on
            # the full vectors (bench/search.py). One partial index per part (CHUNK_INDEX_PARTS).
            # Migrations 0013 and 0025 create them in SQL of their own: without
            # django.contrib.postgres, Django writes the operator class inside the cast's parentheses.
            *(
                HnswIndex(
                    OpClass(chunk_embedding_halfvec(), name="halfvec_cosine_ops"),
                    name=f"chunk_embedding_hnsw_{part}",
                    m=16,
                    ef_construction=64,
                    condition=chunk_index_part_condition(part),
                )
                for part in range(CHUNK_INDEX_PARTS)
            ),
            # No index on workspace here: the workspace foreign key has one (a second, as this list
            # held for the owner until migration 0019, doubled the cost of every chunk written).
            GinIndex(fields=["search_vector"], name="chunk_search_vector"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of video {self.video_id}"


class Comparison(models.Model):
    """Two of one person's ready uploads compared.

    The expensive part — the alignment (`matched_spans`) and the change measured along it — is
    stored; segments, counts and similarity are derived from it at `threshold`, so changing the
    threshold decodes nothing. One row per (pair, metric, alignment): asking again reuses it."""

    class Metric(models.TextChoices):
        COSINE = "cosine", "Cosine"
        EUCLIDEAN = "euclidean", "Euclidean"

    class Alignment(models.TextChoices):
        NONE = "none", "None (clip by clip)"
        OFFSET = "offset", "Offset (one starts later)"
        CUTS = "cuts", "Cuts (insertions and removals)"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comparisons")
    # The workspace it lives in (issue 52): who may see and change it goes by membership there;
    # `owner` is who made it, and stays when they leave.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    video_a = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    video_b = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=10, choices=Metric.choices, default=Metric.COSINE)
    alignment = models.CharField(max_length=10, choices=Alignment.choices, default=Alignment.CUTS)
    threshold = models.FloatField()
    # Derived at `threshold` from what the engine measured (see videos.compare.services.comparison_at).
    segments = models.JSONField(default=list)
    similarity = models.FloatField(default=100.0)
    counts = models.JSONField(default=dict)
    # What changed in the words, per segment index: {"removed": [...], "added": [...]} (both transcripts).
    word_changes = models.JSONField(default=dict)
    # The transcripts' word diff (videos.compare.words), kept so that judging at another threshold
    # reads no transcript.
    word_diff = models.JSONField(null=True, blank=True)
    summary = models.TextField(blank=True)
    summary_backend = models.CharField(max_length=12, blank=True)
    # Which engine made the stored result (videos.compare.services.CURRENT_ENGINE): a row's
    # provenance. 1 (the clip grid) and 2 (refined, before moves, sync, speed and text) are older
    # engines whose rows are recomputed by the current one (videos.compare.recompute); 0 is a row
    # no engine has made yet (its videos were being fingerprinted when it was asked for).
    engine = models.PositiveSmallIntegerField(default=1)
    # An older row that could not be recomputed because its videos can no longer be read: it keeps
    # no result, and its pages say so (compare again, or delete it).
    unreadable = models.BooleanField(default=False)
    # Seconds to add to a time on A to get the same moment on B, over the first matched span.
    offset = models.FloatField(null=True, blank=True)
    # [[a_start, a_end, b_start, b_end], ...]: stretches shown in both videos, in order.
    matched_spans = models.JSONField(default=list, blank=True)
    # The verified stretches (videos.engine.pipeline.Measured as JSON): per step along a matched
    # span, how visible the change of picture and how audible the change of sound is (0-1, fixed
    # scale). Segments are derived from these at `threshold`.
    measured = models.JSONField(default=list, blank=True)
    # Engine 2: False while `measured` holds the screening's figures for a worker to verify on the
    # files (videos.tasks.verify_comparison); the page and the API say so.
    verified = models.BooleanField(default=True)
    # Engine 3 (videos.engine.pipeline.EngineResult.findings): what holds at any threshold —
    # moved stretches, A/V sync, speed, changed on-screen text — as segment dicts; listed among
    # `segments` once derived.
    findings = models.JSONField(default=list, blank=True)
    review_status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.IN_PROGRESS)
    # Its project (None: the workspace's top level).
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="comparisons")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "video_a", "video_b", "metric", "alignment"], name="one_comparison_per_setting"
            ),
            models.CheckConstraint(condition=~models.Q(video_a=models.F("video_b")), name="comparison_of_two_videos"),
        ]

    def __str__(self) -> str:
        return f"comparison {self.pk}: video {self.video_a_id} vs {self.video_b_id}"

    @property
    def alignment_name(self) -> str:
        """The alignment's name without the label's explanation in brackets: "Cuts" (a phone shows
        only this)."""
        return self.get_alignment_display().split(" (", 1)[0]

    @property
    def alignment_explanation(self) -> str:
        """The rest of the label after `alignment_name`: " (insertions and removals)"."""
        return self.get_alignment_display()[len(self.alignment_name) :]

    @property
    def title(self) -> str:
        """Both videos by name: "Walk base — v1 and v2" for two versions of one stack (named once,
        by the stack, since their own titles are usually the same), else "Intro and Intro (v2)"."""
        video_a, video_b = self.video_a, self.video_b
        if video_a.stack_id is not None and video_a.stack_id == video_b.stack_id and video_a.stack is not None:
            return f"{video_a.stack.title} — v{video_a.version} and v{video_b.version}"
        return f"{video_a.label} and {video_b.label}"


class RecutJob(models.Model):
    """One stem laid to a comparison's v1 (video A), recut to its v2 (video B) by the change list
    (videos.conform). The upload is kept in the site's storage like uploads are; the result beside it.
    Paid for from the workspace's tokens: held when asked for, settled when ready, released on failure."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Recutting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="recut_jobs")
    # The stem's name (dialogue, music, effects…) and the file's name as it was sent.
    stem = models.CharField(max_length=60)
    file_name = models.CharField(max_length=255)
    source_key = models.CharField(max_length=500)
    # What the upload is: kept so the result is written the same way.
    channels = models.PositiveSmallIntegerField()
    sample_format = models.CharField(max_length=10)
    frames = models.BigIntegerField(help_text="Samples per channel (48 kHz).")
    # Samples of the upload before v1's first frame, as its bext time reference places it (0: none,
    # or none taken; negative: it starts later).
    lead = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    result_key = models.CharField(max_length=500, blank=True)
    # Where the result starts: samples since midnight at 48 kHz (its bext time reference), and the
    # timecode that is at v2's frame rate.
    time_reference = models.BigIntegerField(null=True, blank=True)
    start_timecode = models.CharField(max_length=12, blank=True)
    # The stretches left silent (inserted, replaced): [{"number", "kind", "v2_start", "v2_end"}] in seconds.
    silences = models.JSONField(default=list, blank=True)
    # Per event (videos.conform.null_test.EventResidual as dicts); null_test_note: why there is none.
    null_test = models.JSONField(default=list, blank=True)
    null_test_note = models.CharField(max_length=300, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"recut {self.pk}: {self.stem} of comparison {self.comparison_id}"

    def delete_files_on_commit(self) -> None:
        """The upload and the result go from storage once the row's deletion commits (connected to
        post_delete in the app's ready(): a comparison or video deleted takes its jobs by cascade)."""
        keys = [self.source_key, self.result_key]
        transaction.on_commit(lambda: delete_stored_files(keys))

    @property
    def result_name(self) -> str:
        """The file's name when downloaded: the upload's, marked as conformed to v2."""
        # ASCII only: it goes into a Content-Disposition header as it is.
        stem = re.sub(r"[^A-Za-z0-9._\- ]", "_", self.file_name.rsplit(".", 1)[0] or self.stem)
        return f"{stem}_conformed_v2.wav"
