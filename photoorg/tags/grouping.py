"""Grouping photos: events (close in time and place) and visual groups (alike).

Events: photos sorted by capture time; a pause longer than ``EVENT_GAP``, or a
jump of more than ``EVENT_DISTANCE_KM`` between geotagged photos, starts a new
event. Photos without a capture time are left out (their file dates say when
they were copied, not taken). Titles are the date range and, when the photos
carry GPS, the nearest town from an offline gazetteer (reverse_geocode, which
ships GeoNames data; nothing is looked up online).

Visual groups: photos whose CLIP vectors are mutual near neighbours above a
similarity threshold, joined into connected components. ``granularity`` (0
coarse ... 1 fine) sets the threshold. Large libraries are first split with
mini-batch k-means so the neighbour search stays linear.

Both are written in batches, each committed with a resume point: a killed
refresh keeps its batches, and the next one (of the same photos and vectors)
carries on from there instead of starting over.

Longer than most modules: events and visual groups share the batched,
resumable writing and the titles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from photoorg.ml.selection import current_choice
from photoorg.progress import CancelToken, Progress
from photoorg.roots import PHOTOS_GENERATION
from photoorg.search.filters import visible_photos
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Model, Photo, PhotoGroup, PhotoGroupMember, PhotoTag, Setting
from photoorg.tags.store import effective_rows
from photoorg.tags.vocabulary import TagTree

EVENT_GAP = timedelta(hours=4)
EVENT_DISTANCE_KM = 50.0
MIN_EVENT_PHOTOS = 3
MIN_GROUP_PHOTOS = 3
DEFAULT_GRANULARITY = 0.5
GRANULARITY_SETTING = "groups.granularity"
VISUAL_STATE_SETTING = "groups.visual_state"
EVENTS_STATE_SETTING = "groups.events_state"
GROUPS_GENERATION = "groups"

EVENT_BATCH = 200  # events per committed transaction

EVENT = "event"
VISUAL = "visual"


@dataclass
class Event:
    photo_ids: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.times[0]

    @property
    def end(self) -> datetime:
        return self.times[-1]

    def centre(self) -> tuple[float, float] | None:
        if not self.points:
            return None
        lats, lons = zip(*self.points)
        return float(np.median(lats)), float(np.median(lons))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def find_events(
    rows: list[tuple[int, datetime, float | None, float | None]],
    gap: timedelta = EVENT_GAP,
    distance: float = EVENT_DISTANCE_KM,
    minimum: int = MIN_EVENT_PHOTOS,
) -> list[Event]:
    """Split (photo id, taken at, lat, lon) rows into events."""
    events: list[Event] = []
    current: Event | None = None
    last_point: tuple[float, float] | None = None
    for photo_id, taken, lat, lon in sorted(rows, key=lambda r: (r[1], r[0])):
        point = (lat, lon) if lat is not None and lon is not None else None
        new = current is None or taken - current.end > gap
        if (
            not new
            and point is not None
            and last_point is not None
            and distance_km(point, last_point) > distance
        ):
            new = True
        if new:
            current = Event()
            events.append(current)
            last_point = None
        current.photo_ids.append(photo_id)
        current.times.append(taken)
        if point is not None:
            current.points.append(point)
            last_point = point
    return [e for e in events if len(e.photo_ids) >= minimum]


def date_range_title(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return start.strftime("%a %-d %b %Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.strftime('%-d %b %Y')}"
    if start.year == end.year:
        return f"{start.strftime('%-d %b')} – {end.strftime('%-d %b %Y')}"
    return f"{start.strftime('%-d %b %Y')} – {end.strftime('%-d %b %Y')}"


def place_name(point: tuple[float, float] | None) -> str | None:
    if point is None:
        return None
    from photoorg.places.geocode import place_of  # lazy: the gazetteer loads on first use

    found = place_of(*point)
    return (found.label or None) if found else None


# -- visual groups ----------------------------------------------------------------------------


def similarity_threshold(granularity: float) -> float:
    """0 (coarse: looser groups) .. 1 (fine: only near-identical)."""
    return 0.70 + 0.25 * min(1.0, max(0.0, granularity))


def find_visual_groups(
    photo_ids: np.ndarray, vectors: np.ndarray, granularity: float = DEFAULT_GRANULARITY, neighbours: int = 10
) -> list[list[int]]:
    """Connected components of the mutual-k-nearest-neighbour graph above the
    threshold; groups of at least MIN_GROUP_PHOTOS, largest first."""
    if len(photo_ids) < MIN_GROUP_PHOTOS:
        return []
    groups = [
        group
        for part in _partitions(vectors)
        for group in partition_groups(photo_ids, vectors, part, granularity, neighbours)
    ]
    groups.sort(key=len, reverse=True)
    return groups


def partition_groups(
    photo_ids: np.ndarray,
    vectors: np.ndarray,
    part: np.ndarray,
    granularity: float = DEFAULT_GRANULARITY,
    neighbours: int = 10,
) -> list[list[int]]:
    """The visual groups among the rows ``part`` of one partition, largest first."""
    # lazy: scipy adds ~0.1 s; only grouping needs it
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    if len(part) < MIN_GROUP_PHOTOS:
        return []
    threshold = similarity_threshold(granularity)
    sub = vectors[part]
    k = min(neighbours, len(part) - 1)
    rows, cols = [], []
    for start in range(0, len(part), 1024):
        sims = sub[start : start + 1024] @ sub.T
        for r in range(sims.shape[0]):
            sims[r, start + r] = -1.0  # not your own neighbour
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for r in range(sims.shape[0]):
            keep = nearest[r][sims[r, nearest[r]] >= threshold]
            rows.extend([start + r] * len(keep))
            cols.extend(keep.tolist())
    graph = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(part), len(part)))
    mutual = graph.multiply(graph.T)  # both must count each other as close
    count, labels = connected_components(mutual, directed=False)
    groups = []
    for label in range(count):
        members = np.nonzero(labels == label)[0]
        if len(members) >= MIN_GROUP_PHOTOS:
            groups.append([int(photo_ids[part[m]]) for m in members])
    groups.sort(key=len, reverse=True)
    return groups


def _partitions(vectors: np.ndarray, size: int = 4000) -> list[np.ndarray]:
    n = len(vectors)
    if n <= size:
        return [np.arange(n)]
    # lazy: sklearn takes seconds to import; only visual grouping needs it
    from sklearn.cluster import MiniBatchKMeans

    clusters = max(2, n // (size // 2))
    labels = MiniBatchKMeans(n_clusters=clusters, random_state=0, batch_size=4096, n_init=3).fit_predict(
        vectors
    )
    return [np.nonzero(labels == c)[0] for c in range(clusters) if np.any(labels == c)]


# -- storing -------------------------------------------------------------------------------------


def _cover(photo_ids: list[int], marks: dict[int, tuple[int, bool]], vectors: dict[int, np.ndarray]) -> int:
    """A favourite or the best rated; else the most typical photo of the group."""
    marked = [p for p in photo_ids if marks.get(p, (0, False))[1] or marks.get(p, (0, False))[0] >= 4]
    if marked:
        return max(marked, key=lambda p: (marks[p][1], marks[p][0]))
    present = [p for p in photo_ids if p in vectors]
    if present:
        matrix = np.stack([vectors[p] for p in present])
        centre = matrix.mean(axis=0)
        return present[int(np.argmax(matrix @ centre))]
    return photo_ids[len(photo_ids) // 2]


def _vectors(db: Database) -> dict[int, np.ndarray]:
    choice = current_choice(db)
    with db.session() as s:
        model = s.scalar(select(Model).where(Model.key == choice.key))
        if model is None:
            return {}
        rows = (
            s.connection()
            .exec_driver_sql(
                "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model_id = ? AND p.state = 'ok' AND p.missing_since IS NULL ORDER BY e.photo_id",
                (model.id,),
            )
            .fetchall()
        )
    return {pid: np.frombuffer(blob, dtype="<f4") for pid, blob in rows}


def _group_title(photo_ids: list[int], tag_names: dict[int, list[str]], number: int) -> str:
    counts = Counter(name for p in photo_ids for name in tag_names.get(p, []))
    if counts:
        name, _ = counts.most_common(1)[0]
        return name.capitalize()
    return f"Similar photos {number}"


def refresh_groups(
    db: Database, token: CancelToken | None = None, *, force: bool = False
) -> Generator[Progress, None, dict[str, dict[str, int]]]:
    """Recompute events when the photos changed, and visual groups when the
    vectors or the granularity changed, since the last time. Returns what ran
    as ``index --json`` reports stages ("groups": groups written)."""

    written = {"done": 0, "failed": 0}
    ran = False
    events_state = [db.generation(PHOTOS_GENERATION)]
    if force or db.get_setting(EVENTS_STATE_SETTING) != events_state:
        written["done"] += yield from _refresh_events(db, events_state, token)
        ran = True
    _checkpoint(token)
    granularity = float(db.get_setting(GRANULARITY_SETTING, DEFAULT_GRANULARITY))
    state = [db.generation("embeddings"), current_choice(db).key, granularity]
    if force or db.get_setting(VISUAL_STATE_SETTING) != state:
        yield Progress("groups", 0, None, message="Finding visually similar photos")
        written["done"] += yield from refresh_visual_groups(db, granularity, state=state, token=token)
        ran = True
    return {"groups": written} if ran else {}


def _checkpoint(token: CancelToken | None) -> None:
    if token is not None:
        token.checkpoint()


def _resume_point(db, setting: str, state: list) -> int | None:
    """Where an interrupted refresh of the same state left off (None: start over)."""
    saved = db.get_setting(setting)
    if isinstance(saved, dict) and saved.get("state") == state:
        return int(saved.get("done", 0))
    return None


def _batches(
    db, kind: str, state_setting: str, state: list, count: int, token: CancelToken | None, size: int
) -> Iterator[tuple[int, int, Session]]:
    """Write ``count`` items of one kind of group in batches, resuming an
    interrupted refresh of the same state.

    Yields (start, end, session) inside each batch's transaction; the batch's
    rows and the resume point commit together, so a kill loses at most the
    batch in flight. The first batch of a fresh refresh clears the old groups;
    the last marks the state done.
    """
    progress_setting = state_setting + ".progress"
    done = _resume_point(db, progress_setting, state)
    fresh = done is None
    done = done or 0
    while fresh or done < count:
        _checkpoint(token)
        end = min(count, done + size)
        with db.transaction() as s:
            if fresh:
                # Not done until the last batch says so: a plain refresh after
                # a kill must resume, not take the old state for current.
                s.execute(delete(PhotoGroup).where(PhotoGroup.kind == kind))
                s.execute(delete(Setting).where(Setting.key == state_setting))
                fresh = False
            yield done, end, s
            finished = end >= count
            s.merge(
                Setting(key=state_setting, value=state)
                if finished
                else Setting(key=progress_setting, value={"state": state, "done": end})
            )
            if finished:
                s.execute(delete(Setting).where(Setting.key == progress_setting))
            bump_generation(s, GROUPS_GENERATION)
        done = end


def _refresh_events(db: Database, state: list, token: CancelToken | None) -> Iterator[Progress]:
    """Events written in batches; returns how many."""
    with db.session() as s:
        rows = s.execute(
            select(
                Photo.id, Photo.taken_at, Photo.gps_lat, Photo.gps_lon, Photo.rating, Photo.favorite
            ).where(visible_photos(), Photo.taken_at.is_not(None))
        ).all()
        marks = {
            pid: (rating, bool(fav))
            for pid, rating, fav in s.execute(
                select(Photo.id, Photo.rating, Photo.favorite).where(visible_photos())
            )
        }
    message = "Grouping photos into events"
    yield Progress("groups", 0, None, message=message)
    vectors = _vectors(db)
    events = find_events([(r[0], r[1], r[2], r[3]) for r in rows])
    place_cache: dict[tuple[float, float], str | None] = {}
    now = datetime.now()
    for start, end, s in _batches(db, EVENT, EVENTS_STATE_SETTING, state, len(events), token, EVENT_BATCH):
        for event in events[start:end]:
            centre = event.centre()
            key = (round(centre[0], 2), round(centre[1], 2)) if centre else None
            if key not in place_cache:
                place_cache[key] = place_name(centre)
            place = place_cache[key]
            title = date_range_title(event.start, event.end) + (f" · {place}" if place else "")
            _add_group(
                s,
                event.photo_ids,
                kind=EVENT,
                title=title,
                cover_photo_id=_cover(event.photo_ids, marks, vectors),
                start=event.start,
                end=event.end,
                lat=centre[0] if centre else None,
                lon=centre[1] if centre else None,
                created_at=now,
            )
        yield Progress("groups", end, len(events), message=message)
    return len(events)


def _add_group(s: Session, photo_ids: list[int], **fields) -> None:
    group = PhotoGroup(**fields)
    s.add(group)
    s.flush()
    s.add_all(PhotoGroupMember(group_id=group.id, photo_id=p) for p in photo_ids)


def refresh_visual_groups(
    db: Database,
    granularity: float,
    vectors: dict[int, np.ndarray] | None = None,
    *,
    state: list | None = None,
    token: CancelToken | None = None,
) -> Generator[Progress, None, int]:
    """Visual groups, found partition by partition and committed in batches
    (resumed where a killed run of the same ``state`` stopped); returns how
    many groups there are."""
    vectors = _vectors(db) if vectors is None else vectors
    state = state if state is not None else ["unrecorded", granularity]
    ids = np.fromiter(vectors, dtype=np.int64, count=len(vectors))
    matrix = np.stack([vectors[i] for i in ids]) if len(ids) else np.empty((0, 1), np.float32)
    parts = _partitions(matrix) if len(ids) >= MIN_GROUP_PHOTOS else []
    tree = TagTree.load(db)
    with db.session() as s:
        marks = {
            pid: (rating, bool(fav))
            for pid, rating, fav in s.execute(
                select(Photo.id, Photo.rating, Photo.favorite).where(visible_photos())
            )
        }
    message = "Finding visually similar photos"
    # One batch is one partition (a few thousand photos at most), so the
    # unit of work and the unit of commit are the same.
    for start, end, s in _batches(db, VISUAL, VISUAL_STATE_SETTING, state, len(parts), token, 1):
        number = s.scalar(select(func.count()).select_from(PhotoGroup).where(PhotoGroup.kind == VISUAL)) or 0
        for part in parts[start:end]:
            groups = partition_groups(ids, matrix, part, granularity)
            tag_names = _tag_names(s, [p for g in groups for p in g], tree, effective_rows())
            for photo_ids in groups:
                number += 1
                _add_group(
                    s,
                    photo_ids,
                    kind=VISUAL,
                    title=_group_title(photo_ids, tag_names, number),
                    cover_photo_id=_cover(photo_ids, marks, vectors),
                    created_at=datetime.now(),
                )
        yield Progress("groups", end, len(parts), message=message)
    with db.session() as s:
        count = s.scalar(select(func.count()).select_from(PhotoGroup).where(PhotoGroup.kind == VISUAL)) or 0
    message = f"{count} visual groups" if len(ids) else "Visual groups wait for the CLIP model"
    yield Progress("groups", count, count, message=message)
    return count


def _tag_names(s: Session, members: list[int], tree, effective) -> dict[int, list[str]]:
    tag_names: dict[int, list[str]] = {}
    for start in range(0, len(members), 900):
        for pid, tag_id in s.execute(
            select(PhotoTag.photo_id, PhotoTag.tag_id).where(
                PhotoTag.photo_id.in_(members[start : start + 900]), effective
            )
        ):
            tag_names.setdefault(pid, []).append(tree.names.get(tag_id, ""))
    return tag_names


@dataclass(frozen=True)
class GroupInfo:
    """An event or a visual group with its visible photos (oldest first)."""

    id: int
    kind: str
    title: str
    start: datetime | None
    end: datetime | None
    gps: tuple[float, float] | None
    cover: str | None
    photos: list[str]

    def as_dict(self) -> dict:
        """As ``photoorg groups --json`` prints it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "start": self.start.isoformat(timespec="seconds") if self.start else None,
            "end": self.end.isoformat(timespec="seconds") if self.end else None,
            "gps": {"lat": self.gps[0], "lon": self.gps[1]} if self.gps else None,
            "cover": self.cover,
            "count": len(self.photos),
            "photos": self.photos,
        }


