"""Automatic and user tags, tag search, and grouping photos into events and
visual groups.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.tags.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the search layer, which itself
    # imports photoorg.tags modules (see the module docstring).
    from photoorg.tags import hooks

    ext.register_stage_provider(hooks.classifier_stages)
    ext.register_after_index_step(hooks.tagging_and_grouping)
    ext.register_stage_version(hooks.SEARCH_CLIP_STAGE, hooks.clip_tagger_version)
    ext.register_stage_version(hooks.CLASSIFIER_STAGE, hooks.classifier_version_now)
    ext.register_filter_clause(hooks.tag_clause)
    ext.register_query_key("tag", hooks.tag_key)
    ext.register_query_rewriter(hooks.bare_tag_words)
    ext.register_fallback_ranker(hooks.rank_by_tags)
    ext.register_detail_provider(hooks.tag_details)
    ext.register_cli_commands("tags", _add_commands)


def _add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser; the GUI never loads the CLI adapter
    from photoorg.cli import commands_tags

    commands_tags.register(subparsers, common)
