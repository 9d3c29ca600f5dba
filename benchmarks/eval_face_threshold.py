"""How the face-distance threshold was chosen: pairwise precision and recall
on real labelled faces.

Run:  python benchmarks/eval_face_threshold.py

Faces (all through the app's own pipeline: detection at the default size,
5-point alignment, dlib's 128-D descriptor):
- ../shared/data/faces-dev: obama_1..3 (one person, photos years apart) and
  biden_1..2 (another person);
- scikit-image's astronaut (a third person);
- every face the detector finds in ../shared/data/exif-samples (camera sample
  photos of strangers; each is taken to be a different person, which holds
  for the ones found: they are visibly different people);
- "degraded" copies of the faces-dev portraits, shrunk until the face is
  about 60 and 40 pixels wide and saved as JPEG quality 60, labelled as the
  same person: how far a small, soft face drifts from the sharp one.

Reported: for each threshold, pairwise precision and recall (a pair is
predicted "same person" when closer than the threshold), separately for the
originals and with the degraded copies; and the pairwise precision and recall
of the real incremental clustering (photoorg.faces.cluster) at the default.
Results go to stdout and benchmarks/out/face_threshold.json.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def collect():
    from PIL import Image
    from skimage import data

    from photoorg.faces.models import FaceAnalyzer
    from photoorg.scan.imageio import ImageReadError, load_upright

    analyzer = FaceAnalyzer()
    faces = []  # (label, source, width in analysed px, quality, descriptor, degraded)

    def add(image, label, source, degraded=False, first_only=False):
        found = analyzer.detect(image)
        chosen = sorted(found.faces, key=lambda f: -f.box[2])[:1] if first_only else found.faces
        for k, face in enumerate(chosen):
            who = label if first_only or len(chosen) == 1 else f"{label}#{k}"
            faces.append((who, source, face.box[2], face.quality, analyzer.describe(face.chip), degraded))
        return found

    portraits = sorted((SHARED / "faces-dev").glob("*.jpg"))
    for path in portraits:
        add(load_upright(str(path)), path.stem.split("_")[0], path.name, first_only=True)
    add(Image.fromarray(data.astronaut()), "astronaut", "skimage astronaut", first_only=True)
    for path in sorted((SHARED / "exif-samples").rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".tif", ".tiff", ".heic"):
            continue
        try:
            image = load_upright(str(path))
        except (ImageReadError, OSError):
            continue
        add(image, f"stranger:{path.name}", str(path.relative_to(SHARED)))

    for path in portraits:
        image = load_upright(str(path))
        found = analyzer.detect(image)
        if not found.faces:
            continue
        face_width = max(f.box[2] for f in found.faces) * image.width / found.width
        for target in (60, 40):
            scale = target / face_width
            small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
            buffer = io.BytesIO()
            small.save(buffer, "JPEG", quality=60)
            buffer.seek(0)
            add(
                Image.open(buffer).convert("RGB"),
                path.stem.split("_")[0],
                f"{path.name} shrunk to a {target} px face",
                degraded=True,
                first_only=True,
            )
    return faces


def pair_metrics(faces, threshold: float) -> dict:
    tp = fp = fn = 0
    for a, b in itertools.combinations(faces, 2):
        same = a[0] == b[0]
        close = float(np.linalg.norm(a[4] - b[4])) < threshold
        tp += same and close
        fp += close and not same
        fn += same and not close
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "threshold": round(threshold, 2),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "false_merges": fp,
        "missed": fn,
    }


def distances(faces) -> dict:
    same, different = [], []
    for a, b in itertools.combinations(faces, 2):
        d = round(float(np.linalg.norm(a[4] - b[4])), 3)
        (same if a[0] == b[0] else different).append((d, a[1], b[1]))
    same.sort()
    different.sort()
    return {
        "same_person_max": same[-1] if same else None,
        "different_people_min": different[0] if different else None,
        "same": same,
        "different_closest": different[:5],
    }


def clustering(faces, threshold: float) -> dict:
    """The app's own clustering over these faces, one photo each."""
    from photoorg.faces.cluster import cluster_faces
    from photoorg.library import Library
    from photoorg.store.schema import PHOTO_OK, Face, Photo

    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "lib") as library:
        ids = []
        now = datetime.now()
        with library.db.transaction() as s:
            for i, (_, _, width, quality, vector, _) in enumerate(faces):
                photo = Photo(
                    path=f"/eval/{i}.jpg",
                    folder="/eval",
                    size=1,
                    mtime_ns=0,
                    date=now,
                    state=PHOTO_OK,
                    added_at=now,
                    updated_at=now,
                    width=1000,
                    height=1000,
                )
                s.add(photo)
                s.flush()
                face = Face(
                    photo_id=photo.id,
                    x=0,
                    y=0,
                    w=int(width),
                    h=int(width),
                    descriptor=vector,
                    quality=quality,
                    detector="hog",
                    created_at=now,
                )
                s.add(face)
                s.flush()
                ids.append(face.id)
        summary = cluster_faces(library.db, threshold)
        with library.db.session() as s:
            person = {f.id: f.person_id for f in s.query(Face)}
    tp = fp = fn = 0
    for (i, a), (j, b) in itertools.combinations(enumerate(faces), 2):
        pi, pj = person[ids[i]], person[ids[j]]
        together = pi is not None and pi == pj
        same = a[0] == b[0]
        tp += same and together
        fp += together and not same
        fn += same and not together
    return {
        "threshold": threshold,
        "people": summary.new_people,
        "unknown_faces": summary.unknown,
        "pair_precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "pair_recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "false_merges": fp,
    }


