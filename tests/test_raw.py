"""Camera RAW files: rawpy reads them, the preview stands in when it is large
enough, EXIF agrees with exiftool, and a RAW+JPEG pair is one item whose two
files keep their identity. The DNG files are written by the test
(tests/media_helpers.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import select

pytest.importorskip("rawpy")
pytest.importorskip("tifffile")

from photoorg.browse import list_photos
from photoorg.organize import move_to_trash
from photoorg.pipeline.work import DECODE_SCALE_KEY
from photoorg.raw.pairs import PAIR_BADGE, RAW_BADGE
from photoorg.raw.reader import RawReader
from photoorg.roots import add_root
from photoorg.scan.imageio import ImageReadError, load_upright
from photoorg.store.schema import PHOTO_FAILED, Photo
from tests.exiftool_oracle import exiftool_available
from tests.helpers import make_photo
from tests.media_helpers import make_dng


def run_index(library, *roots):
    root_ids = [add_root(library.db, r)[0].id for r in roots] if roots else None
    indexer = library.indexer(library.build_stages())
    list(indexer.run(root_ids))
    return indexer.summary


def rows_by_name(library) -> dict[str, Photo]:
    with library.db.session() as s:
        return {p.path.rsplit("/", 1)[1]: p for p in s.scalars(select(Photo))}


def test_metadata_size_and_orientation_come_from_libraw(tmp_path):
    path = make_dng(tmp_path / "IMG_1.DNG", size=(384, 256), orientation=6)
    meta = RawReader().read_metadata(str(path))
    assert meta.format == "DNG"
    assert (meta.width, meta.height, meta.orientation) == (256, 384, 6)  # turned: shown upright
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS 5D")
    assert meta.taken_at == datetime(2020, 2, 3, 4, 5, 6)


def test_the_preview_is_used_when_large_enough_and_demosaicing_otherwise(tmp_path):
    path = make_dng(tmp_path / "IMG_2.DNG", size=(384, 256), preview=(192, 128), preview_colour=(200, 50, 50))
    small = RawReader().decode(str(path), 100)
    assert small.size == (192, 128) and small.getpixel((10, 10)) == (200, 50, 50)
    assert small.info[DECODE_SCALE_KEY] == pytest.approx(2.0)
    large = RawReader().decode(str(path), 200)  # more than the preview has: the sensor data
    assert large.size == (384, 256) and large.getpixel((10, 10)) != (200, 50, 50)
    no_preview = make_dng(tmp_path / "IMG_3.DNG", preview=None)
    assert RawReader().decode(str(no_preview), 64).size == (192, 128)  # half size is enough


def test_the_picture_is_turned_upright(tmp_path):
    path = make_dng(tmp_path / "IMG_4.DNG", size=(384, 256), preview=(192, 128), orientation=6)
    assert RawReader().decode(str(path), 100).size == (128, 192)
    assert load_upright(str(path), 100).size == (128, 192)  # the viewer's path too


def test_a_damaged_raw_file_gives_a_reason(tmp_path):
    bad = tmp_path / "bad.NEF"
    bad.write_bytes(b"II*\x00" + b"\x00" * 100)
    with pytest.raises(ImageReadError, match="RAW"):
        RawReader().read_metadata(str(bad))


@pytest.mark.skipif(not exiftool_available(), reason="exiftool is not installed")
def test_raw_exif_agrees_with_exiftool(tmp_path):
    path = make_dng(tmp_path / "IMG_5.DNG", orientation=8, make="NIKON CORPORATION", model="NIKON D750")
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-overwrite_original",
            "-DateTimeOriginal=2019:07:14 18:30:05",
            "-LensModel=24.0-120.0 mm f/4.0",
            "-GPSLatitude=41.3851",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=2.1734",
            "-GPSLongitudeRef=E",
            str(path),
        ],
        check=True,
    )
    output = subprocess.run(
        [
            "exiftool",
            "-j",
            "-n",
            "-Make",
            "-Model",
            "-LensModel",
            "-DateTimeOriginal",
            "-Orientation",
            "-GPSLatitude",
            "-GPSLongitude",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    truth = json.loads(output)[0]
    meta = RawReader().read_metadata(str(path))
    assert meta.camera_make == truth["Make"]
    assert meta.camera_model == truth["Model"]
    assert meta.lens == truth["LensModel"]
    assert meta.taken_at == datetime.strptime(truth["DateTimeOriginal"], "%Y:%m:%d %H:%M:%S")
    assert meta.orientation == truth["Orientation"]
    assert meta.gps_lat == pytest.approx(truth["GPSLatitude"], abs=1e-6)
    assert meta.gps_lon == pytest.approx(truth["GPSLongitude"], abs=1e-6)


def test_raw_and_jpeg_show_as_one_item_and_keep_their_identity(tiny_model, tmp_path):
    folder = tmp_path / "Shoot"
    folder.mkdir()
    make_dng(folder / "DSC_0001.NEF")  # a NEF is a TIFF like a DNG: LibRaw reads both
    make_photo(folder / "DSC_0001.JPG")
    make_dng(folder / "DSC_0002.DNG")
    (folder / "DSC_0003.CR2").write_bytes(b"not raw")

    run_index(tiny_model, folder)

    rows = rows_by_name(tiny_model)
    assert rows["DSC_0003.CR2"].state == PHOTO_FAILED and "RAW" in rows["DSC_0003.CR2"].error
    assert rows["DSC_0001.NEF"].format == "NEF" and rows["DSC_0001.NEF"].width == 384
    listed = {r.name: r for r in list_photos(tiny_model.db)}
    assert "DSC_0001.NEF" not in listed
    assert listed["DSC_0001.JPG"].badge == PAIR_BADGE
    assert listed["DSC_0002.DNG"].badge == RAW_BADGE

    # A move of both files keeps both rows (and so their marks).
    ids = {name: rows[name].id for name in ("DSC_0001.NEF", "DSC_0001.JPG")}
    moved = folder / "2020"
    moved.mkdir()
    for name in ids:
        shutil.move(folder / name, moved / name)
    summary = run_index(tiny_model)
    assert summary.moved == 2
    after = rows_by_name(tiny_model)
    assert {name: after[name].id for name in ids} == ids

    # Trashing the item sends both files to the trash.
    result = move_to_trash(tiny_model.db, [ids["DSC_0001.JPG"]])
    assert sorted(p.rsplit("/", 1)[1] for p in result.trashed) == ["DSC_0001.JPG", "DSC_0001.NEF"]
    assert not (moved / "DSC_0001.NEF").exists()
