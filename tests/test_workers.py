"""The one module that runs GUI work off the GUI thread: progress, pause,
cancel, latest-request-wins, error routing, LIFO order, and clean shutdown."""

from __future__ import annotations

import os
import sys
import threading

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtGui import QImage

from photoorg.errors import PhotoorgError
from photoorg.gui.app import create_app
from photoorg.gui.images import ImageLoader
from photoorg.gui.workers import WorkerPool, report


@pytest.fixture
def pool(qapp):
    create_app()
    pools: list[WorkerPool] = []

    def make(**options) -> WorkerPool:
        errors: list[str] = []
        worker_pool = WorkerPool(
            "photoorg-test", options.pop("threads", 1), error_handler=errors.append, **options
        )
        worker_pool.errors = errors
        pools.append(worker_pool)
        return worker_pool

    yield make
    for worker_pool in pools:
        worker_pool.shutdown(5)
        assert not any(t.is_alive() for t in worker_pool._threads)


def test_a_generator_yields_progress_and_returns_its_result(qtbot, pool):
    workers = pool()
    seen, results = [], []

    def count():
        yield from range(5)
        return "done"

    workers.submit(count, results.append, on_yield=seen.append)
    qtbot.waitUntil(lambda: results == ["done"], timeout=5000)
    assert seen == [0, 1, 2, 3, 4]


def test_a_plain_function_reports_progress(qtbot, pool):
    workers = pool()
    seen, results = [], []

    def download():
        for done in (10, 20):
            report((done, 20))
        return "file"

    workers.submit(download, results.append, on_yield=seen.append)
    qtbot.waitUntil(lambda: results == ["file"], timeout=5000)
    assert seen == [(10, 20), (20, 20)]


def test_pause_holds_a_generator_at_its_yield_until_resumed(qtbot, pool):
    workers = pool()
    pulled, results = [], []
    step = threading.Event()

    def steps():
        for i in range(3):
            pulled.append(i)
            step.set()
            yield i
        return len(pulled)

    job = workers.submit(steps, results.append)
    job.pause()
    qtbot.wait(200)
    # Paused before the first step: the generator was never resumed.
    assert pulled == [] and job.paused
    job.resume()
    qtbot.waitUntil(lambda: results == [3], timeout=5000)
    assert not job.paused


def test_cancel_stops_a_generator_and_drops_its_answer(qtbot, pool):
    workers = pool()
    started, results, closed = threading.Event(), [], threading.Event()
    release = threading.Event()

    def endless():
        try:
            while True:
                started.set()
                release.wait(5)
                yield None
        finally:
            closed.set()

    job = workers.submit(endless, results.append)
    assert started.wait(5)
    job.cancel()
    release.set()
    assert closed.wait(5)  # the generator was closed at its yield
    qtbot.wait(100)
    assert results == [] and workers.errors == []
    # A job cancelled while it waits never runs.
    blocker = threading.Event()
    workers.submit(lambda: blocker.wait(5))
    ran = []
    waiting = workers.submit(lambda: ran.append(1))
    waiting.cancel()
    blocker.set()
    qtbot.waitUntil(lambda: workers.pending() == 0, timeout=5000)
    assert ran == []


def test_the_latest_request_with_a_key_wins(qtbot, pool):
    workers = pool(threads=2)
    answers = []
    first_running, release = threading.Event(), threading.Event()

    def slow():
        first_running.set()
        release.wait(5)
        return "old text"

    workers.submit(slow, answers.append, key="grid")
    assert first_running.wait(5)
    workers.submit(lambda: "new text", answers.append, key="grid")
    qtbot.waitUntil(lambda: answers == ["new text"], timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: workers.pending() == 0, timeout=5000)
    qtbot.wait(50)
    assert answers == ["new text"]  # the older answer arrived late and was dropped


