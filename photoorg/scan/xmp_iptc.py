"""Capture dates from the XMP packet and the IPTC block, for files whose EXIF
has none (exports from editors, scans, files whose EXIF was stripped).

XMP is XML with namespaces: the same property is written ``xmp:CreateDate`` by
one program and ``xap:CreateDate`` by another, as an attribute or an element,
so it is parsed as XML and matched by namespace URI, not by prefix.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree

from PIL import Image

_NS_EXIF = "http://ns.adobe.com/exif/1.0/"
_NS_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_NS_XMP = "http://ns.adobe.com/xap/1.0/"

# Most to least specific about the moment of capture (the Metadata Working
# Group's order): the camera's own time, the time the content was created,
# then the time the file or scan was created.
_XMP_DATE_PROPERTIES = (
    f"{{{_NS_EXIF}}}DateTimeOriginal",
    f"{{{_NS_PHOTOSHOP}}}DateCreated",
    f"{{{_NS_XMP}}}CreateDate",
)

_ISO_DATE = re.compile(
    r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{1,2}:?\d{2})?\s*$"
)
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")

# The IPTC-IIM dataset numbers (record 2) for the creation date and time.
_IPTC_DATE_CREATED = (2, 55)
_IPTC_TIME_CREATED = (2, 60)
_IPTC_DIGITAL_DATE = (2, 62)
_IPTC_DIGITAL_TIME = (2, 63)


def _offset_minutes(text: str | None) -> int | None:
    if not text:
        return None
    if text == "Z":
        return 0
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if total > 14 * 60:
        return None
    return -total if sign == "-" else total


def _make_datetime(year, month, day, hour=0, minute=0, second=0) -> datetime | None:
    if not 1826 <= year <= 2200:  # the first photograph; anything else is a blank
        return None
    try:
        return datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None


def parse_iso_date(text: str) -> tuple[datetime | None, int | None]:
    """'2016-03-04T05:06:07+01:00' -> (datetime, 60). A date without a time
    is midnight that day; fractions of a second are dropped."""
    match = _ISO_DATE.match(text or "")
    if not match:
        return None, None
    year, month, day, hour, minute, second, zone = match.groups()
    taken = _make_datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )
    if taken is None:
        return None, None
    return taken, _offset_minutes(zone) if hour else None


def xmp_packet(image: Image.Image) -> bytes | None:
    """The raw XMP packet embedded in an opened image (JPEG APP1, PNG iTXt,
    WebP, TIFF tag 700), or None."""
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if not packet and image.format == "TIFF":
        tags = getattr(image, "tag_v2", None)
        packet = tags.get(700) if tags is not None else None  # XMLPacket
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if isinstance(packet, tuple):  # some TIFF writers store it as a BYTE array
        try:
            packet = bytes(packet)
        except (TypeError, ValueError):
            return None
    return packet if isinstance(packet, bytes) and packet else None


def parse_xmp_packet(packet: bytes) -> ElementTree.Element | None:
    """The packet's XML tree, forgiving padding and junk around it; None when
    it is not XML (shared with photoorg.xmp, which reads the rest of it)."""
    try:
        return ElementTree.fromstring(packet.strip(b"\x00 \r\n\t"))
    except ElementTree.ParseError:
        pass
    # Trailing padding or junk around the packet: keep just the xmpmeta element.
    start = packet.find(b"<x:xmpmeta")
    end = packet.rfind(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        return None
    try:
        return ElementTree.fromstring(packet[start : end + len(b"</x:xmpmeta>")])
    except ElementTree.ParseError:
        return None


def xmp_date(image: Image.Image) -> tuple[datetime | None, int | None]:
    """The capture date and UTC offset (minutes) from the embedded XMP packet."""
    packet = xmp_packet(image)
    if packet is None:
        return None, None
    root = parse_xmp_packet(packet)
    if root is None:
        return None, None
    found: dict[str, str] = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in _XMP_DATE_PROPERTIES:
                found.setdefault(name, value)
        if element.tag in _XMP_DATE_PROPERTIES and element.text and element.text.strip():
            found.setdefault(element.tag, element.text)
    for name in _XMP_DATE_PROPERTIES:
        if name in found:
            taken, offset = parse_iso_date(found[name])
            if taken is not None:
                return taken, offset
    return None, None


def _iptc_text(info: dict, key: tuple[int, int]) -> str | None:
    value = info.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _iptc_datetime(date: str | None, time: str | None) -> tuple[datetime | None, int | None]:
    if not date or not re.fullmatch(r"\d{8}", date):
        return None, None
    hour = minute = second = 0
    offset = None
    clock = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", time or "")
    if clock:
        hour, minute, second = (int(g) for g in clock.groups()[:3])
        offset = _offset_minutes(clock.group(4))
    taken = _make_datetime(int(date[:4]), int(date[4:6]), int(date[6:8]), hour, minute, second)
    return (taken, offset) if taken else (None, None)


def iptc_date(image: Image.Image) -> tuple[datetime | None, int | None]:
    """The creation date (and time, with its offset) from the IPTC-IIM block."""
    if image.format not in ("JPEG", "TIFF"):
        return None, None
    try:
        from PIL import IptcImagePlugin

        info = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # a damaged Photoshop/IPTC block
        return None, None
    pairs = ((_IPTC_DATE_CREATED, _IPTC_TIME_CREATED), (_IPTC_DIGITAL_DATE, _IPTC_DIGITAL_TIME))
    for date_key, time_key in pairs:
        taken, offset = _iptc_datetime(_iptc_text(info, date_key), _iptc_text(info, time_key))
        if taken is not None:
            return taken, offset
    return None, None
