"""Commands that need no model load none: each runs in a fresh interpreter and
must leave torch, open_clip, sentence-transformers, dlib, sklearn and scipy
unimported (they cost seconds to import, and `status` runs often)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import HEAVY_MODULES

PROBE = """
import json, sys
from photoorg.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in {heavy} if m in sys.modules)
sys.stdout.write("\\nPROBE " + json.dumps({{"code": code, "heavy": heavy}}) + "\\n")
"""

LIGHT_COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["show", "{photo}"],
    ["tags"],
    ["people"],
    ["groups"],
    ["albums"],
    ["roots"],
    ["rate", "4", "{photo}"],
    ["favorite", "{photo}"],
    ["trash", "--yes", "{other}"],
    ["doctor"],
]


@pytest.fixture(scope="module")
def indexed_library(tmp_path_factory, tiny_weights):
    """A library indexed with the tiny model: its weights are a file and its
    architecture a custom config, the case where status used to import open_clip."""
    from tests.helpers import install_tiny_config, make_photo

    root = tmp_path_factory.mktemp("light")
    library_dir = root / "library"
    install_tiny_config(library_dir)
    for i, name in enumerate(("a.jpg", "b.jpg", "c.jpg")):
        make_photo(root / "photos" / name, pattern=i, color=(40 * i, 90, 200))

        def readouterr(self):
            return "", ""

    from photoorg.cli.main import main

    assert main(["index", str(root / "photos"), "--library", str(library_dir), "--model",
                 "photoorg-test-tiny", "--weights", str(tiny_weights)]) == 0  # fmt: skip
    return library_dir, root / "photos"


@pytest.mark.parametrize("argv", LIGHT_COMMANDS, ids=" ".join)
def test_command_imports_no_model_library(argv, indexed_library, tmp_path):
    library_dir, photos = indexed_library
    words = [w.format(photo=photos / "a.jpg", other=photos / "c.jpg") for w in argv]
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(Path(__file__).parents[1]))
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY_MODULES), *words, "--library", str(library_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    probe = json.loads(result.stdout.rsplit("PROBE ", 1)[1])
    assert probe["code"] == 0, result.stderr
    assert probe["heavy"] == [], f"{' '.join(argv)} imported {probe['heavy']}"
    assert "Traceback" not in result.stderr


def test_the_probe_sees_an_import(indexed_library):
    """The check above can fail: a command that loads the model is caught."""
    library_dir, _ = indexed_library
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE.format(heavy=HEAVY_MODULES),
            "search",
            "a cat",
            "--library",
            str(library_dir),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1])),
        timeout=120,
    )
    probe = json.loads(result.stdout.rsplit("PROBE ", 1)[1])
    assert "torch" in probe["heavy"] and "open_clip" in probe["heavy"]
