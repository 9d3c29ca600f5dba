"""Reading XMP that other tools wrote: digiKam and Lightroom sidecars,
Windows people tags, embedded packets; importing it without undoing the
user's own decisions; regions named onto the faces photoorg detected."""

from __future__ import annotations

import os

import pytest

from photoorg import organize
from photoorg.faces import people
from photoorg.tags import store as tag_store
from photoorg.xmp.model import Region
from photoorg.xmp.read import find_sidecar, parse_packet
from photoorg.xmp.regions import displayed_regions, match_regions
from photoorg.xmp.sync import import_photos, run_to_end, select_photos
from tests.cli_helpers import index_with_tiny_model, run_cli, run_cli_json
from tests.helpers import make_photo
from tests.xmp_helpers import add_face, digikam_sidecar, lightroom_sidecar, microsoft_sidecar


def _import(library, *, force=False):
    return run_to_end(import_photos(library.db, select_photos(library.db), force=force))


def _user_tags(library, photo_id) -> set[str]:
    return {
        t["name"]
        for t in tag_store.tags_of_photo(library.db, photo_id, implied=False)
        if t["source"] == "user"
    }


def _photo(library, path):
    from photoorg.photos import find_photo

    return find_photo(library.db, path)


def test_parses_digikam_lightroom_and_microsoft_layouts():
    digikam = parse_packet(
        digikam_sidecar(label="Favorite", regions=[("Alice", (0.1, 0.2, 0.2, 0.3))]).encode()
    )
    assert digikam.rating == 4 and digikam.label == "Favorite"
    assert digikam.caption == "Lunch by the river"
    assert digikam.tag_paths() == [("Places", "Europe", "Lisbon"), ("Food",)]
    (region,) = digikam.regions
    assert region.name == "Alice" and region.kind == "Face"
    assert region.box == pytest.approx((0.1, 0.2, 0.2, 0.3))
    assert digikam.applied_to == (320, 240)

    lightroom = parse_packet(lightroom_sidecar().encode())
    assert lightroom.rating == 2 and lightroom.label == "Red"
    # "Animals" and "Dog" are levels of Animals|Dog, not keywords of their own.
    assert lightroom.tag_paths() == [("Animals", "Dog"), ("Beach",)]

    windows = parse_packet(microsoft_sidecar([("Bob", (0.5, 0.25, 0.25, 0.5))]).encode())
    assert windows.regions == [Region("Bob", (0.5, 0.25, 0.25, 0.5), "Face")]
    assert parse_packet(b"<not xml") is None


def test_sidecar_names_darktable_first_then_lightroom(tmp_path):
    photo = tmp_path / "IMG_0001.CR2"
    (tmp_path / "IMG_0001.xmp").write_text("x")
    assert find_sidecar(str(photo)) == (
        str(tmp_path / "IMG_0001.xmp"),
        os.stat(tmp_path / "IMG_0001.xmp").st_mtime_ns,
    )
    (tmp_path / "IMG_0001.CR2.xmp").write_text("x")
    assert find_sidecar(str(photo))[0] == str(tmp_path / "IMG_0001.CR2.xmp")
    assert find_sidecar(str(tmp_path / "other.jpg")) is None


def test_regions_on_a_sideways_photo_are_turned_to_match():
    # Written against the stored 400x300 pixels of a photo displayed 300x400 (EXIF 6).
    stored = [Region("Ann", (0.0, 0.0, 0.25, 0.5))]
    turned = displayed_regions(stored, (400, 300), (300, 400), 6)
    assert turned[0].box == pytest.approx((0.5, 0.0, 0.5, 0.25))
    # Written against the displayed size: used as they are.
    assert displayed_regions(stored, (300, 400), (300, 400), 6) == stored
    matched = match_regions(
        [
            Region("Ann", (0.1, 0.1, 0.2, 0.2)),
            Region("Bob", (0.6, 0.1, 0.2, 0.2)),
            Region(None, (0, 0, 1, 1)),
        ],
        [(7, (0.62, 0.12, 0.18, 0.2)), (8, (0.11, 0.09, 0.2, 0.22)), (9, (0.4, 0.7, 0.1, 0.1))],
    )
    assert {(r.name, face) for r, face in matched} == {("Ann", 8), ("Bob", 7)}


