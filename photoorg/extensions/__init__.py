"""Every point where a capability (tags, people, and those to come) plugs into
the core. One small module per point, each with a typed ``register_*``
function and an accessor the core reads.

A capability registers explicitly: its package has ``register(ext)``, it is
listed in :data:`photoorg.capabilities.CORE_CAPABILITIES`, and
:func:`photoorg.capabilities.load_capabilities` calls it once. Nothing
registers by being imported. ARCHITECTURE.md lists the points and walks
through adding a capability.

This package imports nothing of the core at run time (only for type hints), so
any core module can read it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol

from photoorg.extensions import (
    after_index,
    cli_commands,
    fallback_rankers,
    filter_clauses,
    item_marks,
    library_closing,
    media_readers,
    query_keys,
    query_rewriters,
    schemas,
    search_rankers,
    show_fields,
    stage_versions,
    stages,
    vector_sources,
)
from photoorg.extensions._point import _ALL_POINTS, NamedExtensionPoint, _lock


class Extensions:
    """What a capability's ``register(ext)`` receives: every ``register_*``
    function in one typed object, so a capability needs no other import to plug
    in, and a test can hand it a recording double."""

    register_stage_provider = staticmethod(stages.register_stage_provider)
    register_after_index_step = staticmethod(after_index.register_after_index_step)
    register_stage_version = staticmethod(stage_versions.register_stage_version)
    register_schema = staticmethod(schemas.register_schema)
    register_filter_clause = staticmethod(filter_clauses.register_filter_clause)
    register_query_key = staticmethod(query_keys.register_query_key)
    register_is_value = staticmethod(query_keys.register_is_value)
    register_query_rewriter = staticmethod(query_rewriters.register_query_rewriter)
    register_fallback_ranker = staticmethod(fallback_rankers.register_fallback_ranker)
    register_search_ranker = staticmethod(search_rankers.register_search_ranker)
    register_detail_provider = staticmethod(show_fields.register_detail_provider)
    register_cli_commands = staticmethod(cli_commands.register_cli_commands)
    register_media_reader = staticmethod(media_readers.register_media_reader)
    register_vector_source = staticmethod(vector_sources.register_vector_source)
    register_item_marker = staticmethod(item_marks.register_item_marker)
    register_library_closing = staticmethod(library_closing.register_library_closing)


class Capability(Protocol):
    """A capability package (``photoorg.tags``) or any object like it."""

    __name__: str

    def register(self, ext: Extensions) -> None: ...


_loaded: NamedExtensionPoint[Capability] = NamedExtensionPoint("capability")


def load(capabilities: Sequence[Capability]) -> None:
    """Register each capability not registered yet (in this process, or in the
    current :func:`scoped` block)."""
    with _lock:  # a second thread waits until the first has registered everything
        for capability in capabilities:
            if capability.__name__ not in _loaded.items():
                capability.register(Extensions())
                _loaded.register(capability.__name__, capability)


def loaded_capabilities() -> Mapping[str, Capability]:
    return _loaded.items()


@contextmanager
def scoped() -> Iterator[None]:
    """Registrations made inside are undone on exit: for tests, and for trying a
    capability without keeping it."""
    saved = [(point, point._state()) for point in _ALL_POINTS]
    try:
        yield
    finally:
        for point, state in saved:
            point._restore(state)  # type: ignore[arg-type]
