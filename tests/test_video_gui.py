"""Videos, Live Photos and RAW+JPEG pairs in the app: the tiles' badges, a
Live Photo playing on its tile while hovered, Play opening the player, and
screenshots of the grid at two sizes in both themes (benchmarks/out/)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("av")
pytest.importorskip("rawpy")

from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from photoorg.gui.grid_tiles import thumbnail_bucket
from photoorg.gui.video_player import in_app_playback
from photoorg.roots import add_root
from tests.helpers import make_photo
from tests.media_helpers import BLUE, GREEN, RED, make_dng, make_video
from tests.test_gui import select_row, wait_grid, wait_indexed

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out" / "screenshots" / "media"
SIZES = ((1400, 900), (1024, 700))


def build_folder(root: Path) -> int:
    root.mkdir(parents=True)
    make_photo(root / "IMG_0001.jpg", size=(480, 360), color=(230, 120, 60), pattern=1)
    make_video(root / "IMG_0001.MOV", seconds=2, size=(240, 180), black_start=0, scenes=(RED, BLUE))
    make_video(root / "beach.mp4", seconds=75, size=(320, 180), fps=2, scenes=(BLUE, GREEN, RED))
    make_photo(root / "DSC_0100.JPG", size=(480, 320), color=(60, 120, 200), pattern=2)
    make_dng(root / "DSC_0100.NEF", size=(480, 320), preview=(240, 160))
    make_dng(root / "DSC_0101.DNG", size=(480, 320), preview=(240, 160), preview_colour=(90, 160, 90))
    make_photo(root / "plain.jpg", size=(360, 480), color=(200, 200, 90), pattern=3)
    return 5  # the MOV shows inside its Live Photo, the NEF inside its JPEG


def hover_plays_the_live_photo(qtbot, window, live) -> None:
    """Hovering the Live Photo plays its video on the tile, frame after frame."""
    grid, delegate = window.grid, window.grid.delegate
    grid.hovered_row = next(i for i, row in enumerate(window.model.rows) if row.id == live.id)
    bucket = thumbnail_bucket(grid.cell_size)
    qtbot.waitUntil(lambda: delegate.motion.frame(live.motion, bucket) is not None, timeout=20_000)
    first = delegate.motion.frame(live.motion, bucket)[1]
    qtbot.waitUntil(lambda: delegate.motion.frame(live.motion, bucket)[1] != first, timeout=5_000)
    grid.hovered_row = -1
    delegate._repaint_hovered()
    assert not delegate.motion._timer.isActive(), "the tile stops playing when left"


def test_badges_hover_play_and_screenshots(qtbot, make_window, tiny_model, tmp_path, monkeypatch):
    from photoorg.gui.app import apply_look

    folder = tmp_path / "Phone"
    expected = build_folder(folder)
    add_root(tiny_model.db, folder)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    try:
        for theme in ("light", "dark"):
            apply_look(app, theme)
            window = make_window(tiny_model)
            if theme == "light":
                wait_indexed(qtbot, window, timeout=300_000)
            wait_grid(qtbot, window, lambda n: n == expected)
            rows = {row.name: row for row in window.model.rows}
            assert set(rows) == {"IMG_0001.jpg", "beach.mp4", "DSC_0100.JPG", "DSC_0101.DNG", "plain.jpg"}
            assert (rows["IMG_0001.jpg"].badge, rows["beach.mp4"].badge) == ("LIVE", "1:15")
            assert (rows["DSC_0100.JPG"].badge, rows["DSC_0101.DNG"].badge) == ("RAW+JPEG", "RAW")
            assert rows["plain.jpg"].badge is None

            hover_plays_the_live_photo(qtbot, window, rows["IMG_0001.jpg"])

            for width, height in SIZES:
                window.resize(width, height)
                qtbot.wait(600)
                assert window.grab().save(str(OUT / f"grid-{width}x{height}-{theme}.png"))

            if theme == "light":
                # Play: the video opens in the player this Qt has (the system's without QtMultimedia).
                select_row(window, next(i for i, r in enumerate(window.model.rows) if r.name == "beach.mp4"))
                play = next(a for a in window.grid.actions() if a.text() == "Play the video or Live Photo")
                play.trigger()
                if not in_app_playback():
                    qtbot.waitUntil(lambda: opened == [str(folder / "beach.mp4")], timeout=10_000)
            window.close()
    finally:
        apply_look(app, "system")
