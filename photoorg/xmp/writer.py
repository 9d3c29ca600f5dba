"""Writing the user's decisions as XMP, through the exiv2 library.

exiv2 writes the XMP types other tools check (``dc:subject`` a Bag,
``digiKam:TagsList`` a Seq, ``dc:description`` a language alternative, the MWG
region structs) and keeps every property it does not touch, so what digiKam,
darktable or Lightroom wrote survives. Only the fields photoorg manages are
changed, and only when they differ from what the file already says.

Every write is atomic: the new version is made in a temporary file beside the
target (a copy of it, or of the sidecar to update), flushed to disk, then
renamed over the target. A failure at any point leaves the old file as it was.

The python-exiv2 bindings are GPL-3.0, so they are an optional extra
(``pip install "photoorg[xmp]"``); without them, reading XMP still works and
write-back says it is unavailable (see README: Licences).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from photoorg.errors import PhotoorgError
from photoorg.xmp.importer import FAVORITE_LABEL, FAVORITE_LABELS
from photoorg.xmp.model import Region, XmpRecord
from photoorg.xmp.read import embedded_packet, parse_packet, sidecar_names
from photoorg.xmp.regions import MIN_IOU, displayed_regions, iou
from photoorg.xmp.settings import EMBEDDED
from photoorg.xmp.wanted import Wanted

#: formats whose files photoorg may write XMP into; RAW files are never rewritten
EMBEDDABLE = {".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".dng"}

EMPTY_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>'
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
)
_TEMP_SUFFIX = ".photoorg-tmp"
_REGIONS = "Xmp.mwg-rs.Regions"
_KEYWORD_KEYS = ("Xmp.dc.subject", "Xmp.lr.hierarchicalSubject", "Xmp.digiKam.TagsList")


class WriteBackUnavailable(PhotoorgError):
    pass


class XmpWriteError(PhotoorgError):
    pass


def unavailable_reason() -> str | None:
    """Why write-back can't run here, or None when it can."""
    try:
        found = importlib.util.find_spec("exiv2") is not None
    except (ImportError, ValueError):  # a broken install, or blocked in sys.modules
        found = False
    if not found:
        return (
            'XMP write-back needs the exiv2 bindings (GPL): pip install "photoorg[xmp]". '
            "Reading XMP works without them."
        )
    return None


def _exiv2():
    reason = unavailable_reason()
    if reason:
        raise WriteBackUnavailable(reason)
    # lazy: an optional, GPL-licensed extra (see the module docstring)
    import exiv2

    exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.error)  # its warnings are ours to report
    return exiv2


# -- what to write ----------------------------------------------------------------------------------


def _is_favorite(label: str | None) -> bool:
    return (label or "").casefold() in FAVORITE_LABELS


def _label(wanted: Wanted, current: str | None) -> str | None:
    """Favourites are ``xmp:Label="Favorite"``. A colour label another tool set
    is kept (the favourite then is not written: a label holds one value)."""
    if current and not _is_favorite(current):
        return current
    return FAVORITE_LABEL if wanted.favorite else None


def _regions(wanted: Wanted, current: XmpRecord, orientation: int | None) -> list[Region]:
    """photoorg's named faces, and the other tools' regions that lie on no
    face photoorg detected (a pet, a face it missed): those stay as they were."""
    if wanted.size is None:
        return current.regions
    theirs = displayed_regions(current.regions, current.applied_to, wanted.size, orientation)
    kept = [r for r in theirs if all(iou(r.box, face) < MIN_IOU for face in wanted.faces)]
    return kept + wanted.people


def compose(wanted: Wanted, current: XmpRecord, orientation: int | None = None) -> XmpRecord:
    """The managed fields as they should read after writing."""
    return XmpRecord(
        rating=wanted.rating,
        label=_label(wanted, current.label),
        caption=wanted.caption,
        keywords=list(dict.fromkeys(path[-1] for path in wanted.tags)),
        paths=list(wanted.tags),
        regions=_regions(wanted, current, orientation),
        applied_to=wanted.size,
    )


