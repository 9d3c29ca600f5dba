"""What the tags capability plugs into the core (registered by
:func:`photoorg.tags.register`): the offline tagger stage, tagging and
grouping after each index run, the ``tag:`` filter and query key, bare tag
words in queries, ranking by tags when CLIP can't, the tags of
``photoorg show`` and the stages' versions for ``photoorg status``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, and_, column, exists, func, not_, or_, select, true
from sqlalchemy.orm import Session

from photoorg.errors import ModelUnavailableError, WeightsNotPublished
from photoorg.extensions.after_index import AfterIndexStep
from photoorg.extensions.query_keys import FilterUpdate
from photoorg.extensions.stages import StageContext
from photoorg.ml.clip import resolve_weights
from photoorg.pipeline.stages import StageSpec
from photoorg.progress import CancelToken, Progress
from photoorg.search.filters import SearchFilters
from photoorg.search.query import ParsedQuery
from photoorg.store.schema import Photo, Tag
from photoorg.tags import text_search
from photoorg.tags.grouping import refresh_groups
from photoorg.tags.store import has_tag_clause, photo_tags
from photoorg.tags.vocabulary import TagTree, cached_tree, ensure_vocabulary

if TYPE_CHECKING:
    from collections.abc import Iterator

    from photoorg.library import Library, MlOptions
    from photoorg.search.engine import SearchEngine, SearchResults

SEARCH_CLIP_STAGE = "tags-clip"
CLASSIFIER_STAGE = "classify"  # photoorg.tags.classifier.STAGE, without importing scipy


def clip_available(library: Library) -> bool:
    """Whether the library's CLIP weights are at hand (no download is tried)."""
    try:
        resolve_weights(library.model_choice(), allow_download=False)
    except (ModelUnavailableError, WeightsNotPublished):
        return False
    return True


def classifier_stages(library: Library, options: MlOptions, context: StageContext) -> list[StageSpec]:
    """The offline tagger runs only while CLIP can't: its tags are the fallback."""
    if clip_available(library):
        return []
    # lazy: the tagger's label selection imports scipy (~90 ms); most runs have CLIP
    from photoorg.tags.classifier import ClassifierStage, classifier_version

    def load() -> ClassifierStage:
        ensure_vocabulary(library.db)
        return ClassifierStage(TagTree.load(library.db), options.threads)

    return [StageSpec(CLASSIFIER_STAGE, classifier_version(), load)]


def tagging_and_grouping(library: Library) -> AfterIndexStep:
    def run(token: CancelToken) -> Iterator[Progress]:
        # lazy: the CLIP tagger's label selection imports scipy (~90 ms)
        from photoorg.tags.zero_shot import ClipTagger

        # Each part returns what it did, for `index --json`'s "stages".
        counts = yield from ClipTagger(library).run(token)
        return counts | (yield from refresh_groups(library.db, token))

    return run


def _tag_ids(name: str) -> Select:
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


def tag_clause(search_filters: SearchFilters) -> ColumnElement[bool] | None:
    if not search_filters.tags and not search_filters.excluded_tags:
        return None
    clauses = [has_tag_clause(_tag_ids(name)) for name in search_filters.tags]
    clauses += [not_(has_tag_clause(_tag_ids(name))) for name in search_filters.excluded_tags]
    return and_(true(), *clauses)


def tag_key(value: str, negated: bool) -> FilterUpdate:
    """``tag:beach`` and ``-tag:screenshot``."""
    return {"excluded_tags" if negated else "tags": (value.lower(),)}


def tag_details(session: Session, photo: Photo) -> dict:
    return {"tags": photo_tags(session, photo.id, TagTree.from_session(session))}


def bare_tag_words(search_engine: SearchEngine, parsed: ParsedQuery) -> ParsedQuery:
    if not parsed.text:
        return parsed
    return text_search.rewrite(parsed, cached_tree(search_engine.db))


def rank_by_tags(
    search_engine: SearchEngine, text: str, search_filters: SearchFilters, limit: int
) -> SearchResults | None:
    ensure_vocabulary(search_engine.db)
    return text_search.rank_by_tags(search_engine, text, search_filters, limit)


def clip_tagger_version(library: Library) -> str | None:
    # lazy: the CLIP tagger imports scipy (~90 ms), and status asks only for a version
    from photoorg.tags.zero_shot import tagger_version

    ensure_vocabulary(library.db)
    return tagger_version(library)


def classifier_version_now(library: Library) -> str | None:
    if clip_available(library):
        return None
    # lazy: the tagger's label selection imports scipy (~90 ms)
    from photoorg.tags.classifier import classifier_version

    return classifier_version()
