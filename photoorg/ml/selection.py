"""The model a library uses, remembered so later commands need no flags.

A weights file is loaded and tried before it becomes the library's model (see
:func:`photoorg.ml.clip.check_weights`): a file that is not a checkpoint of
the named architecture is refused, and the library keeps its model.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from photoorg.errors import PhotoorgError
from photoorg.ml.registry import ModelChoice, parse_model_spec
from photoorg.ml.weights import WeightsSource, file_identity, remember_source, sha256_file, weights_source
from photoorg.store.db import Database

MODEL_SETTING = "clip.model"
WEIGHTS_IDENTITY_SETTING = "clip.weights_identity"
# Stored beside the choice: where its pretrained weights live on the hub, so
# that finding them in the cache later needs no import of open_clip.
_SOURCE_KEY = "hf_source"


def current_choice(db: Database) -> ModelChoice:
    value = db.get_setting(MODEL_SETTING)
    source = (value or {}).get(_SOURCE_KEY)
    if source and value.get("pretrained"):
        hub = WeightsSource(source["repo_id"], tuple(source["filenames"]))
        remember_source(value["arch"], value["pretrained"], hub)
    return ModelChoice.from_setting(value)


def _store(db: Database, choice: ModelChoice) -> None:
    value = choice.to_setting()
    if choice.pretrained and not choice.weights_file:
        try:
            value[_SOURCE_KEY] = weights_source(choice.arch, choice.pretrained).to_setting()
        except PhotoorgError:
            pass  # not on the hub: it needs a weights file, and loading will say so
    db.set_setting(MODEL_SETTING, value)


def select_model(db: Database, spec: str | None = None, weights: str | None = None) -> ModelChoice:
    """Apply ``--model`` / ``--weights`` to the library and return the choice in force.

    With neither, the stored choice stands; a stored weights file that changed
    on disk since it was hashed is hashed again, and a new hash is a new model
    (so the library is embedded again rather than mixing two models' vectors).
    A new weights file is checked first; a bad one raises
    :class:`photoorg.errors.PhotoorgError` and changes nothing.
    """
    stored = current_choice(db)
    if spec is None and weights is None:
        return _recheck_weights_file(db, stored)
    if weights is not None:
        path = Path(weights).expanduser().resolve()
        if not path.is_file():
            raise PhotoorgError(f"--weights {weights}: no such file.")
        arch, tag = parse_model_spec(spec or stored.arch, with_weights_file=True)
        choice = ModelChoice(arch, tag, str(path), sha256_file(path))
        if choice.key != stored.key:
            # The same content (same hash, same architecture) was checked when it was adopted.
            from photoorg.ml.clip import check_weights

            try:
                check_weights(choice, path)
            except PhotoorgError as exc:
                raise PhotoorgError(
                    f"Refused {path.name} as {arch} weights: {exc}. The library keeps {stored.label}."
                ) from None
        db.set_setting(WEIGHTS_IDENTITY_SETTING, file_identity(path))
    else:
        arch, tag = parse_model_spec(spec)
        choice = ModelChoice(arch, tag)
    _store(db, choice)
    return choice


def photos_to_analyse(db: Database, choice: ModelChoice) -> int:
    """How many readable photos have no vector from this model yet: what
    switching to it would cost (0: it is the model they were analysed with)."""
    from photoorg.search.filters import visible_photos
    from photoorg.store.schema import Embedding, Model, Photo

    with db.session() as s:
        done = (
            select(Embedding.photo_id)
            .join(Model, Model.id == Embedding.model_id)
            .where(Model.key == choice.key)
        )
        return s.scalar(select(func.count()).where(visible_photos(), Photo.id.not_in(done))) or 0


def _recheck_weights_file(db: Database, choice: ModelChoice) -> ModelChoice:
    if not choice.weights_file:
        return choice
    path = Path(choice.weights_file)
    if not path.is_file():
        return choice  # loading will explain that the file is gone
    identity = file_identity(path)
    if identity == db.get_setting(WEIGHTS_IDENTITY_SETTING):
        return choice
    digest = sha256_file(path)
    updated = choice
    if digest != choice.weights_sha256:
        updated = ModelChoice(choice.arch, choice.pretrained, choice.weights_file, digest)
    if db.read_only:
        return updated  # a read-only library can't record it; this process uses it all the same
    db.set_setting(WEIGHTS_IDENTITY_SETTING, identity)
    if updated is not choice:
        db.set_setting(MODEL_SETTING, updated.to_setting())
    return updated
