"""Search filters: a capability turns its part of the filters (its own fields,
or its key in ``SearchFilters.extra``) into a SQL condition on ``Photo``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from photoorg.search.filters import SearchFilters

#: filters -> a condition on Photo, or None when the filters ask nothing of it
FilterClause = Callable[["SearchFilters"], "ColumnElement[bool] | None"]

_point: ExtensionPoint[FilterClause] = ExtensionPoint("search filter clause")


def register_filter_clause(clause: FilterClause) -> None:
    _point.register(clause)


def filter_clauses() -> tuple[FilterClause, ...]:
    return _point.items()
