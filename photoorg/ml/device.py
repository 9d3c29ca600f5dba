"""Choosing where inference runs: cuda > mps > cpu, unless the user says."""

from __future__ import annotations

import os

from photoorg.errors import PhotoorgError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def choose_device(preference: str | None = None) -> str:
    import torch  # lazy: torch takes seconds to import; only model work needs it

    wanted = (preference or "auto").lower()
    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if wanted.startswith("cuda"):
        if not torch.cuda.is_available():
            raise PhotoorgError(f"--device {preference}: no CUDA GPU is available here (use auto or cpu).")
        return wanted
    if wanted == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise PhotoorgError("--device mps: Apple Metal is not available here (use auto or cpu).")
        return "mps"
    if wanted == "cpu":
        return "cpu"
    raise PhotoorgError(f"Unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)}.")


def default_threads() -> int:
    """Inference threads on the CPU: all cores but one for decoding, at least one."""
    cores = os.cpu_count() or 1
    return max(1, cores - 1) if cores > 2 else cores


def configure_torch_threads(threads: int | None) -> int:
    import torch  # lazy: torch takes seconds to import; only model work needs it

    count = threads or default_threads()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count
