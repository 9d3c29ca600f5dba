"""Face detection on real portraits and the faces stage through real index runs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

pytest.importorskip("dlib")
pytest.importorskip("skimage")

from photoorg.faces.config import DETECT_SIDE_SETTING, MIN_FACE_SETTING, face_settings
from photoorg.faces.hooks import clustering_step
from photoorg.pipeline.indexer import Indexer
from photoorg.roots import add_root
from photoorg.store.schema import STAGE_DONE, Face, FaceRejection, Person, Photo, PhotoStage
from tests.faces_helpers import ASTRONAUT_BOX, astronaut, cat, portrait_folder, save_jpeg


def near(box, expected, tolerance) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(box, expected))


def same_place(box, expected) -> bool:
    """Boxes of one face: HOG's boxes come in steps of its image pyramid, so
    compare centres (within a fifth of the face) and sizes (within 30%)."""
    x, y, w, h = box
    ex, ey, ew, eh = expected
    centre = ((x + w / 2 - ex - ew / 2) ** 2 + (y + h / 2 - ey - eh / 2) ** 2) ** 0.5
    return centre <= 0.2 * ew and 0.7 <= w / ew <= 1.3


def index_faces(library):
    """A real index run with the faces stage and the clustering after it."""
    specs = [s for s in library.stage_specs(library.ml_options(offline=True)) if s.name == "faces"]
    indexer = Indexer(
        library.db,
        specs,
        lock_path=library.paths.lock_file,
        exclude=frozenset({str(library.paths.root)}),
        decode_workers=2,
        after_stages=[clustering_step(library)],
    )
    events = list(indexer.run())
    return indexer.summary, events


def faces_by_name(library) -> dict[str, list[Face]]:
    found: dict[str, list[Face]] = {}
    with library.db.session() as s:
        for face, path in s.execute(select(Face, Photo.path).join(Photo, Photo.id == Face.photo_id)):
            found.setdefault(path.rsplit("/", 1)[-1], []).append(face)
        for path in s.scalars(select(Photo.path)):
            found.setdefault(path.rsplit("/", 1)[-1], [])
    return found


# -- detection ---------------------------------------------------------------------------------


def test_models_ship_in_the_package_and_load():
    from photoorg.faces.models import CNN_FILE, ENCODER_FILE, LANDMARKS_FILE, models_dir

    folder = models_dir()
    for name in (LANDMARKS_FILE, ENCODER_FILE, CNN_FILE):
        assert (folder / name).is_file()


def test_detects_the_astronaut_and_no_face_on_the_cat():
    from photoorg.faces.models import FaceAnalyzer

    analyzer = FaceAnalyzer()
    found = analyzer.detect(astronaut())
    assert len(found.faces) == 1
    face = found.faces[0]
    assert (found.width, found.height) == found.analysed == (512, 512)
    assert near(face.box, ASTRONAUT_BOX, 6)
    assert len(face.landmarks) == 5
    # Eyes above the nose, inside the box.
    x, y, w, h = face.box
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)
    assert 0.3 < face.quality <= 1.0
    vector = analyzer.describe(face.chip)
    assert vector.shape == (128,) and vector.dtype == np.float32
    assert 0.5 < float(np.linalg.norm(vector)) < 1.5

    assert analyzer.detect(cat()).faces == []


def test_detector_built_in_a_child_process_matches_one_built_here():
    import dlib

    from photoorg.faces.encoder_process import frontal_detector_pickle
    from photoorg.faces.models import frontal_detector

    assert frontal_detector_pickle(), "the child process should hand back a pickled detector"
    pixels = np.asarray(astronaut().convert("L"))
    from_child = frontal_detector(dlib).run(pixels, 0, 0.0)
    built_here = dlib.get_frontal_face_detector().run(pixels, 0, 0.0)
    assert [str(r) for r in from_child[0]] == [str(r) for r in built_here[0]]
    assert from_child[1] == pytest.approx(built_here[1])


def test_same_face_is_close_and_blur_lowers_quality():
    from PIL import ImageFilter, ImageOps

    from photoorg.faces.config import DEFAULT_THRESHOLD
    from photoorg.faces.models import FaceAnalyzer

    analyzer = FaceAnalyzer()
    image = astronaut()
    a = analyzer.detect(image).faces[0]
    b = analyzer.detect(ImageOps.mirror(image).resize((1024, 1024))).faces[0]
    blurred = analyzer.detect(image.filter(ImageFilter.GaussianBlur(2.5))).faces
    distance = float(np.linalg.norm(analyzer.describe(a.chip) - analyzer.describe(b.chip)))
    assert distance < DEFAULT_THRESHOLD / 2
    if blurred:
        assert blurred[0].quality < a.quality


def test_large_photos_are_analysed_downscaled():
    from photoorg.faces.models import FaceAnalyzer

    analyzer = FaceAnalyzer(detect_side=1000)
    canvas = Image.new("RGB", (4000, 3000), (90, 110, 130))
    canvas.paste(astronaut().resize((2048, 2048)), (1200, 500))
    found = analyzer.detect(canvas)
    assert found.analysed == (1333, 1000)  # what the detector looked at
    (face,) = found.faces  # in the canvas's own pixels
    assert same_place(face.box, (1200 + 179 * 4, 500 + 83 * 4, 88 * 4, 88 * 4))


# -- the stage in real index runs ---------------------------------------------------------------


def test_index_run_finds_faces_in_displayed_full_size_coordinates(library, tmp_path):
    folder = portrait_folder(tmp_path / "Photos")
    big = Image.new("RGB", (4032, 3024), (80, 100, 120))
    big.paste(astronaut().resize((2048, 2048)), (1500, 400))
    save_jpeg(big, folder / "big.jpg", quality=85)
    add_root(library.db, folder)

    summary, events = index_faces(library)
    assert summary.stages["faces"] == {"done": 5, "failed": 0}
    faces = faces_by_name(library)
    assert faces["cat.jpg"] == []
    (upright,) = faces["astronaut.jpg"]
    assert near((upright.x, upright.y, upright.w, upright.h), ASTRONAUT_BOX, 6)
    # Stored sideways: the box is where the face is once the photo is turned upright.
    (turned,) = faces["astronaut_exif8.jpg"]
    assert near((turned.x, turned.y, turned.w, turned.h), ASTRONAUT_BOX, 8)
    # Mirrored at 1.5x: x flips, sizes scale.
    (mirrored,) = faces["mirrored.jpg"]
    x, y, w, h = ASTRONAUT_BOX
    box = (mirrored.x, mirrored.y, mirrored.w, mirrored.h)
    assert same_place(box, ((512 - x - w) * 1.5, y * 1.5, w * 1.5, h * 1.5))
    # 12 MP, decoded at half size and detected at 1333x1000: mapped back to 4032x3024.
    (large,) = faces["big.jpg"]
    assert same_place((large.x, large.y, large.w, large.h), (1500 + x * 4, 400 + y * 4, w * 4, h * 4))
    assert len(large.landmarks) == 5 and large.landmarks[0][0] > 1500
    assert all(f.detector == "hog" and 0 < f.quality <= 1 for fs in faces.values() for f in fs)

    # The four faces of one person became one (unnamed) person.
    with library.db.session() as s:
        people = list(s.scalars(select(Person)))
        assert len(people) == 1
        assert {f.person_id for fs in faces.values() for f in fs} == {people[0].id}
    assert any(e.stage == "people" for e in events)


def test_faces_stage_is_resumable_and_skips_small_faces(library, tmp_path):
    folder = portrait_folder(tmp_path / "Photos")
    add_root(library.db, folder)
    library.db.set_setting(MIN_FACE_SETTING, 100)  # the 88 px faces are too small now
    summary, _ = index_faces(library)
    assert summary.stages["faces"]["done"] == 4
    faces = faces_by_name(library)
    assert faces["astronaut.jpg"] == [] and len(faces["mirrored.jpg"]) == 1  # 132 px there

    again, _ = index_faces(library)
    assert again.stages == {} or again.stages["faces"]["done"] == 0  # nothing pending

    # A new photo later: only it is analysed.
    save_jpeg(astronaut().resize((1024, 1024)), folder / "later.jpg")
    later, _ = index_faces(library)
    assert later.stages["faces"] == {"done": 1, "failed": 0}


def test_new_detector_settings_rerun_the_stage_and_keep_user_decisions(library, tmp_path):
    from photoorg.faces import people

    folder = portrait_folder(tmp_path / "Photos")
    add_root(library.db, folder)
    index_faces(library)
    faces = faces_by_name(library)
    (mirrored,) = faces["mirrored.jpg"]
    (upright,) = faces["astronaut.jpg"]
    person = mirrored.person_id
    people.name_person(library.db, person, "Eileen")
    people.remove_face(library.db, upright.id)  # "not Eileen"
    other = people.new_person(library.db, [upright.id], "Someone else")

    library.db.set_setting(DETECT_SIDE_SETTING, 800)
    assert face_settings(library.db).stage_version.startswith("dlib-hog-800")
    summary, _ = index_faces(library)
    assert summary.stages["faces"]["done"] == 4  # every photo analysed again

    after = faces_by_name(library)
    assert [f.id for f in after["mirrored.jpg"]] == [mirrored.id]
    assert [f.id for f in after["astronaut.jpg"]] == [upright.id]
    assert after["astronaut.jpg"][0].person_id == other
    assert after["astronaut.jpg"][0].assigned_by == "user"
    assert after["mirrored.jpg"][0].person_id == person
    with library.db.session() as s:
        assert s.get(Person, person).name == "Eileen"
        assert s.get(FaceRejection, (upright.id, person)) is not None


def test_edited_photo_keeps_the_users_face_decisions(library, tmp_path):
    from photoorg.faces import people

    folder = portrait_folder(tmp_path / "Photos")
    add_root(library.db, folder)
    index_faces(library)
    (face,) = faces_by_name(library)["astronaut.jpg"]
    people.name_person(library.db, face.person_id, "Eileen")
    people.assign_face(library.db, face.id, face.person_id)  # confirmed by the user

    # Edited: the same picture, cropped and saved again (new content).
    save_jpeg(astronaut().crop((40, 0, 512, 512)), folder / "astronaut.jpg", quality=80)
    index_faces(library)
    (edited,) = faces_by_name(library)["astronaut.jpg"]
    assert edited.id == face.id and edited.assigned_by == "user" and edited.detector == "hog"
    x, y, w, h = ASTRONAUT_BOX
    assert same_place((edited.x, edited.y, edited.w, edited.h), (x - 40, y, w, h))


def test_a_copy_gets_the_faces_without_being_analysed(library, tmp_path):
    folder = portrait_folder(tmp_path / "Photos")
    add_root(library.db, folder)
    index_faces(library)
    shutil.copy2(folder / "astronaut.jpg", folder / "copy.jpg")
    index_faces(library)
    faces = faces_by_name(library)
    (original,) = faces["astronaut.jpg"]
    (copy,) = faces["copy.jpg"]
    assert (copy.x, copy.y, copy.w, copy.h) == (original.x, original.y, original.w, original.h)
    assert copy.person_id == original.person_id and copy.id != original.id
    with library.db.session() as s:
        state = s.scalar(
            select(PhotoStage.state)
            .join(Photo, Photo.id == PhotoStage.photo_id)
            .where(Photo.path.like("%copy.jpg"), PhotoStage.stage == "faces")
        )
    assert state == STAGE_DONE


def test_index_show_status_and_people_through_the_cli(library_dir, tmp_path, capsys):
    """The whole app as a user runs it: index, then people, show and search."""
    from photoorg.cli.main import main

    folder = portrait_folder(tmp_path / "Photos")
    lib = ["--library", str(library_dir)]
    assert main(["index", str(folder), *lib]) == 0
    capsys.readouterr()

    assert main(["people", *lib, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1
    person = listed[0]
    assert set(person) >= {"id", "name", "face_count", "photos"}
    assert person["name"] is None and person["face_count"] == 3
    assert sorted(p.rsplit("/", 1)[-1] for p in person["photos"]) == [
        "astronaut.jpg",
        "astronaut_exif8.jpg",
        "mirrored.jpg",
    ]

    assert main(["people", "name", str(person["id"]), "Eileen", "Collins", *lib]) == 0
    assert main(["show", str(folder / "astronaut.jpg"), *lib, "--json"]) == 0
    details = json.loads(capsys.readouterr().out)
    (face,) = details["faces"]
    assert near(face["bbox"], ASTRONAUT_BOX, 6)
    assert face["person_id"] == person["id"] and face["person"] == "Eileen Collins"
    assert details["stages"]["faces"]["state"] == "done"

    assert main(["show", str(folder / "cat.jpg"), *lib, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["faces"] == []

    assert main(["search", 'person:"Eileen Collins"', *lib, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3

    assert main(["status", *lib, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["stages"]["faces"]["done"] == 4 and status["stages"]["faces"]["pending"] == 0


def test_opening_a_library_loads_no_dlib(tmp_path):
    import subprocess
    import sys

    code = (
        f"from photoorg.library import Library\nLibrary({str(tmp_path / 'lib')!r}).close()\n"
        "import sys\nprint('dlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_cnn_detector_is_an_option():
    from photoorg.faces.models import FaceAnalyzer

    analyzer = FaceAnalyzer("cnn", detect_side=1000)
    found = analyzer.detect(astronaut())
    assert found.detector == "cnn" and len(found.faces) == 1
    assert same_place(found.faces[0].box, ASTRONAUT_BOX)
    assert analyzer.describe(found.faces[0].chip).shape == (128,)


def test_the_encoder_process_matches_in_process_and_restarts():
    from photoorg.faces.encoder_process import EncoderProcess
    from photoorg.faces.models import FaceAnalyzer

    analyzer = FaceAnalyzer()
    chip = analyzer.detect(astronaut()).faces[0].chip
    process = EncoderProcess(analyzer.encoder_path)
    try:
        (remote,) = process.describe([chip])
        assert np.allclose(remote, analyzer.describe(chip), atol=1e-5)
        process._process.kill()  # it died: started again on the next call
        process._process.wait()
        (again,) = process.describe([chip])
        assert np.allclose(again, remote, atol=1e-5)
    finally:
        process.close()
    assert process._process.poll() is not None  # stopped, not left behind
