"""A photo library: the one object both front ends hold.

It owns the database, the thumbnail cache and the model settings, and hands
out the services (indexing, search, photo details). It holds no UI state and
imports no Qt.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoorg.config import LibraryPaths, default_library_dir
from photoorg.errors import LibraryError
from photoorg.ml.registry import ModelChoice
from photoorg.pipeline.stages import ImageStage, StageSpec
from photoorg.progress import CancelToken
from photoorg.scan.thumbnails import ThumbnailCache
from photoorg.store.db import Database

DEVICE_SETTING = "ml.device"
THREADS_SETTING = "ml.threads"
OFFLINE_SETTING = "ml.offline"
RUNTIME_SETTING = "ml.runtime"


# Features add stages: each provider gets (library, options, extras) and returns
# StageSpecs; extras carry progress, cancel and text_tower.
STAGE_PROVIDERS: list = []
# Features add steps that run after the image stages of an index run (tagging
# from stored vectors, grouping, clustering faces): each gets the library and
# returns a generator function taking a CancelToken and yielding Progress.
AFTER_INDEX_PROVIDERS: list = []


@dataclass
class MlOptions:
    device: str | None = None  # None: automatic
    threads: int | None = None  # None: automatic
    offline: bool = False  # never try to download weights
    runtime: str | None = None  # the CLIP image tower's runtime: None/auto, torch, onnx


class Library:
    def __init__(self, root: str | os.PathLike | None = None) -> None:
        folder = Path(root).expanduser() if root is not None else default_library_dir()
        self.paths = LibraryPaths(folder.resolve())
        try:
            self.paths.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"Can't create the library folder {self.paths.root}: {exc.strerror}") from exc
        self.db = Database(self.paths.database, self.paths.backups)
        from photoorg.features import load_core_features

        load_core_features()
        self.thumbnails = ThumbnailCache(self.paths.thumbnails)
        self._search = None
        self._configs_registered = False
        # Per-process overrides of the stored ML settings (command-line flags).
        self.ml_overrides: dict = {}
        # Where one-time preparation steps (exporting a model) report progress.
        self.on_progress = None

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- machine-learning options --------------------------------------------------

    def ml_options(self, **overrides) -> MlOptions:
        """Stored settings, with any non-None override on top (CLI flags)."""
        stored = self.db.get_settings(DEVICE_SETTING, THREADS_SETTING, OFFLINE_SETTING, RUNTIME_SETTING)
        options = MlOptions(
            device=stored.get(DEVICE_SETTING),
            threads=stored.get(THREADS_SETTING),
            offline=bool(stored.get(OFFLINE_SETTING, False)) or _env_offline(),
            runtime=stored.get(RUNTIME_SETTING),
        )
        for key, value in {**self.ml_overrides, **overrides}.items():
            if value is not None:
                setattr(options, key, value)
        return options

    def _register_configs(self) -> None:
        if not self._configs_registered:
            from photoorg.ml.registry import register_model_configs

            register_model_configs(self.paths.model_configs)
            self._configs_registered = True

    def model_choice(self) -> ModelChoice:
        from photoorg.ml.selection import current_choice

        return current_choice(self.db)

    def select_model(self, spec: str | None = None, weights: str | None = None) -> ModelChoice:
        """Apply a model choice (or re-check the stored one's weights file)."""
        if spec or weights:
            self._register_configs()
        from photoorg.ml.selection import select_model

        return select_model(self.db, spec, weights)

    def clip_encoder(
        self, options: MlOptions | None = None, *, progress=None, cancel=None, text: bool = True
    ):
        """The loaded CLIP encoder of the library's model; raises
        :class:`ModelUnavailableError` with a readable reason when it can't be had.
        ``text=False`` is enough for indexing and leaves the text tower out."""
        from photoorg.ml.clip import get_encoder

        self._register_configs()
        options = options or self.ml_options()
        return get_encoder(
            self.model_choice(),
            device=options.device,
            threads=options.threads,
            allow_download=not options.offline,
            progress=progress,
            cancel=cancel,
            text=text,
        )

    # -- indexing ----------------------------------------------------------------------

    def stage_specs(
        self, options: MlOptions | None = None, *, progress=None, cancel=None, text_tower: bool = True
    ) -> list[StageSpec]:
        """Every image stage of the pipeline, unloaded. A process that will not
        search (the index command) passes ``text_tower=False`` to save memory."""
        from photoorg.pipeline.thumbnail_stage import ThumbnailStage

        thumbnails = ThumbnailStage(self.thumbnails)

        def load_clip():
            from photoorg.pipeline.clip_stage import ClipStage, ensure_model_row

            encoder = self.clip_encoder(options, progress=progress, cancel=cancel, text=text_tower)
            with self.db.transaction() as s:
                model_id = ensure_model_row(s, encoder.choice, encoder.dim)
            return ClipStage(encoder, model_id, runtime=self.image_runtime(encoder, options))

        specs = [
            StageSpec(thumbnails.name, thumbnails.version, lambda: thumbnails),
            StageSpec("clip", self.select_model().key, load_clip),
        ]
        extras = {"progress": progress, "cancel": cancel, "text_tower": text_tower}
        for provider in STAGE_PROVIDERS:
            specs.extend(provider(self, options or self.ml_options(), extras))
        return specs

    def image_runtime(self, encoder, options: MlOptions | None = None):
        """The runtime the CLIP stage encodes with (see ml/onnx_image.py)."""
        from photoorg.ml.onnx_image import choose_image_runtime
        from photoorg.ml.runtime_status import runtime_folder, sample_photos

        options = options or self.ml_options()

        def step(text: str, done: int, total: int) -> None:
            if self.on_progress is not None:
                from photoorg.progress import Progress

                self.on_progress(Progress("prepare", done, total, message=f"Faster CLIP (once): {text}"))

        return choose_image_runtime(
            encoder,
            options.runtime,
            runtime_folder(encoder.weights_path, encoder.choice),
            probes=lambda: sample_photos(self.db, encoder.image_size),
            threads=options.threads,
            on_step=step,
        )

    def build_stages(
        self, options: MlOptions | None = None, *, progress=None, cancel=None
    ) -> list[ImageStage]:
        """Every image stage, loaded now: ready, or waiting with the reason."""
        from photoorg.pipeline.indexer import load_stage

        return [load_stage(spec) for spec in self.stage_specs(options, progress=progress, cancel=cancel)]

    def indexer(
        self,
        stages: Sequence[ImageStage | StageSpec],
        *,
        token: CancelToken | None = None,
        decode_workers: int | None = None,
        retry_failed: bool = False,
    ):
        from photoorg.pipeline.indexer import Indexer

        return Indexer(
            self.db,
            stages,
            lock_path=self.paths.lock_file,
            exclude=frozenset({str(self.paths.root)}),
            token=token,
            decode_workers=decode_workers or default_decode_workers(),
            retry_failed=retry_failed,
            after_stages=[provider(self) for provider in AFTER_INDEX_PROVIDERS],
        )

    # -- search --------------------------------------------------------------------------

    @property
    def search(self):
        if self._search is None:
            from photoorg.search.engine import SearchEngine

            self._search = SearchEngine(self.db, self.clip_encoder, self.model_choice)
        return self._search


def default_decode_workers() -> int:
    # Decoding at 1/8 scale is cheap next to inference: one worker per two cores
    # keeps the model fed without starving it of CPU.
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def _env_offline() -> bool:
    return os.environ.get("PHOTOORG_OFFLINE", "") not in ("", "0") or os.environ.get(
        "HF_HUB_OFFLINE", ""
    ) not in (
        "",
        "0",
    )
