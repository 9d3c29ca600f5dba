"""A weights file is loaded and tried on a probe before it becomes the
library's model; a bad one is refused (exit 1), the library keeps its model,
and no message repeats torch's advice to load with weights_only=False."""

from __future__ import annotations

import shutil

import pytest

from photoorg.library import Library
from tests.cli_helpers import index_with_tiny_model, run_cli, run_cli_json
from tests.helpers import TINY_ARCH, build_tiny_checkpoint


@pytest.fixture
def indexed(capsys, library_dir, photo_folder, tiny_weights):
    index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
    return library_dir


def _model_key(library_dir) -> str:
    with Library(library_dir) as library:
        return library.model_choice().key


def _garbage(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def _truncated(tmp_path, weights):
    path = tmp_path / "truncated.pt"
    path.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return path


def _with_nan(tmp_path, weights):
    import torch

    state = torch.load(weights, weights_only=True)
    state["text_projection"] = torch.full_like(state["text_projection"], float("nan"))
    path = tmp_path / "nan.pt"
    torch.save(state, path)
    return path


@pytest.mark.parametrize(
    "make,says",
    [
        (lambda tmp, w: _garbage(tmp), "not a PyTorch or safetensors checkpoint"),
        (_truncated, "damaged or incomplete"),
        (_with_nan, "not numbers"),
    ],
    ids=["garbage", "truncated", "nan"],
)
def test_a_bad_weights_file_is_refused_and_the_model_kept(
    make, says, capsys, indexed, tmp_path, tiny_weights
):
    before = _model_key(indexed)
    bad = make(tmp_path, tiny_weights)
    code, out, err = run_cli(capsys, "index", "--library", indexed, "--model", TINY_ARCH, "--weights", bad)
    assert code == 1 and out == ""
    assert f"Refused {bad.name}" in err and says in err, err
    assert "weights_only" not in err and "Traceback" not in err and "Model is now" not in err
    assert _model_key(indexed) == before
    # Search still ranks by meaning with the kept model.
    hits = run_cli_json(capsys, "search", "an orange sunset", "--library", indexed)
    assert hits and hits[0]["score"] is not None


def test_weights_of_another_architecture_are_refused(capsys, indexed, tiny_weights):
    before = _model_key(indexed)
    code, _, err = run_cli(
        capsys, "models", "get", "--library", indexed, "--model", "ViT-B-32", "--weights", tiny_weights
    )
    assert code == 1
    assert "do not fit this architecture" in err and "weights_only" not in err
    assert _model_key(indexed) == before


def test_the_same_weights_under_another_name_announce_nothing(capsys, indexed, tmp_path, tiny_weights):
    copy = tmp_path / "renamed.pt"
    shutil.copy(tiny_weights, copy)
    code, _, err = run_cli(capsys, "index", "--library", indexed, "--weights", copy)
    assert code == 0 and "Model is now" not in err and "analysed" not in err


def test_switching_back_needs_no_new_analysis(capsys, indexed, tmp_path, tiny_weights):
    other = build_tiny_checkpoint(tmp_path / "other", seed=1)
    code, _, err = run_cli(capsys, "index", "--library", indexed, "--weights", other)
    assert code == 0 and "5 photo(s) will be analysed" in err
    code, _, err = run_cli(capsys, "index", "--library", indexed, "--weights", tiny_weights)
    assert code == 0 and "Model is now" in err and "analysed" not in err


def test_models_get_adopts_a_good_file(capsys, library_dir, tiny_weights):
    result = run_cli_json(
        capsys, "models", "get", "--library", library_dir, "--model", TINY_ARCH, "--weights", tiny_weights
    )
    assert result["weights"] == str(tiny_weights)
    assert _model_key(library_dir).startswith(f"{TINY_ARCH}@sha256:")


def test_torch_advice_is_never_repeated():
    import pickle

    from photoorg.ml.clip import describe_load_error

    torch_text = (
        "Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will likely "
        "succeed, but it can result in arbitrary code execution."
    )
    for exc in (pickle.UnpicklingError(torch_text), RuntimeError(torch_text)):
        assert "weights_only" not in describe_load_error(exc)
