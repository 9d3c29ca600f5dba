"""ORM mapping of the index.

The tables are created and changed only by the migration chain in
``migrations.py``; these classes describe the result, and a test checks that
both agree. Later features add their own tables and point at ``photos.id``, so
they never reshape these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from photoorg.store.types import FsPath, JsonText, Vector

#: the photos a search leaves out (missing, unreadable). A partial index holds
#: only them; a query uses it when its WHERE is exactly this text.
ABSENT_PHOTOS = "state != 'ok' OR missing_since IS NOT NULL"


class Base(DeclarativeBase):
    pass


# Photo.state values
PHOTO_OK = "ok"
PHOTO_FAILED = "failed"  # the bytes can't be read as an image: retried when the file changes
PHOTO_UNREADABLE = "unreadable"  # permission or I/O error: retried on every scan

# PhotoStage.state values
STAGE_DONE = "done"
STAGE_FAILED = "failed"


class Root(Base):
    """A folder the user added; everything under it is indexed."""

    __tablename__ = "roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(FsPath, unique=True, nullable=False)
    added_at: Mapped[datetime] = mapped_column(nullable=False)
    last_scan_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Photo(Base):
    """One image file at one path.

    ``path`` and ``content_hash`` are separate keys: a moved file keeps its row
    (and so its tags, albums and faces); two copies at two paths are two rows.
    ``width``/``height`` are as displayed, after the EXIF orientation. ``date``
    is the capture time when known, else the file's modification time, so the
    timeline can place every photo.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("roots.id", ondelete="SET NULL"), nullable=True)
    path: Mapped[str] = mapped_column(FsPath, unique=True, nullable=False)
    folder: Mapped[str] = mapped_column(FsPath, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mtime_ns: Mapped[int] = mapped_column(Integer, nullable=False)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    orientation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(nullable=True)
    tz_offset_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    date: Mapped[datetime] = mapped_column(nullable=False)
    camera_make: Mapped[str | None] = mapped_column(String(128), nullable=True)
    camera_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lens: Mapped[str | None] = mapped_column(String(256), nullable=True)
    gps_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_alt: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=PHOTO_OK)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    missing_since: Mapped[datetime | None] = mapped_column(nullable=True)
    added_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    # v2: the user's own marks
    rating: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    favorite: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # v5: where ``date`` came from ("exif", "xmp", "iptc", or "file": the file's
    # modification time, an estimate), and the version of the metadata reader
    # that filled these columns (photoorg.scan.metadata.METADATA_VERSION).
    date_source: Mapped[str | None] = mapped_column(String(8), nullable=True)
    metadata_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # v6: the user's words; degrees clockwise to show it turned (0, 90, 180, 270)
    caption: Mapped[str | None] = mapped_column(Text, nullable=True)
    rotation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_photos_content_hash", "content_hash"),
        Index("ix_photos_folder", "folder"),
        Index("ix_photos_date", "date"),
        Index("ix_photos_root_id", "root_id"),
        Index("ix_photos_camera", "camera_make", "camera_model"),
        # Only the photos a search leaves out (see migrations._v7_absent_photos_index).
        Index("ix_photos_absent", "id", sqlite_where=text(ABSENT_PHOTOS)),
    )


class PhotoStage(Base):
    """Per photo, per analysis stage: which version last ran and how it ended.

    No row means the stage has not run; a row whose ``version`` differs from the
    stage's current one (another model, say) means it must run again.
    """

    __tablename__ = "photo_stages"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_photo_stages_stage", "stage", "version", "state"),)


class Model(Base):
    """An embedding model: architecture, pretrained tag or weights file, dimension.

    ``key`` is the canonical name ("ViT-B-32:laion2b_s34b_b79k", or
    "ViT-B-32@sha256:<hex>" for a local weights file).
    """

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    arch: Mapped[str] = mapped_column(String(100), nullable=False)
    pretrained: Mapped[str | None] = mapped_column(String(100), nullable=True)
    weights_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dim: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class Embedding(Base):
    """An L2-normalised float32 vector of one photo under one model.

    The integer id only grows (AUTOINCREMENT), which lets the in-memory search
    matrix fetch just the rows added since it last looked.
    """

    __tablename__ = "embeddings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), nullable=False)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), nullable=False)
    vector: Mapped[object] = mapped_column(Vector, nullable=False)

    __table_args__ = (
        UniqueConstraint("photo_id", "model_id", name="uq_embeddings_photo_model"),
        Index("ix_embeddings_model", "model_id", "id"),
        {"sqlite_autoincrement": True},
    )


