"""A whole indexing run: scan the roots, then run every pending stage.

``Indexer.run()`` is a generator of :class:`Progress` events; the CLI draws
them as a progress bar and the GUI forwards them from a worker thread. The
summary of the run is on ``indexer.summary`` when the generator ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial

import filelock
from sqlalchemy import and_, delete, exists, not_, select

from photoorg.errors import Cancelled, ModelUnavailableError, PhotoorgError
from photoorg.pipeline.cpu_costs import CpuLedger, measure_steps
from photoorg.pipeline.identity import IdentityResolver
from photoorg.pipeline.metadata_refresh import refresh_metadata
from photoorg.pipeline.reconcile import ResultWriter, RootPlan, known_hashes, mark_missing, scan_root
from photoorg.pipeline.runner import PipelineRunner
from photoorg.pipeline.stages import ImageStage, StageSpec, WaitingStage
from photoorg.pipeline.work import WorkItem, process
from photoorg.progress import CancelToken, Progress, RateMeter
from photoorg.store.db import Database
from photoorg.store.schema import PHOTO_OK, STAGE_FAILED, Photo, PhotoStage, Root


def load_stage(spec: StageSpec) -> ImageStage:
    """Load a stage, or stand in a waiting one that says why it can't run."""
    try:
        return spec.load()
    except ModelUnavailableError as exc:
        return WaitingStage(spec.name, spec.version, str(exc))


def as_spec(stage: ImageStage | StageSpec) -> StageSpec:
    if isinstance(stage, StageSpec):
        return stage
    return StageSpec(stage.name, stage.version, lambda: stage, stage.formats)


def after_stage_counts(ran: object) -> dict[str, dict[str, int]]:
    """What an after-index step did, as ``{stage: {"done": n, "failed": m, ...}}``.

    A step's generator returns either that mapping or an object with a
    ``stage_counts()`` method (the faces clustering's summary); anything else
    (None: nothing to report) counts as nothing.
    """
    if hasattr(ran, "stage_counts"):
        ran = ran.stage_counts()
    return dict(ran) if isinstance(ran, dict) else {}


