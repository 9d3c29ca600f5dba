"""The one-time ONNX export of the image tower (``onnx_image.build``), run in
a child process.

torch's exporter traces the model in Python and ONNX Runtime's quantiser
rewrites the graph in Python: tens of seconds that hold the GIL in long
stretches. In the app's process that froze the window for up to 150 ms at a
time during a new user's first index. In a child, the export runs beside the
app, which only waits on a pipe. The child loads its own image tower from the
same weights file (the parent's stays in use for the checks after), writes the
cache folder, and reports each step and the result.

If no child can be started (a frozen app), or it dies without an answer, the
export runs in this process as before: slower to the eye, same result. The
price of the child is a second copy of the image tower in memory (~0.35 GB
for ViT-B-32) while the export runs, once per model.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoorg.child_process import (
    child_processes_allowed,
    read_message,
    start_child,
    stop_child,
    write_message,
)
from photoorg.ml.onnx_image import RuntimeReport, StepCallback, build

log = logging.getLogger(__name__)

_CHILD_CODE = "from photoorg.ml.onnx_export_process import serve; serve()"


@dataclass
class ExportJob:
    """Everything the child needs to rebuild the parent's image tower."""

    choice: object  # ModelChoice
    weights_path: Path
    threads: int | None
    arch_config: dict | None  # the architecture as open_clip knows it here (custom ones too)
    folder: Path
    probes: list
    bound: float


class ExportFailed(RuntimeError):
    """The export itself failed in the child (it would fail here too)."""


def serve() -> None:
    """The child: one job in; ("step", text, done, total)… then ("done",
    report) or ("failed", reason) out."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the channel
    job: ExportJob = read_message(stdin)
    try:
        from photoorg.ml.clip import ClipEncoder

        if job.arch_config is not None:
            _teach_architecture(job.choice.arch, job.arch_config)
        encoder = ClipEncoder(job.choice, job.weights_path, "cpu", job.threads, text=False).load()

        def step(text: str, done: int, total: int) -> None:
            write_message(stdout, ("step", text, done, total))

        report = build(encoder, job.folder, job.probes, bound=job.bound, threads=job.threads, on_step=step)
    except Exception as exc:
        write_message(stdout, ("failed", f"{type(exc).__name__}: {exc}"))
    else:
        write_message(stdout, ("done", report.as_dict()))


def build_in_child(
    encoder,
    folder: Path,
    probes: Sequence,
    *,
    bound: float,
    threads: int | None = None,
    on_step: StepCallback | None = None,
) -> RuntimeReport:
    """``onnx_image.build`` in a child process when one can run, else here.
    Raises :class:`ExportFailed` when the export itself fails."""
    if child_processes_allowed():
        job = ExportJob(
            encoder.choice,
            encoder.weights_path,
            threads,
            _arch_config(encoder.choice.arch),
            folder,
            list(probes),
            bound,
        )
        try:
            return _run_child(job, on_step)
        except (OSError, EOFError) as exc:
            log.warning("the ONNX export process stopped (%s); exporting in this process", exc)
    return build(encoder, folder, probes, bound=bound, threads=threads, on_step=on_step)


def _arch_config(arch: str) -> dict | None:
    """The architecture's config as this process knows it: a library's custom
    architectures were taught to open_clip here, not in the child. Names that
    point elsewhere (``hf-hub:``, a folder) resolve the same in the child."""
    import open_clip  # lazy: imports torch; loaded already by the encoder

    if arch not in open_clip.list_models():
        return None
    return open_clip.get_model_config(arch)


def _teach_architecture(arch: str, config: dict) -> None:
    import open_clip  # lazy: imports torch; the child needs it anyway

    with tempfile.TemporaryDirectory(prefix="photoorg-arch-") as folder:
        path = Path(folder) / f"{arch}.json"
        path.write_text(json.dumps(config))
        open_clip.add_model_config(path)  # read now; a later rescan skips the gone file


def _run_child(job: ExportJob, on_step: StepCallback | None) -> RuntimeReport:
    process = start_child(_CHILD_CODE)
    try:
        write_message(process.stdin, job)
        while True:
            kind, *rest = read_message(process.stdout)
            if kind == "step":
                if on_step is not None:
                    on_step(*rest)
            elif kind == "failed":
                raise ExportFailed(rest[0])
            else:
                data = {key: value for key, value in rest[0].items() if key != "label"}
                return RuntimeReport(**data)
    finally:
        stop_child(process)
