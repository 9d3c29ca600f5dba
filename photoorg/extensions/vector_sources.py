"""More vectors per photo for search by meaning: a video's keyframes. Each
source is a table shaped like the embeddings (see
``search.vector_index.VectorTable``), served by its own memory-mapped
snapshot; a query ranks each source beside the photos' embeddings, and a photo
scores its best vector. ``locate`` says where in the photo that best vector
is (seconds into a video), for the result to point at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.orm import Session

    from photoorg.search.vector_index import VectorTable


@dataclass(frozen=True)
class VectorSource:
    table: VectorTable
    #: (session, photo id, model id, query vector) -> seconds into the photo's
    #: video of its vector nearest the query, or None
    locate: Callable[[Session, int, int, np.ndarray], float | None]


_point: NamedExtensionPoint[VectorSource] = NamedExtensionPoint("vector source")


def register_vector_source(name: str, source: VectorSource) -> None:
    _point.register(name, source)


def vector_sources() -> dict[str, VectorSource]:
    return dict(_point.items())
