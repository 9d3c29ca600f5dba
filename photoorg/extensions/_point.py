"""The two shapes an extension point takes: an ordered set of contributions,
or contributions by name (a stage, a query key, a command group)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from photoorg.errors import ExtensionConflict

T = TypeVar("T")

#: every point, so that :func:`photoorg.extensions.scoped` can undo registrations
_ALL_POINTS: list[ExtensionPoint | NamedExtensionPoint] = []
# Two threads may open a Library at once and both load the capabilities: the
# check-then-add of a registration must not let a stage in twice.
_lock = threading.RLock()


class ExtensionPoint(Generic[T]):
    """Contributions in registration order. Registering the same object again is
    a no-op, so loading a capability twice changes nothing."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._items: list[T] = []
        _ALL_POINTS.append(self)

    def register(self, item: T) -> None:
        with _lock:
            if item not in self._items:
                self._items.append(item)

    def items(self) -> tuple[T, ...]:
        return tuple(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items())

    def _state(self) -> list[T]:
        return list(self._items)

    def _restore(self, state: list[T]) -> None:
        self._items = list(state)


class NamedExtensionPoint(Generic[T]):
    """Contributions by name. The same object under the same name again is a
    no-op; another object under a taken name is a conflict between two
    capabilities, reported instead of one silently winning."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._items: dict[T] = {}
        _ALL_POINTS.append(self)

    def register(self, name: str, item: T) -> None:
        with _lock:
            present = self._items.get(name)
            if present is None:
                self._items[name] = item
            elif present != item:
                raise ExtensionConflict(f"Two capabilities register the {self.label} {name!r}.")

    def items(self) -> Mapping[T]:
        return dict(self._items)

    def _state(self) -> dict[T]:
        return dict(self._items)

    def _restore(self, state: dict[T]) -> None:
        self._items = dict(state)
