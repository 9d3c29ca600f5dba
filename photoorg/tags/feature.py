"""Registers tags and grouping with the core (see photoorg/features.py)."""

from __future__ import annotations

from sqlalchemy import and_, column, exists, func, not_, or_, select, true

from photoorg import library as library_module
from photoorg import photos, status
from photoorg.pipeline.stages import StageSpec
from photoorg.search import engine, filters
from photoorg.store.schema import Tag

SEARCH_CLIP_STAGE = "tags-clip"


def _clip_available(library) -> bool:
    from photoorg.ml.clip import resolve_weights

    try:
        resolve_weights(library.model_choice(), allow_download=False)
    except Exception:
        return False
    return True


def _classifier_spec(library, options, extras) -> list[StageSpec]:
    """The offline tagger runs only while CLIP can't: its tags are the fallback."""
    if _clip_available(library):
        return []
    from photoorg.tags.classifier import STAGE, ClassifierStage, classifier_version
    from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

    def load():
        ensure_vocabulary(library.db)
        return ClassifierStage(TagTree.load(library.db), options.threads)

    return [StageSpec(STAGE, classifier_version(), load)]


def _after_index(library):
    def run(token):
        from photoorg.tags.grouping import refresh_groups
        from photoorg.tags.zero_shot import ClipTagger

        counts = yield from ClipTagger(library).run(token)
        return counts | (yield from refresh_groups(library, token))

    return run


def _tag_ids(name: str):
    """The tag named (or with this synonym) and every tag under it, in SQL."""
    wanted = name.lower()
    candidates = {wanted, wanted[:-1] if wanted.endswith("s") else wanted}
    synonym = (
        select(1).select_from(func.json_each(Tag.synonyms)).where(func.lower(column("value")).in_(candidates))
    )
    start = (
        select(Tag.id).where(or_(func.lower(Tag.name).in_(candidates), exists(synonym))).cte(recursive=True)
    )
    tree = start.union(select(Tag.id).where(Tag.parent_id == start.c.id))
    return select(tree.c.id)


def _has_tag(name: str):
    from photoorg.tags.store import has_tag_clause

    return has_tag_clause(_tag_ids(name))


def _tag_clause(search_filters: filters.SearchFilters):
    if not search_filters.tags and not search_filters.excluded_tags:
        return None
    clauses = [_has_tag(name) for name in search_filters.tags]
    clauses += [not_(_has_tag(name)) for name in search_filters.excluded_tags]
    return and_(true(), *clauses)


def _details(session, photo) -> dict:
    from photoorg.tags.store import photo_tags
    from photoorg.tags.vocabulary import TagTree

    return {"tags": photo_tags(session, photo.id, TagTree.from_session(session))}


def _rewrite(search_engine, parsed):
    if not parsed.text:
        return parsed
    from photoorg.tags.text_search import rewrite
    from photoorg.tags.vocabulary import cached_tree

    return rewrite(parsed, cached_tree(search_engine.db))


def _fallback(search_engine, text, search_filters, limit):
    from photoorg.tags.text_search import rank_by_tags
    from photoorg.tags.vocabulary import ensure_vocabulary

    ensure_vocabulary(search_engine.db)
    return rank_by_tags(search_engine, text, search_filters, limit)


def _clip_tagger_version(library):
    from photoorg.tags.vocabulary import ensure_vocabulary
    from photoorg.tags.zero_shot import tagger_version

    ensure_vocabulary(library.db)
    return tagger_version(library)


def _classifier_version(library):
    if _clip_available(library):
        return None
    from photoorg.tags.classifier import classifier_version

    return classifier_version()


library_module.STAGE_PROVIDERS.append(_classifier_spec)
library_module.AFTER_INDEX_PROVIDERS.append(_after_index)
filters.EXTRA_CLAUSES.append(_tag_clause)
photos.DETAIL_PROVIDERS.append(_details)
engine.QUERY_REWRITERS.append(_rewrite)
engine.FALLBACK_RANKERS.append(_fallback)
status.STAGE_VERSIONS[SEARCH_CLIP_STAGE] = _clip_tagger_version
status.STAGE_VERSIONS["classify"] = _classifier_version
