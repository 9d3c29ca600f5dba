"""XMP write-back: off by default; sidecars named as darktable and digiKam
expect, or inside JPEG/TIFF/DNG (never RAW); what is written reads back in an
independent reader (ExifTool when installed) as the same ratings, keywords and
named regions; other tools' fields survive; a failed write leaves the old
file as it was."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("exiv2")

from photoorg import annotations, organize
from photoorg.faces import people
from photoorg.library import Library
from photoorg.photos import find_photo
from photoorg.tags import store as tag_store
from photoorg.xmp import writer
from photoorg.xmp.settings import EMBEDDED, SIDECAR, set_write_back_mode
from photoorg.xmp.sync import run_to_end, select_photos, write_photos
from photoorg.xmp.writer import XmpWriteError, target_of
from tests.cli_helpers import run_cli, run_cli_json
from tests.helpers import make_photo
from tests.test_xmp_read import _index
from tests.xmp_helpers import add_face, digikam_sidecar, exiftool_available, read_back


def _decide(library, photo, *, face: bool = True) -> int:
    """The user's decisions on one photo: 4 stars, favourite, two tags (one
    under a parent in photoorg's vocabulary), a caption, a named face."""
    pid = find_photo(library.db, photo).id
    organize.set_rating(library.db, [pid], 4)
    organize.set_favorite(library.db, [pid], True)
    tag_store.add_tag(library.db, [pid], "Summer 2024")
    tag_store.add_concept(library.db, "pets")
    tag_store.add_concept(library.db, "rex", parent="pets")
    tag_store.add_tag(library.db, [pid], "rex")
    annotations.set_caption(library.db, pid, "Rex on the beach")
    if face:
        face_id = add_face(library.db, pid, (32, 48, 64, 72))
        people.new_person(library.db, [face_id], "Ann Smith")
    return pid


def test_write_back_is_off_by_default(library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "a.jpg")
    _index(library, folder)
    _decide(library, photo)
    library.close()
    assert not (folder / "a.jpg.xmp").exists()


def test_changes_are_written_to_a_sidecar_that_reads_back_the_same(library_dir, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "IMG_0001.jpg", size=(320, 240))
    before = photo.read_bytes()
    with Library(library_dir) as library:
        _index(library, folder)
        set_write_back_mode(library.db, SIDECAR)
        _decide(library, photo)
    # Written when the library closed (the end of a CLI command); the photo itself untouched.
    sidecar = folder / "IMG_0001.jpg.xmp"
    assert photo.read_bytes() == before
    seen = read_back(sidecar)
    assert seen["rating"] == 4 and seen["label"] == "Favorite"
    assert seen["keywords"] == ["rex", "summer 2024"]
    assert seen["hierarchical"] == ["pets|rex", "summer 2024"]
    assert seen["tags_list"] == ["pets/rex", "summer 2024"]
    assert seen["caption"] == "Rex on the beach"
    assert seen["people"] == ["Ann Smith"]
    (region,) = seen["regions"]
    if exiftool_available():
        # MWG's centre-based area of the face at 32,48 64x72 in a 320x240 photo.
        assert region["Area"]["X"] == pytest.approx(0.2) and region["Area"]["W"] == pytest.approx(0.2)
        assert region["Area"]["Y"] == pytest.approx(0.35) and region["Type"] == "Face"
        assert seen["raw"]["RegionInfo"]["AppliedToDimensions"]["W"] == 320

    # photoorg reads its own sidecar back as the same decisions (nothing to import).
    with Library(library_dir) as library:
        report = run_to_end(write_photos(library.db, select_photos(library.db), SIDECAR))
        assert report.written == [] and report.unchanged == 1


def test_other_tools_fields_survive_and_their_sidecar_name_is_kept_apart(library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "IMG_0002.jpg", size=(320, 240))
    regions = [("Pet", (0.7, 0.7, 0.2, 0.2))]  # a region on no detected face: kept
    (folder / "IMG_0002.jpg.xmp").write_text(digikam_sidecar(rating=2, regions=regions), encoding="utf-8")
    _index(library, folder)
    pid = find_photo(library.db, photo).id
    assert tag_store.tags_of_photo(library.db, pid, implied=False)
    organize.set_rating(library.db, [pid], 5)
    tag_store.remove_tag(library.db, [pid], "food")
    report = run_to_end(write_photos(library.db, [find_photo(library.db, photo)], SIDECAR))
    assert report.written and not report.failed
    seen = read_back(folder / "IMG_0002.jpg.xmp")
    assert seen["rating"] == 5
    # digiKam's spelling and hierarchy of the keywords it wrote come back as it wrote them.
    assert seen["tags_list"] == ["Places/Europe/Lisbon"]
    assert seen["keywords"] == ["Lisbon"]
    assert seen["people"] == ["Pet"]
    assert seen["caption"] == "Lunch by the river"
    if exiftool_available():
        assert seen["raw"]["Secret"] == "keep me"
    else:
        assert "keep me" in seen["raw"]


