"""Everything the index knows about one photo, as plain data for both front ends."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from photoorg.errors import NotInLibraryError
from photoorg.extensions.show_fields import detail_providers
from photoorg.roots import normalise
from photoorg.scan.exposure import read_exposure
from photoorg.scan.metadata import camera_label
from photoorg.store.db import Database
from photoorg.store.schema import Album, AlbumPhoto, Photo, PhotoStage


def find_photo(db: Database, path: str | os.PathLike) -> Photo:
    wanted = normalise(path)
    literal = os.path.abspath(os.path.expanduser(os.fspath(path)))
    with db.session() as s:
        photo = s.scalar(select(Photo).where(Photo.path.in_({wanted, literal})))
    if photo is None:
        raise NotInLibraryError(
            f"{path} is not in the library (add its folder with `photoorg index FOLDER`)."
        )
    return photo


def iso_taken_at(photo: Photo) -> str | None:
    if photo.taken_at is None:
        return None
    if photo.tz_offset_min is not None:
        zone = timezone(timedelta(minutes=photo.tz_offset_min))
        return photo.taken_at.replace(tzinfo=zone).isoformat()
    return photo.taken_at.isoformat()


def photo_details(db: Database, photo_id: int, thumbnail_path: Callable[[str], str] | None = None) -> dict:
    with db.session() as s:
        photo = s.get(Photo, photo_id)
        if photo is None:
            raise NotInLibraryError(f"No photo with id {photo_id}.")
        stages = {
            row.stage: {"state": row.state, "version": row.version, "error": row.error}
            for row in s.scalars(select(PhotoStage).where(PhotoStage.photo_id == photo_id))
        }
        albums = list(
            s.scalars(
                select(Album.name)
                .join(AlbumPhoto, AlbumPhoto.album_id == Album.id)
                .where(AlbumPhoto.photo_id == photo_id)
                .order_by(Album.name)
            )
        )
        details = {
            "id": photo.id,
            "path": photo.path,
            "folder": photo.folder,
            "filename": os.path.basename(photo.path),
            "format": photo.format,
            "width": photo.width,
            "height": photo.height,
            "orientation": photo.orientation,
            "size": photo.size,
            "modified": datetime.fromtimestamp(photo.mtime_ns / 1e9).isoformat(timespec="seconds"),
            "taken_at": iso_taken_at(photo),
            "date": photo.date.isoformat(),
            # "exif", "xmp", "iptc", or "file" (no date inside: the file's time, an estimate)
            "date_source": photo.date_source,
            "camera_make": photo.camera_make,
            "camera_model": photo.camera_model,
            "camera": camera_label(photo.camera_make, photo.camera_model),
            "lens": photo.lens,
            "gps": None
            if photo.gps_lat is None
            else {"lat": photo.gps_lat, "lon": photo.gps_lon, "alt": photo.gps_alt},
            "content_hash": photo.content_hash,
            "state": photo.state,
            "error": photo.error,
            "missing": photo.missing_since is not None,
            "missing_since": photo.missing_since.isoformat(timespec="seconds")
            if photo.missing_since
            else None,
            "rating": photo.rating,
            "favorite": bool(photo.favorite),
            "albums": albums,
            "stages": stages,
            "thumbnail": thumbnail_path(photo.content_hash)
            if thumbnail_path and photo.content_hash
            else None,
        }
        # The photo-app fields: caption, rotation, exposure (the place name comes
        # from the places capability's detail provider).
        details["caption"] = photo.caption
        details["rotation"] = photo.rotation
        details["exposure"] = read_exposure(photo.path)
        for provider in detail_providers():  # capabilities' fields: tags, faces
            details.update(provider(s, photo))
        return details
