"""What an XMP packet says about a photo, in photoorg's terms."""

from __future__ import annotations

from dataclasses import dataclass, field

#: left, top, width, height as fractions (0-1) of the photo as displayed
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Region:
    """A named area of the photo (MWG ``mwg-rs:Regions`` or Microsoft
    ``MP:RegionInfo``); ``kind`` is MWG's type ("Face", "Pet", ...)."""

    name: str | None
    box: Box
    kind: str = "Face"

    def as_dict(self) -> dict:
        return {"name": self.name, "box": [round(v, 4) for v in self.box], "type": self.kind}


@dataclass
class XmpRecord:
    """Everything photoorg reads from one packet (None: the packet says nothing)."""

    rating: int | None = None
    label: str | None = None
    caption: str | None = None
    keywords: list[str] = field(default_factory=list)  # dc:subject
    paths: list[tuple[str, ...]] = field(default_factory=list)  # lr:hierarchicalSubject, TagsList
    regions: list[Region] = field(default_factory=list)
    applied_to: tuple[int, int] | None = None  # the regions' image size, when given

    def tag_paths(self) -> list[tuple[str, ...]]:
        """Each keyword once, as its path: a flat keyword that is a level of a
        hierarchical one is that path's (Lightroom writes every level of
        "Places|Europe|Lisbon" into dc:subject as well)."""
        found: dict[tuple[str, ...], None] = {}
        levels = set()
        for path in self.paths:
            found.setdefault(path)
            levels.update(level.casefold() for level in path)
        leaves = {path[-1].casefold(): path for path in found}
        for keyword in self.keywords:
            if keyword.casefold() not in levels and keyword.casefold() not in leaves:
                found.setdefault((keyword,))
        return list(found)

    def merged_over(self, base: XmpRecord) -> XmpRecord:
        """This record's fields where it has them, ``base``'s where it does not
        (a sidecar over the file's own packet)."""
        return XmpRecord(
            rating=self.rating if self.rating is not None else base.rating,
            label=self.label if self.label is not None else base.label,
            caption=self.caption if self.caption is not None else base.caption,
            keywords=self.keywords or base.keywords,
            paths=self.paths or base.paths,
            regions=self.regions or base.regions,
            applied_to=self.applied_to if self.regions else base.applied_to,
        )
