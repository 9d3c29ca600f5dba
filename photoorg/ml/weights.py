"""Finding a model's weights: the Hugging Face cache, a download, or a local file.

The cache is the one open_clip and Hugging Face share (``HF_HUB_CACHE``, by
default ~/.cache/huggingface/hub), so weights another tool downloaded are found.
Looking in the cache is a few file-system checks: it touches no network and
imports neither torch nor open_clip (``photoorg status`` does it on every run).
Before a download, one short DNS and connect check tells an offline machine it
is offline in about a second, and a failed download is not tried again in the
same process.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from photoorg.errors import Cancelled, ModelUnavailableError, WeightsNotPublished
from photoorg.progress import CancelToken

# Seconds to wait for the hub's name and for a connection before calling it unreachable.
CONNECT_TIMEOUT = 1.5
# Seconds for the hub's answer to the metadata request, once it is known to be reachable.
ETAG_TIMEOUT = 10

ProgressCallback = Callable[[int, int | None], None]  # bytes done, bytes total


@dataclass(frozen=True)
class WeightsSource:
    """Where a pretrained tag's weights live on the Hugging Face hub."""

    repo_id: str
    filenames: tuple[str, ...]  # in order of preference

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}"

    def to_setting(self) -> dict:
        return {"repo_id": self.repo_id, "filenames": list(self.filenames)}


_OPEN_CLIP_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")