def main() -> None:
    os.environ.setdefault("PHOTOORG_OFFLINE", "1")
    from photoorg.faces.config import DEFAULT_THRESHOLD

    if not (SHARED / "faces-dev").is_dir():
        log(f"note: {SHARED / 'faces-dev'} is missing; only the astronaut and strangers are used")
    faces = collect()
    originals = [f for f in faces if not f[5]]
    people = sorted({f[0] for f in originals if not f[0].startswith("stranger")})
    result = {
        "faces": len(originals),
        "degraded_copies": len(faces) - len(originals),
        "labelled_people": people,
        "strangers": sum(1 for f in originals if f[0].startswith("stranger")),
        "same_person_pairs": sum(1 for a, b in itertools.combinations(originals, 2) if a[0] == b[0]),
        "different_people_pairs": sum(1 for a, b in itertools.combinations(originals, 2) if a[0] != b[0]),
        "faces_used": [{"label": f[0], "source": f[1], "width": round(f[2]), "quality": f[3]} for f in faces],
        "originals": distances(originals),
        "with_degraded": distances(faces),
    }
    grid = [round(t, 2) for t in np.arange(0.30, 0.72, 0.02)]
    result["sweep_originals"] = [pair_metrics(originals, t) for t in grid]
    result["sweep_with_degraded"] = [pair_metrics(faces, t) for t in grid]
    result["clustering_default"] = clustering(originals, DEFAULT_THRESHOLD)
    result["clustering_default_with_degraded"] = clustering(faces, DEFAULT_THRESHOLD)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "face_threshold.json").write_text(json.dumps(result, indent=2, default=float))

    print(
        f"{result['faces']} faces ({', '.join(people)} and {result['strangers']} strangers), "
        f"{result['same_person_pairs']} same-person pairs, {result['different_people_pairs']} different; "
        f"+{result['degraded_copies']} degraded copies"
    )
    print(f"same person, farthest:    {result['originals']['same_person_max']}")
    print(f"different people, closest: {result['originals']['different_people_min']}")
    print(
        f"with degraded copies: same max {result['with_degraded']['same_person_max']}, "
        f"different min {result['with_degraded']['different_people_min']}"
    )
    print("threshold  precision recall | with degraded: precision recall")
    for a, b in zip(result["sweep_originals"], result["sweep_with_degraded"]):
        left = f"  {a['threshold']:.2f}      {a['precision']:.3f}   {a['recall']:.3f}  |"
        print(f"{left}                {b['precision']:.3f}   {b['recall']:.3f}")
    print("clustering at the default threshold:", result["clustering_default"])
    print("  with degraded copies:", result["clustering_default_with_degraded"])


if __name__ == "__main__":
    main()
