"""The CLIP image tower on ONNX Runtime: a faster path for the CPU.

On a CPU, indexing is mostly the image tower's forward pass. ONNX Runtime runs
the same network 2x faster in fp32 (fused attention and GEMMs) and 4x faster
with its weights quantised to int8 (measured on this project's 2-core
machine with ViT-B-32; see the README's Benchmarks). The first time a model
is indexed on the CPU, the tower is exported once, quantised in the variants
below, and each variant is checked against the fp32 torch model on probe
images; the fastest one that agrees is kept in a cache folder next to the
weights, keyed by the weights' identity and the runtime's version.

Quality guard: a variant is used only if every probe image's vector has a
cosine of at least :data:`AGREEMENT` with the fp32 torch vector. Why 0.995:
a text query's score is the dot product with the photo's vector, so a vector
moved by cosine ``c`` changes a score by at most sqrt(2(1-c)) and, for an
error spread over the 512 dimensions, about sqrt(2(1-c)/512) = 0.004 at
0.995: an order of magnitude under the score gaps that rank results or decide
a tag (0.02-0.05). The variants measured here agree far better (0.9998 for
int8); the bound catches a CPU or an ONNX Runtime where quantisation goes
wrong (int8 on CPUs without VNNI is known to saturate). Within the bound, a
library indexed with one runtime is searched with the other with no
re-indexing: the stage's version stays the model's key. If no variant agrees,
indexing uses fp32 torch and ``photoorg status`` says why.

Longer than most modules: export, quantisation, the fidelity check and the
cache are one sequence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: the lowest cosine between a variant's vector and fp32 torch's on any probe
AGREEMENT = 0.995
#: tried in this order; the fastest that agrees is kept
VARIANTS = ("int8", "u8u8", "fp32")
RUNTIME_CHOICES = ("auto", "torch", "onnx")
MANIFEST = "manifest.json"

StepCallback = Callable[[str, int, int], None]


@dataclass
class RuntimeReport:
    """What the image tower runs on, and why (shown by ``photoorg status``)."""

    runtime: str  # "onnx" or "torch"
    variant: str  # "int8", "u8u8", "fp32"
    cosine: float | None = None  # the lowest agreement with fp32 torch on the probes
    speedup: float | None = None  # over fp32 torch, measured at export
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.variant}"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["label"] = self.label
        return data


def onnxruntime_version() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime.__version__


def weights_identity(weights_path: Path, weights_sha256: str | None) -> str:
    """The weights' SHA-256 when the library knows it; else a digest of the
    resolved path, size and mtime (a Hugging Face blob's path is its hash)."""
    if weights_sha256:
        return weights_sha256[:16]
    real = Path(weights_path).resolve()
    stat = real.stat()
    return hashlib.sha256(f"{real}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def cache_folder(weights_path: Path, arch: str, identity: str) -> Path:
    """Next to the weights when that folder is writable, else the user cache."""
    name = f"{arch}-{identity}-ort{onnxruntime_version()}"
    beside = Path(weights_path).resolve().parent / "photoorg-onnx"
    if os.access(Path(weights_path).resolve().parent, os.W_OK):
        return beside / name
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("photoorg")) / "onnx" / name


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


# -- probe images --------------------------------------------------------------------------


def synthetic_probes(size: int, count: int = 6) -> list:
    """Photo-like test images (not noise): a sky over a horizon with a sun, a
    smooth 1/f-like landscape of colour, bold shapes, fine stripes like text,
    a dark low-contrast scene and a warm portrait-like blob. Quantisation errors
    show up differently on each (flat areas, edges, saturation)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(7)
    images = []
    y, x = np.mgrid[0:size, 0:size] / size
    sky = np.stack([90 + 80 * y, 140 + 70 * y, 230 - 40 * y], -1)
    ground = np.stack([60 + 40 * x, 120 - 30 * y, 40 + 0 * x], -1)
    scene = np.where((y > 0.62)[..., None], ground, sky)
    sun = ((x - 0.7) ** 2 + (y - 0.25) ** 2) < 0.006
    scene[sun] = (255, 230, 160)
    images.append(Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)))
    coarse = rng.uniform(0, 255, (6, 6, 3)).astype(np.uint8)
    images.append(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC))
    shapes = Image.new("RGB", (size, size), (235, 232, 220))
    draw = ImageDraw.Draw(shapes)
    for _ in range(7):
        a, b = sorted(rng.uniform(0, size, 2)), sorted(rng.uniform(0, size, 2))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse((a[0], b[0], a[1], b[1]), fill=colour)
    images.append(shapes)
    text = Image.new("RGB", (size, size), (250, 250, 245))
    draw = ImageDraw.Draw(text)
    for row in range(4, size - 4, max(3, size // 20)):
        draw.line((4, row, 4 + rng.uniform(0.4, 0.95) * (size - 8), row), fill=(20, 20, 30), width=1)
    images.append(text)
    dark = Image.fromarray((scene * 0.18 + rng.normal(0, 3, scene.shape)).clip(0, 255).astype(np.uint8))
    images.append(dark.filter(ImageFilter.GaussianBlur(1)))
    warm = np.full((size, size, 3), (70, 80, 95), np.float32)
    blob = np.exp(-(((x - 0.5) / 0.18) ** 2 + ((y - 0.45) / 0.24) ** 2))[..., None]
    warm = warm * (1 - blob) + blob * np.array([224, 172, 140], np.float32)
    images.append(Image.fromarray(warm.clip(0, 255).astype(np.uint8)))
    return images[:count]


# -- sessions --------------------------------------------------------------------------------


class OnnxImageTower:
    """An exported image tower in an ONNX Runtime session: (N, 3, H, W)
    preprocessed pixels in, (N, D) L2-normalised float32 vectors out."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its warnings are about graph fusions, not for users
        # Idle pool threads sleep instead of spinning: between batches the
        # decode workers need those cores (spinning is for latency-bound serving).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name

    def encode(self, batch) -> np.ndarray:
        pixels = batch.numpy() if hasattr(batch, "numpy") else np.asarray(batch)
        (features,) = self.session.run(None, {self._input: np.ascontiguousarray(pixels, dtype=np.float32)})
        norms = np.linalg.norm(features, axis=1, keepdims=True)
        return (features / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def agreement(reference: np.ndarray, candidate: np.ndarray) -> float:
    """The lowest cosine between matching rows (both L2-normalised)."""
    return float(np.min(np.sum(reference * candidate, axis=1)))


def _time_per_image(encode: Callable, batch, repeats: int = 2) -> float:
    encode(batch)  # warm-up: first runs allocate
    started = time.perf_counter()
    for _ in range(repeats):
        encode(batch)
    return (time.perf_counter() - started) / (repeats * len(batch))


# -- export ---------------------------------------------------------------------------------------


def export_image_tower(tower, image_size: int, target: Path) -> None:
    """The tower as an ONNX graph with a dynamic batch axis."""
    import torch

    dummy = torch.zeros(1, 3, image_size, image_size)
    # With gradients on: under no_grad, torch's attention takes a fused fast
    # path (aten::_native_multi_head_attention) that ONNX can't express.
    with warnings.catch_warnings(), torch.enable_grad():
        warnings.simplefilter("ignore")  # TorchScript tracer and deprecation notes
        torch.onnx.export(
            tower,
            (dummy,),
            str(target),
            input_names=["pixels"],
            output_names=["features"],
            dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def quantise(source: Path, target: Path, variant: str) -> None:
    """Dynamic quantisation: weights to int8 (``int8``: signed, ``u8u8``:
    unsigned), activations to uint8 per batch at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weight_type = {"int8": QuantType.QInt8, "u8u8": QuantType.QUInt8}[variant]
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # it suggests a pre-processing step we don't need
    try:
        quantize_dynamic(str(source), str(target), weight_type=weight_type)
    finally:
        logging.getLogger().setLevel(previous)


@dataclass
class Candidate:
    variant: str
    cosine: float
    seconds_per_image: float


def build(
    encoder,
    folder: Path,
    probes: Sequence,
    *,
    bound: float = AGREEMENT,
    threads: int | None = None,
    on_step: StepCallback | None = None,
) -> RuntimeReport:
    """Export, quantise and check every variant; keep the fastest that agrees.
    Writes ``folder`` (the chosen model and its manifest) atomically."""
    import torch

    step = on_step or (lambda text, done, total: None)
    total = 2 + len(VARIANTS)
    batch = torch.stack([encoder.preprocess(image) for image in probes])
    reference = encoder.encode_images(batch)
    torch_seconds = _time_per_image(encoder.encode_images, batch)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        step("exporting the image model", 1, total)
        exported = work / "fp32.onnx"
        export_image_tower(encoder.image_tower, encoder.image_size, exported)
        candidates: list[Candidate] = []
        rejected: list[str] = []
        for number, variant in enumerate(VARIANTS, start=2):
            step(f"checking the {variant} variant", number, total)
            path = exported if variant == "fp32" else work / f"{variant}.onnx"
            try:
                if variant != "fp32":
                    quantise(exported, path, variant)
                tower = OnnxImageTower(path, threads)
                cosine = agreement(reference, tower.encode(batch))
                seconds = _time_per_image(tower.encode, batch)
            except Exception as exc:  # a graph this runtime can't quantise or run
                rejected.append(f"{variant}: {type(exc).__name__}: {exc}")
                continue
            log.info("onnx %s: cosine %.5f, %.1f ms/image", variant, cosine, seconds * 1000)
            if cosine >= bound:
                candidates.append(Candidate(variant, cosine, seconds))
            else:
                rejected.append(f"{variant}: cosine {cosine:.4f} < {bound}")
        step("keeping the fastest variant that matches", total, total)
        if not candidates:
            report = RuntimeReport(
                "torch",
                "fp32",
                note="no ONNX variant matched fp32 closely enough (" + "; ".join(rejected) + ")",
            )
            _write_manifest(work, report, bound, None)
        else:
            best = min(candidates, key=lambda c: c.seconds_per_image)
            chosen = exported if best.variant == "fp32" else work / f"{best.variant}.onnx"
            chosen.replace(work / "image.onnx")
            report = RuntimeReport(
                "onnx",
                best.variant,
                cosine=round(best.cosine, 5),
                speedup=round(torch_seconds / best.seconds_per_image, 2),
                note="; ".join(f"{c.variant}: cosine {c.cosine:.5f}" for c in candidates),
            )
            _write_manifest(work, report, bound, "image.onnx")
        for leftover in work.glob("*.onnx"):
            if leftover.name != "image.onnx":
                leftover.unlink()
        if folder.exists():
            shutil.rmtree(folder)
        work.replace(folder)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_manifest(folder: Path, report: RuntimeReport, bound: float, model: str | None) -> None:
    data = {"report": report.as_dict(), "bound": bound, "model": model, "onnxruntime": onnxruntime_version()}
    (folder / MANIFEST).write_text(json.dumps(data, indent=2))


# -- choosing the runtime ---------------------------------------------------------------------


@dataclass
class ImageRuntime:
    """How the clip stage encodes a batch, and the report behind the choice."""

    encode: Callable
    report: RuntimeReport


def torch_runtime(encoder, note: str = "") -> ImageRuntime:
    return ImageRuntime(encoder.encode_images, RuntimeReport("torch", "fp32", note=note))


#: ONNX runtimes loaded and checked in this process: each index run would
#: otherwise pay the session's creation and the check again (a second or two).
_loaded: dict[tuple[str, int | None, float], ImageRuntime] = {}
_loaded_lock = threading.Lock()


def forget_loaded_runtimes() -> None:
    """Drop this process's loaded ONNX sessions (the next use checks the file again)."""
    with _loaded_lock:
        _loaded.clear()


def choose_image_runtime(
    encoder,
    preference: str | None,
    folder: Path,
    *,
    probes: Sequence | Callable[[], Sequence] = (),
    bound: float = AGREEMENT,
    threads: int | None = None,
    on_step: StepCallback | None = None,
) -> ImageRuntime:
    """The image runtime for indexing: ONNX on a CPU when it is installed and
    its vectors match fp32 (built once into ``folder``), else fp32 torch.
    ``probes`` (or a function giving them, called only for an export) are
    images to check the export on besides the synthetic ones. The export runs
    in a child process where one can (see onnx_export_process.py)."""
    wanted = (preference or "auto").lower()
    if wanted not in RUNTIME_CHOICES:
        from photoorg.errors import PhotoorgError

        raise PhotoorgError(f"Unknown runtime {preference!r}; choose one of {', '.join(RUNTIME_CHOICES)}.")
    if wanted == "torch":
        return torch_runtime(encoder, "chosen in the settings")
    if encoder.device != "cpu":
        return torch_runtime(encoder, f"on {encoder.device} torch is the fast path")
    if onnxruntime_version() is None:
        return torch_runtime(encoder, "onnxruntime is not installed")
    key = (str(folder), threads, bound)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key]
    check = synthetic_probes(encoder.image_size)
    for attempt in (1, 2):
        manifest = read_manifest(folder)
        if manifest is None or manifest.get("bound", 0) < bound:
            try:
                from photoorg.ml.onnx_export_process import build_in_child  # it imports this module

                build_in_child(
                    encoder,
                    folder,
                    [*check, *(probes() if callable(probes) else probes)],
                    bound=bound,
                    threads=threads,
                    on_step=on_step,
                )
            except Exception as exc:  # an architecture the exporter can't trace
                log.warning("could not export the image model to ONNX: %s", exc)
                return torch_runtime(encoder, f"the ONNX export failed ({type(exc).__name__}: {exc})")
            manifest = read_manifest(folder) or {}
        report = RuntimeReport(**{k: v for k, v in manifest.get("report", {}).items() if k != "label"})
        if not manifest.get("model"):
            return torch_runtime(encoder, report.note)
        # The cached file is checked again (cheaply, on the synthetic probes)
        # before use: a damaged or replaced file must not write wrong vectors.
        try:
            import torch

            tower = OnnxImageTower(folder / manifest["model"], threads)
            batch = torch.stack([encoder.preprocess(image) for image in check])
            cosine = agreement(encoder.encode_images(batch), tower.encode(batch))
        except Exception as exc:
            cosine, problem = -1.0, f"{type(exc).__name__}: {exc}"
        else:
            problem = f"cosine {cosine:.4f} < {bound}"
        if cosine >= bound:
            runtime = ImageRuntime(tower.encode, report)
            with _loaded_lock:
                _loaded[key] = runtime
            return runtime
        shutil.rmtree(folder, ignore_errors=True)
        if attempt == 2:
            break
        log.warning("the cached ONNX image model failed its check (%s); exporting it again", problem)
    note = f"the ONNX image model failed its check ({problem})"
    # Remembered, so that the next run does not export again only to fail again.
    folder.mkdir(parents=True, exist_ok=True)
    _write_manifest(folder, RuntimeReport("torch", "fp32", note=note), bound, None)
    return torch_runtime(encoder, note)