def _region_key(regions: list[Region]) -> list:
    return sorted(((r.name or ""), r.kind.lower(), tuple(round(v, 3) for v in r.box)) for r in regions)


def _tag_key(record: XmpRecord) -> set:
    return {tuple(level.casefold() for level in path) for path in record.tag_paths()}


def differences(planned: XmpRecord, current: XmpRecord) -> set[str]:
    """The managed fields whose values differ."""
    found = set()
    if (planned.rating or 0) != (current.rating or 0):
        found.add("rating")
    if (planned.label or None) != (current.label or None):
        found.add("label")
    if (planned.caption or None) != (current.caption or None):
        found.add("caption")
    if _tag_key(planned) != _tag_key(current):
        found.add("keywords")
    if _region_key(planned.regions) != _region_key(current.regions):
        found.add("regions")
    return found


# -- where to write -------------------------------------------------------------------------------------


def target_of(path: str, mode: str) -> tuple[str, bool]:
    """(the file to write, whether it is the photo itself). Sidecars are named
    ``IMG_0001.CR2.xmp``, as darktable and digiKam name them."""
    if mode == EMBEDDED and os.path.splitext(path)[1].lower() in EMBEDDABLE:
        return path, True
    return f"{path}.xmp", False


def _seed_sidecar(path: str) -> str | None:
    """The existing sidecar whose content the new one starts from: its own,
    else a Lightroom-style ``IMG_0001.xmp`` (so its other fields carry over)."""
    return next((name for name in sidecar_names(path) if os.path.isfile(name)), None)


def _packet_inside(path: str) -> bytes | None:
    """The file's XMP: through Pillow, else through exiv2 (a DNG Pillow can't
    open), so a packet it holds is never taken for none and overwritten."""
    packet = embedded_packet(path)
    if packet is None and unavailable_reason() is None:
        exiv2 = _exiv2()
        try:
            image = exiv2.ImageFactory.open(path)
            image.readMetadata()
            packet = str(image.xmpPacket()).encode("utf-8") or None
        except exiv2.Exiv2Error as exc:
            raise XmpWriteError(f"Can't read the XMP of {path}: {exc.args[-1] if exc.args else exc}") from exc
    return packet


def _current(path: str, target: str, embedded: bool, seed: str | None) -> XmpRecord:
    if embedded:
        packet = _packet_inside(path)
    elif seed is not None:
        with open(seed, "rb") as handle:
            packet = handle.read()
    else:
        packet = None
    if packet is None:
        return XmpRecord()
    parsed = parse_packet(packet)
    if parsed is None:
        raise XmpWriteError(f"{seed or target} holds XMP that can't be read; it was left as it is.")
    return parsed


