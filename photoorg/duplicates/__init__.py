"""Duplicates, near-duplicates, bursts and the best shot: a hash and quality
stage, grouping after each index run, a ranking that explains itself, the
``is:blurry`` / ``is:dark`` filters, and a clean-up that only ever trashes.

:func:`register` plugs the capability into the core (it is listed in
:data:`photoorg.capabilities.CORE_CAPABILITIES`). This file stays free of
imports: every ``import photoorg.duplicates.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    # Here, not at the top: the hooks import the pipeline and search layers.
    from photoorg.duplicates import hooks, store

    ext.register_schema("duplicates", [store.create_tables])
    ext.register_stage_provider(hooks.stage_specs)
    ext.register_stage_version(hooks.STAGE_NAME, hooks.stage_version)
    ext.register_after_index_step(hooks.grouping_step)
    ext.register_is_value("blurry", hooks.is_blurry)
    ext.register_is_value("dark", hooks.is_dark)
    ext.register_filter_clause(hooks.quality_filter)
    ext.register_detail_provider(hooks.details)
    ext.register_cli_commands("duplicates", hooks.add_commands)
