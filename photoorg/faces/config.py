"""The tunable numbers of face analysis, and the library settings that change them.

Distances are Euclidean distances between dlib's 128-D face descriptors. The
thresholds were chosen on real labelled portraits (see
benchmarks/eval_face_threshold.py and the People section of the README):
same-person pairs measured 0.33-0.43 apart, different people 0.58 and more,
so 0.50 sits in the middle of that gap. dlib's own LFW figure of 0.6 would have
merged two different people there (both pairs involved small, blurry faces).
"""

from __future__ import annotations

from dataclasses import dataclass

from photoorg.errors import PhotoorgError

DETECTOR_SETTING = "faces.detector"
DETECT_SIDE_SETTING = "faces.detect_side"
MIN_FACE_SETTING = "faces.min_face"
THRESHOLD_SETTING = "faces.threshold"

DETECTORS = ("hog", "cnn")
DEFAULT_DETECTOR = "hog"
#: the shorter side, in pixels, of the image the detector looks at. JPEGs are
#: decoded at reduced size close to this (a 12 MP photo at half size), so it
#: sets both the speed and the smallest face found (about 8% of the short side
#: for HOG, whose window is 80 px; photos smaller than half of it are upsampled).
DEFAULT_DETECT_SIDE = 1000
#: faces narrower than this, in pixels of the full-size photo, are skipped.
DEFAULT_MIN_FACE = 40
#: a face joins a person (or forms a new one with other faces) when its
#: distance to the person's nearest faces is below this.
DEFAULT_THRESHOLD = 0.50
#: "Is this Alice?" suggestions go up to this distance; the user confirms them.
SUGGEST_MARGIN = 0.10
#: two candidate people closer together than this for one face: leave it to the user.
AMBIGUITY_MARGIN = 0.03
#: a person's distance is the mean of its K nearest faces (robust to one bad face).
NEAREST_K = 3
#: faces below this quality (tiny or blurred) never start a new person.
MIN_CLUSTER_QUALITY = 0.15
#: the fewest faces that make a new (unnamed) person.
MIN_PERSON_FACES = 2

FACE_CHIP_SIZE = 150
FACE_CHIP_PADDING = 0.25

FACES_GENERATION = "faces"


@dataclass(frozen=True)
class FaceSettings:
    detector: str = DEFAULT_DETECTOR
    detect_side: int = DEFAULT_DETECT_SIDE
    min_face: int = DEFAULT_MIN_FACE
    threshold: float = DEFAULT_THRESHOLD

    @property
    def suggest_threshold(self) -> float:
        return self.threshold + SUGGEST_MARGIN

    @property
    def stage_version(self) -> str:
        """Changing the detector, its image size or the minimum face size
        analyses every photo again (the user's decisions are kept)."""
        return f"dlib-{self.detector}-{self.detect_side}-min{self.min_face}"


def face_settings(db) -> FaceSettings:
    stored = db.get_settings(DETECTOR_SETTING, DETECT_SIDE_SETTING, MIN_FACE_SETTING, THRESHOLD_SETTING)
    defaults = FaceSettings()
    detector = stored.get(DETECTOR_SETTING) or defaults.detector
    if detector not in DETECTORS:
        detector = defaults.detector
    return FaceSettings(
        detector=detector,
        detect_side=_int(stored.get(DETECT_SIDE_SETTING), defaults.detect_side, 200, 4000),
        min_face=_int(stored.get(MIN_FACE_SETTING), defaults.min_face, 8, 2000),
        threshold=_float(stored.get(THRESHOLD_SETTING), defaults.threshold, 0.2, 0.9),
    )


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


def _float(value, default: float, low: float, high: float) -> float:
    try:
        return max(low, min(high, float(value)))
    except (TypeError, ValueError):
        return default


def update_face_settings(
    db,
    *,
    detector: str | None = None,
    detect_side: int | None = None,
    min_face: int | None = None,
    threshold: float | None = None,
) -> FaceSettings:
    """Store new settings (None leaves one as it is); checks them first."""
    if detector is not None and detector not in DETECTORS:
        raise PhotoorgError(f"Unknown face detector {detector!r}: use one of {', '.join(DETECTORS)}.")
    if detect_side is not None and not 200 <= detect_side <= 4000:
        raise PhotoorgError("The detection size must be between 200 and 4000 pixels.")
    if min_face is not None and not 8 <= min_face <= 2000:
        raise PhotoorgError("The minimum face size must be between 8 and 2000 pixels.")
    if threshold is not None and not 0.2 <= threshold <= 0.9:
        raise PhotoorgError("The distance threshold must be between 0.2 and 0.9 (default 0.5).")
    for key, value in (
        (DETECTOR_SETTING, detector),
        (DETECT_SIDE_SETTING, detect_side),
        (MIN_FACE_SETTING, min_face),
        (THRESHOLD_SETTING, threshold),
    ):
        if value is not None:
            db.set_setting(key, value)
    return face_settings(db)
