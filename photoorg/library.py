"""A photo library: the one object both front ends hold.

It owns the database, the thumbnail cache and the model settings, and hands
out the services (indexing, search, photo details). It holds no UI state and
imports no Qt.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoorg.capabilities import load_capabilities
from photoorg.config import (
    PRIVATE_DIR_MODE,
    LibraryPaths,
    create_private_file,
    default_library_dir,
    make_library_private,
)
from photoorg.errors import LibraryError
from photoorg.extensions.after_index import after_index_steps
from photoorg.extensions.library_closing import library_closing_steps
from photoorg.extensions.schemas import schemas
from photoorg.extensions.stages import StageContext, stage_providers
from photoorg.ml.clip import ClipEncoder, get_encoder
from photoorg.ml.registry import ModelChoice, register_model_configs
from photoorg.ml.selection import current_choice
from photoorg.ml.selection import select_model as apply_model_choice
from photoorg.pipeline.clip_stage import ClipStage, ensure_model_row
from photoorg.pipeline.indexer import Indexer, load_stage
from photoorg.pipeline.stages import ImageStage, StageSpec
from photoorg.pipeline.thumbnail_stage import ThumbnailStage
from photoorg.progress import CancelToken, Progress
from photoorg.scan.thumbnails import ThumbnailCache
from photoorg.search.engine import SearchEngine
from photoorg.store.backup import periodic_backup
from photoorg.store.db import Database

DEVICE_SETTING = "ml.device"
THREADS_SETTING = "ml.threads"
OFFLINE_SETTING = "ml.offline"
# Follow symbolic links that lead outside the library's folders (off: a link to
# /etc in a photo folder must not put system files in the index).
FOLLOW_LINKS_SETTING = "scan.follow_external_links"
RUNTIME_SETTING = "ml.runtime"


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
        # A folder that is (or is becoming) a library is made private; a folder
        # the user already had for something else keeps its mode.
        own_folder = not self.paths.root.exists() or self.paths.database.exists()
        try:
            self.paths.root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        except OSError as exc:
            raise LibraryError(f"Can't create the library folder {self.paths.root}: {exc.strerror}") from exc
        # SQLite gives the WAL files the database's own mode: create it private.
        create_private_file(self.paths.database)
        # Before the database opens: the capabilities' own tables migrate with it.
        load_capabilities()
        self.db = Database(self.paths.database, self.paths.backups, schemas())
        make_library_private(self.paths, include_root=own_folder)
        self.thumbnails = ThumbnailCache(self.paths.thumbnails)
        self._search = None
        self._configs_registered = False
        # Per-process overrides of the stored ML settings (command-line flags).
        self.ml_overrides: dict = {}
        # Where one-time preparation steps (exporting a model) report progress.
        self.on_progress = None

    def close(self) -> None:
        # Capabilities finish what the session changed (XMP write-back) first.
        for step in library_closing_steps():
            step(self)
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
            register_model_configs(self.paths.model_configs)
            self._configs_registered = True

    def model_choice(self) -> ModelChoice:
        return current_choice(self.db)

    def select_model(self, spec: str | None = None, weights: str | None = None) -> ModelChoice:
        """Apply a model choice (or re-check the stored one's weights file)."""
        if spec or weights:
            self._register_configs()
        return apply_model_choice(self.db, spec, weights)

    def clip_encoder(
        self,
        options: MlOptions | None = None,
        *,
        progress=None,
        cancel=None,
        text: bool = True,
        image: bool = True,
    ) -> ClipEncoder:
        """The loaded CLIP encoder of the library's model; raises
        :class:`ModelUnavailableError` with a readable reason when it can't be had.
        ``text=False`` is enough for indexing and leaves the text tower out;
        ``image=False`` is enough to answer text queries."""
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
            image=image,
        )

    # -- indexing ----------------------------------------------------------------------

    def stage_specs(
        self, options: MlOptions | None = None, *, progress=None, cancel=None, text_tower: bool = True
    ) -> list[StageSpec]:
        """Every image stage of the pipeline, unloaded. A process that will not
        search (the index command) passes ``text_tower=False`` to save memory."""
        thumbnails = ThumbnailStage(self.thumbnails)

        def load_clip():
            encoder = self.clip_encoder(options, progress=progress, cancel=cancel, text=text_tower)
            with self.db.transaction() as s:
                model_id = ensure_model_row(s, encoder.choice, encoder.dim)
            return ClipStage(encoder, model_id, runtime=self.image_runtime(encoder, options))

        specs = [
            StageSpec(thumbnails.name, thumbnails.version, lambda: thumbnails),
            StageSpec("clip", self.select_model().key, load_clip),
        ]
        context = StageContext(progress=progress, cancel=cancel, text_tower=text_tower)
        for provider in stage_providers():
            specs.extend(provider(self, options or self.ml_options(), context))
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
        return [load_stage(spec) for spec in self.stage_specs(options, progress=progress, cancel=cancel)]

    def indexer(
        self,
        stages: Sequence[ImageStage | StageSpec],
        *,
        token: CancelToken | None = None,
        decode_workers: int | None = None,
        retry_failed: bool = False,
    ) -> Indexer:
        return Indexer(
            self.db,
            stages,
            lock_path=self.paths.lock_file,
            exclude=frozenset({str(self.paths.root)}),
            token=token,
            decode_workers=decode_workers or default_decode_workers(),
            retry_failed=retry_failed,
            after_stages=[
                *(provider(self) for provider in after_index_steps()),
                self._search_index_step,
                self._backup_step,
            ],
            follow_external_links=bool(self.db.get_setting(FOLLOW_LINKS_SETTING, False)),
        )

    def _search_index_step(self, token: CancelToken):
        """Last after an index run: bring the search's vector snapshot up to
        date, so the first search of the next process maps it instead of
        loading every vector (see search/vector_index.py)."""
        from photoorg.search.vector_index import update_vector_store

        return (yield from update_vector_store(self.db, self.model_choice().key))

    def _backup_step(self, token: CancelToken):
        """Last after an index run, in the app as in the CLI: a copy of the
        database at most once a day (see store/backup.py). A backup that can't
        be made is said, and never fails the run."""
        try:
            periodic_backup(self.paths.database, self.paths.backups)
        except (OSError, sqlite3.Error) as exc:
            yield Progress(
                "backup", 0, None, message=f"No backup of the library was made ({exc}).", level="warning"
            )

    # -- search --------------------------------------------------------------------------

    @property
    def search(self) -> SearchEngine:
        if self._search is None:
            # Text queries need the text tower alone: half the memory and load time.
            self._search = SearchEngine(self.db, lambda: self.clip_encoder(image=False), self.model_choice)
        return self._search

    def prepare_search(self) -> str | None:
        """Load what the first text search needs (the text tower, the vectors)
        now, so that search answers at once when it comes. Never downloads.
        Returns why search by meaning can't run yet, or None when it is ready."""
        return self.search.warm_up(lambda: self.clip_encoder(self.ml_options(offline=True), image=False))


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
