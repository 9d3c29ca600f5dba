"""Finding a model's weights: the Hugging Face cache, a download, or a local file.

The cache is the one open_clip and Hugging Face share (``HF_HUB_CACHE``, by
default ~/.cache/huggingface/hub), so weights another tool downloaded are found.
Looking in the cache never touches the network. A download has short timeouts
and no retry loop: an offline machine learns at once that it is offline.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from photoorg.errors import Cancelled, ModelUnavailableError, WeightsNotPublished
from photoorg.progress import CancelToken

# Seconds to wait for the hub to answer before calling it unreachable.
CONNECT_TIMEOUT = 10

ProgressCallback = Callable[[int, int | None], None]  # bytes done, bytes total


@dataclass(frozen=True)
class WeightsSource:
    """Where a pretrained tag's weights live on the Hugging Face hub."""

    repo_id: str
    filenames: tuple[str, ...]  # in order of preference

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}"


def hf_cache_dir() -> Path:
    # lazy: huggingface_hub is slow to import; status and show need it rarely
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def weights_source(arch: str, tag: str) -> WeightsSource:
    import open_clip  # lazy: open_clip imports torch (seconds); only model work needs it
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    hub = cfg.get("hf_hub", "")
    if not hub:
        raise WeightsNotPublished(
            f"{arch}:{tag} is not published on the Hugging Face hub; download its checkpoint "
            "yourself and pass it with --weights FILE."
        )
    # open_clip writes "org/repo/" for the default file names, "org/repo/file" otherwise.
    repo_id, filename = os.path.split(hub)
    if filename:
        names = [filename]
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
    else:
        names = [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
    return WeightsSource(repo_id, tuple(names))


def find_cached_weights(arch: str, tag: str) -> Path | None:
    """The weights file for a pretrained tag if it is in the cache (no network)."""
    # lazy: huggingface_hub is slow to import; status and show need it rarely
    from huggingface_hub import try_to_load_from_cache

    source = weights_source(arch, tag)
    for name in source.filenames:
        found = try_to_load_from_cache(source.repo_id, name)
        if isinstance(found, str) and os.path.isfile(found):
            return Path(found)
    return None


def download_weights(
    arch: str,
    tag: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Download a tag's weights into the Hugging Face cache and return the file.

    Raises :class:`ModelUnavailableError` with the reason when the hub can't be
    reached, and :class:`Cancelled` when ``cancel`` fires.
    """
    # lazy: huggingface_hub is slow to import; status and show need it rarely
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError
    from tqdm.auto import tqdm

    source = weights_source(arch, tag)
    unreachable = hub_unreachable_reason()
    if unreachable:
        raise ModelUnavailableError(
            unavailable_message(arch, tag, reason=unreachable),
            model_key=f"{arch}:{tag}",
            cache_dir=str(hf_cache_dir()),
            reason=unreachable,
        )

    class _Reporter(tqdm):
        # huggingface_hub drives this bar; it forwards bytes to our callback and
        # is where a cancel can interrupt the transfer.
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._done = 0

        def update(self, n=1):
            self._done += n or 0
            if cancel is not None and cancel.cancelled:
                raise Cancelled("download cancelled")
            if progress is not None:
                progress(self._done, self.total)

    # huggingface_hub reads its per-chunk timeout (HF_HUB_DOWNLOAD_TIMEOUT, 10 s by
    # default) from the environment; the metadata request gets ours.
    last_error: Exception | None = None
    for name in source.filenames:
        try:
            path = hf_hub_download(source.repo_id, name, etag_timeout=CONNECT_TIMEOUT, tqdm_class=_Reporter)
            return Path(path)
        except Cancelled:
            raise
        except EntryNotFoundError as exc:  # no such file in the repo (or offline): try the next name
            last_error = exc
        except Exception as exc:  # DNS, TLS, HTTP errors: all mean "not now"
            last_error = exc
            break
    raise ModelUnavailableError(
        unavailable_message(arch, tag, reason=_short_reason(last_error)),
        model_key=f"{arch}:{tag}",
        cache_dir=str(hf_cache_dir()),
        reason=_short_reason(last_error),
    )


def hub_unreachable_reason() -> str | None:
    """Why the hub can't be reached, or None when a connection opens.

    huggingface_hub retries a failed request five times with back-off (about a
    minute when offline). One direct connection attempt first answers the
    common case, an offline machine, at once.
    """
    # lazy: huggingface_hub is slow to import; status and show need it rarely
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    url = urlparse(constants.ENDPOINT)
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        return f"can't reach {host}: {exc.strerror or exc}"
    return None


def _short_reason(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def unavailable_message(arch: str, tag: str | None, *, reason: str) -> str:
    return (
        f"The CLIP model {arch}:{tag} is not available: its weights are not in the cache at "
        f"{hf_cache_dir()} and could not be downloaded ({reason}). "
        "Connect to the internet and run `photoorg index` again to download them, or pass a local "
        "open_clip checkpoint with --weights FILE. Everything except search by meaning keeps working."
    )


def sha256_file(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_identity(path: Path) -> str:
    """Size and mtime: enough to tell whether a weights file changed since it was hashed."""
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"
