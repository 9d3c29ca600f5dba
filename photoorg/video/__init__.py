"""Videos: PyAV (FFmpeg) reads MP4, MOV, M4V, MKV, AVI, WebM and 3GP files.
Each video is one item of the library, dated and placed from its container's
tags, shown by a representative frame, and searchable by any of its scenes:
a few keyframes get CLIP vectors with their times (search results point at
the time). Faces, tags and text run on the representative frame, like any
photo's picture.

PyAV is a dependency; its wheels bundle FFmpeg builds that include GPL codecs
(README, "Licences"). If it is missing (a build that leaves it out), videos are
not indexed and nothing else changes.

This file stays free of imports: every ``import photoorg.video.<module>`` runs it.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoorg.extensions import Extensions


def available() -> bool:
    """Whether PyAV is installed (the capability registers nothing without it)."""
    return importlib.util.find_spec("av") is not None


def register(ext: Extensions) -> None:
    # The tables are registered even without PyAV, so that a library indexed
    # with it opens unchanged on a machine without.
    from photoorg.video import store

    ext.register_schema("video", [store.create_tables])
    if not available():
        return
    from photoorg.video import hooks, marks
    from photoorg.video.media import READER

    ext.register_media_reader(READER)
    ext.register_stage_provider(hooks.video_stages)
    ext.register_after_index_step(hooks.scenes_index_step)
    ext.register_vector_source("video-scenes", hooks.SCENES_SOURCE)
    ext.register_detail_provider(hooks.video_details)
    ext.register_item_marker("video", marks.video_marks)
