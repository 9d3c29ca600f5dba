"""MiniLM vectors of the shipped vocabulary's names and synonyms.

Embedding ~4,500 short texts takes MiniLM ~15 s on two cores, which would be
the first offline search's wait; they ship precomputed instead, as float16, in
resources/tags/minilm_vectors.npz. Regenerate after changing the vocabulary:

    python -m photoorg.tags.text_vectors
"""

from __future__ import annotations

import numpy as np

from photoorg.resources_path import resource_path
from photoorg.tags.vocabulary import shipped_vocabulary

SHIPPED = resource_path("tags", "minilm_vectors.npz")


def vocabulary_texts() -> list[str]:
    texts: list[str] = []
    for concept in shipped_vocabulary().concepts:
        texts.extend([concept.name, *concept.synonyms])
    return sorted(set(texts))


def shipped_vectors() -> dict[str, np.ndarray]:
    """text -> vector for the texts the shipped file holds (empty when absent)."""
    if not SHIPPED.is_file():
        return {}
    with np.load(SHIPPED) as stored:
        return dict(zip(stored["texts"].tolist(), stored["vectors"].astype(np.float32), strict=True))


def main() -> None:
    # here: text_search imports this module (a cycle), and only this build script needs it
    from photoorg.tags.text_search import TagTextIndex

    texts = vocabulary_texts()
    vectors = TagTextIndex().encode(texts).astype(np.float16)
    np.savez_compressed(SHIPPED, texts=np.asarray(texts), vectors=vectors)
    print(f"wrote {len(texts)} vectors to {SHIPPED}")


if __name__ == "__main__":
    main()
