"""Faces and people: detection as a pipeline stage, clustering into people,
the user's corrections, and the filters, CLI and GUI on top.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.faces.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the search layer and the faces
    # modules (see the module docstring).
    from photoorg.faces import hooks

    ext.register_stage_provider(hooks.faces_stage_specs)
    ext.register_after_index_step(hooks.clustering_step)
    ext.register_stage_version(hooks.STAGE_NAME, hooks.faces_stage_version)
    ext.register_filter_clause(hooks.people_filter)
    ext.register_query_key("person", hooks.person_key)
    ext.register_detail_provider(hooks.faces_of_photo)
    ext.register_cli_commands("people", _add_commands)


def _add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser; the GUI never loads the CLI adapter
    from photoorg.cli import commands_people

    commands_people.register(subparsers, common)
