"""What an analysis stage is, and how its per-photo status is recorded.

An image stage turns a decoded photo into something stored: a thumbnail, a CLIP
vector, tags, faces. Its work is split by where it runs:

- ``prepare(image)`` in the decode workers (CPU, per photo), e.g. resize and
  normalise into a tensor;
- ``infer(batch)`` in the one inference thread, batched;
- ``save(session, photo_id, result)`` in the single writer thread, inside the
  transaction that also marks the stage done.

Each stage has a ``version``: a photo is pending for a stage when it has no
status row with that version. A new model is a new version, so changing the
model re-runs just that stage; a stage added later finds every photo pending.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from photoorg.store.schema import STAGE_DONE, STAGE_FAILED, PhotoStage


@dataclass(frozen=True)
class StageSpec:
    """A stage before it is loaded: its name and version are cheap to know, so
    an indexing run with nothing to do never loads a model."""

    name: str
    version: str
    load: Callable[[], ImageStage]
    #: the photo formats the stage applies to (videos' "MP4", "MOV"...); None: all
    formats: frozenset[str] | None = None


@dataclass(frozen=True)
class Readiness:
    """Whether a stage can run now; if not, a sentence saying why and what to do."""

    ready: bool
    message: str = ""


class ImageStage(ABC):
    name: str = ""
    #: the shorter side, in pixels, the stage needs the decoded image to have
    min_side: int = 0
    #: photos per inference batch
    batch_size: int = 16
    #: False when ``prepare`` does all the work (thumbnails): no inference step
    uses_inference: bool = True
    #: a generation counter to bump (once per written batch) when results are saved
    generation: str | None = None
    #: the photo formats the stage applies to (a video stage: "MP4", "MOV"...);
    #: None: every photo. Photos of other formats are never pending for it, so
    #: adding such a stage to a large library decodes none of its photos again.
    formats: frozenset[str] | None = None

    @property
    @abstractmethod
    def version(self) -> str: ...

    def readiness(self) -> Readiness:
        return Readiness(True)

    @abstractmethod
    def prepare(self, image: Image.Image, content_hash: str | None) -> Any: ...

    def infer(self, prepared: list[Any]) -> list[Any]:
        return prepared

    @abstractmethod
    def save(self, session: Session, photo_id: int, result: Any) -> None: ...

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        """Give a byte-identical copy the source's result without decoding it.
        Returns False when this stage can't (the copy then runs the stage)."""
        return False

    def forget(self, session: Session, photo_id: int) -> None:
        """Drop stored results of a photo whose content changed."""

    def take_cpu_seconds(self) -> float:
        """CPU seconds the stage spent outside the threads that call it (helper
        threads, child processes) since it was last asked; the pipeline's CPU
        breakdown adds them to the stage (see pipeline/cpu_costs.py)."""
        return 0.0


class WaitingStage(ImageStage):
    """Stands in for a stage that can't run now (no weights): it is reported as
    waiting and its photos stay pending for the next run."""

    uses_inference = False

    def __init__(self, name: str, version: str, message: str) -> None:
        self.name = name
        self._version = version
        self._message = message

    @property
    def version(self) -> str:
        return self._version

    def readiness(self) -> Readiness:
        return Readiness(False, self._message)

    def prepare(self, image, content_hash):  # pragma: no cover - never scheduled
        raise RuntimeError("a waiting stage is never run")

    def save(self, session, photo_id, result):  # pragma: no cover - never scheduled
        raise RuntimeError("a waiting stage is never run")


class StageMarks:
    """Stage status rows gathered over a batch and written in one statement;
    one upsert per photo and stage costs more than the rest of the writing."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, photo_id: int, stage: str, version: str, error: str | None = None) -> None:
        state = STAGE_FAILED if error else STAGE_DONE
        self.rows.append((photo_id, stage, version, state, error, datetime.now().isoformat(sep=" ")))

    def flush(self, session: Session) -> None:
        if self.rows:
            session.connection().exec_driver_sql(
                "INSERT OR REPLACE INTO photo_stages (photo_id, stage, version, state, error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                self.rows,
            )
            self.rows = []


def clear_stages(session: Session, photo_id: int) -> None:
    session.execute(delete(PhotoStage).where(PhotoStage.photo_id == photo_id))


def stage_done_for(session: Session, photo_id: int, stage: str, version: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    PhotoStage.photo_id == photo_id,
                    PhotoStage.stage == stage,
                    PhotoStage.version == version,
                    PhotoStage.state == STAGE_DONE,
                )
            )
        )
    )
