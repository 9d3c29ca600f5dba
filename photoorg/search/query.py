"""Reading what a user typed into the search field.

Free words are a description for CLIP ("dog on a beach at sunset"). Tokens of
the form ``key:value`` are filters, and a leading ``-`` negates a tag::

    tag:beach -tag:screenshot person:"Aunt Mary" camera:canon
    folder:~/Pictures/2019 after:2019-06 before:2019-08-31 album:Holidays
    is:favorite rating:4

Values with spaces go in quotes. An unknown key is kept as plain text, so
"note: 10:30" still searches for what it says. A known key with a value out
of range (``rating:9``), with no value (``tag:``), or repeated beyond
:data:`MAX_LIST_FILTERS` is a :class:`~photoorg.errors.UsageError` that names
what is allowed.
"""

from __future__ import annotations

import calendar
import re
import shlex
from dataclasses import dataclass, field
from datetime import date

from photoorg.errors import UsageError
from photoorg.search.filters import SearchFilters

_KEYS = {
    "tag",
    "person",
    "camera",
    "folder",
    "after",
    "before",
    "from",
    "to",
    "date",
    "album",
    "is",
    "rating",
}


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
        raise UsageError(f"{text!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD.")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if match.group(3):
        day = int(match.group(3))
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise UsageError(f"{text!r} is not a valid date ({exc}).") from None


_EXAMPLES = {
    "tag": "tag:beach",
    "person": 'person:"Aunt Mary"',
    "camera": "camera:canon",
    "folder": "folder:~/Pictures/2019",
    "after": "after:2019-06",
    "before": "before:2019",
    "from": "from:2019-06",
    "to": "to:2019-08",
    "date": "date:2019-07",
    "album": 'album:"Summer 2019"',
    "is": "is:favorite",
    "rating": "rating:4",
}


def _rating(value: str) -> int:
    """'4' or '4+': at least this many stars."""
    try:
        stars = int(value.removesuffix("+"))
    except ValueError:
        stars = -1
    if not 0 <= stars <= MAX_RATING:
        raise UsageError(f"rating:{value} is out of range: use rating:0 to rating:{MAX_RATING}.")
    return stars


def parse_query(query: str) -> ParsedQuery:
    words: list[str] = []
    tags: list[str] = []
    excluded: list[str] = []
    people: list[str] = []
    values: dict = {}
    album_name = None
    for token in _tokens(query):
        negated = token.startswith("-") and ":" in token
        body = token[1:] if negated else token
        key, sep, value = body.partition(":")
        key = key.lower()
        if not sep or key not in _KEYS:
            words.append(token)
            continue
        if not value:
            raise UsageError(f"{key}: needs a value, e.g. {_EXAMPLES[key]}")
        if key == "tag":
            (excluded if negated else tags).append(value.lower())
        elif key == "person":
            people.append(value)
        elif key == "camera":
            values["camera"] = value
        elif key == "folder":
            values["folder"] = value
        elif key in ("after", "from"):
            values["date_from"] = parse_date(value)
        elif key in ("before", "to"):
            values["date_to"] = parse_date(value, end=True)
        elif key == "date":
            values["date_from"] = parse_date(value)
            values["date_to"] = parse_date(value, end=True)
        elif key == "album":
            album_name = value
        elif key == "is" and value.lower() in ("favorite", "favourite", "fav"):
            values["favorites_only"] = True
        elif key == "rating":
            values["min_rating"] = _rating(value)
        else:
            words.append(token)
    for name, given in (("tag", tags + excluded), ("person", people)):
        if len(given) > MAX_LIST_FILTERS:
            raise UsageError(f"At most {MAX_LIST_FILTERS} {name}: filters in one search (got {len(given)}).")
    filters = SearchFilters(tags=tuple(tags), excluded_tags=tuple(excluded), people=tuple(people), **values)
    return ParsedQuery(text=" ".join(words).strip(), filters=filters, album_name=album_name, words=words)
