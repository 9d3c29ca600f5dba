"""`photoorg text`: the text read in photos."""

from __future__ import annotations

import argparse

from photoorg.cli.commands_core import emit_json, open_library
from photoorg.photos import find_photo
from photoorg.text.store import photo_lines


def cmd_text(args) -> int:
    with open_library(args) as library:
        found = []
        for path in args.paths:
            photo = find_photo(library.db, path)
            with library.db.session() as s:
                lines = photo_lines(s, photo.id)
            found.append((photo.path, lines))
    if args.json:
        emit_json([{"path": path, "text": [line.as_dict() for line in lines]} for path, lines in found])
        return 0
    for path, lines in found:
        if len(found) > 1:
            print(f"{path}:")
        if not lines:
            print("  (no text found)" if len(found) > 1 else "(no text found)")
        for line in lines:
            print(f"  {line.text}" if len(found) > 1 else line.text)
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "text",
        parents=[common],
        help="print the text read in photos",
        description="Print the text found in each photo, a line at a time, top to bottom "
        "(--json adds each line's box, in full-size pixels, and confidence).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="photos of the library")
    parser.set_defaults(handler=cmd_text)
