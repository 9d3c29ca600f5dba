"""Objects and people: person/people tags from faces and detections, the
offline tagger's crops and implications, located objects in `show --json`,
the object: filter, and the optional COCO detector's plumbing (weights built
by the test, loaded through the real local-file path)."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from photoorg.errors import InvalidInput
from photoorg.objects import detector
from photoorg.objects.people import TAG_SOURCE_PEOPLE, refresh_people_tags
from photoorg.objects.store import SOURCE_DETECTOR, LocatedObject, located_objects, save_objects
from photoorg.photos import find_photo, photo_details
from photoorg.progress import CancelToken
from photoorg.roots import add_root
from photoorg.store.schema import Face, PhotoTag
from photoorg.tags.vocabulary import TagTree, ensure_vocabulary, imagenet_map
from tests.cli_helpers import run_cli, run_cli_json
from tests.helpers import make_photo


@pytest.fixture
def tree(library):
    ensure_vocabulary(library.db)
    return TagTree.load(library.db)


@pytest.fixture
def scanned(library, tmp_path):
    """Three photos in the library, scanned with no analysis stage."""
    folder = tmp_path / "photos"
    for i, name in enumerate(("alone.jpg", "group.jpg", "empty.jpg")):
        make_photo(folder / name, size=(400, 300), pattern=i)
    root, _ = add_root(library.db, folder)
    for _ in library.indexer([]).run([root.id]):
        pass
    ids = {p.name: find_photo(library.db, p).id for p in sorted(folder.iterdir())}
    return library, folder, ids


def add_faces(library, photo_id: int, count: int) -> None:
    with library.db.transaction() as s:
        for i in range(count):
            s.add(
                Face(
                    photo_id=photo_id,
                    x=10 + 60 * i,
                    y=20,
                    w=50,
                    h=50,
                    descriptor=np.zeros(128, dtype=np.float32),
                    quality=0.8,
                    detector="hog",
                    created_at=datetime.now(),
                )
            )


def found(library, query: str) -> set[int]:
    return {hit.photo_id for hit in library.search.search(query).hits}


def drain(generator):
    try:
        while True:
            next(generator)
    except StopIteration as stop:
        return stop.value


# -- people -----------------------------------------------------------------------------------------


def test_faces_make_person_and_people_tags_with_a_count(scanned):
    library, _, ids = scanned
    add_faces(library, ids["alone.jpg"], 1)
    add_faces(library, ids["group.jpg"], 3)
    counts = drain(refresh_people_tags(library.db, CancelToken()))
    assert counts == {TAG_SOURCE_PEOPLE: {"done": 2, "failed": 0}}

    assert found(library, "tag:person") == {ids["alone.jpg"], ids["group.jpg"]}
    assert found(library, "tag:people") == {ids["group.jpg"]}, "people means two or more"
    details = photo_details(library.db, ids["group.jpg"])
    assert details["people_count"] == 3
    assert [o["source"] for o in details["objects"]] == ["face"] * 3
    tag = next(t for t in details["tags"] if t["name"] == "people")
    assert 0.5 < tag["confidence"] < 1.0 and tag["source"] == TAG_SOURCE_PEOPLE

    # A second run with nothing new writes nothing; faces gone, tags gone.
    assert drain(refresh_people_tags(library.db, CancelToken()))[TAG_SOURCE_PEOPLE]["done"] == 0
    with library.db.transaction() as s:
        s.query(Face).filter(Face.photo_id == ids["group.jpg"]).delete()
    drain(refresh_people_tags(library.db, CancelToken()))
    assert found(library, "tag:person") == {ids["alone.jpg"]}


def test_detected_persons_count_when_faces_are_turned_away(scanned):
    library, _, ids = scanned
    with library.db.transaction() as s:
        save_objects(
            s,
            ids["empty.jpg"],
            SOURCE_DETECTOR,
            [
                LocatedObject("person", (10, 10, 40, 120), 0.9, SOURCE_DETECTOR),
                LocatedObject("person", (80, 10, 40, 120), 0.7, SOURCE_DETECTOR),
                LocatedObject("person", (150, 10, 40, 120), 0.2, SOURCE_DETECTOR),  # too unsure to count
            ],
        )
    drain(refresh_people_tags(library.db, CancelToken()))
    assert found(library, "tag:people") == {ids["empty.jpg"]}
    with library.db.session() as s:
        confidence = s.scalar(select(PhotoTag.confidence).where(PhotoTag.source == TAG_SOURCE_PEOPLE))
    assert confidence == pytest.approx(0.9)


# -- the offline tagger: implications and crops -------------------------------------------------------


def one_hot(*pairs: tuple[str, float]) -> np.ndarray:
    """An ImageNet probability row with these classes (by mapped concept name) set."""
    names = imagenet_map()
    row = np.zeros(1000, dtype=np.float32)
    for concept, value in pairs:
        row[names.index(concept)] = value
    return row


def test_imagenet_classes_imply_what_they_show(tree):
    from photoorg.tags.classifier import ConceptMapper

    mapper = ConceptMapper(tree)
    rows = np.stack([one_hot(("dingo", 0.7)), one_hot(("groom", 0.6)), one_hot(("traffic light", 0.9))])
    chosen = mapper.tags(rows)
    dingo, groom, traffic = (
        {tree.names[t] for t, _ in tags} | {tree.names[a] for t, _ in tags for a in tree.ancestors(t)}
        for tags in chosen
    )
    assert "dog" in dingo, "a dingo in someone's photos is their dog"
    assert "person" in groom
    assert {"street", "outdoor"} <= traffic
    assert "scene" not in {tree.names[t] for t, _ in chosen[2]}, "too broad to be a tag of its own"


def test_an_off_centre_object_is_tagged_with_the_crop_that_saw_it(tree):
    from photoorg.tags.classifier import ConceptMapper, Crops, crop_boxes

    mapper = ConceptMapper(tree)
    boxes = crop_boxes(800, 400)
    assert len(boxes) == 7 and boxes[0] == (200, 0, 600, 400)
    probabilities = np.stack([one_hot(("car", 0.05))] * 7)
    probabilities[2] = one_hot(("car", 0.8))  # only the right-hand square sees it
    result = mapper.photo_result(Crops(None, boxes, 800, 400, 0.0), probabilities)
    names = {tree.names[t] for t, _ in result.tags}
    assert "car" in names
    assert ("car", boxes[2], pytest.approx(0.8)) in [(n, b, c) for n, b, c in result.objects]
    centre_only = mapper.tags(probabilities[:1])[0]
    assert tree.find("car") not in {t for t, _ in centre_only}, "the centre crop alone misses it"


def test_the_classifier_stage_stores_tile_boxes_in_full_size_pixels(scanned, tree):
    from photoorg.tags.classifier import ClassifiedPhoto, ClassifierStage

    library, _, ids = scanned
    stage = ClassifierStage.__new__(ClassifierStage)  # no model: save() is what is tested
    car = tree.find("car")
    result = ClassifiedPhoto([(car, 0.8)], [("car", (100, 0, 200, 100), 0.8)], width=200, height=150)
    with library.db.transaction() as s:
        stage.save(s, ids["alone.jpg"], result)
    with library.db.session() as s:
        objects = located_objects(s, ids["alone.jpg"])
    assert [o.as_dict() for o in objects] == [
        {"label": "car", "box": [200, 0, 200, 200], "confidence": 0.8, "source": "tile"}
    ]
    assert found(library, "object:car") == {ids["alone.jpg"]}
    assert found(library, "tag:car") == {ids["alone.jpg"]}


# -- the COCO detector: weights from a local file ---------------------------------------------------


@pytest.fixture(scope="module")
def untrained_weights(tmp_path_factory):
    """The detector's architecture with random initial weights, saved by the test:
    the plumbing is real, only the numbers are made up."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("detector") / "ssdlite-test.pth"
    torch.save(detector.build_untrained().state_dict(), path)
    return path


