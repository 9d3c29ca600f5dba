"""photoorg's metadata reader against ExifTool over the team's real camera files.

Runs where both ``../shared/data/exif-samples`` and ``exiftool`` (Debian:
libimage-exiftool-perl) are present, and skips elsewhere.
"""

from __future__ import annotations

import pytest

from photoorg.scan.imageio import ImageReadError, open_image
from photoorg.scan.metadata import read_metadata
from tests.exiftool_oracle import FIELDS, compare, exiftool_available, exiftool_references, summary
from tests.helpers import shared_data


def _read(path):
    try:
        return read_metadata(open_image(path.read_bytes()))
    except ImageReadError:
        return None


@pytest.mark.skipif(not exiftool_available(), reason="exiftool is not installed")
def test_agrees_with_exiftool_on_date_camera_and_gps():
    folder = shared_data("exif-samples")
    references = exiftool_references(folder)
    assert len(references) > 90, "exiftool read the sample folder"
    scores = compare(references, _read)
    print("\nagreement with exiftool:", summary(scores))
    for name in FIELDS:
        score = scores[name]
        assert score.carried > 0, name
        assert score.ratio >= 0.99, f"{name}: {score.agreed}/{score.carried}; {score.disagreements}"
        # Nothing rather than garbage: no value where ExifTool finds none.
        assert score.invented == [], name
