"""Videos: reading their metadata and frames with PyAV, indexing them with the
photos, searching them by scene, and bad or huge files recorded with reasons.
Every video is encoded by the test (tests/media_helpers.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageStat
from sqlalchemy import select

pytest.importorskip("av")

from photoorg.browse import counts, folder_tree, list_photos, rows_for_hits, timeline
from photoorg.organize import move_to_trash
from photoorg.pipeline.indexer import Indexer
from photoorg.roots import add_root
from photoorg.scan.imageio import ImageReadError
from photoorg.store.schema import PHOTO_FAILED, Photo
from photoorg.video import reader as video_reader
from photoorg.video import store
from photoorg.video.marks import LIVE_BADGE, duration_text, is_motion_photo_name
from photoorg.video.probe import VIDEO_FORMATS, capture_date, local_time, parse_location, parse_video_date
from photoorg.video.reader import FACTS_KEY, KEYFRAMES_KEY, POSTER_TIME_KEY, VideoReader
from tests.helpers import make_photo
from tests.media_helpers import BLUE, GREEN, RED, make_video

PARIS = {"creation_time": "2021-06-05T10:20:30.000000Z", "location": "+48.8584+002.2945/"}


def run_index(library, *roots):
    root_ids = [add_root(library.db, r)[0].id for r in roots] if roots else None
    indexer = library.indexer(library.build_stages())
    list(indexer.run(root_ids))
    return indexer.summary


def row(library, path) -> Photo:
    with library.db.session() as s:
        return s.scalar(select(Photo).where(Photo.path == str(path)))


# -- the container's tags ---------------------------------------------------------------


def test_video_dates_are_read_with_their_zone_and_blanks_refused():
    assert parse_video_date("2021-06-05T10:20:30.000000Z") == (datetime(2021, 6, 5, 10, 20, 30), 0, True)
    assert parse_video_date("2021-06-05T12:20:30+0200") == (datetime(2021, 6, 5, 12, 20, 30), 120, True)
    assert parse_video_date("2021-06-05 12:20") == (datetime(2021, 6, 5, 12, 20), None, False)
    for blank in ("1904-01-01T00:00:00.000000Z", "1970-01-01T00:00:00Z", "", "soon", "2021-13-40"):
        assert parse_video_date(blank)[0] is None, blank


def test_capture_date_prefers_apples_local_date_then_creation_time_then_the_stream():
    apple = {"com.apple.quicktime.creationdate": "2021-06-05T12:20:30+0200", **PARIS}
    assert capture_date(apple, {}) == (datetime(2021, 6, 5, 12, 20, 30), 120)
    # creation_time is UTC: shown in this machine's local time, with that offset
    expected = local_time(datetime(2021, 6, 5, 10, 20, 30))
    assert capture_date(PARIS, {}) == expected
    blank = {"creation_time": "1904-01-01T00:00:00.000000Z"}
    assert capture_date(blank, {"creation_time": "2021-06-05T10:20:30Z"}) == expected
    assert capture_date({"date": "2019-03-02"}, {}) == (datetime(2019, 3, 2), None)
    assert capture_date({}, {}) == (None, None)


def test_locations_in_iso6709_are_read_and_no_fix_is_no_place():
    assert parse_location("+48.8584+002.2945/") == (48.8584, 2.2945, None)
    assert parse_location("-33.8568+151.2153+012.500/") == (-33.8568, 151.2153, 12.5)
    for nothing in ("+00.0000+000.0000/", "+95.0+10.0/", "somewhere", None):
        assert parse_location(nothing) == (None, None, None)


# -- the reader ----------------------------------------------------------------------------


def test_reader_gives_duration_size_date_and_place(tmp_path):
    path = make_video(tmp_path / "clip.mp4", seconds=4, size=(160, 96), tags=PARIS)
    meta = VideoReader().read_metadata(str(path))
    assert (meta.format, meta.width, meta.height) == ("MP4", 160, 96)
    assert meta.taken_at == local_time(datetime(2021, 6, 5, 10, 20, 30))[0]
    assert (meta.gps_lat, meta.gps_lon) == (48.8584, 2.2945)
    assert meta.date_source == "exif"


def test_a_turned_phone_video_reports_its_displayed_size_and_decodes_upright(tmp_path):
    path = make_video(tmp_path / "portrait.mov", size=(160, 96), rotation=90)
    meta = VideoReader().read_metadata(str(path))
    assert (meta.width, meta.height) == (96, 160)
    image = VideoReader().decode(str(path), 64)
    assert image.height > image.width


def test_the_thumbnail_frame_is_not_the_black_first_frame(tmp_path):
    path = make_video(tmp_path / "fade-in.mp4", seconds=4, black_start=1.2)
    image = VideoReader().decode(str(path), 64)
    assert ImageStat.Stat(image.convert("L")).mean[0] > 40, "the black opening was picked"
    assert image.info[POSTER_TIME_KEY] >= 1.2
    assert image.info[FACTS_KEY].duration_s == pytest.approx(4, abs=0.2)


def test_keyframes_cover_the_scenes_with_their_times(tmp_path):
    path = make_video(tmp_path / "scenes.mp4", seconds=9, black_start=0, scenes=(RED, GREEN, BLUE))
    frames = VideoReader().decode(str(path), 32).info[KEYFRAMES_KEY]
    times = [t for t, _ in frames]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= 9
    dominant = set()
    for _, picture in frames:
        r, g, b = ImageStat.Stat(picture).mean
        dominant.add(int(np.argmax([r, g, b])))
    assert dominant == {0, 1, 2}, "every scene has a keyframe"


def test_a_broken_video_raises_a_readable_reason(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    with pytest.raises(ImageReadError, match="not a readable video"):
        VideoReader().read_metadata(str(bad))
    truncated = tmp_path / "truncated.mp4"
    whole = make_video(tmp_path / "whole.mp4", seconds=3).read_bytes()
    truncated.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(ImageReadError):
        VideoReader().decode(str(truncated), 64)


def test_decoding_stops_at_the_time_budget(tmp_path, monkeypatch):
    path = make_video(tmp_path / "slow.mp4", seconds=3)
    monkeypatch.setattr(video_reader, "TIME_BUDGET_S", 0.0)
    with pytest.raises(ImageReadError, match="longer than"):
        VideoReader().decode(str(path), 64)


# -- indexing ------------------------------------------------------------------------------


def test_videos_index_beside_photos_and_bad_or_huge_ones_are_recorded(tiny_model, tmp_path, monkeypatch):
    folder = tmp_path / "Videos"
    folder.mkdir()
    make_photo(folder / "photo.jpg")
    make_video(folder / "trip.mp4", seconds=6, tags=PARIS)
    (folder / "broken.mov").write_bytes(b"not a movie at all")
    make_video(folder / "huge.mkv", seconds=12, size=(320, 192))
    limit = (folder / "trip.mp4").stat().st_size + 1
    assert (folder / "huge.mkv").stat().st_size > limit
    monkeypatch.setattr(video_reader, "MAX_FILE_BYTES", limit)

    summary = run_index(tiny_model, folder)

    assert summary.failed == 2
    trip = row(tiny_model, folder / "trip.mp4")
    assert (trip.format, trip.width, trip.height, trip.gps_lat) == ("MP4", 160, 96, 48.8584)
    assert trip.taken_at == local_time(datetime(2021, 6, 5, 10, 20, 30))[0]
    broken, huge = row(tiny_model, folder / "broken.mov"), row(tiny_model, folder / "huge.mkv")
    assert broken.state == PHOTO_FAILED and "not a readable video" in broken.error
    assert huge.state == PHOTO_FAILED and "too large" in huge.error
    with tiny_model.db.session() as s:
        assert store.info_of(s, trip.id)["duration_s"] == pytest.approx(6, abs=0.2)
        model_id = tiny_model.search.vector_index().model_id
        frames = store.frames_of(s, trip.id, model_id)
    assert len(frames) >= 2
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)
    # The thumbnail exists: the grid shows videos like photos.
    assert tiny_model.thumbnails.path_for(trip.content_hash).is_file()


def test_search_finds_a_video_by_a_later_scene_and_points_at_its_time(tiny_model, tmp_path, monkeypatch):
    folder = tmp_path / "Videos"
    folder.mkdir()
    make_photo(folder / "photo.jpg", color=(120, 120, 120))
    make_video(folder / "scenes.mp4", seconds=9, black_start=0)
    run_index(tiny_model, folder)
    video = row(tiny_model, folder / "scenes.mp4")
    engine = tiny_model.search
    model_id = engine.vector_index().model_id
    with tiny_model.db.session() as s:
        frames = store.frames_of(s, video.id, model_id)
    last_time, last_vector = frames[-1]

    class QueryIsTheLastScene:  # stands in for the text tower: the query lands on one scene
        def encode_query(self, text):
            return last_vector

    monkeypatch.setattr(engine, "_encoder_for", lambda: QueryIsTheLastScene())
    results = engine.search("the last scene")
    assert results.hits[0].photo_id == video.id
    assert results.hits[0].at == last_time
    assert results.hits[0].as_dict()["time"] == round(last_time, 2)
    assert "time" not in next(h for h in results.hits if h.photo_id != video.id).as_dict()
    # The grid's tile says where: "0:09 · at 0:07"
    shown = rows_for_hits(tiny_model.db, results.hits)[0]
    assert shown.badge == f"{duration_text(9)} · at {duration_text(last_time)}"


def test_video_stages_never_make_photos_pending(tiny_model, tmp_path):
    folder = tmp_path / "Photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    run_index(tiny_model, folder)
    with tiny_model.db.session() as s:
        roots = list(s.scalars(select(Photo.root_id)))
        pending = s.scalars(Indexer._pending_query("video", "1", roots, VIDEO_FORMATS)).all()
        unfiltered = s.scalars(Indexer._pending_query("video", "1", roots)).all()
    assert pending == [] and len(unfiltered) == 1


# -- how videos show ----------------------------------------------------------------------


def test_duration_badges_and_live_photos_show_as_one_item(tiny_model, tmp_path):
    folder = tmp_path / "Phone"
    folder.mkdir()
    make_photo(folder / "IMG_0001.jpg")
    make_video(folder / "IMG_0001.MOV", seconds=2)  # the Live Photo's motion
    make_video(folder / "IMG_0002.MOV", seconds=75)  # a video of its own
    make_photo(folder / "PXL_20230101_101010123.MP.jpg")
    run_index(tiny_model, folder)

    rows = {r.name: r for r in list_photos(tiny_model.db)}
    assert "IMG_0001.MOV" not in rows
    live = rows["IMG_0001.jpg"]
    assert live.badge == LIVE_BADGE and live.motion == str(folder / "IMG_0001.MOV")
    assert rows["IMG_0002.MOV"].badge == "1:15"
    assert rows["PXL_20230101_101010123.MP.jpg"].badge == LIVE_BADGE
    # The sidebar counts items as the grid shows them: the Live Photo's video is inside it.
    assert counts(tiny_model.db)["all"] == len(rows) == 3
    assert [node.count for node in folder_tree(tiny_model.db)] == [3]
    assert sum(month.count for month in timeline(tiny_model.db)) == 3

    result = move_to_trash(tiny_model.db, [live.id])
    assert sorted(p.rsplit("/", 1)[1] for p in result.trashed) == ["IMG_0001.MOV", "IMG_0001.jpg"]


def test_duration_text():
    assert [duration_text(s) for s in (0, 4.4, 59.6, 75, 3725)] == ["0:00", "0:04", "1:00", "1:15", "1:02:05"]
    assert is_motion_photo_name("/a/MVIMG_20190101_120000.jpg")
    assert is_motion_photo_name("/a/PXL_20230101_101010123.MP.jpg")
    assert not is_motion_photo_name("/a/IMG_0001.jpg")


def test_a_motion_photos_appended_video_is_found_played_and_previewed(tmp_path):
    from photoorg.video.motion import embedded_video, playable_file, preview_frames

    clip = make_video(tmp_path / "clip.mp4", seconds=2, black_start=0).read_bytes()
    still = make_photo(tmp_path / "still.jpg").read_bytes()
    motion = tmp_path / "MVIMG_20200101_101010.jpg"
    motion.write_bytes(still + clip)  # what Google cameras write
    assert embedded_video(motion.read_bytes()) == clip
    assert embedded_video(still) is None

    played = playable_file(str(motion), tmp_path / "cache")
    assert Path(played).read_bytes() == clip
    assert playable_file(str(motion), tmp_path / "cache") == played  # written once
    frames = preview_frames(str(motion), 6, 64)
    assert 2 <= len(frames) <= 6 and max(frames[0].size) <= 64
    with pytest.raises(ImageReadError, match="no video"):
        playable_file(str(tmp_path / "still.jpg"), tmp_path / "cache")
