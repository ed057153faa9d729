"""The runner's channel: one JSON object per line on a pipe each way (DESIGN section 6).

The child keeps both pipes on descriptors of its own (at or above ``PRIVATE_FD_FLOOR``, closed in
any process the model starts), so a model writing to a low descriptor, or reading its stdin,
never touches them. Every command carries an ``id``; every line the child sends carries ``run``,
the id of the run command it belongs to (None between runs), and a ``refused`` reply the ``id``
of the command refused: the controller ignores what belongs to no run of its own.

In, commands: ``{"id": 7, "cmd": "run", "file": ..., "entry": "trace"|"svi"|"structure"|"script", "seed": 0, "svi": {...},
"detail": "sites"|"steps", "breakpoints": [...], "start_paused": false, "memory_limit": bytes (0: none)}``,
``step``,
``step_message``, ``step_out``, ``continue``, ``pause``, ``stop``, ``set_breakpoints``
(``"breakpoints": [...]``), ``capture`` (record the next SVI step in full), ``quit``.

Out: ``{"events": [event, ...]}`` (batched, at most ~30 lines a second while running) and
``{"control": "ready" | "paused" | "finished" | "refused" | "failed", ...}`` (``failed``: the
runner itself broke, with its ``traceback``; it exits). ``paused`` carries ``seq``
(the event it is at) and ``reason``: ``"pause"``, the step command that got there, or
``"breakpoint"`` with ``breakpoint`` (the breakpoint's ``id``, else its index in the list).
A pause while the model is busy in plain Python stops it at its next line (see ``breakin``).
"""

from __future__ import annotations

import _thread
import fcntl
import json
import os
import queue
import threading
import time

from ..observe.event import json_line
from .breakin import BREAK_IN_SIGNAL

SEND_INTERVAL = 1 / 30  # seconds between event batches while running
MAX_BATCH = 2000
STOP_GRACE = 0.2  # seconds a stop waits for the run to reach an event before interrupting it
PAUSE_GRACE = 0.2  # seconds a pause waits for an event before breaking into plain Python
PRIVATE_FD_FLOOR = 200


def private_fd(fd: int) -> int:
    """A copy of ``fd`` at a high number that subprocesses do not inherit."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, PRIVATE_FD_FLOOR)


class Channel:
    """Our end of the protocol pipe: JSON lines out, events batched."""

    def __init__(self, fd: int):
        # A lone surrogate in a message becomes "?" rather than breaking the channel (the
        # model's output has already been made valid: see capture.OutputStream).
        self._out = os.fdopen(fd, "w", encoding="utf-8", errors="replace", buffering=1 << 16)
        self.run_id = None  # the id of the run command being served
        self._lock = threading.RLock()
        self._batch: list[dict] = []
        self._last_send = 0.0
        self._closed = threading.Event()
        threading.Thread(target=self._flush_periodically, name="channel-flush", daemon=True).start()

    def _write(self, obj: dict) -> None:
        obj["run"] = self.run_id
        self._out.write(json_line(obj))
        self._out.flush()

    def event(self, event: dict) -> None:
        with self._lock:
            self._batch.append(event)
            now = time.monotonic()
            if now - self._last_send >= SEND_INTERVAL or len(self._batch) >= MAX_BATCH:
                self._send_batch(now)

    def _send_batch(self, now: float) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._write({"events": batch})
        self._last_send = now

    def flush(self) -> None:
        with self._lock:
            self._send_batch(time.monotonic())

    def control(self, name: str, **fields) -> None:
        with self._lock:
            self._send_batch(time.monotonic())  # events first, so controls follow what they describe
            self._write({"control": name, **fields})

    def _flush_periodically(self) -> None:
        while not self._closed.wait(SEND_INTERVAL):
            with self._lock:
                if self._batch and time.monotonic() - self._last_send >= SEND_INTERVAL:
                    self._send_batch(time.monotonic())


class Commands:
    """Reads commands on a thread. Flags for what must reach a running model
    (pause, stop, breakpoints, capture); a queue for what a paused one waits for."""

    def __init__(self, stream):
        self.queue: queue.Queue = queue.Queue()
        self.pause_requested = False
        self.stop_requested = False
        self.capture_requested = False
        self.breakpoints_update = None
        self.running = False  # a run is active and not paused (then stop interrupts it)
        self.progress = 0  # events emitted; a stop checks that the run is still moving
        self.break_in = None  # the run's LineTracer.break_in, while a run is active
        # Called in the model's thread when a pause or breakpoints arrive while it runs (a
        # script's run raises its detail then: see script_debug); None: nothing to do.
        self.on_request = None
        self._request_due = False
        self._break_in_due = False
        self._stream = stream
        threading.Thread(target=self._read, name="commands", daemon=True).start()

    def _read(self) -> None:
        for line in self._stream:
            try:
                command = json.loads(line)
                if not isinstance(command, dict) or not isinstance(command.get("cmd"), str):
                    raise ValueError("a command is an object with a 'cmd' string")
            except ValueError as error:
                self.queue.put({"cmd": "invalid", "reason": str(error)})
                continue
            name = command["cmd"]
            if name == "run":
                # A new run starts with no request pending; one that comes after this line is
                # for the new run, even if it arrives while the child is still starting it.
                self.stop_requested = self.pause_requested = self.capture_requested = False
            elif name == "pause":
                self.pause_requested = True
                self._request_main_thread()
                threading.Thread(target=self._break_in_if_stuck, daemon=True).start()
            elif name == "stop":
                self.stop_requested = True
                threading.Thread(target=self._interrupt_if_stuck, daemon=True).start()
            elif name == "capture":
                self.capture_requested = True
            elif name == "set_breakpoints":
                self.breakpoints_update = command.get("breakpoints", [])
                self._request_main_thread()
            self.queue.put(command)
        os._exit(0)  # the controller closed our stdin: it is gone, so are we

    def _interrupt_if_stuck(self) -> None:
        """A run stuck in a loop with no sample or param never reaches an event to stop at."""
        progress = self.progress
        time.sleep(STOP_GRACE)
        if self.running and self.stop_requested and self.progress == progress:
            _thread.interrupt_main()

    def _break_in_if_stuck(self) -> None:
        """A run busy in plain Python reaches no event to pause at: have it pause at its next line.
        (Any event of the model's thread serves the pause, so one still pending means none came.)"""
        time.sleep(PAUSE_GRACE)
        if self.running and self.pause_requested:
            self._break_in_due = True
            _thread.interrupt_main(BREAK_IN_SIGNAL)  # runs break_in_handler in the main thread

    def _request_main_thread(self) -> None:
        """Have ``on_request`` run in the model's thread at its next bytecode."""
        if self.on_request is not None and self.running:
            self._request_due = True
            _thread.interrupt_main(BREAK_IN_SIGNAL)

    def break_in_handler(self, signum, frame) -> None:
        """BREAK_IN_SIGNAL's handler, in the main thread interrupted at ``frame``."""
        on_request = self.on_request
        if self._request_due and on_request is not None:
            self._request_due = False
            on_request()
        if self._break_in_due:
            self._break_in_due = False
            if self.break_in is not None:
                self.break_in(frame)
