"""Tags and groups from the command line."""

from __future__ import annotations

import argparse

from photoorg.cli.commands_core import emit_json, open_library, say
from photoorg.cli.options import float_range
from photoorg.errors import PhotoorgError, UsageError
from photoorg.photos import find_photo
from photoorg.tags import store
from photoorg.tags.grouping import GRANULARITY_SETTING, list_groups, refresh_groups
from photoorg.tags.vocabulary import ensure_vocabulary


def cmd_tags(args) -> int:
    with open_library(args) as library:
        db = library.db
        ensure_vocabulary(db)
        action, values = args.action, args.values
        if action == "add":
            _need(values, 2, "tags add TAG PHOTO...")
            name = store.add_tag(db, [find_photo(db, p).id for p in values[1:]], values[0])
            say(f"Tagged {len(values) - 1} photo(s) “{name}”.")
        elif action == "remove":
            _need(values, 2, "tags remove TAG PHOTO...")
            store.remove_tag(db, [find_photo(db, p).id for p in values[1:]], values[0])
            say(f"Removed “{values[0]}” from {len(values) - 1} photo(s); re-tagging won't bring it back.")
        elif action == "rename":
            _need(values, 2, "tags rename OLD NEW")
            say(f"Renamed to “{store.rename_tag(db, values[0], values[1])}”.")
        elif action == "merge":
            _need(values, 2, "tags merge FROM INTO")
            store.merge_tags(db, values[0], values[1])
            say(f"Merged “{values[0]}” into “{values[1]}”.")
        elif action == "delete":
            _need(values, 1, "tags delete TAG")
            store.delete_tag(db, values[0])
            say(f"Deleted the tag “{values[0]}” (no photo was touched).")
        elif action == "concept":
            _need(values, 1, 'tags concept NAME [--prompt "a photo of ..."]...')
            name = store.add_concept(db, values[0], args.prompt, args.parent)
            say(f"Added the concept “{name}”; tagging the library with it…")
            _retag(library)
        elif action == "retag":
            _retag(library)
        rows = store.tag_counts(db)
        if args.json:
            emit_json(rows)
        elif action == "list":
            for row in rows:
                parent = f"  (in {row['parent']})" if row["parent"] else ""
                print(f"{row['count']:>7}  {row['name']}{parent}")
        return 0


def _retag(library) -> None:
    from photoorg.tags.zero_shot import ClipTagger  # lazy: imports scipy; `tags` lists must not pay it

    done = 0
    for event in ClipTagger(library).run(everything=True):
        if event.level == "warning":
            say(event.message)
        done = event.done
    say(f"Tagged {done} photo(s) from their stored vectors.")


def _need(values: list[str], count: int, usage: str) -> None:
    if len(values) < count:
        raise UsageError(f"usage: photoorg {usage}")


def cmd_groups(args) -> int:
    with open_library(args) as library:
        if args.granularity is not None:
            if not 0 <= args.granularity <= 1:
                raise PhotoorgError("--granularity is between 0 (coarse) and 1 (fine).")
            library.db.set_setting(GRANULARITY_SETTING, args.granularity)
        if args.granularity is not None or args.refresh:
            for _ in refresh_groups(library.db, force=True):
                pass
        groups = list_groups(library.db)
        events = [g for g in groups if g["kind"] == "event"]
        visual = [g for g in groups if g["kind"] == "visual"]
        if args.json:
            emit_json({"events": events, "visual": visual})
            return 0
        print(f"Events ({len(events)}):")
        for group in events:
            print(f"  {group['title']}  ({group['count']} photos)")
        print(f"Visual groups ({len(visual)}):")
        for group in visual:
            print(f"  {group['title']}  ({group['count']} photos)")
        return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "tags",
        parents=[common],
        help="tags in use with counts; add, remove, rename, merge, delete; custom concepts",
        description="tags [list] | add TAG PHOTO... | remove TAG PHOTO... | rename OLD NEW | "
        'merge FROM INTO | delete TAG | concept NAME [--prompt "..."] | retag.  Your own additions and '
        "removals always win over automatic tags and survive re-tagging.",
    )
    p.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=["list", "add", "remove", "rename", "merge", "delete", "concept", "retag"],
    )
    p.add_argument("values", nargs="*", metavar="ARG")
    p.add_argument("--prompt", action="append", help="with concept: a description to look for (repeatable)")
    p.add_argument("--parent", help="with concept: the tag it belongs under")
    p.set_defaults(handler=cmd_tags)

    p = subparsers.add_parser("groups", parents=[common], help="events and visual groups, with their photos")
    p.add_argument(
        "--granularity", type=float_range(0.0, 1.0), help="visual groups: 0 coarse .. 1 fine (remembered)"
    )
    p.add_argument("--refresh", action="store_true", help="recompute now")
    p.set_defaults(handler=cmd_groups)
