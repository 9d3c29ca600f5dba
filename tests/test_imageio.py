"""Opening and decoding files that are not what they claim to be."""

from __future__ import annotations

import struct
import zlib

import pytest
from PIL import Image

from photoorg.scan.imageio import MAX_PIXELS, ImageReadError, decode, open_image
from photoorg.scan.thumbnails import ThumbnailCache
from tests.helpers import make_photo


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageReadError, match="too large"):
        open_image(_png_claiming(40_000, 40_000))
    assert MAX_PIXELS < 40_000 * 40_000


def test_text_file_is_not_an_image():
    with pytest.raises(ImageReadError, match="not an image"):
        open_image(b"hello, I am a text file pretending to be a JPEG")


def test_truncated_jpeg_fails_with_a_reason(tmp_path):
    data = make_photo(tmp_path / "t.jpg", size=(600, 400)).read_bytes()
    with pytest.raises(ImageReadError, match=r"truncated|corrupt"):
        decode(open_image(data[: len(data) // 2]), 0)


def test_wrong_extension_is_read_by_content(tmp_path):
    path = make_photo(tmp_path / "really-a-png.jpg", fmt="PNG")
    image = open_image(path.read_bytes())
    assert image.format == "PNG"
    assert decode(image, 0).mode == "RGB"


def test_draft_decodes_big_jpegs_at_reduced_size(tmp_path):
    path = make_photo(tmp_path / "big.jpg", size=(4000, 3000))
    image = decode(open_image(path.read_bytes()), 300)
    assert min(image.size) >= 300
    assert image.size[0] <= 1000  # 1/4 or 1/8 scale, not the full 4000 px


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = decode(open_image(buffer.getvalue()), 0)
    assert decoded.mode == "RGB" and decoded.getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    import io

    image = Image.new("I;16", (4, 4), 32768)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = decode(open_image(buffer.getvalue()), 0)
    assert 120 <= decoded.getpixel((0, 0))[0] <= 135


def test_thumbnail_cache_writes_atomically(tmp_path):
    cache = ThumbnailCache(tmp_path / "thumbs", size=64)
    image = Image.new("RGB", (640, 480), (10, 20, 30))
    path = cache.write("ab" * 32, image)
    assert cache.has("ab" * 32)
    assert Image.open(path).size == (64, 48)
    assert not list(path.parent.glob(".*tmp"))
