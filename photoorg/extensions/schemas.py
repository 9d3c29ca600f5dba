"""A capability's own tables: a linear migration chain of its own, with its
version kept in the library's database, so a new capability never edits the
core chain in ``store/migrations.py``. The database is backed up before any
chain migrates it (see :func:`photoorg.store.migrations.migrate`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from photoorg.extensions._point import NamedExtensionPoint

#: one step of a chain, run inside its own transaction; never edited once shipped
Migration = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class SchemaChain:
    """``migrations[n]`` takes the capability's tables from version n to n + 1."""

    name: str
    migrations: tuple[Migration, ...]

    @property
    def latest(self) -> int:
        return len(self.migrations)


_point: NamedExtensionPoint[SchemaChain] = NamedExtensionPoint("schema")


def register_schema(name: str, migrations: Sequence[Migration]) -> None:
    """``name`` is the capability's, and becomes part of the setting that holds
    its version: letters, digits and dashes."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"a schema name is letters, digits and dashes, not {name!r}")
    _point.register(name, SchemaChain(name, tuple(migrations)))


def schemas() -> tuple[SchemaChain, ...]:
    return tuple(_point.items().values())
