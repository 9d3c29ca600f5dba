"""People: incremental clustering, the user's decisions and how they survive
later runs, suggestions, the person: filter, and the `photoorg people` CLI.

Faces here are stored rows with synthetic 128-D descriptors (see
faces_helpers.Faces); detection itself is tested on real photos in test_faces.py.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

pytest.importorskip("dlib")

from photoorg.errors import PhotoorgError
from photoorg.faces import people
from photoorg.faces.cluster import cluster_faces
from photoorg.search.filters import SearchFilters
from photoorg.store.schema import Face, FaceRejection, Person
from tests.faces_helpers import Faces


@pytest.fixture
def faces(library) -> Faces:
    return Faces(library.db)


def people_rows(library) -> dict[int, Person]:
    with library.db.session() as s:
        return {p.id: p for p in s.scalars(select(Person))}


def members(library, person_id) -> set[int]:
    with library.db.session() as s:
        return set(s.scalars(select(Face.id).where(Face.person_id == person_id)))


def test_faces_become_people_and_strangers_stay_unknown(library, faces):
    ann = [faces.photo_with("ann")[1][0] for _ in range(4)]
    bob = [faces.photo_with("bob")[1][0] for _ in range(3)]
    strangers = [faces.photo_with(who)[1][0] for who in ("x1", "x2")]
    summary = cluster_faces(library.db)
    assert summary.pending == 9 and summary.new_people == 2 and summary.unknown == 2
    a, b = faces.person_of(ann[0]), faces.person_of(bob[0])
    assert a and b and a != b
    assert members(library, a) == set(ann) and members(library, b) == set(bob)
    assert all(faces.person_of(f) is None for f in strangers)
    assert {f.id for f in people.unknown_faces(library.db)} == set(strangers)
    assert all(faces.face_row(f).assigned_by == "auto" for f in ann + strangers)
    # Nothing new: nothing changes.
    assert cluster_faces(library.db).pending == 0


def test_new_faces_join_existing_people_without_reclustering(library, faces):
    first = [faces.photo_with("ann")[1][0] for _ in range(3)]
    cluster_faces(library.db)
    ann = faces.person_of(first[0])
    people.name_person(library.db, ann, "Ann")
    lonely = faces.photo_with("carl")[1][0]
    cluster_faces(library.db)
    assert faces.person_of(lonely) is None

    later = [faces.photo_with("ann")[1][0] for _ in range(2)]
    second_carl = faces.photo_with("carl")[1][0]
    summary = cluster_faces(library.db)
    assert summary.joined == 2 and summary.new_people == 1
    assert all(faces.person_of(f) == ann for f in later)
    # The earlier unknown face and the new one of the same man make a new person.
    carl = faces.person_of(second_carl)
    assert carl is not None and carl != ann and faces.person_of(lonely) == carl
    assert people_rows(library)[ann].name == "Ann"
    assert len(people_rows(library)) == 2


def test_two_faces_in_one_photo_are_never_one_person(library, faces):
    # Twins, or a mirror: very alike faces in one photo.
    for _ in range(3):
        faces.photo_with("ann", "ann")
    cluster_faces(library.db)
    with library.db.session() as s:
        for photo_id in set(s.scalars(select(Face.photo_id))):
            assigned = [f.person_id for f in s.scalars(select(Face).where(Face.photo_id == photo_id))]
            placed = [p for p in assigned if p is not None]
            assert len(placed) == len(set(placed))


def test_different_people_do_not_merge_at_the_default_threshold(library, faces):
    # Many people, several faces each: every person must come out pure.
    truth = {}
    for who in [f"p{i}" for i in range(12)]:
        for _ in range(4):
            truth[faces.photo_with(who)[1][0]] = who
    cluster_faces(library.db)
    by_person: dict[int, set[str]] = {}
    for face_id, who in truth.items():
        person = faces.person_of(face_id)
        assert person is not None
        by_person.setdefault(person, set()).add(who)
    assert all(len(whos) == 1 for whos in by_person.values())
    assert len(by_person) == 12


def test_not_this_person_is_never_undone(library, faces):
    ann_faces = [faces.photo_with("ann")[1][0] for _ in range(4)]
    cluster_faces(library.db)
    ann = faces.person_of(ann_faces[0])
    people.name_person(library.db, ann, "Ann")
    wrong = ann_faces[3]
    people.remove_face(library.db, wrong)
    assert faces.person_of(wrong) is None
    with library.db.session() as s:
        assert s.get(FaceRejection, (wrong, ann)) is not None
    # Later runs, with more of Ann: the face stays out of Ann, and is not
    # suggested as Ann either.
    for _ in range(3):
        faces.photo_with("ann")
    cluster_faces(library.db)
    assert faces.person_of(wrong) is None
    assert wrong not in {s.face.id for s in people.suggestions(library.db)}
    # Even when it is pending again (analysed anew), it can't join Ann.
    with library.db.transaction() as s:
        s.get(Face, wrong).assigned_by = None
    cluster_faces(library.db)
    assert faces.person_of(wrong) != ann


def test_user_placements_names_and_hidden_people_survive_runs(library, faces):
    ann_faces = [faces.photo_with("ann")[1][0] for _ in range(3)]
    bob_faces = [faces.photo_with("bob")[1][0] for _ in range(3)]
    cluster_faces(library.db)
    ann, bob = faces.person_of(ann_faces[0]), faces.person_of(bob_faces[0])
    people.name_person(library.db, ann, "Ann")
    people.name_person(library.db, bob, "Bob")
    # The user says one of "Ann's" faces is Bob (a look-alike the algorithm got wrong).
    people.assign_face(library.db, ann_faces[0], bob)
    people.hide_person(library.db, bob)
    for _ in range(2):
        faces.photo_with("ann")
        faces.photo_with("bob")
    cluster_faces(library.db)
    row = faces.face_row(ann_faces[0])
    assert row.person_id == bob and row.assigned_by == "user"
    rows = people_rows(library)
    assert rows[ann].name == "Ann" and rows[bob].name == "Bob" and rows[bob].hidden
    # A hidden person still gets their new faces (they don't come back as someone new)...
    assert len(members(library, bob)) == 6
    # ...but is left out of the list unless asked for.
    assert [p.id for p in people.list_people(library.db)] == [ann]
    assert {p.id for p in people.list_people(library.db, include_hidden=True)} == {ann, bob}
    people.hide_person(library.db, bob, hidden=False)
    assert {p.id for p in people.list_people(library.db)} == {ann, bob}


def test_merge_and_split(library, faces):
    # The same man seen young and old came out as two people.
    young = [faces.photo_with("dad")[1][0] for _ in range(3)]
    cluster_faces(library.db)
    first = faces.person_of(young[0])
    faces.centres["dad"] = faces.centres["dad"] * 0.2 + faces.centre("dad-old") * 0.98
    old = [faces.photo_with("dad")[1][0] for _ in range(3)]
    cluster_faces(library.db)
    second = faces.person_of(old[0])
    assert second not in (None, first)
    people.name_person(library.db, second, "Dad")

    merged = people.merge_people(library.db, first, [second])
    assert merged.id == first and merged.name == "Dad" and merged.face_count == 6
    assert second not in people_rows(library)

    # Split: two faces were someone else.
    split = people.new_person(library.db, old[:2], "Uncle")
    assert members(library, split) == set(old[:2])
    assert members(library, first) == set(young) | {old[2]}
    with library.db.session() as s:
        assert s.get(FaceRejection, (old[0], first)) is not None
    # More photos: the split holds (new faces go where they look closest).
    faces.photo_with("dad")
    cluster_faces(library.db)
    assert set(old[:2]) <= members(library, split) and set(young) <= members(library, first)
    assert all(faces.face_row(f).assigned_by == "user" for f in old[:2])

    # Naming someone with a name that is taken says so, and offers the merge.
    with pytest.raises(people.NameTakenError) as taken:
        people.name_person(library.db, split, "dad")
    assert taken.value.other_id == first and "merge" in str(taken.value)


def test_merge_respects_rejections_of_faces_outside_both(library, faces):
    a_faces = [faces.photo_with("a")[1][0] for _ in range(3)]
    b_faces = [faces.photo_with("b")[1][0] for _ in range(3)]
    c_faces = [faces.photo_with("c")[1][0] for _ in range(3)]
    cluster_faces(library.db)
    a, b = faces.person_of(a_faces[0]), faces.person_of(b_faces[0])
    people.assign_face(library.db, c_faces[0], b)
    people.remove_face(library.db, c_faces[0])  # not b
    people.merge_people(library.db, a, [b])
    with library.db.session() as s:
        assert s.get(FaceRejection, (c_faces[0], a)) is not None


def test_suggestions_ask_is_this_ann(library, faces):
    for _ in range(3):
        faces.photo_with("ann")
    cluster_faces(library.db)
    with library.db.session() as s:
        ann = s.scalar(select(Person.id))
    assert people.suggestions(library.db) == []  # nobody is named yet
    people.name_person(library.db, ann, "Ann")
    # Faces that look a bit like Ann: too far to place automatically.
    maybe = [faces.face(faces.photo(), faces.descriptor("ann", spread=0.52)) for _ in range(2)]
    stranger = faces.photo_with("zed")[1][0]
    summary = cluster_faces(library.db)
    assert summary.joined == 0
    found = people.suggestions(library.db)
    assert {s.face.id for s in found} == set(maybe)
    assert all(s.person == "Ann" and 0.5 <= s.distance < 0.6 for s in found)
    assert stranger not in {s.face.id for s in found}
    assert found[0].as_dict().keys() >= {"face_id", "person_id", "person", "distance", "path", "bbox"}

    people.assign_face(library.db, maybe[0], ann)  # "Yes"
    people.reject_suggestion(library.db, maybe[1], ann)  # "No"
    assert people.suggestions(library.db) == []
    assert faces.face_row(maybe[0]).assigned_by == "user" and faces.person_of(maybe[1]) is None


def test_ignored_faces_leave_the_review(library, faces):
    face = faces.photo_with("x")[1][0]
    cluster_faces(library.db)
    assert [f.id for f in people.unknown_faces(library.db)] == [face]
    people.ignore_faces(library.db, [face])
    assert people.unknown_faces(library.db) == []
    cluster_faces(library.db)
    assert faces.face_row(face).assigned_by == "user" and faces.person_of(face) is None


def test_person_filter_combines_people_and_other_filters(library, faces):
    from photoorg.search.engine import SearchEngine

    both, _ = faces.photo_with("ann", "bob", when=datetime(2019, 5, 1))
    only_ann, _ = faces.photo_with("ann", when=datetime(2021, 5, 1))
    only_bob, _ = faces.photo_with("bob", when=datetime(2021, 6, 1))
    elsewhere, _ = faces.photo_with("ann", "bob", folder="/elsewhere", when=datetime(2021, 7, 1))
    old_ann, _ = faces.photo_with("ann", when=datetime(2018, 1, 1))
    cluster_faces(library.db)
    with library.db.session() as s:
        ann = s.scalar(select(Face.person_id).where(Face.photo_id == only_ann))
        bob = s.scalar(select(Face.person_id).where(Face.photo_id == only_bob))
    people.name_person(library.db, ann, "Ann Smith")
    people.name_person(library.db, bob, "Bob")
    engine = SearchEngine(library.db, lambda: None, lambda: None)  # no text: no model needed

    def ids(query, filters=None):
        return {hit.photo_id for hit in engine.search(query, filters or SearchFilters(), limit=100).hits}

    assert ids("person:Bob") == {both, only_bob, elsewhere}
    assert ids('person:"ann smith"') == {both, only_ann, elsewhere, old_ann}
    assert ids("person:Ann") == ids('person:"Ann Smith"')  # a first name finds "Ann Smith"
    assert ids("person:Ann person:Bob") == {both, elsewhere}  # both in the photo
    assert ids("person:Ann person:Bob", SearchFilters(folder="/photos")) == {both}
    assert ids("person:Ann person:Bob after:2020") == {elsewhere}
    assert ids("person:Ann", SearchFilters(date_to=date(2019, 12, 31))) == {both, old_ann}
    assert ids("person:Bob", SearchFilters(people=("Ann Smith",))) == {both, elsewhere}
    assert ids(f"person:{ann}") == ids("person:Ann")  # an id works too
    assert ids("person:Nobody") == set()
    # Hidden people are still found when asked for by name.
    people.hide_person(library.db, bob)
    assert ids("person:Bob") == {both, only_bob, elsewhere}


def test_readable_errors(library, faces):
    with pytest.raises(PhotoorgError, match="no person"):
        people.name_person(library.db, 999, "X")
    face = faces.photo_with("a")[1][0]
    with pytest.raises(PhotoorgError, match="no face"):
        people.new_person(library.db, [face, 12345])
    with pytest.raises(PhotoorgError, match="at least one other"):
        people.merge_people(library.db, people.new_person(library.db, [face]), [])


def test_people_cli_json(library_dir, capsys):
    from photoorg.cli.main import main
    from photoorg.library import Library

    with Library(library_dir) as library:
        faces = Faces(library.db)
        for _ in range(3):
            faces.photo_with("ann")
        for _ in range(2):
            faces.photo_with("bob")
        faces.photo_with("ann", "bob")
        lonely = faces.photo_with("zed")[1][0]
    lib = ["--library", str(library_dir)]

    assert main(["people", "cluster", *lib, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new_people"] == 2
    assert main(["people", "--json", *lib]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [set(p) >= {"id", "name", "face_count", "photos"} for p in listed] == [True, True]
    ann = next(p for p in listed if p["face_count"] == 4)
    bob = next(p for p in listed if p["face_count"] == 3)
    assert len(ann["photos"]) == 4 and all(p.startswith("/photos/") for p in ann["photos"])

    assert main(["people", "name", str(ann["id"]), "Ann", *lib]) == 0
    assert main(["people", "name", str(bob["id"]), "Aunt", "Mary", *lib]) == 0
    assert main(["people", "list", *lib, "--json", "--no-photos"]) == 0
    names = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert set(names) == {"Ann", "Aunt Mary"} and names["Ann"]["photos"] == []

    assert main(["people", "unknown", *lib, "--json"]) == 0
    assert [f["id"] for f in json.loads(capsys.readouterr().out)] == [lonely]
    assert main(["people", "assign", "Ann", str(lonely), *lib]) == 0
    assert main(["people", "show", "Ann", *lib, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["face_count"] == 5 and lonely in [f["id"] for f in shown["faces"]]
    assert main(["people", "reject", str(lonely), *lib]) == 0

    # Taken names, merges, hiding; errors are one readable line and exit 1.
    assert main(["people", "name", "Aunt Mary", "ann", *lib]) == 1
    assert "already a person called Ann" in capsys.readouterr().err
    assert main(["people", "merge", "Ann", "Aunt Mary", *lib, "--json"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["name"] == "Ann" and merged["face_count"] == 7
    assert main(["people", "merge", "Ann", "999", *lib]) == 1
    assert "no person" in capsys.readouterr().err
    assert main(["people", "hide", "Ann", *lib]) == 0
    assert main(["people", "--json", *lib]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["people", "--all", "--json", *lib]) == 0
    assert json.loads(capsys.readouterr().out)[0]["hidden"] is True
    assert main(["people", "suggestions", *lib, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["people", "config", "--detector", "cnn", "--min-face", "60", *lib, "--json"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["detector"] == "cnn" and config["stage_version"] == "dlib-cnn-1000-min60"
    with pytest.raises(SystemExit) as out_of_range:  # a usage error, checked at parse time
        main(["people", "config", "--threshold", "2", *lib])
    assert out_of_range.value.code == 2
