"""`photoorg objects`: the located objects of photos, and the optional COCO detector."""

from __future__ import annotations

import argparse
from pathlib import Path

from photoorg.cli.commands_core import _download_printer, emit_json, open_library, say
from photoorg.cli.progress import ProgressPrinter
from photoorg.errors import ModelUnavailableError, PhotoorgError
from photoorg.objects import detector
from photoorg.objects.people import photo_evidence
from photoorg.objects.store import located_objects, object_counts
from photoorg.photos import find_photo
from photoorg.progress import CancelToken


def cmd_objects(args) -> int:
    with open_library(args) as library:
        if not args.paths:
            with library.db.session() as s:
                counts = object_counts(s)
            if args.json:
                emit_json(counts)
            else:
                for label, n in counts.items():
                    print(f"{n:>6}  {label}")
                if not counts:
                    print("(no located objects yet)")
            return 0
        found = []
        for path in args.paths:
            photo = find_photo(library.db, path)
            with library.db.session() as s:
                found.append((photo.path, located_objects(s, photo.id), photo_evidence(s, photo.id).count))
    if args.json:
        emit_json(
            [{"path": p, "objects": [o.as_dict() for o in objs], "people_count": n} for p, objs, n in found]
        )
        return 0
    for path, objects, people in found:
        print(f"{path}:" + (f" {people} {'person' if people == 1 else 'people'}" if people else ""))
        for o in objects:
            x, y, w, h = o.box
            print(f"  {o.label:<16} {o.confidence:.2f}  {w}x{h} at {x},{y}  ({o.source})")
        if not objects:
            print("  (no located objects)")
    return 0


def cmd_detector(args) -> int:
    with open_library(args) as library:
        if args.action == "off":
            detector.turn_off(library.db)
            say("The object detector is off (the boxes it found stay until photos are analysed again).")
            return 0
        if args.action == "status":
            choice = detector.detector_choice(library.db)
            if args.json:
                emit_json({"enabled": choice is not None, "weights": str(choice.weights) if choice else None})
            else:
                say(f"Object detector: {choice.weights}" if choice else "Object detector: off")
            return 0
        if args.weights:
            path = Path(args.weights)
        elif library.ml_options().offline:
            raise PhotoorgError(
                "The library is set to never download (--offline / PHOTOORG_OFFLINE): pass the detector's "
                f"weights with --weights FILE (a copy of {detector.WEIGHTS_URL})."
            )
        else:
            printer = ProgressPrinter()
            try:
                path = detector.download_weights(progress=_download_printer(printer), cancel=CancelToken())
            except ModelUnavailableError as exc:
                printer.close()
                raise PhotoorgError(str(exc)) from None
            printer.close()
        choice = detector.adopt_weights(library.db, path)
    if args.json:
        emit_json({"enabled": True, "weights": str(choice.weights), "version": choice.version})
    else:
        say(f"The object detector is on ({choice.weights}); `photoorg index` finds the objects in photos.")
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "objects",
        parents=[common],
        help="located objects and people in photos; the optional object detector",
        description="objects [PATH...]: each photo's located objects (label, confidence, box in full-size "
        "pixels, source); without paths, how many photos show each label.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="photos of the library")
    parser.set_defaults(handler=cmd_objects)
    det = subparsers.add_parser(
        "detector",
        parents=[common],
        help="turn the optional COCO object detector on (download or file) or off",
        description=f"detector get [--weights FILE] | off | status. `get` downloads {detector.ARCH} (BSD) "
        f"from {detector.WEIGHTS_URL} with progress, or checks and adopts a local copy; the next index "
        "finds objects with boxes, and tag: / object: use its labels.",
    )
    det.add_argument("action", choices=("get", "off", "status"))
    det.add_argument("--weights", metavar="FILE", help="a local copy of the detector's weights (.pth)")
    det.set_defaults(handler=cmd_detector)
