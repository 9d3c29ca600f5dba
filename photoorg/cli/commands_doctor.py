"""`photoorg doctor`: check the library's database; restore a backup.

It works on the files directly, without opening the library, because it must
run on a database too damaged to open.
"""

from __future__ import annotations

import argparse

from photoorg.cli.commands_core import emit_json, say
from photoorg.config import LibraryPaths, default_library_dir
from photoorg.errors import PhotoorgError


def _paths(args) -> LibraryPaths:
    from pathlib import Path

    root = Path(args.library).expanduser().resolve() if args.library else default_library_dir()
    return LibraryPaths(root)


def cmd_doctor(args) -> int:
    from photoorg import doctor

    paths = _paths(args)
    if args.restore is not None:
        result = doctor.restore(paths, args.restore or None)
        if args.json:
            emit_json(result.as_dict())
        else:
            kept = f" The damaged file is kept as {result.damaged_copy}." if result.damaged_copy else ""
            say(f"Restored {paths.database} from {result.restored_from}.{kept}")
            say("Run `photoorg index` to pick up the changes made since that backup.")
        return 0
    if not paths.database.is_file():
        raise PhotoorgError(f"There is no library at {paths.root} (no {paths.database.name}).")
    report = doctor.check(paths)
    if args.json:
        emit_json(report.as_dict())
        return 0 if report.ok else 1
    if report.ok:
        print(f"{paths.database}: ok")
    else:
        print(f"{paths.database}: damaged")
        for problem in report.problems:
            print(f"  {problem}")
    if report.backups:
        print(f"Backups in {paths.backups} (newest first):")
        for backup in report.backups:
            print(f"  {backup.name}")
        if not report.ok:
            print("Restore the newest sound one with: photoorg doctor --restore")
    elif not report.ok:
        print(
            "There is no backup. Move library.db aside and run `photoorg index` to build a new index; "
            "your photo files are not affected."
        )
    return 0 if report.ok else 1


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "doctor",
        parents=[common],
        help="check the library database; restore a backup",
        description="Runs SQLite's integrity check on the library database and lists its backups "
        "(taken before each upgrade and once a day at the end of an index run). --restore puts a "
        "backup in place and keeps the damaged file beside it.",
    )
    p.add_argument(
        "--restore",
        nargs="?",
        const="",
        metavar="BACKUP",
        help="restore this backup (a name in backups/ or a path); default: the newest sound one",
    )
    p.set_defaults(handler=cmd_doctor)
