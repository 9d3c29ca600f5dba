"""Videos and RAW files built by the tests: PyAV encodes the videos, tifffile
writes DNG files (a CFA mosaic with the DNG tags LibRaw needs, and a preview).
Nothing is downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# Colours of the scenes of a test video, one after another.
RED, GREEN, BLUE, WHITE = (220, 30, 30), (30, 200, 40), (30, 40, 220), (240, 240, 240)


def make_video(
    path: Path,
    *,
    seconds: float = 4.0,
    size: tuple[int, int] = (160, 96),
    fps: int = 10,
    scenes: Sequence[tuple[int, int, int]] = (RED, GREEN, BLUE),
    black_start: float = 0.5,
    tags: dict[str, str] | None = None,
    rotation: int = 0,
    codec: str = "mpeg4",
    texture: bool = False,
    gop: int | None = None,
) -> Path:
    """A video of coloured scenes (each with a white square that moves, so
    frames differ), after ``black_start`` seconds of black. ``texture`` lays a
    moving noise texture over the scenes: frames that cost what camera footage
    costs to decode (benchmarks); ``gop`` sets the keyframe interval (phones: 1-2 s)."""
    import av

    width, height = size
    grain = None
    if texture:
        grain = np.random.default_rng(0).integers(0, 60, (height, width * 2, 3), dtype=np.uint8)
    options = {"movflags": "use_metadata_tags"} if path.suffix.lower() in (".mp4", ".mov", ".m4v") else {}
    with av.open(str(path), "w", options=options) as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        if gop:
            stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        total = int(seconds * fps)
        for index in range(total):
            t = index / fps
            frame = np.zeros((height, width, 3), np.uint8)
            if t >= black_start:
                scene = int((t - black_start) / max(1e-6, seconds - black_start) * len(scenes))
                frame[:, :] = scenes[min(scene, len(scenes) - 1)]
                x = int(index * 3 % max(1, width - 20))
                frame[10:30, x : x + 20] = 255
                if grain is not None:
                    shift = index * 4 % width
                    frame = np.clip(frame.astype(np.int16) + grain[:, shift : shift + width] - 30, 0, 255)
                    frame = frame.astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_dng(
    path: Path,
    *,
    size: tuple[int, int] = (384, 256),
    preview: tuple[int, int] | None = (192, 128),
    preview_colour: tuple[int, int, int] = (200, 50, 50),
    make: str = "Canon",
    model: str = "Canon EOS 5D",
    orientation: int = 1,
    modified: str = "2020:02:03 04:05:06",
) -> Path:
    """A small but real DNG: a Bayer (RGGB) mosaic of a gradient in a SubIFD,
    with IFD0 holding an RGB preview (or the mosaic itself when ``preview`` is None)."""
    import tifffile

    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    red, green, blue = x / width * 3000 + 500, y / height * 3000 + 500, np.full((height, width), 1500.0)
    cfa = np.empty((height, width), np.uint16)
    cfa[0::2, 0::2] = red[0::2, 0::2]
    cfa[0::2, 1::2] = green[0::2, 1::2]
    cfa[1::2, 0::2] = green[1::2, 0::2]
    cfa[1::2, 1::2] = blue[1::2, 1::2]
    identity = [value for i in range(9) for value in ((10000, 10000) if i % 4 == 0 else (0, 10000))]
    ifd0_tags = [
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (274, "H", 1, orientation, True),
        (306, "s", 0, modified, True),
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, model, True),  # UniqueCameraModel
        (50721, "2i", 9, identity, True),  # ColorMatrix1
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
    ]
    raw_tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50714, "H", 1, 0, True),  # BlackLevel
        (50717, "H", 1, 4095, True),  # WhiteLevel
    ]
    with tifffile.TiffWriter(str(path)) as writer:
        if preview is not None:
            picture = np.zeros((preview[1], preview[0], 3), np.uint8)
            picture[:, :] = preview_colour
            writer.write(
                picture, photometric="rgb", subfiletype=1, subifds=1, metadata=None, extratags=ifd0_tags
            )
            writer.write(cfa, photometric=32803, subfiletype=0, metadata=None, extratags=raw_tags)
        else:
            writer.write(cfa, photometric=32803, subfiletype=0, metadata=None, extratags=ifd0_tags + raw_tags)
    return path
