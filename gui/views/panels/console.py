"""Console: the model's output and errors; ``file:line`` in a traceback is a link."""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser

from ...models.events import KIND_CODES
from ..palette import THEMES, theme_name

SHOWN = {KIND_CODES["output"], KIND_CODES["error"], KIND_CODES["run_end"]}


class ConsolePanel(QTextBrowser):
    sigOpenLocation = Signal(str, int)  # file, line

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor)
        session.sig_reset.connect(self.clear)
        session.sig_events_added.connect(self._on_events)

    def _on_events(self, first: int, end: int) -> None:
        events = self.session.events
        for k in range(first, end):
            if events.kinds[k] in SHOWN:
                self.show_event(events[k])

    def show_event(self, event: dict) -> None:
        colors = THEMES[theme_name()]
        kind = event["kind"]
        if kind == "output":
            color = colors["error"] if event["stream"] == "stderr" else colors["text"]
            if event["stream"] == "runner":
                color = colors["muted"]
            self._append(f'<span style="color:{color}">{html.escape(event["text"].rstrip(chr(10)))}</span>')
        elif kind == "error":
            lines = [f'<b style="color:{colors["error"]}">{html.escape(event["type"])}: '
                     f'{html.escape(event["message"]).replace(chr(10), "<br>")}</b>']
            for frame in event.get("frames") or []:
                target = QUrl.fromLocalFile(frame["file"])
                target.setFragment(str(frame["line"]))
                lines.append(f'&nbsp;&nbsp;<a href="{target.toString()}">{html.escape(frame["file"])}:'
                             f'{frame["line"]}</a> in {html.escape(frame["function"])}')
            if event.get("folded"):
                lines.append(f'<span style="color:{colors["muted"]}">&nbsp;&nbsp;({event["folded"]} frames '
                             f'inside minipyro folded away)</span>')
            self._append("<br>".join(lines))
        elif kind == "run_end":
            self._append(f'<span style="color:{colors["muted"]}">— run ended: {html.escape(str(event["status"]))}'
                         f' —</span>')

    def _append(self, markup: str) -> None:
        self.append(markup)

    def _on_anchor(self, url: QUrl) -> None:
        line = int(url.fragment() or 0)
        self.sigOpenLocation.emit(url.toLocalFile(), line)
