"""The capabilities' parts of the desktop app.

Each is a class with ``install(ctx)`` that gets an
:class:`~photoorg.gui.extension.AppContext` (never the window). They are
listed here, in the order they are installed (which orders their sidebar
sections, menu entries and details-panel sections): adding a capability
means adding its module and one line below.
"""

from __future__ import annotations

from photoorg.gui.extension import GuiCapability
from photoorg.gui.features.duplicates import DuplicatesGui
from photoorg.gui.features.objects import ObjectsGui
from photoorg.gui.features.people import PeopleGui
from photoorg.gui.features.places import PlacesGui
from photoorg.gui.features.tags import TagsGui
from photoorg.gui.features.text import TextGui
from photoorg.gui.features.video import VideoGui
from photoorg.gui.features.xmp import XmpGui

CAPABILITIES: tuple[type[GuiCapability], ...] = (
    TagsGui,
    PeopleGui,
    PlacesGui,
    TextGui,
    ObjectsGui,
    DuplicatesGui,
    VideoGui,
    XmpGui,
)
