"""dlib's face-descriptor network in a child process.

dlib's Python binding holds the GIL for the whole forward pass, ~75 ms a face
on a CPU. In the indexing process that stalls every other thread each time it
wants the GIL back: the decode worker, the detector, and the GUI's event loop.
In a child process the network runs beside them; the inference thread only
waits on a pipe (which releases the GIL). Chips go over the pipe (67 KB a
face) and 128 floats come back.

The child (see :mod:`photoorg.child_process`) ends when its stdin closes: the
stage was released, or this process died. If it can't be started, or dies
twice, the network runs in this process instead. A frozen app (PyInstaller)
keeps it in-process from the start: its executable is the app, not Python.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import weakref

import numpy as np

from photoorg.child_process import (
    child_processes_allowed,
    read_message,
    start_child,
    stop_child,
    write_message,
)

log = logging.getLogger(__name__)

_CHILD_CODE = "from photoorg.faces.encoder_process import serve; serve()"


def serve() -> None:
    """The child's loop: a model path, then lists of chips in, descriptors
    out with the CPU seconds they took (the parent's CPU breakdown counts them)."""
    import dlib  # lazy: dlib loads its native library; only the faces stage needs it

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the channel
    encoder = dlib.face_recognition_model_v1(read_message(stdin))
    while True:
        try:
            chips = read_message(stdin)
        except EOFError:
            return
        started = time.process_time()
        # One call for the batch: dlib runs the network over all of them.
        described = encoder.compute_face_descriptor([np.ascontiguousarray(chip) for chip in chips])
        vectors = [np.asarray(vector, dtype=np.float32) for vector in described]
        write_message(stdout, (vectors, time.process_time() - started))


_DETECTOR_CODE = (
    "import pickle, sys, dlib; "
    "detector = dlib.get_frontal_face_detector(); "
    "sys.stdout.buffer.write(pickle.dumps(detector, protocol=pickle.HIGHEST_PROTOCOL))"
)


def frontal_detector_pickle() -> bytes | None:
    """dlib's HOG face detector, built in a child process and pickled.

    Building it here holds the GIL for ~0.25 s (dlib decodes it from text),
    which the GUI feels as a freeze; unpickling the built one takes ~1 ms.
    The parent only waits on the child (no GIL held). None when no child
    can run; the caller then builds it in-process.
    """
    if not child_processes_allowed():
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-c", _DETECTOR_CODE], capture_output=True, timeout=120, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not build the face detector in a child process (%s); building it here", exc)
        return None
    return done.stdout or None


class EncoderProcess:
    """Descriptors of aligned face chips, computed in a child process."""

    def __init__(self, model_path: str) -> None:
        self.model_path = model_path
        self._lock = threading.Lock()
        #: CPU seconds the child spent describing, since last taken
        self.cpu_seconds = 0.0
        self._start()

    def _start(self) -> None:
        process = start_child(_CHILD_CODE)
        self._process = process
        self._finalizer = weakref.finalize(self, stop_child, process)
        write_message(process.stdin, self.model_path)

    def describe(self, chips: list[np.ndarray]) -> list[np.ndarray]:
        if not chips:
            return []
        with self._lock:
            for attempt in (1, 2):
                try:
                    write_message(self._process.stdin, list(chips))
                    vectors, seconds = read_message(self._process.stdout)
                    self.cpu_seconds += seconds
                    return vectors
                except (EOFError, OSError) as exc:
                    self._finalizer()
                    if attempt == 2:
                        raise RuntimeError(f"the face encoder process stopped ({exc})") from exc
                    log.warning("face encoder process stopped (%s); starting it again", exc)
                    self._start()
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._finalizer()
