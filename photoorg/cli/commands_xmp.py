"""`photoorg xmp`: import XMP metadata, write it back, and the write-back setting."""

from __future__ import annotations

import argparse

from photoorg.cli.commands_core import emit_json, open_library, say
from photoorg.cli.progress import ProgressPrinter
from photoorg.errors import PhotoorgError
from photoorg.progress import CancelToken
from photoorg.xmp.settings import MODE_LABELS, MODES, OFF, SIDECAR, set_write_back_mode, write_back_mode
from photoorg.xmp.sync import XmpReport, import_photos, select_photos, write_photos
from photoorg.xmp.writer import unavailable_reason


def _run(job) -> XmpReport:
    printer = ProgressPrinter()
    try:
        while True:
            printer(next(job))
    except StopIteration as stop:
        return stop.value
    finally:
        printer.close()


def _summary(report: XmpReport, verb: str) -> None:
    prefix = "Would have " if report.dry_run else ""
    if verb == "import":
        say(f"Read XMP of {report.read} of {report.checked} photo(s).")
        for plan in report.imported:
            if plan.changes():
                changes = ", ".join(f"{key}: {value}" for key, value in plan.changes().items())
                say(f"  {prefix}imported {plan.path}: {changes}")
            if plan.kept:
                say(f"  kept your own {', '.join(plan.kept)} of {plan.path}")
    else:
        for entry in report.written:
            say(f"  {prefix}written {entry['target']}: {', '.join(entry['changed'])}")
        count = f"{len(report.written)} photo(s); {report.unchanged} already up to date."
        say(f"Would write {count}" if report.dry_run else f"Wrote {count}")
    for path, reason in sorted(report.failed.items()):
        say(f"  failed {path}: {reason}")


def cmd_import(args) -> int:
    with open_library(args) as library:
        photos = select_photos(library.db, args.paths)
        job = import_photos(library.db, photos, force=True, dry_run=args.dry_run, token=CancelToken())
        report = _run(job)
    if args.json:
        emit_json(report.as_dict())
    else:
        _summary(report, "import")
    return 1 if report.failed else 0


def cmd_export(args) -> int:
    with open_library(args) as library:
        mode = args.to or write_back_mode(library.db)
        mode = SIDECAR if mode == OFF else mode  # asked for explicitly: sidecars unless told otherwise
        photos = select_photos(library.db, args.paths)
        report = _run(write_photos(library.db, photos, mode, dry_run=args.dry_run, token=CancelToken()))
    if args.json:
        emit_json({"mode": mode, **report.as_dict()})
    else:
        _summary(report, "export")
    return 1 if report.failed else 0


def cmd_write_back(args) -> int:
    with open_library(args) as library:
        if args.mode is not None:
            if args.mode != OFF and (reason := unavailable_reason()):
                raise PhotoorgError(reason)
            set_write_back_mode(library.db, args.mode)
        mode = write_back_mode(library.db)
    reason = unavailable_reason()
    if args.json:
        emit_json({"write_back": mode, "available": reason is None, "reason": reason})
    else:
        say(f"XMP write-back: {MODE_LABELS[mode]}.")
        if reason:
            say(reason)
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    xmp = subparsers.add_parser(
        "xmp",
        parents=[common],
        help="read XMP metadata from files and sidecars, and write it back",
        description="Ratings, labels, keywords, captions and people regions that digiKam, darktable or "
        "Lightroom wrote are read at every index; these commands do it on demand, and write photoorg's "
        "decisions back.",
    )
    # `photoorg xmp` alone says whether write-back is on.
    xmp.set_defaults(handler=cmd_write_back, mode=None)
    actions = xmp.add_subparsers(dest="action", metavar="ACTION")

    def action(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        # `common` suppresses its defaults, so options given before the action survive it.
        parser = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.set_defaults(handler=handler)
        return parser

    p = action("import", cmd_import, "read the XMP of photos (all, or those at or under PATHS) and import it")
    p.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders of the library")
    p.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    p = action(
        "export",
        cmd_export,
        "write ratings, favourites, your tags, captions and named people as XMP (all photos, or PATHS)",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders of the library")
    p.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing")
    p.add_argument(
        "--to",
        choices=[m for m in MODES if m != OFF],
        help="sidecar: IMG_0001.CR2.xmp beside the file; embedded: inside JPEG/TIFF/DNG files (a sidecar "
        "for others). Default: the write-back setting, else sidecar",
    )
    p = action("write-back", cmd_write_back, "show or set XMP write-back when you change something")
    p.add_argument("mode", nargs="?", choices=MODES, help="off (the default), sidecar or embedded")
