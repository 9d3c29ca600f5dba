"""Video and RAW throughput: how fast the media readers turn files into what
the stages consume.

Run:  python benchmarks/bench_media.py [--videos 3] [--seconds 60] [--raws 6]

(a) video  seconds of video per second of wall time, one decode worker:
           - read: the metadata and the frames (representative frame and
             keyframes at CLIP's 224 px), what a decode worker does per video;
           - index: a whole `index` run of those videos with the tiny test
             model (hash, read, thumbnail, CLIP on the poster and keyframes,
             faces, text, writing), beside the same run on photos.
(b) RAW    files per second for a 24 MP DNG: from its embedded preview, and by
           demosaicing (half size, what a file without a usable preview costs).

The files are made here (PyAV encodes the videos, tifffile writes the DNGs).
Results go to stdout and to benchmarks/out/media.json. Ratios measured in one
run are what to compare; absolute times depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_video_read(folder: Path, count: int, seconds: float) -> dict:
    from photoorg.video.reader import VideoReader
    from tests.media_helpers import BLUE, GREEN, RED, WHITE, make_video

    paths = [
        make_video(
            folder / f"clip{i}.mp4",
            seconds=seconds,
            size=(1280, 720),
            fps=30,
            scenes=(RED, GREEN, BLUE, WHITE),
            codec="libx264",
            texture=True,  # frames that cost what camera footage costs to decode
            gop=60,  # a keyframe every 2 s, as phones write them
        )
        for i in range(count)
    ]
    reader = VideoReader()

    def read_all():
        for path in paths:
            reader.read_metadata(str(path))
            reader.decode(str(path), 224)

    read_all()  # warm the file cache: the index reads files the walk just listed
    elapsed = _timed(read_all)
    total = count * seconds
    return {
        "videos": count,
        "video_seconds": total,
        "size": "1280x720 H.264 30 fps, textured, a keyframe every 2 s",
        "read_seconds": round(elapsed, 3),
        "video_seconds_per_second": round(total / elapsed, 1),
        "paths": [str(p) for p in paths],
    }


def bench_index(folder: Path, weights: Path, library_dir: Path) -> float:
    from photoorg.library import Library
    from photoorg.roots import add_root
    from tests.helpers import TINY_ARCH, install_tiny_config

    install_tiny_config(library_dir)
    with Library(library_dir) as library:
        library.select_model(TINY_ARCH, str(weights))
        add_root(library.db, folder)
        indexer = library.indexer(library.build_stages(), decode_workers=1)
        start = time.perf_counter()
        for _ in indexer.run():
            pass
        return time.perf_counter() - start


def bench_raw(folder: Path, count: int) -> dict:
    from photoorg.raw.reader import RawReader
    from tests.media_helpers import make_dng

    size = (6000, 4000)
    with_preview = [make_dng(folder / f"p{i}.DNG", size=size, preview=(1620, 1080)) for i in range(count)]
    without = [make_dng(folder / f"d{i}.DNG", size=size, preview=None) for i in range(count)]
    reader = RawReader()

    def run(paths):
        for path in paths:
            reader.read_metadata(str(path))
            reader.decode(str(path), 320)  # the thumbnail stage's size, more than CLIP's

    run(with_preview[:1])
    preview_s = _timed(lambda: run(with_preview))
    demosaic_s = _timed(lambda: run(without))
    return {
        "files": count,
        "size": f"{size[0]}x{size[1]} DNG (24 MP)",
        "preview_files_per_second": round(count / preview_s, 2),
        "demosaic_files_per_second": round(count / demosaic_s, 2),
        "preview_speedup": round(demosaic_s / preview_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--raws", type=int, default=6)
    parser.add_argument("--no-index", action="store_true", help="skip the whole-index measurement")
    args = parser.parse_args()

    from tests.helpers import build_tiny_checkpoint, make_photo

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        videos = tmp / "videos"
        videos.mkdir()
        results["video"] = bench_video_read(videos, args.videos, args.seconds)
        print(json.dumps({k: v for k, v in results["video"].items() if k != "paths"}, indent=2))
        if not args.no_index:
            weights = build_tiny_checkpoint(tmp / "weights")
            index_s = bench_index(videos, weights, tmp / "library-videos")
            photos = tmp / "photos"
            for i in range(args.videos):
                make_photo(photos / f"p{i}.jpg", size=(1280, 720), pattern=i)
            photo_s = bench_index(photos, weights, tmp / "library-photos")
            total = results["video"]["video_seconds"]
            results["video_index"] = {
                "index_seconds": round(index_s, 2),
                "video_seconds_per_second": round(total / index_s, 1),
                "same_number_of_photos_seconds": round(photo_s, 2),
                "video_cost_vs_photo": round(index_s / photo_s, 2),
            }
            print(json.dumps(results["video_index"], indent=2))
        raws = tmp / "raw"
        raws.mkdir()
        results["raw"] = bench_raw(raws, args.raws)
        print(json.dumps(results["raw"], indent=2))
    results["video"].pop("paths")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "media.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
