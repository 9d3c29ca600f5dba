"""Everyday subjects offline: per-subject precision and recall of `tag:` search,
person recall, before and after, on a labelled dev set of everyday photos.

The set: benchmarks/everyday/labels.json (photos under ../shared/data, and
sample images that ship in scikit-image and scikit-learn; licences in
benchmarks/everyday/README.md). Each photo is in the "dev" split (used to
calibrate the per-concept thresholds) or the "holdout" split (only measured).

For each code tree (by default ../main as "before" and this checkout as
"after"), a child process with that tree on PYTHONPATH indexes copies of the
photos into a temporary library offline (no CLIP weights: the state of a new
install) with the default stages (text reading off, which tags no subject),
then runs `tag:SUBJECT` through the search engine for every subject. A photo
counts for a subject when the subject or a concept under it is in its labels;
subjects marked "unsure" for a photo are left out of that photo's scoring.

    python benchmarks/eval_everyday.py                 # before and after, both splits
    python benchmarks/eval_everyday.py --trees .       # only this checkout
    python benchmarks/eval_everyday.py --calibrate     # per-concept thresholds from the dev split

Results: benchmarks/out/everyday.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "benchmarks" / "everyday" / "labels.json"
OUT = ROOT / "benchmarks" / "out" / "everyday.json"
THRESHOLDS = ROOT / "resources" / "tags" / "classifier_thresholds.json"
#: the subjects a person looks for in personal photos that the set shows
SUBJECTS = (
    "person", "people", "dog", "cat", "car", "bus", "truck", "motorcycle", "boat", "flower", "plant", "tree",
    "food", "cup", "bowl", "plate", "table", "chair", "building", "house", "church", "street", "kitchen",
    "beach", "mountain", "snow", "sunset", "night", "indoor", "outdoor", "lizard",
)  # fmt: skip


def resolve(key: str) -> Path:
    kind, _, rest = key.partition(":")
    if kind == "shared":
        return DATA / rest
    if kind == "skimage":
        import skimage

        return Path(skimage.__file__).parent / "data" / rest
    if kind == "sklearn":
        import sklearn

        return Path(sklearn.__file__).parent / "datasets" / "images" / rest
    raise ValueError(f"unknown source in {key!r}")


def load_set() -> dict:
    photos = json.loads(LABELS.read_text(encoding="utf-8"))["photos"]
    return {key: entry for key, entry in photos.items() if resolve(key).is_file()}


# -- the child: index and search with one code tree ------------------------------------------


def worker(library_dir: str, folder: str) -> None:
    from photoorg.cli.commands_core import text_search_engine
    from photoorg.library import Library
    from photoorg.roots import add_root

    library = Library(library_dir)
    library.db.set_setting("text.enabled", False)
    root, _ = add_root(library.db, folder, library.paths.root)
    indexer = library.indexer(library.stage_specs(library.ml_options()))
    for _ in indexer.run([root.id]):
        pass
    summary = indexer.summary.as_dict()
    engine = text_search_engine(library)
    found = {}
    for subject in SUBJECTS:
        hits = engine.search(f"tag:{subject}", limit=10_000).hits
        found[subject] = sorted(os.path.basename(hit.path) for hit in hits)
    library.close()
    print(
        json.dumps(
            {"found": found, "cpu_seconds": summary.get("cpu_seconds", {}), "photos": summary.get("photos")}
        )
    )


def run_tree(tree: Path, photos: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder, library, cache = Path(tmp, "photos"), Path(tmp, "library"), Path(tmp, "cache")
        folder.mkdir()
        names = {}
        for i, key in enumerate(sorted(photos)):
            source = resolve(key)
            name = f"{i:03d}_{source.name}"
            shutil.copyfile(source, folder / name)
            names[name] = key
        env = dict(os.environ, PYTHONPATH=str(tree), PHOTOORG_OFFLINE="1", HF_HUB_OFFLINE="1")
        env["PHOTOORG_CACHE_DIR"] = str(cache)
        done = subprocess.run(
            [sys.executable, __file__, "--worker", str(library), str(folder)],
            env=env,
            capture_output=True,
            text=True,
            cwd=tree,
        )
        if done.returncode:
            raise SystemExit(f"indexing with {tree} failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    result["found"] = {s: [names[n] for n in found] for s, found in result["found"].items()}
    return result


# -- scoring --------------------------------------------------------------------------------


class Hierarchy:
    """The shipped vocabulary's parents, to expand labels ("church" is a "building")."""

    def __init__(self) -> None:
        vocabulary = json.loads((ROOT / "resources" / "tags" / "vocabulary.json").read_text(encoding="utf-8"))
        self.parent = {c["name"]: c.get("parent") for c in vocabulary["concepts"]}

    def expand(self, names) -> set[str]:
        out = set()
        for name in names:
            while name and name not in out:
                out.add(name)
                name = self.parent.get(name)
        return out


