"""A recording that another process is still writing: read what it added since the last look."""

from __future__ import annotations

from .session import Session


class FollowedFile:
    """Polled by the view (a timer); while the current step is the newest, it stays the newest.

    ``poll`` raises what the reader raises (``RecordingError``, ``OSError``) for a file that
    went bad; ``active`` is False once the run's last event has arrived.
    """

    def __init__(self, session: Session, reader):
        self.session = session
        self.reader = reader
        self.active = not session.ended

    def poll(self) -> None:
        if not self.active:
            return
        pairs = self.reader.read_new_raw()
        if not pairs:
            return
        at_newest = self.session.current >= self.session.last
        self.session.add_events([p[0] for p in pairs], [p[1] for p in pairs])
        if at_newest:
            self.session.set_current(self.session.last)
        if pairs[-1][0]["kind"] == "run_end":
            self.active = False
