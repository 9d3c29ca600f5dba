"""Reading XMP: the packet inside a file, and the sidecars beside it.

RDF allows one property several spellings (an attribute, an element with
text, a struct as ``rdf:parseType="Resource"`` or as a nested
``rdf:Description``), and tools use all of them, so properties are looked up by
namespace URI through the helpers below, never by prefix or by layout. The
packet itself is found and parsed by :mod:`photoorg.scan.xmp_iptc`, which
reads the capture date from the same packet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from xml.etree.ElementTree import Element

from PIL import Image

from photoorg.scan.xmp_iptc import parse_xmp_packet, xmp_packet
from photoorg.xmp.model import Region, XmpRecord

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_LR = "http://ns.adobe.com/lightroom/1.0/"
NS_DIGIKAM = "http://www.digikam.org/ns/1.0/"
NS_MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
NS_AREA = "http://ns.adobe.com/xmp/sType/Area#"
NS_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
NS_MP = "http://ns.microsoft.com/photo/1.2/"
NS_MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
NS_MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_DESCRIPTION = f"{{{RDF}}}Description"
_CONTAINERS = tuple(f"{{{RDF}}}{kind}" for kind in ("Bag", "Seq", "Alt"))
_LI = f"{{{RDF}}}li"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


# -- RDF helpers ---------------------------------------------------------------------------------


def _nodes(node: Element) -> Iterator[Element]:
    """The node and the rdf:Description nodes that carry its properties."""
    yield node
    yield from node.findall(_DESCRIPTION)


def _property(node: Element, name: str) -> Element | str | None:
    """A property of a resource: its attribute value, or its element."""
    for part in _nodes(node):
        if name in part.attrib:
            return part.attrib[name]
        found = part.find(name)
        if found is not None:
            return found
    return None


def _text(node: Element, name: str) -> str | None:
    value = _property(node, name)
    if isinstance(value, Element):
        value = value.get(f"{{{RDF}}}resource") or value.text
    value = (value or "").strip()
    return value or None


def _struct(node: Element, name: str) -> Element | None:
    """A struct property's resource (the element, or its rdf:Description)."""
    value = _property(node, name)
    if not isinstance(value, Element):
        return None
    inner = value.find(_DESCRIPTION)
    return inner if inner is not None else value


def _items(node: Element, name: str) -> list[Element]:
    """The rdf:li of an array property (Bag, Seq or Alt)."""
    value = _property(node, name)
    if not isinstance(value, Element):
        return []
    for container in _CONTAINERS:
        found = value.find(container)
        if found is not None:
            return found.findall(_LI)
    return []


def _texts(node: Element, name: str) -> list[str]:
    value = _property(node, name)
    if isinstance(value, str):  # a single value where an array belongs
        return [value.strip()] if value.strip() else []
    texts = [(li.text or "").strip() for li in _items(node, name)]
    if not texts and isinstance(value, Element) and (value.text or "").strip():
        texts = [value.text.strip()]
    return [t for t in texts if t]


def _lang_alt(node: Element, name: str) -> str | None:
    """A language alternative: the x-default entry, else the first."""
    items = _items(node, name)
    if not items:
        return _text(node, name)
    chosen = next((li for li in items if li.get(XML_LANG) == "x-default"), items[0])
    return (chosen.text or "").strip() or None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _descriptions(root: Element) -> list[Element]:
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f".//{{{RDF}}}RDF")
    return rdf.findall(_DESCRIPTION) if rdf is not None else []


# -- the fields ------------------------------------------------------------------------------------


def _rating(text: str | None) -> int | None:
    value = _number(text)
    if value is None or value < 0:  # -1: Lightroom's "rejected", not a rating
        return None
    return min(5, round(value))


def _unit_box(x, y, w, h) -> tuple[float, float, float, float] | None:
    if None in (x, y, w, h) or w <= 0 or h <= 0:
        return None
    # Clip to the image: some tools write a face that runs off the edge.
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(1.0, x + w), min(1.0, y + h)
    if right <= left or bottom <= top:
        return None
    return (left, top, right - left, bottom - top)


def _mwg_regions(description: Element) -> tuple[list[Region], tuple[int, int] | None]:
    info = _struct(description, _q(NS_MWG_RS, "Regions"))
    if info is None:
        return [], None
    applied = None
    dims = _struct(info, _q(NS_MWG_RS, "AppliedToDimensions"))
    if dims is not None:
        w, h = _number(_text(dims, _q(NS_DIM, "w"))), _number(_text(dims, _q(NS_DIM, "h")))
        applied = (int(w), int(h)) if w and h else None
    regions = []
    for li in _items(info, _q(NS_MWG_RS, "RegionList")):
        node = li.find(_DESCRIPTION)
        node = node if node is not None else li
        area = _struct(node, _q(NS_MWG_RS, "Area"))
        if area is None:
            continue
        cx, cy, w, h = (_number(_text(area, _q(NS_AREA, key))) for key in ("x", "y", "w", "h"))
        unit = _text(area, _q(NS_AREA, "unit")) or "normalized"
        if unit != "normalized" or None in (cx, cy, w, h):
            continue  # pixel areas are not in the MWG profile for regions
        box = _unit_box(cx - w / 2, cy - h / 2, w, h)  # MWG gives the centre
        if box is not None:
            name = _text(node, _q(NS_MWG_RS, "Name"))
            regions.append(Region(name, box, _text(node, _q(NS_MWG_RS, "Type")) or "Face"))
    return regions, applied


