"""The runner's controller, seen from Qt: its callbacks arrive on reader threads; this
moves them onto the GUI thread in batches (at most ~30 a second), as signals. What can be done
before the GUI thread sees an event is done on the reader thread: its JSON line, which the
session keeps."""

from __future__ import annotations

import collections
import threading
from typing import Optional

import orjson
from PySide6.QtCore import QObject, QTimer, Signal

from minipyro.runner.controller import ControllerError, RunnerController

DELIVERY_INTERVAL_MS = 33
MAX_DELIVERED = 5000  # items per tick at most: a runner sending faster than the app draws waits its turn
RESUMING = {"run", "step", "step_message", "step_out", "continue_"}


class RunnerBridge(QObject):
    """The runner port of ``gui.models.debug``: ``state``, ``command(...)``, ``stop()``.

    Given a ``controller`` (a child already started, shared with others), closing the
    bridge stops its run but leaves the child for the next; without one, the bridge owns
    a controller of its own and closing ends its child.
    """

    # object, not list/dict: Qt would copy every string into a QVariant and back (a 15 MB print twice).
    sigEvents = Signal(object, object)  # a batch of event dicts, in order, and their JSON lines
    sigControl = Signal(object)  # ready, paused, finished, refused, failed: the control message
    sigError = Signal(str)  # the runner could not be started or commanded

    def __init__(self, parent=None, controller: Optional[RunnerController] = None):
        super().__init__(parent)
        self._incoming: collections.deque = collections.deque()
        # The run's state as the GUI has seen it: it changes when a control message is
        # delivered, so it never runs ahead of the events delivered before it.
        self.state = "idle"
        self._lock = threading.Lock()
        self._owns_controller = controller is None
        self.controller = controller or RunnerController()
        self.controller.on_event, self.controller.on_control = self._on_event, self._on_control
        self._timer = QTimer(self)
        self._timer.setInterval(DELIVERY_INTERVAL_MS)
        self._timer.timeout.connect(self._deliver)
        self._timer.start()

    # called on the controller's reader threads
    def _on_event(self, event: dict) -> None:
        line = orjson.dumps(event)
        with self._lock:
            self._incoming.append(("event", (event, line)))

    def _on_control(self, message: dict) -> None:
        with self._lock:
            self._incoming.append(("control", message))

    def _deliver(self, limit: int = MAX_DELIVERED) -> None:
        with self._lock:
            if len(self._incoming) <= limit:
                items, self._incoming = self._incoming, collections.deque()
            else:
                items = [self._incoming.popleft() for _ in range(limit)]
        batch, lines = [], []
        for kind, payload in items:
            if kind == "event":
                batch.append(payload[0])
                lines.append(payload[1])
                continue
            if batch:
                self.sigEvents.emit(batch, lines)
                batch, lines = [], []
            # "ready" comes from a child started for a run already under way: it changes nothing.
            self.state = {"paused": "paused", "finished": "finished"}.get(payload["control"], self.state)
            self.sigControl.emit(payload)
        if batch:
            self.sigEvents.emit(batch, lines)

    def flush(self) -> None:
        """Deliver all that has arrived now (the screenshot uses it)."""
        self._deliver(limit=1 << 62)

    def command(self, name: str, *args, **kwargs) -> bool:
        """Call a controller method; report a refusal instead of raising."""
        try:
            getattr(self.controller, name)(*args, **kwargs)
            if name in RESUMING:
                self.state = "running"
            return True
        except ControllerError as error:
            self.sigError.emit(str(error))
            return False

    def stop(self) -> None:
        """End the run (within a second, whatever the model does) and deliver its last events."""
        self.controller.stop()
        self.flush()

    def close(self) -> None:
        self._timer.stop()
        if self._owns_controller:
            self.controller.close()
            return
        self.controller.stop()
        if self.controller.on_event == self._on_event:  # still ours: nobody took the child over
            self.controller.on_event = self.controller.on_control = None
