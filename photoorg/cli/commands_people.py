"""`photoorg people`: the people found in the photos, and the user's decisions.

    photoorg people [--json] [--all]          list people (named first)
    photoorg people show PERSON               one person: faces (with ids) and photos
    photoorg people name PERSON NAME          name or rename (an empty name removes it)
    photoorg people merge PERSON OTHER...     make several people one
    photoorg people hide|unhide PERSON...
    photoorg people unknown                   faces no person was found for
    photoorg people suggestions [PERSON]      "Is this Alice?" look-alikes
    photoorg people assign PERSON FACE...     these faces are this person
    photoorg people new FACE... [--name N]    a new person from these faces
    photoorg people reject FACE... [--from P] not this person
    photoorg people ignore FACE...            never name these faces
    photoorg people cover PERSON FACE         the face shown for the person
    photoorg people cluster                   place new faces now
    photoorg people config [--detector ...]   detector, sizes, threshold

PERSON is an id or a name; search with `photoorg search person:NAME`.
"""

from __future__ import annotations

import argparse

import filelock

from photoorg.cli.commands_core import emit_json, open_library, say
from photoorg.cli.options import float_range, int_range, limit_type, positive_id_type
from photoorg.errors import PhotoorgError
from photoorg.faces.cluster import cluster_faces
from photoorg.faces.config import face_settings, update_face_settings
from photoorg.faces.people import (
    NameTakenError,
    assign_faces,
    get_person,
    hide_person,
    ignore_faces,
    list_people,
    merge_people,
    name_person,
    new_person,
    person_faces,
    reject_suggestion,
    remove_faces,
    resolve_person_id,
    review_counts,
    set_cover,
    suggestions,
    unknown_faces,
)


def _json(args) -> bool:
    return bool(getattr(args, "json", False))


def _print_people(people) -> None:
    if not people:
        say("No people yet. Faces are found while indexing: photoorg index FOLDER")
        return
    for person in people:
        hidden = "  (hidden)" if person.hidden else ""
        print(
            f"{person.id:>5}  {person.label:<30} {person.face_count:>5} faces  "
            f"{person.photo_count:>5} photos{hidden}"
        )


def cmd_list(args) -> int:
    with open_library(args) as library:
        people = list_people(library.db, include_hidden=args.all, with_photos=not args.no_photos)
        if _json(args):
            emit_json([p.as_dict() for p in people])
            return 0
        _print_people(people)
        counts = review_counts(library.db)
        if counts["unknown"]:
            say(f"{counts['unknown']} face(s) are unknown: photoorg people unknown / suggestions")
    return 0


def cmd_show(args) -> int:
    with open_library(args) as library:
        person = get_person(library.db, args.person, with_photos=True)
        faces = person_faces(library.db, person.id)
        if _json(args):
            emit_json(person.as_dict() | {"faces": [f.as_dict() for f in faces]})
            return 0
        print(f"{person.label} (id {person.id}){'  hidden' if person.hidden else ''}")
        print(f"{person.face_count} faces in {person.photo_count} photos")
        for face in faces:
            by = "confirmed" if face.assigned_by == "user" else "auto"
            print(f"  face {face.id:>6}  {by:<9}  quality {face.quality:.2f}  {face.path}")
    return 0


def cmd_name(args) -> int:
    name = " ".join(args.name).strip()
    with open_library(args) as library:
        try:
            person = name_person(library.db, args.person, name)
        except NameTakenError as exc:
            if not args.merge:
                raise PhotoorgError(f"{exc} (or add --merge)") from exc
            person = merge_people(library.db, exc.other_id, [resolve_person_id(library.db, args.person)])
            say(f"Merged into {person.label} (id {person.id}).")
        else:
            say(
                f"Person {person.id} is now {person.label}."
                if name
                else f"Person {person.id} has no name now."
            )
        if _json(args):
            emit_json(get_person(library.db, person.id, with_photos=True).as_dict())
    return 0


def cmd_merge(args) -> int:
    with open_library(args) as library:
        person = merge_people(library.db, args.person, args.others)
        say(f"Merged into {person.label} (id {person.id}): {person.face_count} faces.")
        if _json(args):
            emit_json(get_person(library.db, person.id, with_photos=True).as_dict())
    return 0


