"""Multi-index hashing (Norouzi, Punjani & Fleet, 2012): the pairs of 64-bit
hashes within a few bits of each other, without comparing all pairs.

Each hash is cut into ``m`` chunks, each with its own lookup table (a count
and a start per chunk value, so a probe is two array reads). Two hashes within
``r`` bits differ by at most ``r // m`` bits in at least one chunk
(pigeonhole), so probing each table at the query's chunk and its neighbours
within ``r // m`` bits finds every such pair; the candidates are then checked
on all 64 bits. ``m`` follows the index's size (4 chunks of 16 bits up to 256k
hashes, 3 of 21-22 bits above), so a probe meets about one hash whatever the
size. Everything is vectorised in numpy.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

_MAX_CANDIDATES = 1 << 24  # per vectorised step, to bound memory


def popcount64(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    as_bytes = values.view(np.uint8).reshape(-1, 8)  # numpy < 2
    return np.unpackbits(as_bytes, axis=1).sum(axis=1)


def as_unsigned(hashes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashes, dtype=np.int64).view(np.uint64)


def _masks(bits: int, flips: int) -> np.ndarray:
    masks = [0]
    for k in range(1, flips + 1):
        masks += [sum(1 << b for b in combo) for combo in combinations(range(bits), k)]
    return np.asarray(masks, dtype=np.int64)


def chunk_count(size: int) -> int:
    return 4 if size <= 1 << 18 else 3


class HashIndex:
    """Lookup tables, one per chunk, over ``hashes`` (signed or unsigned 64-bit)."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = as_unsigned(hashes)
        self.chunks = chunk_count(len(self.hashes))
        width = 64 // self.chunks
        self._spans = [
            (c * width, 64 - c * width if c == self.chunks - 1 else width) for c in range(self.chunks)
        ]
        self._tables = []
        for shift, bits in self._spans:
            chunk = self._chunk(self.hashes, shift, bits)
            counts = np.bincount(chunk, minlength=1 << bits)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            self._tables.append((np.argsort(chunk, kind="stable"), counts, starts))

    @staticmethod
    def _chunk(hashes: np.ndarray, shift: int, bits: int) -> np.ndarray:
        return ((hashes >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)

    def guaranteed_flips(self, radius: int) -> int:
        """Chunk flips to probe so that every hash within ``radius`` is found."""
        return radius // self.chunks

    def search(
        self, queries: np.ndarray, max_distance: int, flips: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, hash index, distance) of the hashes within
        ``max_distance`` bits of a query that share a chunk with it up to
        ``flips`` bits (all of them when ``flips`` is ``guaranteed_flips``);
        a pair may come more than once."""
        queries = as_unsigned(queries)
        found_q, found_t, found_d = [], [], []
        for (shift, bits), (order, counts, starts) in zip(self._spans, self._tables):
            chunk = self._chunk(queries, shift, bits)
            for mask in _masks(bits, flips):
                keys = chunk ^ mask
                n = counts[keys]
                hit = np.flatnonzero(n)
                if not len(hit):
                    continue
                for lo in range(0, len(hit), _MAX_CANDIDATES):
                    part = hit[lo : lo + _MAX_CANDIDATES]
                    pn = n[part]
                    qi = np.repeat(part, pn)
                    offsets = np.arange(len(qi)) - np.repeat(np.cumsum(pn) - pn, pn)
                    ti = order[np.repeat(starts[keys[part]], pn) + offsets]
                    d = popcount64(queries[qi] ^ self.hashes[ti])
                    keep = d <= max_distance
                    found_q.append(qi[keep])
                    found_t.append(ti[keep])
                    found_d.append(d[keep].astype(np.int64))
        if not found_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(found_q), np.concatenate(found_t), np.concatenate(found_d)
