"""Camera RAW files (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG, PEF) through
rawpy (LibRaw): indexed like photos, shown by their embedded preview, and
demosaiced only when the preview is too small. A RAW file beside a JPEG of the
same name (RAW+JPEG shooting) shows as one item with a badge; each file keeps
its own row, so moves, trash and the index treat both.

rawpy is a dependency (MIT, with LibRaw under LGPL 2.1 or CDDL 1.0). If it is
missing (a build that leaves it out), RAW files are not indexed.

This file stays free of imports: every ``import photoorg.raw.<module>`` runs it.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoorg.extensions import Extensions


def available() -> bool:
    """Whether rawpy is installed (the capability registers nothing without it)."""
    return importlib.util.find_spec("rawpy") is not None


def register(ext: Extensions) -> None:
    if not available():
        return
    from photoorg.raw.media import READER
    from photoorg.raw.pairs import raw_marks

    ext.register_media_reader(READER)
    ext.register_item_marker("raw", raw_marks)
