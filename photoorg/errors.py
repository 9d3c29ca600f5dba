"""Errors that carry a message meant for the user, not a traceback."""

from __future__ import annotations


class PhotoorgError(Exception):
    """Base class: the message is shown to the user as is."""


class LibraryError(PhotoorgError):
    """The library folder or its database can't be used."""


class NewerDatabaseError(LibraryError):
    """The database was written by a newer photoorg than this one."""


class NotInLibraryError(PhotoorgError):
    """A path the user named is not in the library."""


class ModelUnavailableError(PhotoorgError):
    """A model's weights can't be had; the message says where they were looked for
    and how to provide them."""

    def __init__(self, message: str, *, model_key: str = "", cache_dir: str = "", reason: str = ""):
        super().__init__(message)
        self.model_key = model_key
        self.cache_dir = cache_dir
        self.reason = reason


class Cancelled(PhotoorgError):
    """The user cancelled a long operation."""


class PersonNotFound(PhotoorgError):
    """No person has this id or name."""


class AmbiguousName(PhotoorgError):
    """Several people match a name; the caller must use an id."""

    def __init__(self, message: str, ids: list[int]) -> None:
        super().__init__(message)
        self.ids = ids


class FaceNotFound(PhotoorgError):
    """A face id that no longer exists (analysed again, or removed)."""


class ExtensionConflict(PhotoorgError):
    """Two capabilities claim the same name at one extension point (a stage, a
    query key, a command): a packaging mistake, reported rather than guessed at."""


class WeightsNotPublished(PhotoorgError):
    """A pretrained tag whose weights are not on the Hugging Face hub: the user
    must download the checkpoint and pass it with --weights."""


class UsageError(PhotoorgError):
    """Input out of range or malformed (a search filter, an option): the CLI
    exits with status 2, as for any usage error."""


class InvalidDate(UsageError):
    """A date the user typed (``after:2019-13``, ``--from``) that can't be read."""


class AlbumNotFound(PhotoorgError):
    """No album has this name or id."""


class AlbumExists(PhotoorgError):
    """An album with this name exists already."""


class TagNotFound(PhotoorgError):
    """No tag has this name or synonym."""


class RootNotFound(PhotoorgError):
    """A folder that is not one of the library's roots."""


class FolderNotFound(PhotoorgError):
    """A path the user gave as a folder does not exist or is not a folder."""


class InvalidInput(PhotoorgError):
    """A value the user gave that can't be used: an empty name, a rating out of
    range, a merge with nothing to merge."""


class ReadOnlyLibraryError(LibraryError):
    """A change was asked of a library that can't be written (a read-only
    share or medium). Reading still works."""


class DamagedLibraryError(LibraryError):
    """The library database is damaged; the message points at `photoorg doctor`."""