# -- writing -----------------------------------------------------------------------------------------


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not on every platform or file system
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_replace(target: str, fill: Callable[[str], None], template: str | None) -> None:
    """Make the new ``target`` in a temporary file beside it (``template``'s
    copy, then ``fill(temp)``), flush it and rename it over ``target``."""
    folder = os.path.dirname(os.path.abspath(target))
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=_TEMP_SUFFIX, dir=folder)
    os.close(fd)
    try:
        if template is not None:
            shutil.copyfile(template, temp)
            shutil.copymode(template, temp)
        else:
            with open(temp, "w", encoding="utf-8") as handle:
                handle.write(EMPTY_PACKET)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        fill(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _set_bag(exiv2, xmp, key: str, values: list[str], array=None) -> None:
    value = exiv2.Value.create(array or exiv2.TypeId.xmpBag)
    for item in values:
        value.read(item)
    xmp.add(exiv2.XmpKey(key), value)


def _erase(xmp, prefix: str) -> None:
    for key in [
        datum.key() for datum in xmp if datum.key() == prefix or datum.key().startswith(prefix + "/")
    ]:
        del xmp[key]


def _write_regions(exiv2, xmp, regions: list[Region], size: tuple[int, int] | None) -> None:
    _erase(xmp, _REGIONS)
    if not regions:
        return
    struct = exiv2.XmpTextValue("")
    struct.setXmpStruct()
    xmp.add(exiv2.XmpKey(_REGIONS), struct)
    if size:
        dims = f"{_REGIONS}/mwg-rs:AppliedToDimensions"
        xmp[f"{dims}/stDim:w"] = str(size[0])
        xmp[f"{dims}/stDim:h"] = str(size[1])
        xmp[f"{dims}/stDim:unit"] = "pixel"
    bag = exiv2.XmpTextValue("")
    bag.setXmpArrayType(exiv2.XmpValue.XmpArrayType.xaBag)
    xmp.add(exiv2.XmpKey(f"{_REGIONS}/mwg-rs:RegionList"), bag)
    for number, region in enumerate(regions, start=1):
        item = f"{_REGIONS}/mwg-rs:RegionList[{number}]"
        struct = exiv2.XmpTextValue("")
        struct.setXmpStruct()
        xmp.add(exiv2.XmpKey(item), struct)
        if region.name:
            xmp[f"{item}/mwg-rs:Name"] = region.name
        xmp[f"{item}/mwg-rs:Type"] = region.kind
        left, top, width, height = region.box
        area = f"{item}/mwg-rs:Area"
        # MWG areas give the centre of the region.
        for key, value in (("x", left + width / 2), ("y", top + height / 2), ("w", width), ("h", height)):
            xmp[f"{area}/stArea:{key}"] = f"{value:.6f}"
        xmp[f"{area}/stArea:unit"] = "normalized"


def _apply(exiv2, xmp, planned: XmpRecord, changed: set[str]) -> None:
    if "rating" in changed:
        xmp["Xmp.xmp.Rating"] = str(planned.rating or 0)
    if "label" in changed:
        _erase(xmp, "Xmp.xmp.Label")
        if planned.label:
            xmp["Xmp.xmp.Label"] = planned.label
    if "caption" in changed:
        _erase(xmp, "Xmp.dc.description")
        if planned.caption:
            xmp["Xmp.dc.description"] = exiv2.LangAltValue(f'lang="x-default" {planned.caption}')
    if "keywords" in changed:
        for key in _KEYWORD_KEYS:
            _erase(xmp, key)
        if planned.paths:
            _set_bag(exiv2, xmp, "Xmp.dc.subject", planned.keywords)
            _set_bag(exiv2, xmp, "Xmp.lr.hierarchicalSubject", ["|".join(p) for p in planned.paths])
            _set_bag(
                exiv2, xmp, "Xmp.digiKam.TagsList", ["/".join(p) for p in planned.paths], exiv2.TypeId.xmpSeq
            )
    if "regions" in changed:
        _write_regions(exiv2, xmp, planned.regions, planned.applied_to)


@dataclass(frozen=True)
class WriteResult:
    target: str
    embedded: bool
    changed: tuple[str, ...]  # the managed fields written; empty: the file already said so

    def as_dict(self) -> dict:
        return {"target": self.target, "embedded": self.embedded, "changed": list(self.changed)}


def write_xmp(
    path: str, wanted: Wanted, mode: str, *, orientation: int | None = None, dry_run: bool = False
) -> WriteResult:
    """Write ``wanted`` for the photo at ``path`` (a sidecar, or the file
    itself where ``mode`` is embedded and the format allows it)."""
    target, embedded = target_of(path, mode)
    seed = None if embedded else _seed_sidecar(path)
    current = _current(path, target, embedded, seed)
    planned = compose(wanted, current, orientation)
    changed = differences(planned, current)
    if not changed or dry_run:
        return WriteResult(target, embedded, tuple(sorted(changed)))
    exiv2 = _exiv2()

    def fill(temp: str) -> None:
        image = exiv2.ImageFactory.open(temp)
        image.readMetadata()
        _apply(exiv2, image.xmpData(), planned, changed)
        image.writeMetadata()

    try:
        atomic_replace(target, fill, path if embedded else seed)
    except exiv2.Exiv2Error as exc:
        raise XmpWriteError(f"Can't write XMP to {target}: {exc.args[-1] if exc.args else exc}") from exc
    except OSError as exc:
        raise XmpWriteError(f"Can't write XMP to {target}: {exc.strerror or exc}") from exc
    return WriteResult(target, embedded, tuple(sorted(changed)))
