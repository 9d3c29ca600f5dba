"""The convention of the core's APIs: a Database goes in, plain data comes
out, and each failure a caller may want to tell apart is its own error class."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from photoorg import organize
from photoorg.errors import (
    AlbumExists,
    AlbumNotFound,
    FolderNotFound,
    InvalidDate,
    InvalidInput,
    PhotoorgError,
    RootNotFound,
    TagNotFound,
)
from photoorg.faces.people import FaceInfo, faces_in_photo, photo_faces
from photoorg.roots import add_root, remove_root
from photoorg.search.query import parse_date
from photoorg.store.schema import Photo, PhotoGroup, PhotoGroupMember
from photoorg.tags import store
from photoorg.tags.grouping import EVENT, GroupInfo, group_infos, list_groups
from tests.faces_helpers import Faces


def test_photo_reads_need_no_session_from_the_caller(library):
    faces = Faces(library.db)
    first, (left, right) = faces.photo_with("ann", "bob")
    second = faces.photo()
    store.add_tag(library.db, [first, second], "beach")
    store.add_tag(library.db, [first], "dog")

    assert store.tag_presence(library.db, [first, second]) == {"beach": 2, "dog": 1}
    assert [t["name"] for t in store.tags_of_photo(library.db, second)] == ["beach"]
    found = faces_in_photo(library.db, first)
    assert [f.id for f in found] == [left, right] and all(isinstance(f, FaceInfo) for f in found)
    with library.db.session() as s:
        assert photo_faces(s, first) == found
    assert faces_in_photo(library.db, second) == []


def test_groups_come_out_as_dataclasses_and_print_as_before(library):
    faces = Faces(library.db)
    photos = [faces.photo(when=datetime(2021, 5, day)) for day in (2, 1)]
    hidden = faces.photo()
    with library.db.transaction() as s:
        group = PhotoGroup(
            kind=EVENT,
            title="May 2021",
            cover_photo_id=photos[0],
            start=datetime(2021, 5, 1),
            end=datetime(2021, 5, 2),
            lat=45.0,
            lon=7.5,
            created_at=datetime.now(),
        )
        s.add(group)
        s.flush()
        s.add_all(PhotoGroupMember(group_id=group.id, photo_id=p) for p in photos)
        empty = PhotoGroup(kind=EVENT, title="gone", created_at=datetime.now())
        s.add(empty)
        s.flush()
        s.add(PhotoGroupMember(group_id=empty.id, photo_id=hidden))
    with library.db.transaction() as s:  # its file went away: it leaves the view
        s.execute(update(Photo).where(Photo.id == hidden).values(missing_since=datetime.now()))

    (info,) = group_infos(library.db)
    assert isinstance(info, GroupInfo) and info.gps == (45.0, 7.5)
    assert info.photos == ["/photos/p0002.jpg", "/photos/p0001.jpg"]  # oldest first
    assert list_groups(library.db, EVENT) == [
        {
            "id": info.id,
            "kind": "event",
            "title": "May 2021",
            "start": "2021-05-01T00:00:00",
            "end": "2021-05-02T00:00:00",
            "gps": {"lat": 45.0, "lon": 7.5},
            "cover": "/photos/p0001.jpg",
            "count": 2,
            "photos": ["/photos/p0002.jpg", "/photos/p0001.jpg"],
        }
    ]


def test_each_failure_has_its_own_class_and_stays_a_photoorg_error(library, tmp_path):
    db = library.db
    organize.create_album(db, "Holidays")
    cases = [
        (AlbumNotFound, lambda: organize.album_id(db, "Nope")),
        (AlbumExists, lambda: organize.create_album(db, "Holidays")),
        (InvalidInput, lambda: organize.set_rating(db, [1], 9)),
        (InvalidInput, lambda: organize.create_album(db, "  ")),
        (TagNotFound, lambda: store.delete_tag(db, "no such tag")),
        (InvalidInput, lambda: store.add_tag(db, [1], " ")),
        (RootNotFound, lambda: remove_root(db, tmp_path)),
        (FolderNotFound, lambda: add_root(db, tmp_path / "missing")),
        (InvalidDate, lambda: parse_date("2019-13")),
    ]
    for error, call in cases:
        with pytest.raises(error) as caught:
            call()
        assert isinstance(caught.value, PhotoorgError) and str(caught.value)
