"""Reading EXIF: real values from files written with Pillow, and the junk
cameras write."""

from __future__ import annotations

from datetime import datetime

import pytest
from PIL import Image

from photoorg.scan.imageio import decode, open_image
from photoorg.scan.metadata import camera_label, parse_exif_datetime, parse_offset_minutes, read_metadata
from tests.helpers import make_photo, shared_data


def _meta(path):
    return read_metadata(open_image(path.read_bytes()))


def test_reads_date_camera_lens_gps(tmp_path):
    path = make_photo(
        tmp_path / "a.jpg",
        taken=datetime(2019, 7, 14, 16, 30, 5),
        offset="+02:00",
        make="Canon",
        model="Canon EOS 40D",
        lens="EF-S17-85mm f/4-5.6 IS USM",
        gps=(-33.8568, 151.2153),
    )
    meta = _meta(path)
    assert meta.format == "JPEG"
    assert (meta.width, meta.height) == (320, 240)
    assert meta.taken_at == datetime(2019, 7, 14, 16, 30, 5)
    assert meta.tz_offset_min == 120
    assert meta.camera_make == "Canon" and meta.camera_model == "Canon EOS 40D"
    assert meta.lens == "EF-S17-85mm f/4-5.6 IS USM"
    assert meta.gps_lat == pytest.approx(-33.8568, abs=1e-4)
    assert meta.gps_lon == pytest.approx(151.2153, abs=1e-4)


def test_orientation_swaps_displayed_size_and_is_applied_on_decode(tmp_path):
    path = make_photo(tmp_path / "r.jpg", size=(400, 300), orientation=6)
    meta = _meta(path)
    assert meta.orientation == 6
    assert (meta.width, meta.height) == (300, 400)
    assert decode(open_image(path.read_bytes()), 0).size == (300, 400)


def test_file_without_exif_has_no_date_or_camera(tmp_path):
    meta = _meta(make_photo(tmp_path / "plain.png"))
    assert meta.format == "PNG"
    assert meta.taken_at is None and meta.camera_make is None and meta.gps_lat is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2008:05:30 15:56:01", datetime(2008, 5, 30, 15, 56, 1)),
        ("2008:05:30 15:56:01\x00", datetime(2008, 5, 30, 15, 56, 1)),
        ("2008-05-30T15:56:01", datetime(2008, 5, 30, 15, 56, 1)),
        ("0000:00:00 00:00:00", None),
        ("    :  :     :  :  ", None),
        ("2008:13:45 25:00:00", None),
        ("", None),
        (None, None),
        (b"2001:02:03 04:05:06", datetime(2001, 2, 3, 4, 5, 6)),
    ],
)
def test_exif_dates(raw, expected):
    assert parse_exif_datetime(raw) == expected


def test_offsets():
    assert parse_offset_minutes("+02:00") == 120
    assert parse_offset_minutes("-05:30") == -330
    assert parse_offset_minutes("junk") is None


def test_zero_gps_fix_is_no_location(tmp_path):
    meta = _meta(make_photo(tmp_path / "z.jpg", gps=(0.0, 0.0)))
    assert meta.gps_lat is None and meta.gps_lon is None


def test_camera_label_avoids_repeating_the_make():
    assert camera_label("Canon", "Canon EOS 40D") == "Canon EOS 40D"
    assert camera_label("NIKON CORPORATION", "NIKON D70") == "NIKON D70"
    assert camera_label("Apple", "iPhone 13") == "Apple iPhone 13"
    assert camera_label(None, None) is None


def test_xmp_date_is_used_when_exif_has_none(tmp_path):
    path = tmp_path / "x.jpg"
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        b'xmp:CreateDate="2016-03-04T05:06:07+01:00"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    Image.new("RGB", (10, 10)).save(path, "JPEG", xmp=xmp)
    meta = _meta(path)
    assert meta.taken_at == datetime(2016, 3, 4, 5, 6, 7)
    assert meta.tz_offset_min == 60


def test_real_camera_files_read_without_errors():
    folder = shared_data("exif-samples")
    read = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".heic", ".heif", ".tiff"):
            continue
        meta = _meta(path)
        assert meta.width > 0 and meta.height > 0
        read += 1
    assert read > 90
    gps = _meta(folder / "jpg" / "gps" / "DSCN0010.jpg")
    assert gps.gps_lat == pytest.approx(43.4674, abs=1e-3) and gps.gps_lon == pytest.approx(11.8851, abs=1e-3)
    iphone = _meta(folder / "heic" / "mobile" / "iphone_13_pro_max.HEIC")
    assert iphone.camera_make == "Apple" and iphone.orientation == 6 and iphone.width < iphone.height
