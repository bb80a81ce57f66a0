"""The upload page. The bytes go through the upload protocol API (`/api/v1/uploads…`) from
`static/js/upload.js`; this view only shows the page and the limits of the user's plan."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from billing.selectors import wallet_for_user
from sage.formatting import data_size, video_duration
from videos.models import ALLOWED_EXTENSIONS
from videos.uploads.services import storage_used_bytes


@dataclass(frozen=True)
class UploadLimits:
    plan_name: str
    max_upload_bytes: int
    max_video_seconds: int
    storage_used_bytes: int
    storage_quota_bytes: int

    @property
    def max_upload(self) -> str:
        return data_size(self.max_upload_bytes)

    @property
    def max_video_length(self) -> str:
        return video_duration(self.max_video_seconds)

    @property
    def storage_used(self) -> str:
        return data_size(self.storage_used_bytes)

    @property
    def storage_quota(self) -> str:
        return data_size(self.storage_quota_bytes)

    @property
    def storage_free(self) -> str:
        return data_size(max(self.storage_quota_bytes - self.storage_used_bytes, 0))

    @property
    def storage_percent(self) -> int:
        if self.storage_quota_bytes <= 0:
            return 100
        return min(round(100 * self.storage_used_bytes / self.storage_quota_bytes), 100)


def upload_limits_for_user(user: User) -> UploadLimits:
    plan = wallet_for_user(user).plan
    return UploadLimits(
        plan_name=plan.name,
        max_upload_bytes=plan.max_upload_bytes,
        max_video_seconds=plan.max_video_seconds,
        storage_used_bytes=storage_used_bytes(user),
        storage_quota_bytes=plan.storage_quota_bytes,
    )


@require_GET
@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    return render(
        request,
        "videos/upload.html",
        {
            "limits": upload_limits_for_user(request.user),
            "accepted_extensions": ",".join(ALLOWED_EXTENSIONS),
            "accepted_formats": ", ".join(ext.lstrip(".").upper() for ext in ALLOWED_EXTENSIONS),
            "uploads_api": reverse("api-uploads"),
        },
    )