class Setting(Base):
    """Library-wide settings: the model in use, its weights file, and so on."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JsonText, nullable=True)


class Counter(Base):
    """Generation counters bumped by writers so caches can tell they are stale
    with one cheap read."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ScanError(Base):
    """A problem found while walking a root that belongs to no photo row: an
    unreadable folder, a symlink loop. Replaced on each scan of the root."""

    __tablename__ = "scan_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("roots.id", ondelete="CASCADE"), nullable=False)
    path: Mapped[str] = mapped_column(FsPath, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)


class Album(Base):
    """v2: a user's album. Deleting one never touches files."""

    __tablename__ = "albums"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class AlbumPhoto(Base):
    __tablename__ = "album_photos"

    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_album_photos_photo", "photo_id"),)


# -- v3: tags and groups -------------------------------------------------------------------

TAG_ON = "on"
TAG_OFF = "off"  # a user removed this tag from the photo: auto tags of it stay hidden

TAG_SOURCE_USER = "user"
TAG_SOURCE_CLIP = "clip"
TAG_SOURCE_CLASSIFIER = "classifier"


class Tag(Base):
    """A tag: a vocabulary concept, a user's custom concept (with prompts, so
    the CLIP tagger can find it), or a plain user label. ``parent_id`` makes
    the hierarchy (golden retriever -> dog -> animal)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    synonyms: Mapped[object] = mapped_column(JsonText, nullable=True)
    prompts: Mapped[object] = mapped_column(JsonText, nullable=True)
    auto: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_tags_parent", "parent_id"),)


class PhotoTag(Base):
    """One tag on one photo from one source. A user's decision (source "user",
    state on or off) wins over the auto sources and survives re-tagging."""

    __tablename__ = "photo_tags"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_photo_tags_tag", "tag_id", "state"),)


class TagVector(Base):
    """A concept's prompt-ensemble text vector under one model (a cache)."""

    __tablename__ = "tag_vectors"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    prompts_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    vector: Mapped[object] = mapped_column(Vector, nullable=False)


class PhotoGroup(Base):
    """An event (photos close in time and place) or a visual group (photos that
    look alike)."""

    __tablename__ = "photo_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    cover_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"), nullable=True
    )
    start: Mapped[datetime | None] = mapped_column(nullable=True)
    end: Mapped[datetime | None] = mapped_column(nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_photo_groups_kind", "kind", "start"),)


class PhotoGroupMember(Base):
    __tablename__ = "photo_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("photo_groups.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_photo_group_members_photo", "photo_id"),)


# -- v4: faces and people ----------------------------------------------------------------------

ASSIGNED_AUTO = "auto"
ASSIGNED_USER = "user"


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cover_face_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class Face(Base):
    """A detected face: its box in the displayed (upright) photo, its 128-D
    descriptor, a quality score, and who it is. ``assigned_by`` "user" marks a
    decision no automatic run may change."""

    __tablename__ = "faces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), nullable=False)
    x: Mapped[int] = mapped_column(Integer, nullable=False)
    y: Mapped[int] = mapped_column(Integer, nullable=False)
    w: Mapped[int] = mapped_column(Integer, nullable=False)
    h: Mapped[int] = mapped_column(Integer, nullable=False)
    descriptor: Mapped[object] = mapped_column(Vector, nullable=False)
    landmarks: Mapped[object] = mapped_column(JsonText, nullable=True)
    quality: Mapped[float] = mapped_column(Float, nullable=False)
    detector: Mapped[str] = mapped_column(String(16), nullable=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    assigned_by: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_faces_photo", "photo_id"), Index("ix_faces_person", "person_id"))


class FaceRejection(Base):
    """The user said this face is not this person: never assign it there again."""

    __tablename__ = "face_rejections"

    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
