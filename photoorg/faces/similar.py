"""Unknown faces that look like the ones the user picked ("Select all
similar" on the review page): one numpy distance matrix, no model."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlalchemy import select

from photoorg.faces.cluster import pairwise_distances
from photoorg.faces.people import _unknown_condition
from photoorg.search.filters import visible_photos
from photoorg.store.db import Database
from photoorg.store.schema import Face, Photo


def similar_unknown_faces(db: Database, face_ids: Iterable[int], threshold: float) -> list[int]:
    """Ids of the unknown faces within ``threshold`` of any of ``face_ids``
    (the picked faces included), closest first."""
    picked = sorted(set(face_ids))
    if not picked:
        return []
    with db.session() as s:
        seeds = [row[0] for row in s.execute(select(Face.descriptor).where(Face.id.in_(picked)))]
        rows = s.execute(
            select(Face.id, Face.descriptor)
            .join(Photo, Photo.id == Face.photo_id)
            .where(_unknown_condition(), visible_photos())
        ).all()
    if not seeds or not rows:
        return []
    distances = pairwise_distances(np.stack([np.asarray(d) for _, d in rows]), np.stack(seeds)).min(axis=1)
    order = np.argsort(distances, kind="stable")
    return [int(rows[i][0]) for i in order if distances[i] <= threshold]
