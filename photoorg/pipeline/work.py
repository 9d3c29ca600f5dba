"""One photo's trip through a decode worker: read once, hash, read metadata,
decode once at the largest size any pending stage needs, prepare for each stage.

Files a capability's media reader claims (videos, RAW files) take the same trip
through the reader: the file is hashed in chunks rather than read whole, and the
reader gives the metadata and the one picture every stage works on.
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from photoorg.errors import PhotoorgError
from photoorg.extensions.media_readers import MediaReader
from photoorg.pipeline.cpu_costs import CpuLedger
from photoorg.pipeline.stages import ImageStage
from photoorg.scan.files import hash_regular_file, read_regular_file
from photoorg.scan.formats import reader_for
from photoorg.scan.imageio import ImageReadError, decode, open_image
from photoorg.scan.metadata import PhotoMetadata, read_metadata
from photoorg.store.schema import PHOTO_FAILED, PHOTO_UNREADABLE

# Errors that mean the library can't be written, not that a photo is bad. They
# stop the run with a message instead of marking every later photo failed.
_FATAL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS}

#: in a decoded image's ``info``: how much smaller than the file the decoder
#: made it (JPEG's DCT scaling), so a stage can tell a reduced large photo
#: from a small one (the faces detector scales the former back up).
DECODE_SCALE_KEY = "photoorg.decode_scale"


class DiskFullError(PhotoorgError):
    pass


@dataclass
class WorkItem:
    path: str
    size: int
    mtime_ns: int
    root_id: int | None = None
    photo_id: int | None = None  # None: a file not yet in the index
    ingest: bool = False  # read the hash and metadata (a new or changed file)
    stages: tuple[str, ...] = ()  # image stages this photo still needs
    content_hash: str | None = None  # as indexed, for photos already in the index
    note: str | None = None  # for "Needs attention": why this file became a new photo


@dataclass
class WorkResult:
    item: WorkItem
    content_hash: str | None = None
    metadata: PhotoMetadata | None = None
    vanished: bool = False  # gone between the walk and the read
    error: str | None = None  # the file as a whole could not be read
    error_state: str | None = None  # PHOTO_FAILED or PHOTO_UNREADABLE
    known_content: bool = False  # the hash is already in the index: no decode was done
    prepared: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    stage_errors: dict[str, str] = field(default_factory=dict)

    @property
    def needs_inference(self) -> bool:
        return bool(self.prepared)


def _read(path: str) -> bytes:
    return read_regular_file(path)  # never blocks on a FIFO swapped in after the walk


def _fatal_if_disk_full(exc: OSError, what: str) -> None:
    if exc.errno in _FATAL_ERRNOS:
        raise DiskFullError(
            f"Can't write {what}: {exc.strerror}. Free some space on that disk and run the "
            "command again; everything finished so far is saved."
        ) from exc


def process(
    item: WorkItem,
    stages: Mapping[str, ImageStage],
    known_hashes: Collection[str] = (),
    ledger: CpuLedger | None = None,
) -> WorkResult:
    """Do the CPU work for one file. Never raises for a bad file; raises
    :class:`DiskFullError` when the library's disk can't take more. Each
    step's CPU time goes to ``ledger`` under the step's name."""
    ledger = ledger or CpuLedger()
    result = WorkResult(item)
    reader = reader_for(item.path)
    if reader is not None:
        return _process_media(item, reader, stages, known_hashes, ledger, result)
    try:
        with ledger.measure("read"):
            data = _read(item.path)
    except OSError as exc:
        return _read_failure(result, exc)

    if not data:
        result.error, result.error_state = "empty file (0 bytes)", PHOTO_FAILED
        return result

    try:
        with ledger.measure("metadata"):
            image = open_image(data)
        if item.ingest:
            with ledger.measure("hash"):
                result.content_hash = hashlib.sha256(data).hexdigest()
            with ledger.measure("metadata"):
                result.metadata = read_metadata(image)
            if result.content_hash in known_hashes:
                # A move or a copy of a photo already analysed: the writer
                # decides which, and reuses results instead of decoding again.
                result.known_content = True
                return result
        wanted = _wanted(item, stages, result.metadata)
        if not wanted:
            return result
        with ledger.measure("decode"):
            full_short = min(image.size)
            decoded = decode(image, max(stage.min_side for stage in wanted))
            decoded.info[DECODE_SCALE_KEY] = full_short / max(1, min(decoded.size))
    except ImageReadError as exc:
        if item.ingest:
            result.error, result.error_state = str(exc), PHOTO_FAILED
        else:
            result.stage_errors = {name: str(exc) for name in item.stages}
        return result
    finally:
        del data

    _prepare_stages(result, wanted, decoded, ledger)
    return result


def _read_failure(result: WorkResult, exc: OSError) -> WorkResult:
    """Record why a file could not be read at all (or that it is gone)."""
    if isinstance(exc, (FileNotFoundError, IsADirectoryError)):
        result.vanished = True
    elif isinstance(exc, PermissionError):
        result.error, result.error_state = "permission denied", PHOTO_UNREADABLE
    else:  # I/O error, a drive that went away mid-read
        result.error, result.error_state = (
            f"could not read the file ({exc.strerror or exc})",
            PHOTO_UNREADABLE,
        )
    return result


def _process_media(
    item: WorkItem,
    reader: MediaReader,
    stages: Mapping[str, ImageStage],
    known_hashes: Collection[str],
    ledger: CpuLedger,
    result: WorkResult,
) -> WorkResult:
    """:func:`process` for a file a media reader claims (a video, a RAW file).
    The metadata comes first: a file the reader refuses (too large) is never hashed."""
    if item.ingest and item.size == 0:
        result.error, result.error_state = "empty file (0 bytes)", PHOTO_FAILED
        return result
    try:
        if item.ingest:
            with ledger.measure("metadata"):
                result.metadata = reader.read_metadata(item.path)
            with ledger.measure("hash"):
                result.content_hash = hash_regular_file(item.path)
            if result.content_hash in known_hashes:
                result.known_content = True
                return result
        wanted = _wanted(item, stages, result.metadata)
        if not wanted:
            return result
        with ledger.measure("decode"):
            decoded = reader.decode(item.path, max(stage.min_side for stage in wanted))
            decoded.info.setdefault(DECODE_SCALE_KEY, 1.0)
    except ImageReadError as exc:
        if item.ingest:
            result.metadata = None
            result.error, result.error_state = str(exc), PHOTO_FAILED
        else:
            result.stage_errors = {name: str(exc) for name in item.stages}
        return result
    except OSError as exc:
        result.metadata = None
        return _read_failure(result, exc)
    _prepare_stages(result, wanted, decoded, ledger)
    return result


def _wanted(item: WorkItem, stages: Mapping[str, ImageStage], metadata: PhotoMetadata | None) -> list:
    """The pending stages that apply to this file: a stage for some formats
    alone (videos) is left out for the others."""
    wanted = [stages[name] for name in item.stages if name in stages]
    if metadata is None:  # pending work: the pending query checked the format
        return wanted
    return [stage for stage in wanted if stage.formats is None or metadata.format in stage.formats]


def _prepare_stages(result: WorkResult, wanted: list[ImageStage], decoded, ledger: CpuLedger) -> None:
    item = result.item
    for stage in wanted:
        try:
            with ledger.measure(stage.name):
                prepared = stage.prepare(decoded, result.content_hash or item.content_hash)
        except OSError as exc:
            _fatal_if_disk_full(exc, f"the {stage.name} of {item.path}")
            result.stage_errors[stage.name] = f"{type(exc).__name__}: {exc}"
            continue
        except Exception as exc:
            result.stage_errors[stage.name] = f"{type(exc).__name__}: {exc}"
            continue
        if stage.uses_inference:
            result.prepared[stage.name] = prepared
        else:
            result.outputs[stage.name] = prepared
