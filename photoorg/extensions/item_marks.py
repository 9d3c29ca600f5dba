"""What a capability says about how a photo shows in a listing: a badge on its
tile (a video's duration, "RAW+JPEG"), a video to play on hover (a Live
Photo's), or that the file shows as part of another item (the RAW file of a
RAW+JPEG pair, the video of a Live Photo) and so is not listed on its own.

Each file keeps its own row: moving or trashing the item takes its companion
files along (photoorg/organize.py), and the index treats each file as itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ItemRef(NamedTuple):
    id: int
    path: str
    format: str | None


@dataclass(frozen=True)
class ItemMark:
    badge: str | None = None  # words on the tile: "0:42", "RAW+JPEG", "LIVE"
    lead: int | None = None  # this file shows as part of that photo (not listed on its own)
    motion: str | None = None  # a video to play on hover: a file, or a photo with one inside


#: (read session, photos of a listing) -> {photo id: mark}; photos left out have none
ItemMarker = Callable[["Session", Sequence[ItemRef]], Mapping[int, ItemMark]]

_point: NamedExtensionPoint[ItemMarker] = NamedExtensionPoint("item marker")


def register_item_marker(name: str, marker: ItemMarker) -> None:
    _point.register(name, marker)


def item_markers() -> tuple[ItemMarker, ...]:
    return tuple(_point.items().values())
