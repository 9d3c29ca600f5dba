"""The core subcommands: index, search, similar, show, status, roots, models, gui.

Longer than most modules: one parser and one handler per core command,
each of them short.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from photoorg.cli.options import limit_type, min_score_type, threads_type, workers_type
from photoorg.cli.progress import ProgressPrinter, format_duration
from photoorg.errors import ModelUnavailableError, NotInLibraryError, PhotoorgError, UsageError
from photoorg.library import Library
from photoorg.ml.registry import CURATED_MODELS
from photoorg.photos import find_photo, photo_details
from photoorg.progress import CancelToken, Progress
from photoorg.roots import add_root, list_roots, remove_root
from photoorg.scan.imageio import ImageReadError, load_upright
from photoorg.search.filters import SearchFilters
from photoorg.search.query import parse_date, parse_query
from photoorg.status import library_status


def open_library(args) -> Library:
    return Library(args.library)


def emit_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def say(text: str) -> None:
    print(text, file=sys.stderr)


# -- shared option groups -----------------------------------------------------------


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model",
        metavar="ARCH[:PRETRAINED]",
        help="CLIP model, e.g. ViT-B-32:laion2b_s34b_b79k (remembered by the library)",
    )
    group.add_argument(
        "--weights", metavar="FILE", help="a local open_clip checkpoint for the model's architecture"
    )
    group.add_argument("--device", help="auto (default), cpu, cuda or mps")
    group.add_argument("--threads", type=threads_type, metavar="N", help="inference threads on the CPU")
    group.add_argument(
        "--runtime",
        choices=("auto", "torch", "onnx"),
        help="the CLIP image model's runtime on the CPU: auto (default: ONNX Runtime when its vectors "
        "match fp32), torch, or onnx",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never download model weights; use the cache only",
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--folder", help="only photos under this folder")
    group.add_argument("--after", metavar="DATE", help="taken on or after YYYY[-MM[-DD]]")
    group.add_argument("--before", metavar="DATE", help="taken on or before YYYY[-MM[-DD]]")
    group.add_argument("--camera", help="camera make or model contains this text")
    group.add_argument("--limit", type=limit_type, default=20, help="how many results (default 20)")
    group.add_argument(
        "--min-score", type=min_score_type, help="drop results below this cosine similarity (-1 to 1)"
    )


def filters_from(args) -> SearchFilters:
    return SearchFilters(
        folder=args.folder,
        date_from=parse_date(args.after) if args.after else None,
        date_to=parse_date(args.before, end=True) if args.before else None,
        camera=args.camera,
    )


def ml_options(library: Library, args):
    return library.ml_options(
        device=args.device, threads=args.threads, offline=args.offline, runtime=getattr(args, "runtime", None)
    )


def apply_model_args(library: Library, args) -> None:
    """Make --model/--weights/--device/... hold for everything this command does."""
    if args.model or args.weights:
        library.select_model(args.model, args.weights)
    library.ml_overrides = {
        "device": args.device,
        "threads": args.threads,
        "offline": args.offline,
        "runtime": getattr(args, "runtime", None),
    }


def _download_printer(printer: ProgressPrinter):
    def report(done: int, total: int | None) -> None:
        printer(Progress("download", done // 1_000_000, total // 1_000_000 if total else None, message="MB"))

    return report


# -- index ---------------------------------------------------------------------------


def cmd_index(args) -> int:
    printer = ProgressPrinter()
    with open_library(args) as library:
        root_ids = None
        if args.paths:
            root_ids = []
            for path in args.paths:
                root, message = add_root(library.db, path, library.paths.root)
                say(message)
                root_ids.append(root.id)
        elif not list_roots(library.db):
            raise PhotoorgError("The library has no folders yet. Add one: photoorg index ~/Pictures")
        before = library.model_choice()
        choice = library.select_model(args.model, args.weights)
        if choice.key != before.key:
            announce_model(library, choice)
        token = CancelToken()
        library.on_progress = printer
        stages = library.stage_specs(
            ml_options(library, args), progress=_download_printer(printer), cancel=token, text_tower=False
        )
        indexer = library.indexer(
            stages, token=token, decode_workers=args.workers, retry_failed=args.retry_failed
        )
        interrupted = False
        events = indexer.run(root_ids)
        while True:
            try:
                event = next(events)
            except StopIteration:
                break
            except KeyboardInterrupt:
                if interrupted:
                    raise
                interrupted = True
                token.cancel()
                printer.close()
                say("Stopping: saving the work in flight (Ctrl-C again to quit at once)...")
                continue
            printer(event)
        printer.close()
        summary = indexer.summary
        if args.json:
            emit_json(summary.as_dict())
        else:
            _print_summary(summary)
        return 130 if interrupted else 0


def announce_model(library: Library, choice) -> None:
    """Say what a model change costs: nothing when its vectors are all there
    (a file with the same content, or a switch back to an earlier model)."""
    from photoorg.ml.selection import photos_to_analyse

    pending = photos_to_analyse(library.db, choice)
    again = f"; {pending:,} photo(s) will be analysed with it" if pending else ""
    say(f"Model is now {choice.label}{again}.")


def _print_summary(summary) -> None:
    parts = [*summary.highlights(), f"{summary.unchanged:,} unchanged"]
    if summary.failed:
        parts.append("see `photoorg status` for what failed")
    state = "Stopped" if summary.cancelled else "Done"
    say(f"{state} in {format_duration(summary.seconds)}: " + ", ".join(parts) + ".")
    for name, counts in summary.stages.items():
        if counts["done"] or counts["failed"]:
            failed = f", {counts['failed']} failed" if counts["failed"] else ""
            say(f"  {name}: {counts['done']} photos{failed}")
    for name, message in summary.waiting.items():
        say(f"  {name}: waiting. {message}")
    for path, reason in summary.offline_roots.items():
        say(f"  skipped {path}: {reason}")


# -- search and similar -------------------------------------------------------------------


def _print_hits(args, hits, notice: str = "") -> None:
    if args.json:
        emit_json([hit.as_dict() for hit in hits])
        return
    if notice:
        say(notice)
    if not hits:
        say("No matching photos.")
    for hit in hits:
        score = "      " if hit.score is None else f"{hit.score:6.3f}"
        print(f"{score}  {hit.path}")


def text_search_engine(library: Library):
    """A search engine whose model has only its text tower: a query needs no
    more, and loading the image tower would cost time and memory. It never
    downloads weights: a search must answer now (`photoorg models get` does)."""
    from photoorg.search.engine import SearchEngine

    def encoder():
        return library.clip_encoder(library.ml_options(offline=True), image=False)

    return SearchEngine(library.db, encoder, library.model_choice)


def cmd_search(args) -> int:
    text = " ".join(args.query)
    parse_query(text)  # a bad filter is a usage error before any work
    with open_library(args) as library:
        apply_model_args(library, args)
        results = text_search_engine(library).search(
            text,
            filters_from(args),
            limit=args.limit,
            min_score=args.min_score,
            sort=args.sort,
        )
        _print_hits(args, results.hits, results.notice)
        return 0


def cmd_similar(args) -> int:
    with open_library(args) as library:
        apply_model_args(library, args)
        engine = library.search
        try:
            photo = find_photo(library.db, args.path)
            hits = engine.similar(
                photo.id, filters=filters_from(args), limit=args.limit, min_score=args.min_score
            )
        except NotInLibraryError:
            if not os.path.isfile(args.path):
                raise
            engine.vector_index()  # nothing to compare with: say so before loading a model
            # An image from outside the library: embed it on the fly.
            import torch  # lazy: torch takes seconds to import; only this branch of `similar` needs it

            encoder = library.clip_encoder(library.ml_options(offline=True), text=False)
            try:
                image = load_upright(args.path, encoder.image_size)
            except (ImageReadError, OSError) as exc:
                raise PhotoorgError(f"{args.path} is not in the library and can't be read: {exc}") from None
            vector = encoder.encode_images(torch.stack([encoder.preprocess(image)]))[0]
            hits = engine.similar(
                image_vector=vector, filters=filters_from(args), limit=args.limit, min_score=args.min_score
            )
        _print_hits(args, hits)
        return 0


# -- show, status, roots, models -----------------------------------------------------------------


def cmd_show(args) -> int:
    with open_library(args) as library:
        photo = find_photo(library.db, args.path)
        details = photo_details(library.db, photo.id, _thumbnail_lookup(library))
        if args.json:
            emit_json(details)
        else:
            _print_details(details)
        return 0


def _thumbnail_lookup(library: Library):
    def lookup(content_hash: str) -> str | None:
        path = library.thumbnails.path_for(content_hash)
        return str(path) if path.is_file() else None

    return lookup


def _print_details(details: dict) -> None:
    rows = [
        ("Path", details["path"]),
        ("Format", details["format"]),
        (
            "Size",
            f"{details['width']} x {details['height']} px, {details['size'] / 1e6:.1f} MB"
            if details["width"]
            else f"{details['size'] / 1e6:.1f} MB",
        ),
        ("Taken", details["taken_at"] or f"unknown (file date {details['modified']})"),
        ("Camera", details["camera"]),
        ("Lens", details["lens"]),
        ("GPS", f"{details['gps']['lat']:.6f}, {details['gps']['lon']:.6f}" if details["gps"] else None),
        ("Orientation", details["orientation"]),
        ("Rating", "★" * details["rating"] if details["rating"] else None),
        ("Favourite", "yes" if details["favorite"] else None),
        ("Albums", ", ".join(details["albums"]) or None),
        ("State", details["state"] + (f": {details['error']}" if details["error"] else "")),
        ("Missing", f"since {details['missing_since']}" if details["missing"] else None),
    ]
    if details.get("tags"):
        rows.append(("Tags", ", ".join(f"{t['name']} ({t['confidence']:.2f})" for t in details["tags"])))
    if details.get("faces"):
        names = [f.get("person") or "unknown" for f in details["faces"]]
        rows.append(("People", ", ".join(names)))
    for name, stage in sorted(details["stages"].items()):
        text = stage["state"] + (f" ({stage['error']})" if stage["error"] else "")
        rows.append((f"Stage {name}", text))
    for label, value in rows:
        if value not in (None, ""):
            print(f"{label + ':':<14}{value}")


def cmd_status(args) -> int:
    with open_library(args) as library:
        status = library_status(library)
        if args.json:
            emit_json(status)
            return 0
        print(f"Library: {status['library']}")
        if not status["roots"]:
            print("No folders yet. Add one: photoorg index ~/Pictures")
        for root in status["roots"]:
            online = "" if root["online"] else "  (offline: folder not found)"
            print(f"  {root['path']}: {root['photos']} photos{online}")
        counts = status["counts"]
        print(
            f"Photos: {counts['photos']}  failed: {counts['failed']}  unreadable: {counts['unreadable']}  "
            f"missing: {counts['missing']}"
        )
        model = status["model"]
        where = model["weights_location"] or f"not downloaded (cache: {model['cache_dir']})"
        print(f"Model: {model['key']}  weights: {where}")
        print(f"Runtime: {_runtime_line(model['runtime'])}")
        for name, stage in status["stages"].items():
            line = f"  {name:<10} done {stage['done']}  failed {stage['failed']}  pending {stage['pending']}"
            if stage["state"] != "ready":
                line += f"  [{stage['state']}]"
            print(line)
        if status["failed"]:
            print(f"Needs attention ({len(status['failed'])}):")
            for item in status["failed"]:
                print(f"  {item['path']}: {item['reason']}")
        return 0


def _runtime_line(runtime: dict) -> str:
    active = runtime.get("active") or "not chosen yet"
    line = f"{active} (setting: {runtime['setting']})"
    if runtime.get("cosine") is not None:
        line += f"; vectors match fp32 to cosine {runtime['cosine']:.4f}, {runtime.get('speedup')}x its speed"
    if runtime.get("note") and runtime.get("cosine") is None:
        line += f"; {runtime['note']}"
    return line


def cmd_roots(args) -> int:
    with open_library(args) as library:
        if args.external_links:
            from photoorg.library import FOLLOW_LINKS_SETTING

            follow = args.external_links == "follow"
            library.db.set_setting(FOLLOW_LINKS_SETTING, follow)
            say(
                "Symbolic links that lead outside these folders will be followed from the next scan."
                if follow
                else "Symbolic links that lead outside these folders will be skipped (and listed)."
            )
        if args.action == "add":
            for path in args.paths:
                _, message = add_root(library.db, path, library.paths.root)
                say(message)
        elif args.action == "remove":
            for path in args.paths:
                count = remove_root(library.db, path)
                say(
                    f"Removed {path}. Its {count} photos left the library view; their tags, albums and "
                    "people are kept in case the folder comes back. No file was touched."
                )
        roots = list_roots(library.db)
        if args.json:
            emit_json(
                [
                    {"path": r.path, "online": r.online, "photos": r.photos, "missing": r.missing}
                    for r in roots
                ]
            )
        else:
            for r in roots:
                print(f"{r.path}  ({r.photos} photos{'' if r.online else ', offline'})")
        return 0


def cmd_models(args) -> int:
    if args.action == "get":
        return _models_get(args)
    if args.model or args.weights:
        raise UsageError("--model and --weights go with `photoorg models get`.")
    with open_library(args) as library:
        current = library.model_choice()
        rows = [
            {
                "model": m.spec,
                "download_mb": m.download_mb,
                "summary": m.summary,
                "current": m.arch == current.arch
                and m.pretrained == current.pretrained
                and not current.weights_file,
            }
            for m in CURATED_MODELS
        ]
        if args.json:
            emit_json({"current": current.to_setting() | {"key": current.key}, "models": rows})
            return 0
        print(f"In use: {current.label}")
        for row in rows:
            mark = "*" if row["current"] else " "
            print(f" {mark} {row['model']:<36} {row['download_mb']:>5} MB  {row['summary']}")
        print("Any open_clip model works: --model ARCH:PRETRAINED (see open_clip.list_pretrained()).")
        print("Get the weights of the model in use: photoorg models get [--model SPEC | --weights FILE]")
        return 0


def _models_get(args) -> int:
    """Make the library's model usable: download its weights (with progress),
    or check and adopt a local file."""
    from photoorg.ml.clip import resolve_weights
    from photoorg.ml.weights import forget_failed_downloads

    with open_library(args) as library:
        before = library.model_choice()
        choice = library.select_model(args.model, args.weights)
        if choice.key != before.key:
            announce_model(library, choice)
        forget_failed_downloads()  # the user asked for this attempt
        printer = ProgressPrinter()
        token = CancelToken()
        try:
            path = resolve_weights(
                choice,
                allow_download=not library.ml_options().offline,
                progress=_download_printer(printer),
                cancel=token,
            )
        except ModelUnavailableError as exc:
            printer.close()
            reason = f" ({exc.reason})" if exc.reason else ""
            raise PhotoorgError(
                f"Could not get the weights of {choice.label}{reason}. Connect to the internet and run "
                "`photoorg models get` again, or pass a file you have: photoorg models get --weights FILE."
            ) from None
        printer.close()
        if args.json:
            emit_json({"model": choice.key, "weights": str(path)})
        else:
            say(f"{choice.label} is ready: {path}")
        return 0


def launch_gui(args, parser: argparse.ArgumentParser | None = None) -> int:
    try:
        # lazy: PySide6 is slow to import and may be missing where the CLI runs headless
        from photoorg.gui.app import run_app
    except ImportError as exc:
        if parser is not None:
            parser.print_help()
        say(f"\nThe desktop app can't start here ({exc}).")
        return 1
    return run_app(args.library)


def cmd_gui(args) -> int:
    return launch_gui(args)


# -- registration ------------------------------------------------------------------------


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "index",
        parents=[common],
        help="add folders and index them (resumable)",
        description="Scan folders, read EXIF, make thumbnails and analyse photos. Safe to stop and rerun: "
        "it continues where it stopped and only looks at what changed.",
    )
    p.add_argument("paths", nargs="*", metavar="FOLDER", help="folders to add; none: rescan all")
    add_model_options(p)
    p.add_argument(
        "--workers", type=workers_type, metavar="N", help="decoding threads (default: half the cores)"
    )
    p.add_argument("--retry-failed", action="store_true", help="try files that failed before again")
    p.set_defaults(handler=cmd_index)

    p = subparsers.add_parser("search", parents=[common], help="find photos by description, tags or filters")
    p.add_argument("query", nargs="+", help='e.g. "dog playing on a beach" or "tag:dog -tag:indoor"')
    add_filter_options(p)
    add_model_options(p)
    p.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    p.set_defaults(handler=cmd_search)

    p = subparsers.add_parser("similar", parents=[common], help="photos that look like a photo")
    p.add_argument("path", help="a photo in the library, or any image file")
    add_filter_options(p)
    add_model_options(p)
    p.set_defaults(handler=cmd_similar)

    p = subparsers.add_parser("show", parents=[common], help="everything the index knows about a photo")
    p.add_argument("path")
    p.set_defaults(handler=cmd_show)

    p = subparsers.add_parser("status", parents=[common], help="folders, counts per stage, model, failures")
    p.set_defaults(handler=cmd_status)

    p = subparsers.add_parser("roots", parents=[common], help="list, add or remove library folders")
    p.add_argument("action", nargs="?", choices=["list", "add", "remove"], default="list")
    p.add_argument("paths", nargs="*", metavar="FOLDER")
    p.add_argument(
        "--external-links",
        choices=["skip", "follow"],
        help="symbolic links that lead outside the library's folders: skip them (default) or follow them",
    )
    p.set_defaults(handler=cmd_roots)

    p = subparsers.add_parser(
        "models",
        parents=[common],
        help="the CLIP models on offer; `models get` downloads the one in use",
        description="models [list] | get [--model ARCH[:PRETRAINED]] [--weights FILE].  `get` downloads "
        "the model's weights into the Hugging Face cache with progress, or checks a local open_clip "
        "checkpoint (loading it and trying it on a probe) before the library adopts it.",
    )
    p.add_argument("action", nargs="?", choices=["list", "get"], default="list")
    p.add_argument("--model", metavar="ARCH[:PRETRAINED]", help="with get: choose this model first")
    p.add_argument("--weights", metavar="FILE", help="with get: use this local checkpoint")
    p.set_defaults(handler=cmd_models)

    p = subparsers.add_parser("gui", parents=[common], help="open the desktop app")
    p.set_defaults(handler=cmd_gui)
