"""The `photoorg` command: the GUI with no subcommand, the CLI with one.

Results go to stdout (as JSON with --json), progress and messages to stderr.
Errors a user can act on are one readable line and exit status 1; usage errors
exit 2; an interrupted run exits 130 after saving what it finished.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sqlite3
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from photoorg import __version__
from photoorg.capabilities import load_capabilities
from photoorg.cli import commands_core, commands_organize
from photoorg.errors import PhotoorgError
from photoorg.extensions.cli_commands import cli_command_groups
from photoorg.memory import tune_allocator

# The core's subcommands; capabilities add theirs (photoorg.extensions.cli_commands).
COMMAND_MODULES = [commands_core, commands_organize]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--library",
        metavar="DIR",
        help="the library folder (index database and thumbnails); default: $PHOTOORG_LIBRARY "
        "or your user data folder",
    )
    common.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    parser = argparse.ArgumentParser(
        prog="photoorg",
        description="A private photo organizer: index folders, then search them by description, "
        "by likeness, by date, camera, tags and people. Run with no command to open the app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"photoorg {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers, common)
    load_capabilities()
    for add_commands in cli_command_groups().values():
        add_commands(subparsers, common)
    return parser


def _configure_output() -> None:
    # File names that are not UTF-8 must not crash printing.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return "database or disk is full" in text


def main(argv: Sequence[str] | None = None) -> int:
    tune_allocator()
    _configure_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        return commands_core.launch_gui(args, parser)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`photoorg tags | head`): not an error worth a word.
        sys.stderr.close()
        return 0
    except PhotoorgError as exc:
        print(f"photoorg: {exc}", file=sys.stderr)
        return 1
    except (OSError, OperationalError, sqlite3.OperationalError) as exc:
        if _disk_full(exc):
            print(
                "photoorg: the disk holding the library is full. Free some space and run the command "
                "again; everything finished so far is saved.",
                file=sys.stderr,
            )
            return 1
        if isinstance(exc, OSError):
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"photoorg: {exc.strerror or exc}{name}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    raise SystemExit(main())