@dataclass
class IndexSummary:
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    failed: int = 0
    seconds: float = 0.0
    stages: dict[str, dict[str, int]] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)
    offline_roots: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    unreadable: int = 0  # photos under a folder that can't be read now
    replaced: int = 0  # photos whose file now holds another picture: missing, marks kept
    ambiguous: int = 0  # files that could be one of several photos: new photos, listed in status
    #: CPU seconds per step of the run, all threads (see pipeline/cpu_costs.py)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def highlights(self) -> list[str]:
        """What changed, in words, for both front ends ("12 new or changed, 3 moved")."""
        parts = [f"{self.indexed:,} new or changed"] if self.indexed else []
        if self.moved:
            parts.append(f"{self.moved:,} moved")
        if self.missing:
            parts.append(f"{self.missing:,} missing")
        if self.replaced:
            parts.append(f"{self.replaced:,} replaced by other pictures")
        if self.unreadable:
            parts.append(f"{self.unreadable:,} in folders that can't be read")
        if self.failed or self.ambiguous:
            parts.append(f"{self.failed + self.ambiguous:,} need attention")
        return parts

    def as_dict(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["cpu_seconds"] = {name: round(value, 3) for name, value in self.cpu_seconds.items()}
        return data


class Indexer:
    def __init__(
        self,
        db: Database,
        stages: Sequence[ImageStage | StageSpec],
        *,
        lock_path,
        exclude: frozenset[str] = frozenset(),
        token: CancelToken | None = None,
        decode_workers: int = 2,
        retry_failed: bool = False,
        after_stages: Sequence[Callable[[CancelToken], Iterator[Progress]]] = (),
        follow_external_links: bool = False,
    ) -> None:
        self.db = db
        self.specs = [as_spec(stage) for stage in stages]
        self.lock_path = lock_path
        self.exclude = exclude
        self.token = token or CancelToken()
        self.decode_workers = decode_workers
        self.retry_failed = retry_failed
        # Work that follows the image stages and needs no decoding (tags from
        # stored embeddings, grouping): each is a generator of progress that
        # returns its stage counts (see after_stage_counts) for the summary.
        self.after_stages = list(after_stages)
        self.follow_external_links = follow_external_links
        self._all_roots: list[str] = []
        self._moved = 0
        self.summary = IndexSummary()
        self.cpu = CpuLedger()

    def run(self, root_ids: Sequence[int] | None = None) -> Iterator[Progress]:
        lock = filelock.FileLock(str(self.lock_path), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise PhotoorgError(
                "Another photoorg is indexing this library right now. Let it finish, or stop it, "
                "and run this again."
            ) from exc
        started = time.monotonic()
        self.cpu = CpuLedger()
        try:
            yield from self._run(root_ids)
        finally:
            self.summary.seconds = time.monotonic() - started
            self.summary.cancelled = self.token.cancelled
            self.cpu.close()
            self.summary.cpu_seconds = self.cpu.seconds()
            lock.release()

    # -- phases ------------------------------------------------------------------

    def _run(self, root_ids: Sequence[int] | None) -> Iterator[Progress]:
        with self.db.session() as s:
            query = select(Root).order_by(Root.path)
            if root_ids is not None:
                query = query.where(Root.id.in_(list(root_ids)))
            roots = list(s.scalars(query))
            # Links may lead into any of the library's folders, not only the ones scanned now.
            self._all_roots = list(s.scalars(select(Root.path)))

        plans: list[RootPlan] = []
        for root in roots:
            self.token.checkpoint()
            yield Progress("scan", 0, None, message=f"Scanning {root.path}")
            plan = yield from measure_steps(self.cpu, self._scan(root), lambda event: "scan", "scan")
            plans.append(plan)
            if not plan.online:
                self.summary.offline_roots[root.path] = plan.offline_reason
                yield Progress(
                    "scan",
                    plan.files_seen,
                    None,
                    message=f"Skipped {root.path}: {plan.offline_reason}",
                    level="warning",
                )
        online_roots = [p.root_id for p in plans if p.online]
        self.summary.unchanged = sum(p.unchanged for p in plans)
        self.summary.unreadable = sum(len(p.unreadable_ids) for p in plans)
        vanished = [pid for plan in plans if plan.online for pid in plan.vanished_ids]
        ingest = [item for plan in plans for item in plan.items]
        if ingest:
            # Before anything is analysed: which photo each new or changed file is.
            identity = IdentityResolver(
                self.db, ingest, vanished, workers=self.decode_workers, token=self.token
            )
            yield from identity.run()
            if self.token.cancelled:
                return
            outcome = identity.outcome
            ingest = outcome.items
            self.summary.unchanged += outcome.touched
            self.summary.replaced = outcome.displaced
            self.summary.ambiguous = outcome.ambiguous
            self._moved = outcome.moved
        # Photos read by an older metadata reader: their headers only, no models.
        yield from refresh_metadata(self.db, online_roots, self.token, skip={i.photo_id for i in ingest})
        # The image stages (and the models they hold) are released before the
        # steps that follow, which may load models of their own.
        yield from self._image_stages(ingest, online_roots)
        if self.token.cancelled:
            return
        with self.cpu.measure("write"):
            self.summary.missing = mark_missing(self.db, vanished)
        for step in self.after_stages:
            if self.token.cancelled:
                return
            try:
                ran = yield from measure_steps(
                    self.cpu, step(self.token), lambda event: event.stage, "after-index"
                )
            except Cancelled:
                return  # the step committed what it finished; the rest waits for the next run
            self.summary.stages.update(after_stage_counts(ran))

    def _image_stages(self, ingest: list[WorkItem], online_roots: list[int]) -> Iterator[Progress]:
        if self.retry_failed:
            self._forget_stage_failures(self.specs)
        stages: list[ImageStage] = []
        if ingest or self._has_pending(self.specs, online_roots):
            # Models load only when there is work for them: a rescan that finds
            # nothing new finishes without touching torch.
            yield Progress("load", 0, None, message="Loading models")
            with self.cpu.measure("load", whole_process=True):
                stages = [load_stage(spec) for spec in self.specs]
        ready = [s for s in stages if s.readiness().ready]
        for stage in stages:
            state = stage.readiness()
            if not state.ready:
                self.summary.waiting[stage.name] = state.message
                yield Progress(stage.name, 0, None, message=state.message, level="warning")

        writer = ResultWriter(self.db, ready, stages)
        for stage_name in [s.name for s in ready]:
            self.summary.stages[stage_name] = {"done": 0, "failed": 0}
        try:
            yield from self._run_pipeline(writer, ingest, ready, online_roots)
            if not self.token.cancelled:
                # Copies whose original had no result yet, and anything else
                # still pending, get one more pass.
                yield from self._run_pipeline(writer, [], ready, online_roots)
        finally:
            counts = writer.counts
            self.summary.indexed = counts.indexed
            self.summary.unchanged += counts.unchanged
            self.summary.moved = self._moved + counts.moved
            self.summary.failed = counts.failed
            for name in self.summary.stages:
                self.summary.stages[name] = {
                    "done": counts.stage_done.get(name, 0),
                    "failed": counts.stage_failed.get(name, 0),
                }

    def _scan(self, root: Root):
        scanner = scan_root(
            self.db,
            root,
            self.exclude,
            self.retry_failed,
            allowed=self._all_roots,
            follow_external_links=self.follow_external_links,
        )
        try:
            while True:
                seen = next(scanner)
                self.token.checkpoint()
                yield Progress("scan", seen, None, message=f"Scanning {root.path}")
        except StopIteration as stop:
            return stop.value

    def _run_pipeline(
        self, writer: ResultWriter, ingest: list[WorkItem], ready: list[ImageStage], online_roots: list[int]
    ) -> Iterator[Progress]:
        names = tuple(s.name for s in ready)
        for item in ingest:
            item.stages = names
        changed = {item.photo_id for item in ingest if item.photo_id is not None}
        pending = [item for item in self._pending(ready, online_roots) if item.photo_id not in changed]
        work = ingest + pending
        if not work:
            return
        known = known_hashes(self.db, {item.size for item in ingest}) if ingest else set()
        stages_by_name = {s.name: s for s in ready}
        runner = PipelineRunner(
            partial(process, stages=stages_by_name, known_hashes=known, ledger=self.cpu),
            ready,
            token=self.token,
            decode_workers=self.decode_workers,
            ledger=self.cpu,
        )
        meter = RateMeter()
        done, total = 0, len(work)
        yield meter.progress("index", 0, total)
        for batch in runner.run(work):
            if batch:
                with self.cpu.measure("write"):
                    writer.write(batch)
                done += len(batch)
            progress = meter.progress("index", done, total)
            if self.token.paused:
                progress = Progress("index", done, total, message="Paused")
            yield progress

    def _forget_stage_failures(self, specs: list[StageSpec]) -> None:
        with self.db.transaction() as s:
            for spec in specs:
                s.execute(
                    delete(PhotoStage).where(PhotoStage.stage == spec.name, PhotoStage.state == STAGE_FAILED)
                )

    @staticmethod
    def _pending_query(
        stage_name: str, version: str, online_roots: list[int], formats: frozenset[str] | None = None
    ):
        processed = exists().where(
            and_(
                PhotoStage.photo_id == Photo.id,
                PhotoStage.stage == stage_name,
                PhotoStage.version == version,
            )
        )
        query = select(Photo.id).where(
            Photo.state == PHOTO_OK,
            Photo.missing_since.is_(None),
            Photo.root_id.in_(online_roots),
            not_(processed),
        )
        return query if formats is None else query.where(Photo.format.in_(sorted(formats)))

    def _has_pending(self, specs: list[StageSpec], online_roots: list[int]) -> bool:
        if not online_roots:
            return False
        with self.db.session() as s:
            return any(
                s.scalar(self._pending_query(spec.name, spec.version, online_roots, spec.formats).limit(1))
                is not None
                for spec in specs
            )

    def _pending(self, ready: list[ImageStage], online_roots: list[int]) -> list[WorkItem]:
        """Photos of online roots that some ready stage has not processed."""
        if not ready or not online_roots:
            return []
        needs: dict[int, list[str]] = {}
        with self.db.session() as s:
            for stage in ready:
                pending = self._pending_query(stage.name, stage.version, online_roots, stage.formats)
                for photo_id in s.scalars(pending):
                    needs.setdefault(photo_id, []).append(stage.name)
            if not needs:
                return []
            items: list[WorkItem] = []
            ids = sorted(needs)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for row in s.execute(
                    select(
                        Photo.id, Photo.path, Photo.size, Photo.mtime_ns, Photo.root_id, Photo.content_hash
                    ).where(Photo.id.in_(chunk))
                ):
                    items.append(
                        WorkItem(
                            row.path,
                            row.size,
                            row.mtime_ns,
                            row.root_id,
                            photo_id=row.id,
                            stages=tuple(needs[row.id]),
                            content_hash=row.content_hash,
                        )
                    )
        items.sort(key=lambda item: item.path)
        return items
