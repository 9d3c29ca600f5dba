"""Metadata benchmarks: agreement with ExifTool, and the cost of a metadata refresh.

Run:  python benchmarks/bench_metadata.py [--before-ref main] [--photos 300]

(a) agreement  per field (date, make, model, GPS) and per file, over
               ../shared/data/exif-samples, for this checkout's reader and for
               the reader of --before-ref (git), both against ExifTool
(b) refresh    a rescan of a library whose photos were read by an older reader:
               photos/s of the header-only re-read, beside the first index of the
               same files and an unchanged rescan, measured in the same run

Results go to stdout and to benchmarks/out/metadata.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
SAMPLES = ROOT.parent / "shared" / "data" / "exif-samples"
sys.path.insert(0, str(ROOT))


def _reader(read_metadata):
    from photoorg.scan.imageio import ImageReadError, open_image

    def read(path: Path):
        try:
            return read_metadata(open_image(path.read_bytes()))
        except ImageReadError:
            return None

    return read


def _reader_at(ref: str):
    """read_metadata as ``ref`` had it (its metadata.py, loaded on its own)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:photoorg/scan/metadata.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "metadata_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("metadata_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.read_metadata


def agreement(before_ref: str | None) -> dict:
    from photoorg.scan.metadata import read_metadata
    from tests.exiftool_oracle import compare, exiftool_available, exiftool_references, files_agreeing

    if not exiftool_available() or not SAMPLES.exists():
        print("agreement: skipped (needs exiftool and the exif-samples folder)")
        return {}
    references = exiftool_references(SAMPLES)
    readers = {"after": read_metadata}
    if before_ref:
        readers = {"before": _reader_at(before_ref), **readers}
    results = {}
    for name, reader in readers.items():
        read = _reader(reader)
        scores = compare(references, read)
        files = files_agreeing(references, read)
        results[name] = {
            "fields": {f: {"agreed": s.agreed, "carried": s.carried} for f, s in scores.items()},
            "files": {"agreed": files[0], "carried": files[1]},
        }
        figures = ", ".join(f"{f} {s.agreed}/{s.carried}" for f, s in scores.items())
        print(f"agreement {name:<6}: {figures}; files {files[0]}/{files[1]} ({files[0] / files[1]:.3f})")
    return results


def refresh_cost(count: int) -> dict:
    from sqlalchemy import update

    from photoorg.library import Library
    from photoorg.pipeline.metadata_refresh import refresh_metadata
    from photoorg.progress import CancelToken
    from photoorg.roots import add_root
    from photoorg.store.schema import Photo

    sources = sorted(p for p in (SAMPLES / "jpg").rglob("*.jpg") if "invalid" not in p.parts)
    if not sources:
        print("refresh: skipped (no sample JPEGs)")
        return {}
    work = Path(tempfile.mkdtemp())
    folder = work / "photos"
    folder.mkdir()
    for i in range(count):
        # Distinct bytes after the end of the image: distinct photos, same headers.
        data = sources[i % len(sources)].read_bytes() + f"copy {i}".encode()
        (folder / f"{i:05d}.jpg").write_bytes(data)
    os.environ["PHOTOORG_OFFLINE"] = "1"
    library = Library(work / "library")
    try:
        root_id = add_root(library.db, folder)[0].id
        from photoorg.pipeline.thumbnail_stage import ThumbnailStage

        stages = [ThumbnailStage(library.thumbnails)]  # no model: the figure is about files, not inference

        def index() -> float:
            started = time.perf_counter()
            for _ in library.indexer(stages).run([root_id]):
                pass
            return time.perf_counter() - started

        first = index()
        unchanged = index()
        with library.db.transaction() as s:
            s.execute(update(Photo).values(metadata_version=1))
        started = time.perf_counter()
        list(refresh_metadata(library.db, [root_id], CancelToken()))
        refresh_only = time.perf_counter() - started
        with library.db.transaction() as s:
            s.execute(update(Photo).values(metadata_version=1))
        rescan_with_refresh = index()
    finally:
        library.close()
    result = {
        "photos": count,
        "first_index_s": round(first, 3),
        "unchanged_rescan_s": round(unchanged, 3),
        "refresh_s": round(refresh_only, 3),
        "rescan_with_refresh_s": round(rescan_with_refresh, 3),
        "refresh_photos_per_s": round(count / refresh_only, 1),
        "first_index_photos_per_s": round(count / first, 1),
    }
    print(
        f"refresh: {count} photos re-read in {refresh_only:.2f} s ({count / refresh_only:.0f} photos/s); "
        f"first index (hash, metadata, thumbnail) {first:.2f} s ({count / first:.0f} photos/s, "
        f"{first / refresh_only:.1f}x the refresh); unchanged rescan {unchanged:.2f} s; "
        f"rescan with refresh {rescan_with_refresh:.2f} s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-ref", default="main", help="git ref whose reader is 'before' ('' to skip)")
    parser.add_argument("--photos", type=int, default=300)
    args = parser.parse_args()
    results = {"agreement": agreement(args.before_ref or None), "refresh": refresh_cost(args.photos)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "metadata.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
