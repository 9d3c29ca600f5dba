"""Thresholds that turn concept probabilities into tags, and how they were set.

CLIP (``CLIP_THRESHOLD``): the probability is a softmax over the ~1,300
auto concepts at the model's own logit scale (100 for the OpenCLIP models).
At that temperature a concept 0.05 of cosine behind the best one gets
e^-5 ≈ 0.7 % of its mass, so the probability concentrates on the few concepts
that really compete: the subject, the scene, and the event or activity.
A photo that is clearly a dog on a beach puts most of its mass on those two;
0.10 keeps both, and rejects the long tail of near-misses that share a few
percent each. The value could not be tuned against real CLIP weights here
(none can be downloaded on the development machines); the test suite checks
the mechanics with synthetic vectors, and the threshold is one constant to
revisit with weights (see README, "Tags").

Classifier (``CLASSIFIER_THRESHOLD``): EfficientNet-Lite0's ImageNet
softmax (classes under 2 % dropped as noise), summed into the concepts the
1,000 classes map to. Set on 80 hand-labelled real photos from
../shared/data (benchmarks/tag_labels.json, benchmarks/tag_accuracy.py):

    threshold   precision   photos tagged   top tag right
    0.30        0.57        65 %            34 %
    0.40        0.72        46 %            30 %
    0.45        0.75        42 %            29 %
    0.50        0.81        36 %            25 %

0.45 keeps three tags in four right while still tagging four photos in ten;
above it precision gains little and recall keeps falling. (The sample is
small and old compact-camera pictures; 30 of the 80 have no label ImageNet
can express at all: streets, portraits, logos.)

``CLIP_FLOOR``: concept probabilities below 1 % are not summed up the
hierarchy. Uniform noise over ~1,400 concepts is ~0.07 % each, yet summed over
the ~350 animals it would reach 0.25 and tag every photo "animal".

``MAX_TAGS`` keeps the set short: the most probable ones win.

Per concept (resources/tags/classifier_thresholds.json; the offline tagger
classifies seven crops per photo and compares the best crop's score with the
concept's own threshold): chosen on the dev split of the everyday set
(benchmarks/everyday/, ``python benchmarks/eval_everyday.py --calibrate``).
For each concept shown in at least three dev photos, the lowest threshold
from 0.30 to 0.80 at which its precision on the dev split reaches 0.9; every
other concept keeps ``CLASSIFIER_THRESHOLD``. The held-out split only measures.

``NIGHT_MEAN``: a photo darker than this on average (0..1), with a few bright
points (0.2 % of its pixels or more), scores as a night shot from 0.5 up
(classifier.night_score). The two dev photos taken at night are 0.18 and 0.24
dark on average; a street in deep shadow (0.22, held out) is a known false
positive.
"""

import json
from functools import cache

from photoorg.resources_path import resource_path

CLIP_THRESHOLD = 0.10
CLIP_FLOOR = 0.01
CLASSIFIER_THRESHOLD = 0.45
MAX_TAGS = 6
NIGHT_MEAN = 0.25
VERSION = 4  # bump when the selection rule or a threshold changes: photos are tagged again


@cache
def concept_thresholds() -> dict[str, float]:
    """The calibrated per-concept thresholds (resources/tags/classifier_thresholds.json)."""
    path = resource_path("tags", "classifier_thresholds.json")
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: float(value) for name, value in data["thresholds"].items()}


def concept_threshold(name: str) -> float:
    return concept_thresholds().get(name, CLASSIFIER_THRESHOLD)
