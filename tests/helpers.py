"""Builders for test inputs: real image files with EXIF, and a tiny real CLIP model."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from PIL import Image

TINY_ARCH = "photoorg-test-tiny"

# The team's real camera files, beside the project; tests skip without them.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    import pytest

    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared sample data not present at {path}")
    return path


# A complete open_clip architecture, small enough to build and run in
# milliseconds. It goes through the same loading path as a real model.
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 1, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}


def write_tiny_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TINY_ARCH}.json"
    path.write_text(json.dumps(TINY_CONFIG))
    return path


def build_tiny_checkpoint(folder: Path, seed: int = 0) -> Path:
    """Build the tiny model with fixed random weights and save its state dict."""
    import open_clip
    import torch

    config = write_tiny_config(folder / "configs")
    open_clip.add_model_config(config)
    torch.manual_seed(seed)
    model = open_clip.create_model(TINY_ARCH, pretrained=None)
    path = folder / f"{TINY_ARCH}-{seed}.pt"
    torch.save(model.state_dict(), path)
    return path


def install_tiny_config(library_dir: Path) -> None:
    """Put the tiny architecture where a library looks for custom models."""
    write_tiny_config(Path(library_dir) / "model_configs")


def exif_bytes(
    *,
    taken: datetime | None = None,
    make: str | None = None,
    model: str | None = None,
    lens: str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    offset: str | None = None,
    exposure: tuple[float, float, int, float] | None = None,
) -> bytes:
    """``exposure`` is (f-number, shutter seconds, ISO, focal length mm)."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    exif_ifd = exif.get_ifd(0x8769)
    if taken:
        exif_ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if offset:
        exif_ifd[0x9011] = offset
    if lens:
        exif_ifd[0xA434] = lens
    if exposure:
        from fractions import Fraction

        from PIL.TiffImagePlugin import IFDRational

        f_number, shutter, iso, focal = exposure
        fraction = Fraction(shutter).limit_denominator(10_000)
        exif_ifd[0x829D] = IFDRational(f_number)
        exif_ifd[0x829A] = IFDRational(fraction.numerator, fraction.denominator)
        exif_ifd[0x8827] = iso
        exif_ifd[0x920A] = IFDRational(focal)
    if gps:
        lat, lon = gps

        def dms(value: float):
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
            return (float(degrees), float(minutes), float(seconds))

        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N" if lat >= 0 else "S"
        gps_ifd[2] = dms(lat)
        gps_ifd[3] = "E" if lon >= 0 else "W"
        gps_ifd[4] = dms(lon)
    return exif.tobytes()


def make_photo(
    path: Path,
    *,
    size: tuple[int, int] = (320, 240),
    color: tuple[int, int, int] = (200, 40, 40),
    pattern: int = 0,
    fmt: str | None = None,
    **exif,
) -> Path:
    """Write a real image file. ``pattern`` varies the content so files differ."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, color)
    # A few stripes make each pattern's pixels (and content hash) distinct.
    for i in range(pattern % 7 + 1):
        x = (pattern * 37 + i * 53) % max(1, size[0] - 10)
        image.paste((255 - color[0], 255 - color[1], 255 - color[2]), (x, 0, x + 6, size[1]))
    fmt = fmt or {
        ".png": "PNG",
        ".webp": "WEBP",
        ".tif": "TIFF",
        ".tiff": "TIFF",
        ".bmp": "BMP",
        ".gif": "GIF",
    }.get(path.suffix.lower(), "JPEG")
    kwargs = {}
    if exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        kwargs["exif"] = exif_bytes(**exif)
    if fmt == "JPEG":
        kwargs["quality"] = 90
    image.save(path, fmt, **kwargs)
    return path


def set_mtime(path: Path, when: datetime) -> None:
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def open_settings_dialog(window):
    """The Settings dialog of ``window``, its data read off the GUI thread as the window does."""
    from concurrent.futures import ThreadPoolExecutor

    from photoorg.gui.settings_dialog import SettingsDialog, load_settings

    with ThreadPoolExecutor(1) as pool:
        data = pool.submit(load_settings, window.library).result()
    return SettingsDialog(window.library, data, window.grid.cell_size, window.tasks, window)