def test_index_reads_sidecars_and_shows_them(capsys, tmp_path, library_dir, tiny_weights):
    folder = tmp_path / "Pictures"
    make_photo(folder / "lunch.jpg", pattern=1)
    make_photo(folder / "dog.jpg", pattern=2)
    make_photo(folder / "plain.jpg", pattern=3)
    (folder / "lunch.jpg.xmp").write_text(digikam_sidecar(label="Favorite"), encoding="utf-8")
    (folder / "dog.xmp").write_text(lightroom_sidecar(), encoding="utf-8")  # Lightroom's naming

    result = index_with_tiny_model(capsys, library_dir, folder, tiny_weights)
    assert result["stages"]["xmp"]["failed"] == 0

    lunch = run_cli_json(capsys, "show", folder / "lunch.jpg", "--library", library_dir)
    assert lunch["rating"] == 4 and lunch["favorite"] is True
    assert lunch["caption"] == "Lunch by the river"
    assert {"lisbon", "food"} <= {t["name"] for t in lunch["tags"] if t["source"] == "user"}
    assert lunch["xmp"]["sidecar"] == str(folder / "lunch.jpg.xmp")

    dog = run_cli_json(capsys, "show", folder / "dog.jpg", "--library", library_dir)
    assert dog["rating"] == 2 and dog["favorite"] is False and dog["xmp"]["label"] == "Red"
    assert {"dog", "beach"} <= {t["name"] for t in dog["tags"] if t["source"] == "user"}

    found = run_cli_json(capsys, "search", "label:red", "--library", library_dir)
    assert [os.path.basename(r["path"]) for r in found] == ["dog.jpg"]
    plain = run_cli_json(capsys, "show", folder / "plain.jpg", "--library", library_dir)
    assert plain["rating"] == 0 and plain["xmp"]["sidecar"] is None


def test_reindex_picks_up_a_changed_sidecar_and_keeps_the_users_own_values(library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "lunch.jpg")
    sidecar = folder / "lunch.jpg.xmp"
    sidecar.write_text(digikam_sidecar(rating=3, caption="First"), encoding="utf-8")
    _index(library, folder)
    pid = _photo(library, photo).id
    assert _photo(library, photo).rating == 3

    # The user changes the rating and removes a keyword's tag in photoorg ...
    organize.set_rating(library.db, [pid], 1)
    tag_store.remove_tag(library.db, [pid], "food")
    # ... then digiKam changes the sidecar.
    sidecar.write_text(digikam_sidecar(rating=5, caption="Second", tags=("Food", "Porto")), encoding="utf-8")
    os.utime(sidecar, ns=(sidecar.stat().st_mtime_ns + 10**9,) * 2)
    report = _import(library)
    assert report.read == 1
    row = _photo(library, photo)
    assert row.rating == 1  # the user's own rating stays
    assert row.caption == "Second"  # untouched in photoorg: the newer caption comes in
    tags = _user_tags(library, pid)
    assert "porto" in tags and "food" not in tags  # the user's removal holds
    assert "lisbon" not in tags  # digiKam took it off
    assert set(report.imported[0].kept) == {"rating", "tag:food"}

    # Nothing changed on disk: nothing is read again.
    assert _import(library).read == 0


def test_embedded_xmp_is_read(library, tmp_path):
    from PIL import Image

    folder = tmp_path / "Pictures"
    folder.mkdir()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(
        folder / "inside.jpg", "JPEG", xmp=digikam_sidecar(rating=5, caption="Embedded").encode()
    )
    _index(library, folder)
    row = _photo(library, folder / "inside.jpg")
    assert (row.rating, row.caption) == (5, "Embedded")


