"""Core benchmarks: indexing throughput, rescan time, search latency, memory.

Run:  python benchmarks/bench_core.py [--quick] [--only NAME ...]

Each figure is measured as a ratio or a latency within one run, because these
machines are noisy. Results go to stdout and to benchmarks/out/core.json.
Weights are a randomly initialised model of the real architecture (fine for
throughput, meaningless for quality); no network is needed.

(a) throughput  end-to-end indexing of >= 200 8-megapixel JPEGs, as a ratio
                of the model-only forward throughput in the same process
(b) rescan      a rescan of an unchanged 10,000-file library
(c) search      text-search latency (p50/p95) over 100k and 1M stored vectors
(d) memory      peak RSS of a full indexing run with ViT-B-32 on the CPU
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
SHARED = ROOT.parent / "shared" / "data" / "exif-samples"
sys.path.insert(0, str(ROOT))

ARCH = "ViT-B-32"
PHOTO_SIZE = (3264, 2448)  # 8.0 MP


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# -- inputs ---------------------------------------------------------------------------


def eight_megapixel_jpegs(count: int) -> Path:
    """Photo-like 8 MP JPEGs: real camera pictures scaled up with sensor-like
    noise (so they compress, and decode, like camera files), cached."""
    from PIL import Image

    folder = OUT / f"jpeg-8mp-{count}"
    existing = sorted(folder.glob("*.jpg"))
    if len(existing) >= count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    sources = (
        sorted(p for p in SHARED.rglob("*.jpg") if p.stat().st_size > 50_000)[:40] if SHARED.exists() else []
    )
    rng = np.random.default_rng(0)
    log(f"writing {count} 8 MP JPEGs to {folder} ...")
    for i in range(count):
        if sources:
            base = (
                Image.open(sources[i % len(sources)])
                .convert("RGB")
                .resize(PHOTO_SIZE, Image.Resampling.BILINEAR)
            )
        else:
            gradient = np.linspace(0, 255, PHOTO_SIZE[0], dtype=np.float32)
            base = Image.fromarray(np.tile(gradient, (PHOTO_SIZE[1], 1)).astype(np.uint8)).convert("RGB")
        pixels = np.asarray(base, dtype=np.int16) + rng.normal(
            0, 4, (PHOTO_SIZE[1], PHOTO_SIZE[0], 3)
        ).astype(np.int16)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "BenchCam", f"Model {i % 3}"
        exif.get_ifd(0x8769)[0x9003] = (datetime(2020, 1, 1) + timedelta(hours=i)).strftime(
            "%Y:%m:%d %H:%M:%S"
        )
        image.save(folder / f"IMG_{i:04d}.jpg", "JPEG", quality=92, exif=exif.tobytes())
    return folder


def random_weights(arch: str = ARCH) -> Path:
    """A random model of the real architecture, saved as the hub serves it
    (open_clip_model.safetensors)."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    path = OUT / f"{arch}-random.safetensors"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        state = open_clip.create_model(arch, pretrained=None).state_dict()
        save_file({k: v.contiguous() for k, v in state.items()}, path)
    return path


# -- (a) and (d): throughput and memory ------------------------------------------------------