def test_embedded_write_keeps_the_pixels_and_other_fields_and_never_touches_raw(library, tmp_path):
    from PIL import Image

    folder = tmp_path / "Pictures"
    folder.mkdir()
    photo = folder / "inside.jpg"
    Image.new("RGB", (320, 240), (10, 120, 30)).save(photo, "JPEG", xmp=digikam_sidecar(rating=1).encode())
    pixels = Image.open(photo).tobytes()
    _index(library, folder)
    _decide(library, photo, face=False)
    report = run_to_end(write_photos(library.db, select_photos(library.db), EMBEDDED))
    assert [w["embedded"] for w in report.written] == [True]
    assert not (folder / "inside.jpg.xmp").exists()
    assert Image.open(photo).tobytes() == pixels
    seen = read_back(photo)
    assert seen["rating"] == 4 and seen["caption"] == "Rex on the beach"
    assert "summer 2024" in seen["keywords"]
    if exiftool_available():
        assert seen["raw"]["Secret"] == "keep me"
    # The index knows the file's new size and time: the next run re-analyses nothing.
    row = find_photo(library.db, photo)
    assert (row.size, row.mtime_ns) == (photo.stat().st_size, photo.stat().st_mtime_ns)

    assert target_of("/p/IMG_0001.CR2", EMBEDDED) == ("/p/IMG_0001.CR2.xmp", False)
    assert target_of("/p/IMG_0001.dng", EMBEDDED) == ("/p/IMG_0001.dng", True)
    assert target_of("/p/IMG_0001.heic", EMBEDDED) == ("/p/IMG_0001.heic.xmp", False)


def test_a_failed_write_leaves_the_old_sidecar_intact(library, tmp_path, monkeypatch):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "IMG_0003.jpg")
    sidecar = folder / "IMG_0003.jpg.xmp"
    sidecar.write_text(digikam_sidecar(rating=2), encoding="utf-8")
    _index(library, folder)
    organize.set_rating(library.db, [find_photo(library.db, photo).id], 5)
    original = sidecar.read_bytes()

    def fail_midway(exiv2, xmp, planned, changed):
        xmp["Xmp.xmp.Rating"] = "5"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_apply", fail_midway)
    report = run_to_end(write_photos(library.db, [find_photo(library.db, photo)], SIDECAR))
    assert "No space left on device" in report.failed[str(photo)]
    assert sidecar.read_bytes() == original
    assert set(os.listdir(folder)) == {"IMG_0003.jpg", "IMG_0003.jpg.xmp"}  # no temporary file left


def test_unreadable_target_is_left_alone(library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "x.jpg")
    (folder / "x.jpg.xmp").write_bytes(b"garbage")
    _index(library, folder)
    organize.set_rating(library.db, [find_photo(library.db, photo).id], 3)
    with pytest.raises(XmpWriteError, match="can't be read"):
        from photoorg.xmp.wanted import Wanted

        writer.write_xmp(str(photo), Wanted(rating=3), SIDECAR)
    assert (folder / "x.jpg.xmp").read_bytes() == b"garbage"


def test_cli_export_dry_run_and_write_back_setting(capsys, library, tmp_path):
    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "a.jpg")
    _index(library, folder)
    organize.set_rating(library.db, [find_photo(library.db, photo).id], 3)
    lib = library.paths.root
    dry = run_cli_json(capsys, "xmp", "export", "--dry-run", folder, "--library", lib)
    assert dry["dry_run"] and dry["written"][0]["changed"] == ["rating"] and dry["mode"] == "sidecar"
    assert not (folder / "a.jpg.xmp").exists()
    done = run_cli_json(capsys, "--json", "xmp", "export", "--library", lib)
    assert done["written"][0]["target"] == str(folder / "a.jpg.xmp")
    assert read_back(folder / "a.jpg.xmp")["rating"] == 3

    assert run_cli_json(capsys, "xmp", "write-back", "--library", lib)["write_back"] == "off"
    assert run_cli_json(capsys, "--library", lib, "xmp", "write-back", "embedded")["write_back"] == "embedded"
    code, _, err = run_cli(capsys, "xmp", "write-back", "sometimes", "--library", lib)
    assert code == 2 and "invalid choice" in err
    # A rating from the command line is written when the command ends.
    code, _, err = run_cli(capsys, "rate", "5", photo, "--library", lib)
    assert code == 0, err
    assert read_back(photo)["rating"] == 5  # embedded: inside the JPEG


def test_embedded_write_into_a_tiff(library, tmp_path):
    from PIL import Image

    folder = tmp_path / "Pictures"
    photo = make_photo(folder / "scan.tif", size=(120, 90))
    pixels = Image.open(photo).tobytes()
    _index(library, folder)
    organize.set_rating(library.db, [find_photo(library.db, photo).id], 2)
    annotations.set_caption(library.db, find_photo(library.db, photo).id, "Grandma's letter")
    report = run_to_end(write_photos(library.db, select_photos(library.db), EMBEDDED))
    assert [(w["target"], w["embedded"]) for w in report.written] == [(str(photo), True)]
    assert Image.open(photo).tobytes() == pixels
    seen = read_back(photo)
    assert (seen["rating"], seen["caption"]) == (2, "Grandma's letter")
