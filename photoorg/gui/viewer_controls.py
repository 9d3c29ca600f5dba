"""On-screen controls over the viewer that fade out while the user looks.

A top bar (back, the photo's name and position, info, boxes, favourite,
rating, rotate, trash, slideshow), large previous/next buttons at the sides and
zoom buttons at the bottom. They show when the mouse moves and fade after a
few seconds without it, as in a photo app; every one has a keyboard shortcut
too. The controls only emit signals: the window decides what they do.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QEvent, QObject, QPropertyAnimation, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from photoorg.gui.theme import icon

IDLE_MS = 2500
FADE_MS = 400
SLIDESHOW_MS = 4000
WHITE = QColor("#f5f5f5")


class _Bar(QWidget):
    """A translucent strip the buttons sit on (readable over any photo)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ViewerBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "QWidget#ViewerBar { background: rgba(0, 0, 0, 150); border-radius: 10px; }"
            "QLabel { color: #f5f5f5; }"
            "QToolButton { color: #f5f5f5; border: none; border-radius: 6px; padding: 4px; }"
            "QToolButton:hover { background: rgba(255, 255, 255, 40); }"
            "QToolButton:checked { background: rgba(255, 255, 255, 70); }"
        )
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(8, 4, 8, 4)
        self.layout_.setSpacing(2)


