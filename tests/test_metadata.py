"""Reading EXIF: real values from files written with Pillow, and the junk
cameras write."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from photoorg.scan.imageio import decode, open_image
from photoorg.scan.metadata import (
    DATE_FROM_EXIF,
    DATE_FROM_IPTC,
    DATE_FROM_XMP,
    camera_label,
    parse_exif_datetime,
    parse_offset_minutes,
    read_metadata,
    read_metadata_file,
)
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


# -- the awkward cases real cameras and editors write ------------------------------------


def _jpeg_with_segment(path, marker: int, payload: bytes, **exif):
    """A JPEG (with EXIF when given) with one more APPn segment right after SOI."""
    make_photo(path, size=(32, 24), **exif)
    data = path.read_bytes()
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:2] + segment + data[2:])
    return path


def _raw_exif_jpeg(path, build) -> Path:
    """A JPEG whose EXIF is an ``Image.Exif`` that ``build`` fills in."""
    exif = Image.Exif()
    build(exif)
    Image.new("RGB", (32, 24), (90, 90, 90)).save(path, "JPEG", exif=exif.tobytes())
    return path


def test_text_is_cut_at_the_first_nul_and_trimmed(tmp_path):
    def build(exif):
        exif[0x010F] = "WWL     "
        exif[0x0110] = "ION230\x00F"  # a terminator with stale bytes after it

    meta = _meta(_raw_exif_jpeg(tmp_path / "nul.jpg", build))
    assert meta.camera_make == "WWL"
    assert meta.camera_model == "ION230"


def test_date_only_in_datetime_digitized(tmp_path):
    def build(exif):
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9004] = "2011:02:03 04:05:06"
        exif_ifd[0x9012] = "-03:00"

    meta = _meta(_raw_exif_jpeg(tmp_path / "digitized.jpg", build))
    assert meta.taken_at == datetime(2011, 2, 3, 4, 5, 6)
    assert meta.tz_offset_min == -180
    assert meta.date_source == DATE_FROM_EXIF


def test_date_original_wins_over_digitized_and_modified(tmp_path):
    def build(exif):
        exif[0x0132] = "2015:01:01 00:00:00"
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = "2012:06:07 08:09:10"
        exif_ifd[0x9004] = "2013:01:01 00:00:00"

    meta = _meta(_raw_exif_jpeg(tmp_path / "both.jpg", build))
    assert meta.taken_at == datetime(2012, 6, 7, 8, 9, 10)


@pytest.mark.parametrize(
    "description, expected, offset",
    [
        # Old Adobe prefix, as an attribute.
        (
            b'xmlns:xap="http://ns.adobe.com/xap/1.0/" xap:CreateDate="2005-09-07T15:07:40-07:00"/>',
            datetime(2005, 9, 7, 15, 7, 40),
            -420,
        ),
        # Element form; a date without a time is midnight; photoshop:DateCreated wins over CreateDate.
        (
            b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
            b"<xmp:CreateDate>2005-12-17T22:03:32Z</xmp:CreateDate>"
            b"<photoshop:DateCreated>2003-08-31</photoshop:DateCreated></rdf:Description>",
            datetime(2003, 8, 31),
            None,
        ),
        # exif:DateTimeOriginal with fractions of a second, in UTC.
        (
            b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2013-07-05T03:18:27.50Z"/>',
            datetime(2013, 7, 5, 3, 18, 27),
            0,
        ),
    ],
)
def test_date_only_in_xmp(tmp_path, description, expected, offset):
    xmp = (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<rdf:Description " + description + b"</rdf:RDF></x:xmpmeta>" + b" " * 64 + b'<?xpacket end="w"?>'
    )
    path = tmp_path / "x.jpg"
    Image.new("RGB", (10, 10)).save(path, "JPEG", xmp=xmp)
    meta = _meta(path)
    assert meta.taken_at == expected
    assert meta.tz_offset_min == offset
    assert meta.date_source == DATE_FROM_XMP


def _iptc_block(*datasets: tuple[int, bytes]) -> bytes:
    """A Photoshop APP13 payload holding IPTC-IIM record-2 datasets."""
    iim = b"".join(b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(v)) + v for number, v in datasets)
    if len(iim) % 2:
        iim += b"\x00"
    return (
        b"Photoshop 3.0\x00"
        + b"8BIM"
        + struct.pack(">H", 0x0404)
        + b"\x00\x00"
        + struct.pack(">I", len(iim))
        + iim
    )


def test_date_only_in_iptc(tmp_path):
    path = _jpeg_with_segment(
        tmp_path / "iptc.jpg", 0xED, _iptc_block((55, b"20150704"), (60, b"213000+0200"))
    )
    meta = _meta(path)
    assert meta.taken_at == datetime(2015, 7, 4, 21, 30, 0)
    assert meta.tz_offset_min == 120
    assert meta.date_source == DATE_FROM_IPTC


def test_no_date_anywhere_leaves_it_to_the_file_time(tmp_path):
    meta = _meta(make_photo(tmp_path / "plain.jpg", make="Canon"))
    assert meta.taken_at is None and meta.date_source is None
    assert meta.camera_make == "Canon"


def test_gps_references_south_west_and_below_sea_level(tmp_path):
    def build(exif):
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = "S", (33.0, 51.0, 24.48)
        gps[3], gps[4] = "W", (70.0, 39.0, 0.0)
        gps[5], gps[6] = b"\x01", 28.5

    meta = _meta(_raw_exif_jpeg(tmp_path / "gps.jpg", build))
    assert meta.gps_lat == pytest.approx(-33.8568, abs=1e-4)
    assert meta.gps_lon == pytest.approx(-70.65, abs=1e-4)
    assert meta.gps_alt == pytest.approx(-28.5)


def test_exif_block_pillow_skips_is_read_by_the_fallback(tmp_path):
    # "Exif\0\xff" instead of "Exif\0\0": Pillow ignores the block, exifread reads it.
    path = make_photo(
        tmp_path / "odd.jpg",
        taken=datetime(2009, 1, 2, 3, 4, 5),
        make="Canon",
        model="Canon EOS 5D",
        gps=(10.5, -20.25),
    )
    path.write_bytes(path.read_bytes().replace(b"Exif\x00\x00", b"Exif\x00\xff", 1))
    assert not Image.open(path).getexif()  # Pillow really can't see it
    meta = _meta(path)
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS 5D")
    assert meta.taken_at == datetime(2009, 1, 2, 3, 4, 5) and meta.date_source == DATE_FROM_EXIF
    assert meta.gps_lat == pytest.approx(10.5, abs=1e-4) and meta.gps_lon == pytest.approx(-20.25, abs=1e-4)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's, while opening the file
@pytest.mark.parametrize(
    "junk", [b"\x00" * 3, b"II*\x00\xff\xff\xff\x7f", b"MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x01" * 40]
)
def test_corrupt_exif_gives_no_metadata_and_no_error(tmp_path, junk):
    path = _jpeg_with_segment(tmp_path / "bad.jpg", 0xE1, b"Exif\x00\x00" + junk)
    meta = _meta(path)
    assert meta.width == 32
    assert meta.taken_at is None and meta.camera_make is None and meta.gps_lat is None


def test_olympus_picture_info_date(tmp_path):
    payload = b"OLYMPUS OPTICAL CO.,LTD.\x00\r\n[picture info]\r\nTimeDate=909698819\r\nShutter=33363\r\n"
    meta = _meta(_jpeg_with_segment(tmp_path / "olympus.jpg", 0xEC, payload))
    assert meta.taken_at == datetime(1998, 10, 29, 22, 6, 59)
    assert meta.date_source == DATE_FROM_EXIF


def test_canon_ciff_make_model_and_date(tmp_path):
    make_model = b"Canon\x00Canon PowerShot A5\x00"
    # A heap: the value bytes, then the record table (count, 10-byte records),
    # then the table's offset; the timestamp lives inside its record.
    table = struct.pack("<H", 2)
    table += struct.pack("<HII", 0x080A, len(make_model), 0)
    table += struct.pack("<H", 0x4000 | 0x180E) + struct.pack("<II", 972687386, 0)
    heap = make_model + table + struct.pack("<I", len(make_model))
    header = b"II" + struct.pack("<I", 26) + b"HEAPJPGM" + b"\x00" * 12
    meta = _meta(_jpeg_with_segment(tmp_path / "ciff.jpg", 0xE0, header + heap))
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon PowerShot A5")
    assert meta.taken_at == datetime(2000, 10, 27, 22, 56, 26)


def test_reconyx_maker_note_date(tmp_path):
    note = b"\x01\xf1\x03\x00" + b"\x00" * 18 + struct.pack("<6H", 0, 0, 10, 3, 16, 2020) + b"\x00" * 40

    def build(exif):
        exif.get_ifd(0x8769)[0x927C] = note

    meta = _meta(_raw_exif_jpeg(tmp_path / "trailcam.jpg", build))
    assert meta.taken_at == datetime(2020, 3, 16, 10, 0, 0)


def test_damaged_camera_blocks_are_ignored(tmp_path):
    header = b"II" + struct.pack("<I", 26) + b"HEAPJPGM" + b"\x00" * 12
    heap = b"\xff" * 30 + struct.pack("<I", 0xFFFFFF)  # a table offset far outside the heap
    meta = _meta(_jpeg_with_segment(tmp_path / "ciff.jpg", 0xE0, header + heap))
    assert meta.taken_at is None and meta.camera_make is None


def test_header_only_read_of_a_file(tmp_path):
    path = make_photo(tmp_path / "a.jpg", taken=datetime(2019, 7, 14, 16, 30, 5), model="X100")
    meta = read_metadata_file(path)
    assert meta.taken_at == datetime(2019, 7, 14, 16, 30, 5) and meta.camera_model == "X100"
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    assert read_metadata_file(tmp_path / "junk.jpg") is None
    assert read_metadata_file(tmp_path / "gone.jpg") is None
