"""Videos, Live Photos and motion photos in the app: "Play" in the photo menu
and on the P key (grid and viewer), and the video's facts in the details panel.
The grid's duration badges and hover playing come from the listing's marks
(photoorg/video/marks.py) through the tile painter."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMenu, QWidget

from photoorg.browse import rows_for_ids
from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.gui.theme import icon
from photoorg.gui.video_player import play
from photoorg.video.marks import duration_text


def video_section(details: dict) -> QWidget | None:
    video = details.get("video")
    if not video:
        return None
    box, layout = section_box("Video")
    parts = [duration_text(video["duration"])]
    if video.get("codec"):
        parts.append(video["codec"])
    if video.get("fps"):
        parts.append(f"{video['fps']:g} fps")
    layout.addWidget(QLabel(" · ".join(parts)))
    return box


class VideoGui:
    """Playing videos, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_photo_action(self._menu)
        ctx.add_shortcut("P", "Play the video or Live Photo", self.play_selected)
        ctx.add_details_section(video_section)

    def _menu(self, menu: QMenu, ids: list[int]) -> None:
        if len(ids) == 1:
            menu.addAction(icon("play"), "Play", self.play_selected)

    def play_selected(self) -> None:
        ids = self.ctx.selected_ids()[:1]
        if not ids:
            return
        library = self.ctx.library

        def find() -> tuple[str, bool] | None:
            from photoorg.video.motion import playable_file  # lazy: PyAV loads FFmpeg; only playback needs it

            rows = rows_for_ids(library.db, ids)
            if not rows:
                return None
            row = rows[0]
            source = row.motion or row.path
            live = row.motion is not None and row.motion != row.path and row.badge == "LIVE"
            try:
                return playable_file(source, library.paths.root / "cache" / "motion"), live
            except Exception:
                return None

        def done(found) -> None:
            if found is None:
                self.ctx.notify("This photo has no video to play.")
                return
            where = play(found[0], self.ctx.dialog_parent(), loop=found[1])
            if where == "system":
                self.ctx.notify("Playing in the system's video player.")

        self.ctx.submit(find, done, key="video-play")
