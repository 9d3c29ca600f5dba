"""Inputs for the faces and people tests: real portraits (scikit-image's
public-domain astronaut, the cat as a photo without a person) and stored
faces with synthetic descriptors for the clustering logic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from photoorg.faces.config import FACES_GENERATION
from photoorg.store.db import bump_generation
from photoorg.store.schema import PHOTO_OK, Face, Photo

# Where dlib finds the astronaut's face in the 512x512 original (x, y, w, h).
ASTRONAUT_BOX = (179, 83, 88, 88)


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def cat() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.chelsea())


def save_jpeg(image: Image.Image, path: Path, *, orientation: int | None = None, quality: int = 92) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"quality": quality}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    image.save(path, "JPEG", **kwargs)
    return path


def portrait_folder(root: Path) -> Path:
    """Three photos of the astronaut (one stored sideways with an EXIF
    rotation, one mirrored and larger) and one of the cat."""
    image = astronaut()
    save_jpeg(image, root / "astronaut.jpg")
    # Stored rotated 90° clockwise; EXIF orientation 8 says "turn it back".
    save_jpeg(
        image.transpose(Image.Transpose.ROTATE_270), root / "sideways" / "astronaut_exif8.jpg", orientation=8
    )
    save_jpeg(ImageOps.mirror(image).resize((768, 768)), root / "mirrored.jpg")
    save_jpeg(cat(), root / "cat.jpg")
    return root


# -- stored faces with synthetic descriptors ------------------------------------------------------


class Faces:
    """Builds photos and faces straight in the index, with descriptors drawn
    around a centre per person: faces of one person lie ~0.28 apart, people
    ~1.0 apart (like dlib's descriptors of real faces)."""

    def __init__(self, db, seed: int = 7) -> None:
        self.db = db
        self.rng = np.random.default_rng(seed)
        self.centres: dict[str, np.ndarray] = {}
        self._photos = 0

    def centre(self, who: str) -> np.ndarray:
        if who not in self.centres:
            direction = self.rng.normal(size=128)
            self.centres[who] = (direction / np.linalg.norm(direction) * 0.72).astype(np.float32)
        return self.centres[who]

    def descriptor(self, who: str, spread: float = 0.2) -> np.ndarray:
        noise = self.rng.normal(size=128)
        return (self.centre(who) + noise / np.linalg.norm(noise) * spread).astype(np.float32)

    def photo(self, name: str | None = None, folder: str = "/photos", when: datetime | None = None) -> int:
        self._photos += 1
        name = name or f"p{self._photos:04d}.jpg"
        now = datetime.now()
        with self.db.transaction() as s:
            photo = Photo(
                path=f"{folder}/{name}",
                folder=folder,
                size=1000,
                mtime_ns=0,
                content_hash=f"{self._photos:064d}",
                width=1000,
                height=800,
                date=when or datetime(2020, 1, 1 + self._photos % 28),
                state=PHOTO_OK,
                added_at=now,
                updated_at=now,
            )
            s.add(photo)
            s.flush()
            return photo.id

    def face(self, photo_id: int, who: str | np.ndarray, *, quality: float = 0.8, x: int = 100) -> int:
        vector = self.descriptor(who) if isinstance(who, str) else np.asarray(who, dtype=np.float32)
        with self.db.transaction() as s:
            face = Face(
                photo_id=photo_id,
                x=x,
                y=100,
                w=120,
                h=120,
                descriptor=vector,
                landmarks=None,
                quality=quality,
                detector="hog",
                created_at=datetime.now(),
            )
            s.add(face)
            bump_generation(s, FACES_GENERATION)
            s.flush()
            return face.id

    def photo_with(self, *people: str, **kwargs) -> tuple[int, list[int]]:
        photo_id = self.photo(**kwargs)
        return photo_id, [self.face(photo_id, who, x=100 + 200 * i) for i, who in enumerate(people)]

    def person_of(self, face_id: int) -> int | None:
        with self.db.session() as s:
            return s.get(Face, face_id).person_id

    def face_row(self, face_id: int) -> Face:
        with self.db.session() as s:
            return s.get(Face, face_id)
