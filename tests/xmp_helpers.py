"""Sidecars as digiKam, Lightroom and Windows write them (hand-written XML),
faces stored for indexed photos, and an independent reader of what photoorg
wrote: ExifTool when installed, else photoorg's own XML reader (which shares
nothing with the exiv2 library that writes)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np

from photoorg.store.schema import Face

HEAD = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
)
TAIL = '</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>\n'


def digikam_sidecar(
    *, rating=4, label=None, caption="Lunch by the river", tags=("Places/Europe/Lisbon", "Food"), regions=()
) -> str:
    """digiKam's layout: simple values as attributes, TagsList a Seq, MWG
    regions with a nested rdf:Description per region, and an unknown field."""
    label_attr = f' xmp:Label="{label}"' if label else ""
    leaves = "".join(f"<rdf:li>{t.split('/')[-1]}</rdf:li>" for t in tags)
    tags_list = "".join(f"<rdf:li>{t}</rdf:li>" for t in tags)
    lr = "".join(f"<rdf:li>{t.replace('/', '|')}</rdf:li>" for t in tags)
    region_items = "".join(
        f"""<rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face">
        <mwg-rs:Area stArea:x="{x + w / 2}" stArea:y="{y + h / 2}" stArea:w="{w}" stArea:h="{h}"
          stArea:unit="normalized"/></rdf:Description></rdf:li>"""
        for name, (x, y, w, h) in regions
    )
    region_xml = (
        f"""<mwg-rs:Regions rdf:parseType="Resource">
      <mwg-rs:AppliedToDimensions stDim:w="320" stDim:h="240" stDim:unit="pixel"/>
      <mwg-rs:RegionList><rdf:Bag>{region_items}</rdf:Bag></mwg-rs:RegionList>
    </mwg-rs:Regions>"""
        if regions
        else ""
    )
    return (
        HEAD
        + f"""<rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:acme="http://example.com/acme/1.0/"
    xmp:Rating="{rating}"{label_attr} acme:Secret="keep me">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag>{leaves}</rdf:Bag></dc:subject>
   <digiKam:TagsList><rdf:Seq>{tags_list}</rdf:Seq></digiKam:TagsList>
   <lr:hierarchicalSubject><rdf:Bag>{lr}</rdf:Bag></lr:hierarchicalSubject>
   {region_xml}
  </rdf:Description>
"""
        + TAIL
    )


def lightroom_sidecar(*, rating=2, label="Red") -> str:
    """Lightroom's layout: elements rather than attributes, every level of a
    hierarchical keyword repeated in dc:subject."""
    return (
        HEAD
        + f"""<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">
   <xmp:Rating>{rating}</xmp:Rating>
   <xmp:Label>{label}</xmp:Label>
   <dc:subject><rdf:Bag><rdf:li>Animals</rdf:li><rdf:li>Dog</rdf:li><rdf:li>Beach</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Animals|Dog</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description>
"""
        + TAIL
    )


def microsoft_sidecar(regions) -> str:
    """Windows Photo Gallery's people tags: MP:RegionInfo, rectangles as
    "left, top, width, height"."""
    items = "".join(
        f"""<rdf:li rdf:parseType="Resource"><MPReg:Rectangle>{x}, {y}, {w}, {h}</MPReg:Rectangle>
        <MPReg:PersonDisplayName>{name}</MPReg:PersonDisplayName></rdf:li>"""
        for name, (x, y, w, h) in regions
    )
    return (
        HEAD
        + f"""<rdf:Description rdf:about="" xmlns:MP="http://ns.microsoft.com/photo/1.2/"
    xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
    xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
   <MP:RegionInfo rdf:parseType="Resource">
    <MPRI:Regions><rdf:Bag>{items}</rdf:Bag></MPRI:Regions>
   </MP:RegionInfo>
  </rdf:Description>
"""
        + TAIL
    )


def add_face(db, photo_id: int, box: tuple[int, int, int, int], seed: int = 0) -> int:
    """A detected face stored as the faces stage stores one (box in displayed pixels)."""
    rng = np.random.default_rng(seed)
    vector = rng.normal(size=128).astype(np.float32)
    with db.transaction() as s:
        face = Face(
            photo_id=photo_id,
            x=box[0],
            y=box[1],
            w=box[2],
            h=box[3],
            descriptor=vector / np.linalg.norm(vector) * 0.7,
            landmarks=None,
            quality=0.9,
            detector="hog",
            created_at=datetime.now(),
        )
        s.add(face)
        s.flush()
        return face.id


def exiftool_available() -> bool:
    return shutil.which("exiftool") is not None


def read_back(path: Path) -> dict:
    """What an independent reader finds: rating, label, keywords, hierarchy, caption, region names."""
    if exiftool_available():
        out = subprocess.run(
            ["exiftool", "-j", "-struct", "-XMP:all", str(path)], capture_output=True, text=True, check=True
        ).stdout
        data = json.loads(out)[0]

        def listed(key):
            value = data.get(key)
            return [] if value is None else [str(v) for v in (value if isinstance(value, list) else [value])]

        regions = (data.get("RegionInfo") or {}).get("RegionList") or []
        return {
            "rating": data.get("Rating"),
            "label": data.get("Label"),
            "keywords": sorted(listed("Subject")),
            "hierarchical": sorted(listed("HierarchicalSubject")),
            "tags_list": sorted(listed("TagsList")),
            "caption": data.get("Description"),
            "people": sorted(r.get("Name") for r in regions if r.get("Name")),
            "regions": regions,
            "raw": data,
        }
    from photoorg.xmp.read import embedded_packet, parse_packet

    packet = path.read_bytes() if path.suffix.lower() == ".xmp" else embedded_packet(str(path))
    record = parse_packet(packet)
    return {
        "rating": record.rating,
        "label": record.label,
        "keywords": sorted(record.keywords),
        "hierarchical": sorted("|".join(p) for p in record.paths),
        "tags_list": sorted("/".join(p) for p in record.paths),
        "caption": record.caption,
        "people": sorted(r.name for r in record.regions if r.name),
        "regions": [r.as_dict() for r in record.regions],
        "raw": packet.decode("utf-8", "replace"),
    }
