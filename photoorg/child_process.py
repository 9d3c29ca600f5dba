"""Talking to a helper child process over its stdin and stdout.

Some work holds Python's GIL for long stretches (dlib's face network, torch's
ONNX exporter). Run in this process, it stalls every other thread, the GUI's
event loop included. In a child it runs beside them and this process only
waits on a pipe, which releases the GIL.

The child is a plain ``python -c`` (never a re-import of the caller's main
module, as multiprocessing's "spawn" would do), speaking length-prefixed
pickles. Pickle is safe here: both ends are this package, on this machine.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

_HEADER = struct.Struct("<Q")


def read_message(stream):
    """The next message; ``EOFError`` when the other side closed the pipe."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    return pickle.loads(data)


def write_message(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def child_processes_allowed() -> bool:
    """False in a frozen app (PyInstaller): its executable is the app, not Python."""
    return not getattr(sys, "frozen", False) and bool(sys.executable)


def child_environment() -> dict[str, str]:
    """This process's environment, with this package importable from where
    this process found it (an editable install, a checkout, a test's tree)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def start_child(code: str) -> subprocess.Popen:
    """``python -c code`` with pipes on stdin and stdout (stderr is this process's)."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_environment(),
        close_fds=True,
    )


def stop_child(process: subprocess.Popen) -> None:
    """Close its pipes (its cue to end), wait a little, then kill it."""
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:
            pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
