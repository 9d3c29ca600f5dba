"""Options shared by every command, and argument types that check ranges at parse time.

Global options (``--library``, ``--json``, ``--verbose``) are accepted before
the command and after it, at every level of nesting (``photoorg --json people
name 3 Ann`` and ``photoorg people name 3 Ann --json`` are the same). The top
parser owns their defaults; each subparser declares them with
``default=argparse.SUPPRESS``, so a subparser copies a value into the result
only when the user typed it there. Without that, argparse lets a subparser's
default silently overwrite what was given before the command (which is how
``photoorg --library DIR status`` once used the default library).

A value out of range is a usage error (exit 2) whose message names the range.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

# Upper bounds that no real use comes near but that keep numbers sane
# (SQLite integers are 64-bit; a thread count of 10**9 would exhaust memory).
MAX_LIMIT = 100_000
MAX_THREADS = 256
MAX_WORKERS = 64


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--library, --json and --verbose; ``top`` gives them their defaults."""

    def default(value):
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--library",
        metavar="DIR",
        default=default(None),
        help="the library folder (index database and thumbnails); default: $PHOTOORG_LIBRARY "
        "or your user data folder",
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print machine-readable JSON on stdout"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="log details to stderr"
    )


def global_options_parser() -> argparse.ArgumentParser:
    """The parent every (sub)command parser is built with."""
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, top=False)
    return common


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: use {low} to {high:,}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def float_range(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (never nan or inf)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: use a number from {low:g} to {high:g}")
        return value

    parse.__name__ = "number"
    return parse


limit_type = int_range(1, MAX_LIMIT)
threads_type = int_range(1, MAX_THREADS)
workers_type = int_range(1, MAX_WORKERS)
# Cosine similarity of L2-normalised vectors.
min_score_type = float_range(-1.0, 1.0)
positive_id_type = int_range(1, 2**63 - 1)
