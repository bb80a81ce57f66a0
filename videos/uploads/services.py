"""The upload protocol: create → send parts (resumable, any order) → complete, or abort.

Plan limits (file size, storage quota, announced length) and whether processing can be paid for
(nothing owed, and a balance that covers the announced length) are checked when the upload is
created, before any byte is stored: a refusal for tokens is the same 402 as any paid work's. The
probe re-checks the real length once the file is complete, and the processing hold pays.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from activity.services import Target, Verb, activity_record
from billing.packs import payment_refusal
from billing.prices import upload_price
from billing.selectors import wallet_of_workspace
from sage.errors import NON_FIELD, FieldInvalid
from sage.formatting import data_size
from videos.models import ALLOWED_EXTENSIONS, Project, Upload, UploadPart, Video
from videos.pipeline.enqueue import video_enqueue
from videos.pipeline.progress import push_video
from videos.uploads import local_store, s3_store
from videos.uploads.local_store import PartRejected, Readable, ReceivedPart
from videos.versions.services import version_add, version_check_source
from workspaces.models import Membership
from workspaces.selectors import plan_holder_of, workspaces_paid_by

logger = logging.getLogger(__name__)


class UploadRejected(FieldInvalid):
    """A request the upload protocol refuses; `field` names the input at fault, if one is. `kind` says
    which rule refused it, for logs and tests (the API's code is `invalid` for all of them)."""

    def __init__(self, message: str, *, kind: str = "invalid", field: str | None = None) -> None:
        self.kind = kind
        super().__init__(message, field=field or NON_FIELD)


@dataclass(frozen=True)
class StorageUse:
    """What counts against the storage quota of the plan that pays for a workspace: the stored
    videos and the announced sizes of unfinished uploads in every workspace that plan pays for (the
    person's own and the teams they own: the team pays, from its owner's plan), whoever uploaded
    them. `holder_id`: the plan's account (None: an ownerless team, counted alone)."""

    used_bytes: int
    holder_id: int | None


def storage_use(workspace_id: int) -> StorageUse:
    holder_id = plan_holder_of(workspace_id)
    where = Q(workspace_id=workspace_id) if holder_id is None else Q(workspace__in=workspaces_paid_by(holder_id))
    stored = Video.objects.filter(where).exclude(storage_key="").aggregate(total=Sum("size"))["total"] or 0
    pending = Upload.objects.filter(where, status=Upload.Status.ACTIVE).aggregate(total=Sum("size"))["total"] or 0
    return StorageUse(used_bytes=int(stored) + int(pending), holder_id=holder_id)


@transaction.atomic
def upload_create(
    *,
    member: Membership,
    filename: str,
    size: int,
    content_type: str = "",
    title: str = "",
    duration_seconds: float | None = None,
    version_of: Video | None = None,
    project: Project | None = None,
) -> Upload:
    """A new upload and its video (the next version of `version_of`'s stack when given: the caller
    read it through the ownership selector), filed in `project` (the acting workspace's, read through
    its selector) unless it is a new version, which goes where its stack is."""
    if version_of is not None:
        version_check_source(version_of)
    name = PurePath(filename.replace("\\", "/")).name.strip()
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(ext.lstrip(".").upper() for ext in ALLOWED_EXTENSIONS)
        raise UploadRejected(f"“{name or filename}” is not a video file we accept ({allowed}).", field="filename")
    if size <= 0:
        raise UploadRejected("The file is empty.", field="size")
    # A new version goes where its asset is; a new video into the workspace the uploader acts in.
    workspace_id = version_of.workspace_id if version_of is not None else member.workspace_id
    # One upload created at a time per plan that pays (the plan holder's row is the lock; an ownerless
    # team's is the uploader's), so two parallel uploads, by one member or two, cannot both fit.
    holder_id = plan_holder_of(workspace_id) or member.user.pk
    User.objects.select_for_update().filter(pk=holder_id).first()
    # That workspace's wallet pays for it, and its plan sets the limits.
    wallet = wallet_of_workspace(workspace_id)
    plan = wallet.plan
    if size > plan.max_upload_bytes:
        raise UploadRejected(
            f"The file is {data_size(size)}; your {plan.name} plan accepts files up to "
            f"{data_size(plan.max_upload_bytes)}.",
            kind="too_large",
            field="size",
        )
    used = storage_use(workspace_id).used_bytes
    if used + size > plan.storage_quota_bytes:
        whose = "your" if holder_id == member.user.pk else f"this workspace's owner's {plan.name} plan's"
        raise UploadRejected(
            f"Storing this file would use {data_size(used + size)} of {whose} "
            f"{data_size(plan.storage_quota_bytes)} storage. Delete videos or change plan.",
            kind="storage_full",
            field="size",
        )
    if duration_seconds is not None and duration_seconds > plan.max_video_seconds:
        raise UploadRejected(
            f"The video is {duration_seconds / 60:.0f} min long; your {plan.name} plan allows up to "
            f"{plan.max_video_seconds / 60:.0f} min.",
            kind="too_long",
            field="duration_seconds",
        )
    # Without an announced length the price is not known yet: at least one token (and nothing owed).
    if (
        refusal := payment_refusal(wallet=wallet, amount=upload_price(duration_seconds), actor_id=member.user.pk)
    ) is not None:
        raise refusal
    part_size = int(settings.UPLOAD_PART_SIZE)
    # A new version keeps the asset's title unless given one: its page tells the versions apart.
    default_title = version_of.title if version_of is not None else PurePath(name).stem
    video = Video.objects.create(
        owner=member.user,
        workspace_id=workspace_id,
        title=(title.strip() or default_title)[:200],
        project=project if version_of is None else None,
    )
    if version_of is not None:
        version_add(previous=version_of, video=video)
    upload = Upload.objects.create(
        owner=member.user,
        workspace_id=workspace_id,
        video=video,
        filename=name[:255],
        content_type=content_type[:100],
        size=size,
        part_size=part_size,
        part_count=math.ceil(size / part_size),
        store=Upload.Store.S3 if settings.AWS_STORAGE_BUCKET_NAME else Upload.Store.LOCAL,
    )
    if upload.store == Upload.Store.S3:
        upload.s3_upload_id = s3_store.begin(final_key(upload), content_type=upload.content_type)
        upload.save(update_fields=["s3_upload_id"])
    return upload


def final_key(upload: Upload) -> str:
    """Where the finished file lives in storage (a MEDIA_ROOT path, or the S3 object key)."""
    return f"videos/{upload.video_id}/original{PurePath(upload.filename).suffix.lower()}"


def upload_received_parts(upload: Upload) -> list[ReceivedPart]:
    """The parts that have arrived: what a client resumes from."""
    if upload.store == Upload.Store.S3 and upload.status in (Upload.Status.ACTIVE, Upload.Status.COMPLETING):
        return s3_store.received_parts(upload, final_key(upload))
    return [ReceivedPart(number=p.number, size=p.size, etag=p.etag) for p in upload.parts.all()]


def upload_part_url(*, upload: Upload, number: int) -> str:
    """A presigned URL the client PUTs part `number` to (S3 store only)."""
    _require_active(upload)
    if upload.store != Upload.Store.S3:
        raise UploadRejected("This upload takes its parts directly: PUT them to the part endpoint.", kind="wrong_store")
    _require_part_number(upload, number)
    Upload.objects.filter(pk=upload.pk).update(last_activity_at=timezone.now())
    return s3_store.part_url(upload, final_key(upload), number)


def _require_active(upload: Upload) -> None:
    if upload.status != Upload.Status.ACTIVE:
        raise UploadRejected(f"This upload is {upload.get_status_display().lower()}.", kind="not_active")


def _require_part_number(upload: Upload, number: int) -> None:
    if not 1 <= number <= upload.part_count:
        raise UploadRejected(f"Part numbers run from 1 to {upload.part_count}.", field="number")


def upload_receive_part(*, upload: Upload, number: int, stream: Readable, sha256: str | None = None) -> UploadPart:
    """Store one part (sending a part again replaces it: a retry after a dropped connection)."""
    _require_active(upload)
    if upload.store != Upload.Store.LOCAL:
        raise UploadRejected("This upload's parts go straight to S3: ask for a part URL.", kind="wrong_store")
    _require_part_number(upload, number)
    try:
        digest = local_store.write_part(upload, number, stream, sha256=sha256)
    except PartRejected as exc:
        raise UploadRejected(str(exc), kind="bad_part", field="body") from None
    now = timezone.now()
    part, _ = UploadPart.objects.update_or_create(
        upload=upload,
        number=number,
        defaults={"size": upload.expected_part_size(number), "etag": digest, "received_at": now},
    )
    Upload.objects.filter(pk=upload.pk).update(last_activity_at=now)
    return part


def upload_complete(*, upload: Upload) -> Video:
    """Join the parts into the video's file once every part has arrived; the video is queued.

    The store's side (S3's CompleteMultipartUpload, or joining the local parts) runs outside any
    database transaction, between two short ones: the row is marked COMPLETING first, so a crash
    between the store and the database leaves a row that says what is left to do, and completing
    again — the client's retry, or the hourly sweep — finishes it. Every step is idempotent."""
    current = Upload.objects.get(pk=upload.pk)
    if current.status == Upload.Status.ACTIVE:
        _require_every_part(current)  # asks S3 which parts it has: outside any transaction
        # The row count says whether this request moved it on (an abort may have come first).
        Upload.objects.filter(pk=current.pk, status=Upload.Status.ACTIVE).update(
            status=Upload.Status.COMPLETING, last_activity_at=timezone.now()
        )
        current.refresh_from_db()
    if current.status == Upload.Status.COMPLETED and current.video_id is not None:
        return Video.objects.get(pk=current.video_id)  # completing twice (a retried request) is harmless
    if current.status != Upload.Status.COMPLETING:
        _require_active(current)  # aborted: refused with the reason
    storage_key = final_key(current)
    size = _store_complete(current, storage_key)
    return _upload_mark_completed(current, storage_key=storage_key, size=size)


def _require_every_part(upload: Upload) -> None:
    parts = {part.number: part for part in upload_received_parts(upload)}
    missing = [
        n for n in range(1, upload.part_count + 1)
        if n not in parts or parts[n].size != upload.expected_part_size(n)
    ]  # fmt: skip
    if missing:
        shown = ", ".join(map(str, missing[:10])) + ("…" if len(missing) > 10 else "")
        raise UploadRejected(f"Parts still missing: {shown}.", kind="incomplete")


def _store_complete(upload: Upload, storage_key: str) -> int:
    """The whole file at `storage_key` (made now, or by an earlier try that the database did not
    hear about); returns its size."""
    if upload.store == Upload.Store.S3:
        size = s3_store.whole_object_size(storage_key)
        if size == upload.size:
            return size
        parts = sorted(s3_store.received_parts(upload, storage_key), key=lambda part: part.number)
        return s3_store.complete(upload, storage_key, parts)
    size = local_store.joined_size(storage_key)
    if size == upload.size:
        local_store.discard(upload)  # parts an interrupted join left behind
        return size
    return local_store.join_parts(upload, storage_key)


def _upload_mark_completed(upload: Upload, *, storage_key: str, size: int) -> Video:
    if upload.video_id is None:  # the video was deleted while its file was being joined
        raise UploadRejected("This upload's video was deleted.", kind="not_active")
    with transaction.atomic():
        # One of two racing completions wins this filtered update; the other returns the video.
        moved = Upload.objects.filter(pk=upload.pk, status=Upload.Status.COMPLETING).update(
            status=Upload.Status.COMPLETED, last_activity_at=timezone.now()
        )
        video = Video.objects.get(pk=upload.video_id)
        if not moved:
            return video
        Video.objects.filter(pk=video.pk).update(storage_key=storage_key, size=size, status=Video.Status.QUEUED)
        video.refresh_from_db()
        # Completed by the uploader's request or by the sweep: either way in the upload's workspace.
        activity_record(
            workspace_id=upload.workspace_id,
            actor=upload.owner,
            verb=Verb.UPLOADED,
            target=Target("video", video.pk, video.label),
            details={"upload_id": str(upload.pk), "size": size},
        )
        video_enqueue(video=video)
        push_video(video)  # the upload page and the library learn it is queued (after commit)
        return video


@transaction.atomic
def upload_abort(*, upload: Upload) -> None:
    """Stop an upload: its parts and its placeholder video go; a completed upload is left alone."""
    locked = Upload.objects.select_for_update().get(pk=upload.pk)
    if locked.status != Upload.Status.ACTIVE:
        return
    Upload.objects.filter(pk=locked.pk).update(status=Upload.Status.ABORTED, last_activity_at=timezone.now())
    UploadPart.objects.filter(upload=locked).delete()
    if locked.store == Upload.Store.S3:
        s3_store.abort(locked, final_key(locked))  # before the video row (and so the key's id) goes
    else:
        transaction.on_commit(lambda: local_store.discard(locked))
    if locked.video_id is not None:
        Video.objects.filter(pk=locked.video_id, status=Video.Status.UPLOADING).delete()


def uploads_abort_idle(
    *, idle_for: dt.timedelta = dt.timedelta(days=1), completing_for: dt.timedelta = dt.timedelta(minutes=5)
) -> int:
    """Finish completions a crash interrupted (COMPLETING for longer than a completion takes),
    then abort uploads that received nothing for `idle_for`; returns how many were aborted."""
    stuck = Upload.objects.filter(status=Upload.Status.COMPLETING, last_activity_at__lt=timezone.now() - completing_for)
    for upload in stuck.iterator():
        try:
            upload_complete(upload=upload)
        except Exception:
            # S3 unreachable for now: the row still says COMPLETING and the next run tries again.
            logger.warning("could not finish completing upload %s", upload.pk, exc_info=True)
    cutoff = timezone.now() - idle_for
    idle = Upload.objects.filter(status=Upload.Status.ACTIVE, last_activity_at__lt=cutoff)
    count = 0
    for upload in idle.iterator():
        upload_abort(upload=upload)
        count += 1
    return count
