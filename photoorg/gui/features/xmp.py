"""XMP in the app: what other tools wrote (label, sidecar, people regions) in
the details panel, and write-back of the user's changes as they make them.

Every change the app makes goes through ``AppContext.write`` and ends in a
refresh; the database queued the changed photos in the same transaction
(see photoorg/xmp/store.py), so after each refresh the queue is written out on
a worker thread. Nothing here touches a file or the database on the GUI thread.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QLabel, QWidget

from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.xmp.sync import XmpReport, run_to_end, write_pending


def xmp_section(details: dict) -> QWidget | None:
    found = details.get("xmp") or {}
    named = [r["name"] for r in found.get("regions") or [] if r.get("name")]
    lines = []
    if found.get("sidecar"):
        lines.append(f"Sidecar: {os.path.basename(found['sidecar'])}")
    if found.get("label"):
        lines.append(f"Label: {found['label']}")
    if named:
        lines.append(f"People: {', '.join(named)}")
    if found.get("error"):
        lines.append(f"Not read: {found['error']}")
    if not lines:
        return None
    box, layout = section_box("From other apps (XMP)")
    text = QLabel("\n".join(lines))
    text.setWordWrap(True)
    text.setObjectName("Muted")
    layout.addWidget(text)
    return box


class XmpGui:
    """XMP, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_details_section(xmp_section)
        ctx.on_refresh(self._write_pending)

    def _write_pending(self) -> None:
        db = self.ctx.library.db
        # Latest request wins: refreshes come in bursts, one write-out is enough.
        self.ctx.submit(lambda: run_to_end(write_pending(db)), self._written, key="xmp-write-back")

    def _written(self, report: XmpReport) -> None:
        if report.failed:
            path, reason = next(iter(report.failed.items()))
            more = f" (and {len(report.failed) - 1} more)" if len(report.failed) > 1 else ""
            self.ctx.show_error(f"XMP not written for {os.path.basename(path)}{more}: {reason}")
        elif report.written:
            self.ctx.notify(f"Wrote XMP for {len(report.written)} photo(s).")
