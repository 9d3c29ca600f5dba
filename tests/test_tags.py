"""Tags: the vocabulary and its hierarchy, the ImageNet mapping, selection,
the user's precedence over auto tags, tag search, custom concepts, groups."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import delete, select

from photoorg.roots import add_root
from photoorg.search.query import parse_query
from photoorg.store.schema import PhotoStage, PhotoTag
from photoorg.tags import store
from photoorg.tags.selection import ConceptSpace, select_tags
from photoorg.tags.text_search import rewrite, tags_in_text
from photoorg.tags.vocabulary import TagTree, ensure_vocabulary, imagenet_map, shipped_vocabulary
from tests.helpers import make_photo


@pytest.fixture
def tree(library):
    ensure_vocabulary(library.db)
    return TagTree.load(library.db)


def run_index(library, *roots):
    ids = [add_root(library.db, r)[0].id for r in roots] or None
    indexer = library.indexer(library.stage_specs())
    events = list(indexer.run(ids))
    return indexer.summary, events


def photo_id(library, path):
    from photoorg.photos import find_photo

    return find_photo(library.db, path).id


def tag_names(library, pid):
    with library.db.session() as s:
        return {t["name"] for t in store.photo_tags(s, pid, TagTree.from_session(s))}


# -- vocabulary --------------------------------------------------------------------------------


def test_vocabulary_is_large_curated_and_a_forest():
    vocabulary = shipped_vocabulary()
    names = vocabulary.by_name()
    assert len(names) == len(vocabulary.concepts) >= 1000
    for concept in vocabulary.concepts:
        assert concept.parent is None or concept.parent in names, concept.name
        assert len(concept.prompts) >= 2, concept.name
        seen, parent = {concept.name}, concept.parent
        while parent is not None:  # no cycles
            assert parent not in seen
            seen.add(parent)
            parent = names[parent].parent
    for word in (
        "beach",
        "mountain",
        "sunset",
        "night",
        "rain",
        "snow",
        "birthday",
        "wedding",
        "concert",
        "hiking",
        "screenshot",
        "document",
        "receipt",
        "whiteboard",
        "meme",
        "dog",
        "cat",
        "pizza",
        "car",
        "flower",
        "tree",
    ):
        assert word in names, word
    kinds = {c.kind for c in vocabulary.concepts}
    assert {
        "object",
        "animal",
        "food",
        "plant",
        "vehicle",
        "scene",
        "weather",
        "time_of_day",
        "activity",
        "event",
        "non_photo",
    } <= kinds


def test_hierarchy_implies_parents(tree):
    golden = tree.find("golden retriever")
    assert {tree.names[a] for a in tree.ancestors(golden)} >= {"dog", "animal"}
    cat_class = imagenet_map()[285]  # ImageNet's "Egyptian cat"
    assert {tree.names[a] for a in tree.ancestors(tree.find(cat_class))} >= {"cat", "animal"}
    assert tree.find("egyptian cat") == tree.find(cat_class)  # the ImageNet name is a synonym
    assert tree.find("puppy") == tree.find("dog")
    assert tree.find("dogs") == tree.find("dog")


def test_every_imagenet_class_maps_to_a_concept_and_breeds_to_dog(tree):
    names = imagenet_map()
    assert len(names) == 1000
    assert all(tree.find(name) is not None for name in names)
    dog = tree.find("dog")
    breeds = names[151:269]  # ImageNet's dog breeds
    assert all(dog in tree.ancestors(tree.find(b)) or tree.find(b) == dog for b in breeds)


# -- selection -------------------------------------------------------------------------------------


def test_selection_sums_up_the_hierarchy_and_keeps_it_short():
    tree = TagTree()
    for tag_id, name, parent in [
        (1, "animal", None),
        (2, "dog", 1),
        (3, "golden", 2),
        (4, "lab", 2),
        (5, "cat", 1),
        (6, "beach", None),
    ]:
        tree.names[tag_id], tree.parents[tag_id] = name, parent
    space = ConceptSpace.build(tree, [1, 2, 3, 4, 5, 6], {2, 3, 4, 5, 6})
    p = np.array(
        [
            [0, 0, 0.1, 0.1, 0, 0.5],  # an unsure breed: "dog" from the sum, plus the beach
            [0, 0, 0.95, 0, 0, 0],  # a sure golden: no separate "dog"
            [0, 0, 0.35, 0, 0.02, 0.02],  # unsure golden but sure dog? dog = 0.35, same: golden only
            [0.02] * 6,  # nothing clear: no tags at all
        ],
        dtype=np.float32,
    )
    chosen = select_tags(p, space, threshold=0.15, max_tags=6)
    assert [t for t, _ in chosen[0]] == [6, 2]
    assert [t for t, _ in chosen[1]] == [3]
    assert [t for t, _ in chosen[2]] == [3]
    assert chosen[3] == []
    assert select_tags(np.tile(p[:1], (1, 1)), space, 0.15, max_tags=1)[0] == [(6, 0.5)]


# -- the offline classifier on real photos ------------------------------------------------------------


def test_offline_classifier_tags_a_real_cat_photo(library, tree):
    skimage_data = pytest.importorskip("skimage.data")
    import torch

    from photoorg.tags.classifier import ConceptMapper, class_probabilities, preprocess

    batch = torch.stack(
        [
            preprocess(Image.fromarray(skimage_data.chelsea())),
            preprocess(Image.fromarray(skimage_data.coffee())),
        ]
    )
    cat, coffee = ConceptMapper(tree).tags(class_probabilities(batch))
    cat_names = {tree.names[t] for t, _ in cat}
    assert "cat" in cat_names or tree.find("cat") in {a for t, _ in cat for a in tree.ancestors(t)}
    assert {tree.names[a] for t, _ in coffee for a in (t, *tree.ancestors(t))} & {"coffee", "drink", "cup"}


# -- user versus auto -------------------------------------------------------------------------------


@pytest.fixture
def cat_library(library, tmp_path):
    """A library indexed without CLIP: the offline classifier tags it."""
    skimage_data = pytest.importorskip("skimage.data")
    folder = tmp_path / "pets"
    folder.mkdir()
    Image.fromarray(skimage_data.chelsea()).save(folder / "chelsea.jpg", quality=92)
    Image.fromarray(skimage_data.coffee()).save(folder / "coffee.jpg", quality=92)
    make_photo(folder / "plain.jpg")
    summary, _ = run_index(library, folder)
    assert summary.stages["classify"]["done"] == 3
    return library, folder


def _retag_with_classifier(library):
    with library.db.transaction() as s:
        s.execute(delete(PhotoStage).where(PhotoStage.stage == "classify"))
    summary, _ = run_index(library)
    assert summary.stages["classify"]["done"] == 3


def test_user_decisions_win_over_auto_tags_and_survive_retagging(cat_library):
    library, folder = cat_library
    cat = photo_id(library, folder / "chelsea.jpg")
    plain = photo_id(library, folder / "plain.jpg")
    assert "cat" in tag_names(library, cat)
    store.remove_tag(library.db, [cat], "cat")  # "not a cat": also drops the breed below it
    store.add_tag(library.db, [cat, plain], "Whiskers")
    assert "cat" not in tag_names(library, cat) and "whiskers" in tag_names(library, cat)

    _retag_with_classifier(library)
    with library.db.session() as s:
        auto = s.scalars(
            select(PhotoTag).where(PhotoTag.photo_id == cat, PhotoTag.source == "classifier")
        ).all()
    assert auto, "the classifier ran again and wrote its auto rows"
    names = tag_names(library, cat)
    assert "cat" not in names and "whiskers" in names
    assert "whiskers" in tag_names(library, plain)
    hits = library.search.search("tag:cat").hits
    assert cat not in {h.photo_id for h in hits}


def test_tag_search_syntax_and_offline_fallback(cat_library):
    library, folder = cat_library
    cat = photo_id(library, folder / "chelsea.jpg")
    coffee = photo_id(library, folder / "coffee.jpg")
    plain = photo_id(library, folder / "plain.jpg")
    store.add_tag(library.db, [plain], "dog")
    store.add_tag(library.db, [cat], "indoor")

    def found(query):
        return {h.photo_id for h in library.search.search(query).hits}

    assert found("tag:cat") == {cat}
    assert found("cat") == {cat}  # a bare tag word is a tag
    assert found("tag:animal") == {cat, plain}  # parents are implied
    assert found("tag:animal -tag:indoor") == {plain}
    assert found("tag:cat tag:indoor") == {cat}
    assert found("puppy") == {plain}  # a synonym, without CLIP
    assert coffee in found("a cup of espresso")  # by meaning, with MiniLM, without CLIP
    results = library.search.search("a doggo in the garden")
    assert plain in {h.photo_id for h in results.hits} and "tags" in results.notice


def test_query_parsing_and_bare_tag_rewrite(tree):
    parsed = parse_query('tag:dog -tag:screenshot "beach sunset" person:"Aunt Mary" camera:canon')
    assert parsed.filters.tags == ("dog",) and parsed.filters.excluded_tags == ("screenshot",)
    assert parsed.filters.people == ("Aunt Mary",) and parsed.filters.camera == "canon"
    assert tags_in_text("golden retriever on the beach", tree) == ["golden retriever", "beach"]
    assert tags_in_text("dog playing fetch with a red frisbee", tree) is None
    assert rewrite(parse_query("puppies"), tree).filters.tags == ("dog",)
    assert rewrite(parse_query("golden retriever"), tree).filters.tags == ("golden retriever",)
    # Several words stay a description for CLIP: tag:a tag:b is the way to AND tags.
    assert rewrite(parse_query("dog beach"), tree).filters.tags == ()


def test_rename_merge_and_delete_tags(cat_library):
    library, folder = cat_library
    cat = photo_id(library, folder / "chelsea.jpg")
    store.add_tag(library.db, [cat], "kitty cat")
    store.rename_tag(library.db, "kitty cat", "our cat")
    assert "our cat" in tag_names(library, cat)
    # Searches read a cached tag tree: a new name must reach it at once.
    store.add_tag(library.db, [cat], "zorblax")
    assert library.search.search("zorblax").filters.tags == ("zorblax",)
    store.rename_tag(library.db, "zorblax", "quuxle")
    assert library.search.search("quuxle").filters.tags == ("quuxle",)
    store.add_tag(library.db, [cat], "mog")
    store.merge_tags(library.db, "mog", "our cat")
    assert "mog" not in tag_names(library, cat)
    assert TagTree.load(library.db).find("mog") == TagTree.load(library.db).find("our cat")  # kept as synonym
    store.delete_tag(library.db, "our cat")
    assert "our cat" not in tag_names(library, cat)
    store.delete_tag(library.db, "cat")  # a vocabulary tag: hidden, not brought back by a sync
    ensure_vocabulary(library.db)
    assert "cat" not in {row["name"] for row in store.tag_counts(library.db)}


def test_custom_concept_tags_the_whole_library_from_stored_vectors(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    from photoorg.tags.zero_shot import STAGE, ClipTagger, tagger_version

    before = tagger_version(library)
    store.add_concept(library.db, "grandpa's boat", ["a photo of grandpa's old wooden boat"])
    after = tagger_version(library)
    assert after != before
    events = list(ClipTagger(library).run())
    assert events[-1].done == 5
    with library.db.session() as s:
        versions = set(s.scalars(select(PhotoStage.version).where(PhotoStage.stage == STAGE)))
    assert versions == {after}


def test_events_by_time_gaps_and_gps(library, tmp_path):
    from photoorg.tags.grouping import find_events, list_groups, refresh_groups

    folder = tmp_path / "trips"
    start = datetime(2019, 7, 14, 10, 0)
    # Arezzo in the morning, Rome in the evening (same day, 180 km), then a week later at home.
    shots = [(start + timedelta(minutes=20 * i), (43.4633, 11.8797)) for i in range(4)]
    shots += [(start + timedelta(hours=8, minutes=10 * i), (41.8933, 12.4829)) for i in range(3)]
    shots += [(start + timedelta(days=7, minutes=5 * i), None) for i in range(3)]
    for i, (when, gps) in enumerate(shots):
        make_photo(folder / f"p{i}.jpg", pattern=i, taken=when, gps=gps)
    make_photo(folder / "lonely.jpg", pattern=20, taken=start + timedelta(days=30))
    run_index(library, folder)
    list(refresh_groups(library.db, force=True))
    events = [g for g in list_groups(library.db) if g["kind"] == "event"]
    assert sorted(e["count"] for e in events) == [3, 3, 4]
    titles = {e["count"]: e["title"] for e in events if e["start"].startswith("2019-07-14")}
    assert "Arezzo" in titles[4] and "Rome" in titles[3]
    assert all(e["cover"] in e["photos"] for e in events)
    # A pure time split with no GPS:
    rows = [(i, start + timedelta(hours=h), None, None) for i, h in enumerate([0, 1, 2, 10, 11, 12])]
    assert [e.photo_ids for e in find_events(rows)] == [[0, 1, 2], [3, 4, 5]]


def test_visual_groups_recover_clusters_and_follow_granularity():
    from photoorg.tags.grouping import find_visual_groups

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((4, 64))
    vectors, ids = [], []
    for c, centre in enumerate(centres):
        for k in range(12):
            v = centre + 0.25 * rng.standard_normal(64)
            vectors.append(v / np.linalg.norm(v))
            ids.append(c * 100 + k)
    vectors = np.asarray(vectors, dtype=np.float32)
    groups = find_visual_groups(np.asarray(ids), vectors, granularity=0.3)
    assert sorted(sorted({i // 100 for i in g}) for g in groups) == [[0], [1], [2], [3]]
    assert sum(len(g) for g in groups) >= 40
    fine = find_visual_groups(np.asarray(ids), vectors, granularity=1.0)
    assert sum(len(g) for g in fine) < sum(len(g) for g in groups)


def test_cli_tags_show_search_and_groups(capsys, cat_library):
    from photoorg.cli.main import main

    library, folder = cat_library
    lib = str(library.paths.root)
    store.add_tag(library.db, [photo_id(library, folder / "plain.jpg")], "indoor")

    def cli_json(*args):
        assert main([*args, "--library", lib, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    tags = cli_json("tags")
    assert all(set(t) == {"name", "count", "parent"} for t in tags)
    counts = {t["name"]: t for t in tags}
    assert counts["cat"]["count"] == 1 and counts["animal"]["count"] >= 1
    shown = cli_json("show", str(folder / "chelsea.jpg"))
    assert {"name", "confidence", "source"} <= set(shown["tags"][0])
    assert any(t["name"] == "cat" for t in shown["tags"])
    hits = cli_json("search", "tag:cat -tag:indoor")
    assert [h["path"] for h in hits] == [str(folder / "chelsea.jpg")]
    groups = cli_json("groups")
    assert set(groups) == {"events", "visual"}


def test_shipped_minilm_vectors_cover_the_vocabulary():
    from photoorg.tags.text_vectors import shipped_vectors, vocabulary_texts

    shipped = shipped_vectors()
    assert set(vocabulary_texts()) <= set(shipped), "run: python -m photoorg.tags.text_vectors"
    vector = shipped["dog"]
    assert vector.shape == (384,) and abs(np.linalg.norm(vector) - 1) < 0.01


def test_noise_spread_over_many_concepts_tags_nothing():
    tree = TagTree()
    tree.names[1], tree.parents[1] = "animal", None
    for child in range(2, 402):  # 400 animals, as in the vocabulary
        tree.names[child], tree.parents[child] = f"animal {child}", 1
    space = ConceptSpace.build(tree, list(tree.names), set(tree.names))
    uniform = np.full((1, 401), 1 / 401, dtype=np.float32)
    # Without a floor the sum of noise makes "animal" look certain:
    assert [t for t, _ in select_tags(uniform, space, threshold=0.10, max_tags=6)[0]] == [1]
    assert select_tags(uniform, space, threshold=0.10, max_tags=6, floor=0.01) == [[]]
