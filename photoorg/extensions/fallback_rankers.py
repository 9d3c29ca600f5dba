"""Rankers that answer a text query when CLIP can't (no weights, no vectors
yet): the first that returns results wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from photoorg.search.engine import SearchEngine, SearchResults
    from photoorg.search.filters import SearchFilters

#: (engine, text, filters, limit) -> results, or None to let the next one try
FallbackRanker = Callable[["SearchEngine", str, "SearchFilters", int], "SearchResults | None"]

_point: ExtensionPoint[FallbackRanker] = ExtensionPoint("fallback ranker")


def register_fallback_ranker(ranker: FallbackRanker) -> None:
    _point.register(ranker)


def fallback_rankers() -> tuple[FallbackRanker, ...]:
    return _point.items()
