"""Query rewriters read a parsed query before it runs (tags: a bare word that
names a tag becomes that tag's filter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from photoorg.search.engine import SearchEngine
    from photoorg.search.query import ParsedQuery

QueryRewriter = Callable[["SearchEngine", "ParsedQuery"], "ParsedQuery"]

_point: ExtensionPoint[QueryRewriter] = ExtensionPoint("query rewriter")


def register_query_rewriter(rewriter: QueryRewriter) -> None:
    _point.register(rewriter)


def query_rewriters() -> tuple[QueryRewriter, ...]:
    return _point.items()
