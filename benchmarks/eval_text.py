"""Text in photos, measured: word recall of `text:` search, false matches on
photos without text, and the stage's cost per photo with and without text.

The dev set is built here from real photos (``../shared/data``: camera samples
and portraits, every one at least 400 px on its short side) by drawing varied
text on them: six fonts (sans, serif, mono, bold, condensed, oblique), sizes
from small print to signs, angles up to 15°, dark and light ink, on the bare
photo or on a sign-like panel, words with accents and numbers. Each photo is
also kept without text, as a negative. Nothing here is tuned to this set: the
stage's thresholds were set before it existed.

    python benchmarks/eval_text.py [--variants 3] [--seed 1]

Writes benchmarks/out/text.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photoorg.scan.imageio import decode  # noqa: E402
from photoorg.text import ocr  # noqa: E402
from photoorg.text.stage import TextStage  # noqa: E402
from photoorg.text.store import compile_query, create_tables  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FONTS = [
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSerif-Italic.ttf",
]
WORDS = [
    "coffee",
    "menu",
    "station",
    "platform",
    "exit",
    "museum",
    "garden",
    "ticket",
    "receipt",
    "total",
    "bakery",
    "pharmacy",
    "hotel",
    "harbour",
    "library",
    "market",
    "street",
    "avenue",
    "bridge",
    "theatre",
    "concert",
    "festival",
    "parking",
    "entrance",
    "closed",
    "open",
    "sale",
    "welcome",
    "airport",
    "gate",
    "departure",
    "arrival",
    "boulevard",
    "cathedral",
    "school",
    "kitchen",
    "Lisboa",
    "Café",
    "Straße",
    "München",
    "Zürich",
    "Crème",
    "Brûlée",
    "São",
    "Paulo",
    "Málaga",
    "Ärzte",
    "Øresund",
]
NUMBERS = ["2019", "12.50", "1984", "42", "07:45", "3.99", "2024-06-01", "15%", "A7", "B12"]


def backgrounds() -> list[Path]:
    paths = []
    for path in sorted(SHARED.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".tif", ".tiff") or "invalid" in path.parts:
            continue
        try:
            with Image.open(path) as image:
                if min(image.size) >= 400:
                    image.load()
                    paths.append(path)
        except Exception:  # corrupt samples are part of the folder on purpose
            continue
    return paths


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    for folder in ("/usr/share/fonts/truetype/dejavu",):
        candidate = Path(folder) / name
        if candidate.is_file():
            return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default(size=size)


def draw_text(base: Image.Image, rng: random.Random) -> tuple[Image.Image, list[str]]:
    """Two to four lines of words and numbers drawn on ``base``; the words drawn."""
    image = base.convert("RGB").copy()
    width, height = image.size
    drawn: list[str] = []
    placed: list[tuple[int, int, int, int]] = []
    for _ in range(rng.randint(2, 4)):
        words = rng.sample(WORDS, rng.randint(1, 3)) + ([rng.choice(NUMBERS)] if rng.random() < 0.5 else [])
        text = " ".join(words)
        size = int(height * rng.choice([0.025, 0.035, 0.05, 0.08]))
        face = font(rng.choice(FONTS), max(size, 14))
        left, top, right, bottom = face.getbbox(text)
        layer = Image.new("RGBA", (right - left + size, bottom - top + size), (0, 0, 0, 0))
        pen = ImageDraw.Draw(layer)
        dark = rng.random() < 0.6
        if rng.random() < 0.5:  # a sign: a panel behind the words
            panel = (245, 245, 235, 230) if dark else (25, 40, 90, 230)
            pen.rectangle((0, 0, layer.width, layer.height), fill=panel)
        ink = (rng.randint(0, 60),) * 3 if dark else (rng.randint(215, 255),) * 3
        pen.text((size // 2 - left, size // 2 - top), text, font=face, fill=(*ink, 255))
        layer = layer.rotate(rng.choice([0, 0, 0, -5, 4, 10, -15]), expand=True, resample=Image.BICUBIC)
        if layer.width >= width or layer.height >= height:
            continue
        # Lines never overlap: a word hidden under another is no test of reading.
        for _attempt in range(20):
            x = rng.randint(0, width - layer.width)
            y = rng.randint(0, height - layer.height)
            box = (x, y, x + layer.width, y + layer.height)
            if not any(_overlap(box, other) for other in placed):
                break
        else:
            continue
        placed.append(box)
        image.paste(layer, (x, y), layer)
        drawn += words
    return image, drawn


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def jpeg_roundtrip(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=88)
    buffer.seek(0)
    return Image.open(buffer)


def found(con: sqlite3.Connection, photo_id: int, word: str) -> bool:
    match = compile_query(word, phrase=True)
    rows = con.execute(f"SELECT photo_id FROM ({match.sql})", match.params).fetchall()
    return any(row[0] == photo_id for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=3, help="text versions of each photo")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    stage = TextStage()
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    create_tables(con)

    cases = []  # (photo id, words drawn or [] for a negative, seconds)
    next_id = 1
    sources = backgrounds()
    if not sources:
        raise SystemExit(f"no photos found under {SHARED}")
    stage.prepare(Image.new("RGB", (800, 600), "white"), None)  # load the models outside the timings
    for path in sources:
        base = Image.open(path)
        base.load()
        variants = [(base, [])] + [draw_text(base, rng) for _ in range(args.variants)]
        for image, words in variants:
            upright = decode(jpeg_roundtrip(image), TextStage.min_side)
            started = time.perf_counter()
            result = stage.prepare(upright, None)
            seconds = time.perf_counter() - started
            text = "\n".join(line.text for line in result.lines)
            if text:
                con.execute("INSERT INTO photo_text_words (rowid, text) VALUES (?, ?)", (next_id, text))
            cases.append((next_id, words, seconds, result.coverage, path.name))
            next_id += 1

    per_kind: dict[str, list[int]] = {"word": [0, 0], "number": [0, 0], "accented": [0, 0]}
    for photo_id, words, *_ in cases:
        for word in words:
            kind = "number" if word in NUMBERS else "accented" if not word.isascii() else "word"
            per_kind[kind][0] += found(con, photo_id, word)
            per_kind[kind][1] += 1
    recall = {kind: (hit / total if total else None) for kind, (hit, total) in per_kind.items()}
    all_hits = sum(h for h, _ in per_kind.values())
    all_words = sum(t for _, t in per_kind.values())

    negatives = [case for case in cases if not case[1]]
    vocabulary = sorted(set(WORDS + NUMBERS))
    false_matches = [
        (name, word)
        for photo_id, _, _, _, name in negatives
        for word in vocabulary
        if found(con, photo_id, word)
    ]
    with_text = [case[2] for case in cases if case[1]]
    without = [case[2] for case in negatives]
    probed_only = [case[2] for case in negatives if not ocr.text_present(case[3])]
    report = {
        "photos": len(sources),
        "text_photos": len(cases) - len(negatives),
        "words": all_words,
        "word_recall": round(all_hits / all_words, 3),
        "recall_by_kind": {k: None if v is None else round(v, 3) for k, v in recall.items()},
        "negatives": len(negatives),
        "negatives_read": sum(1 for case in negatives if ocr.text_present(case[3])),
        "false_matches": len(false_matches),
        "false_match_examples": false_matches[:10],
        "seconds_per_photo_with_text": round(statistics.mean(with_text), 3),
        "seconds_per_photo_without_text": round(statistics.mean(without), 3),
        "seconds_per_photo_probe_only": round(statistics.mean(probed_only), 3) if probed_only else None,
    }
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "text.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
