"""Every main view, rendered at two window sizes in both themes, saved as
PNGs for people to look at, and checked for what a test can see: the heading
says what is shown, no label is cut off, nothing lies outside the window,
and text colours pass WCAG AA (4.5:1)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QPushButton,
    QTabWidget,
    QWidget,
)

from photoorg.gui.sidebar import Scope
from photoorg.roots import add_root
from tests.helpers import SHARED_DATA, make_photo, open_settings_dialog
from tests.test_gui import select_row, wait_grid, wait_indexed
from tests.test_people_gui import people_gui

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out" / "screenshots" / "views"
SIZES = ((1400, 900), (1024, 700))
THEMES = ("light", "dark")
ROME = (41.8986, 12.4769)


# -- the library ------------------------------------------------------------------------------


def build_folder(root: Path) -> int:
    """A small, varied library: a trip with GPS, photos across two years in
    landscape, portrait and panorama shapes, and portraits for People."""
    shapes = [(640, 427), (427, 640), (600, 600), (900, 300), (640, 480), (480, 640)]
    colours = [(224, 122, 95), (61, 64, 91), (129, 178, 154), (242, 204, 143), (100, 149, 237), (230, 57, 70)]
    start = datetime(2023, 5, 12, 9, 30)
    for i in range(9):
        make_photo(
            root / "Rome" / f"IMG_{4100 + i}.jpg",
            size=shapes[i % len(shapes)],
            color=colours[i % len(colours)],
            pattern=i,
            taken=start + timedelta(minutes=20 * i),
            make="FUJIFILM",
            model="X-T3",
            lens="XF16-55mmF2.8 R LM WR",
            gps=(ROME[0] + i * 0.001, ROME[1]),
            exposure=(2.8, 1 / 250, 200, 23.0),
        )
    for i in range(16):
        make_photo(
            root / "Home" / f"DSC_{2000 + i}.jpg",
            size=shapes[(i + 2) % len(shapes)],
            color=colours[(i + 3) % len(colours)],
            pattern=20 + i,
            taken=datetime(2022 + i % 3, 1 + (i * 5) % 12, 1 + i, 18, 0),
            make="Canon",
            model="Canon EOS R6",
            exposure=(4.0, 1 / 60, 1600, 50.0),
        )
    # Real photos, when the team's samples are here: portraits for People, camera files for the grid.
    real = sorted((SHARED_DATA / "faces-dev").glob("*.jpg"))
    real += sorted((SHARED_DATA / "exif-samples" / "jpg").glob("*.jpg"))[:12]
    for photo in real:
        target = root / photo.parent.name / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(photo, target)
    return 25 + len(real)


@pytest.fixture
def library_with_photos(tiny_model, tmp_path):
    folder = tmp_path / "Photos"
    expected = build_folder(folder)
    add_root(tiny_model.db, folder)
    return tiny_model, expected


# -- checks ------------------------------------------------------------------------------------


def _shown(widget: QWidget, top: QWidget) -> bool:
    return widget.isVisibleTo(top) and widget.width() > 0 and widget.height() > 0


def _in_scrolled_content(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def layout_problems(top: QWidget) -> list[str]:
    """Labels and buttons whose text does not fit, and widgets outside the window."""
    problems = []
    bounds = top.rect().adjusted(-1, -1, 1, 1)
    for widget in top.findChildren(QWidget):
        if not _shown(widget, top) or widget.window() is not top:
            continue
        if not _in_scrolled_content(widget, top):
            rect = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
            if not bounds.contains(rect):
                problems.append(f"{type(widget).__name__} {widget.objectName()!r} outside the window: {rect}")
        if isinstance(widget, QLabel) and widget.text() and widget.textFormat() != Qt.TextFormat.RichText:
            text = widget.text()
            if "<" in text and ">" in text:
                continue  # rich text detected automatically
            area = widget.contentsRect()
            if widget.wordWrap():
                if widget.heightForWidth(area.width()) > area.height() + 2:
                    problems.append(f"label cut off at the bottom: {text[:60]!r}")
            elif widget.fontMetrics().horizontalAdvance(text) > area.width() + 2 and widget.toolTip() != text:
                problems.append(f"label cut off without a tooltip: {text[:60]!r}")
        if (
            isinstance(widget, QPushButton)
            and widget.text()
            and widget.sizeHint().width() > widget.width() + 2
        ):
            problems.append(f"button text cut off: {widget.text()!r}")
    return problems


def heading(window) -> str:
    return window.photo_app.heading.text()


# -- the screenshots ---------------------------------------------------------------------------


def _settle(qtbot, ms: int = 400) -> None:
    qtbot.wait(ms)


def capture(qtbot, window, name: str, saved: list, problems: dict) -> None:
    _settle(qtbot)
    path = OUT / f"{name}.png"
    assert window.grab().save(str(path))
    saved.append(path)
    found = layout_problems(window)
    if found:
        problems[name] = found


def show_scope(qtbot, window, scope: Scope) -> None:
    if not window.sidebar.select_scope(scope):
        window.set_scope(scope)
    _settle(qtbot, 200)


def event_scope(window) -> Scope | None:
    from photoorg.gui.sidebar import SCOPE_ROLE

    header = window.sidebar._sections["events"]
    stack = [header.child(i) for i in range(header.childCount())]
    while stack:
        item = stack.pop(0)
        scope = item.data(0, SCOPE_ROLE)
        if scope is not None and scope.kind == "event":
            return scope
        stack.extend(item.child(i) for i in range(item.childCount()))
    return None


def unnamed_person(library) -> tuple[int, int] | None:
    from photoorg.faces.people import list_people

    people = [p for p in list_people(library.db, with_covers=False) if not p.name]
    return (people[0].id, people[0].photo_count) if people else None


def test_every_view_in_both_themes_and_two_sizes(qtbot, make_window, library_with_photos, tmp_path, capsys):
    from photoorg.gui.app import apply_look
    from photoorg.library import Library
    from photoorg.tags import store

    library, expected = library_with_photos
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    app = QApplication.instance()
    saved: list[Path] = []
    problems: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    empty = Library(tmp_path / "empty-library")
    try:
        for theme in THEMES:
            apply_look(app, theme)
            window = make_window(library)
            wait_indexed(qtbot, window, timeout=300_000)
            wait_grid(qtbot, window, lambda n: n == expected)
            if theme == THEMES[0]:
                ids = [row.id for row in window.model.rows]
                store.add_tag(library.db, ids[:3], "dog")
                window.refresh_all()
                qtbot.waitUntil(lambda w=window: w.model.photo_count() == expected, timeout=10_000)
            welcome = make_window(empty)
            qtbot.waitUntil(lambda w=welcome: w.pages.currentWidget() is w.welcome, timeout=10_000)
            for width, height in SIZES:
                shoot_views(
                    qtbot,
                    window,
                    welcome,
                    library,
                    expected,
                    width,
                    height,
                    theme,
                    (saved, problems, headings),
                )
            readme_shot(qtbot, window, theme, saved)
            # The smallest window the welcome page is made for.
            welcome.resize(800, 600)
            qtbot.waitUntil(lambda w=welcome: (w.width(), w.height()) == (800, 600), timeout=5_000)
            capture(qtbot, welcome, f"welcome-800x600-{theme}", saved, problems)
            column = welcome.welcome.button.parentWidget()
            assert column.width() <= 520 and welcome.welcome.button.isVisible()
            window.close()
            welcome.close()
    finally:
        apply_look(app, "system")
        empty.close()
    print(f"\nscreenshots ({len(saved)}): {OUT}")
    (OUT / "headings.json").write_text(json.dumps(headings, indent=2))
    assert headings["grid"] == f"All photos · {expected} photos"
    assert headings["tag"] == "Dog · 3 photos"
    assert headings["search"].startswith("“a red photo” · ") and headings["search"].endswith(" results")
    assert problems == {}, json.dumps(problems, indent=2)


def shoot_views(qtbot, window, welcome, library, expected, width, height, theme, record) -> None:
    """Every view of ``window`` (and ``welcome``) at one size in one theme."""

    saved, problems, headings = record
    size = f"{width}x{height}-{theme}"
    window.resize(width, height)
    welcome.resize(width, height)

    # The library, with a photo selected: the details panel shows its place and exposure.
    show_scope(qtbot, window, Scope("all", None, "All photos"))
    wait_grid(qtbot, window, lambda n: n == expected)
    rome = next(i for i, row in enumerate(window.model.rows) if "IMG_41" in row.name)
    select_row(window, rome)
    qtbot.waitUntil(lambda: "Rome" in _details_text(window), timeout=20_000)
    headings["grid"] = heading(window)
    capture(qtbot, window, f"grid-{size}", saved, problems)
    assert window.details.grab().save(str(OUT / f"details-{size}.png"))
    saved.append(OUT / f"details-{size}.png")
    details = _details_text(window)
    for expected_text in ("Rome, Italy", "f/2.8", "1/250 s", "ISO", "200", "23 mm", "X-T3"):
        assert expected_text in details, expected_text
    assert any(day in details for day in ("Friday 12 May 2023",)), details

    # A search: the ranking controls and "results" appear only now.
    window.search.cutoff.setValue(0)
    window.search.set_text("a red photo")
    qtbot.waitUntil(lambda: bool(window.search.text and window.model._scores), timeout=30_000)
    headings["search"] = heading(window)
    assert window.search.sort.isVisible()
    capture(qtbot, window, f"search-{size}", saved, problems)
    window.search.set_text("")
    wait_grid(qtbot, window, lambda n: n == expected)
    assert not window.search.sort.isVisible(), "no ranking controls while browsing"

    # The viewer: full window, controls on screen.
    window.open_viewer(window.model.rows[rome].id)
    qtbot.waitUntil(lambda: window.viewer.canvas.pixmap is not None, timeout=20_000)
    assert not window.sidebar.isVisible() and not window.details.isVisible()
    window.photo_app.controls.wake()
    capture(qtbot, window, f"viewer-{size}", saved, problems)
    window.close_viewer()
    assert window.sidebar.isVisible()

    # A tag.
    show_scope(qtbot, window, Scope("tag", "dog", "dog"))
    qtbot.waitUntil(lambda: heading(window).startswith("Dog · "), timeout=10_000)
    headings["tag"] = heading(window)
    capture(qtbot, window, f"tag-{size}", saved, problems)

    # An event (the trip to Rome).
    qtbot.waitUntil(lambda: event_scope(window) is not None, timeout=20_000)
    event = event_scope(window)
    show_scope(qtbot, window, event)
    qtbot.waitUntil(lambda e=event: heading(window).startswith(e.label[:1].upper()), timeout=10_000)
    headings["event"] = heading(window)
    capture(qtbot, window, f"event-{size}", saved, problems)

    # People, and an unnamed person's photos.
    controller = people_gui(window)
    controller.open_people()
    _settle(qtbot, 1200)
    capture(qtbot, window, f"people-{size}", saved, problems)
    person = unnamed_person(library)
    if person is not None:
        person_id, _count = person
        controller.open_person(person_id, "")
        qtbot.waitUntil(lambda: heading(window).startswith("Unnamed person · "), timeout=10_000)
        headings["person"] = heading(window)
        assert window.photo_app.heading.action.isVisible()
        assert window.photo_app.heading.action.text() == "Name this person"
        capture(qtbot, window, f"person-{size}", saved, problems)
        controller.open_faces(person_id, "Unnamed person")
        _settle(qtbot, 1200)
        buttons = [b.text() for b in window.findChildren(QAbstractButton) if b.isVisible()]
        assert not any("Unnamed person" in text for text in buttons), buttons
        capture(qtbot, window, f"person-faces-{size}", saved, problems)
    controller.open_review()
    _settle(qtbot, 1200)
    capture(qtbot, window, f"review-{size}", saved, problems)
    show_scope(qtbot, window, Scope("all", None, "All photos"))

    # Settings, and the welcome page of a new library.
    dialog = open_settings_dialog(window)
    dialog.resize(min(760, width - 100), min(520, height - 100))
    dialog.show()
    tabs = dialog.findChild(QTabWidget)
    for page in range(tabs.count()):
        tabs.setCurrentIndex(page)
        _settle(qtbot, 200)
        name = f"settings-{tabs.tabText(page).lower()}-{size}"
        assert dialog.grab().save(str(OUT / f"{name}.png"))
        saved.append(OUT / f"{name}.png")
        found = layout_problems(dialog)
        if found:
            problems[name] = found
    assert dialog.model_name.text() == dialog.model.currentText()
    dialog.reject()
    capture(qtbot, welcome, f"welcome-{size}", saved, problems)


def readme_shot(qtbot, window, theme: str, saved: list) -> None:
    """The README's picture: the whole library at a small zoom (year headers),
    a photo from the trip selected so the details show its place and exposure."""
    window.resize(1400, 900)
    show_scope(qtbot, window, Scope("all", None, "All photos"))
    window.grid.set_cell_size(120)
    rome = next(i for i, row in enumerate(window.model.rows) if "IMG_41" in row.name)
    select_row(window, rome)
    window.grid.scrollToTop()
    qtbot.waitUntil(lambda: "Rome" in _details_text(window), timeout=20_000)
    _settle(qtbot, 1500)
    path = OUT / f"readme-{theme}.png"
    assert window.grab().save(str(path))
    saved.append(path)


def _details_text(window) -> str:
    return " ".join(
        label.text() for label in window.details.findChildren(QLabel) if label.isVisibleTo(window)
    )


def test_text_colours_pass_wcag_aa_in_both_themes():
    from photoorg.gui.app import apply_look, create_app
    from photoorg.gui.contrast import AA_TEXT, contrast_ratio, text_pairs

    app = create_app()
    measured = {}
    try:
        for theme in THEMES:
            apply_look(app, theme)
            for name, foreground, background in text_pairs(app.palette()):
                measured[f"{theme}: {name}"] = round(contrast_ratio(foreground, background), 2)
    finally:
        apply_look(app, "system")
    print("\n" + "\n".join(f"{ratio:5.2f}  {name}" for name, ratio in measured.items()))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT.parent / "contrast.json").write_text(json.dumps(measured, indent=2))
    failing = {name: ratio for name, ratio in measured.items() if ratio < AA_TEXT}
    assert not failing, failing


def test_contrast_maths_matches_wcag_examples():
    from PySide6.QtGui import QColor

    from photoorg.gui.contrast import contrast_ratio

    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(QColor(0, 0, 0, 0), QColor("white")) == pytest.approx(1.0)


def test_the_layout_check_finds_cut_labels_and_stray_widgets(qtbot):
    from photoorg.gui.app import create_app

    create_app()
    top = QWidget()
    top.resize(300, 200)
    qtbot.addWidget(top)
    wrapped = QLabel("a long sentence that needs several lines at this width " * 3, top)
    wrapped.setWordWrap(True)
    wrapped.setGeometry(0, 0, 150, 20)
    single = QLabel("a line far too long for its label", top)
    single.setGeometry(0, 40, 60, 20)
    button = QPushButton("A button with a long text", top)
    button.setGeometry(0, 70, 40, 24)
    stray = QLabel("outside", top)
    stray.setGeometry(280, 190, 80, 30)
    top.show()
    found = " | ".join(layout_problems(top))
    assert "cut off at the bottom" in found and "without a tooltip" in found
    assert "button text cut off" in found and "outside the window" in found
    single.setToolTip(single.text())
    assert not any("without a tooltip" in p for p in layout_problems(top))
