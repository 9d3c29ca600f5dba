"""Search at scale: the vector store's first query, latency and recall.

For each size, a library is filled with synthetic 512-d unit vectors and the
index run's last step writes the store (a snapshot, with its IVF past
``IVF_MIN_ROWS``). Then, in a fresh process as a user's next search would be:

- the first query (opening the library, mapping the snapshot, checking it
  against the database, ranking);
- p50/p95 of ranking over many queries (the vector part of a search; the text
  tower adds ~21 ms a query, see the README);
- recall@20 against exact float32 search over every vector;
- and, in the same process, the way it was before: loading every vector from
  SQLite (the old first query) and exact search over them in memory, so the
  figures compare on a busy machine too.

The vectors are clustered (a mixture of 2,000 centres of varied spread): photos
of one kind sit together in CLIP's space, and an IVF depends on it. Queries
are drawn the same way. ``--uniform`` measures the worst case instead: points
spread evenly over the sphere, where no index beats brute force.

    python benchmarks/bench_search.py              # 100k and 1M
    python benchmarks/bench_search.py --quick      # 20k, for a smoke run

Results go to benchmarks/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
DIM = 512
MODEL_KEY = "bench:synthetic"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def _unit(block: np.ndarray) -> np.ndarray:
    return (block / np.linalg.norm(block, axis=-1, keepdims=True)).astype(np.float32)


def synthetic(
    rng: np.random.Generator, count: int, uniform: bool, centres: np.ndarray, noise: tuple = (0.35, 0.7)
) -> np.ndarray:
    """Unit vectors shaped like CLIP's image vectors: a direction they all
    share (CLIP's cone), a centre per kind of photo, and noise of varied size.
    Two photos of a kind meet at a cosine of ~0.6-0.8, of different kinds ~0.25."""
    if uniform:
        return _unit(rng.standard_normal((count, DIM)).astype(np.float32))
    shared = centres[0]  # the first "centre" is the cone's axis
    which = rng.integers(1, len(centres), count)
    spread = rng.uniform(*noise, count).astype(np.float32)[:, None]
    block = 0.5 * shared + 0.7 * centres[which] + spread * _unit(rng.standard_normal((count, DIM)))
    return _unit(block)


def build_library(size: int, uniform: bool, seed: int = 1) -> tuple[Path, np.ndarray, np.ndarray]:
    """A library of ``size`` photos and vectors; returns (folder, vectors, centres)."""
    from photoorg.library import Library

    folder = Path(tempfile.mkdtemp(prefix=f"bench-search-{size}-"))
    Library(folder).close()
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((2_001, DIM)).astype(np.float32))
    vectors = np.empty((size, DIM), np.float32)
    con = sqlite3.connect(folder / "library.db")
    con.execute("PRAGMA synchronous=OFF")
    now = "2024-01-01 00:00:00.000000"
    con.execute("INSERT INTO roots (id, path, added_at) VALUES (1, '/bench', ?)", (now,))
    con.execute(
        "INSERT INTO models (id, key, arch, pretrained, dim, created_at) VALUES (1, ?, 'bench', 'x', ?, ?)",
        (MODEL_KEY, DIM, now),
    )
    chunk = 50_000
    for start in range(0, size, chunk):
        n = min(chunk, size - start)
        ids = range(start + 1, start + n + 1)
        con.executemany(
            "INSERT INTO photos (id, root_id, path, folder, size, mtime_ns, content_hash, date, state, "
            "added_at, updated_at) VALUES (?, 1, ?, '/bench', 1, 1, ?, ?, 'ok', ?, ?)",
            ((i, f"/bench/{i:07d}.jpg", f"{i:064x}", now, now, now) for i in ids),
        )
        block = synthetic(rng, n, uniform, centres)
        vectors[start : start + n] = block
        con.executemany(
            "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, 1, ?)",
            ((i, block[k].tobytes()) for k, i in enumerate(ids)),
        )
        con.commit()
    con.execute("INSERT INTO counters (name, value) VALUES ('embeddings', 1), ('photos', 1)")
    con.commit()
    con.close()
    return folder, vectors, centres


def _child(folder: str, queries: str) -> None:
    """A fresh process: the first query, then the latency of many."""
    from photoorg.search.vector_index import VectorIndex
    from photoorg.store.db import Database

    started = time.perf_counter()
    db = Database(Path(folder) / "library.db", Path(folder) / "backups")
    index = VectorIndex(db, 1, DIM)
    query_vectors = np.load(queries)
    first_hits = index.rank(query_vectors[0], 20)
    first = time.perf_counter() - started
    latencies, results = [], []
    for query in query_vectors:
        t = time.perf_counter()
        hits = index.rank(query, 20)
        latencies.append((time.perf_counter() - t) * 1000)
        results.append([pid for pid, _ in hits])
    # A filter (every other photo, as a date range admitting half the library would).
    admitted = np.arange(1, len(index) + 1, 2, dtype=np.int64)
    filtered, filtered_results = [], []
    for query in query_vectors[:50]:
        t = time.perf_counter()
        hits = index.rank(query, 20, allowed=admitted)
        filtered.append((time.perf_counter() - t) * 1000)
        filtered_results.append([pid for pid, _ in hits])
    # The same in the same process the way it was before this store: every
    # row read from SQLite into one in-memory matrix, then exact search.
    t = time.perf_counter()
    _, photo_ids, matrix = index._read_all()
    load = time.perf_counter() - t
    exact = []
    for query in query_vectors[:50]:
        t = time.perf_counter()
        scores = matrix @ query
        photo_ids[np.argpartition(-scores, 19)[:20]]
        exact.append((time.perf_counter() - t) * 1000)
    print(
        json.dumps(
            {
                "before_load": load,
                "before_exact": exact,
                "first": first,
                "first_hits": len(first_hits),
                "latencies": latencies,
                "filtered": filtered,
                "filtered_results": filtered_results,
                "results": results,
                "ivf": bool(index._snapshot.meta.get("ivf")),
            }
        )
    )


def bench(size: int, uniform: bool, query_count: int = 200) -> dict:
    from photoorg.search.vector_index import update_vector_store
    from photoorg.store.db import Database

    log(f"building a library of {size:,} {'uniform' if uniform else 'clustered'} vectors ...")
    started = time.perf_counter()
    folder, vectors, centres = build_library(size, uniform)
    log(f"   filled in {time.perf_counter() - started:.0f} s; writing the store ...")
    db = Database(folder / "library.db", folder / "backups")
    started = time.perf_counter()
    for _ in update_vector_store(db, MODEL_KEY):
        pass
    store_seconds = time.perf_counter() - started
    db.dispose()
    # Queries are looser than photos (a text query is further from its photos
    # than they are from each other).
    queries = synthetic(np.random.default_rng(99), query_count, uniform, centres, noise=(0.6, 0.9))
    query_file = folder / "queries.npy"
    np.save(query_file, queries)
    del centres
    log(f"   store written in {store_seconds:.0f} s; querying in a fresh process ...")
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), str(query_file)],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    measured = json.loads(child.stdout)
    recalls = []
    for query, got in zip(queries, measured["results"], strict=True):
        scores = vectors @ query
        truth = np.argpartition(-scores, 19)[:20] + 1  # photo ids are row + 1
        recalls.append(len(set(truth.tolist()) & set(got)) / 20)
    # The filter admits odd photo ids (rows 0, 2, 4... as ids are row + 1).
    filtered_recalls = []
    for query, got in zip(queries[:50], measured["filtered_results"], strict=True):
        scores = (vectors[::2] @ query).astype(np.float32)
        truth = np.argpartition(-scores, 19)[:20] * 2 + 1
        filtered_recalls.append(len(set(truth.tolist()) & set(got)) / 20)
    latencies = sorted(measured["latencies"])
    before = sorted(measured["before_exact"])
    filtered = sorted(measured["filtered"])
    result = {
        "vectors": size,
        "distribution": "uniform" if uniform else "clustered",
        "ivf": measured["ivf"],
        "store_build_s": round(store_seconds, 1),
        "first_query_s": round(measured["first"], 3),
        "rank_p50_ms": round(statistics.median(latencies), 2),
        "rank_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "filtered_half_p95_ms": round(filtered[int(0.95 * (len(filtered) - 1))], 2),
        "filtered_half_recall_at_20": round(float(np.mean(filtered_recalls)), 4),
        "before_first_query_load_s": round(measured["before_load"], 2),
        "before_exact_p50_ms": round(statistics.median(before), 2),
        "before_exact_p95_ms": round(before[int(0.95 * (len(before) - 1))], 2),
        "recall_at_20": round(float(np.mean(recalls)), 4),
        "recall_at_20_min": round(float(np.min(recalls)), 2),
        "queries": len(latencies),
    }
    log("   ", result)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20k vectors only")
    parser.add_argument("--uniform", action="store_true", help="also the worst case: no clusters")
    parser.add_argument("--sizes", nargs="*", type=int)
    args = parser.parse_args()
    sizes = args.sizes or ([20_000] if args.quick else [100_000, 1_000_000])
    results = [bench(size, False) for size in sizes]
    if args.uniform:
        results += [bench(size, True) for size in sizes]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "search.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
