"""CLIP image and text encoders on open_clip, with an explicit lifecycle.

An encoder loads lazily under a lock, stays loaded for the life of the process
(the text model must answer each search in milliseconds) and can be released.
Weights always come from a file that was found or downloaded first; open_clip
loads it strictly, so a wrong or partial file is an error, never random weights.

Longer than most modules: the encoder's lifecycle, streaming weights into
the model, preprocessing and both towers belong to one object.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import sys
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from photoorg.errors import ModelUnavailableError, PhotoorgError
from photoorg.memory import freeze_long_lived
from photoorg.ml.device import choose_device, configure_torch_threads
from photoorg.ml.registry import ModelChoice
from photoorg.ml.weights import (
    ProgressCallback,
    download_once,
    find_cached_weights,
    hf_cache_dir,
    unavailable_message,
)
from photoorg.progress import CancelToken


class ClipEncoder:
    def __init__(
        self,
        choice: ModelChoice,
        weights_path: Path,
        device: str = "cpu",
        threads: int | None = None,
        *,
        text: bool = True,
        image: bool = True,
    ):
        self.choice = choice
        # Indexing needs only the image tower, tagging only the text tower:
        # leaving the other out saves its memory (~250 MB text, ~350 MB image
        # for ViT-B-32).
        self.has_text = text
        self.has_image = image
        self.weights_path = Path(weights_path)
        self.device = device
        self.threads = threads
        self._lock = threading.Lock()
        self._model = None
        self._preprocess = None
        self._tokenizer = None
        self._dtype = None
        self._encode_text = None
        self._dim: int | None = None
        self._per_thread = threading.local()
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    # -- lifecycle -----------------------------------------------------------

    def load(self) -> ClipEncoder:
        with self._lock:
            if self._model is None:
                self._load()
        return self

    def _load(self) -> None:
        import open_clip  # lazy: open_clip imports torch (seconds); only model work needs it
        import torch  # lazy: torch takes seconds to import; only model work needs it

        freeze_long_lived("torch imported")  # before the first model; see memory.py

        tag_cfg = (
            open_clip.get_pretrained_cfg(self.choice.arch, self.choice.pretrained)
            if self.choice.pretrained
            else {}
        )
        precision = "fp16" if self.device.startswith("cuda") else "fp32"
        build = {
            "force_quick_gelu": bool(tag_cfg.get("quick_gelu", False)),
            "image_mean": tag_cfg.get("mean"),
            "image_std": tag_cfg.get("std"),
            "image_interpolation": tag_cfg.get("interpolation"),
            "image_resize_mode": tag_cfg.get("resize_mode"),
        }
        drop = (() if self.has_text else _TEXT_PARTS) + (() if self.has_image else _IMAGE_PARTS)
        try:
            # Memory: the model is built without storage and only the towers
            # kept get any, filled from the file tensor by tensor. Building it
            # the usual way allocates randomly initialised weights for both
            # towers first, and open_clip's loader then holds the whole
            # checkpoint beside the model: twice the weights at peak.
            built = _empty_model(self.choice.arch, build, drop)
            if built is not None and _stream_weights(built[0], self.weights_path):
                model, preprocess = built
            else:
                with _quiet_random_init_warning():
                    model, _, preprocess = open_clip.create_model_and_transforms(
                        self.choice.arch, pretrained=None, **build
                    )
                _drop_parts(model, drop)
                if not _stream_weights(model, self.weights_path):
                    # Other layouts (OpenAI, timm, big_vision) need open_clip's
                    # conversions; it loads strictly, so a wrong file is an error.
                    open_clip.load_checkpoint(model, str(self.weights_path), strict=True)
            if precision == "fp16":
                model = model.half()
            model = model.to(self.device)
            tokenizer = open_clip.get_tokenizer(self.choice.arch)
        except Exception as exc:
            reason = describe_load_error(exc)
            raise ModelUnavailableError(
                f"Could not load {self.choice.label} from {self.weights_path}: {reason}. "
                "Pass the right architecture with --model ARCH or another file with --weights FILE.",
                model_key=self.choice.key,
                reason=reason,
            ) from None  # torch's text advises weights_only=False: never show it
        model.eval()
        model = _reparameterize(model)
        self._model, self._preprocess, self._tokenizer = model, preprocess, tokenizer
        self._dtype = torch.float16 if precision == "fp16" else torch.float32
        if self.has_text:
            short = _short_text_encoder(model, tokenizer)
            if short is not None and self.device == "cpu":
                _text_tower_to_bfloat16(model, tokenizer, short)
            self._encode_text = short or model.encode_text

    def release(self) -> None:
        with self._lock:
            self._model = self._preprocess = self._tokenizer = None
            self._text_cache.clear()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    # -- properties the pipeline needs ----------------------------------------

    @property
    def preprocess(self):
        self.load()
        return self._preprocess

    @property
    def image_tower(self):
        """The image tower module (fp32 on the CPU), for exporting it to
        another runtime (ml/onnx_image.py)."""
        self.load()
        return self._model.visual

    @property
    def image_size(self) -> int:
        self.load()
        size = getattr(self._model.visual, "image_size", 224)
        return int(max(size) if isinstance(size, (tuple, list)) else size)

    @property
    def logit_scale(self) -> float:
        """The temperature the model was trained with (100 for OpenCLIP models)."""
        self.load()
        scale = getattr(self._model, "logit_scale", None)
        return float(scale.detach().exp()) if scale is not None else 100.0

    @property
    def dim(self) -> int:
        if self._dim is None:
            if not self.has_image:
                self._dim = int(self.encode_texts(["a photo"]).shape[1])
            else:
                import torch  # lazy: torch takes seconds to import; only model work needs it

                size = self.image_size
                self._dim = int(self.encode_images(torch.zeros(1, 3, size, size)).shape[1])
        return self._dim

    # -- encoding ------------------------------------------------------------

    def _use_threads(self, count: int | None) -> None:
        # torch's CPU thread count is per calling thread (OpenMP), so it is set
        # in whichever thread encodes, once.
        if self.device != "cpu" or getattr(self._per_thread, "threads", None) == count:
            return
        configure_torch_threads(count)
        self._per_thread.threads = count

    def encode_images(self, batch) -> np.ndarray:
        """A preprocessed (N, 3, H, W) tensor -> (N, D) L2-normalised float32."""
        import torch  # lazy: torch takes seconds to import; only model work needs it

        self.load()
        self._use_threads(self.threads)
        with torch.inference_mode():
            features = self._model.encode_image(batch.to(self.device, dtype=self._dtype))
            features = torch.nn.functional.normalize(features.float(), dim=-1)
        return features.cpu().numpy().astype(np.float32, copy=False)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        import torch  # lazy: torch takes seconds to import; only model work needs it

        self.load()
        if not self.has_text:
            raise RuntimeError("this encoder was loaded without its text tower")
        # A query is a handful of tokens: waking a second thread costs more
        # than it saves (measured: 29 ms on one thread, ~70 ms on two).
        self._use_threads(1 if len(texts) <= 4 else self.threads)
        with torch.inference_mode():
            tokens = self._tokenizer(texts).to(self.device)
            features = self._encode_text(tokens)
            features = torch.nn.functional.normalize(features.float(), dim=-1)
        return features.cpu().numpy().astype(np.float32, copy=False)

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, remembered: people refine and repeat searches."""
        key = text.strip()
        cached = self._text_cache.get(key)
        if cached is not None:
            self._text_cache.move_to_end(key)
            return cached
        vector = self.encode_texts([key])[0]
        self._text_cache[key] = vector
        if len(self._text_cache) > 256:
            self._text_cache.popitem(last=False)
        return vector


