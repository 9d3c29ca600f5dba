"""Fields a capability adds to a photo's details (`photoorg show`, the details
panel): tags, faces."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from photoorg.store.schema import Photo

#: (the details' read session, the photo) -> keys to add, JSON-serialisable
DetailProvider = Callable[["Session", "Photo"], "dict[str, Any]"]

_point: ExtensionPoint[DetailProvider] = ExtensionPoint("show field provider")


def register_detail_provider(provider: DetailProvider) -> None:
    _point.register(provider)


def detail_providers() -> tuple[DetailProvider, ...]:
    return _point.items()
