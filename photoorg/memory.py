"""Keeping the process's memory close to what it uses (glibc only).

Indexing reads whole files (2-10 MB) and decodes images on several threads.
By default glibc gives each thread its own heap arena and, after a large
block is freed, raises its threshold for using mmap, so later 5 MB buffers
come from the arenas and stay resident after they are freed. A fixed mmap
threshold hands such buffers straight back to the OS, and two arenas are
plenty for a handful of threads.
"""

from __future__ import annotations

import ctypes
import gc
import sys

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def tune_allocator() -> None:
    """Call once at start-up, before worker threads exist."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # another C library: its defaults stand


# -- the cyclic garbage collector ---------------------------------------------------------
#
# A full collection walks every container object in the process. Once torch
# and open_clip are imported that is over half a million objects: one pass
# took 270 ms holding the GIL, and the window froze for as long. Modules live
# until exit, so they are frozen (moved out of the collector's sight) once
# imported. Models are never frozen: they hold reference cycles, and only the
# collector frees them when a model is released. So freezing happens once per
# moment, before any model exists: a released model waiting for collection
# would be frozen too, and never freed.

_frozen: set[str] = set()


def freeze_long_lived(moment: str) -> None:
    """Take what exists now out of future collections, the first time this
    moment ("startup", "torch imported") comes: imported modules above all."""
    if moment not in _frozen:
        _frozen.add(moment)
        gc.freeze()
