"""The CLI's commands: wall time of each, beside the cost of importing photoorg.

Run:  python benchmarks/bench_commands.py [--repeats N] [--photos N]

Every command runs in a fresh interpreter (`python -m photoorg ...`), as a user
types it, on a library of small indexed photos. In the same run, interleaved
with the commands (this machine is shared and noisy), it times
`python -c "import photoorg"` (the floor of any command) and
`python -c "import torch"` (what a search by meaning must pay on top). Reported
per command: the median wall time and its ratio to `import photoorg`; also
timed are `import photoorg.library` (SQLAlchemy, numpy and the schema, which
every command needs) and `import open_clip`. The cold
search uses ViT-B-32 with random weights (the real architecture; quality is
meaningless here) and loads only its text tower.

Results go to stdout and to benchmarks/out/commands.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

# Commands that must not load a model (tests/test_light_commands.py checks the imports).
LIGHT = {
    "status": ["status"],
    "show": ["show", "{photo}"],
    "tags": ["tags"],
    "people": ["people"],
    "groups": ["groups"],
    "albums": ["albums"],
    "roots": ["roots"],
    "rate": ["rate", "3", "{photo}"],
    "favorite": ["favorite", "{photo}"],
    "trash": ["trash", "--yes", "{victim}"],
    "search tag:beach (no model)": ["search", "tag:beach"],
}
SEARCH = ["search", "an orange sunset on the beach"]


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
    return elapsed


def build_library(folder: Path, photos: int, victims: int) -> tuple[Path, Path, list[Path]]:
    """Photos indexed with the tiny test model (fast: no tag vocabulary to embed
    with a big text tower), then ViT-B-32 with random weights made the
    library's model, with a random vector per photo, so that a search loads
    and runs the real architecture's text tower."""
    import sqlite3

    import numpy as np

    from benchmarks.bench_core import random_weights
    from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config, make_photo

    pictures = folder / "Pictures"
    for i in range(photos):
        make_photo(pictures / f"p{i:04d}.jpg", pattern=i, color=(i * 7 % 255, 120, 200 - i % 200))
    spare = [make_photo(pictures / "spare" / f"s{i}.jpg", pattern=1000 + i) for i in range(victims)]
    library = folder / "library"
    install_tiny_config(library)
    tiny = build_tiny_checkpoint(folder / "tiny")
    log(f"indexing {photos + victims} photos...")
    photoorg = [sys.executable, "-m", "photoorg"]
    subprocess.run(
        [*photoorg, "index", str(pictures), "--library", str(library), "--model", TINY_ARCH,
         "--weights", str(tiny)],
        check=True, capture_output=True, env=_env(),
    )  # fmt: skip
    log("adopting ViT-B-32 (random weights)...")
    subprocess.run(
        [*photoorg, "models", "get", "--library", str(library), "--model", "ViT-B-32", "--weights",
         str(random_weights())],
        check=True, capture_output=True, env=_env(),
    )  # fmt: skip
    from photoorg.library import Library

    with Library(library) as lib:
        choice = lib.model_choice()
    con = sqlite3.connect(library / "library.db")
    con.execute(
        "INSERT INTO models (key, arch, pretrained, weights_sha256, dim, created_at) "
        "VALUES (?, 'ViT-B-32', NULL, ?, 512, '2024-01-01 00:00:00')",
        (choice.key, choice.weights_sha256),
    )
    model_id = con.execute("SELECT id FROM models WHERE key = ?", (choice.key,)).fetchone()[0]
    ids = [row[0] for row in con.execute("SELECT id FROM photos")]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(ids), 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    con.executemany(
        "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
        ((pid, model_id, vectors[k].astype("<f4").tobytes()) for k, pid in enumerate(ids)),
    )
    con.commit()
    con.close()
    return library, pictures / "p0000.jpg", spare


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", PHOTOORG_OFFLINE="1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photos", type=int, default=60)
    args = parser.parse_args()
    env = _env()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        library, photo, victims = build_library(Path(tmp), args.photos, args.repeats)
        env["XDG_DATA_HOME"] = str(Path(tmp) / "xdg")  # the trash
        runs: dict[str, list[float]] = {}
        references = {
            "import photoorg": [py, "-c", "import photoorg"],
            # What every command needs: SQLAlchemy, numpy, the schema.
            "import photoorg.library": [py, "-c", "import photoorg.library"],
            "import torch": [py, "-c", "import torch"],
            "import open_clip": [py, "-c", "import open_clip"],
        }
        for repeat in range(args.repeats):
            log(f"round {repeat + 1}/{args.repeats}")
            for name, argv in references.items():
                runs.setdefault(name, []).append(timed(argv, env))
            for name, words in LIGHT.items():
                filled = [w.format(photo=photo, victim=victims[repeat]) for w in words]
                runs.setdefault(name, []).append(
                    timed([py, "-m", "photoorg", *filled, "--library", str(library)], env)
                )
            runs.setdefault("search (cold, text tower only)", []).append(
                timed([py, "-m", "photoorg", *SEARCH, "--library", str(library)], env)
            )
    floor = statistics.median(runs["import photoorg"])
    result = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "repeats": args.repeats,
        "photos": args.photos,
        "median_s": {name: round(statistics.median(times), 3) for name, times in runs.items()},
        "ratio_to_import_photoorg": {
            name: round(statistics.median(times) / floor, 2) for name, times in runs.items()
        },
        "all_s": {name: [round(t, 3) for t in times] for name, times in runs.items()},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "commands.json").write_text(json.dumps(result, indent=2))
    print(f"{'command':<34} {'median s':>9} {'x import photoorg':>18}")
    for name in runs:
        print(
            f"{name:<34} {result['median_s'][name]:>9.3f} {result['ratio_to_import_photoorg'][name]:>18.2f}"
        )


if __name__ == "__main__":
    main()
