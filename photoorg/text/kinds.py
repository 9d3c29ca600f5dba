"""Screenshots, documents and receipts, told apart by their text's layout.

A camera photo of a street has a few short lines in a small share of the
frame; a page has many lines covering much of it; a receipt has many short
lines, most of them ending in an amount, and words like "total"; a screenshot
has text and no camera, at a screen's proportions, usually as PNG. Each rule
gives a confidence between 0 and 1 that grows with the evidence; the stage
stores a kind as a tag (source ``text``) from :data:`MIN_CONFIDENCE` up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from photoorg.text.ocr import TextLine

MIN_CONFIDENCE = 0.5
_AMOUNT = re.compile(r"\d+[.,]\d{2}\b")
_RECEIPT_WORDS = re.compile(
    r"\b(total|subtotal|sub-total|tax|vat|iva|tva|mwst|cash|change|card|visa|receipt|invoice|"
    r"summe|gesamt|totale|importe|recibo|ticket|qty)\b|[€$£¥]",
    re.IGNORECASE,
)
#: width/height of common screens (phones in both orientations, laptops, monitors)
_SCREEN_RATIOS = (9 / 19.5, 9 / 16, 10 / 16, 3 / 4, 4 / 3, 16 / 10, 16 / 9, 19.5 / 9)


def _ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high``, linear between."""
    if high == low:
        return float(value >= high)
    return min(1.0, max(0.0, (value - low) / (high - low)))


def document_kinds(
    lines: Sequence[TextLine], width: int, height: int, *, fmt: str | None, has_camera: bool
) -> dict[str, float]:
    if not lines or not width or not height:
        return {}
    area = width * height
    coverage = sum(line.box[2] * line.box[3] for line in lines) / area
    count = len(lines)
    kinds: dict[str, float] = {}

    document = _ramp(coverage, 0.06, 0.2) * _ramp(count, 4, 12)
    amounts = sum(1 for line in lines if _AMOUNT.search(line.text))
    keywords = sum(1 for line in lines if _RECEIPT_WORDS.search(line.text))
    receipt_evidence = 0.6 * _ramp(amounts / count, 0.1, 0.35) + 0.5 * _ramp(keywords, 0, 2)
    receipt = _ramp(count, 4, 10) * min(1.0, receipt_evidence)
    if receipt >= MIN_CONFIDENCE:
        kinds["receipt"] = round(receipt, 3)
        document = max(document, receipt)
    if document >= MIN_CONFIDENCE:
        kinds["document"] = round(document, 3)

    if not has_camera:
        ratio = width / height
        screen_shape = max(1.0 - min(abs(ratio - r) / r for r in _SCREEN_RATIOS) * 10, 0.0)
        lossless = 1.0 if (fmt or "").upper() in ("PNG", "WEBP", "BMP") else 0.6
        screenshot = screen_shape * lossless * _ramp(count, 2, 8) * _ramp(coverage, 0.01, 0.05)
        if screenshot >= MIN_CONFIDENCE:
            kinds["screenshot"] = round(screenshot, 3)
    return kinds
