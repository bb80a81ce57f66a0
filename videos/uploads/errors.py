"""The upload store (local disk or S3) cannot take or give parts right now: a 503 the client retries.

Not a refusal of the request (that is `UploadRejected`, a 400) and not a bug (a 500): the disk under
MEDIA_ROOT is full, or S3 cannot be reached. Nothing of the part is kept, so sending it again once
the store is back resumes the upload where it was.
"""

from __future__ import annotations

import errno

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from sage.errors import ServiceUnavailable

# Seconds a client waits before trying again: a disk being cleaned up or a store restarting.
RETRY_AFTER_SECONDS = 30

# What "out of space" looks like from a write: the filesystem full, or the user's quota on it.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

# botocore's own names for "S3 did not answer": refused, timed out, dropped mid-answer. It has
# already retried them (its standard mode) when one reaches here.
S3_UNREACHABLE: tuple[type[Exception], ...] = (BotoConnectionError, HTTPClientError)


class StoreUnavailable(ServiceUnavailable):
    code = "store_unavailable"
    default_message = "Video storage is unavailable right now; nothing was lost. Try again in a little while."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retry_after=RETRY_AFTER_SECONDS)


def is_disk_full(error: OSError) -> bool:
    return error.errno in DISK_FULL_ERRNOS
