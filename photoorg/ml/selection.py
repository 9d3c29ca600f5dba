"""The model a library uses, remembered so later commands need no flags."""

from __future__ import annotations

from pathlib import Path

from photoorg.errors import PhotoorgError
from photoorg.ml.registry import ModelChoice, parse_model_spec
from photoorg.ml.weights import file_identity, sha256_file
from photoorg.store.db import Database

MODEL_SETTING = "clip.model"
WEIGHTS_IDENTITY_SETTING = "clip.weights_identity"


def current_choice(db: Database) -> ModelChoice:
    return ModelChoice.from_setting(db.get_setting(MODEL_SETTING))


def select_model(db: Database, spec: str | None = None, weights: str | None = None) -> ModelChoice:
    """Apply ``--model`` / ``--weights`` to the library and return the choice in force.

    With neither, the stored choice stands; a stored weights file that changed
    on disk since it was hashed is hashed again, and a new hash is a new model
    (so the library is embedded again rather than mixing two models' vectors).
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
        db.set_setting(WEIGHTS_IDENTITY_SETTING, file_identity(path))
    else:
        arch, tag = parse_model_spec(spec)
        choice = ModelChoice(arch, tag)
    db.set_setting(MODEL_SETTING, choice.to_setting())
    return choice


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
    db.set_setting(WEIGHTS_IDENTITY_SETTING, identity)
    if digest == choice.weights_sha256:
        return choice
    updated = ModelChoice(choice.arch, choice.pretrained, choice.weights_file, digest)
    db.set_setting(MODEL_SETTING, updated.to_setting())
    return updated
