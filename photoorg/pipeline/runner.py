"""The producer-consumer engine: decode workers -> one inference thread -> writer.

- Decode workers (threads: Pillow and hashlib release the GIL) read, hash and
  decode files and prepare stage inputs. Their output queue is bounded, so they
  never run more than a few batches ahead of inference (memory stays flat).
- One inference thread per run batches prepared inputs per stage. Torch uses
  its own intra-op threads for the batch.
- The caller's thread is the single database writer: it commits finished
  results in batches and yields after each commit. Everything committed
  survives a crash or Ctrl-C; a rerun only sees the rest as pending.

Cancel and pause come through a :class:`CancelToken`. On cancel, workers stop
taking new files, work already decoded is finished and written, then the run
ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from photoorg.pipeline.cpu_costs import CpuLedger
from photoorg.pipeline.stages import ImageStage
from photoorg.pipeline.work import WorkItem, WorkResult
from photoorg.progress import CancelToken

_DONE = object()

WRITE_EVERY_ITEMS = 64
WRITE_EVERY_SECONDS = 1.0


class _WorkerFailure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class PipelineRunner:
    def __init__(
        self,
        process: Callable[[WorkItem], WorkResult],
        stages: Sequence[ImageStage],
        *,
        token: CancelToken,
        decode_workers: int = 2,
        ledger: CpuLedger | None = None,
    ) -> None:
        self.process = process
        self.stages = list(stages)
        self.inference_stages = [s for s in stages if s.uses_inference]
        # Inference is timed here; the decode workers' steps are timed by
        # ``process``, which should be given the same ledger.
        self.ledger = ledger or CpuLedger()
        self.token = token
        self.decode_workers = max(1, decode_workers)
        batch = max((s.batch_size for s in self.inference_stages), default=16)
        self.batch_size = batch
        # Two batches in flight keeps inference busy while the next one is decoded.
        self._decoded: queue.Queue = queue.Queue(maxsize=max(4, batch * 2))
        self._finished: queue.Queue = queue.Queue()

    # -- threads ---------------------------------------------------------------

    def _decode_worker(self, items: Iterator[WorkItem], lock: threading.Lock) -> None:
        try:
            while True:
                if self.token.cancelled:
                    break
                self.token.wait_while_paused()
                if self.token.cancelled:
                    break
                with lock:
                    item = next(items, None)
                if item is None:
                    break
                result = self.process(item)
                target = self._decoded if result.needs_inference else self._finished
                self._put(target, result)
        except BaseException as exc:  # disk full and bugs alike end the run, loudly
            self.token.cancel()
            self._finished.put(_WorkerFailure(exc))
        finally:
            self._decoded.put(_DONE)

    def _put(self, target: queue.Queue, value) -> None:
        # A bounded put that still notices a cancel, so no worker blocks forever.
        while True:
            try:
                target.put(value, timeout=0.2)
                return
            except queue.Full:
                if self.token.cancelled and target is self._decoded:
                    # Inference keeps draining on cancel, so this frees up soon.
                    continue

    def _inference_worker(self) -> None:
        finished_workers = 0
        try:
            while finished_workers < self.decode_workers:
                batch: list[WorkResult] = []
                first = self._decoded.get()
                if first is _DONE:
                    finished_workers += 1
                    continue
                batch.append(first)
                deadline = time.monotonic() + 0.05
                while len(batch) < self.batch_size and finished_workers < self.decode_workers:
                    try:
                        timeout = max(0.0, deadline - time.monotonic())
                        value = self._decoded.get(timeout=timeout) if timeout else self._decoded.get_nowait()
                    except queue.Empty:
                        break
                    if value is _DONE:
                        finished_workers += 1
                    else:
                        batch.append(value)
                self._run_batch(batch)
                for result in batch:
                    self._finished.put(result)
        except BaseException as exc:
            self.token.cancel()
            self._finished.put(_WorkerFailure(exc))
        finally:
            self._finished.put(_DONE)

    def _run_batch(self, batch: list[WorkResult]) -> None:
        for stage in self.inference_stages:
            members = [r for r in batch if stage.name in r.prepared]
            if not members:
                continue
            try:
                with self.ledger.measure_inference(stage.name):
                    outputs = stage.infer([r.prepared[stage.name] for r in members])
            except Exception as exc:  # one bad batch fails its photos, not the run
                for result in members:
                    result.stage_errors[stage.name] = f"{type(exc).__name__}: {exc}"
            else:
                for result, output in zip(members, outputs, strict=True):
                    result.outputs[stage.name] = output
            for result in members:
                result.prepared.pop(stage.name, None)
        self._collect_stage_cpu()

    def _collect_stage_cpu(self) -> None:
        for stage in self.stages:
            self.ledger.add(stage.name, stage.take_cpu_seconds())

    # -- the caller's side -------------------------------------------------------

    def run(self, items: Iterable[WorkItem]) -> Iterator[list[WorkResult]]:
        """Yield finished results in batches, in the caller's thread, for writing.

        Raises the first worker failure (e.g. a full disk) after the threads
        have stopped.
        """
        iterator = iter(items)
        lock = threading.Lock()
        threads = [
            threading.Thread(
                target=self._decode_worker, args=(iterator, lock), name=f"photoorg-decode-{i}", daemon=True
            )
            for i in range(self.decode_workers)
        ]
        threads.append(
            threading.Thread(target=self._inference_worker, name="photoorg-inference", daemon=True)
        )
        for thread in threads:
            thread.start()
        failure: BaseException | None = None
        pending: list[WorkResult] = []
        last_flush = time.monotonic()
        try:
            while True:
                try:
                    value = self._finished.get(timeout=0.25)
                except queue.Empty:
                    value = None
                if value is _DONE:
                    break
                if isinstance(value, _WorkerFailure):
                    failure = failure or value.exc
                elif value is not None:
                    pending.append(value)
                now = time.monotonic()
                if pending and (len(pending) >= WRITE_EVERY_ITEMS or now - last_flush >= WRITE_EVERY_SECONDS):
                    batch, pending = pending, []
                    last_flush = now
                    yield batch
                elif value is None:
                    yield []  # a heartbeat: lets the caller report progress and see a pause
            # Decode workers that finished after the inference thread's last read
            # have put directly to the finished queue; collect them too.
            while True:
                try:
                    value = self._finished.get_nowait()
                except queue.Empty:
                    break
                if isinstance(value, _WorkerFailure):
                    failure = failure or value.exc
                elif value is not _DONE:
                    pending.append(value)
            if pending:
                yield pending
        finally:
            if failure is not None:
                self.token.cancel()
            self._shutdown(threads)
            self._collect_stage_cpu()
        if failure is not None:
            raise failure

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        if any(t.is_alive() for t in threads):
            self.token.cancel()
            # Unblock anyone waiting on a full queue.
            deadline = time.monotonic() + 30
            while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                for q in (self._decoded, self._finished):
                    try:
                        while True:
                            q.get_nowait()
                    except queue.Empty:
                        pass
                for thread in threads:
                    thread.join(timeout=0.05)