def _microsoft_regions(description: Element) -> list[Region]:
    info = _struct(description, _q(NS_MP, "RegionInfo"))
    if info is None:
        return []
    regions = []
    for li in _items(info, _q(NS_MPRI, "Regions")):
        node = li.find(_DESCRIPTION)
        node = node if node is not None else li
        numbers = [_number(v) for v in (_text(node, _q(NS_MPREG, "Rectangle")) or "").split(",")]
        if len(numbers) != 4:
            continue
        box = _unit_box(*numbers)  # left, top, width, height
        if box is not None:
            regions.append(Region(_text(node, _q(NS_MPREG, "PersonDisplayName")), box, "Face"))
    return regions


def parse_packet(packet: bytes) -> XmpRecord | None:
    """What an XMP packet says; None when it is not readable XMP."""
    root = parse_xmp_packet(packet)
    if root is None:
        return None
    record = XmpRecord()
    microsoft: list[Region] = []
    for description in _descriptions(root):
        if record.rating is None:
            record.rating = _rating(_text(description, _q(NS_XMP, "Rating")))
        record.label = record.label or _text(description, _q(NS_XMP, "Label"))
        record.caption = record.caption or _lang_alt(description, _q(NS_DC, "description"))
        record.keywords += _texts(description, _q(NS_DC, "subject"))
        record.paths += [
            tuple(p.strip() for p in path.split("|") if p.strip())
            for path in _texts(description, _q(NS_LR, "hierarchicalSubject"))
        ]
        record.paths += [
            tuple(p.strip() for p in path.split("/") if p.strip())
            for path in _texts(description, _q(NS_DIGIKAM, "TagsList"))
        ]
        regions, applied = _mwg_regions(description)
        if regions:
            record.regions += regions
            record.applied_to = record.applied_to or applied
        microsoft += _microsoft_regions(description)
    record.keywords = list(dict.fromkeys(record.keywords))
    record.paths = list(dict.fromkeys(p for p in record.paths if p))
    # Microsoft's regions only where the MWG ones are missing: digiKam writes both.
    record.regions = record.regions or microsoft
    return record


# -- where the packets are -------------------------------------------------------------------------


def sidecar_names(path: str) -> list[str]:
    """Sidecar files that may belong to ``path``, most specific first:
    ``IMG_0001.CR2.xmp`` (darktable, digiKam), then ``IMG_0001.xmp``
    (Lightroom, digiKam's compatibility option), each in either case."""
    stem = os.path.splitext(path)[0]
    return [f"{path}.xmp", f"{path}.XMP", f"{stem}.xmp", f"{stem}.XMP"]


def find_sidecar(path: str, listing: Mapping[str, int] | None = None) -> tuple[str, int] | None:
    """The sidecar of ``path`` and its mtime (ns), or None. ``listing`` (file
    name -> mtime of the folder's .xmp files) saves a stat per candidate."""
    folder = os.path.dirname(path)
    for candidate in sidecar_names(path):
        if listing is not None:
            mtime = listing.get(os.path.basename(candidate))
            if mtime is not None:
                return os.path.join(folder, os.path.basename(candidate)), mtime
            continue
        try:
            return candidate, os.stat(candidate).st_mtime_ns
        except OSError:
            continue
    return None


def folder_sidecars(folder: str) -> dict[str, int]:
    """The .xmp files of a folder (name -> mtime ns); empty when it can't be listed."""
    found: dict[str, int] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.lower().endswith(".xmp") and entry.is_file():
                    found[entry.name] = entry.stat().st_mtime_ns
    except OSError:
        pass
    return found


def embedded_packet(path: str) -> bytes | None:
    """The XMP packet inside an image file, read without decoding pixels;
    None for formats Pillow can't open (RAW: their XMP lives in sidecars)."""
    try:
        with Image.open(path) as image:
            return xmp_packet(image)
    except Exception:  # unreadable or unknown: no embedded XMP to import
        return None


class UnreadableSidecar(ValueError):
    """A sidecar that is not XMP (damaged, or not XML at all)."""


def read_photo_xmp(path: str, sidecar: str | None) -> XmpRecord:
    """The file's own packet with its sidecar's fields over it (the sidecar is
    what darktable, digiKam and Lightroom keep up to date)."""
    packet = embedded_packet(path)
    record = (parse_packet(packet) if packet else None) or XmpRecord()
    if sidecar is not None:
        try:
            with open(sidecar, "rb") as handle:
                data = handle.read(16 * 1024 * 1024)
        except OSError as exc:
            raise UnreadableSidecar(f"{sidecar}: {exc.strerror or exc}") from exc
        parsed = parse_packet(data)
        if parsed is None:
            raise UnreadableSidecar(f"{sidecar} is not readable XMP")
        record = parsed.merged_over(record)
    return record
