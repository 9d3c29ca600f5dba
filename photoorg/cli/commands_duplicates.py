"""`photoorg duplicates`: the duplicate, near-duplicate and burst groups, and
the clean-up that trashes all but each group's suggested keeper."""

from __future__ import annotations

import argparse
import sys

from photoorg.cli.commands_core import emit_json, open_library, say
from photoorg.duplicates import cleanup, store
from photoorg.duplicates.views import confirmation_text, group_views, human_size
from photoorg.errors import PhotoorgError

_KINDS = (store.KIND_EXACT, store.KIND_NEAR, store.KIND_BURST)


def cmd_duplicates(args) -> int:
    kinds = tuple(args.kind) if args.kind else _KINDS
    with open_library(args) as library:
        if args.trash_suggested:
            return _trash_suggested(
                library.db, args, tuple(k for k in kinds if k != store.KIND_BURST) or kinds
            )
        groups = group_views(library.db, kinds)
    if args.json:
        emit_json([g.as_json() for g in groups])
        return 0
    if not groups:
        say("No duplicates found. (Groups are found when photos are indexed: photoorg index.)")
        return 0
    for g in groups:
        print(f"{g.kind} ({len(g.photos)} photos)")
        for p in g.photos:
            mark = "keep" if p.keep else "    "
            print(f"  {mark} {p.score:5.2f}  {p.path}  ({p.width}×{p.height}, {human_size(p.size)}): {p.why}")
    return 0


def _trash_suggested(db, args, kinds) -> int:
    decisions = cleanup.suggested_decisions(db, kinds)
    files, size = cleanup.space_freed(db, decisions)
    if not files:
        if args.json:
            emit_json(cleanup.CleanupResult().as_dict())
        else:
            say("Nothing to clean up.")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise PhotoorgError("Refusing to move files to the trash without confirmation: add --yes.")
        answer = input(confirmation_text(files, size) + " [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            say("Nothing was moved.")
            return 1
    result = cleanup.clean_up(db, decisions)
    if args.json:
        emit_json(result.as_dict())
    else:
        say(f"Moved {len(result.trashed)} photo(s) to the trash, freeing {human_size(result.freed_bytes)}.")
        for path, reason in result.failed.items():
            say(f"  not moved: {path}: {reason}")
    return 0 if not result.failed else 1


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "duplicates",
        parents=[common],
        help="list duplicate photos and bursts; trash all but the best of each",
        description="List the groups found at the last index run: exact copies, near-duplicates (resized, "
        "recompressed, converted, cropped, edited, turned or mirrored copies) and bursts, best first, "
        "with the suggested keeper and why. --trash-suggested keeps each duplicate group's keeper, "
        "gives it the others' ratings, favourites, albums, tags and named faces, and moves the others "
        "to the system trash after one question.",
    )
    parser.add_argument(
        "--kind", action="append", choices=_KINDS, help="only groups of this kind (repeatable)"
    )
    parser.add_argument(
        "--trash-suggested",
        action="store_true",
        help="keep each group's suggested photo and move the others to the system trash "
        "(exact and near groups; bursts only with --kind burst)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (for scripts)")
    parser.set_defaults(handler=cmd_duplicates)
