"""Words and numbers for people: how both front ends (the CLI's progress line,
the window's status bar) name a stage and show a duration or a rate. Qt-free."""

from __future__ import annotations

from photoorg.progress import Progress

STAGE_LABELS = {
    "scan": "Scanning",
    "index": "Indexing",
    "download": "Downloading",
    "load": "Loading",
    "tags-clip": "Tagging",
    "tags-vocabulary": "Tag words",
    "search-index": "Search index",
    "groups": "Grouping",
    "xmp": "XMP",
}


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage.capitalize())


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def clock_text(seconds: float) -> str:
    """A time in a video as players write it: 42.4 -> "0:42"; 3725 -> "1:02:05"."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def format_rate(rate: float | None, unit: str = "/s") -> str:
    """Fixed width, for a line redrawn in place."""
    if rate is None:
        return "    -"
    return f"{rate:5.1f}{unit}" if rate < 100 else f"{rate:5.0f}{unit}"


def progress_sentence(event: Progress) -> str:
    """One line for a status bar: "Indexing: 120 of 1,000 · 4.2/s · 03:30 left"."""
    label = stage_label(event.stage)
    if event.total:
        rate = f" · {event.rate:.1f}/s" if event.rate else ""
        eta = f" · {format_duration(event.eta)} left" if event.eta is not None else ""
        return f"{label}: {event.done:,} of {event.total:,}{rate}{eta} {event.message}".rstrip()
    return f"{label}: {event.message or f'{event.done:,} files'}"
