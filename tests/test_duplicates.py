"""Duplicates, near-duplicates, bursts and the best shot, on temporary
libraries of generated pictures (no shared data needed)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoorg import organize
from photoorg.duplicates import cleanup, store
from photoorg.duplicates.grouping import Hashes, find_groups
from photoorg.duplicates.mih import HashIndex, popcount64
from photoorg.duplicates.quality import eye_aspect_ratio, laplacian_variance, measure
from photoorg.duplicates.views import group_views
from photoorg.search.filters import SearchFilters
from photoorg.search.query import parse_query
from tests.cli_helpers import run_cli, run_cli_json
from tests.duplicates_helpers import (
    VARIANTS,
    blurred,
    crop,
    forget_send2trash,
    heic_available,
    index,
    photo_id,
    save,
    scene,
    write_variant,
)


@pytest.fixture(autouse=True)
def _own_trash(tmp_path, monkeypatch):
    # send2trash puts files in $XDG_DATA_HOME/Trash, read once when it is
    # imported: never the real trash, nor another test's
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    forget_send2trash()
    yield
    forget_send2trash()


def groups_by_kind(library) -> dict[str, list[set[str]]]:
    out: dict[str, list[set[str]]] = {}
    for g in group_views(library.db):
        out.setdefault(g.kind, []).append({Path(p.path).name for p in g.photos})
    return out


def test_every_variant_kind_groups_with_its_original_and_distinct_shots_do_not(library, tmp_path):
    folder = tmp_path / "Pictures"
    original = scene(1)
    save(original, folder / "original.jpg")
    for kind in VARIANTS:
        write_variant(original, folder / "copies", kind)
    if heic_available():
        save(original, folder / "copies" / "as.heic", "HEIF", quality=70)
    # Distinct shots that look alike: far parts of one scene, and other scenes.
    wide = scene(2, (1200, 480))
    save(crop(wide, 0.55, 0, 0.5), folder / "shots" / "left.jpg")
    save(crop(wide, 0.55, 1, 0.5), folder / "shots" / "right.jpg")
    save(scene(3), folder / "shots" / "other.jpg")
    index(library, folder)

    found = groups_by_kind(library)
    assert len(found.get("near", [])) == 1, found
    expected = {"original.jpg", *(name for name, _, _ in VARIANTS.values())}
    if heic_available():
        expected.add("as.heic")
    assert found["near"][0] == expected
    assert "exact" not in found and "burst" not in found


def test_a_byte_identical_copy_is_an_exact_duplicate(library, tmp_path):
    folder = tmp_path / "Pictures"
    save(scene(4), folder / "a.jpg")
    (folder / "backup").mkdir()
    shutil.copy(folder / "a.jpg", folder / "backup" / "a.jpg")
    save(scene(5), folder / "b.jpg")
    index(library, folder)
    (group,) = group_views(library.db)
    assert group.kind == "exact"
    assert sorted(Path(p.path).parent.name for p in group.photos) == ["Pictures", "backup"]
    assert "identical copy" in next(p.why for p in group.photos if not p.keep)


def test_the_original_beats_a_smaller_copy_and_a_rated_photo_is_kept(library, tmp_path):
    folder = tmp_path / "Pictures"
    image = scene(6, (800, 600))
    big = save(image, folder / "camera.jpg")
    small = save(image.resize((400, 300)), folder / "chat" / "small.jpg")
    index(library, folder)
    (group,) = group_views(library.db)
    assert Path(group.keeper.path) == big
    assert "largest" in group.keeper.why
    assert "smaller copy (400×300)" in next(p.why for p in group.photos if not p.keep)

    organize.set_rating(library.db, [photo_id(library, small)], 4)
    index(library, folder)  # the grouping runs again after each index run
    (group,) = group_views(library.db)
    assert Path(group.keeper.path) == small
    assert "rated ★★★★" in group.keeper.why


def test_the_sharp_shot_wins_and_an_edit_is_not_called_worse(library, tmp_path):
    folder = tmp_path / "Pictures"
    image = scene(7)
    sharp = save(image, folder / "sharp.jpg")
    save(blurred(image), folder / "blurred.jpg")
    index(library, folder)
    (group,) = group_views(library.db)
    assert Path(group.keeper.path) == sharp and "sharpest" in group.keeper.why

    other = tmp_path / "Edits"
    original = save(scene(8), other / "original.jpg")
    from PIL import ImageEnhance

    edit = save(ImageEnhance.Color(Image.open(original)).enhance(1.3), other / "original-edit.jpg")
    os.utime(edit, (original.stat().st_mtime + 3600,) * 2)
    index(library, other)
    edits = next(g for g in group_views(library.db) if Path(g.keeper.path).parent == other)
    for member in edits.photos:
        assert not any(word in member.why for word in ("blurrier", "too bright", "too dark", "smaller"))
    assert Path(edits.keeper.path) == edit  # same quality: the newer version, the user's edit


def test_burst_shots_are_grouped_as_a_burst_not_as_duplicates(library, tmp_path):
    folder = tmp_path / "Pictures"
    wide = scene(9, (900, 480))
    t = datetime(2023, 5, 1, 12, 0, 0)
    for i, x in enumerate((0.0, 0.15, 0.3)):
        # the camera moves a little between shots, one second apart
        save(crop(wide, 0.8, x, 0.5), folder / f"burst{i}.jpg", taken=t.replace(second=i))
    save(crop(wide, 0.8, 1.0, 0.5), folder / "later.jpg", taken=t.replace(hour=15))
    index(library, folder)
    found = groups_by_kind(library)
    assert found.get("burst") == [{"burst0.jpg", "burst1.jpg", "burst2.jpg"}]
    assert "near" not in found and "exact" not in found


def test_the_keeper_inherits_marks_before_the_others_go_to_the_trash(library, tmp_path):
    folder = tmp_path / "Pictures"
    image = scene(10, (800, 600))
    keeper = save(image, folder / "camera.jpg")
    copy = save(image.resize((400, 300)), folder / "copy.jpg")
    index(library, folder)
    keep_id, copy_id = photo_id(library, keeper), photo_id(library, copy)

    organize.set_rating(library.db, [copy_id], 5)
    organize.set_favorite(library.db, [copy_id], True)
    album = organize.create_album(library.db, "Holiday")
    organize.add_to_album(library.db, album, [copy_id])
    from photoorg.tags.store import add_tag, tags_of_photo

    add_tag(library.db, [copy_id], "grandma's garden")
    person = _named_face(library, copy_id, "Aunt Mary")

    decisions = cleanup.suggested_decisions(library.db)
    assert decisions == [cleanup.Decision(keep_id, (copy_id,))]
    assert cleanup.space_freed(library.db, decisions) == (1, copy.stat().st_size)
    result = cleanup.clean_up(library.db, decisions)

    assert result.trashed == [str(copy)] and not copy.exists() and keeper.exists()
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert [p.name for p in trash.iterdir()] == ["copy.jpg"]
    from photoorg.store.schema import AlbumPhoto, Face, Photo

    with library.db.session() as s:
        kept = s.get(Photo, keep_id)
        assert (kept.rating, kept.favorite) == (5, True)
        assert s.get(AlbumPhoto, (album, keep_id)) is not None
        assert s.get(Photo, copy_id).missing_since is not None  # restorable, not deleted
        assert [f.person_id for f in s.query(Face).filter(Face.photo_id == keep_id)] == [person]
    assert "grandma's garden" in {t["name"] for t in tags_of_photo(library.db, keep_id)}
    assert group_views(library.db) == []  # the trashed copy leaves its group


def _named_face(library, photo: int, name: str) -> int:
    from photoorg.store.schema import ASSIGNED_USER, Face, Person

    now = datetime.now()
    with library.db.transaction() as s:
        person = Person(name=name, hidden=False, created_at=now, updated_at=now)
        s.add(person)
        s.flush()
        s.add(
            Face(
                photo_id=photo,
                x=10,
                y=10,
                w=50,
                h=50,
                descriptor=np.ones(128, dtype=np.float32) / 11.3,
                landmarks=None,
                quality=0.8,
                detector="hog",
                person_id=person.id,
                assigned_by=ASSIGNED_USER,
                created_at=now,
            )
        )
        return person.id


def test_keep_all_is_remembered(library, tmp_path):
    folder = tmp_path / "Pictures"
    image = scene(11)
    save(image, folder / "a.jpg")
    save(image.resize((320, 240)), folder / "b.jpg")
    index(library, folder)
    (group,) = group_views(library.db)
    cleanup.keep_all(library.db, group.ids)
    assert group_views(library.db) == []
    index(library, folder)
    assert group_views(library.db) == []


def test_cli_json_has_the_documented_shape_and_trash_suggested_asks_first(
    capsys, library, library_dir, tmp_path
):
    folder = tmp_path / "Pictures"
    image = scene(12, (800, 600))
    save(image, folder / "big.jpg")
    small = save(image.resize((400, 300)), folder / "small.jpg")
    index(library, folder)

    groups = run_cli_json(capsys, "duplicates", "--library", library_dir)
    assert [set(g) for g in groups] == [{"kind", "photos"}]
    assert groups[0]["kind"] == "near"
    photos = groups[0]["photos"]
    assert [set(p) for p in photos] == [{"path", "score", "keep", "why"}] * 2
    assert [p["keep"] for p in photos] == [True, False] and photos[0]["score"] == 1.0
    assert photos[1]["path"] == str(small) and isinstance(photos[1]["why"], str)

    code, _out, err = run_cli(capsys, "duplicates", "--trash-suggested", "--library", library_dir)
    assert code != 0 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert small.exists()
    moved = run_cli_json(capsys, "duplicates", "--trash-suggested", "--yes", "--library", library_dir)
    assert moved["trashed"] == [str(small)] and moved["freed_bytes"] > 0
    assert not small.exists()


def test_is_blurry_and_is_dark_filter_the_library(library, tmp_path):
    folder = tmp_path / "Pictures"
    save(scene(13), folder / "sharp.jpg")
    save(blurred(scene(14), 6), folder / "soft.jpg")
    save(Image.eval(scene(15), lambda v: v // 8), folder / "night.jpg")
    index(library, folder)

    def names(query: str) -> list[str]:
        filters = parse_query(query).filters
        return sorted(Path(h.path).name for h in library.search.browse(filters))

    assert names("is:blurry") == ["soft.jpg"]
    assert names("is:dark") == ["night.jpg"]
    assert names("-is:blurry") == ["night.jpg", "sharp.jpg"]
    assert names("is:favorite") == []  # the core's value still works
    assert parse_query("is:blurry").filters.extra == {"duplicates": {"blurry": True}}
    assert SearchFilters().extra == {}


# -- units ------------------------------------------------------------------------------


def test_multi_index_hashing_finds_exactly_the_pairs_within_the_radius():
    rng = np.random.default_rng(0)
    base = rng.integers(-(2**63), 2**63 - 1, 400, dtype=np.int64)
    noisy = base.copy()
    for i in range(0, 400, 2):  # half of them get a near twin, 0-7 bits off
        for bit in rng.choice(64, rng.integers(0, 8), replace=False):
            noisy[i] ^= np.int64(1) << np.int64(bit) if bit < 63 else np.int64(-(2**63))
    hashes = np.concatenate([base, noisy])
    index = HashIndex(hashes)
    qi, ti, _ = index.search(hashes, 7, index.guaranteed_flips(7))
    found = {(int(a), int(b)) for a, b in zip(qi, ti) if a < b}
    u = hashes.view(np.uint64)
    brute = {(a, b) for a in range(len(u)) for b in np.flatnonzero(popcount64(u[a] ^ u) <= 7) if a < b}
    assert found == brute and len(brute) >= 200


def test_grouping_a_large_library_never_compares_all_pairs():
    n = 50_000  # all pairs would be 1.25e9 comparisons; the test would time out
    rng = np.random.default_rng(1)
    rand = lambda *s: rng.integers(-(2**63), 2**63 - 1, size=s, dtype=np.int64)  # noqa: E731
    hashes = Hashes(rand(n, 8), rand(n, 8), rand(n, 9), rand(n, 9))
    hashes.phash[1, 0] = hashes.phash[0, 0] ^ 0b1011
    hashes.dhash[1, 0] = hashes.dhash[0, 0]
    groups = find_groups(hashes, [None] * n, np.full(n, np.nan))
    assert [g.rows for g in groups] == [(0, 1)]


def test_sharpness_is_not_fooled_by_noise():
    rng = np.random.default_rng(2)
    clean = scene(16)
    soft_noisy = np.asarray(blurred(clean, 2.5), dtype=np.float32) + rng.normal(0, 12, (480, 640, 1))
    soft_noisy = Image.fromarray(np.clip(soft_noisy, 0, 255).astype(np.uint8))
    grey = lambda im: np.asarray(im.convert("L"), dtype=np.float32)  # noqa: E731
    # The plain Laplacian calls the noisy, soft photo the sharper one...
    assert laplacian_variance(grey(soft_noisy)) > laplacian_variance(grey(clean))
    # ...the noise-corrected measure does not.
    assert measure(soft_noisy).sharpness < measure(clean).sharpness
    assert measure(soft_noisy).noise > measure(clean).noise


def test_eye_aspect_ratio_tells_open_from_closed_eyes():
    def face(opening: float) -> list[tuple[float, float]]:
        points = [(0.0, 0.0)] * 68
        for start, x0 in ((36, 0.0), (42, 50.0)):
            points[start] = (x0, 0.0)
            points[start + 3] = (x0 + 30, 0.0)
            points[start + 1], points[start + 2] = (x0 + 10, -opening), (x0 + 20, -opening)
            points[start + 5], points[start + 4] = (x0 + 10, opening), (x0 + 20, opening)
        return points

    assert eye_aspect_ratio(face(5.0)) == pytest.approx(1 / 3)
    assert eye_aspect_ratio(face(0.5)) < 0.2
    assert eye_aspect_ratio([(0.0, 0.0)] * 5) is None  # the 5-point layout has no eyelids


def test_groups_are_stored_in_the_capabilitys_own_schema(library):
    assert library.db.get_setting("schema.duplicates") == 1
    with library.db.session() as s:
        assert store.load_groups(s) == []


def test_show_and_index_report_the_quality_and_the_groups(capsys, library, library_dir, tmp_path):
    folder = tmp_path / "Pictures"
    image = scene(17)
    save(image, folder / "a.jpg")
    small = save(image.resize((320, 240)), folder / "b.jpg")
    root = folder
    from photoorg.duplicates.stage import DuplicatesStage
    from photoorg.roots import add_root

    add_root(library.db, root)
    indexer = library.indexer([DuplicatesStage()])
    for _ in indexer.run():
        pass
    assert indexer.summary.stages["duplicate-groups"] == {"done": 1, "failed": 0, "near": 1}
    assert indexer.summary.stages["duplicates"]["done"] == 2
    again = library.indexer([DuplicatesStage()])
    for _ in again.run():
        pass
    assert "duplicate-groups" not in again.summary.stages  # nothing changed: no regrouping
    shown = run_cli_json(capsys, "show", small, "--library", library_dir)
    assert shown["quality"]["blurry"] is False and 0 <= shown["quality"]["brightness"] <= 255
    assert shown["duplicates"] == {
        "kind": "near",
        "keep": False,
        "why": "smaller copy (320×240)",
        "group_size": 2,
    }
