"""The curated tag vocabulary (resources/tags/vocabulary.json) and its place in
the database.

The vocabulary is synced into the ``tags`` table on first use and whenever the
shipped file changes: new concepts are added, prompts, synonyms and parents
are refreshed. Tags the user made (labels and custom concepts) are never
touched by a sync.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import select

from photoorg.resources_path import resource_path
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Setting, Tag

VOCABULARY_SETTING = "tags.vocabulary_hash"
# Bumped whenever the tags themselves change (names, synonyms, hierarchy), so
# a cached TagTree can tell it is stale with one read.
TAG_NAMES_GENERATION = "tag-names"

ORIGIN_VOCABULARY = "vocabulary"
ORIGIN_CUSTOM = "custom"  # a user's concept, with prompts: the CLIP tagger predicts it
ORIGIN_USER = "user"  # a plain label the user types; never predicted


@dataclass(frozen=True)
class Concept:
    name: str
    parent: str | None
    kind: str | None
    synonyms: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    auto: bool = True


@dataclass(frozen=True)
class Vocabulary:
    concepts: tuple[Concept, ...]
    digest: str

    def by_name(self) -> dict[str, Concept]:
        return {c.name: c for c in self.concepts}


@cache
def shipped_vocabulary() -> Vocabulary:
    raw = resource_path("tags", "vocabulary.json").read_bytes()
    data = json.loads(raw)
    concepts = tuple(
        Concept(
            name=item["name"],
            parent=item.get("parent"),
            kind=item.get("kind"),
            synonyms=tuple(item.get("synonyms") or ()),
            prompts=tuple(item.get("prompts") or ()),
            auto=bool(item.get("auto", True)),
        )
        for item in data["concepts"]
    )
    return Vocabulary(concepts, hashlib.sha256(raw).hexdigest()[:16])


@cache
def imagenet_map() -> tuple[str, ...]:
    """The concept name for each of the 1,000 ImageNet classes, by class id."""
    data = json.loads(resource_path("tags", "imagenet_map.json").read_text(encoding="utf-8"))
    classes = sorted(data["classes"], key=lambda c: c["id"])
    if [c["id"] for c in classes] != list(range(1000)):
        raise ValueError("imagenet_map.json must map every class id 0..999")
    return tuple(c["concept"] for c in classes)


@dataclass(frozen=True)
class Implication:
    """An ImageNet class whose concept is in ``sources`` (or under one of
    ``under``, minus ``except_``) also counts ``weight`` towards ``concept``."""

    concept: str
    weight: float
    sources: tuple[str, ...] = ()
    under: tuple[str, ...] = ()
    except_: tuple[str, ...] = ()


@cache
def imagenet_implications() -> tuple[Implication, ...]:
    """What ImageNet classes say beyond their own concept (resources/tags/imagenet_implies.json)."""
    data = json.loads(resource_path("tags", "imagenet_implies.json").read_text(encoding="utf-8"))
    return tuple(
        Implication(
            concept=rule["concept"],
            weight=float(rule.get("weight", 1.0)),
            sources=tuple(rule.get("from") or ()),
            under=tuple(rule.get("under") or ()),
            except_=tuple(rule.get("except") or ()),
        )
        for rule in data["rules"]
    )


def ensure_vocabulary(db: Database) -> bool:
    """Bring the tags table in step with the shipped vocabulary. Returns True
    when something changed (tag vectors and auto tags then need a refresh)."""
    vocabulary = shipped_vocabulary()
    if db.get_setting(VOCABULARY_SETTING) == vocabulary.digest:
        return False
    # Names the user renamed, merged or deleted stay the way the user left them.
    overridden = set(db.get_setting("tags.user_overrides") or [])
    now = datetime.now()
    with db.transaction() as s:
        existing = {tag.name: tag for tag in s.scalars(select(Tag))}
        for concept in vocabulary.concepts:
            if concept.name in overridden:
                continue
            tag = existing.get(concept.name)
            if tag is None:
                tag = Tag(name=concept.name, origin=ORIGIN_VOCABULARY, created_at=now)
                s.add(tag)
                existing[concept.name] = tag
            elif tag.origin != ORIGIN_VOCABULARY:
                continue  # the user owns this name now
            tag.kind = concept.kind
            tag.synonyms = list(concept.synonyms)
            tag.prompts = list(concept.prompts)
            tag.auto = concept.auto
        s.flush()
        for concept in vocabulary.concepts:
            tag = existing.get(concept.name)
            if tag is not None and tag.origin == ORIGIN_VOCABULARY:
                parent = existing.get(concept.parent) if concept.parent else None
                tag.parent_id = parent.id if parent is not None else None

        s.merge(Setting(key=VOCABULARY_SETTING, value=vocabulary.digest))
        bump_generation(s, TAG_NAMES_GENERATION)
    return True


_trees: dict = {}


def cached_tree(db: Database) -> TagTree:
    """The library's TagTree, reloaded only when the tags changed (searches
    read it on every query)."""
    generation = db.generation(TAG_NAMES_GENERATION)
    hit = _trees.get(db.path)
    if hit is not None and hit[0] == generation:
        return hit[1]
    ensure_vocabulary(db)
    tree = TagTree.load(db)
    _trees[db.path] = (db.generation(TAG_NAMES_GENERATION), tree)
    return tree


@dataclass
class TagTree:
    """The tags as an in-memory tree: names, parents, children, synonyms."""

    names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    lookup: dict[str, int] = field(default_factory=dict)  # lower-case name or synonym -> id
    origins: dict[int, str] = field(default_factory=dict)
    auto: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database) -> TagTree:
        with db.session() as s:
            return cls.from_session(s)

    @classmethod
    def from_session(cls, session) -> TagTree:
        tree = cls()
        rows = session.execute(
            select(Tag.id, Tag.name, Tag.parent_id, Tag.synonyms, Tag.origin, Tag.auto)
        ).all()
        for tag_id, name, parent_id, _synonyms, origin, auto in rows:
            tree.names[tag_id] = name
            tree.parents[tag_id] = parent_id
            tree.origins[tag_id] = origin
            tree.auto[tag_id] = bool(auto) and origin != "hidden"
            tree.children.setdefault(tag_id, [])
        for tag_id, parent_id in tree.parents.items():
            if parent_id is not None and parent_id in tree.children:
                tree.children[parent_id].append(tag_id)
        # Synonyms first, names last: a name always wins over another tag's synonym.
        for tag_id, _, _, synonyms, _, _ in rows:
            for synonym in synonyms or ():
                tree.lookup.setdefault(synonym.lower(), tag_id)
        for tag_id, name in tree.names.items():
            tree.lookup[name.lower()] = tag_id
        return tree

    def find(self, text: str) -> int | None:
        """A tag by name or synonym, forgiving a plural 's'."""
        key = " ".join(text.lower().split())
        if key in self.lookup:
            return self.lookup[key]
        singulars = (
            key[:-3] + "y" if key.endswith("ies") else None,  # puppies
            key[:-2] if key.endswith("es") else None,  # beaches
            key[:-1] if key.endswith("s") else None,  # dogs
        )
        for singular in singulars:
            if singular and singular in self.lookup:
                return self.lookup[singular]
        return None

    def ancestors(self, tag_id: int) -> list[int]:
        chain, seen = [], {tag_id}
        parent = self.parents.get(tag_id)
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.parents.get(parent)
        return chain

    def descendants(self, tag_id: int) -> set[int]:
        """The tag and everything under it ("dog" finds every breed)."""
        found, stack = set(), [tag_id]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.children.get(current, ()))
        return found

    def path(self, tag_id: int) -> str:
        return " › ".join(self.names[t] for t in reversed([tag_id, *self.ancestors(tag_id)]))