def group_infos(db: Database, kind: str | None = None) -> list[GroupInfo]:
    """Groups that still have a visible photo, events newest first."""
    with db.session() as s:
        query = select(PhotoGroup).order_by(PhotoGroup.kind, PhotoGroup.start.desc(), PhotoGroup.id)
        if kind:
            query = query.where(PhotoGroup.kind == kind)
        groups = list(s.scalars(query))
        members: dict[int, list[str]] = {}
        for group_id, path in s.execute(
            select(PhotoGroupMember.group_id, Photo.path)
            .join(Photo, Photo.id == PhotoGroupMember.photo_id)
            .where(visible_photos())
            .order_by(Photo.date, Photo.id)
        ):
            members.setdefault(group_id, []).append(path)
        covers = dict(
            s.execute(
                select(Photo.id, Photo.path).where(
                    Photo.id.in_([g.cover_photo_id for g in groups if g.cover_photo_id])
                )
            ).all()
        )
    return [
        GroupInfo(
            id=group.id,
            kind=group.kind,
            title=group.title,
            start=group.start,
            end=group.end,
            gps=(group.lat, group.lon) if group.lat is not None else None,
            cover=covers.get(group.cover_photo_id),
            photos=members[group.id],
        )
        for group in groups
        if members.get(group.id)
    ]


def list_groups(db: Database, kind: str | None = None) -> list[dict]:
    """:func:`group_infos` as ``photoorg groups --json`` prints them."""
    return [group.as_dict() for group in group_infos(db, kind)]
