"""Reciprocal rank fusion: several rankings of the same kind of thing made one, each thing scoring
1 / (RRF_K + its rank) in every ranking it is in. Ranks, not scores, are added, so a cosine distance
and a full-text rank need no common scale; RRF_K = 60 is the constant of Cormack, Clarke and
Büttcher (SIGIR 2009), which flattens the difference between the first few places."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

RRF_K = 60

T = TypeVar("T")


def fuse(
    rankings: Sequence[Sequence[T]],
    *,
    identity: Callable[[T], Hashable],
    merge: Callable[[T, T], T],
    limit: int,
) -> list[T]:
    """The `limit` best things over all `rankings` (each best first), by their summed reciprocal
    ranks; a tie keeps the order things were first met in. Things of the same `identity` are one:
    within a ranking only the first counts (so repeats take no places), and across rankings the
    thing kept is `merge` of what each ranking had."""
    scores: dict[Hashable, float] = {}
    kept: dict[Hashable, T] = {}
    for ranking in rankings:
        seen: set[Hashable] = set()
        for item in ranking:
            key = identity(item)
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + len(seen))
            kept[key] = merge(kept[key], item) if key in kept else item
    order = sorted(kept, key=lambda key: -scores[key])
    return [kept[key] for key in order[:limit]]