def test_a_superseded_waiting_job_never_runs(qtbot, pool):
    workers = pool()
    blocker, ran, answers = threading.Event(), [], []
    workers.submit(lambda: blocker.wait(5))
    workers.submit(lambda: ran.append("first") or "first", answers.append, key="details")
    workers.submit(lambda: ran.append("second") or "second", answers.append, key="details")
    blocker.set()
    qtbot.waitUntil(lambda: answers == ["second"], timeout=5000)
    assert ran == ["second"]


def test_errors_go_to_the_job_handler_or_else_to_the_pool_handler(qtbot, pool):
    workers = pool()
    own = []

    def fails(exc):
        def run():
            raise exc

        return run

    workers.submit(fails(PhotoorgError("That folder is inside the library.")))
    workers.submit(fails(ValueError("bad value")), on_error=own.append)
    workers.submit(fails(KeyError("x")))
    qtbot.waitUntil(lambda: len(workers.errors) == 2 and len(own) == 1, timeout=5000)
    assert workers.errors[0] == "That folder is inside the library."  # the user's sentence, as is
    assert workers.errors[1].startswith("Something went wrong: KeyError")
    assert own == ["Something went wrong: ValueError: bad value"]


def test_a_lifo_pool_serves_the_newest_first_and_drops_the_oldest(qtbot, pool):
    workers = pool(lifo=True, max_queued=3)
    blocker, order = threading.Event(), []
    workers.submit(lambda: blocker.wait(5))
    qtbot.waitUntil(lambda: workers.pending() == 1 and not workers._queue, timeout=5000)
    for name in "abcd":
        workers.submit(lambda n=name: order.append(n))
    blocker.set()
    qtbot.waitUntil(lambda: workers.pending() == 0, timeout=5000)
    assert order == ["d", "c", "b"]  # "a" waited longest and was dropped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_heavy_pool_runs_below_the_windows_priority(qtbot, pool):
    workers = pool(niceness=10)
    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    results = []
    workers.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [min(19, main + 10)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main


def test_shutdown_cancels_running_work_and_joins_the_threads(qtbot, pool):
    workers = pool(threads=2)
    running = threading.Event()
    answers = []

    def endless():
        while True:
            running.set()
            yield

    workers.submit(endless, answers.append)
    assert running.wait(5)
    workers.shutdown(5)
    assert not any(t.is_alive() for t in workers._threads)
    assert workers.submit(lambda: 1, answers.append).discarded  # a closed pool takes nothing
    qtbot.wait(50)
    assert answers == []


def test_the_image_loader_caches_pixmaps_and_remembers_failures(qtbot, qapp):
    create_app()
    loader = ImageLoader(threads=1)
    arrived: list = []
    loader.ready.connect(arrived.extend)
    try:

        def image():
            picture = QImage(8, 8, QImage.Format.Format_RGB32)
            picture.fill(0xFF8800)
            return picture

        def broken():
            raise OSError("gone")

        assert loader.pixmap(("thumb", "a", 8), image) is None  # queued
        assert loader.pixmap(("face", 1), broken) is None
        qtbot.waitUntil(lambda: len(arrived) == 2, timeout=5000)
        assert loader.pixmap(("thumb", "a", 8), image).width() == 8
        assert loader.failed(("face", 1)) and loader.pixmap(("face", 1), broken) is None
        loader.forget("thumb")  # the grid's cell size changed; faces stay
        assert loader.pixmap(("thumb", "a", 8), image) is None
    finally:
        loader.stop()


def test_a_job_asked_for_again_is_served_next(qtbot, pool):
    workers = pool(lifo=True)
    blocker, order = threading.Event(), []
    workers.submit(lambda: blocker.wait(5))
    qtbot.waitUntil(lambda: workers.pending() == 1 and not workers._queue, timeout=5000)
    jobs = {name: workers.submit(lambda n=name: order.append(n)) for name in "abc"}
    assert workers.promote(jobs["a"])  # scrolled back to it
    blocker.set()
    qtbot.waitUntil(lambda: workers.pending() == 0, timeout=5000)
    assert order == ["a", "c", "b"]
    assert not workers.promote(jobs["a"])  # done: nothing to promote
