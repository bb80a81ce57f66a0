"""DRF throttles that count through `sage.ratelimit`: atomic under concurrency, and fail closed for
writes and open for reads when Redis cannot answer."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from sage import ratelimit
from sage.errors import ServiceUnavailable


class AtomicRateThrottle(SimpleRateThrottle):
    """DRF's SimpleRateThrottle (scopes, rates, cache keys, `wait()` and so `Retry-After`), with its
    read-then-write history replaced by one atomic count. A subclass says who is counted
    (`get_cache_key`) as DRF's do."""

    _wait_seconds: float = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            counted = ratelimit.count(key, ratelimit.Rate.parse(self.rate))
        except ServiceUnavailable:
            # A read that is not counted costs the site little; a write must not go unlimited.
            if request.method in SAFE_METHODS:
                return True
            raise
        self._wait_seconds = counted.wait
        return counted.allowed

    def wait(self) -> float:
        return self._wait_seconds
