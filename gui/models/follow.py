"""A recording that another process is still writing: read what it added since the last look,
a bounded piece per look, so that the app answers at any write rate."""

from __future__ import annotations

import time
from typing import Optional

from .session import Session

BUDGET_SECONDS = 0.02  # of reading per look: the rest of a GUI tick is the app's (drawing)
CHUNK_BYTES = 64 * 1024  # read at a time, between looks at the clock
MAX_CHUNKS = 8  # per look, whatever the clock says: at most 512 KiB


class FollowedFile:
    """Polled by the view (a timer); while the current step is the newest, it stays the newest.

    Each :meth:`poll` reads at most ``MAX_CHUNKS`` chunks, and stops early once its time budget
    is spent: a writer faster than the app leaves it behind (:attr:`behind`, in bytes, for a
    banner), never frozen, and nothing is skipped; it catches up when the writer pauses. With
    ``keep`` (the user's "drop old events") the session keeps only about that many newest
    events, so memory stays flat however long the writer writes.

    ``poll`` raises what the reader raises (``RecordingError``, ``OSError``) for a file that
    went bad; ``active`` is False once the run's last event has arrived.
    """

    def __init__(self, session: Session, reader, keep: Optional[int] = None):
        self.session = session
        self.reader = reader
        self.keep = keep  # None: keep every event; else drop all but about this many newest
        self.active = not session.ended
        self.behind = 0

    def poll(self, budget: float = BUDGET_SECONDS) -> int:
        """Read on; return how many bytes this look read."""
        if not self.active:
            return 0
        deadline = time.monotonic() + budget
        start = self.reader.offset
        at_newest = self.session.current >= self.session.last
        for _ in range(MAX_CHUNKS):
            offset = self.reader.offset
            triples = self.reader.read_new_raw(CHUNK_BYTES)
            if triples:
                self.session.add_read(triples)
                if triples[-1][0]["kind"] == "run_end":
                    self.active = False
                    break
            if self.reader.offset == offset or time.monotonic() >= deadline:
                break
        if self.keep is not None:
            self.session.drop_oldest(self.keep)
        if at_newest and self.session.last > self.session.current:
            self.session.set_current(self.session.last)
        self.behind = max(0, self.reader.size() - self.reader.offset) if self.active else 0
        return self.reader.offset - start
