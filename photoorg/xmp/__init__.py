"""XMP metadata: read what other tools (digiKam, darktable, Lightroom) wrote
in the files and their ``.xmp`` sidecars when indexing, and, when the user asks
for it, write photoorg's ratings, favourites, tags, captions and named people
back, as sidecars or inside the files.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.xmp.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the tags and faces capabilities.
    from photoorg.xmp import hooks, store

    ext.register_schema("xmp", [store.create_tables])
    # After tags and faces (registered first): regions are matched to the faces
    # the faces stage found and clustering placed.
    ext.register_after_index_step(hooks.import_after_index)
    ext.register_detail_provider(hooks.xmp_details)
    ext.register_query_key("label", hooks.label_key)
    ext.register_filter_clause(hooks.label_clause)
    ext.register_library_closing(hooks.write_pending_on_close)
    ext.register_cli_commands("xmp", _add_commands)


def _add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser; the GUI never loads the CLI adapter
    from photoorg.cli import commands_xmp

    commands_xmp.register(subparsers, common)
