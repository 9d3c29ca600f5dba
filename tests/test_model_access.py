"""Getting at the model: the cache is found with file checks alone, "no
network" is known in about a second, a failed download is not retried in the
same process, a search loads only the text tower, and a missing model is one
line with a way to act."""

from __future__ import annotations

import socket
import time

import pytest

from photoorg.errors import ModelUnavailableError
from photoorg.ml import weights
from photoorg.ml.registry import CURATED_MODELS
from tests.cli_helpers import index_with_tiny_model, run_cli


def test_the_known_hub_locations_match_open_clip():
    for model in CURATED_MODELS:
        assert weights.weights_source(model.arch, model.pretrained) == weights.open_clip_source(
            model.arch, model.pretrained
        )


def test_cached_weights_are_found_by_the_cache_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "hf_cache_dir", lambda: tmp_path)
    model = CURATED_MODELS[0]
    assert weights.find_cached_weights(model.arch, model.pretrained) is None
    repo = tmp_path / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    assert weights.find_cached_weights(model.arch, model.pretrained) is None  # no snapshot yet
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "open_clip_pytorch_model.bin").write_bytes(b"x")
    assert (
        weights.find_cached_weights(model.arch, model.pretrained) == snapshot / "open_clip_pytorch_model.bin"
    )
    (snapshot / "open_clip_model.safetensors").write_bytes(b"x")  # preferred
    assert weights.find_cached_weights(model.arch, model.pretrained).name == "open_clip_model.safetensors"


@pytest.fixture
def online_hub(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


def test_a_resolver_that_never_answers_is_given_up_on_fast(online_hub, monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(5)
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    started = time.monotonic()
    reason = weights.hub_unreachable_reason(timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert "no answer from the name server" in reason


def test_a_refused_connection_is_a_reason(online_hub, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(online_hub, "ENDPOINT", f"http://127.0.0.1:{port}")
    reason = weights.hub_unreachable_reason(timeout=0.5)
    assert reason and reason.startswith("can't reach 127.0.0.1")


def test_offline_setting_needs_no_network_at_all(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert weights.hub_unreachable_reason() == "HF_HUB_OFFLINE is set"


def test_a_failed_download_is_tried_once_per_process(monkeypatch):
    calls = []

    def fail(arch, tag, **kwargs):
        calls.append(arch)
        raise ModelUnavailableError("offline", reason="no network")

    monkeypatch.setattr(weights, "_download", fail)
    weights.forget_failed_downloads()
    try:
        for _ in range(3):  # stages and searches that need the model
            with pytest.raises(ModelUnavailableError):
                weights.download_once("ViT-B-32", "laion2b_s34b_b79k")
        assert calls == ["ViT-B-32"]
        # The user asks by name (a button, `photoorg models get`): it tries again.
        with pytest.raises(ModelUnavailableError):
            weights.download_weights("ViT-B-32", "laion2b_s34b_b79k")
        assert len(calls) == 2
    finally:
        weights.forget_failed_downloads()


def test_a_missing_model_is_one_line_with_a_way_to_act(capsys, library_dir, photo_folder):
    assert run_cli(capsys, "index", photo_folder, "--library", library_dir)[0] == 0
    code, _, err = run_cli(capsys, "search", "a dog on the beach", "--library", library_dir)
    assert code == 0
    notice = [line for line in err.splitlines() if "CLIP" in line]
    assert len(notice) == 1 and "photoorg models get" in notice[0] and "--weights FILE" in notice[0]
    assert "huggingface" not in err and "cache" not in err
    code, _, err = run_cli(capsys, "models", "get", "--library", library_dir)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_search_loads_only_the_text_tower(capsys, library_dir, photo_folder, tiny_weights):
    from photoorg.ml import clip

    index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
    clip.release_encoders()
    try:
        code, _, err = run_cli(capsys, "search", "an orange sunset", "--library", library_dir, "--json")
        assert code == 0, err
        (encoder,) = clip._encoders.values()
        assert encoder.has_text and not encoder.has_image
        assert not hasattr(encoder._model, "visual")
    finally:
        clip.release_encoders()