def cmd_hide(args) -> int:
    with open_library(args) as library:
        for ref in args.people:
            hide_person(library.db, ref, args.action == "hide")
        say(
            f"{'Hidden' if args.action == 'hide' else 'Shown again'}: {len(args.people)} person(s). "
            + ("`photoorg people --all` still lists them." if args.action == "hide" else "")
        )
    return 0


def cmd_unknown(args) -> int:
    with open_library(args) as library:
        faces = unknown_faces(library.db, limit=args.limit)
        if _json(args):
            emit_json([f.as_dict() for f in faces])
            return 0
        if not faces:
            say("No unknown faces.")
        for face in faces:
            x, y, w, h = face.box
            print(f"face {face.id:>6}  quality {face.quality:.2f}  at {x},{y} {w}x{h}  {face.path}")
    return 0


def cmd_suggestions(args) -> int:
    with open_library(args) as library:
        person_id = resolve_person_id(library.db, args.person) if args.person else None
        found = suggestions(
            library.db,
            person_id=person_id,
            threshold=face_settings(library.db).threshold,
            limit=args.limit,
        )
        if _json(args):
            emit_json([s.as_dict() for s in found])
            return 0
        if not found:
            say("No suggestions: no unknown face looks like a named person.")
        for item in found:
            print(
                f"face {item.face.id:>6}  is this {item.person} (id {item.person_id})?  "
                f"distance {item.distance:.3f}  {item.face.path}"
            )
        if found:
            say(
                "Accept: photoorg people assign PERSON FACE...   "
                "Reject: photoorg people reject FACE --from PERSON"
            )
    return 0


def cmd_assign(args) -> int:
    with open_library(args) as library:
        count = assign_faces(library.db, args.faces, args.person)
        person = get_person(library.db, args.person, with_photos=True)
        say(f"{count} face(s) are now {person.label}.")
        if _json(args):
            emit_json(person.as_dict())
    return 0


def cmd_new(args) -> int:
    with open_library(args) as library:
        person_id = new_person(library.db, args.faces, " ".join(args.name or []) or None)
        person = get_person(library.db, person_id, with_photos=True)
        say(f"New person {person.label} (id {person.id}) with {person.face_count} face(s).")
        if _json(args):
            emit_json(person.as_dict())
    return 0


def cmd_reject(args) -> int:
    with open_library(args) as library:
        if args.from_person:
            for face in args.faces:
                reject_suggestion(library.db, face, args.from_person)
        else:
            remove_faces(library.db, args.faces)
        say(f"Noted: {len(args.faces)} face(s) are not that person, and won't be put there again.")
    return 0


def cmd_ignore(args) -> int:
    with open_library(args) as library:
        count = ignore_faces(library.db, args.faces)
        say(f"Ignoring {count} face(s): they won't be suggested or grouped.")
    return 0


def cmd_cover(args) -> int:
    with open_library(args) as library:
        set_cover(library.db, args.person, args.face)
        say("Cover face set.")
    return 0