@pytest.mark.parametrize("layout", ["mwg", "microsoft"])
def test_named_regions_name_the_detected_faces(library, tmp_path, layout):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "group.jpg", size=(320, 240))
    _index(library, folder)
    pid = _photo(library, photo).id
    alice = add_face(library.db, pid, (32, 48, 64, 72), seed=1)  # 0.1, 0.2, 0.2, 0.3
    bob = add_face(library.db, pid, (192, 48, 64, 72), seed=2)  # 0.6, 0.2, 0.2, 0.3
    carol = add_face(library.db, pid, (128, 160, 40, 40), seed=3)
    regions = [
        ("Alice", (0.11, 0.19, 0.2, 0.31)),
        ("Bob", (0.6, 0.21, 0.19, 0.3)),
        ("Nobody", (0.9, 0.9, 0.05, 0.05)),
    ]
    text = microsoft_sidecar(regions) if layout == "microsoft" else digikam_sidecar(regions=regions)
    (folder / "group.jpg.xmp").write_text(text, encoding="utf-8")
    # The user already said who Bob's face is: that stays.
    people.new_person(library.db, [bob], "Robert")

    report = _import(library, force=True)
    assert report.imported[0].changes()["people"] == ["Alice"]
    assert people.face_info(library.db, alice).person == "Alice"
    assert people.face_info(library.db, bob).person == "Robert"
    assert people.face_info(library.db, carol).person is None

    # A second photo of Alice joins the same person.
    other = make_photo(folder / "alice2.jpg", size=(320, 240), pattern=4)
    (folder / "alice2.jpg.xmp").write_text(
        digikam_sidecar(regions=[("alice", (0.1, 0.2, 0.2, 0.3))]), "utf-8"
    )
    _index(library, folder)
    again = add_face(library.db, _photo(library, other).id, (32, 48, 64, 72), seed=4)
    _import(library)  # the photo's faces changed since its regions found none
    assert people.face_info(library.db, again).person_id == people.face_info(library.db, alice).person_id


def test_cli_import_dry_run_changes_nothing_and_options_go_anywhere(capsys, library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "lunch.jpg")
    _index(library, folder)
    (folder / "lunch.jpg.xmp").write_text(digikam_sidecar(rating=5), encoding="utf-8")
    lib = library.paths.root
    before = run_cli_json(capsys, "--library", lib, "xmp", "import", "--dry-run", folder)
    after = run_cli_json(capsys, "xmp", "import", str(folder), "--dry-run", "--library", lib)
    assert before == after
    assert before["dry_run"] is True and before["imported"][0]["changes"]["rating"] == 5
    assert _photo(library, photo).rating == 0
    code, _, err = run_cli(capsys, "xmp", "import", "--library", lib)
    assert code == 0 and "imported" in err
    assert _photo(library, photo).rating == 5
    code, _, err = run_cli(capsys, "xmp", "import", str(tmp_path / "nowhere.jpg"), "--library", lib)
    assert code == 1 and "not in the library" in err and "Traceback" not in err


def test_an_unreadable_sidecar_is_reported_and_the_run_goes_on(library, tmp_path):
    folder = tmp_path / "Pictures"
    make_photo(folder / "broken.jpg", pattern=1)
    make_photo(folder / "fine.jpg", pattern=2)
    (folder / "broken.jpg.xmp").write_bytes(b"\x00\xffnot xml at all")
    (folder / "fine.jpg.xmp").write_text(digikam_sidecar(rating=2), encoding="utf-8")
    _index(library, folder)
    report = _import(library, force=True)
    assert list(report.failed) == [str(folder / "broken.jpg")]
    assert _photo(library, folder / "fine.jpg").rating == 2


def _index(library, folder):
    """Index without CLIP (the XMP step runs after the image stages)."""
    from photoorg.roots import add_root

    add_root(library.db, str(folder), library.paths.root)
    stages = [spec for spec in library.stage_specs() if spec.name == "thumbnail"]
    for _ in library.indexer(stages).run():
        pass


def test_without_the_exiv2_bindings_reading_works_and_write_back_says_what_to_install(
    capsys, library, tmp_path, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "exiv2", None)  # as if the optional extra were not installed
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "lunch.jpg")
    (folder / "lunch.jpg.xmp").write_text(digikam_sidecar(rating=4), encoding="utf-8")
    _index(library, folder)
    assert _photo(library, photo).rating == 4
    lib = library.paths.root
    code, _, err = run_cli(capsys, "xmp", "write-back", "sidecar", "--library", lib)
    assert code == 1 and 'pip install "photoorg[xmp]"' in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "xmp", "export", "--library", lib)
    assert code == 1 and "needs the exiv2 bindings" in err
    shown = run_cli_json(capsys, "xmp", "--library", lib)
    assert shown == {"write_back": "off", "available": False, "reason": shown["reason"]} and shown["reason"]
    assert sorted(os.listdir(folder)) == ["lunch.jpg", "lunch.jpg.xmp"]  # nothing written
