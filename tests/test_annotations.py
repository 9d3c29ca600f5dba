"""Captions, display rotation, exposure from EXIF and place names: the core
behind the details panel and the viewer, and what `show --json` says."""

from __future__ import annotations

import pytest

from photoorg import annotations
from photoorg.errors import PhotoorgError
from photoorg.places.geocode import place_of
from photoorg.scan.exposure import read_exposure, shutter_label
from photoorg.store.schema import Photo
from tests.cli_helpers import index_with_tiny_model, run_cli_json
from tests.faces_helpers import Faces
from tests.helpers import SHARED_DATA, make_photo


def test_caption_is_stored_cleared_and_bounded(library):
    photo_id = Faces(library.db).photo()
    assert annotations.set_caption(library.db, photo_id, "  Ada's first swim  ") == "Ada's first swim"
    with library.db.session() as s:
        assert s.get(Photo, photo_id).caption == "Ada's first swim"
    with pytest.raises(PhotoorgError, match="at most"):
        annotations.set_caption(library.db, photo_id, "x" * 5000)
    with library.db.session() as s:
        assert s.get(Photo, photo_id).caption == "Ada's first swim", "a refused caption changes nothing"
    assert annotations.set_caption(library.db, photo_id, "   ") is None
    with pytest.raises(PhotoorgError, match="No photo"):
        annotations.set_caption(library.db, 9999, "hello")


def test_rotation_turns_by_quarters_both_ways(library):
    faces = Faces(library.db)
    a, b = faces.photo(), faces.photo()

    def rotation(photo_id):
        with library.db.session() as s:
            return s.get(Photo, photo_id).rotation

    annotations.rotate(library.db, [a], 1)
    assert (rotation(a), rotation(b)) == (90, 0)
    annotations.rotate(library.db, [a, b], -1)
    assert (rotation(a), rotation(b)) == (0, 270)
    for _ in range(3):
        annotations.rotate(library.db, [b], 1)
    assert rotation(b) == 180


def test_exposure_is_read_from_exif(tmp_path):
    path = make_photo(tmp_path / "a.jpg", exposure=(2.8, 1 / 250, 400, 35.0))
    assert read_exposure(path) == {
        "aperture": 2.8,
        "shutter_s": 0.004,
        "shutter": "1/250 s",
        "iso": 400,
        "focal_length_mm": 35.0,
    }
    assert read_exposure(make_photo(tmp_path / "plain.png")) == {}
    assert read_exposure(tmp_path / "missing.jpg") == {}
    assert shutter_label(2.5) == "2.5 s" and shutter_label(1 / 60) == "1/60 s"


def test_exposure_of_a_real_camera_file():
    sample = SHARED_DATA / "exif-samples" / "jpg" / "Canon_40D.jpg"
    if not sample.is_file():
        pytest.skip("the team's camera samples are not here")
    found = read_exposure(sample)
    assert found["aperture"] == pytest.approx(7.1) and found["iso"] == 100
    assert found["shutter"] == "1/160 s" and found["focal_length_mm"] == pytest.approx(135.0)


def test_place_names_the_city_people_know():
    assert place_of(43.4674483, 11.8851267).label == "Arezzo, Italy"
    assert place_of(123.0, 0.0) is None


def test_show_json_has_the_new_keys(capsys, library_dir, photo_folder, tiny_weights):
    index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
    info = run_cli_json(capsys, "show", photo_folder / "2019" / "beach.jpg", "--library", library_dir)
    assert info["place"]["city"] == "Arezzo"
    assert info["caption"] is None and info["rotation"] == 0
    assert info["exposure"] == {}  # the fixture's camera wrote no exposure
