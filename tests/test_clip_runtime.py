"""The CLIP image tower on ONNX Runtime: export, the quality check, fallback,
search across runtimes, batch adaptation on a GPU, and the CPU breakdown."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from photoorg.ml import onnx_image
from photoorg.ml.onnx_image import (
    AGREEMENT,
    choose_image_runtime,
    forget_loaded_runtimes,
    read_manifest,
    synthetic_probes,
)
from photoorg.ml.runtime_status import runtime_folder
from photoorg.pipeline.clip_stage import encode_fitting_memory
from photoorg.pipeline.cpu_costs import CpuLedger
from photoorg.roots import add_root
from photoorg.status import library_status

pytest.importorskip("onnxruntime")


@pytest.fixture
def tiny_model(library, tiny_weights, tmp_path):
    """The tiny model from a copy of its weights: the export is cached next
    to the weights, and each test starts without one."""
    import shutil

    from tests.helpers import TINY_ARCH

    weights = tmp_path / "weights" / tiny_weights.name
    weights.parent.mkdir()
    shutil.copy(tiny_weights, weights)
    from photoorg.ml.clip import release_encoders

    library.select_model(TINY_ARCH, str(weights))
    release_encoders()  # one loaded from another test's copy of the weights
    forget_loaded_runtimes()
    yield library
    release_encoders()
    forget_loaded_runtimes()


@pytest.fixture
def encoder(tiny_model):
    return tiny_model.clip_encoder(text=False)


def _folder(encoder):
    return runtime_folder(encoder.weights_path, encoder.choice)


def _probe_batch(encoder):
    import torch

    return torch.stack([encoder.preprocess(image) for image in synthetic_probes(encoder.image_size)])


def test_export_is_checked_cached_and_matches_fp32(encoder):
    steps = []
    runtime = choose_image_runtime(
        encoder, "auto", _folder(encoder), on_step=lambda text, done, total: steps.append((done, total))
    )
    assert runtime.report.runtime == "onnx"
    assert runtime.report.cosine >= AGREEMENT
    assert steps[-1][0] == steps[-1][1]  # progress reached its end
    manifest = read_manifest(_folder(encoder))
    assert manifest["report"]["variant"] == runtime.report.variant
    assert (_folder(encoder) / manifest["model"]).is_file()
    assert not list(_folder(encoder).glob("fp32.onnx")) or manifest["model"] == "fp32.onnx"
    batch = _probe_batch(encoder)
    cosines = np.sum(runtime.encode(batch) * encoder.encode_images(batch), axis=1)
    assert cosines.min() >= AGREEMENT

    # The second time, the export is reused: no progress, the same variant.
    again = []
    reused = choose_image_runtime(
        encoder, "auto", _folder(encoder), on_step=lambda text, done, total: again.append(done)
    )
    assert again == []
    assert reused.report.variant == runtime.report.variant
    # In a new process the file is loaded and checked again, still without exporting.
    forget_loaded_runtimes()
    assert choose_image_runtime(encoder, "auto", _folder(encoder)).report.variant == runtime.report.variant


def test_a_bound_no_variant_meets_falls_back_to_torch(encoder, monkeypatch):
    runtime = choose_image_runtime(encoder, "auto", _folder(encoder), bound=1.0001)
    assert (runtime.report.runtime, runtime.report.variant) == ("torch", "fp32")
    assert "cosine" in runtime.report.note and "1.0001" in runtime.report.note
    batch = _probe_batch(encoder)
    assert np.array_equal(runtime.encode(batch), encoder.encode_images(batch))
    # Remembered: the next run does not export again.
    monkeypatch.setattr(onnx_image, "export_image_tower", lambda *a: pytest.fail("exported again"))
    assert choose_image_runtime(encoder, "auto", _folder(encoder), bound=1.0001).report.runtime == "torch"


def test_a_damaged_export_is_rebuilt_and_a_broken_exporter_falls_back(encoder, monkeypatch):
    choose_image_runtime(encoder, "auto", _folder(encoder))
    model = _folder(encoder) / read_manifest(_folder(encoder))["model"]
    model.write_bytes(b"not an onnx graph")
    forget_loaded_runtimes()  # as in the next process: the file is read, and checked, again
    rebuilt = choose_image_runtime(encoder, "auto", _folder(encoder))
    assert rebuilt.report.runtime == "onnx" and rebuilt.report.cosine >= AGREEMENT
    model = _folder(encoder) / read_manifest(_folder(encoder))["model"]
    assert model.stat().st_size > 1000

    # Damaged again, and every new export fails its check: torch, and a note saying why.
    model.write_bytes(b"still not a graph")
    forget_loaded_runtimes()
    monkeypatch.setattr(onnx_image, "agreement", lambda reference, candidate: 0.5)
    fallback = choose_image_runtime(encoder, "auto", _folder(encoder))
    assert fallback.report.runtime == "torch"
    assert "0.5" in fallback.report.note


def test_torch_setting_and_unknown_runtime(encoder):
    from photoorg.errors import PhotoorgError

    assert choose_image_runtime(encoder, "torch", _folder(encoder)).report.runtime == "torch"
    assert not _folder(encoder).exists()
    with pytest.raises(PhotoorgError, match="Unknown runtime"):
        choose_image_runtime(encoder, "tensorrt", _folder(encoder))


def _index(library, folder, runtime: str):
    library.ml_overrides = {"runtime": runtime}
    specs = [s for s in library.stage_specs(text_tower=False) if s.name in ("thumbnail", "clip")]
    indexer = library.indexer(specs)
    for _ in indexer.run():
        pass
    return indexer


def test_a_library_indexed_with_onnx_is_searched_the_same_with_torch(tiny_model, photo_folder, tmp_path):
    from photoorg.library import Library
    from photoorg.store.schema import Embedding, Photo

    add_root(tiny_model.db, photo_folder)
    _index(tiny_model, photo_folder, "onnx")
    status = library_status(tiny_model)
    assert status["model"]["runtime"]["active"].startswith("onnx")
    assert status["model"]["runtime"]["cosine"] >= AGREEMENT

    other = Library(tmp_path / "torch-library")
    try:
        other.select_model(tiny_model.model_choice().arch, tiny_model.model_choice().weights_file)
        add_root(other.db, photo_folder)
        _index(other, photo_folder, "torch")

        def vectors(library):
            with library.db.session() as s:
                rows = s.execute(
                    Photo.__table__.select()
                    .with_only_columns(Photo.path, Embedding.vector)
                    .join_from(Photo, Embedding, Embedding.photo_id == Photo.id)
                ).all()
            return {path: np.asarray(vector) for path, vector in rows}

        onnx_vectors, torch_vectors = vectors(tiny_model), vectors(other)
        assert onnx_vectors.keys() == torch_vectors.keys() and len(onnx_vectors) == 5
        for path, vector in onnx_vectors.items():
            assert float(vector @ torch_vectors[path]) >= AGREEMENT

        # The stage version is the model's key whichever runtime wrote it:
        # switching runtimes re-embeds nothing, and search ranks alike.
        again = _index(tiny_model, photo_folder, "torch")
        assert again.summary.stages.get("clip", {"done": 0})["done"] == 0
        assert again.summary.unchanged == 5
        query = tiny_model.clip_encoder().encode_query("a photo of a beach")
        paths = sorted(onnx_vectors)

        def ranking(store):
            scores = np.array([float(store[path] @ query) for path in paths])
            return [paths[i] for i in np.argsort(-scores)], scores

        (first, first_scores), (second, second_scores) = ranking(onnx_vectors), ranking(torch_vectors)
        assert np.abs(first_scores - second_scores).max() < 0.05
        assert first[0] == second[0]
    finally:
        other.close()


def test_status_and_cli_show_the_runtime(tiny_model, photo_folder, capsys):
    from photoorg.cli.main import main

    library_path = str(tiny_model.paths.root)
    assert main(["status", "--library", library_path, "--json"]) == 0
    runtime = json.loads(capsys.readouterr().out)["model"]["runtime"]
    assert runtime["setting"] == "auto" and runtime["active"] is None
    assert main(["index", str(photo_folder), "--library", library_path, "--runtime", "onnx", "--json"]) == 0
    capsys.readouterr()
    assert main(["status", "--library", library_path]) == 0
    assert "Runtime: onnx " in capsys.readouterr().out


# -- batches on a GPU ------------------------------------------------------------------------


class _FakeDevice:
    """A forward that runs out of memory above ``capacity`` images."""

    def __init__(self, capacity: int, error: type[Exception] = RuntimeError) -> None:
        self.capacity = capacity
        self.error = error
        self.calls: list[int] = []

    def __call__(self, batch):
        self.calls.append(len(batch))
        if len(batch) > self.capacity:
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")
        return np.asarray(batch, dtype=np.float32)[:, :2]


def test_batches_halve_on_out_of_memory_and_stay_small():
    batch = np.arange(64 * 3, dtype=np.float32).reshape(64, 3)
    device = _FakeDevice(capacity=12)
    vectors, size = encode_fitting_memory(device, batch, 64)
    assert size == 8  # 64 -> 32 -> 16 -> 8
    assert np.array_equal(vectors, batch[:, :2])  # every image, in order
    assert device.calls[:4] == [64, 32, 16, 8]
    # The next batch starts at the size that fit: no failed attempt.
    device.calls.clear()
    encode_fitting_memory(device, batch[:20], size)
    assert device.calls == [8, 8, 4]


def test_other_errors_and_a_single_image_that_does_not_fit_are_raised():
    with pytest.raises(ValueError):
        encode_fitting_memory(_FakeDevice(0, ValueError), np.zeros((4, 3)), 4)
    with pytest.raises(RuntimeError, match="out of memory"):
        encode_fitting_memory(_FakeDevice(0), np.zeros((4, 3)), 4)


# -- the CPU breakdown -------------------------------------------------------------------------


def test_cpu_ledger_measures_thread_time_not_waiting():
    ledger = CpuLedger()
    with ledger.measure("sleep"):
        time.sleep(0.2)
    with ledger.measure("work"):
        sum(i * i for i in range(2_000_000))  # ~0.1 s of CPU, however busy the machine
    seconds = ledger.seconds()
    assert seconds.get("sleep", 0.0) < 0.02
    assert seconds["work"] > 0.02


def test_index_reports_cpu_per_step(tiny_model, photo_folder):
    add_root(tiny_model.db, photo_folder)
    indexer = _index(tiny_model, photo_folder, "torch")
    cpu = indexer.summary.cpu_seconds
    for step in ("read", "hash", "metadata", "decode", "thumbnail", "clip", "write", "load"):
        assert step in cpu, cpu
    assert all(value >= 0 for value in cpu.values())
    assert indexer.summary.as_dict()["cpu_seconds"].keys() == cpu.keys()


def test_the_runtime_setting_is_stored_like_the_device(tiny_model, photo_folder):
    from photoorg.library import RUNTIME_SETTING

    tiny_model.db.set_setting(RUNTIME_SETTING, "torch")
    assert tiny_model.ml_options().runtime == "torch"
    assert tiny_model.ml_options(runtime="onnx").runtime == "onnx"  # a flag wins for its command
    add_root(tiny_model.db, photo_folder)
    specs = [s for s in tiny_model.stage_specs(text_tower=False) if s.name == "clip"]
    stage = specs[0].load()
    assert stage.runtime.report.label == "torch fp32"
    assert library_status(tiny_model)["model"]["runtime"]["active"] == "torch fp32"


@pytest.mark.gui
def test_the_settings_dialog_stores_the_runtime(library, qtbot):
    pytest.importorskip("PySide6.QtWidgets")
    from concurrent.futures import ThreadPoolExecutor

    from photoorg.gui.app import create_app
    from photoorg.gui.settings_dialog import SettingsDialog, apply_settings, load_settings
    from photoorg.gui.workers import WorkerPool

    create_app()
    with ThreadPoolExecutor(1) as pool:  # read and written off the GUI thread, as the app does
        data = pool.submit(load_settings, library).result()
        tasks = WorkerPool("settings-test", 1)
        try:
            dialog = SettingsDialog(library, data, 160, tasks)
            qtbot.addWidget(dialog)
            assert dialog.runtime.currentText() == "auto"
            dialog.runtime.setCurrentText("torch")
            pool.submit(apply_settings, library, dialog.changes()).result()
            assert library.ml_options().runtime == "torch"
            dialog.runtime.setCurrentText("auto")
            pool.submit(apply_settings, library, dialog.changes()).result()
            assert library.ml_options().runtime is None
        finally:
            tasks.shutdown()


def test_the_export_runs_in_a_child_process(encoder, monkeypatch):
    """The export holds the GIL for seconds at a time; in this process it froze the window."""
    from photoorg.ml import onnx_export_process

    monkeypatch.setattr(onnx_export_process, "build", lambda *a, **k: pytest.fail("exported in this process"))
    steps = []
    runtime = choose_image_runtime(
        encoder, "auto", _folder(encoder), on_step=lambda text, done, total: steps.append(text)
    )
    assert runtime.report.runtime == "onnx" and runtime.report.cosine >= AGREEMENT
    assert "exporting the image model" in steps  # the child's progress reached the caller


def test_without_a_child_process_the_export_runs_here(encoder, monkeypatch):
    from photoorg.ml import onnx_export_process

    monkeypatch.setattr(onnx_export_process, "child_processes_allowed", lambda: False)
    monkeypatch.setattr(onnx_export_process, "start_child", lambda code: pytest.fail("started a child"))
    assert choose_image_runtime(encoder, "auto", _folder(encoder)).report.runtime == "onnx"


def test_a_child_that_dies_leaves_the_export_to_this_process(encoder, monkeypatch):
    from photoorg.ml import onnx_export_process

    monkeypatch.setattr(onnx_export_process, "_CHILD_CODE", "import sys; sys.exit(3)")
    assert choose_image_runtime(encoder, "auto", _folder(encoder)).report.runtime == "onnx"


def test_an_export_that_fails_in_the_child_says_why(encoder, monkeypatch):
    from photoorg.ml import onnx_export_process

    failing = (
        "from photoorg.ml import onnx_export_process, onnx_image\n"
        "def broken(*a):\n    raise ValueError('untraceable layer')\n"
        "onnx_image.export_image_tower = broken\n"
        "onnx_export_process.serve()"
    )
    monkeypatch.setattr(onnx_export_process, "_CHILD_CODE", failing)
    runtime = choose_image_runtime(encoder, "auto", _folder(encoder))
    assert runtime.report.runtime == "torch"
    assert "untraceable layer" in runtime.report.note
