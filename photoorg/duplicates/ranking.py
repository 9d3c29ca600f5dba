"""The best shot of a group, and why, in words.

Each criterion counts only where the group really differs on it, so a copy is
never marked down for noise in a measure:

- the user's own marks (a rating, a favourite, an album) keep a photo first;
- resolution: a copy with under 90% of the largest one's pixels is a smaller
  copy, and the original beats it;
- sharpness (noise-corrected, quality.py): under 70% of the sharpest is blurrier;
- exposure (``exposure_error``: clipped pixels, and a mean far from mid-grey):
  0.08 worse than the best is worse exposed, and counts more than sharpness
  (a blown-out copy measures "sharper"); a brightness or colour edit that
  clips little loses nothing, so an edited version is never called worse
  just for being edited;
- compression: among files of one format and size, one under 60% of the
  largest file is a recompressed copy;
- faces: eyes closed (eye aspect ratio from 68 landmarks) and face sharpness;
- ties: among near copies of one size, a file with a capture time (a camera
  file or an edit of one, not a copy stripped by a messaging app), the newest
  first (the edit); among exact copies the first one indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from photoorg.duplicates.quality import EYES_CLOSED_EAR, Quality
from photoorg.duplicates.store import KIND_EXACT, KIND_NEAR, StoredMember

SMALLER_COPY = 0.9  # share of the largest's pixels below which a copy is smaller
BLURRIER = 0.7  # share of the sharpest's sharpness below which a photo is blurrier
WORSE_EXPOSED = 0.08  # more of the picture clipped than the best, beyond which exposure counts
FACE_BLURRIER = 0.7
#: a file under this share of the largest file of the same format and size is a recompressed copy
RECOMPRESSED = 0.6


@dataclass(frozen=True)
class Candidate:
    """What the ranking knows of one member of a group."""

    photo_id: int
    width: int
    height: int
    size: int
    mtime_ns: int
    added_at: datetime
    rating: int = 0
    favorite: bool = False
    albums: int = 0
    quality: Quality | None = None
    #: the smallest eye aspect ratio over the photo's faces (None: no face, or no eyelid landmarks)
    eyes: float | None = None
    #: the weakest face's quality (size × sharpness, faces capability), None without faces
    face_quality: float | None = None
    content_hash: str | None = None
    format: str | None = None
    #: a capture time is known (EXIF): a camera file or an edit of one, not a stripped copy
    has_capture_time: bool = False

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def marked(self) -> bool:
        return self.rating > 0 or self.favorite or self.albums > 0


def exposure_error(q: Quality) -> float:
    """0 for a well exposed photo: the share of clipped pixels, plus how far
    the mean grey level strays below 60 or above 200 (as a share of that margin)."""
    return q.clipped + max(0.0, 60.0 - q.brightness) / 60.0 + max(0.0, q.brightness - 200.0) / 55.0


def _marks(c: Candidate) -> list[str]:
    words = []
    if c.rating:
        words.append(f"rated {'★' * c.rating}")
    if c.favorite:
        words.append("favourite")
    if c.albums:
        words.append("in an album" if c.albums == 1 else f"in {c.albums} albums")
    return words


def rank(kind: str, candidates: Sequence[Candidate]) -> list[StoredMember]:
    """The members best first; the first is the suggested keeper."""
    most_pixels = max(c.pixels for c in candidates) or 1
    qualities = [c.quality for c in candidates if c.quality is not None]
    best_exposed = min((exposure_error(q) for q in qualities), default=0.0)
    # Blowing out a photo raises its measured detail (less variance, more noise):
    # sharpness is compared among the well exposed ones only.
    well_exposed = [q for q in qualities if exposure_error(q) <= best_exposed + WORSE_EXPOSED]
    sharpest = max((q.sharpness for q in well_exposed), default=0.0)
    faces = [c.face_quality for c in candidates if c.face_quality is not None]
    best_face = max(faces, default=0.0)
    biggest_file: dict[tuple, int] = {}
    for c in candidates:
        key = (c.format, c.pixels)
        biggest_file[key] = max(biggest_file.get(key, 0), c.size)

    def flags(c: Candidate) -> dict[str, bool]:
        q = c.quality
        return {
            "smaller": kind != KIND_EXACT and c.pixels < SMALLER_COPY * most_pixels,
            "blurrier": q is not None and sharpest > 0 and q.sharpness < BLURRIER * sharpest,
            "exposure": q is not None and exposure_error(q) > best_exposed + WORSE_EXPOSED,
            "eyes": c.eyes is not None and c.eyes < EYES_CLOSED_EAR,
            "recompressed": kind != KIND_EXACT and c.size < RECOMPRESSED * biggest_file[(c.format, c.pixels)],
            "face": c.face_quality is not None
            and best_face > 0
            and c.face_quality < FACE_BLURRIER * best_face,
        }

    def score(c: Candidate) -> float:
        f = flags(c)
        value = 3.0 * c.marked
        value += 1.0 * (not f["smaller"]) + 0.4 * (c.pixels / most_pixels)
        value += 1.0 * (not f["blurrier"]) + 0.2 * (
            min(1.0, c.quality.sharpness / sharpest) if c.quality and sharpest else 1
        )
        value += 1.2 * (not f["exposure"]) + 0.8 * (not f["eyes"]) + 0.4 * (not f["face"])
        value += 0.6 * (not f["recompressed"])
        return value

    def tie_break(c: Candidate) -> tuple:
        if kind == KIND_NEAR:
            return (c.has_capture_time, c.mtime_ns, -c.added_at.timestamp())
        return (-c.added_at.timestamp(), -c.photo_id)

    ordered = sorted(candidates, key=lambda c: (round(score(c), 3), tie_break(c)), reverse=True)
    top = score(ordered[0]) or 1.0
    keeper = ordered[0]
    members = [StoredMember(keeper.photo_id, 1.0, True, _why_keep(kind, keeper, ordered[1:], flags))]
    for c in ordered[1:]:
        members.append(
            StoredMember(c.photo_id, round(score(c) / top, 3), False, _why_not(kind, c, keeper, flags))
        )
    return members


def _why_keep(kind: str, keeper: Candidate, others: Sequence[Candidate], flags) -> str:
    words = _marks(keeper)
    others_flags = [flags(o) for o in others]
    if any(f["smaller"] for f in others_flags):
        words.append(f"largest ({keeper.width}×{keeper.height})")
    if any(f["blurrier"] for f in others_flags):
        words.append("sharpest")
    if any(f["exposure"] for f in others_flags):
        words.append("best exposed")
    if any(f["recompressed"] for f in others_flags):
        words.append("least compressed")
    if any(f["eyes"] for f in others_flags) and keeper.eyes is not None:
        words.append("eyes open")
    if any(f["face"] for f in others_flags):
        words.append("sharpest face")
    if not words:
        if kind == KIND_EXACT:
            words.append("first copy indexed")
        elif kind == KIND_NEAR and any(o.pixels == keeper.pixels for o in others):
            words.append("newest version")
        else:
            words.append("as good as the others")
    return "; ".join(words)


def _why_not(kind: str, c: Candidate, keeper: Candidate, flags) -> str:
    f = flags(c)
    words = []
    if kind == KIND_EXACT or (c.content_hash and c.content_hash == keeper.content_hash):
        words.append("identical copy")
    if f["smaller"]:
        words.append(f"smaller copy ({c.width}×{c.height})")
    if f["recompressed"]:
        words.append(f"recompressed ({c.size // 1000} KB)")
    if f["blurrier"]:
        words.append("blurrier")
    if f["exposure"]:
        q = c.quality
        bright = q is not None and (q.highlights > q.shadows or q.brightness > 200)
        words.append("too bright" if bright else "too dark")
    if f["eyes"]:
        words.append("eyes closed")
    if f["face"]:
        words.append("face less sharp")
    if not words:
        words.append("earlier version, as good" if kind == KIND_NEAR else "as good as the keeper")
    return "; ".join(words)
