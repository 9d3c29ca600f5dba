"""COCO's 80 object names, as the tag vocabulary names them."""

from __future__ import annotations

from photoorg.tags.vocabulary import TagTree

#: COCO name -> vocabulary concept, where the words differ
COCO_TO_CONCEPT = {
    "tv": "television",
    "cell phone": "phone",
    "sports ball": "ball",
    "dining table": "table",
    "wine glass": "drinking glass",
    "mouse": "computer mouse",
    "remote": "remote control",
    "hair drier": "hair dryer",
    "skis": "ski",
    "tennis racket": "racket",
    "baseball glove": "glove",
    "donut": "doughnut",
}


def concept_for(coco_name: str, tree: TagTree) -> int | None:
    """The vocabulary tag a COCO label means, or None when it has none."""
    return tree.find(COCO_TO_CONCEPT.get(coco_name, coco_name))
