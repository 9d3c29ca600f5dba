"""How accurate the offline tagger (EfficientNet-Lite0 + ConceptMapper) is on real, labelled photos.

Labels: benchmarks/tag_labels.json (paths under ../shared/data, vocabulary concept names; see its
"_note"). Both labels and predictions are expanded with their ancestors, so "iguana" also means
"lizard", "reptile" and "animal". Per photo, for each threshold:

- precision: share of the predicted tags (with ancestors) that are right;
- recall: share of the expected tags (with ancestors) that were predicted; "reach" is the same over
  the photos with a label the tagger can output at all (ImageNet has no "street", "logo", "portrait"...);
- tagged: the photo got at least one tag;
- top-1 hit: its most confident tag is right; "exact" when it is an expected tag or more specific.

A predicted tag counts as right when it is in the expanded labels, or more specific than a label
(the labels are as specific as the labeller could be sure of: "egyptian mau" for a "cat" is right).
Predicting "cat" for a "tabby cat" is a hit, but not an exact one.

Both input normalisations are measured: TF-style 0.5/0.5 (what classifier.preprocess does: the
original TensorFlow Lite0 weights were trained with it) and ImageNet mean/std, for comparison.

Run from the repository root: python benchmarks/tag_accuracy.py [--photos]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "benchmarks" / "tag_labels.json"
OUT = ROOT / "benchmarks" / "out" / "tag_accuracy.json"
THRESHOLDS = [round(0.10 + 0.05 * i, 2) for i in range(11)]
BATCH = 16


def load_batch(paths: list[str]):
    """The preprocessed tensors, in both normalisations."""
    import torch

    from photoorg.scan.imageio import load_upright
    from photoorg.tags.classifier import INPUT_SIZE, MEAN, STD, preprocess

    current = torch.stack([preprocess(load_upright(str(DATA / p), INPUT_SIZE)) for p in paths])
    mean, std = torch.from_numpy(MEAN)[:, None, None], torch.from_numpy(STD)[:, None, None]
    pixels = current * std + mean  # back to 0..1
    imagenet_mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    imagenet_std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    return {"tf": current, "imagenet": (pixels - imagenet_mean) / imagenet_std}


def probabilities(paths: list[str]) -> dict[str, np.ndarray]:
    from photoorg.tags.classifier import class_probabilities

    chunks: dict[str, list[np.ndarray]] = {"imagenet": [], "tf": []}
    for start in range(0, len(paths), BATCH):
        for name, batch in load_batch(paths[start : start + BATCH]).items():
            chunks[name].append(class_probabilities(batch))
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


class Scorer:
    def __init__(self, tree) -> None:
        self.tree = tree

    def expand(self, ids) -> set[int]:
        return {a for t in ids for a in (t, *self.tree.ancestors(t))}

    def score(self, expected: list[int], predicted: list[int]) -> dict:
        wanted = self.expand(expected)
        labels = set(expected)

        def right(tag: int) -> bool:
            return tag in wanted or not labels.isdisjoint(self.tree.ancestors(tag))

        def exact(tag: int) -> bool:
            return tag in labels or not labels.isdisjoint(self.tree.ancestors(tag))

        found = self.expand(predicted)
        covered = {t for t in wanted if t in found}
        return {
            "precision": sum(map(right, found)) / len(found) if found else None,
            "recall": len(covered) / len(wanted),
            "tagged": bool(predicted),
            "top1": bool(predicted) and right(predicted[0]),
            "top1_exact": bool(predicted) and exact(predicted[0]),
        }


def summarise(scores: list[dict], reachable: list[bool]) -> dict:
    precisions = [s["precision"] for s in scores if s["precision"] is not None]
    return {
        "precision": float(np.mean(precisions)) if precisions else None,
        "recall": float(np.mean([s["recall"] for s in scores])),
        "recall_reach": float(np.mean([s["recall"] for s, ok in zip(scores, reachable) if ok])),
        "tagged": float(np.mean([s["tagged"] for s in scores])),
        "top1": float(np.mean([s["top1"] for s in scores])),
        "top1_exact": float(np.mean([s["top1_exact"] for s in scores])),
    }


def main(show_photos: bool = False) -> int:
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (the labelled real photos live there)")
        return 0
    from photoorg.library import Library
    from photoorg.tags.calibration import CLASSIFIER_THRESHOLD
    from photoorg.tags.classifier import ConceptMapper
    from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

    raw = json.loads(LABELS.read_text(encoding="utf-8"))
    labels = {path: names for path, names in raw.items() if not path.startswith("_")}
    with tempfile.TemporaryDirectory() as folder:
        library = Library(folder)
        ensure_vocabulary(library.db)
        tree = TagTree.load(library.db)
        library.close()
    missing = [name for names in labels.values() for name in names if tree.find(name) is None]
    if missing:
        raise SystemExit(f"tag_labels.json names concepts the vocabulary lacks: {missing}")
    paths = [p for p in labels if (DATA / p).is_file()]
    if len(paths) < len(labels):
        print(f"note: {len(labels) - len(paths)} labelled files are missing under {DATA}")
    expected = {p: [tree.find(n) for n in labels[p]] for p in paths}
    mapper, scorer = ConceptMapper(tree), Scorer(tree)
    outputs = {int(t) for t, ok in zip(mapper.space.tag_ids, mapper.space.selectable) if ok}
    reachable = [any(outputs & tree.descendants(t) for t in expected[p]) for p in paths]

    report: dict = {
        "photos": len(paths),
        "reachable_photos": sum(reachable),
        "default_threshold": CLASSIFIER_THRESHOLD,
        "results": {},
        "per_photo": {},
    }
    print(
        f"{len(paths)} labelled photos, {sum(reachable)} with a label the tagger can output; "
        "precision is over the photos that got a tag"
    )
    print(f"{'norm':9}{'thr':>6}{'prec':>7}{'recall':>8}{'reach':>7}{'tagged':>8}{'top1':>7}{'exact':>7}")
    for norm, probs in probabilities(paths).items():
        rows = []
        for threshold in THRESHOLDS:
            tags = mapper.tags(probs, threshold)
            row = {"threshold": threshold} | summarise(
                [scorer.score(expected[p], [t for t, _ in tag_list]) for p, tag_list in zip(paths, tags)],
                reachable,
            )
            rows.append(row)
            prec = "   n/a" if row["precision"] is None else f"{row['precision']:6.2f}"
            print(
                f"{norm:9}{threshold:6.2f} {prec}{row['recall']:8.2f}{row['recall_reach']:7.2f}"
                f"{row['tagged']:8.2f}{row['top1']:7.2f}{row['top1_exact']:7.2f}"
            )
        report["results"][norm] = rows
        for p, tag_list in zip(paths, mapper.tags(probs, THRESHOLDS[0])):
            entry = report["per_photo"].setdefault(p, {"expected": labels[p]})
            entry[norm] = [[tree.names[t], round(c, 3)] for t, c in tag_list]
    if show_photos:
        for p, entry in report["per_photo"].items():
            print(f"{p}\n    expected: {', '.join(entry['expected'])}")
            for norm in report["results"]:
                guesses = ", ".join(f"{n} {c:.2f}" for n, c in entry[norm][:4]) or "-"
                print(f"    {norm}@{THRESHOLDS[0]}: {guesses}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--photos" in sys.argv[1:]))
