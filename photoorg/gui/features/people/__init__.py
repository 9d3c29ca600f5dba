"""People and faces in the desktop app (see :mod:`.capability`)."""

from photoorg.gui.features.people.capability import PeopleGui

__all__ = ["PeopleGui"]
