"""Which photos are copies of one another, and which were shot in a burst.

- **Exact**: the same content hash (byte-identical files at two paths).
- **Near**: the same picture after a resize, recompression, format change,
  edit, crop of up to 10%, turn or mirror. Candidates come from multi-index
  hashing (mih.py) on the pHash: every photo's plain hash is indexed, and each
  photo asks with its seven other turns/flips and its nine crop windows
  (fingerprint.py). A candidate is kept when its dHash agrees too, and when the
  CLIP vectors, where both photos have one, do not say otherwise: CLIP is the
  second signal, never the only one. A crop of a crop is not taken (two 10%
  crops chain to another framing), and a group keeps one capture time: copies
  of one shot share it, so two shots never meet through a copy that lost it.
- **Burst**: photos taken seconds apart that look alike. Two photos whose
  capture times both exist and differ are distinct shots, so they are a burst
  at most, never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from photoorg.duplicates.mih import HashIndex, as_unsigned, popcount64
from photoorg.duplicates.store import KIND_BURST, KIND_EXACT, KIND_NEAR

#: pHash bits (of 64) within which two whole pictures are near-duplicate candidates
NEAR_PHASH = 7
#: chunk bits flipped when probing for crop windows, and the pHash distance a
#: window may be from the crop (pHashes split at their median: distances are even)
WINDOW_FLIPS, NEAR_PHASH_WINDOW = 1, 8
#: the dHash of the matching turn, or window, must agree this well...
NEAR_DHASH, NEAR_DHASH_WINDOW = 14, 12
#: ...or, where both have CLIP vectors, this far with a cosine of at least CLIP_CONFIRM
NEAR_DHASH_WITH_CLIP, CLIP_CONFIRM = 20, 0.93
#: a cosine below this says two hash-alike photos are different pictures
CLIP_VETO = 0.80
#: capture times further apart than this are two shots (EXIF times have whole
#: seconds; a copy keeps its original's exactly)
SAME_SHOT_SECONDS = 0.5
#: a burst: each photo within this many seconds of the previous one...
BURST_GAP_SECONDS = 3.0
#: ...that looks alike: pHash this close, or CLIP cosine this high where both have vectors
BURST_PHASH, BURST_CLIP = 22, 0.85


@dataclass(frozen=True)
class Hashes:
    """The fingerprints of n photos, as arrays (rows in the photos' order)."""

    phash: np.ndarray  # (n, 8) int64, per fingerprint.VARIANTS
    dhash: np.ndarray  # (n, 8)
    window_phash: np.ndarray  # (n, 9), per fingerprint.WINDOWS
    window_dhash: np.ndarray  # (n, 9)


#: (row a, row b) -> CLIP cosine of the two photos, or None where one has no vector
Similarity = Callable[[int, int], "float | None"]


def _no_clip(a: int, b: int) -> None:
    return None


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self, rows: Sequence[int]) -> list[list[int]]:
        by_root: dict[int, list[int]] = {}
        for i in rows:
            by_root.setdefault(self.find(i), []).append(i)
        return [members for members in by_root.values() if len(members) > 1]


@dataclass(frozen=True)
class Candidates:
    """Pairs of rows whose pHashes come within the radius, each once, with
    the dHash distance of their closest match. A crop match (``crop``) says
    that ``b`` looks like a window of ``a``: a crop of it."""

    a: np.ndarray
    b: np.ndarray
    dhash: np.ndarray
    crop: np.ndarray