def test_detector_weights_from_a_file_run_as_a_stage(scanned, untrained_weights, capsys, tree):
    library, folder, ids = scanned
    assert detector.detector_choice(library.db) is None, "off until the user asks"
    assert not [s for s in library.stage_specs() if s.name == "objects"]

    code, out, err = run_cli(
        capsys, "detector", "get", "--weights", untrained_weights, "--library", library.paths.root, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["enabled"] is True
    spec = next(s for s in library.stage_specs() if s.name == "objects")
    stage = spec.load()
    image = Image.new("RGB", (640, 480), (90, 120, 200))
    results = stage.infer([stage.prepare(image, None)])
    assert len(results) == 1 and (results[0].width, results[0].height) == (320, 240)

    # What a detection becomes: a box in full-size pixels, a tag, an object: match.
    from photoorg.objects.stage import Detections

    with library.db.transaction() as s:
        stage.save(s, ids["group.jpg"], Detections(200, 150, [("car", (10.0, 20.0, 110.0, 70.0), 0.8)]))
    shown = run_cli_json(capsys, "show", folder / "group.jpg", "--library", library.paths.root)
    assert {"label": "car", "box": [20, 40, 200, 100], "confidence": 0.8, "source": "detector"} in shown[
        "objects"
    ]
    assert found(library, "object:car") == {ids["group.jpg"]}
    assert found(library, "tag:car") == {ids["group.jpg"]}


def test_a_bad_detector_file_is_refused_with_the_reason(scanned, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    library, _, _ = scanned
    junk = tmp_path / "junk.pth"
    junk.write_text("not weights")
    other = tmp_path / "other.pth"
    torch.save({"layer.weight": torch.zeros(3, 3)}, other)

    code, _, err = run_cli(capsys, "detector", "get", "--weights", junk, "--library", library.paths.root)
    assert code == 1 and "not a torch weights file" in err and "Traceback" not in err
    with pytest.raises(InvalidInput, match="not a ssdlite320_mobilenet_v3_large COCO checkpoint"):
        detector.adopt_weights(library.db, other)
    assert detector.detector_choice(library.db) is None, "nothing adopted: no detector runs"


def test_a_missing_detector_file_means_no_detector_never_random_weights(scanned, untrained_weights, tmp_path):
    library, _, _ = scanned
    copy = tmp_path / "copy.pth"
    copy.write_bytes(untrained_weights.read_bytes())
    detector.adopt_weights(library.db, copy)
    assert detector.detector_choice(library.db) is not None
    copy.unlink()
    assert detector.detector_choice(library.db) is None
    assert not [s for s in library.stage_specs() if s.name == "objects"]


# -- small faces, offline --------------------------------------------------------------------------


def test_a_face_too_small_for_the_faces_stage_still_makes_a_person(library, tmp_path):
    skimage_data = pytest.importorskip("skimage.data")
    pytest.importorskip("dlib")
    folder = tmp_path / "cafe"
    folder.mkdir()
    canvas = Image.new("RGB", (640, 480), (120, 130, 110))
    canvas.paste(Image.fromarray(skimage_data.astronaut()).resize((200, 200)), (300, 200))  # a ~37 px face
    canvas.save(folder / "small.jpg", quality=92)
    library.db.set_setting("text.enabled", False)
    root, _ = add_root(library.db, folder)
    indexer = library.indexer(library.stage_specs())
    for _ in indexer.run([root.id]):
        pass
    assert indexer.summary.stages["small-faces"]["done"] == 1
    pid = find_photo(library.db, folder / "small.jpg").id
    with library.db.session() as s:
        assert not s.scalars(select(Face).where(Face.photo_id == pid)).all(), "under the faces' 40 px"
    assert found(library, "tag:person") == {pid}
    details = photo_details(library.db, pid)
    assert details["people_count"] == 1
    (box,) = [o for o in details["objects"] if o["source"] == "small-face"]
    x, y, w, _ = box["box"]
    assert box["label"] == "person" and 340 < x < 400 and 200 < y < 260 and 30 < w < 45


def test_a_dark_photo_with_a_few_lights_is_a_night_shot(tree):
    from photoorg.tags.classifier import ConceptMapper, Crops, crop_boxes, night_score

    dark = Image.new("RGB", (400, 300), (25, 25, 35))
    for x in range(20, 400, 50):
        dark.paste((255, 240, 200), (x, 100, x + 12, 112))  # street lamps
    day = Image.new("RGB", (400, 300), (150, 170, 200))
    assert night_score(dark) > 0.5 and night_score(day) == 0.0
    mapper = ConceptMapper(tree)
    probabilities = np.stack([one_hot(("traffic light", 0.05))] * 7)
    result = mapper.photo_result(
        Crops(None, crop_boxes(400, 300), 400, 300, night_score(dark)), probabilities
    )
    assert "night" in {tree.names[t] for t, _ in result.tags}


def test_with_clip_no_offline_stage_runs_and_the_detector_stays_off(tiny_model):
    """The CLIP pipeline keeps its speed: the offline tagger's crops and the small
    faces run only without CLIP, the detector only once the user installs it."""
    names = [spec.name for spec in tiny_model.stage_specs()]
    assert "clip" in names
    assert not {"classify", "small-faces", "objects"} & set(names)


def test_object_filter_follows_the_tag_hierarchy(scanned):
    library, _, ids = scanned
    with library.db.transaction() as s:
        save_objects(
            s, ids["alone.jpg"], "tile", [LocatedObject("egyptian mau", (0, 0, 50, 50), 0.8, "tile")]
        )
        save_objects(
            s, ids["group.jpg"], SOURCE_DETECTOR, [LocatedObject("table", (0, 0, 90, 40), 0.7, "detector")]
        )
    ensure_vocabulary(library.db)
    assert found(library, "object:cat") == {ids["alone.jpg"]}, "a breed is a cat"
    assert found(library, "object:animal") == {ids["alone.jpg"]}
    assert found(library, 'object:"dining table"') == {ids["group.jpg"]}, "a synonym of table"
    assert found(library, "object:dog") == set()


def test_objects_command_lists_boxes_and_counts(scanned, capsys):
    library, folder, ids = scanned
    add_faces(library, ids["group.jpg"], 2)
    with library.db.transaction() as s:
        save_objects(s, ids["group.jpg"], "tile", [LocatedObject("cup", (5, 6, 70, 80), 0.61, "tile")])
    drain(refresh_people_tags(library.db, CancelToken()))
    listed = run_cli_json(capsys, "objects", folder / "group.jpg", "--library", library.paths.root)
    assert listed[0]["people_count"] == 2
    assert {"label": "cup", "box": [5, 6, 70, 80], "confidence": 0.61, "source": "tile"} in listed[0][
        "objects"
    ]
    assert run_cli_json(capsys, "objects", "--library", library.paths.root) == {"person": 1, "cup": 1}
    code, out, _ = run_cli(capsys, "objects", folder / "group.jpg", "--library", library.paths.root)
    assert code == 0 and "2 people" in out and "cup" in out


def test_offline_libraries_never_download_the_detector(scanned, capsys, monkeypatch):
    library, _, _ = scanned
    monkeypatch.setenv("PHOTOORG_OFFLINE", "1")
    code, _, err = run_cli(capsys, "detector", "get", "--library", library.paths.root)
    assert code == 1 and "--weights FILE" in err and "Traceback" not in err
    assert detector.detector_choice(library.db) is None


def test_without_a_network_the_download_says_so_at_once(monkeypatch, tmp_path):
    """Asked before urlopen, which would wait 10-40 s for the resolver with no network."""
    from photoorg.errors import ModelUnavailableError

    monkeypatch.setattr(detector, "url_unreachable_reason", lambda url, timeout: "can't reach it: no route")
    monkeypatch.setattr(detector, "download_folder", lambda: tmp_path / "detector-cache")
    monkeypatch.setattr(
        detector.urllib.request, "urlopen", lambda *a, **k: pytest.fail("tried to download without a network")
    )
    with pytest.raises(ModelUnavailableError, match=r"no route.*--weights FILE"):
        detector.download_weights()
    assert not (tmp_path / "detector-cache").exists()  # nothing half-written left behind