class ViewerControls(QObject):
    back = Signal()
    previous = Signal()
    next = Signal()
    zoom_in = Signal()
    zoom_out = Signal()
    fit = Signal()
    actual_size = Signal()
    favourite = Signal()
    rate = Signal(int)
    rotate = Signal()
    trash = Signal()
    info = Signal()
    boxes = Signal(bool)
    #: the slideshow moved on (the window shows the next photo)
    slideshow_step = Signal()

    def __init__(self, viewer: QWidget) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.top = _Bar(viewer)
        self.bottom = _Bar(viewer)
        self.buttons: dict[str, QToolButton] = {}
        self._button(self.top, "back", "chevron-left", "Back to the photos (Esc)", self.back)
        self.title = QLabel()
        self.title.setObjectName("ViewerTitle")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.top.layout_.addWidget(self.title, 1)
        self._button(self.top, "info", "info", "Information (I)", self.info)
        boxes = self._button(self.top, "boxes", "face", "Show faces and other boxes (B)", None)
        boxes.setCheckable(True)
        boxes.setChecked(True)
        boxes.toggled.connect(self.boxes)
        self._button(self.top, "favourite", "heart", "Favourite (F)", self.favourite)
        rating = self._button(self.top, "rating", "star", "Rating (0 – 5)", None)
        menu = QMenu(rating)
        for stars in range(6):
            menu.addAction("★" * stars if stars else "No rating", lambda n=stars: self.rate.emit(n))
        rating.setMenu(menu)
        rating.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        rotate_tip = "Rotate clockwise (R); the file is not changed"
        self._button(self.top, "rotate", "refresh", rotate_tip, self.rotate)
        self._button(self.top, "trash", "trash", "Move to trash (Del)", self.trash)
        slideshow = self._button(self.top, "slideshow", "play", "Slideshow (S)", None)
        slideshow.setCheckable(True)
        slideshow.toggled.connect(self._slideshow_toggled)
        self._button(self.bottom, "zoom_out", "zoom-out", "Zoom out (-)", self.zoom_out)
        self._button(self.bottom, "fit", "minimize", "Fit to the window (Ctrl+0)", self.fit)
        self._button(self.bottom, "actual", "maximize", "Actual size (Ctrl+1)", self.actual_size)
        self._button(self.bottom, "zoom_in", "zoom-in", "Zoom in (+)", self.zoom_in)
        self.prev_button = self._side_button("chevron-left", "Previous photo (←)", self.previous)
        self.next_button = self._side_button("chevron-right", "Next photo (→)", self.next)
        self.widgets = [self.top, self.bottom, self.prev_button, self.next_button]
        self.effects = []
        self.animations = []
        for widget in self.widgets:
            effect = QGraphicsOpacityEffect(widget)
            effect.setOpacity(1.0)
            widget.setGraphicsEffect(effect)
            animation = QPropertyAnimation(effect, b"opacity", self)
            animation.setDuration(FADE_MS)
            animation.setEasingCurve(QEasingCurve.Type.InOutQuad)
            self.effects.append(effect)
            self.animations.append(animation)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(IDLE_MS)
        self.idle.timeout.connect(self.fade_out)
        self.slideshow = QTimer(self)
        self.slideshow.setInterval(SLIDESHOW_MS)
        self.slideshow.timeout.connect(self.slideshow_step)
        self.shown = True
        viewer.installEventFilter(self)
        for child in viewer.findChildren(QWidget):
            child.setMouseTracking(True)
            child.installEventFilter(self)
        self.place()

    # -- building ------------------------------------------------------------------------

    def _button(self, bar: _Bar, name: str, icon_name: str, tip: str, signal) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name, WHITE))
        button.setIconSize(QSize(22, 22))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        if signal is not None:
            button.clicked.connect(signal)
        bar.layout_.addWidget(button)
        self.buttons[name] = button
        return button

    def _side_button(self, icon_name: str, tip: str, signal) -> QToolButton:
        button = QToolButton(self.viewer)
        button.setIcon(icon(icon_name, WHITE))
        button.setIconSize(QSize(36, 36))
        button.setFixedSize(56, 56)
        button.setToolTip(tip)
        button.setStyleSheet(
            "QToolButton { background: rgba(0, 0, 0, 130); border: none; border-radius: 28px; }"
            "QToolButton:hover { background: rgba(0, 0, 0, 190); }"
        )
        button.clicked.connect(signal)
        return button

    # -- state ------------------------------------------------------------------------------

    def set_title(self, text: str) -> None:
        self.title.setText(text)
        self.title.setToolTip(text)

    def set_favourite(self, favourite: bool) -> None:
        shown = icon("heart-filled", "#ef4444") if favourite else icon("heart", WHITE)
        self.buttons["favourite"].setIcon(shown)

    def set_navigation(self, has_previous: bool, has_next: bool) -> None:
        self.prev_button.setEnabled(has_previous)
        self.next_button.setEnabled(has_next)

    @property
    def slideshow_running(self) -> bool:
        return self.slideshow.isActive()

    def stop_slideshow(self) -> None:
        self.buttons["slideshow"].setChecked(False)

    def _slideshow_toggled(self, on: bool) -> None:
        self.buttons["slideshow"].setIcon(icon("pause" if on else "play", WHITE))
        if on:
            self.slideshow.start()
            self.fade_out()
        else:
            self.slideshow.stop()
            self.wake()

    # -- layout and fading -----------------------------------------------------------------

    def place(self) -> None:
        width, height = self.viewer.width(), self.viewer.height()
        margin = 12
        self.top.setGeometry(margin, margin, max(200, width - 2 * margin), 44)
        self.bottom.adjustSize()
        self.bottom.move((width - self.bottom.width()) // 2, height - self.bottom.height() - margin)
        middle = (height - self.prev_button.height()) // 2
        self.prev_button.move(margin, middle)
        self.next_button.move(width - self.next_button.width() - margin, middle)
        for widget in self.widgets:
            widget.raise_()

    def wake(self) -> None:
        """Show the controls (the mouse moved), and fade them again later."""
        if not self.shown:
            self._animate(1.0)
            self.shown = True
        if not self.slideshow_running:
            self.idle.start()

    def fade_out(self) -> None:
        if self.shown:
            self._animate(0.0)
            self.shown = False

    def _animate(self, target: float) -> None:
        for widget, effect, animation in zip(self.widgets, self.effects, self.animations):
            animation.stop()
            animation.setStartValue(effect.opacity())
            animation.setEndValue(target)
            animation.start()
            # Faded controls must not catch clicks meant for the photo.
            widget.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, target == 0.0)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize and watched is self.viewer:
            self.place()
        elif kind in (QEvent.Type.MouseMove, QEvent.Type.HoverMove, QEvent.Type.Enter):
            self.wake()
        elif kind == QEvent.Type.Show and watched is self.viewer:
            self.place()
            self.wake()
        return False