def score(photos: dict, found: dict[str, list[str]], split: str | None) -> dict:
    hierarchy = Hierarchy()
    table = {}
    for subject in SUBJECTS:
        tp = fp = fn = 0
        hits = set(found.get(subject, []))
        for key, entry in photos.items():
            if (split and entry["split"] != split) or subject in entry.get("unsure", []):
                continue
            positive = subject in hierarchy.expand(entry["labels"])
            tp += positive and key in hits
            fp += (not positive) and key in hits
            fn += positive and key not in hits
        table[subject] = {
            "positives": tp + fn,
            "found": tp + fp,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        }
    with_positives = [row for row in table.values() if row["positives"]]
    tp_all = sum(round((row["recall"] or 0) * row["positives"]) for row in with_positives)
    found_all = sum(row["found"] for row in table.values())
    return {
        "subjects": table,
        "macro_recall": round(sum(row["recall"] or 0 for row in with_positives) / len(with_positives), 3),
        "micro_precision": round(tp_all / found_all, 3) if found_all else None,
        "subjects_with_positives": len(with_positives),
    }


def report(name: str, result: dict, photos: dict) -> dict:
    per_photo = {stage: round(seconds / len(photos), 4) for stage, seconds in result["cpu_seconds"].items()}
    out = {"cpu_seconds_per_photo": per_photo, "found": result["found"]}
    for split in ("dev", "holdout", None):
        out[split or "all"] = score(photos, result["found"], split)
    return out


def print_table(results: dict) -> None:
    names = list(results)
    for split in ("dev", "holdout", "all"):
        print(f"\n{split}: subject  " + "  ".join(f"{n:>18}" for n in names) + "   (precision / recall, n)")
        for subject in SUBJECTS:
            cells = []
            for n in names:
                row = results[n][split]["subjects"][subject]
                p = "  - " if row["precision"] is None else f"{row['precision']:.2f}"
                r = "  - " if row["recall"] is None else f"{row['recall']:.2f}"
                cells.append(f"{p} / {r} ({row['positives']:>2})")
            print(f"  {subject:<12}" + "  ".join(f"{c:>18}" for c in cells))
        print(
            "  macro recall " + "  ".join(f"{results[n][split]['macro_recall']:>18}" for n in names)
            + "\n  precision    " + "  ".join(f"{results[n][split]['micro_precision']!s:>18}" for n in names)
        )  # fmt: skip
    for n in names:
        print(f"{n}: CPU s per photo by stage: {results[n]['cpu_seconds_per_photo']}")


# -- calibration ----------------------------------------------------------------------------


def calibrate(photos: dict) -> None:
    """Per-concept thresholds from the dev split (see photoorg/tags/calibration.py)."""
    import tempfile as _tempfile

    import numpy as np
    import torch

    from photoorg.library import Library
    from photoorg.scan.imageio import load_upright
    from photoorg.tags.calibration import CLASSIFIER_THRESHOLD
    from photoorg.tags.classifier import ConceptMapper, class_probabilities, prepare_crops
    from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

    with _tempfile.TemporaryDirectory() as folder:
        library = Library(folder)
        ensure_vocabulary(library.db)
        tree = TagTree.load(library.db)
        library.close()
    mapper = ConceptMapper(tree)
    hierarchy = Hierarchy()
    dev = {k: e for k, e in photos.items() if e["split"] == "dev"}
    scores = {}
    for key in dev:
        crops = prepare_crops(load_upright(str(resolve(key)), 224))
        with torch.inference_mode():
            probabilities = class_probabilities(crops.tensors)
        scores[key] = mapper.concept_scores(probabilities).max(axis=0)
    index = mapper.space.index_of()
    chosen = {}
    for subject in SUBJECTS:
        tag = tree.find(subject)
        if tag is None or tree.names[tag] != subject or tag not in index:
            continue
        column = index[tag]
        rows = [
            (float(scores[k][column]), subject in hierarchy.expand(e["labels"]))
            for k, e in dev.items()
            if subject not in e.get("unsure", [])
        ]
        if sum(positive for _, positive in rows) < 3:
            continue
        for threshold in np.round(np.arange(0.30, 0.801, 0.05), 2):
            picked = [positive for value, positive in rows if value >= threshold]
            if picked and sum(picked) / len(picked) >= 0.9:
                chosen[subject] = float(threshold)
                break
        else:
            chosen[subject] = 0.80
    data = {
        "_note": "Per-concept thresholds of the offline tagger, from the dev split of benchmarks/everyday "
        "(python benchmarks/eval_everyday.py --calibrate); other concepts use "
        f"CLASSIFIER_THRESHOLD ({CLASSIFIER_THRESHOLD}).",
        "thresholds": dict(sorted(chosen.items())),
    }
    THRESHOLDS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {THRESHOLDS.relative_to(ROOT)}: {data['thresholds']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--trees", nargs="+", default=[str(ROOT.parent / "main"), str(ROOT)])
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (most of the labelled photos live there)")
        return 0
    photos = load_set()
    if args.calibrate:
        calibrate(photos)
        return 0
    results = {}
    for tree in args.trees:
        tree_path = Path(tree).resolve()
        name = "before" if tree_path != ROOT and len(args.trees) > 1 else "after"
        print(f"indexing {len(photos)} photos with {tree_path} ...", flush=True)
        results[name] = report(name, run_tree(tree_path, photos), photos)
    print_table(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"photos": len(photos), "results": results}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
