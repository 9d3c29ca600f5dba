"""Loading CLIP weights through the app's own path, and never silently without them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from photoorg.errors import ModelUnavailableError
from photoorg.ml.clip import ClipEncoder, resolve_weights
from photoorg.ml.registry import ModelChoice, parse_model_spec
from tests.helpers import TINY_ARCH, build_tiny_checkpoint


@pytest.fixture
def tiny(tiny_weights, library):
    library._register_configs()
    return ModelChoice(TINY_ARCH, None, str(tiny_weights), "x" * 64)


def _reference(weights, images, texts):
    import open_clip

    model, _, _ = open_clip.create_model_and_transforms(TINY_ARCH, pretrained=str(weights))
    model.eval()
    tokens = open_clip.get_tokenizer(TINY_ARCH)(texts)
    with torch.no_grad():
        return (
            torch.nn.functional.normalize(model.encode_image(images), dim=-1).numpy(),
            torch.nn.functional.normalize(model.encode_text(tokens), dim=-1).numpy(),
        )


def test_streamed_weights_match_open_clips_loader(tiny, tiny_weights, tmp_path):
    from safetensors.torch import save_file

    images = torch.randn(3, 3, 64, 64)
    texts = ["a dog on a beach", "snow", "a very long description " * 5]
    want_images, want_texts = _reference(tiny_weights, images, texts)
    state = torch.load(tiny_weights)
    as_safetensors = tmp_path / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, as_safetensors)
    for path in (tiny_weights, as_safetensors):
        encoder = ClipEncoder(tiny, path).load()
        np.testing.assert_allclose(encoder.encode_images(images), want_images, atol=1e-5)
        # The query encoder stops at end-of-text and may run in bfloat16; it
        # must agree with the full fp32 one.
        agreement = (encoder.encode_texts(texts) * want_texts).sum(axis=1)
        np.testing.assert_allclose(agreement, 1.0, atol=1e-3)
        assert encoder.dim == 32
    if torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        assert encoder._model.transformer.resblocks[0].mlp.c_fc.weight.dtype == torch.bfloat16
        assert encoder._model.visual.conv1.weight.dtype == torch.float32  # images stay fp32


def test_text_tower_falls_back_to_exact_fp32_when_bfloat16_disagrees(tiny, tiny_weights, monkeypatch):
    import photoorg.ml.clip as clip_module

    texts = ["a dog on a beach", "snow"]
    _, want_texts = _reference(tiny_weights, torch.zeros(1, 3, 64, 64), texts)
    monkeypatch.setattr(clip_module, "_BF16_AGREEMENT", 1.01)  # nothing agrees that well
    encoder = ClipEncoder(tiny, tiny_weights, image=False).load()
    weights = encoder._model.transformer.resblocks[0].mlp.c_fc.weight
    assert weights.dtype == torch.float32
    np.testing.assert_allclose(encoder.encode_texts(texts), want_texts, atol=1e-5)
    assert encoder._model.attn_mask.dtype == torch.float32


def test_image_only_encoder_gives_the_same_vectors_and_no_text(tiny, tiny_weights):
    images = torch.randn(2, 3, 64, 64)
    full = ClipEncoder(tiny, tiny_weights).load()
    image_only = ClipEncoder(tiny, tiny_weights, text=False).load()
    np.testing.assert_allclose(image_only.encode_images(images), full.encode_images(images), atol=1e-6)
    assert not any(name.startswith("transformer") for name, _ in image_only._model.named_parameters())
    with pytest.raises(RuntimeError):
        image_only.encode_texts(["x"])


def test_weights_of_another_model_are_refused_not_ignored(tiny, tmp_path):
    torch.save({"visual.proj": torch.zeros(3, 3)}, tmp_path / "wrong.pt")
    encoder = ClipEncoder(tiny, tmp_path / "wrong.pt")
    with pytest.raises(ModelUnavailableError, match="Could not load"):
        encoder.load()


def test_truncated_safetensors_is_an_error(tiny, tiny_weights, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "cut.safetensors"
    save_file({k: v.contiguous() for k, v in torch.load(tiny_weights).items()}, path)
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(ModelUnavailableError):
        ClipEncoder(tiny, path).load()


def test_two_seeds_give_different_vectors(tiny, tiny_weights, tmp_path):
    """The weights really come from the file: another file, other vectors."""
    other = build_tiny_checkpoint(tmp_path, seed=7)
    images = torch.randn(1, 3, 64, 64)
    a = ClipEncoder(tiny, tiny_weights).load().encode_images(images)
    b = ClipEncoder(tiny, other).load().encode_images(images)
    assert not np.allclose(a, b)


def test_missing_weights_file_is_explained(tmp_path):
    choice = ModelChoice("ViT-B-32", None, str(tmp_path / "gone.pt"), "0" * 64)
    with pytest.raises(ModelUnavailableError, match="is gone"):
        resolve_weights(choice)


def test_offline_and_not_cached_is_explained_without_network():
    with pytest.raises(ModelUnavailableError) as info:
        resolve_weights(ModelChoice("ViT-B-32", "laion2b_s34b_b79k"), allow_download=False)
    message = str(info.value)
    # One line with a way to act; where it looked is on the error (and in `photoorg status`).
    assert "ViT-B-32:laion2b_s34b_b79k" in message and "--weights" in message and "models get" in message
    assert "\n" not in message and info.value.cache_dir and info.value.reason


def test_model_spec_parsing():
    assert parse_model_spec("ViT-B-32:laion2b_s34b_b79k") == ("ViT-B-32", "laion2b_s34b_b79k")
    assert parse_model_spec("ViT-B-32") == ("ViT-B-32", "laion2b_s34b_b79k")
    from photoorg.errors import PhotoorgError

    with pytest.raises(PhotoorgError, match="Unknown model"):
        parse_model_spec("ViT-Q-99")
    with pytest.raises(PhotoorgError, match="no pretrained tag"):
        parse_model_spec("ViT-B-32:nonsense")
