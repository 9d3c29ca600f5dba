"""Tagging benchmarks: re-tagging from stored vectors, and the offline classifier stage.

Run:  python benchmarks/bench_tags.py [--quick]

(a) retag     re-tag a library of 100k stored ViT-B-32 vectors with the whole
              vocabulary (~1,400 concepts); photos per second, concept vectors
              (a one-time cost per model) timed apart
(b) classify  the offline classifier stage indexing 8 MP JPEGs end to end
              (CLIP unavailable), against the classifier's own forward pass
              measured in the same process
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
    tag_ids, _ = concept_vectors(library, encoder, model_id)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    results = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "retag": bench_retag(10_000 if args.quick else 100_000),
        "classify": bench_classifier(48 if args.quick else 200),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tags.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
