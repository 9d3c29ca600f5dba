"""Organising from the command line: ratings, favourites, albums, trash."""

from __future__ import annotations

import argparse
import sys

from photoorg import browse, organize
from photoorg.cli.commands_core import emit_json, open_library, say
from photoorg.errors import PhotoorgError, UsageError
from photoorg.photos import find_photo


def _photo_ids(library, paths) -> list[int]:
    return [find_photo(library.db, path).id for path in paths]


def cmd_rate(args) -> int:
    with open_library(args) as library:
        organize.set_rating(library.db, _photo_ids(library, args.paths), args.stars)
        say(f"Rated {len(args.paths)} photo(s) {args.stars} star(s).")
    return 0


def cmd_favorite(args) -> int:
    with open_library(args) as library:
        organize.set_favorite(library.db, _photo_ids(library, args.paths), not args.off)
        say(f"{'Removed' if args.off else 'Marked'} {len(args.paths)} photo(s) as favourite.")
    return 0


def cmd_albums(args) -> int:
    with open_library(args) as library:
        db = library.db
        if args.action == "create":
            _need(args, 1)
            organize.create_album(db, args.names[0])
        elif args.action == "rename":
            _need(args, 2)
            organize.rename_album(db, organize.album_id(db, args.names[0]), args.names[1])
        elif args.action == "delete":
            _need(args, 1)
            organize.delete_album(db, organize.album_id(db, args.names[0]))
            say("Deleted the album. Its photos are still in the library and on disk.")
        elif args.action in ("add", "remove"):
            _need(args, 2, exact=False)
            album = organize.album_id(db, args.names[0])
            ids = _photo_ids(library, args.names[1:])
            if args.action == "add":
                organize.add_to_album(db, album, ids)
            else:
                organize.remove_from_album(db, album, ids)
        rows = browse.albums(db)
        if args.json:
            emit_json([{"id": a.id, "name": a.name, "count": a.count} for a in rows])
        else:
            for album in rows:
                print(f"{album.name}  ({album.count} photos)")
    return 0


def _need(args, count: int, exact: bool = True) -> None:
    if len(args.names) < count or (exact and len(args.names) != count):
        raise UsageError(f"`albums {args.action}` needs {count} argument(s); see photoorg albums --help.")


def cmd_trash(args) -> int:
    with open_library(args) as library:
        ids = _photo_ids(library, args.paths)
        if not args.yes:
            if not sys.stdin.isatty():
                raise PhotoorgError("Refusing to move files to the trash without confirmation: add --yes.")
            answer = input(f"Move {len(ids)} file(s) to the system trash? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                say("Nothing was moved.")
                return 1
        result = organize.move_to_trash(library.db, ids)
        if args.json:
            emit_json({"trashed": result.trashed, "failed": result.failed})
        else:
            say(f"Moved {len(result.trashed)} file(s) to the trash.")
            for path, reason in result.failed.items():
                say(f"  not moved: {path}: {reason}")
        return 0 if not result.failed else 1


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("rate", parents=[common], help="give photos 0-5 stars")
    p.add_argument("stars", type=int, choices=range(6))
    p.add_argument("paths", nargs="+", metavar="PHOTO")
    p.set_defaults(handler=cmd_rate)

    p = subparsers.add_parser("favorite", parents=[common], help="mark photos as favourites")
    p.add_argument("paths", nargs="+", metavar="PHOTO")
    p.add_argument("--off", action="store_true", help="remove the mark instead")
    p.set_defaults(handler=cmd_favorite)

    p = subparsers.add_parser(
        "albums",
        parents=[common],
        help="list, create, rename, delete albums; add or remove photos",
        description="albums [list] | create NAME | rename OLD NEW | delete NAME | add NAME PHOTO... | "
        "remove NAME PHOTO...  Deleting an album never deletes photos.",
    )
    p.add_argument(
        "action", nargs="?", default="list", choices=["list", "create", "rename", "delete", "add", "remove"]
    )
    p.add_argument("names", nargs="*", metavar="ARG")
    p.set_defaults(handler=cmd_albums)

    p = subparsers.add_parser("trash", parents=[common], help="move photo files to the system trash")
    p.add_argument("paths", nargs="+", metavar="PHOTO")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_trash)
