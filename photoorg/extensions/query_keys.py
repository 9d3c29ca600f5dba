"""Query syntax: ``key:value`` tokens a capability adds to the search field
(``tag:beach``, ``-tag:screenshot``, ``person:"Aunt Mary"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from photoorg.errors import ExtensionConflict
from photoorg.extensions._point import NamedExtensionPoint

#: Fields of ``SearchFilters`` to add: a tuple is appended to the field, a dict
#: is merged into it (``extra``), anything else replaces it.
FilterUpdate = Mapping[str, Any]
#: (value, negated by a leading "-") -> the update, or None to keep the token
#: as plain text ("note: 10:30" stays a description)
QueryKeyHandler = Callable[[str, bool], "FilterUpdate | None"]

#: the core's own keys, read by photoorg.search.query; no capability can take one
CORE_KEYS = frozenset({"camera", "folder", "after", "from", "before", "to", "date", "album", "is", "rating"})

_point: NamedExtensionPoint[QueryKeyHandler] = NamedExtensionPoint("query key")


def register_query_key(key: str, handler: QueryKeyHandler) -> None:
    """``key`` is matched without regard to case."""
    if key.lower() in CORE_KEYS:
        raise ExtensionConflict(f"The query key {key!r} is the core's.")
    _point.register(key.lower(), handler)


def query_keys() -> Mapping[str, QueryKeyHandler]:
    return _point.items()


#: the core's own ``is:`` values; a capability adds others (``is:blurry``)
CORE_IS_VALUES = frozenset({"favorite", "favourite", "fav"})

_is_point: NamedExtensionPoint[QueryKeyHandler] = NamedExtensionPoint("is: value")


def register_is_value(value: str, handler: QueryKeyHandler) -> None:
    """``is:value`` (the ``is`` key is the core's; its values are open)."""
    if value.lower() in CORE_IS_VALUES:
        raise ExtensionConflict(f"The value is:{value} is the core's.")
    _is_point.register(value.lower(), handler)


def is_values() -> Mapping[str, QueryKeyHandler]:
    return _is_point.items()
