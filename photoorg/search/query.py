"""Reading what a user typed into the search field.

Free words are a description for CLIP ("dog on a beach at sunset"). Tokens of
the form ``key:value`` are filters, and a leading ``-`` negates a tag::

    tag:beach -tag:screenshot person:"Aunt Mary" camera:canon
    folder:~/Pictures/2019 after:2019-06 before:2019-08-31 album:Holidays
    is:favorite rating:4

Values with spaces go in quotes. An unknown key is kept as plain text, so
"note: 10:30" still searches for what it says.
"""

from __future__ import annotations

import calendar
import re
import shlex
from dataclasses import dataclass, field
from datetime import date

from photoorg.errors import PhotoorgError
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


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def parse_date(text: str, *, end: bool = False) -> date:
    """'2019' / '2019-06' / '2019-06-30'; ``end`` picks the last day of a
    year or month, so before:2019-06 includes all of June."""
    match = _DATE.match(text.strip())
    if not match:
        raise PhotoorgError(f"{text!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD.")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if match.group(3):
        day = int(match.group(3))
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise PhotoorgError(f"{text!r} is not a valid date ({exc}).") from exc


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
        if not sep or key not in _KEYS or not value:
            words.append(token)
            continue
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
            try:
                values["min_rating"] = max(0, min(5, int(value.rstrip("+"))))
            except ValueError:
                words.append(token)
        else:
            words.append(token)
    filters = SearchFilters(tags=tuple(tags), excluded_tags=tuple(excluded), people=tuple(people), **values)
    return ParsedQuery(text=" ".join(words).strip(), filters=filters, album_name=album_name, words=words)
