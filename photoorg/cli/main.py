"""The `photoorg` command: the GUI with no subcommand, the CLI with one.

Results go to stdout (as JSON with --json), progress and messages to stderr.
Errors a user can act on are one readable line and exit status 1; usage errors
exit 2; an interrupted run exits 130 after saving what it finished.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from photoorg import __version__
from photoorg.capabilities import load_capabilities
from photoorg.cli import commands_core, commands_doctor, commands_organize
from photoorg.cli.options import add_global_options, global_options_parser
from photoorg.doctor import explain_failure
from photoorg.errors import PhotoorgError, UsageError
from photoorg.extensions.cli_commands import cli_command_groups
from photoorg.memory import tune_allocator

# The core's subcommands; capabilities add theirs (photoorg.extensions.cli_commands).
COMMAND_MODULES = [commands_core, commands_organize, commands_doctor]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photoorg",
        description="A private photo organizer: index folders, then search them by description, "
        "by likeness, by date, camera, tags and people. Run with no command to open the app.",
        epilog="--library, --json and --verbose go before or after the command.",
    )
    add_global_options(parser, top=True)
    parser.add_argument("--version", action="version", version=f"photoorg {__version__}")
    # Subparsers get the same options with suppressed defaults (see options.py).
    common = global_options_parser()
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


def _library_root(args) -> Path:
    from photoorg.config import default_library_dir

    chosen = getattr(args, "library", None)
    return Path(chosen).expanduser().resolve() if chosen else default_library_dir()


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
        return 2 if isinstance(exc, UsageError) else 1
    except (OSError, SQLAlchemyError, sqlite3.Error) as exc:
        # A damaged, read-only or full library: one message each, never a traceback.
        explained = explain_failure(exc, _library_root(args))
        if explained is not None:
            print(f"photoorg: {explained}", file=sys.stderr)
            return 1
        if isinstance(exc, OSError):
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"photoorg: {exc.strerror or exc}{name}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    raise SystemExit(main())
