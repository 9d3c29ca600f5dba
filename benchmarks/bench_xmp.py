"""XMP benchmarks: reading sidecars on index, the unchanged re-check, and write-back.

Run:  python benchmarks/bench_xmp.py [--photos 300]

In one temporary library of small JPEGs, half with digiKam-style sidecars:
(a) first read   photos/s of reading and importing their XMP (ratings, keywords, captions)
(b) re-check     photos/s of the next index run's check when nothing changed
                 (one folder listing, no file opened)
(c) write-back   photos/s of writing a new rating on every photo as sidecars through exiv2
                 (half update digiKam's sidecar, half create one)

Results go to stdout and to benchmarks/out/xmp.json.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    args = parser.parse_args()

    from PIL import Image

    from photoorg import organize
    from photoorg.library import Library
    from photoorg.roots import add_root
    from photoorg.xmp.settings import SIDECAR
    from photoorg.xmp.sync import import_photos, run_to_end, select_photos, write_photos
    from tests.xmp_helpers import digikam_sidecar

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Pictures"
        folder.mkdir()
        for i in range(args.photos):
            Image.new("RGB", (64, 48), (i % 255, 40, 90)).save(folder / f"IMG_{i:04d}.jpg", "JPEG")
            if i % 2 == 0:
                text = digikam_sidecar(rating=1 + i % 5, tags=(f"Places/Town {i % 7}", f"Trip {i % 3}"))
                (folder / f"IMG_{i:04d}.jpg.xmp").write_text(text, encoding="utf-8")
        with Library(Path(tmp) / "library") as library:
            add_root(library.db, str(folder), library.paths.root)
            stages = [spec for spec in library.stage_specs() if spec.name == "thumbnail"]
            for _ in library.indexer(stages).run():
                pass
            # The index run above read them once; force reads everything again to time it.
            photos = select_photos(library.db)
            start = time.perf_counter()
            first = run_to_end(import_photos(library.db, photos, force=True))
            read_s = time.perf_counter() - start
            start = time.perf_counter()
            again = run_to_end(import_photos(library.db, photos))
            check_s = time.perf_counter() - start
            # A decision on every photo, so every one has something to write.
            organize.set_rating(library.db, [p.id for p in photos], 3)
            start = time.perf_counter()
            written = run_to_end(write_photos(library.db, photos, SIDECAR))
            write_s = time.perf_counter() - start
    result = {
        "photos": args.photos,
        "first_read_photos_per_s": round(first.checked / read_s, 1),
        "recheck_photos_per_s": round(again.checked / check_s, 1),
        "recheck_read": again.read,
        "write_photos_per_s": round(len(written.written) / write_s, 1),
        "written": len(written.written),
        "recheck_vs_first_read": round(read_s / check_s, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "xmp.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
