"""Rankings fused into a plain text search: photos that the words match by
something other than their look (words written in them, the place they were
taken). The engine merges them with CLIP's ranking (or the tag fallback's) by
reciprocal rank fusion, see :mod:`photoorg.search.fusion`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: (a read session, the query's free text, how many) -> photo ids, best first
SearchRanker = Callable[["Session", str, int], "list[int]"]

_point: NamedExtensionPoint[SearchRanker] = NamedExtensionPoint("search ranker")


def register_search_ranker(name: str, ranker: SearchRanker) -> None:
    _point.register(name, ranker)


def search_rankers() -> Mapping[str, SearchRanker]:
    return _point.items()
