"""Pausing in plain Python: a run busy in the user's code between sites stops at its next line.

A pause takes effect at the next event. When none comes (a ``while`` loop after the last site),
the command reader waits a moment (``protocol.PAUSE_GRACE``) and then interrupts the model's
thread with :data:`BREAK_IN_SIGNAL`, whose handler (installed when the child starts) calls
:meth:`LineTracer.break_in`. Only then is a trace function installed (``sys.settrace``, and
``f_trace`` on the user's frames already running): nothing is traced while no pause is pending.
The first line the thread runs in a user file becomes a ``line`` event, where the debugger
pauses. A ``step`` from there runs to the next event or the next user line, whichever comes
first; any other command, or an event, ends the tracing.
"""

from __future__ import annotations

import signal
import sys

from ..observe.frames import is_user_code

BREAK_IN_SIGNAL = signal.SIGUSR1


class LineTracer:
    """Turns the user's next line into a ``line`` event, while the debugger wants lines."""

    def __init__(self, recorder, debugger):
        self.recorder = recorder
        self.debugger = debugger
        self._tracing = False
        self._previous_trace = None  # a tracer of the user's own (coverage, a debugger), given back at the end
        self._running_frames: list = []  # the user's frames that were running when tracing began

    def break_in(self, frame) -> None:
        """Called in the model's thread, interrupted at ``frame``: trace it if a pause is pending."""
        if self._tracing or not self.debugger.wants_lines():
            return
        self._tracing = True
        self._previous_trace = sys.gettrace()
        while frame is not None:  # frames already running get no "call": they are traced directly
            if is_user_code(frame.f_code.co_filename):
                frame.f_trace = self._trace_line
                self._running_frames.append(frame)
            frame = frame.f_back
        sys.settrace(self._trace_call)

    def end(self) -> None:
        """Stop tracing: the pause was served, or the run is over. In the model's thread."""
        if not self._tracing:
            return
        self._tracing = False
        for frame in self._running_frames:
            frame.f_trace = None
        self._running_frames = []
        sys.settrace(self._previous_trace)

    def _trace_call(self, frame, event, arg):
        if not self.debugger.wants_lines():  # an event served the pause
            self.end()
            return None
        return self._trace_line if is_user_code(frame.f_code.co_filename) else None

    def _trace_line(self, frame, event, arg):
        if not self._tracing or not self.debugger.wants_lines():
            self.end()
            return None
        if event != "line":
            return self._trace_line
        try:
            self.recorder.line(frame)  # the debugger pauses at it until the user's next command
        finally:
            if not self.debugger.wants_lines():
                self.end()
        return self._trace_line if self._tracing else None
