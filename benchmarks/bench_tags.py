"""Tagging benchmarks: re-tagging from stored vectors, and the offline classifier stage.

Run:  python benchmarks/bench_tags.py [--quick] [--only retag classify vocabulary]

(a) retag     re-tag a library of 100k stored ViT-B-32 vectors with the whole
              vocabulary (~1,400 concepts); photos per second, concept vectors
              (a one-time cost per model) timed apart
(b) classify  the offline classifier stage indexing 8 MP JPEGs end to end
              (CLIP unavailable), against the classifier's own forward pass
              measured in the same process
(c) vocabulary the vocabulary's text vectors with ViT-B-32 (random weights):
              the old way, a first library now, a second library (user cache)
Results go to stdout and benchmarks/out/tags.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_core import OUT, _synthetic_library, eight_megapixel_jpegs, log, pipeline_rate


def bench_retag(count: int) -> dict:
    from photoorg.library import Library
    from photoorg.tags.vocabulary import ensure_vocabulary
    from photoorg.tags.zero_shot import ClipTagger, auto_concepts, concept_vectors

    folder = _synthetic_library(count, 512)
    library = Library(folder)
    ensure_vocabulary(library.db)
    encoder = library.clip_encoder()
    with library.db.session() as s:
        model_id = s.connection().exec_driver_sql("SELECT id FROM models").scalar()
    started = time.perf_counter()
    (tag_ids, _), _ = _drain(concept_vectors(library, lambda: encoder, model_id))
    vectors_seconds = time.perf_counter() - started
    log(f"(a) {len(tag_ids)} concept vectors in {vectors_seconds:.1f} s; re-tagging {count:,} photos ...")
    started = time.perf_counter()
    for _ in ClipTagger(library).run(everything=True):
        pass
    seconds = time.perf_counter() - started
    with library.db.session() as s:
        rows = s.connection().exec_driver_sql("SELECT count(*) FROM photo_tags").scalar()
    library.close()
    return {
        "photos": count,
        "concepts": len(auto_concepts(library)),
        "seconds": round(seconds, 2),
        "photos_per_s": round(count / seconds),
        "tags_written": rows,
        "concept_vectors_seconds_once_per_model": round(vectors_seconds, 1),
    }


def bench_classifier(count: int) -> dict:
    import torch

    from photoorg.library import Library
    from photoorg.roots import add_root
    from photoorg.scan.imageio import load_upright
    from photoorg.tags.classifier import class_probabilities, preprocess

    images = eight_megapixel_jpegs(count)
    files = sorted(images.glob("*.jpg"))[:count]
    torch.set_num_threads(os.cpu_count() or 2)
    batch = torch.stack([preprocess(load_upright(str(p), 224)) for p in files[:32]])
    class_probabilities(batch)  # warm-up
    started = time.perf_counter()
    rounds = max(3, count // 32)
    for _ in range(rounds):
        class_probabilities(batch)
    model_rate = rounds * 32 / (time.perf_counter() - started)

    library = Library(tempfile.mkdtemp(prefix="bench-classify-"))
    library.ml_overrides = {"offline": True}  # no CLIP: the classifier stage runs
    add_root(library.db, images)
    # This stage alone (with thumbnails, which every index makes): other
    # stages (faces) would otherwise share the CPU and the figure.
    specs = [spec for spec in library.stage_specs() if spec.name in ("thumbnail", "classify")]
    rate = pipeline_rate(library.indexer(specs), "classify", len(files))
    return {
        "photos": len(files),
        "classifier_forward_per_s": round(model_rate, 1),
        "stage_end_to_end_per_s": round(rate, 1),
        "ratio": round(rate / model_rate, 3),
        "note": "end to end includes reading, hashing, EXIF, thumbnails and writing",
    }


def _drain(steps):
    """Run a generator of progress to its end; returns (its value, the events)."""
    events = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration as stop:
            return stop.value, events


def bench_vocabulary() -> dict:
    """(c) The vocabulary's text vectors, the one-time cost of a model: the way
    they were computed before (prompts in vocabulary order, 256 a batch, one
    transaction at the end), the first library now (length-sorted batches,
    committed with progress), and a second library (the user cache)."""
    from photoorg.library import Library
    from photoorg.tags import concept_cache
    from photoorg.tags.vocabulary import ensure_vocabulary
    from photoorg.tags.zero_shot import VOCABULARY_STAGE, auto_concepts, concept_space_vectors

    os.environ[concept_cache.CACHE_ENV] = tempfile.mkdtemp(prefix="bench-vocabulary-cache-")
    first, second = Library(_synthetic_library(10, 512)), Library(_synthetic_library(10, 512))
    ensure_vocabulary(first.db)
    ensure_vocabulary(second.db)
    encoder = first.clip_encoder()  # both towers, loaded once: the search process's encoder
    texts = [p for _, prompts in auto_concepts(first) for p in prompts]
    log(f"(c) {len(texts):,} prompts; the old way ...")
    started = time.perf_counter()
    for start in range(0, len(texts), 256):
        encoder.encode_texts(texts[start : start + 256])
    before = time.perf_counter() - started
    log(f"    {before:.1f} s; the first library now ...")
    started = time.perf_counter()
    (_, vectors, _), events = _drain(concept_space_vectors(first, 1))
    after = time.perf_counter() - started
    progress = [e for e in events if e.stage == VOCABULARY_STAGE]
    log(f"    {after:.1f} s in {len(progress)} progress events; a second library ...")
    started = time.perf_counter()
    (_, again, _), events = _drain(concept_space_vectors(second, 1))
    cached = time.perf_counter() - started
    assert not [e for e in events if e.stage == VOCABULARY_STAGE] and again.shape == vectors.shape
    first.close()
    second.close()
    return {
        "prompts": len(texts),
        "concepts": len(vectors),
        "before_s": round(before, 1),
        "first_library_s": round(after, 1),
        "first_library_progress_events": len(progress),
        "second_library_s": round(cached, 2),
        "speedup_first_library": round(before / after, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=["retag", "classify", "vocabulary"])
    args = parser.parse_args()
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    wanted = set(args.only or ["retag", "classify", "vocabulary"])
    benches = {
        "retag": lambda: bench_retag(10_000 if args.quick else 100_000),
        "classify": lambda: bench_classifier(48 if args.quick else 200),
        "vocabulary": bench_vocabulary,
    }
    results = {
        "date": datetime.now().isoformat(timespec="seconds"),
        **{name: run() for name, run in benches.items() if name in wanted},
    }
    target = OUT / "tags.json"
    previous = json.loads(target.read_text()) if target.exists() else {}
    results = {**previous, **results}  # a partial run keeps the other figures
    OUT.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
