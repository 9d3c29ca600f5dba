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
