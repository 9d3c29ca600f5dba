"""Objects and people with a place in the photo: the boxes that evidence with a
location leaves (the offline tagger's tiles, faces, small faces found offline,
the optional COCO detector), ``person`` / ``people`` tags with a count, the ``object:`` filter,
the ``objects`` of ``photoorg show`` and `photoorg objects`.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.objects.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the search layer (see above).
    from photoorg.objects import hooks, store

    ext.register_schema("objects", [store.create_tables])
    ext.register_stage_provider(hooks.detector_stages)
    ext.register_stage_version(hooks.DETECTOR_STAGE, hooks.detector_version)
    ext.register_stage_provider(hooks.small_faces_stages)
    ext.register_stage_version(hooks.SMALL_FACES_STAGE, hooks.small_faces_version)
    ext.register_after_index_step(hooks.people_step)
    ext.register_query_key("object", hooks.object_key)
    ext.register_filter_clause(hooks.object_filter)
    ext.register_detail_provider(hooks.object_details)
    ext.register_cli_commands("objects", _add_commands)


def _add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser; the GUI never loads the CLI adapter
    from photoorg.cli import commands_objects

    commands_objects.register(subparsers, common)
