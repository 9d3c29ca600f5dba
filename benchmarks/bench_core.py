"""Core benchmarks: indexing throughput, rescan time, search latency, memory,
and the whole default pipeline.

Run:  python benchmarks/bench_core.py [--quick] [--only NAME ...] [--photos N] [--busy-core]

Each figure is measured as a ratio or a latency within one run, because these
machines are noisy. Results go to stdout and to benchmarks/out/core.json.
Weights are a randomly initialised model of the real architecture (fine for
throughput, meaningless for quality); no network is needed.

(a) throughput  end-to-end indexing of >= 200 8-megapixel JPEGs, as a ratio
                of the model-only forward throughput in the same process
(b) rescan      a rescan of an unchanged 10,000-file library
(c) search      text-search latency (p50/p95) over 100k and 1M stored vectors
(d) memory      peak RSS of a full indexing run with ViT-B-32 on the CPU
(e) pipeline    what `photoorg index` runs by default (thumbnail, CLIP, faces,
                tags and the steps after the image stages) over N 12-MP JPEGs
                (real camera pictures scaled up, real faces in a third of
                them), first run and steady state separately, as photos/s and
                as a ratio of the plain fp32 torch CLIP image-tower forward
                measured in the same process; with the CPU seconds per photo
                of every step, as the pipeline itself measures them
                (IndexSummary.cpu_seconds), the faces stage's paths, and the
                ONNX runtime's speed-up and agreement with fp32.
(a) keeps measuring the CLIP stage on fp32 torch (--runtime torch), so that
its figures stay comparable with earlier runs.
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

# Before torch loads: photoorg sets the OpenMP wait policy the app and the CLI
# run with (threads sleep, not spin, while they wait; see photoorg/__init__.py).
# Without it, the model-only loops here spin and, on a shared machine, pay
# twice the CPU they would in the app.
import photoorg  # noqa: E402, F401

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
    # fp32 torch, as when (a) was first measured; (e) measures the default runtime.
    library.ml_overrides = {"threads": threads, "runtime": "torch"}
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


# -- (e) the whole default pipeline ------------------------------------------------------------------

PIPELINE_SIZE = (4032, 3024)  # 12.2 MP, a phone's 4:3
#: every third photo has people in it (one or two real faces)
FACES_EVERY = 3


def twelve_megapixel_photos(count: int) -> Path:
    """Photo-like 12 MP JPEGs: real camera pictures (../shared/data) scaled up
    with sensor-like noise; every third has one or two real faces pasted in,
    from a portrait size down to about the smallest the detector finds.
    Two sets of ``count``: ``first/`` for the first run, ``steady/`` for the
    photos added to the same library afterwards."""
    import bench_faces
    from PIL import Image

    folder = OUT / f"jpeg-12mp-pipeline-{count}"
    if all(len(list((folder / part).glob("*.jpg"))) >= count for part in ("first", "steady")):
        return folder
    for part in ("first", "steady"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    sources = []
    for path in sorted(SHARED.rglob("*.jpg")) if SHARED.exists() else []:
        try:
            image = Image.open(path)
            if min(image.size) >= 400:
                sources.append(path)
        except OSError:
            continue
    if not sources:
        raise SystemExit(f"(e) needs the camera samples in {SHARED}")
    portraits = bench_faces._portraits()
    rng = np.random.default_rng(17)
    log(f"(e) writing 2 x {count} 12 MP JPEGs to {folder} (once) ...")
    for i in range(2 * count):
        from photoorg.scan.imageio import load_upright

        canvas = load_upright(str(sources[i % len(sources)])).resize(PIPELINE_SIZE, Image.Resampling.BILINEAR)
        if i % FACES_EVERY == 0:
            faces = 1 + (i % (2 * FACES_EVERY) == 0)
            for k in range(faces):
                portrait, ratio = portraits[(i + k) % len(portraits)]
                face_width = int(rng.uniform(280, 900))  # 9-30% of the short side
                side = int(face_width * ratio)
                head = portrait.resize((side, side), Image.Resampling.BILINEAR)
                slot = PIPELINE_SIZE[0] // faces
                x = int(rng.uniform(0, max(1, slot - side))) + k * slot
                y = int(rng.uniform(0, max(1, PIPELINE_SIZE[1] - side)))
                canvas.paste(head, (max(0, x), max(0, y)))
        noise = rng.normal(0, 4, (PIPELINE_SIZE[1], PIPELINE_SIZE[0], 3)).astype(np.int16)
        pixels = np.asarray(canvas, dtype=np.int16) + noise
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "BenchCam", f"Model {i % 3}"
        exif.get_ifd(0x8769)[0x9003] = (datetime(2021, 6, 1) + timedelta(hours=5 * i)).strftime(
            "%Y:%m:%d %H:%M:%S"
        )
        part = "first" if i < count else "steady"
        image.save(folder / part / f"IMG_{i:04d}.jpg", "JPEG", quality=92, exif=exif.tobytes())
    return folder


def _model_only_rate(encode, batch, seconds: float = 6.0) -> tuple[float, float]:
    """Images per second, and CPU seconds (all threads) per image."""
    encode(batch)  # warm-up
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds or done < 3 * len(batch):
        encode(batch)
        done += len(batch)
    return done / (time.perf_counter() - started), (time.process_time() - cpu) / done


def _index_all(library, images: str) -> dict:
    """One `photoorg index` of the folder into this library, with every
    default stage and after-index step; timings and the indexer's CPU breakdown."""
    from photoorg.roots import add_root

    add_root(library.db, images)
    faces_stages = []
    specs = []
    for spec in library.stage_specs(text_tower=False):
        if spec.name == "faces":
            # Keep the loaded faces stage, to read which path each photo took.
            def load(spec=spec):
                stage = spec.load()
                faces_stages.append(stage)
                return stage

            spec = type(spec)(spec.name, spec.version, load)
        specs.append(spec)
    indexer = library.indexer(specs)
    started = time.perf_counter()
    first = last = None
    for event in indexer.run():
        if event.stage == "index":
            now = time.perf_counter()
            first = first or now
            last = now
    finished = time.perf_counter()
    summary = indexer.summary
    photos = len(list(Path(images).glob("*.jpg")))
    # Every image stage that applies to JPEGs did every photo (the steps after
    # them count other things: concepts embedded, groups written, faces placed).
    for spec in specs:
        if spec.formats is None or "JPEG" in spec.formats:
            assert summary.stages.get(spec.name, {}).get("done") == photos, (spec.name, summary.as_dict())
    paths = dict(faces_stages[0].paths) if faces_stages else {}
    for stage in faces_stages:
        stage.close()
    return {
        "photos": photos,
        "stages": sorted(summary.stages),
        "wall_seconds": round(finished - started, 2),
        "photos_per_s": round(photos / (finished - started), 2),
        "pipeline_photos_per_s": round(photos / (last - first), 2) if first and last > first else None,
        # everything but the run's start (scanning, loading the stages): the
        # image stages and the steps after them (tags, groups, people)
        "photos_per_s_after_load": round(photos / (finished - first), 2) if first else None,
        # wall time: scan and model loading, the image stages, the steps after them
        "phases_seconds": {
            "scan_and_load": round((first or finished) - started, 2),
            "image_stages": round((last or finished) - (first or finished), 2),
            "after_index": round(finished - (last or finished), 2),
        },
        "cpu_seconds_per_photo": {k: round(v / photos, 4) for k, v in sorted(summary.cpu_seconds.items())},
        "cpu_seconds_per_photo_total": round(sum(summary.cpu_seconds.values()) / photos, 4),
        "faces_paths": paths,
    }


