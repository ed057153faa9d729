"""The debugger: after each event of the model's thread, decide whether to pause there.

Where a step command stops is a pure function of the events (:func:`step_target` and
:func:`reached`), so the app's time travel through a recording stops exactly where a live
run would (``gui.models.session`` uses the same two functions).
"""

from __future__ import annotations

from typing import Optional

from .breakpoints import BreakpointError, compile_breakpoints

STEP_COMMANDS = ("step", "step_message", "step_out", "continue")


class RunStopped(BaseException):
    """Raised inside the user's code to end a run on ``stop`` (BaseException: user code's
    ``except Exception`` must not swallow it)."""


def stack_size_after(event: dict, size: int) -> int:
    """How many handlers are on the stack after ``event``, given ``size`` before it."""
    kind = event["kind"]
    if kind == "handler_enter":
        return event["depth"] + 1
    if kind == "handler_exit":
        return event["depth"]
    return size


def step_target(command: str, event: dict, stack_size: int) -> tuple[str, Optional[int]]:
    """Where ``command``, given while paused at ``event`` with ``stack_size`` handlers on the
    stack, runs to: a ``(mode, target)`` pair for :func:`reached`.

    - ``step``: the next event (after a ``line`` pause, or the next line of the user's code).
    - ``step_message``: the ``msg_end`` of the message in flight (at a ``msg_end``: of the next one).
    - ``step_out``: the exit of the innermost handler (at a ``handler_exit``: of the next one out);
      with no handler left, the end.
    - ``continue``: the next breakpoint, or the end.
    """
    if command == "step_message":
        in_flight = event.get("msg_id") if event["kind"] != "msg_end" else None
        return "step_message", in_flight
    if command == "step_out":
        # At a handler_exit the handler is still counted in the stack size before that event.
        depth = event["depth"] - 1 if event["kind"] == "handler_exit" else stack_size - 1
        return ("step_out", depth) if depth >= 0 else ("continue", None)
    return command, None


def reached(mode: str, target: Optional[int], event: dict) -> bool:
    """Whether ``event`` ends a step of ``(mode, target)`` (breakpoints aside). Output is not a
    step: a program's prints are shown as they come, not stopped at one by one."""
    kind = event["kind"]
    if mode == "step":
        return kind != "output"
    if mode == "step_message":
        return kind == "msg_end" and target in (None, event["msg_id"])
    if mode == "step_out":
        return kind == "handler_exit" and event["depth"] == target
    return False


class Debugger:
    """Decides after each event whether to pause, and waits for commands while paused."""

    def __init__(self, commands, channel, breakpoints, start_paused: bool):
        self.commands = commands
        self.channel = channel
        self.breakpoints = compile_breakpoints(breakpoints)
        self.mode = "step" if start_paused else "continue"
        self.target: Optional[int] = None
        self.stack_size = 0
        self.handler_classes: dict[int, str] = {}
        self.messages: dict[int, dict] = {}  # msg_start of the messages in flight
        self.stepping_lines = False  # a step from a `line` pause: the next user line is a step too
        self.on_resume = None  # called as a pause ends (a script's run sets its detail then)
        self.pause_kinds = None  # the events a Pause stops at; None: any but output (not a step)

    def wants_lines(self) -> bool:
        """Whether the next line of the user's code should become a ``line`` event (see breakin)."""
        return self.commands.pause_requested or self.stepping_lines

    def after(self, event: dict) -> None:
        kind = event["kind"]
        self.stepping_lines = False
        self.stack_size = stack_size_after(event, self.stack_size)
        if kind == "handler_enter":
            self.handler_classes[event["handler_id"]] = event["handler"]
        elif kind == "msg_start":
            self.messages[event["msg_id"]] = event
        self.refresh_breakpoints()
        why = self._why_pause(event)
        if kind == "msg_end":
            self.messages.pop(event["msg_id"], None)
        if why is not None:
            self.pause(event, **why)

    def refresh_breakpoints(self) -> None:
        """Take the breakpoints the app sent since (in the model's thread)."""
        if self.commands.breakpoints_update is not None:
            self._update_breakpoints()

    def _update_breakpoints(self) -> None:
        update, self.commands.breakpoints_update = self.commands.breakpoints_update, None
        try:
            self.breakpoints = compile_breakpoints(update)
        except BreakpointError as error:
            self.channel.control("refused", command="set_breakpoints", reason=str(error))

    def _why_pause(self, event: dict) -> Optional[dict]:
        """Whether to pause at ``event``: the ``paused`` control's fields saying why, or None."""
        kind = event["kind"]
        if self.commands.pause_requested and (kind in self.pause_kinds if self.pause_kinds else kind != "output"):
            self.commands.pause_requested = False
            return {"reason": "pause"}
        if reached(self.mode, self.target, event):
            return {"reason": self.mode}
        if self.breakpoints:
            handler_class = self.handler_classes.get(event.get("handler_id")) if kind == "process" else None
            message = self.messages.get(event.get("msg_id"))
            for breakpoint in self.breakpoints:
                if breakpoint.matches(event, handler_class, message):
                    return {"reason": "breakpoint", "breakpoint": breakpoint.id}
        return None

    def pause(self, event: dict, reason: str, **why) -> None:
        self.commands.running = False
        self.channel.control("paused", seq=event["seq"], reason=reason, **why)
        try:
            while True:
                command = self.commands.queue.get()
                name = command["cmd"]
                if name == "stop":
                    raise RunStopped()
                if name in STEP_COMMANDS:
                    self.mode, self.target = step_target(name, event, self.stack_size)
                    self.stepping_lines = event["kind"] == "line" and self.mode == "step"
                    return
                if name == "invalid":
                    self.channel.control("refused", command="?", reason=command["reason"])
                elif name not in ("pause", "set_breakpoints", "capture"):
                    self.channel.control("refused", command=name, reason="not while paused")
                if self.commands.breakpoints_update is not None:
                    self._update_breakpoints()
        finally:
            self.commands.pause_requested = False
            self.commands.running = True
            if self.on_resume is not None:
                self.on_resume()
