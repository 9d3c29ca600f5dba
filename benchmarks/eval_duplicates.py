"""Near-duplicate precision and recall, best-shot agreement and speed of the
duplicates capability, on variants of real photos.

Run:  python benchmarks/eval_duplicates.py [--quick]
      python benchmarks/eval_duplicates.py --pipeline   (bench_core's CLIP ratio, with and without the stage)

Originals: the camera samples in ../shared/data/exif-samples/jpg (the top
folder) and the portraits in ../shared/data/faces-dev, decoded upright and
shrunk to at most 1600 px. For each original:

- variants (the same picture, must group): resize to 1/2 and 1/4, JPEG q30,
  PNG, WebP, HEIC, crops of 5% and 10% (each side at one corner, or centred),
  brightness +30%, saturation +50%, turns by 90/180/270 degrees, a mirror;
- look-alike shots (distinct pictures, must not group with it or each other):
  the left and right 60% of the scene, a shot panned by 20%, a 70% zoom.

Each file goes through the app's own path: encoded in its format, opened and
decoded as the pipeline does (photoorg.scan.imageio, JPEG draft at the stage's
size), then fingerprinted and grouped (no capture times and no CLIP vectors:
the hash alone must hold). Pairwise precision counts every pair put in one
group; recall is per variant kind (original, variant) pairs grouped.

Best shot: rank() on constructed pairs (sharp vs blurred, well vs badly
exposed, large vs small, original vs a brightness edit that must not be called
worse). Speed: the stage's prepare per photo against the decode per photo,
and grouping 100k and 1M synthetic hashes (5% planted near copies).
Results go to stdout and benchmarks/out/duplicates.json.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
SHARED = ROOT.parent / "shared" / "data"

from photoorg.duplicates.fingerprint import fingerprint  # noqa: E402
from photoorg.duplicates.grouping import Hashes, find_groups  # noqa: E402
from photoorg.duplicates.quality import WORK_SIDE, measure  # noqa: E402
from photoorg.duplicates.ranking import Candidate, exposure_error, rank  # noqa: E402
from photoorg.scan.imageio import ImageReadError, decode, open_image  # noqa: E402
from photoorg.scan.metadata import read_metadata  # noqa: E402


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def crop(image: Image.Image, keep: float, x: float = 0.5, y: float = 0.5) -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    left, top = round((image.width - w) * x), round((image.height - h) * y)
    return image.crop((left, top, left + w, top + h))


def variants(im: Image.Image) -> dict[str, bytes]:
    jpeg = {"format": "JPEG", "quality": 90}
    out = {
        "resize 1/2": (im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), jpeg),
        "resize 1/4": (im.resize((im.width // 4, im.height // 4), Image.Resampling.LANCZOS), jpeg),
        "jpeg q30": (im, {"format": "JPEG", "quality": 30}),
        "png": (im, {"format": "PNG"}),
        "webp": (im, {"format": "WEBP", "quality": 80}),
        "crop 5% corner": (crop(im, 0.95, 1, 1), jpeg),
        "crop 10% corner": (crop(im, 0.90, 0, 0), jpeg),
        "crop 10% centre": (crop(im, 0.90), jpeg),
        "brightness +30%": (ImageEnhance.Brightness(im).enhance(1.3), jpeg),
        "colour +50%": (ImageEnhance.Color(im).enhance(1.5), jpeg),
        "rotate 90": (im.transpose(Image.Transpose.ROTATE_90), jpeg),
        "rotate 180": (im.transpose(Image.Transpose.ROTATE_180), jpeg),
        "rotate 270": (im.transpose(Image.Transpose.ROTATE_270), jpeg),
        "mirror": (ImageOps.mirror(im), jpeg),
    }
    encoded = {}
    for kind, (image, options) in out.items():
        options = dict(options)
        encoded[kind] = encode(image, options.pop("format"), **options)
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        encoded["heic"] = encode(im, "HEIF", quality=70)
    except Exception as exc:  # no HEIF encoder in this build
        print(f"(no HEIC variant: {exc})")
    return encoded


def lookalikes(im: Image.Image) -> dict[str, bytes]:
    shots = {
        "left 60%": crop(im, 0.6, 0, 0.5),
        "right 60%": crop(im, 0.6, 1, 0.5),
        "panned 20%": crop(im, 0.8, 0, 0.5),
        "zoom 70%": crop(im, 0.7),
    }
    return {kind: encode(shot, "JPEG", quality=90) for kind, shot in shots.items()}


def analyse(data: bytes):
    image = decode(open_image(data), WORK_SIDE)
    return fingerprint(image), measure(image), image.size


#: photo suffixes taken as originals; jpg/orientation (one picture eight times) and
#: jpg/invalid are left out
SUFFIXES = (".jpg", ".jpeg", ".heic", ".heif", ".tif", ".tiff")


def originals(limit: int | None) -> list[tuple[str, Image.Image, float]]:
    """(name, upright image at most 1600 px, capture time in seconds or NaN)."""
    found = sorted((SHARED / "exif-samples").rglob("*")) + sorted((SHARED / "faces-dev").glob("*.jpg"))
    paths = [
        p for p in found if p.suffix.lower() in SUFFIXES and not {"orientation", "invalid"} & set(p.parts)
    ]
    out = []
    for path in paths:
        try:
            opened = open_image(path.read_bytes())
            taken = read_metadata(opened).taken_at
            image = decode(opened, 0)
        except ImageReadError:
            continue
        if min(image.size) < 200:
            continue  # too small to crop and resize meaningfully
        image.thumbnail((1600, 1600))
        out.append((str(path.relative_to(SHARED)), image, taken.timestamp() if taken else float("nan")))
    return out[:limit] if limit else out


#: variants whose files keep the original's EXIF capture time (edits and
#: recompressions do; format conversions and resized messaging copies are taken
#: to lose it, the harder case)
KEEPS_TIME = ("jpeg q30", "crop", "brightness", "colour", "rotate", "mirror")


def picture_of(name: str) -> str:
    """The ground truth's picture: the cameras' HDR samples come in pairs, the
    HDR photo and the normal one written from the same capture (*_YES/*_NO),
    which are one picture, not two shots."""
    return re.sub(r"_(YES|NO)(?=\.jpg$)", "", name)


def near_duplicates(photos) -> dict:
    """Pairwise precision and per-kind recall, with the hash alone (no capture
    time anywhere) and with capture times as files carry them (originals and
    their edits keep theirs, converted and resized copies lose it, each
    look-alike shot has its own, seconds after the original's)."""
    items = []  # (picture, kind, fingerprint, capture time, original's number)
    for index, (name, image, taken) in enumerate(photos):
        picture = picture_of(name)
        fp, quality, _ = analyse(encode(image, "JPEG", quality=95))
        items.append((picture, "original", fp, taken, index))
        for kind, data in variants(image).items():
            kept = taken if kind.startswith(KEEPS_TIME) else float("nan")
            items.append((picture, kind, analyse(data)[0], kept, index))
        if quality.blurry:
            continue  # a featureless frame (one grey field): its "other shots" look the same by construction
        for number, (kind, data) in enumerate(lookalikes(image).items()):
            items.append((f"{picture} / {kind}", kind, analyse(data)[0], taken + 2 + number, None))
    hashes = Hashes(
        np.array([item[2].phash for item in items]),
        np.array([item[2].dhash for item in items]),
        np.array([item[2].window_phash for item in items]),
        np.array([item[2].window_dhash for item in items]),
    )
    report = {"originals": len(photos), "photos": len(items)}
    for mode, times in (
        ("hash_only", np.full(len(items), np.nan)),
        ("with_capture_times", np.array([item[3] for item in items])),
    ):
        groups = [g for g in find_groups(hashes, [None] * len(items), times) if g.kind != "burst"]
        report[mode] = _score(items, groups)
    return report


def _score(items, groups) -> dict:
    group_of = {row: g for g, found in enumerate(groups) for row in found.rows}
    predicted = true_positive = 0
    false_pairs = []
    for found in groups:
        for a, b in itertools.combinations(found.rows, 2):
            predicted += 1
            if items[a][0] == items[b][0]:
                true_positive += 1
            else:
                false_pairs.append(f"{items[a][0]} ({items[a][1]}) ~ {items[b][0]} ({items[b][1]})")
    recall: dict[str, list[int]] = {}
    originals = {item[4]: row for row, item in enumerate(items) if item[1] == "original"}
    for row, item in enumerate(items):
        if item[1] != "original" and item[4] is not None:
            first = originals[item[4]]
            recall.setdefault(item[1], []).append(
                int(first in group_of and group_of.get(row) == group_of[first])
            )
    positives = sum(len(v) for v in recall.values())
    return {
        "pairwise_precision": round(true_positive / predicted, 4) if predicted else 1.0,
        "pairs_grouped": predicted,
        "false_pairs": false_pairs[:12],
        "recall_all": round(sum(sum(v) for v in recall.values()) / positives, 4),
        "recall_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(recall.items())},
    }


def _candidate(photo_id: int, data: bytes, size: tuple[int, int] | None = None, **marks) -> Candidate:
    _, quality, decoded = analyse(data)
    width, height = size or decoded
    return Candidate(photo_id, width, height, len(data), 0, datetime(2020, 1, 1), quality=quality, **marks)


def best_shot(photos) -> dict:
    cases: dict[str, list[int]] = {"sharp vs blurred": [], "well vs badly exposed": [], "large vs small": []}
    edit_not_worse: list[int] = []
    for _, image, _ in photos:
        sharp = encode(image, "JPEG", quality=90)
        blurred = encode(
            image.filter(ImageFilter.GaussianBlur(max(2, image.width / 400))), "JPEG", quality=90
        )
        ranked = rank("near", [_candidate(2, blurred, image.size), _candidate(1, sharp, image.size)])
        cases["sharp vs blurred"].append(int(ranked[0].photo_id == 1))
        mean = float(np.asarray(image.convert("L")).mean()) or 1.0
        # Only well exposed originals make a "well vs badly exposed" case (not
        # the white-background drawings and night shots among the samples).
        well = exposure_error(analyse(sharp)[1]) < 0.1
        for target in (235.0, 20.0) if well else ():  # blown out, and nearly black
            bad = encode(ImageEnhance.Brightness(image).enhance(target / mean), "JPEG", quality=90)
            ranked = rank("near", [_candidate(2, bad, image.size), _candidate(1, sharp, image.size)])
            cases["well vs badly exposed"].append(int(ranked[0].photo_id == 1))
            if ranked[0].photo_id != 1:
                print("exposure miss", target, [m.why for m in ranked])
        small = image.resize((image.width // 3, image.height // 3), Image.Resampling.LANCZOS)
        ranked = rank(
            "near",
            [_candidate(2, encode(small, "JPEG", quality=95), small.size), _candidate(1, sharp, image.size)],
        )
        cases["large vs small"].append(int(ranked[0].photo_id == 1))
        edit = encode(ImageEnhance.Brightness(image).enhance(1.15), "JPEG", quality=90)
        ranked = rank("near", [_candidate(1, sharp, image.size), _candidate(2, edit, image.size)])
        why_edit = next(m.why for m in ranked if m.photo_id == 2)
        if any(w in why_edit for w in ("blurrier", "too bright", "too dark", "smaller")):
            print("edit called worse:", why_edit)
        edit_not_worse.append(
            int(not any(w in why_edit for w in ("blurrier", "too bright", "too dark", "smaller")))
        )
    cases["edit not called worse"] = edit_not_worse
    out = {k: {"agreement": round(sum(v) / len(v), 4), "cases": len(v)} for k, v in cases.items()}
    return out


def stage_speed(photos) -> dict:
    files = [encode(image, "JPEG", quality=90) for _, image, _ in photos]
    decoded = []
    start = time.perf_counter()
    for data in files:
        decoded.append(decode(open_image(data), WORK_SIDE))
    decode_s = (time.perf_counter() - start) / len(files)
    start = time.perf_counter()
    for image in decoded:
        fingerprint(image)
        measure(image)
    stage_s = (time.perf_counter() - start) / len(files)
    return {
        "decode_ms_per_photo": round(decode_s * 1000, 2),
        "stage_ms_per_photo": round(stage_s * 1000, 2),
        "stage_over_decode": round(stage_s / decode_s, 3),
    }


def grouping_speed(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)

    def random_hashes(*shape):
        return rng.integers(-(2**63), 2**63 - 1, size=shape, dtype=np.int64)

    hashes = Hashes(random_hashes(n, 8), random_hashes(n, 8), random_hashes(n, 9), random_hashes(n, 9))
    planted = n // 20
    source, copy = rng.choice(n, size=(2, planted), replace=False)
    flips = np.zeros(planted, dtype=np.int64)
    for _ in range(4):
        flips ^= np.left_shift(np.int64(1), rng.integers(0, 63, planted).astype(np.int64))
    hashes.phash[copy, 0] = hashes.phash[source, 0] ^ flips
    hashes.dhash[copy, 0] = hashes.dhash[source, 0]
    start = time.perf_counter()
    groups = find_groups(hashes, [None] * n, np.full(n, np.nan))
    seconds = time.perf_counter() - start
    found = {frozenset(g.rows) for g in groups}
    hit = sum(
        frozenset((int(a), int(b))) in found or any({a, b} <= g for g in ()) for a, b in zip(source, copy)
    )
    return {
        "hashes": n,
        "seconds": round(seconds, 2),
        "groups": len(groups),
        "planted_pairs_found": hit / planted,
    }


def pipeline_cost(count: int) -> dict:
    """The CLIP ratio of bench_core (a): end-to-end indexing over model-only
    forward, on 8 MP JPEGs, without and with the duplicates stage, in one
    process (fresh libraries, the same random ViT-B-32, fp32 torch)."""
    import tempfile

    import bench_core
    import torch

    from photoorg.library import Library
    from photoorg.roots import add_root
    from photoorg.scan.imageio import load_upright

    images = bench_core.eight_megapixel_jpegs(count)
    weights = bench_core.random_weights()
    runs: dict[str, list[float]] = {"thumbnail+clip": [], "+duplicates": []}
    model_rate = None
    # Alternated, twice each: the first run of a process is slower (caches, threads warming up).
    for label, names in (
        ("thumbnail+clip", ("thumbnail", "clip")),
        ("+duplicates", ("thumbnail", "clip", "duplicates")),
    ) * 2:
        library = Library(tempfile.mkdtemp(prefix="dup-bench-"))
        library.select_model(bench_core.ARCH, str(weights))
        library.ml_overrides = {"runtime": "torch"}
        if model_rate is None:
            encoder = library.clip_encoder()
            files = sorted(Path(images).glob("*.jpg"))
            batch = torch.stack([encoder.preprocess(load_upright(str(p), 224)) for p in files[:16]])
            encoder.encode_images(batch)
            started = time.perf_counter()
            for _ in range(4):
                encoder.encode_images(batch)
            model_rate = 64 / (time.perf_counter() - started)
        add_root(library.db, images)
        specs = [spec for spec in library.stage_specs(text_tower=False) if spec.name in names]
        rate = bench_core.pipeline_rate(library.indexer(specs, decode_workers=1), "clip", count)
        runs[label].append(rate)
        library.close()
    out: dict = {
        label: {"photos_per_s": [round(r, 2) for r in rates], "best_ratio": round(max(rates) / model_rate, 3)}
        for label, rates in runs.items()
    }
    out["model_only_per_s"] = round(model_rate, 2)
    return out


def main() -> int:
    if "--pipeline" in sys.argv:
        report = pipeline_cost(48)
        print(json.dumps(report, indent=2))
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "duplicates-pipeline.json").write_text(json.dumps(report, indent=2))
        return 0
    quick = "--quick" in sys.argv
    if not SHARED.is_dir():
        print(f"needs {SHARED}")
        return 1
    photos = originals(8 if quick else None)
    report = {
        "near_duplicates": near_duplicates(photos),
        "best_shot": best_shot(photos),
        "stage": stage_speed(photos),
        "grouping": [grouping_speed(n) for n in ((20_000,) if quick else (100_000, 1_000_000))],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "duplicates.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
