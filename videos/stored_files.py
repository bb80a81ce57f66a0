"""Removing files from the site's storage once the rows that named them are gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def delete_stored_files(keys: Iterable[str]) -> None:
    for key in keys:
        if not key:
            continue
        try:
            default_storage.delete(key)
        except Exception:
            # The row is gone either way; a file left behind is logged for an operator to remove.
            logger.warning("could not delete stored file %s", key, exc_info=True)