def _short_text_encoder(model, tokenizer):
    """A text encoder that runs only up to the end-of-text token.

    CLIP's text tower is causal and reads its output at the end-of-text token,
    so the padding after it (77 positions for a 5-word query) can't change the
    result. Skipping it makes a query ~8x cheaper on the CPU, which is most of
    a search's latency. The shortcut is used only if it reproduces the full
    encoder's output on a probe; otherwise the full encoder is used.
    """
    import torch  # lazy: torch takes seconds to import; only model work needs it

    tower = _text_tower(model)
    needed = (
        "token_embedding",
        "positional_embedding",
        "transformer",
        "ln_final",
        "attn_mask",
        "text_projection",
    )
    if not all(hasattr(tower, name) for name in needed) or tower.attn_mask is None:
        return None
    pool = getattr(tower, "text_pool_type", None) or getattr(tower, "pool_type", None)
    if pool != "argmax" or getattr(tower, "cls_emb", None) is not None:
        return None

    def encode(tokens):
        length = int(tokens.argmax(dim=-1).max()) + 1
        tokens = tokens[:, :length]
        cast = tower.transformer.get_cast_dtype()
        x = tower.token_embedding(tokens).to(cast) + tower.positional_embedding[:length].to(cast)
        x = tower.transformer(x, attn_mask=tower.attn_mask[:length, :length])
        x = tower.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
        projection = tower.text_projection
        return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection

    try:
        with torch.inference_mode():
            probe = tokenizer(["a photo of a dog on the beach", "sunset"]).to(next(model.parameters()).device)
            full = model.encode_text(probe).float()
            short = encode(probe).float()
        if torch.allclose(full, short, atol=1e-3, rtol=1e-3):
            return encode
    except Exception:
        pass
    return None


