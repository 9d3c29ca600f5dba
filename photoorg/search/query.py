"""Reading what a user typed into the search field.

Free words are a description for CLIP ("dog on a beach at sunset"). Tokens of
the form ``key:value`` are filters, and a leading ``-`` negates a tag::

    tag:beach -tag:screenshot person:"Aunt Mary" camera:canon
    folder:~/Pictures/2019 after:2019-06 before:2019-08-31 album:Holidays
    is:favorite rating:4

Values with spaces go in quotes. An unknown key is kept as plain text, so
"note: 10:30" still searches for what it says. The keys below are the core's;
capabilities add theirs (``tag:`` and ``person:`` come from the tags and
people capabilities, see :mod:`photoorg.extensions.query_keys`).
A known key with a value out of range (``rating:9``), with no value (``tag:``),
or repeated beyond :data:`MAX_LIST_FILTERS` is a :class:`~photoorg.errors.UsageError`
that names what is allowed.
"""

from __future__ import annotations

import calendar
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from photoorg.errors import InvalidDate, UsageError
from photoorg.extensions.query_keys import (
    CORE_IS_VALUES,
    FilterUpdate,
    QueryKeyHandler,
    is_values,
    query_keys,
)
from photoorg.search.filters import SearchFilters

# Not a filter field: the album is looked up by name when the query runs.
_ALBUM_NAME = "album_name"


@dataclass
class ParsedQuery:
    text: str
    filters: SearchFilters
    album_name: str | None = None
    # Bare words that also name a tag ("dog"): tag search can use them.
    words: list[str] = field(default_factory=list)


def _tokens(query: str) -> list[str]:
    try:
        lexer = shlex.shlex(query, posix=True)
        lexer.whitespace_split = True
        lexer.quotes = '"'
        lexer.escape = ""
        lexer.commenters = ""  # "#7" is a person id, not a comment
        return list(lexer)
    except ValueError:  # an unclosed quote: read it as written
        return query.split()


# Each tag: or person: filter is one clause of the SQL query, and SQLite refuses
# an expression nested deeper than 1000; far fewer are ever useful.
MAX_LIST_FILTERS = 50
MAX_RATING = 5

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def parse_date(text: str, *, end: bool = False) -> date:
    """'2019' / '2019-06' / '2019-06-30'; ``end`` picks the last day of a
    year or month, so before:2019-06 includes all of June."""
    match = _DATE.match(text.strip())
    if not match:
        raise InvalidDate(f"{text!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD.")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if match.group(3):
        day = int(match.group(3))
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidDate(f"{text!r} is not a valid date ({exc}).") from exc


def _after(value: str, negated: bool) -> FilterUpdate:
    return {"date_from": parse_date(value)}


def _before(value: str, negated: bool) -> FilterUpdate:
    return {"date_to": parse_date(value, end=True)}


def _on_date(value: str, negated: bool) -> FilterUpdate:
    return {"date_from": parse_date(value), "date_to": parse_date(value, end=True)}


def _is(value: str, negated: bool) -> FilterUpdate | None:
    if value.lower() in CORE_IS_VALUES:
        return {"favorites_only": True}
    handler = is_values().get(value.lower())  # a capability's value (is:blurry)
    return handler(value, negated) if handler else None


def _rating(value: str, negated: bool) -> FilterUpdate:
    """'4' or '4+': at least this many stars."""
    try:
        stars = int(value.removesuffix("+"))
    except ValueError:
        stars = -1
    if not 0 <= stars <= MAX_RATING:
        raise UsageError(f"rating:{value} is out of range: use rating:0 to rating:{MAX_RATING}.")
    return {"min_rating": stars}


# The core's keys (extensions.query_keys.CORE_KEYS), read the same way as a
# capability's; a "-" is ignored by all of them.
CORE_KEY_HANDLERS: dict[str, QueryKeyHandler] = {
    "camera": lambda value, negated: {"camera": value},
    "folder": lambda value, negated: {"folder": value},
    "after": _after,
    "from": _after,
    "before": _before,
    "to": _before,
    "date": _on_date,
    "album": lambda value, negated: {_ALBUM_NAME: value},
    "is": _is,
    "rating": _rating,
}


_EXAMPLES = {
    "tag": "beach",
    "person": '"Aunt Mary"',
    "camera": "canon",
    "folder": "~/Pictures/2019",
    "after": "2019-06",
    "before": "2019",
    "from": "2019-06",
    "to": "2019-08",
    "date": "2019-07",
    "album": '"Summer 2019"',
    "is": "favorite",
    "rating": "4",
    "text": '"exact words"',
    "place": "Paris",
}


def _apply(fields: dict[str, Any], update: FilterUpdate) -> None:
    for name, value in update.items():
        if isinstance(value, tuple):
            fields[name] = fields.get(name, ()) + value
        elif isinstance(value, dict):
            fields[name] = {**fields.get(name, {}), **value}
        else:
            fields[name] = value


def parse_query(query: str) -> ParsedQuery:
    words: list[str] = []
    fields: dict[str, Any] = {}
    used: dict[str, int] = {}
    capability_keys = query_keys()
    for token in _tokens(query):
        negated = token.startswith("-") and ":" in token
        body = token[1:] if negated else token
        key, sep, value = body.partition(":")
        key = key.lower()
        handler = CORE_KEY_HANDLERS.get(key) or capability_keys.get(key)
        if sep and handler and not value.strip():
            raise UsageError(f"{key}: needs a value, e.g. {key}:{_EXAMPLES.get(key, 'VALUE')}")
        update = handler(value, negated) if sep and handler else None
        if update is None:
            words.append(token)
            continue
        used[key] = used.get(key, 0) + 1
        _apply(fields, update)
    for key, count in used.items():
        if count > MAX_LIST_FILTERS:
            raise UsageError(f"At most {MAX_LIST_FILTERS} {key}: filters in one search (got {count}).")
    album_name = fields.pop(_ALBUM_NAME, None)
    return ParsedQuery(
        text=" ".join(words).strip(), filters=SearchFilters(**fields), album_name=album_name, words=words
    )