def _child_throughput(images: str, weights: str, workers: int, threads: int) -> None:
    """In a fresh process: model-only rate, then the full index of the folder."""
    import torch

    from photoorg.library import Library
    from photoorg.roots import add_root
    from photoorg.scan.imageio import load_upright

    library = Library(tempfile.mkdtemp(prefix="bench-lib-"))
    library.select_model(ARCH, weights)
    library.ml_overrides = {"threads": threads}
    encoder = library.clip_encoder()
    files = sorted(Path(images).glob("*.jpg"))
    batch = torch.stack([encoder.preprocess(load_upright(str(p), 224)) for p in files[:16]])
    encoder.encode_images(batch)  # warm-up
    n_batches = max(4, len(files) // 16)
    started = time.perf_counter()
    for _ in range(n_batches):
        encoder.encode_images(batch)
    model_rate = n_batches * 16 / (time.perf_counter() - started)

    add_root(library.db, images)
    # The core pipeline (scan, hash, EXIF, thumbnail, CLIP): the stages that
    # came later (faces, the offline tagger) have benchmarks of their own.
    specs = [spec for spec in library.stage_specs(text_tower=False) if spec.name in ("thumbnail", "clip")]
    indexer = library.indexer(specs, decode_workers=workers)
    e2e_rate = pipeline_rate(indexer, "clip", len(files))
    summary = indexer.summary
    print(
        json.dumps(
            {
                "photos": len(files),
                "model_only_per_s": round(model_rate, 2),
                "end_to_end_per_s": round(e2e_rate, 2),
                "ratio": round(e2e_rate / model_rate, 3),
                "run_seconds_incl_model_load": round(summary.seconds, 2),
                "decode_workers": workers,
                "torch_threads": threads,
            }
        )
    )


def pipeline_rate(indexer, stage: str, count: int) -> float:
    """Photos per second through the pipeline phase of an index run (from its
    first progress event to its last: scanning and model loading excluded)."""
    first = last = None
    for event in indexer.run():
        if event.stage == "index":
            now = time.perf_counter()
            first = first or now
            last = now
    assert indexer.summary.stages[stage]["done"] == count, indexer.summary
    return count / (last - first)


def bench_throughput(count: int) -> dict:
    images = eight_megapixel_jpegs(count)
    weights = random_weights()
    cores = os.cpu_count() or 2
    results = []
    for workers, threads in sorted({(1, cores), (2, cores), (1, max(1, cores - 1))}):
        log(f"(a) {count} x 8 MP, {workers} decode worker(s), {threads} torch thread(s) ...")
        out = subprocess.run(
            [sys.executable, __file__, "_throughput", str(images), str(weights), str(workers), str(threads)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        log("   ", results[-1])
    best = max(results, key=lambda r: r["ratio"])
    return {"runs": results, "best": best}


def bench_memory(count: int) -> dict:
    images = eight_megapixel_jpegs(count)
    weights = random_weights()
    library = tempfile.mkdtemp(prefix="bench-mem-")
    log(f"(d) peak memory of `photoorg index` over {count} x 8 MP ...")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "photoorg",
            "index",
            str(images),
            "--library",
            library,
            "--model",
            ARCH,
            "--weights",
            str(weights),
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    # wait4 gives this child's own peak: RUSAGE_CHILDREN would be the largest
    # of every child so far, the throughput runs included.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"photoorg index exited with {child.returncode}")
    peak_kb = usage.ru_maxrss
    return {"photos": count, "peak_rss_mb": round(peak_kb / 1024, 1)}


# -- (b) rescan -------------------------------------------------------------------------------------


def bench_rescan(count: int) -> dict:
    from PIL import Image

    from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config

    folder = OUT / f"small-{count}"
    if len(list(folder.rglob("*.jpg"))) < count:
        log(f"(b) writing {count} small JPEGs ...")
        buffer = io.BytesIO()
        for i in range(count):
            target = folder / f"{2000 + i // 1000}" / f"{(i // 100) % 10:02d}" / f"IMG_{i:05d}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            buffer.seek(0)
            buffer.truncate()
            Image.new("RGB", (64, 48), (i % 256, (i // 256) % 256, 128)).save(buffer, "JPEG", quality=80)
            target.write_bytes(buffer.getvalue())
    library = Path(tempfile.mkdtemp(prefix="bench-rescan-"))
    install_tiny_config(library)
    weights = build_tiny_checkpoint(Path(tempfile.mkdtemp()))
    base = [sys.executable, "-m", "photoorg", "index", "--library", str(library), "--json"]
    log(f"(b) first index of {count} files (tiny model) ...")
    subprocess.run(
        [*base, str(folder), "--model", TINY_ARCH, "--weights", str(weights)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        out = subprocess.run(base, check=True, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
        summary = json.loads(out.stdout)
        assert summary["unchanged"] == count and summary["indexed"] == 0, summary
        runs.append({"wall_seconds": round(wall, 3), "indexer_seconds": summary["seconds"]})
    return {
        "files": count,
        "runs": runs,
        "best_wall_seconds": min(r["wall_seconds"] for r in runs),
        "best_indexer_seconds": min(r["indexer_seconds"] for r in runs),
    }


# -- (c) search latency --------------------------------------------------------------------------------


QUERIES = [
    "kids on a beach at sunset",
    "a dog playing in the snow",
    "birthday cake with candles",
    "mountain lake",
    "a red car",
    "people at a wedding",
    "a cat sleeping on a sofa",
    "city skyline at night",
    "a plate of pasta",
    "hiking in the forest",
    "a receipt",
    "fireworks",
    "a baby smiling",
    "old castle",
    "surfing",
    "a whiteboard",
    "grandma in the kitchen",
    "autumn leaves",
    "a concert crowd",
    "snowy street",
    "boat on a river",
    "flowers in a garden",
    "a screenshot of a phone",
    "football match",
    "a horse in a field",
]


def _synthetic_library(vectors: int, dim: int) -> Path:
    from photoorg.library import Library

    folder = Path(tempfile.mkdtemp(prefix=f"bench-search-{vectors}-"))
    library = Library(folder)
    library.select_model(ARCH, str(random_weights()))
    choice = library.model_choice()
    library.close()
    con = sqlite3.connect(folder / "library.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = "2024-01-01 00:00:00.000000"
    con.execute("INSERT INTO roots (id, path, added_at) VALUES (1, '/bench', ?)", (now,))
    con.execute(
        "INSERT INTO models (id, key, arch, pretrained, weights_sha256, dim, created_at) "
        "VALUES (1, ?, ?, NULL, ?, ?, ?)",
        (choice.key, ARCH, choice.weights_sha256, dim, now),
    )
    rng = np.random.default_rng(1)
    chunk = 50_000
    for start in range(0, vectors, chunk):
        n = min(chunk, vectors - start)
        ids = range(start + 1, start + n + 1)
        con.executemany(
            "INSERT INTO photos (id, root_id, path, folder, size, mtime_ns, content_hash, date, state, "
            "added_at, updated_at) VALUES (?, 1, ?, '/bench', 1, 1, ?, ?, 'ok', ?, ?)",
            ((i, f"/bench/{i:07d}.jpg", f"{i:064x}", now, now, now) for i in ids),
        )
        block = rng.standard_normal((n, dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        con.executemany(
            "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, 1, ?)",
            ((i, block[k].astype("<f4").tobytes()) for k, i in enumerate(ids)),
        )
        con.commit()
    con.execute("INSERT INTO counters (name, value) VALUES ('embeddings', 1), ('photos', 1)")
    con.commit()
    con.close()
    return folder


def bench_search(sizes: list[int]) -> dict:
    from photoorg.library import Library

    results = {}
    for size in sizes:
        log(f"(c) building a library of {size:,} vectors ...")
        folder = _synthetic_library(size, 512)
        library = Library(folder)
        engine = library.search
        started = time.perf_counter()
        library.clip_encoder()
        model_load = time.perf_counter() - started
        started = time.perf_counter()
        engine.search("warm up: load the vector matrix", limit=50)
        first_query = time.perf_counter() - started
        latencies = []
        for round_ in range(4):
            for query in QUERIES:
                started = time.perf_counter()
                hits = engine.search(f"{query} {round_}", limit=50).hits
                latencies.append((time.perf_counter() - started) * 1000)
                assert len(hits) == 50
        latencies.sort()
        results[str(size)] = {
            "queries": len(latencies),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            "max_ms": round(latencies[-1], 1),
            "first_query_incl_matrix_load_s": round(first_query, 2),
            "model_load_s": round(model_load, 2),
        }
        log("   ", results[str(size)])
        library.close()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return results


# -- main ----------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_throughput":
        _child_throughput(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", choices=["throughput", "memory", "rescan", "search"])
    args = parser.parse_args()
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    wanted = set(args.only or ["throughput", "memory", "rescan", "search"])
    photos = 48 if args.quick else 200
    results: dict = {"date": datetime.now().isoformat(timespec="seconds"), "cpu_count": os.cpu_count()}
    if "throughput" in wanted:
        results["throughput"] = bench_throughput(photos)
    if "memory" in wanted:
        results["memory"] = bench_memory(photos)
    if "rescan" in wanted:
        results["rescan"] = bench_rescan(1000 if args.quick else 10_000)
    if "search" in wanted:
        results["search"] = bench_search([20_000] if args.quick else [100_000, 1_000_000])
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "core.json"
    previous = json.loads(target.read_text()) if target.exists() else {}
    previous.update(results)
    target.write_text(json.dumps(previous, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
