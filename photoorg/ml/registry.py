"""Which CLIP models photoorg offers, and how a model choice is named.

A choice is an open_clip architecture plus either a pretrained tag (weights
from the Hugging Face cache, downloaded on first use) or a local weights file
(an open_clip state dict). Its ``key`` names it in the database; a change of
key means the library is embedded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from photoorg.errors import PhotoorgError


@dataclass(frozen=True)
class KnownModel:
    """A model the settings dialog offers, with what a user needs to choose."""

    arch: str
    pretrained: str
    summary: str
    download_mb: int

    @property
    def spec(self) -> str:
        return f"{self.arch}:{self.pretrained}"


# Figures: OpenCLIP's retrieval table (docs/openclip_retrieval_results.csv) and
# Apple's MobileCLIP tables; CPU speed measured here (see README, "Choosing the
# default model").
CURATED_MODELS: tuple[KnownModel, ...] = (
    KnownModel(
        "ViT-B-32",
        "laion2b_s34b_b79k",
        "Fast on any CPU; good search quality (the default).",
        605,
    ),
    KnownModel(
        "MobileCLIP-S2",
        "datacompdr",
        "Better search quality than ViT-B-32, about half its CPU speed.",
        400,
    ),
    KnownModel(
        "MobileCLIP2-S2",
        "dfndr2b",
        "Best quality of the small models; slower on CPU than ViT-B-32.",
        400,
    ),
    KnownModel(
        "ViT-B-16",
        "laion2b_s34b_b88k",
        "Sharper matching of small details; about 4x slower than ViT-B-32 on CPU.",
        600,
    ),
    KnownModel(
        "ViT-L-14",
        "laion2b_s32b_b82k",
        "High quality for a GPU; too slow for a large library on a laptop CPU.",
        1710,
    ),
)

DEFAULT_MODEL = CURATED_MODELS[0]


@dataclass(frozen=True)
class ModelChoice:
    arch: str
    pretrained: str | None = None
    weights_file: str | None = None
    weights_sha256: str | None = None

    @property
    def key(self) -> str:
        if self.weights_sha256:
            return f"{self.arch}@sha256:{self.weights_sha256[:16]}"
        return f"{self.arch}:{self.pretrained}"

    @property
    def label(self) -> str:
        if self.weights_file:
            return f"{self.arch} (weights file {Path(self.weights_file).name})"
        return f"{self.arch}:{self.pretrained}"

    def to_setting(self) -> dict:
        return {
            "arch": self.arch,
            "pretrained": self.pretrained,
            "weights_file": self.weights_file,
            "weights_sha256": self.weights_sha256,
        }

    @classmethod
    def from_setting(cls, value: dict | None) -> ModelChoice:
        if not value:
            return cls(DEFAULT_MODEL.arch, DEFAULT_MODEL.pretrained)
        return cls(
            arch=value["arch"],
            pretrained=value.get("pretrained"),
            weights_file=value.get("weights_file"),
            weights_sha256=value.get("weights_sha256"),
        )


def register_model_configs(folder: Path) -> None:
    """Teach open_clip the architectures in ``folder/*.json`` (custom models)."""
    if not folder.is_dir():
        return
    import open_clip  # lazy: open_clip imports torch (seconds); only model work needs it

    for config in sorted(folder.glob("*.json")):
        open_clip.add_model_config(config)


def parse_model_spec(spec: str, *, with_weights_file: bool = False) -> tuple[str, str | None]:
    """'ARCH[:PRETRAINED]' -> (arch, tag). Checks both against open_clip.

    Without a tag, the curated tag for that architecture is used, else the
    first tag open_clip lists. With a local weights file no tag is needed.
    """
    import open_clip  # lazy: open_clip imports torch (seconds); only model work needs it

    arch, _, tag = spec.strip().partition(":")
    arch, tag = arch.strip(), (tag.strip() or None)
    if arch not in open_clip.list_models():
        close = [m for m in open_clip.list_models() if m.lower().startswith(arch.lower()[:6])][:8]
        hint = f" Similar names: {', '.join(close)}." if close else ""
        raise PhotoorgError(f"Unknown model architecture {arch!r}.{hint} See `photoorg models` for the list.")
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if tag is None and not with_weights_file:
        curated = [m.pretrained for m in CURATED_MODELS if m.arch == arch]
        if curated:
            tag = curated[0]
        elif tags:
            tag = tags[0]
        else:
            raise PhotoorgError(
                f"open_clip has no pretrained weights for {arch}; pass a checkpoint with --weights FILE."
            )
    if tag is not None and tag not in tags:
        raise PhotoorgError(f"{arch} has no pretrained tag {tag!r}. Known tags: {', '.join(tags) or 'none'}.")
    return arch, tag
