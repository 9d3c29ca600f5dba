"""Faces-stage throughput on 12-megapixel photos, on the CPU.

Run:  python benchmarks/bench_faces.py [--photos 60] [--workers N] [--detect-size 1000]

Inputs: 4032x3024 JPEGs (12.2 MP) made of real pictures: a scikit-image sample
photo scaled up as the background, one or two real faces pasted in (the
faces-dev portraits from ../shared/data when present, the astronaut always),
and sensor-like noise so they compress and decode like camera files (about
5 MB each). Cached in benchmarks/out/.

Measured:
- end to end: a real `Indexer` run over the folder with only the faces stage
  (read, hash, EXIF, decode at reduced size, detect, landmarks, descriptors,
  write), photos per second over the pipeline phase; the clustering step that
  follows is timed separately;
- the parts, one photo at a time: reduced decode, detection, descriptor (in
  this process; the stage computes descriptors in a child process);
- whether dlib lets other threads run: HOG detection in two threads at once,
  and the descriptor network next to a pure-Python thread.

Results go to stdout and benchmarks/out/faces.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
FACES_DEV = ROOT.parent / "shared" / "data" / "faces-dev"
sys.path.insert(0, str(ROOT))

SIZE = (4032, 3024)  # 12.2 MP, a phone's 4:3


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# -- inputs ------------------------------------------------------------------------------------


def _portraits():
    """Head-and-shoulders crops of real faces (PIL images)."""
    from PIL import Image
    from skimage import data

    from photoorg.faces.models import FaceAnalyzer
    from photoorg.scan.imageio import load_upright

    analyzer = FaceAnalyzer(detect_side=1000)
    sources = [Image.fromarray(data.astronaut())]
    sources += [load_upright(str(p)) for p in sorted(FACES_DEV.glob("*.jpg"))]
    crops = []
    for image in sources:
        found = analyzer.detect(image)
        if not found.faces:
            continue
        scale = image.width / found.width
        x, y, w, h = (v * scale for v in found.faces[0].box)
        side = max(w, h) * 2.2
        cx, cy = x + w / 2, y + h / 2 + h * 0.3
        box = (int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2))
        crops.append((image.crop(box), side / max(w, h)))
    return crops


def twelve_megapixel_jpegs(count: int) -> Path:
    from PIL import Image
    from skimage import data

    folder = OUT / f"jpeg-12mp-faces-{count}"
    existing = sorted(folder.glob("*.jpg"))
    if len(existing) >= count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    log(f"Making {count} 12 MP JPEGs with real faces in {folder} (once)...")
    backgrounds = [getattr(data, name)() for name in ("coffee", "rocket", "chelsea", "hubble_deep_field")]
    backgrounds = [Image.fromarray(b[..., :3] if b.ndim == 3 else np.stack([b] * 3, -1)) for b in backgrounds]
    portraits = _portraits()
    rng = np.random.default_rng(12)
    for i in range(count):
        canvas = backgrounds[i % len(backgrounds)].resize(SIZE, Image.Resampling.BILINEAR)
        faces = 1 + (i % 3 == 0)  # one face in most photos, two in every third
        for k in range(faces):
            portrait, ratio = portraits[(i + k) % len(portraits)]
            face_width = int(rng.uniform(260, 520))
            side = int(face_width * ratio)
            head = portrait.resize((side, side), Image.Resampling.BILINEAR)
            x = int(rng.uniform(0, SIZE[0] / faces - side)) + k * SIZE[0] // faces
            y = int(rng.uniform(0, SIZE[1] - side))
            canvas.paste(head, (max(0, x), max(0, y)))
        pixels = np.asarray(canvas, dtype=np.int16)
        pixels = pixels + rng.normal(0, 4.5, pixels.shape).astype(np.int16)
        noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        noisy.save(folder / f"IMG_{i:04d}.jpg", "JPEG", quality=94)
    return folder


# -- measurements -----------------------------------------------------------------------------------


def end_to_end(folder: Path, workers: int | None, detect_side: int) -> dict:
    import gc
    import resource

    from photoorg.faces.config import DETECT_SIDE_SETTING
    from photoorg.library import Library, default_decode_workers
    from photoorg.roots import add_root
    from photoorg.store.schema import Face

    photos = len(list(folder.glob("*.jpg")))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "lib") as library:
        library.db.set_setting(DETECT_SIDE_SETTING, detect_side)
        add_root(library.db, folder)
        specs = [s for s in library.stage_specs(library.ml_options(offline=True)) if s.name == "faces"]
        workers = workers or default_decode_workers()
        indexer = library.indexer(specs, decode_workers=workers)
        first = last = None
        cpu_first = cpu_last = 0.0
        cluster_started = None
        for event in indexer.run():
            now = time.perf_counter()
            if event.stage == "index":
                if first is None:
                    first, cpu_first = now, time.process_time()
                last, cpu_last = now, time.process_time()
            elif event.stage == "people" and cluster_started is None:
                cluster_started = now
        finished = time.perf_counter()
        with library.db.session() as s:
            faces = s.query(Face).count()
        stage_summary = indexer.summary.stages.get("faces")
        del indexer
        gc.collect()  # releases the stage, which stops (and reaps) the encoder process
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = after.ru_utime + after.ru_stime - children_before.ru_utime - children_before.ru_stime
        seconds = (last - first) if first and last else float("nan")
        return {
            "photos": photos,
            "decode_workers": workers,
            "detect_side": detect_side,
            "pipeline_seconds": round(seconds, 2),
            "photos_per_second": round(photos / seconds, 2),
            # CPU time of all threads, and of the encoder process (its whole life,
            # start-up included): what a photo costs, whatever else runs on the machine.
            "cpu_seconds_per_photo": round((cpu_last - cpu_first + child_cpu) / photos, 3),
            "encoder_process_cpu_seconds": round(child_cpu, 2),
            "faces_found": faces,
            "faces_per_photo": round(faces / photos, 2),
            "clustering_seconds": round(finished - cluster_started, 3) if cluster_started else None,
            "summary": stage_summary,
        }


def parts(folder: Path, detect_side: int, samples: int = 8) -> dict:
    from photoorg.faces.models import FaceAnalyzer
    from photoorg.scan.imageio import decode, open_image

    analyzer = FaceAnalyzer(detect_side=detect_side)
    files = sorted(folder.glob("*.jpg"))[:samples]
    decode_ms, detect_ms, describe_ms, sizes = [], [], [], []
    for path in files:
        data = path.read_bytes()
        t0 = time.perf_counter()
        image = decode(open_image(data), detect_side)
        t1 = time.perf_counter()
        found = analyzer.detect(image)
        t2 = time.perf_counter()
        for face in found.faces:
            t3 = time.perf_counter()
            analyzer.describe(face.chip)
            describe_ms.append((time.perf_counter() - t3) * 1000)
        decode_ms.append((t1 - t0) * 1000)
        detect_ms.append((t2 - t1) * 1000)
        sizes.append(f"{image.width}x{image.height}")
    return {
        "decoded_size": sizes[0] if sizes else None,
        "decode_ms": round(statistics.median(decode_ms), 1),
        "detect_landmarks_chip_ms": round(statistics.median(detect_ms), 1),
        "descriptor_ms_per_face": round(statistics.median(describe_ms), 1) if describe_ms else None,
        "file_mb": round(statistics.mean(p.stat().st_size for p in files) / 1e6, 2),
    }


def gil(folder: Path, detect_side: int) -> dict:
    """Does dlib release the GIL? Two threads of HOG vs one; the descriptor
    next to a thread counting in pure Python."""
    from photoorg.faces.models import FaceAnalyzer
    from photoorg.scan.imageio import decode, open_image

    analyzer = FaceAnalyzer(detect_side=detect_side)
    image = decode(open_image(sorted(folder.glob("*.jpg"))[0].read_bytes()), detect_side)
    analyzer.detect(image)  # warm up this thread's detector
    runs = 6
    t = time.perf_counter()
    for _ in range(runs):
        analyzer.detect(image)
    one_thread = time.perf_counter() - t
    barrier = threading.Barrier(3)

    def work() -> None:
        analyzer.detect(image)  # builds this thread's own detector, untimed
        barrier.wait()
        for _ in range(runs // 2):
            analyzer.detect(image)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t = time.perf_counter()
    for thread in threads:
        thread.join()
    two_threads = time.perf_counter() - t

    chip = analyzer.detect(image).faces[0].chip
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.1)
    start = counter[0]
    t = time.perf_counter()
    for _ in range(5):
        analyzer.describe(chip)
    busy = time.perf_counter() - t
    during = counter[0] - start
    start = counter[0]
    time.sleep(busy)
    idle = counter[0] - start
    stop.set()
    spinner.join()
    return {
        "hog_speedup_two_threads": round(one_thread / two_threads, 2),
        "python_progress_during_descriptor": round(during / max(1, idle), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--workers", type=int, help="decode workers (default: the app's default)")
    parser.add_argument("--detect-size", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    from photoorg.faces.config import DEFAULT_DETECT_SIDE

    detect_side = args.detect_size or DEFAULT_DETECT_SIDE
    folder = twelve_megapixel_jpegs(args.photos)
    log("Measuring the parts...")
    # The machine may be shared: the load before and after says how much
    # other work competed for the cores during the measurement.
    result = {
        "cpu_count": os.cpu_count(),
        "photo_size": f"{SIZE[0]}x{SIZE[1]}",
        "load_before": round(os.getloadavg()[0], 2),
    }
    result["parts"] = parts(folder, detect_side)
    result["gil"] = gil(folder, detect_side)
    log("Indexing end to end...")
    result["end_to_end"] = end_to_end(folder, args.workers, detect_side)
    result["load_after"] = round(os.getloadavg()[0], 2)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "faces.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