def _child_pipeline(images: str, weights: str, busy: bool) -> None:
    """In a fresh process (with its own empty user cache): the fp32 torch
    model-only rate, a first index (model loads, the one-time ONNX export and
    vocabulary), then the steady state: as many new photos added to the same
    library and indexed (models cached in the process, the vocabulary done),
    and the model-only rates again."""
    import torch

    from photoorg.library import Library
    from photoorg.ml.device import default_threads
    from photoorg.ml.runtime_status import runtime_folder
    from photoorg.scan.imageio import load_upright

    spinner = None
    if busy:  # another program keeping one core busy the whole time
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        library = Library(tempfile.mkdtemp(prefix="bench-pipe-"))
        library.select_model(ARCH, weights)
        encoder = library.clip_encoder(text=False)
        import shutil

        shutil.rmtree(runtime_folder(encoder.weights_path, encoder.choice), ignore_errors=True)
        files = sorted((Path(images) / "steady").glob("*.jpg"))
        batch = torch.stack([encoder.preprocess(load_upright(str(p), 224)) for p in files[:16]])
        model_before, cpu_before = _model_only_rate(encoder.encode_images, batch)
        log(f"    fp32 torch model-only: {model_before:.2f} img/s; first run ...")
        first = _index_all(library, str(Path(images) / "first"))
        log(f"    first run: {first['photos_per_s']} photos/s; steady state ...")
        steady = _index_all(library, str(Path(images) / "steady"))
        runtime = library.image_runtime(library.clip_encoder(text=False))
        model_after, cpu_after = _model_only_rate(encoder.encode_images, batch)
        runtime_rate, runtime_cpu = _model_only_rate(runtime.encode, batch)
        model = (model_before + model_after) / 2
        model_cpu = (cpu_before + cpu_after) / 2
        # CPU per photo of the steady run without the run's start (loading):
        # on a machine others share, CPU seconds are the steadier measure.
        steady_cpu = steady["cpu_seconds_per_photo_total"] - steady["cpu_seconds_per_photo"].get("load", 0)
        print(
            json.dumps(
                {
                    "photos": len(files),
                    "photo_size": f"{PIPELINE_SIZE[0]}x{PIPELINE_SIZE[1]}",
                    "photos_with_faces": sum(
                        1 for i in range(len(files), 2 * len(files)) if i % FACES_EVERY == 0
                    ),
                    "busy_core": busy,
                    "torch_threads": default_threads(),
                    "model_only_fp32_torch_per_s": round(model, 2),
                    "model_only_fp32_torch_before_after": [round(model_before, 2), round(model_after, 2)],
                    "runtime": runtime.report.as_dict(),
                    "model_only_fp32_torch_cpu_seconds_per_image": round(model_cpu, 4),
                    "model_only_runtime_per_s": round(runtime_rate, 2),
                    "model_only_runtime_cpu_seconds_per_image": round(runtime_cpu, 4),
                    "runtime_speedup_same_run": round(runtime_rate / model, 2),
                    "first_run": first,
                    "steady": steady,
                    # the headline: steady state, image stages and after-index steps
                    "steady_ratio": round((steady["photos_per_s_after_load"] or 0) / model, 3),
                    "steady_pipeline_ratio": round((steady["pipeline_photos_per_s"] or 0) / model, 3),
                    "steady_whole_run_ratio": round(steady["photos_per_s"] / model, 3),
                    # fp32 model-only CPU per image / the pipeline's CPU per photo:
                    # the ratio a machine with all its cores to itself would see
                    "steady_cpu_ratio": round(model_cpu / steady_cpu, 3),
                    "first_run_ratio": round(first["photos_per_s"] / model, 3),
                }
            )
        )
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def bench_pipeline(count: int, busy: bool = False) -> dict:
    images = twelve_megapixel_photos(count)
    weights = random_weights()
    log(f"(e) the whole default pipeline over {count} x 12 MP{' with a busy core' if busy else ''} ...")
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bench-cache-")  # a first run pays every one-time cost
    out = subprocess.run(
        [sys.executable, __file__, "_pipeline", str(images), str(weights), "1" if busy else "0"],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the pipeline run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    log("   ", json.dumps(result)[:2000])
    return result


# -- main ----------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_throughput":
        _child_throughput(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_pipeline":
        _child_pipeline(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", choices=["throughput", "memory", "rescan", "search", "pipeline"])
    parser.add_argument("--photos", type=int, default=24, help="12-MP photos for (e) (default 24)")
    parser.add_argument("--busy-core", action="store_true", help="(e) again with one core kept busy")
    args = parser.parse_args()
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    wanted = set(args.only or ["throughput", "memory", "rescan", "search", "pipeline"])
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
    if "pipeline" in wanted:
        results["pipeline"] = bench_pipeline(args.photos)
        if args.busy_core:
            busy = bench_pipeline(args.photos, busy=True)
            quiet = results["pipeline"]["steady_ratio"]
            busy["steady_ratio_vs_quiet"] = round(busy["steady_ratio"] / quiet, 3)
            results["pipeline_busy_core"] = busy
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "core.json"
    previous = json.loads(target.read_text()) if target.exists() else {}
    previous.update(results)
    target.write_text(json.dumps(previous, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
