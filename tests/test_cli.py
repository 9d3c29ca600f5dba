"""The photoorg command as a user runs it: JSON shapes, messages, exit codes,
and a run killed midway that resumes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from photoorg.cli.main import main
from tests.helpers import TINY_ARCH, make_photo, shared_data


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, *args):
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def indexed(capsys, library_dir, photo_folder, tiny_weights):
    summary = cli_json(
        capsys,
        "index",
        photo_folder,
        "--library",
        library_dir,
        "--model",
        TINY_ARCH,
        "--weights",
        tiny_weights,
    )
    return summary


def test_index_json_summary(indexed):
    assert {"indexed", "unchanged", "moved", "missing", "failed", "seconds"} <= set(indexed)
    assert indexed["indexed"] == 5 and indexed["failed"] == 0
    assert indexed["stages"]["clip"]["done"] == 5


def test_search_uses_the_remembered_model_and_ranks_by_cosine(capsys, indexed, library_dir, tiny_weights):
    hits = cli_json(capsys, "search", "an orange sunset", "--library", library_dir, "--limit", 3)
    assert len(hits) == 3
    assert all(set(h) == {"path", "score"} for h in hits)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)

    # The ranking is open_clip's own cosine with the same checkpoint (to bf16
    # precision: the query tower runs in bfloat16 on CPUs that have it).
    import open_clip
    import torch

    from photoorg.library import Library

    with Library(library_dir) as library:
        library._register_configs()
        model, _, _ = open_clip.create_model_and_transforms(TINY_ARCH, pretrained=str(tiny_weights))
        tokens = open_clip.get_tokenizer(TINY_ARCH)(["an orange sunset"])
        with torch.no_grad():
            text = torch.nn.functional.normalize(model.encode_text(tokens), dim=-1)[0].numpy()
        index = library.search.vector_index()
        expected = sorted(((float(v @ text), i) for i, v in zip(*index.vectors())), reverse=True)[:3]
    assert [round(s, 4) for s, _ in expected] == pytest.approx(scores, abs=3e-3)


def test_search_filters(capsys, indexed, library_dir, photo_folder):
    hits = cli_json(capsys, "search", "photo", "--library", library_dir, "--camera", "canon")
    assert {os.path.basename(h["path"]) for h in hits} == {"beach.jpg", "sunset.jpg"}
    hits = cli_json(
        capsys, "search", "photo", "--library", library_dir, "--after", "2020", "--before", "2021-12"
    )
    assert {os.path.basename(h["path"]) for h in hits} == {"sunset.jpg"}
    hits = cli_json(capsys, "search", "photo", "--library", library_dir, "--folder", photo_folder / "2019")
    assert {os.path.basename(h["path"]) for h in hits} == {"beach.jpg", "forest.jpg"}
    hits = cli_json(capsys, "search", "photo camera:nikon", "--library", library_dir)
    assert [os.path.basename(h["path"]) for h in hits] == ["forest.jpg"]


def test_similar_finds_the_copy_first(capsys, indexed, library_dir, photo_folder, tiny_weights):
    shutil.copy(photo_folder / "2019" / "beach.jpg", photo_folder / "beach-copy.jpg")
    cli_json(capsys, "index", "--library", library_dir)
    hits = cli_json(capsys, "similar", photo_folder / "2019" / "beach.jpg", "--library", library_dir)
    assert hits[0]["path"] == str(photo_folder / "beach-copy.jpg")
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-4)
    assert str(photo_folder / "2019" / "beach.jpg") not in [h["path"] for h in hits]
    # An image from outside the library is embedded on the fly.
    outside = make_photo(photo_folder.parent / "elsewhere" / "x.jpg", color=(30, 120, 220), pattern=1)
    shutil.copy(photo_folder / "2019" / "beach.jpg", outside)
    hits = cli_json(capsys, "similar", outside, "--library", library_dir)
    assert os.path.basename(hits[0]["path"]) in ("beach.jpg", "beach-copy.jpg")


def test_show_json_has_the_documented_keys(capsys, indexed, library_dir, photo_folder):
    info = cli_json(capsys, "show", photo_folder / "2019" / "beach.jpg", "--library", library_dir)
    for key in (
        "path",
        "width",
        "height",
        "taken_at",
        "camera_make",
        "camera_model",
        "lens",
        "gps",
        "orientation",
        "format",
    ):
        assert key in info
    assert info["taken_at"] == "2019-07-14T16:30:05"
    assert info["gps"]["lat"] == pytest.approx(43.4674, abs=1e-3)
    assert info["camera_make"] == "Canon" and info["format"] == "JPEG"
    snow = cli_json(capsys, "show", photo_folder / "2021" / "snow.png", "--library", library_dir)
    assert snow["gps"] is None and snow["taken_at"] is None


def test_show_of_an_unknown_path_is_a_clear_error(capsys, library_dir, tmp_path):
    code, out, err = cli(capsys, "show", tmp_path / "nope.jpg", "--library", library_dir)
    assert code == 1 and out == ""
    assert "not in the library" in err and "Traceback" not in err


def test_status_json(capsys, indexed, library_dir, photo_folder):
    (photo_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    cli_json(capsys, "index", "--library", library_dir)
    status = cli_json(capsys, "status", "--library", library_dir)
    assert status["roots"][0]["path"] == str(photo_folder)
    assert status["counts"]["photos"] == 5
    assert status["stages"]["clip"] == {
        "version": status["model"]["key"],
        "done": 5,
        "failed": 0,
        "pending": 0,
        "state": "ready",
    }
    assert status["model"]["arch"] == TINY_ARCH and status["model"]["weights_available"]
    assert status["failed"] == [
        {"path": str(photo_folder / "broken.jpg"), "reason": status["failed"][0]["reason"], "kind": "failed"}
    ]
    assert status["failed"][0]["reason"]


def test_missing_weights_are_explained_everywhere(capsys, library_dir, photo_folder):
    code, out, err = cli(capsys, "index", photo_folder, "--library", library_dir, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["indexed"] == 5 and "clip" in summary["waiting"]
    assert "--weights" in err and "ViT-B-32" in err
    status = cli_json(capsys, "status", "--library", library_dir)
    assert status["stages"]["clip"]["state"] == "waiting for weights"
    code, out, err = cli(capsys, "search", "a dog", "--library", library_dir)
    assert code == 0  # answered from tags instead, and it says why
    assert "Can't rank by meaning" in err and "--weights" in err


def test_library_comes_from_the_environment(capsys, monkeypatch, tmp_path, photo_folder):
    monkeypatch.setenv("PHOTOORG_LIBRARY", str(tmp_path / "env-lib"))
    assert cli(capsys, "index", photo_folder, "--offline")[0] == 0
    assert (tmp_path / "env-lib" / "library.db").is_file()


def test_no_folders_yet_is_explained(capsys, library_dir):
    code, _, err = cli(capsys, "index", "--library", library_dir)
    assert code == 1 and "no folders yet" in err


def test_index_of_the_shared_camera_samples_is_clean(capsys, library_dir):
    samples = shared_data("exif-samples")
    summary = cli_json(capsys, "index", samples, "--library", library_dir)
    assert summary["indexed"] >= 100
    status = cli_json(capsys, "status", "--library", library_dir)
    # Every file is accounted for: indexed, or failed with a reason.
    images = [p for p in samples.rglob("*") if p.is_file() and p.name != "README"]
    assert status["counts"]["photos"] + status["counts"]["failed"] == len(images)
    assert all(item["reason"] for item in status["failed"])


def _embedded(library_dir) -> int:
    try:
        con = sqlite3.connect(f"file:{library_dir / 'library.db'}?mode=ro", uri=True, timeout=5)
        return con.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_run_resumes_where_it_stopped(library_dir, tmp_path, tiny_weights):
    folder = tmp_path / "many"
    total = 240
    for i in range(total):
        make_photo(folder / f"p{i:03d}.jpg", size=(1200, 900), pattern=i, color=(i % 255, 90, 200))
    command = [
        sys.executable,
        "-m",
        "photoorg",
        "index",
        str(folder),
        "--library",
        str(library_dir),
        "--model",
        TINY_ARCH,
        "--weights",
        str(tiny_weights),
        "--workers",
        "1",
        "--threads",
        "1",
        "--json",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _embedded(library_dir) < 64 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    done_before = _embedded(library_dir)
    assert 64 <= done_before < total, "the run must be killed midway"

    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stages"]["clip"]["done"] == total - done_before
    assert _embedded(library_dir) == total
    con = sqlite3.connect(library_dir / "library.db")
    vectors = [np.frombuffer(v, dtype="<f4") for (v,) in con.execute("SELECT vector FROM embeddings")]
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors)
    assert con.execute("SELECT count(*) FROM photos").fetchone()[0] == total