def cmd_cluster(args) -> int:
    with open_library(args) as library:
        lock = filelock.FileLock(str(library.paths.lock_file), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise PhotoorgError(
                "photoorg is indexing this library right now; new faces are placed when it finishes."
            ) from exc
        try:
            summary = cluster_faces(library.db, face_settings(library.db).threshold)
        finally:
            lock.release()
        if _json(args):
            emit_json(summary.as_dict())
        else:
            say(
                f"{summary.pending} new face(s): {summary.joined} joined known people, "
                f"{summary.new_people} new people ({summary.new_people_faces} faces), "
                f"{summary.unknown} unknown."
            )
    return 0


def cmd_config(args) -> int:
    with open_library(args) as library:
        before = face_settings(library.db)
        after = update_face_settings(
            library.db,
            detector=args.detector,
            detect_side=args.detect_size,
            min_face=args.min_face,
            threshold=args.threshold,
        )
        data = {
            "detector": after.detector,
            "detect_size": after.detect_side,
            "min_face": after.min_face,
            "threshold": after.threshold,
            "suggest_threshold": round(after.suggest_threshold, 3),
            "stage_version": after.stage_version,
        }
        if _json(args):
            emit_json(data)
        else:
            for key, value in data.items():
                print(f"{key + ':':<19}{value}")
        if after.stage_version != before.stage_version:
            say(
                "The next `photoorg index` analyses every photo's faces again; people, names and your "
                "corrections are kept."
                + (
                    " The CNN detector is slow on a CPU (about a second a photo)."
                    if after.detector == "cnn"
                    else ""
                )
            )
    return 0


def _face_ids(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "faces", nargs="+", type=positive_id_type, metavar="FACE", help="face ids (see `people show`)"
    )


def register(subparsers, common: argparse.ArgumentParser) -> None:
    people = subparsers.add_parser(
        "people",
        parents=[common],
        help="people found in the photos: list, name, merge, review faces",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    people.add_argument("--all", action="store_true", help="include hidden people")
    people.add_argument("--no-photos", action="store_true", help="leave out the list of photo paths")
    people.set_defaults(handler=cmd_list)
    actions = people.add_subparsers(dest="action", metavar="ACTION")

    def action(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        # `common` suppresses its defaults, so options given before the action survive it.
        parser = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.set_defaults(handler=handler, action=name)
        return parser

    p = action("list", cmd_list, "list people (named first)")
    p.add_argument("--all", action="store_true", default=argparse.SUPPRESS, help="include hidden people")
    p.add_argument(
        "--no-photos", action="store_true", default=argparse.SUPPRESS, help="leave out photo paths"
    )

    p = action("show", cmd_show, "one person: faces with their ids, and photos")
    p.add_argument("person", metavar="PERSON", help="id or name")

    p = action("name", cmd_name, "name or rename a person (an empty name removes it)")
    p.add_argument("person", metavar="PERSON", help="id or current name")
    p.add_argument("name", nargs="*", metavar="NAME")
    p.add_argument("--merge", action="store_true", help="if someone already has that name, merge into them")

    p = action("merge", cmd_merge, "make several people one (the first keeps its id and name)")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("others", nargs="+", metavar="OTHER")

    for name, text in (("hide", "hide people from the list"), ("unhide", "show hidden people again")):
        p = action(name, cmd_hide, text)
        p.add_argument("people", nargs="+", metavar="PERSON")

    p = action("unknown", cmd_unknown, "faces no person was found for, best first")
    p.add_argument("--limit", type=limit_type, default=200, help="how many (default 200)")

    p = action(
        "suggestions", cmd_suggestions, '"Is this Alice?": unknown faces that look like a named person'
    )
    p.add_argument("person", nargs="?", metavar="PERSON")
    p.add_argument("--limit", type=limit_type, default=200, help="how many (default 200)")

    p = action("assign", cmd_assign, "these faces are this person (move them, or accept a suggestion)")
    p.add_argument("person", metavar="PERSON")
    _face_ids(p)

    p = action("new", cmd_new, "a new person made of these faces")
    _face_ids(p)
    p.add_argument("--name", nargs="+", metavar="NAME")

    p = action(
        "reject", cmd_reject, "not this person: take faces out of their person (or refuse a suggestion)"
    )
    _face_ids(p)
    p.add_argument(
        "--from", dest="from_person", metavar="PERSON", help="refuse the suggestion of this person"
    )

    p = action("ignore", cmd_ignore, "never group or suggest these faces (strangers)")
    _face_ids(p)

    p = action("cover", cmd_cover, "the face shown for a person")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("face", type=positive_id_type, metavar="FACE")

    action("cluster", cmd_cluster, "place faces found since the last index run now")

    p = action("config", cmd_config, "face detection settings (stored in the library)")
    p.add_argument(
        "--detector", choices=["hog", "cnn"], help="hog (default, fast) or cnn (slower, finds more)"
    )
    p.add_argument(
        "--detect-size",
        type=int_range(200, 4000),
        metavar="PX",
        help="short side the detector looks at, 200-4000 (default 1000)",
    )
    p.add_argument(
        "--min-face", type=int_range(8, 2000), metavar="PX", help="skip faces narrower than this (default 40)"
    )
    p.add_argument(
        "--threshold",
        type=float_range(0.2, 0.9),
        metavar="D",
        help="distance that makes the same person, 0.2-0.9 (default 0.5)",
    )