def _text_tower(model):
    return model.text if not hasattr(model, "token_embedding") and hasattr(model, "text") else model


_BF16_AGREEMENT = 0.999  # cosine between a query's bf16 and fp32 vectors


def _text_tower_to_bfloat16(model, tokenizer, encode) -> bool:
    """Run the text tower in bfloat16 where the CPU computes it natively.

    A query's latency is reading the tower's weights from memory (~150 MB for
    ViT-B-32 on every search); half the bytes make it about twice as fast
    (measured 35 -> 20 ms a query). The vectors agree with fp32 to a cosine
    of 0.9999; the switch is kept only if they agree on a probe, else the
    fp32 weights are put back.
    """
    import torch  # lazy: torch takes seconds to import; only model work needs it

    try:
        if not (torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
            return False
    except (AttributeError, RuntimeError):
        return False
    tower = _text_tower(model)
    probe = tokenizer(["a photo of a dog on the beach", "sunset", "grandma's birthday cake"])
    parameters = [
        tensor
        for name in ("token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection")
        for tensor in _tensors_of(getattr(tower, name, None))
        if tensor.is_floating_point()
    ]
    with torch.inference_mode():
        reference = encode(probe).float()
    backup = [tensor.data for tensor in parameters]
    mask = getattr(tower, "attn_mask", None)
    with torch.no_grad():
        for tensor in parameters:
            tensor.data = tensor.data.to(torch.bfloat16)
        if mask is not None:
            tower.attn_mask = mask.to(torch.bfloat16)
    try:
        with torch.inference_mode():
            agreement = torch.nn.functional.cosine_similarity(encode(probe).float(), reference).min()
        if float(agreement) >= _BF16_AGREEMENT:
            return True
    except RuntimeError:
        pass
    with torch.no_grad():
        for tensor, data in zip(parameters, backup, strict=True):
            tensor.data = data
        if mask is not None:
            tower.attn_mask = mask
    return False


def _tensors_of(part) -> list:
    import torch  # lazy: torch takes seconds to import; only model work needs it

    if part is None:
        return []
    if isinstance(part, torch.nn.Module):
        return [*part.parameters(), *part.buffers()]
    return [part]


def _reparameterize(model):
    """MobileCLIP's towers train with branches that fold into one conv for
    inference (~30% faster on the CPU). Other models have nothing to fold."""
    if not any(hasattr(module, "reparameterize") for module in model.modules()):
        return model
    try:
        from timm.utils.model import reparameterize_model  # lazy: timm imports torch; optional
    except ImportError:
        return model
    try:
        return reparameterize_model(model, inplace=True)
    except Exception:
        return model


_TEXT_PARTS = (
    "text",
    "transformer",
    "token_embedding",
    "positional_embedding",
    "ln_final",
    "text_projection",
)


_IMAGE_PARTS = ("visual",)


def _empty_model(arch: str, build: dict, drop: tuple[str, ...]):
    """The model with storage only for the kept towers, uninitialised; None
    when it holds state the file does not (then the ordinary path is taken).

    The only such state open_clip's CLIP models have is the text tower's
    causal attention mask, which is rebuilt here as open_clip builds it.
    """
    import open_clip  # lazy: open_clip imports torch (seconds); only model work needs it
    import torch  # lazy: torch takes seconds to import; only model work needs it

    try:
        with torch.device("meta"), _quiet_random_init_warning():
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=None, device="meta", **build
            )
    except Exception:
        return None
    _drop_parts(model, drop)
    unsaved = {name for name, _ in model.named_buffers()} - set(model.state_dict())
    if unsaved - {"attn_mask"}:
        return None
    model = model.to_empty(device="cpu")
    if "attn_mask" in unsaved:
        size = model.attn_mask.shape[0]
        model.attn_mask = torch.empty(size, size).fill_(float("-inf")).triu_(1)
    return model, preprocess


def _drop_parts(model, names) -> None:
    for name in names:
        if name in model._modules or name in model._parameters:
            delattr(model, name)


