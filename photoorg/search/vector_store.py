"""The vectors of one model as files beside the database: memory-mapped, and
an inverted-file (IVF) index over them past a size where brute force stops
being instant.

Loading a million vectors from SQLite takes ~20 s; mapping these files takes
milliseconds, and the pages a query needs come in as it reads them. A
snapshot is one folder of ``.npy`` files (float32 vectors, photo ids and
embedding row ids in storage order, and for the IVF its centroids and list
boundaries) with a ``meta.json``; ``current.json`` names the live folder and
is replaced atomically, so readers never see a half-written snapshot.

Why an IVF written here rather than faiss: the lists are contiguous slices of
one memory-mapped matrix, so a first query reads only the lists it probes,
and filtered search is a mask over the candidate rows. Scores are exact
float32 dot products of the candidates; only which rows become candidates is
approximate. How many lists a query reads is calibrated on each snapshot's
own vectors for recall@20 ≥ 0.995, and vectors with no structure to exploit
get no IVF at all (see calibrate_probes and benchmarks/bench_search.py).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 1
# Below this many vectors a query reads them all (~5 ms on a quiet machine);
# above, the IVF: exact brute force over 100k is 15-40 ms a query on two
# cores, more on a busy machine, against ~3 ms for the IVF at any size.
IVF_MIN_ROWS = 50_000
# How many lists a query reads is calibrated per snapshot (see
# calibrate_probes): the fewest reaching this recall@20 on probe queries, at
# least MIN_PROBES, and no IVF at all past MAX_PROBE_SHARE of the lists.
TARGET_RECALL = 0.995
MIN_PROBES = 16
MAX_PROBE_SHARE = 0.25
_CALIBRATION_QUERIES = 64
_KMEANS_SAMPLE_PER_LIST = 48
_KMEANS_ITERATIONS = 8
_MAX_LIST_FACTOR = 3  # a list over 3x the average size is split


@dataclass
class Snapshot:
    """One written state of the store: the rows it holds and how to search them."""

    folder: Path | None  # None: held in memory only (a read-only library)
    meta: dict
    matrix: np.ndarray  # (n, dim) float32, memory-mapped, in storage order
    photo_ids: np.ndarray  # (n,) int64, row-aligned with the matrix
    row_ids: np.ndarray  # (n,) int64, the embeddings rows they came from
    centroids: np.ndarray | None = None  # (lists, dim) float32: the IVF, when there is one
    offsets: np.ndarray | None = None  # (lists + 1,) int64: list l is rows offsets[l]:offsets[l+1]

    @property
    def token(self) -> str:
        return self.meta["token"]

    @property
    def max_row_id(self) -> int:
        return int(self.meta["max_row_id"])

    def __len__(self) -> int:
        return len(self.photo_ids)

    def probe_spans(self, query: np.ndarray, probes: int) -> list[tuple[int, int]]:
        """Row spans of the ``probes`` lists nearest the query (IVF only).
        Each list is one contiguous slice: scoring it reads the mapped file
        in place, with no copy."""
        assert self.centroids is not None and self.offsets is not None
        probes = min(probes, len(self.centroids))
        nearest = np.argpartition(-_dot(self.centroids, query), probes - 1)[:probes]
        return [(int(self.offsets[c]), int(self.offsets[c + 1])) for c in np.sort(nearest)]

    def score(self, query: np.ndarray, rows: np.ndarray | list[tuple[int, int]] | None) -> tuple:
        """(positions, photo ids, scores) of the given rows: all (None), spans
        of rows, or an array of positions."""
        if rows is None:
            return np.arange(len(self.photo_ids)), self.photo_ids, self.matrix @ query
        if isinstance(rows, list):
            spans = [(a, b) for a, b in rows if b > a]
            if not spans:
                return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
            positions = np.concatenate([np.arange(a, b) for a, b in spans])
            scores = np.concatenate([_dot(self.matrix[a:b], query) for a, b in spans])
            return positions, self.photo_ids[positions], scores
        return rows, self.photo_ids[rows], self.matrix[rows] @ query

    def default_probes(self) -> int:
        return int(self.meta.get("probes") or MIN_PROBES)


def _dot(block: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``block @ query`` without BLAS. For the small products of an IVF query
    (a few hundred rows) a multithreaded BLAS spends more waking its threads
    than computing, and on a busy machine each wake-up waits for a core:
    measured 30 ms a query for 10k rows under load, against ~3 ms here."""
    return np.einsum("ij,j->i", block, query)


