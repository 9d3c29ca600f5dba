"""Concept text vectors cached once per user and model, outside any library.

Embedding the vocabulary's ~4,000 prompts costs the text tower most of a
minute on two cores. The result depends only on the model, the prompts and
how they are averaged, never on the photos, so it is kept in the user's cache
folder (``platformdirs.user_cache_dir``, or ``$PHOTOORG_CACHE_DIR``): a second
library, or one made again from scratch, reads it instead of paying again.

The store is one small SQLite file. Rows are keyed by a digest of everything
that changes a vector (see :func:`model_cache_key`) and the concept's prompts
hash, so an edited concept or a new custom one misses on its own. Rows are
committed batch by batch as they are computed: a killed run keeps what it had
finished. A cache that can't be opened or written (a read-only home) is
skipped with a log line; tagging then works as it did without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path

import numpy as np
import platformdirs

from photoorg.config import APP_NAME
from photoorg.ml.registry import ModelChoice

log = logging.getLogger(__name__)

CACHE_ENV = "PHOTOORG_CACHE_DIR"
FILE_NAME = "concept-vectors.sqlite"
# Bump when the way a concept's prompts become one vector changes (the
# ensemble, the normalisation): every cached vector is then computed again.
ENSEMBLE_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, prompts_hash TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, prompts_hash)
);
CREATE TABLE IF NOT EXISTS scales (model TEXT PRIMARY KEY, logit_scale REAL NOT NULL);
"""


def cache_dir() -> Path:
    """The per-user cache folder (``$PHOTOORG_CACHE_DIR`` overrides it)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def model_cache_key(choice: ModelChoice, device: str) -> str:
    """A digest of what decides a concept's vector besides its prompts.

    The weights file's hash is part of ``choice`` when the user gave a file;
    a named pretrained tag pins its weights. The device kind stands for the
    text tower's precision: fp16 on CUDA, bfloat16 on CPUs that support it.
    """
    parts = {
        "arch": choice.arch,
        "pretrained": choice.pretrained,
        "weights_sha256": choice.weights_sha256,
        "device": device.split(":")[0],
        "ensemble": ENSEMBLE_VERSION,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


class ConceptVectorCache:
    """Vectors by (model cache key, prompts hash), with the model's logit scale."""

    def __init__(self, model_key: str, folder: Path | None = None) -> None:
        self.model_key = model_key
        self.path = (folder or cache_dir()) / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=30)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SCHEMA)
                self._connection = connection
            except (OSError, sqlite3.Error) as exc:
                log.warning("concept vector cache %s unusable, computing without it: %s", self.path, exc)
                self._broken = True
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> ConceptVectorCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lookup(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes``."""
        connection = self._connect()
        if connection is None or not hashes:
            return {}
        found: dict[str, np.ndarray] = {}
        try:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for digest, blob in connection.execute(
                    f"SELECT prompts_hash, vector FROM vectors WHERE model = ? AND prompts_hash IN ({marks})",
                    (self.model_key, *chunk),
                ):
                    found[digest] = np.frombuffer(blob, dtype="<f4").copy()
        except sqlite3.Error as exc:
            log.warning("reading the concept vector cache failed: %s", exc)
            return {}
        return found

    def store(self, vectors: dict[str, np.ndarray]) -> None:
        """Add one batch (its own transaction, so a kill keeps earlier batches)."""
        self._write(
            "INSERT OR REPLACE INTO vectors (model, prompts_hash, vector) VALUES (?, ?, ?)",
            [(self.model_key, digest, np.asarray(v, dtype="<f4").tobytes()) for digest, v in vectors.items()],
        )

    def logit_scale(self) -> float | None:
        connection = self._connect()
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT logit_scale FROM scales WHERE model = ?", (self.model_key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else float(row[0])

    def store_logit_scale(self, scale: float) -> None:
        self._write(
            "INSERT OR REPLACE INTO scales (model, logit_scale) VALUES (?, ?)", [(self.model_key, scale)]
        )

    def _write(self, statement: str, rows: list[tuple]) -> None:
        connection = self._connect()
        if connection is None or not rows:
            return
        try:
            with connection:
                connection.executemany(statement, rows)
        except sqlite3.Error as exc:
            log.warning("writing the concept vector cache failed: %s", exc)