def candidate_pairs(
    hashes: Hashes,
    radius: int = NEAR_PHASH,
    window_radius: int | None = None,
    window_flips: int = WINDOW_FLIPS,
) -> Candidates:
    """The plain hashes are searched exhaustively within ``radius``. The turns
    and mirrors are probed at the exact chunk only: a turn or mirror is a
    lossless rearrangement of the square, 0-2 bits off (measured), so it
    shares a whole chunk; probing their neighbourhoods too would cost 17 times
    the lookups. The crop windows, 2-10 bits off, are probed within
    ``window_flips`` bits of each chunk."""
    n = len(hashes.phash)
    window_radius = NEAR_PHASH_WINDOW if window_radius is None else window_radius
    index = HashIndex(hashes.phash[:, 0])
    rows = np.arange(n)
    found = [index.search(hashes.phash[:, 0], radius, index.guaranteed_flips(radius))]
    turn_q, turn_t, _ = index.search(hashes.phash[:, 1:].reshape(-1), radius, 0)
    window_q, window_t, _ = index.search(hashes.window_phash.reshape(-1), window_radius, window_flips)
    plain_q, plain_t, _ = found[0]
    a = np.concatenate([plain_q, np.repeat(rows, 7)[turn_q], np.repeat(rows, 9)[window_q]])
    b = np.concatenate([plain_t, turn_t, window_t])
    query_d = np.concatenate(
        [
            hashes.dhash[plain_q, 0],
            hashes.dhash[:, 1:].reshape(-1)[turn_q],
            hashes.window_dhash.reshape(-1)[window_q],
        ]
    )
    crop = np.concatenate([np.zeros(len(plain_q) + len(turn_q), bool), np.ones(len(window_q), bool)])
    keep = a != b
    a, b, query_d, crop = a[keep], b[keep], query_d[keep], crop[keep]
    ddist = popcount64(as_unsigned(query_d) ^ as_unsigned(hashes.dhash[b, 0])).astype(np.int64)
    # One match per pair: a whole-picture match before a crop, then the closest.
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((ddist, crop, hi, lo))
    a, b, ddist, crop, lo, hi = a[order], b[order], ddist[order], crop[order], lo[order], hi[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return Candidates(a[first], b[first], ddist[first], crop[first])


def is_near(
    dhash_distance: int, cosine: float | None, seconds_apart: float | None, crop: bool = False
) -> bool:
    """The decision on a pHash candidate pair."""
    if seconds_apart is not None and seconds_apart > SAME_SHOT_SECONDS:
        return False  # two shots
    if cosine is not None and cosine < CLIP_VETO:
        return False
    if dhash_distance <= (NEAR_DHASH_WINDOW if crop else NEAR_DHASH):
        return True
    return cosine is not None and cosine >= CLIP_CONFIRM and dhash_distance <= NEAR_DHASH_WITH_CLIP


@dataclass(frozen=True)
class FoundGroup:
    kind: str
    rows: tuple[int, ...]


def find_groups(
    hashes: Hashes,
    content_hashes: Sequence[str | None],
    times: np.ndarray,
    cameras: Sequence[str | None] | None = None,
    similarity: Similarity = _no_clip,
) -> list[FoundGroup]:
    """Exact and near-duplicate groups, then bursts among the other photos.
    ``times``: capture times in seconds (NaN where unknown)."""
    n = len(content_hashes)
    union = _UnionFind(n)
    by_hash: dict[str, int] = {}
    for row, digest in enumerate(content_hashes):
        if digest:
            if digest in by_hash:
                union.union(by_hash[digest], row)
            else:
                by_hash[digest] = row
    if n:
        found = candidate_pairs(hashes)
        cropped = np.zeros(n, dtype=bool)  # joined its group as a crop of another photo
        # A group of copies is one shot: one capture time, kept per group, so
        # two shots never meet through a copy that lost its time.
        shot_time = times.astype(np.float64).copy()
        # Whole-picture matches first, then crops; a crop of a crop is not
        # taken (two 10% crops in a row would reach a different framing).
        matches = sorted(zip(found.a, found.b, found.dhash, found.crop), key=lambda m: (m[3], m[2]))
        for a, b, d, crop in matches:
            a, b = int(a), int(b)
            ra, rb = union.find(a), union.find(b)
            if ra == rb or (crop and cropped[a]):
                continue
            ta, tb = shot_time[ra], shot_time[rb]
            apart = None if np.isnan(ta) or np.isnan(tb) else abs(float(ta - tb))
            if is_near(int(d), similarity(a, b), apart, bool(crop)):
                union.union(a, b)
                shot_time[union.find(a)] = tb if np.isnan(ta) else ta
                cropped[b] |= bool(crop)
    groups: list[FoundGroup] = []
    grouped: set[int] = set()
    for rows in union.groups(range(n)):
        same = len({content_hashes[r] for r in rows}) == 1 and content_hashes[rows[0]] is not None
        groups.append(FoundGroup(KIND_EXACT if same else KIND_NEAR, tuple(sorted(rows))))
        grouped.update(rows)
    groups += find_bursts(hashes, times, cameras, similarity, exclude=grouped)
    return groups


def find_bursts(
    hashes: Hashes,
    times: np.ndarray,
    cameras: Sequence[str | None] | None,
    similarity: Similarity = _no_clip,
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[FoundGroup]:
    """Runs of photos in time order, each within BURST_GAP_SECONDS of the last
    and alike: a sort and one pass, no pairs beyond neighbours."""
    rows = [r for r in np.argsort(times, kind="stable") if not np.isnan(times[r]) and int(r) not in exclude]
    bursts: list[FoundGroup] = []
    run: list[int] = []

    def close() -> None:
        if len(run) > 1:
            bursts.append(FoundGroup(KIND_BURST, tuple(run)))

    for row in (int(r) for r in rows):
        if run and _continues(hashes, times, cameras, similarity, run[-1], row):
            run.append(row)
            continue
        close()
        run = [row]
    close()
    return bursts


def _continues(hashes: Hashes, times, cameras, similarity: Similarity, prev: int, row: int) -> bool:
    if times[row] - times[prev] > BURST_GAP_SECONDS:
        return False
    if cameras is not None and cameras[prev] and cameras[row] and cameras[prev] != cameras[row]:
        return False
    cosine = similarity(prev, row)
    if cosine is not None:
        return cosine >= BURST_CLIP
    a = as_unsigned(hashes.phash[prev : prev + 1, 0])
    b = as_unsigned(hashes.phash[row : row + 1])
    return int(popcount64(a ^ b).min()) <= BURST_PHASH
