"""Text compared the way people expect: without regard to case or accents."""

from __future__ import annotations

import unicodedata


def fold(value: str) -> str:
    """ "São Paulo" and "sao paulo" fold to the same text; so do "Straße" and "strasse"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
