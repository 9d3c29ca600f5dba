"""Text in photos: a stage that finds and reads it (PP-OCR through rapidocr),
an FTS5 index over it, the ``text:`` filter, text matches fused into plain
searches, document kinds as tags, and `photoorg text`.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.text.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the search layer (see above).
    from photoorg.text import hooks, store

    ext.register_schema("text", [store.create_tables])
    ext.register_stage_provider(hooks.text_stages)
    ext.register_stage_version(hooks.STAGE_NAME, hooks.stage_version)
    ext.register_query_key("text", hooks.text_key)
    ext.register_filter_clause(hooks.text_filter)
    ext.register_search_ranker("text", hooks.rank_by_text)
    ext.register_detail_provider(hooks.text_details)
    ext.register_cli_commands("text", hooks.add_commands)