def _stream_weights(model, path: Path) -> bool:
    """Copy a checkpoint into the model one tensor at a time.

    Returns False, having changed nothing, unless the file holds exactly the
    model's tensors under the model's names and shapes (open_clip's own format,
    which is what the Hugging Face hub serves); the caller then falls back.
    """
    import torch  # lazy: torch takes seconds to import; only model work needs it

    expected = model.state_dict()
    if path.suffix == ".safetensors":
        return _read_safetensors_into(expected, path)
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return False
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not _keys_match(set(expected), set(state)):
        return False
    if any(getattr(state[k], "shape", None) != expected[k].shape for k in expected):
        return False
    with torch.no_grad():
        for key in expected:
            expected[key].copy_(state.pop(key))
    return True


def _keys_match(model_keys: set[str], file_keys: set[str]) -> bool:
    """The file has every tensor of the model; extra ones are allowed only for
    a tower the encoder left out."""
    if not model_keys <= file_keys:
        return False
    extra = file_keys - model_keys
    return all(key.split(".", 1)[0] in (*_TEXT_PARTS, *_IMAGE_PARTS) for key in extra)


_SAFETENSORS_DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


def _read_safetensors_into(expected: dict, path: Path) -> bool:
    """Fill tensors from a .safetensors file with plain reads.

    The safetensors library maps the whole file into memory, and a mapped page
    counts as the process's own once read: loading ViT-B-32 that way peaks at
    weights x 2. Plain reads go through the page cache instead, which the
    kernel can drop, so the peak is the model plus one tensor.
    """
    import torch  # lazy: torch takes seconds to import; only model work needs it

    if sys.byteorder != "little":
        return False
    with open(path, "rb") as handle:
        header_size = int.from_bytes(handle.read(8), "little")
        if not 0 < header_size < 100_000_000:
            return False
        header = json.loads(handle.read(header_size))
        header.pop("__metadata__", None)
        if not _keys_match(set(expected), set(header)):
            return False
        header = {key: header[key] for key in expected}
        for key, info in header.items():
            if info.get("dtype") not in _SAFETENSORS_DTYPES or tuple(info["shape"]) != tuple(
                expected[key].shape
            ):
                return False
        base = 8 + header_size
        with torch.no_grad():
            for key, info in header.items():
                begin, end = info["data_offsets"]
                handle.seek(base + begin)
                dtype = getattr(torch, _SAFETENSORS_DTYPES[info["dtype"]])
                target = expected[key]
                if target.dtype == dtype and target.is_contiguous() and target.device.type == "cpu":
                    view = target.detach().reshape(-1).view(torch.uint8).numpy()
                    if handle.readinto(memoryview(view)) != end - begin:
                        raise ValueError(f"{path} is truncated at {key}")
                else:
                    data = bytearray(end - begin)
                    if handle.readinto(data) != len(data):
                        raise ValueError(f"{path} is truncated at {key}")
                    target.copy_(torch.frombuffer(data, dtype=dtype).reshape(target.shape))
    return True


class _quiet_random_init_warning:
    """open_clip logs "No pretrained weights loaded" for a model built empty,
    which is what photoorg does before loading the weights itself."""

    class _Filter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "No pretrained weights loaded" not in record.getMessage()

    def __enter__(self):
        self._filter = self._Filter()
        logging.getLogger().addFilter(self._filter)

    def __exit__(self, *exc):
        logging.getLogger().removeFilter(self._filter)


def describe_load_error(exc: BaseException) -> str:
    """Why a weights file could not be loaded, in words a user can act on.

    Never torch's own text when it is about unpickling: it advises re-running
    ``torch.load`` with ``weights_only=False``, which would run any code the
    file carries.
    """
    import pickle
    import zipfile

    text = str(exc)
    low = text.lower()
    if isinstance(exc, pickle.UnpicklingError) or "weights only load failed" in low or "weights_only" in low:
        return "it is not a PyTorch or safetensors checkpoint of plain weights"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "streamreader failed" in low or "truncated" in low:
        return "the file is damaged or incomplete"
    if isinstance(exc, (AssertionError, KeyError)) or any(
        word in low for word in ("size mismatch", "missing key", "unexpected key", "changed")
    ):
        return "its tensors do not fit this architecture"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:200]


# What a checked model must produce for a probe: finite vectors of one
# dimension from both towers.
_PROBE_TEXT = "a photo of a dog"