def new_token() -> str:
    return secrets.token_hex(8)


def write_snapshot(
    store_dir: Path,
    row_ids: np.ndarray,
    photo_ids: np.ndarray,
    matrix: np.ndarray,
    *,
    token: str,
    model_id: int,
    ivf_min_rows: int = IVF_MIN_ROWS,
) -> Snapshot:
    """Write a snapshot (rows in any order) and make it current.

    Raises OSError when the folder can't be written (a read-only library):
    the caller then searches from memory.
    """
    # The vectors say what is in the user's photos: private like the database.
    store_dir.parent.mkdir(mode=0o700, exist_ok=True)
    store_dir.mkdir(mode=0o700, exist_ok=True)
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    centroids = offsets = None
    probes = 0
    if len(matrix) >= ivf_min_rows:
        centroids, lists = train_lists(matrix)
        order = np.argsort(lists, kind="stable")
        offsets = np.searchsorted(lists[order], np.arange(len(centroids) + 1)).astype(np.int64)
        matrix, row_ids, photo_ids = matrix[order], row_ids[order], photo_ids[order]
        probes = calibrate_probes(matrix, centroids, offsets)
        if probes is None:
            # These vectors have no structure a list can exploit (uniform
            # noise): every query would read most lists. Read them all.
            centroids = offsets = None
    folder = store_dir / f"snapshot-{token}"
    folder.mkdir()
    np.save(folder / "vectors.npy", matrix)
    np.save(folder / "photo_ids.npy", np.asarray(photo_ids, dtype=np.int64))
    np.save(folder / "row_ids.npy", np.asarray(row_ids, dtype=np.int64))
    if centroids is not None:
        np.save(folder / "centroids.npy", centroids)
        np.save(folder / "offsets.npy", offsets)
    meta = {
        "format": FORMAT,
        "token": token,
        "model_id": model_id,
        "dim": int(matrix.shape[1]) if matrix.ndim == 2 else 0,
        "count": len(row_ids),
        "max_row_id": int(np.max(row_ids)) if len(row_ids) else 0,
        "ivf": centroids is not None,
        "probes": probes or 0,
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    pointer = store_dir / "current.json"
    temporary = store_dir / f".current-{token}.json"
    temporary.write_text(json.dumps({"folder": folder.name}))
    os.replace(temporary, pointer)
    _remove_old_snapshots(store_dir, keep=folder.name)
    return read_snapshot(store_dir)


def read_snapshot(store_dir: Path) -> Snapshot | None:
    """The current snapshot, memory-mapped; None when there is none or it is unreadable."""
    try:
        name = json.loads((store_dir / "current.json").read_text())["folder"]
        folder = store_dir / name
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT:
            return None
        ivf = bool(meta.get("ivf"))
        matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        if not ivf:
            # Brute force reads every row each query: small enough (below
            # IVF_MIN_ROWS) to hold in memory, where nothing can page it out.
            matrix = np.array(matrix)
        return Snapshot(
            folder,
            meta,
            matrix,
            np.load(folder / "photo_ids.npy"),
            np.load(folder / "row_ids.npy"),
            np.load(folder / "centroids.npy") if ivf else None,
            np.load(folder / "offsets.npy") if ivf else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remove_old_snapshots(store_dir: Path, keep: str) -> None:
    # A reader still mapping an old snapshot keeps its pages: unlinking an
    # open file is safe on POSIX, and Windows refuses (then it stays a while).
    for old in store_dir.glob("snapshot-*"):
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def calibrate_probes(
    matrix: np.ndarray, centroids: np.ndarray, offsets: np.ndarray, seed: int = 1
) -> int | None:
    """The fewest lists a query must read for recall@20 ≥ TARGET_RECALL,
    measured on queries made from stored vectors plus noise of their own size
    (cosine ~0.7 to the vector they came from: as far as a text query sits
    from its best photos, or further). None when that needs more than
    MAX_PROBE_SHARE of the lists."""
    rng = np.random.default_rng(seed)
    picks = matrix[rng.choice(len(matrix), size=min(len(matrix), _CALIBRATION_QUERIES), replace=False)]
    noise = rng.standard_normal(picks.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    queries = picks + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    limit = 20
    scores = np.empty((len(matrix), len(queries)), np.float32)
    for start in range(0, len(matrix), 65_536):
        scores[start : start + 65_536] = matrix[start : start + 65_536] @ queries.T
    truth = np.argpartition(-scores, limit - 1, axis=0)[:limit].T  # (queries, limit) row positions
    list_of_row = np.repeat(np.arange(len(centroids)), np.diff(offsets))
    ranked_lists = np.argsort(-(queries @ centroids.T), axis=1)
    ceiling = int(len(centroids) * MAX_PROBE_SHARE)
    probes = min(MIN_PROBES, len(centroids))
    while probes <= ceiling:
        recalls = []
        for q in range(len(queries)):
            read = np.zeros(len(centroids), dtype=bool)
            read[ranked_lists[q, :probes]] = True
            candidates = np.nonzero(read[list_of_row])[0]
            top = candidates[np.argpartition(-scores[candidates, q], min(limit, len(candidates)) - 1)[:limit]]
            recalls.append(len(np.intersect1d(top, truth[q])) / limit)
        if np.mean(recalls) >= TARGET_RECALL:
            return probes
        probes = int(probes * 1.5) + 1
    return None


def train_lists(matrix: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means on a sample, then every row's nearest centroid, then
    lists far above the average size split in place.

    About 2·√n lists: ~500 rows each at a million. In high dimensions a few
    centroids become hubs that collect the rows near nothing in particular,
    and queries land in them as often as anywhere: splitting them keeps what
    a query reads close to the average.
    """
    n = len(matrix)
    count = max(1, int(2 * np.sqrt(n)))
    rng = np.random.default_rng(seed)
    sample = matrix[rng.choice(n, size=min(n, count * _KMEANS_SAMPLE_PER_LIST), replace=False)]
    centroids = _kmeans(sample, count, rng)
    labels = nearest_centroid(matrix, centroids)
    sizes = np.bincount(labels, minlength=len(centroids))
    limit = max(64, int(_MAX_LIST_FACTOR * n / len(centroids)))
    extra = []
    for big in np.nonzero(sizes > limit)[0]:
        rows = np.nonzero(labels == big)[0]
        parts = int(np.ceil(len(rows) / (n / len(centroids))))
        sub = _kmeans(matrix[rows], parts, rng)
        sub_labels = nearest_centroid(matrix[rows], sub)
        centroids[big] = sub[0]
        for k in range(1, len(sub)):
            labels[rows[sub_labels == k]] = len(centroids) + len(extra)
            extra.append(sub[k])
    if extra:
        centroids = np.vstack([centroids, np.asarray(extra, dtype=np.float32)])
    return centroids.astype(np.float32), labels


def _kmeans(sample: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    from scipy import sparse

    count = max(1, min(count, len(sample)))
    centroids = sample[rng.choice(len(sample), size=count, replace=False)].astype(np.float32)
    for _ in range(_KMEANS_ITERATIONS):
        labels = nearest_centroid(sample, centroids)
        members = sparse.csr_matrix(
            (np.ones(len(sample), np.float32), (labels, np.arange(len(sample)))), shape=(count, len(sample))
        )
        sums = np.asarray(members @ sample)
        empty = np.bincount(labels, minlength=count) == 0
        sums[empty] = sample[rng.choice(len(sample), size=int(empty.sum()))]
        centroids = (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return centroids


def nearest_centroid(matrix: np.ndarray, centroids: np.ndarray, chunk: int = 32_768) -> np.ndarray:
    labels = np.empty(len(matrix), dtype=np.int64)
    for start in range(0, len(matrix), chunk):
        labels[start : start + chunk] = np.argmax(matrix[start : start + chunk] @ centroids.T, axis=1)
    return labels
