"""Column types that SQLite does not have natively."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.types import TypeDecorator

# POSIX file names are bytes. Python decodes the bytes that are not UTF-8 to lone
# surrogates (U+DC80..U+DCFF, "surrogateescape"), which SQLite's UTF-8 text can't
# hold. They are stored as code points in a private-use block of plane 16 instead
# and mapped back when read, so any name on disk round-trips exactly.
_SURROGATE_BASE = 0xDC80
_PRIVATE_BASE = 0x10FD80
_TO_PRIVATE = {c: _PRIVATE_BASE + (c - _SURROGATE_BASE) for c in range(0xDC80, 0xDD00)}
_FROM_PRIVATE = {v: k for k, v in _TO_PRIVATE.items()}


def path_to_db(path: str) -> str:
    return path.translate(_TO_PRIVATE)


def path_from_db(text: str) -> str:
    return text.translate(_FROM_PRIVATE)


class FsPath(TypeDecorator):
    """A file-system path stored as text, exact even for non-UTF-8 names."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else path_to_db(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else path_from_db(value)


class Vector(TypeDecorator):
    """A float32 vector stored as raw little-endian bytes."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return np.asarray(value, dtype="<f4").tobytes()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return np.frombuffer(value, dtype="<f4")


class JsonText(TypeDecorator):
    """A JSON document in a text column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)