def check_weights(choice: ModelChoice, path: Path) -> int:
    """Load ``path`` as ``choice``'s architecture on the CPU and run both towers
    on a probe; the vectors' dimension on success. Raises
    :class:`PhotoorgError` with the reason (no torch wording) when the file
    is not a working checkpoint of that architecture."""
    import torch

    encoder = ClipEncoder(choice, path, "cpu", threads=None)
    try:
        try:
            encoder.load()
        except ModelUnavailableError as exc:
            raise PhotoorgError(exc.reason) from None
        try:
            size = encoder.image_size
            image = encoder.encode_images(torch.zeros(1, 3, size, size))
            text = encoder.encode_texts([_PROBE_TEXT])
        except Exception as exc:
            raise PhotoorgError(f"it fails a test run ({describe_load_error(exc)})") from None
    finally:
        encoder.release()
    if image.shape[1] != text.shape[1]:
        raise PhotoorgError(
            f"its image and text vectors differ in size ({image.shape[1]} vs {text.shape[1]})"
        )
    if not (np.isfinite(image).all() and np.isfinite(text).all()):
        raise PhotoorgError("it gives vectors that are not numbers (NaN): the weights are damaged")
    return int(image.shape[1])


def resolve_weights(
    choice: ModelChoice,
    *,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """The weights file for a choice: the user's file, the cache, or a download."""
    if choice.weights_file:
        path = Path(choice.weights_file)
        if not path.is_file():
            raise ModelUnavailableError(
                f"The weights file {path} for {choice.arch} is gone (moved, deleted, or on a drive "
                "that is not connected). Pass it again with --weights FILE, or choose a model with --model.",
                model_key=choice.key,
                reason="weights file missing",
            )
        return path
    cached = find_cached_weights(choice.arch, choice.pretrained)
    if cached is not None:
        return cached
    if not allow_download:
        reason = "downloads are off (offline mode)"
        raise ModelUnavailableError(
            unavailable_message(choice.arch, choice.pretrained, reason=reason),
            model_key=choice.key,
            cache_dir=str(hf_cache_dir()),
            reason=reason,
        )
    return download_once(choice.arch, choice.pretrained, progress=progress, cancel=cancel)


_encoders: dict[tuple[str, str], ClipEncoder] = {}
_encoders_lock = threading.Lock()


def get_encoder(
    choice: ModelChoice,
    *,
    device: str | None = None,
    threads: int | None = None,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    text: bool = True,
    image: bool = True,
) -> ClipEncoder:
    """The loaded encoder for a choice, shared within the process.

    One model is kept: choosing another releases the previous one's memory. An
    encoder loaded with one tower (``text=False`` to index, ``image=False`` to
    answer text queries) is replaced by a full one when the other is needed.
    """
    resolved_device = choose_device(device)
    key = (choice.key, resolved_device)
    with _encoders_lock:
        encoder = _encoders.get(key)
    if encoder is not None and (encoder.has_text or not text) and (encoder.has_image or not image):
        return encoder
    path = resolve_weights(choice, allow_download=allow_download, progress=progress, cancel=cancel)
    if encoder is not None:
        # A one-tower encoder is replaced by a full one: free it first, so
        # two copies of a tower never share the memory.
        text, image = text or encoder.has_text, image or encoder.has_image
        release_encoders()
    encoder = ClipEncoder(choice, path, resolved_device, threads, text=text, image=image).load()
    with _encoders_lock:
        for old in _encoders.values():
            old.release()
        _encoders.clear()
        _encoders[key] = encoder
    return encoder


def shared_encoder_with_text(choice: ModelChoice) -> ClipEncoder | None:
    """The process's loaded encoder for this choice, if it has its text tower
    (the app keeps one for search): reuse it instead of loading another."""
    with _encoders_lock:
        for (key, _device), encoder in _encoders.items():
            if key == choice.key and encoder.has_text and encoder.loaded:
                return encoder
    return None


def release_image_only_encoders() -> None:
    """Free encoders loaded for indexing alone (no text tower): once the
    image stages are done, their memory is better spent elsewhere."""
    with _encoders_lock:
        for key in [k for k, e in _encoders.items() if not e.has_text]:
            _encoders.pop(key).release()
    _return_freed_memory()


def _return_freed_memory() -> None:
    """Give freed heap pages back to the OS (glibc keeps them otherwise), so
    the next model's memory does not sit on top of the last one's."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def release_encoders() -> None:
    with _encoders_lock:
        for encoder in _encoders.values():
            encoder.release()
        _encoders.clear()
