"""The capabilities the core ships with, in the one place they are listed.

Each is a package with ``register(ext)`` (see :mod:`photoorg.extensions`).
:func:`load_capabilities` registers them once per process: ``Library`` calls
it when it opens, and the command line before it builds its parser. The GUI
parts of the capabilities are listed separately, by the GUI.
"""

from __future__ import annotations

from photoorg import duplicates, extensions, faces, objects, places, raw, tags, text, video, xmp
from photoorg.extensions import Capability

CORE_CAPABILITIES: tuple[Capability, ...] = (tags, faces, text, places, objects, duplicates, video, raw, xmp)


def load_capabilities() -> None:
    """Register the core capabilities; a no-op after the first call."""
    extensions.load(CORE_CAPABILITIES)
