"""Running the photoorg command in-process, as a user would type it."""

from __future__ import annotations

import json

from photoorg.cli.main import main

# Model libraries, and the media decoders (PyAV loads FFmpeg, rawpy LibRaw): the
# light commands need none of them.
HEAVY_MODULES = ("torch", "open_clip", "sentence_transformers", "dlib", "sklearn", "scipy", "av", "rawpy")


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Exit status, stdout and stderr; argparse's usage errors (SystemExit) included."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def run_cli_json(capsys, *args):
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def index_with_tiny_model(capsys, library_dir, folder, weights) -> dict:
    from tests.helpers import TINY_ARCH

    return run_cli_json(
        capsys, "index", folder, "--library", library_dir, "--model", TINY_ARCH, "--weights", weights
    )
