"""Reading a photo's bytes without ever blocking on, or streaming from, something
that is not a plain file.

The walker skips FIFOs, devices and sockets, but a path can be swapped for one
between the walk and the read. Opening read-only with ``O_NONBLOCK`` never
waits for a FIFO's writer, and ``fstat`` on the open descriptor checks the very
object that would be read, so ``/dev/zero`` is never streamed into memory.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def kind_of(mode: int) -> str:
    """A few words for a file type that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotRegularFileError(OSError):
    """The path is a FIFO, a device, a socket: never read."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(errno.EINVAL, f"not a regular file: {kind_of(mode)}", path)


def open_regular_file(path: str):
    """A binary read handle on a regular file. Raises :class:`NotRegularFileError`
    for anything else, and OSError as ``open`` would."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(path, mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_file(path: str) -> bytes:
    """The whole content of a regular file. Raises :class:`NotRegularFileError`
    for anything else, and OSError as ``open`` would."""
    with open_regular_file(path) as handle:
        return handle.read()


def hash_regular_file(path: str) -> str:
    """The SHA-256 of a regular file, read in chunks: a video of several GB is
    hashed in constant memory. Raises as :func:`read_regular_file`."""
    with open_regular_file(path) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