# Where open_clip publishes the curated models (open_clip.get_pretrained_cfg()
# "hf_hub"), so finding them needs no import of open_clip; a test checks this
# table against open_clip. Other tags are looked up in open_clip once and
# remembered (see remember_source and ml/selection.py).
_SOURCES: dict[tuple[str, str], WeightsSource] = {
    (arch, tag): WeightsSource(repo, _OPEN_CLIP_FILES)
    for arch, tag, repo in (
        ("ViT-B-32", "laion2b_s34b_b79k", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"),
        ("MobileCLIP-S2", "datacompdr", "apple/MobileCLIP-S2-OpenCLIP"),
        ("MobileCLIP2-S2", "dfndr2b", "timm/MobileCLIP2-S2-OpenCLIP"),
        ("ViT-B-16", "laion2b_s34b_b88k", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K"),
        ("ViT-L-14", "laion2b_s32b_b82k", "laion/CLIP-ViT-L-14-laion2B-s32B-b82K"),
    )
}


def remember_source(arch: str, tag: str, source: WeightsSource) -> None:
    _SOURCES[(arch, tag)] = source


def hf_cache_dir() -> Path:
    from huggingface_hub import constants  # a small module: no network, no torch

    return Path(constants.HF_HUB_CACHE)


def weights_source(arch: str, tag: str) -> WeightsSource:
    known = _SOURCES.get((arch, tag))
    if known is not None:
        return known
    return open_clip_source(arch, tag)


def open_clip_source(arch: str, tag: str) -> WeightsSource:
    """The hub location open_clip knows for a tag (imports open_clip)."""
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
    source = WeightsSource(repo_id, tuple(names))
    remember_source(arch, tag, source)
    return source


def find_cached_weights(arch: str, tag: str) -> Path | None:
    """The weights file for a pretrained tag if it is in the cache (no network)."""
    source = weights_source(arch, tag)
    for name in source.filenames:
        found = cached_file(source.repo_id, name)
        if found is not None:
            return found
    return None


def cached_file(repo_id: str, filename: str, revision: str = "main") -> Path | None:
    """A file of a hub repo in the Hugging Face cache, by its layout
    (``models--ORG--NAME/refs/REVISION`` names the snapshot): what
    huggingface_hub's ``try_to_load_from_cache`` does, without importing it."""
    repo = hf_cache_dir() / ("models--" + repo_id.replace("/", "--"))
    try:
        commit = (repo / "refs" / revision).read_text().strip()
    except OSError:
        return None
    path = repo / "snapshots" / commit / filename
    return path if path.is_file() else None


def download_weights(
    arch: str,
    tag: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Download a tag's weights into the Hugging Face cache and return the file.

    An explicit request (a button, `photoorg models get`): it always tries.
    Raises :class:`ModelUnavailableError` with the reason when the hub can't be
    reached, and :class:`Cancelled` when ``cancel`` fires.
    """
    try:
        path = _download(arch, tag, progress=progress, cancel=cancel)
    except ModelUnavailableError as exc:
        with _failures_lock:
            _failed_downloads[(arch, tag)] = exc
        raise
    with _failures_lock:
        _failed_downloads.pop((arch, tag), None)
    return path


def download_once(
    arch: str,
    tag: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """A download no one asked for by name (a model needed by a stage or a
    search): tried at most once per process. After a failure, the same error
    comes back at once instead of another wait for the network."""
    with _failures_lock:
        failed = _failed_downloads.get((arch, tag))
    if failed is not None:
        raise failed
    return download_weights(arch, tag, progress=progress, cancel=cancel)


# Downloads that failed in this process, by (arch, tag).
_failed_downloads: dict[tuple[str, str], ModelUnavailableError] = {}
_failures_lock = threading.Lock()


def forget_failed_downloads() -> None:
    """Let automatic attempts try again (the network may be back)."""
    with _failures_lock:
        _failed_downloads.clear()


def _download(arch: str, tag: str, *, progress, cancel) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError
    from tqdm.auto import tqdm

    source = weights_source(arch, tag)
    unreachable = hub_unreachable_reason()
    if unreachable:
        raise ModelUnavailableError(
            download_failed_message(arch, tag, reason=unreachable),
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
            path = hf_hub_download(source.repo_id, name, etag_timeout=ETAG_TIMEOUT, tqdm_class=_Reporter)
            return Path(path)
        except Cancelled:
            raise
        except EntryNotFoundError as exc:  # no such file in the repo (or offline): try the next name
            last_error = exc
        except Exception as exc:  # DNS, TLS, HTTP errors: all mean "not now"
            last_error = exc
            break
    raise ModelUnavailableError(
        download_failed_message(arch, tag, reason=_short_reason(last_error)),
        model_key=f"{arch}:{tag}",
        cache_dir=str(hf_cache_dir()),
        reason=_short_reason(last_error),
    )


def hub_unreachable_reason(timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Why the hub can't be reached, or None when a connection opens.

    huggingface_hub retries a failed request five times with back-off (about a
    minute when offline), and a plain connect waits for the resolver, which
    can take 10-40 s to give up without a network. The name is resolved in a
    helper thread under ``timeout``, then one connection is tried under it.
    """
    # lazy: huggingface_hub is slow to import; status and show need it rarely
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    return url_unreachable_reason(constants.ENDPOINT, timeout)


def url_unreachable_reason(endpoint: str, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Why ``endpoint``'s host can't be reached, or None when a connection opens
    (the name resolved in a helper thread under ``timeout``, then one connect)."""
    url = urlparse(endpoint)
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    addresses = _resolve(host, port, timeout)
    if isinstance(addresses, str):
        return f"can't reach {host}: {addresses}"
    family, kind, proto, _, address = addresses[0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
    except OSError as exc:
        return f"can't reach {host}: {exc.strerror or exc}"
    return None


def _resolve(host: str, port: int, timeout: float) -> list | str:
    """getaddrinfo with a deadline (it has none of its own); a reason on failure."""
    result: list = []

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            result.append(exc)

    thread = threading.Thread(target=lookup, name="hub-dns-lookup", daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        return "no answer from the name server (no network?)"
    if isinstance(result[0], OSError):
        return result[0].strerror or str(result[0])
    return result[0] or "no address"


def _short_reason(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def unavailable_message(arch: str, tag: str | None, *, reason: str) -> str:
    """One line with a way to act; the details (the cache folder) are in
    `photoorg status` and on the error's attributes."""
    return (
        f"No CLIP model yet ({arch}:{tag}): run `photoorg models get` or pass --weights FILE "
        "(`photoorg status` shows details)."
    )


def download_failed_message(arch: str, tag: str | None, *, reason: str) -> str:
    """After a download was tried: the network's reason, shortened, then what to do."""
    if len(reason) > 120:
        reason = reason[:119] + "…"
    return (
        f"Could not download the CLIP model {arch}:{tag} ({reason}). Connect to the internet and try "
        "again (`photoorg models get`), or pass --weights FILE."
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
