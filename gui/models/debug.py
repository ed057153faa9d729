"""The debug controller: what Run, Step, Step over, Step out, Continue, Capture and the
runner's messages do to the session, and what the step counter says. Qt-free.

Stepping works in two ways, as in a time-travel debugger: while the current step is the
newest event of a paused run, a step command goes to the runner; anywhere earlier, it moves
through the recorded events without re-running, to where the runner would have paused
(:meth:`Session.stop_of` applies the runner's own rule).

The runner is anything with a ``state`` (idle, running, paused, finished, dead: as the app
has seen it), ``command(name, *args, **kwargs) -> bool`` and ``stop()``: the app's
``RunnerBridge``.
"""

from __future__ import annotations

from typing import Optional

from .breakpoints import NONFINITE_ID, Breakpoints
from .events import KIND_CODES
from .follow import FollowedFile
from .session import Session
from .signal import Signal

LIVE = ("running", "paused")


class DebugController:
    """Signals: ``sig_changed()`` (the run's state or the step counter may read differently),
    ``sig_capture_shown()`` (a captured SVI step is now the current step), ``sig_error_selected()``
    (a run ended in an error, now the current step), ``sig_note(text)`` (a line for the status bar)."""

    def __init__(self, session: Session, runner):
        self.session = session
        self.runner = runner
        self.follower: Optional[FollowedFile] = None
        # While following a recording: None keeps every event; a number drops all but about that
        # many newest (the user's "drop old events", for memory that stays flat).
        self.follow_keep: Optional[int] = None
        # Whether the user's last position was the newest step: then the view moves on with a
        # streaming run. Set from every change of step, whoever made it (slider, table, keys).
        self.following = True
        self._capture_from: Optional[int] = None  # where to look for the captured step's note
        self.breakpoints = Breakpoints()
        self._tolerates_nonfinite = False  # this run goes on past a NaN loss, by the user's SVI setting
        self.reason = ""  # why the current step is where it is, in words, for the status bar
        self.breakpoints.sig_changed.connect(self._send_breakpoints)
        self.sig_changed = Signal()
        self.sig_capture_shown = Signal()
        self.sig_error_selected = Signal()
        self.sig_note = Signal()
        session.sig_step_changed.connect(self._on_step)
        session.sig_reset.connect(self._on_reset)

    def _on_step(self, step: int) -> None:
        self.following = step >= self.session.last

    def _on_reset(self) -> None:
        self.following = True
        self._capture_from = None
        self.reason = ""

    @property
    def live(self) -> bool:
        return self.runner.state in LIVE

    def live_at_tail(self) -> bool:
        return self.runner.state == "paused" and self.session.current >= self.session.last

    # Opening and running -----------------------------------------------------------
    def open_model(self, path) -> None:
        self.stop()
        self.follower = None
        self.session.reset(str(path))
        self.sig_changed.emit()

    def open_recording(self, path) -> None:
        """Load a recording (following it while it is still being written); raises
        ``RecordingError`` or ``OSError`` for a file that cannot be read, leaving the session empty."""
        self.stop()
        self.follower = None
        try:
            reader = self.session.load_recording(path)
        except Exception:
            self.session.reset()
            raise
        self.follower = FollowedFile(self.session, reader, self.follow_keep)
        self.session.set_current(0 if len(self.session) else -1)
        self.reason = "recording"
        self.breakpoints.count_hits(self.session.events)
        self.sig_changed.emit()

    def run(self, file, entry: str = "trace", breakpoints=None, start_paused: Optional[bool] = None,
            svi_settings: Optional[dict] = None, seed: int = 0, args: Optional[list] = None) -> bool:
        """Start a run of ``file``: a trace paused at its first step unless told otherwise,
        SVI running (its steps reported at ``sites`` detail, full detail only when captured)."""
        if self.live:
            return False
        self.follower = None
        self.session.reset(str(file))
        paused = entry == "trace" if start_paused is None else start_paused
        # An SVI run told to go on past a NaN loss does not pause at it either.
        self._tolerates_nonfinite = entry == "svi" and not (svi_settings or {}).get("stop_on_nonfinite", True)
        if breakpoints is None:
            breakpoints = self._specs()
        sent = self.runner.command("run", file, entry=entry, breakpoints=list(breakpoints), start_paused=paused,
                                   detail="steps" if entry in ("trace", "script") else "sites", svi=svi_settings,
                                   watch=entry == "trace",  # the NaN watch: every trace, no SVI run
                                   seed=seed, **({"args": args} if entry == "script" else {}))
        self.reason = "running"
        self.sig_changed.emit()
        return sent

    def stop(self) -> None:
        if self.live:
            self.runner.stop()
        self.sig_changed.emit()

    def pause(self) -> None:
        self._command("pause")

    def capture(self) -> None:
        """Ask for the next SVI step in full; show its first message when it arrives."""
        self._capture_from = len(self.session)  # its note comes after everything seen so far
        self._command("capture")

    def set_breakpoints(self, specs: list) -> None:
        if self.live:
            self._command("set_breakpoints", specs)

    def _send_breakpoints(self) -> None:
        self.set_breakpoints(self._specs())

    def _specs(self) -> list:
        specs = self.breakpoints.specs()
        return [s for s in specs if not s.get("nonfinite")] if self._tolerates_nonfinite else specs

    def _command(self, name: str, *args) -> None:
        self.runner.command(name, *args)
        self.sig_changed.emit()

    # What the runner sends -----------------------------------------------------------
    def on_events(self, events: list, lines: Optional[list] = None) -> bool:
        """Add a batch of the run's events (and their JSON lines, if made already). True when the
        view should move to the newest step soon (it was there, and the run goes on): the view
        throttles that, it is not urgent."""
        self.session.add_events(events, lines)
        if self._capture_from is not None and self._show_capture():
            return False
        return self.following and self.runner.state == "running"

    def follow_newest(self) -> None:
        if self.following and self.runner.state == "running" and self.session.current < self.session.last:
            self.session.set_current(self.session.last)

    def _show_capture(self) -> bool:
        # The note and the step's first message may arrive in different batches: look from
        # where the last look ended, never only within the newest batch.
        kinds = self.session.events.kinds
        output, start = KIND_CODES["output"], KIND_CODES["msg_start"]
        note = kinds.find(output, self._capture_from)
        while note >= 0 and self.session.events[note]["stream"] != "runner":
            note = kinds.find(output, note + 1)
        if note < 0:
            self._capture_from = len(kinds)
            return False
        first = kinds.find(start, note)
        if first < 0:
            self._capture_from = note
            return False
        self._capture_from = None
        self.travel(first)
        # Pinned there, even when that message was the newest event so far: the steps still
        # streaming in must not take the captured step away.
        self.following = False
        self.sig_capture_shown.emit()
        return True

    def on_control(self, message: dict) -> None:
        name = message["control"]
        if name == "paused":
            self.reason = self._paused_reason(message)
            self.travel(min(message.get("seq", 0), self.session.last))
        elif name == "finished":
            self.reason = self._finished_reason()
            self.breakpoints.count_hits(self.session.events)
            self._capture_from = None
            # An error is shown wherever the user is; else the end, unless they were looking back.
            error = self.session.events.kinds.rfind(KIND_CODES["error"])
            if error >= 0:
                self.travel(error)
                self.sig_error_selected.emit()
            elif self.following:
                self.travel(self.session.last)
        elif name == "refused":
            self.sig_note.emit(f"The runner refused {message.get('command')}: {message.get('reason')}")
        self.sig_changed.emit()

    def _paused_reason(self, message: dict) -> str:
        reason = message.get("reason")
        if reason == "breakpoint" and message.get("breakpoint") == NONFINITE_ID:
            return "paused at the first non-finite value (Run > Pause at the first NaN or Inf)"
        if reason == "breakpoint":
            breakpoint = self.breakpoints.by_id(message.get("breakpoint"))
            return f"paused at the breakpoint on line {breakpoint.line}" if breakpoint else "paused at a breakpoint"
        if reason == "pause":
            return "paused by you"
        return "paused after a step" if reason in ("step", "step_message", "step_out") else "paused"

    def _finished_reason(self) -> str:
        end = self.session.state_at(self.session.last)
        if end.status == "stopped":
            return f"stopped by you at {_short(end.stopped_at)}" if end.stopped_at else "stopped by you"
        if end.error is not None or end.status == "error":
            error = end.error or {}
            return f"ended with an error: {error.get('type', '')}: {error.get('message', '')}".rstrip(": ")
        if end.status in ("crashed", "dead"):
            return "the runner ended unexpectedly"
        note = self.session.events[self.session.last].get("note")  # a script's: "no Pyro calls were seen"
        return f"finished: {note}" if note else "finished"

    # Stepping --------------------------------------------------------------------
    def travel(self, step: int) -> None:
        if len(self.session):
            self.session.set_current(max(0, min(step, self.session.last)))

    def back(self) -> None:
        self.travel(self.session.current - 1)

    def step(self) -> None:
        self._step("step")

    def step_message(self) -> None:
        self._step("step_message")

    def step_out(self) -> None:
        self._step("step_out")

    def _step(self, command: str) -> None:
        if self.live_at_tail():
            self._command(command)
            return
        target = self.session.stop_of(command, self.session.current)
        self.travel(self.session.last if target is None else target)

    def continue_(self) -> None:
        """Travelling: to the next breakpoint hit in the recorded events, else the newest step.
        Paused live at the newest step: the run goes on."""
        if not self.live_at_tail():
            hit = self.breakpoints.next_hit(self.session.events, self.session.current)
            if hit is not None:
                step, breakpoint = hit
                self.reason = f"at the breakpoint on line {breakpoint.line} (recorded)"
                self.travel(step)
                self.sig_changed.emit()
                return
            self.travel(self.session.last)
        if self.runner.state == "paused":
            self._command("continue_")

    def site_step(self, which: str, name: str) -> Optional[int]:
        """The ``msg_start`` of site ``name`` of the model or the guide. Both programs name their
        shared latent sites alike: a trace runs the model first, the first SVI step (the ELBO)
        the guide first; later SVI steps repeat the first."""
        events = self.session.events
        first_svi_step = events.kinds.find(KIND_CODES["svi_step"])
        end = len(events) if first_svi_step < 0 else first_svi_step
        code = KIND_CODES["msg_start"]
        starts = [k for k in range(end) if events.kinds[k] == code and events.names[k] == name]
        if not starts:
            return None
        runs_first = "guide" if first_svi_step >= 0 else "model"
        return starts[0] if which == runs_first or len(starts) == 1 else starts[1]

    def travel_to_site(self, which: str, name: str) -> None:
        step = self.site_step(which, name)
        if step is not None:
            self.travel(step)
        self.sig_note.emit(f"{which} site '{name}'" + ("" if step is not None else ": not in this run"))

    # What the window shows ---------------------------------------------------------
    def status_text(self) -> str:
        """The step counter and why the run is where it is: "Step 41 of 120 — paused by you".

        Steps are the events' ``seq`` numbers (from 0), as in the timeline's first column."""
        total = len(self.session)
        if not total:
            return "No run"
        reason = self.reason
        if self.follower is not None and self.follower.active:
            reason = "following the file"
        elif self.runner.state == "running":
            reason = "running"
        elif self.live and self.session.current < self.session.last:
            reason = f"travelling back (the run is paused at step {self.session.last})"
        first = self.session.events[0]
        engine = " · on full Pyro" if first["kind"] == "run_start" and first.get("engine") == "pyro" else ""
        dropped = self.session.dropped
        counter = f"Step {self.session.current + dropped} of {self.session.last + dropped}"
        if dropped:
            counter += f" (the oldest {dropped:,} dropped)"
        return counter + (f" — {reason}" if reason else "") + engine

    def enabled(self, has_model: bool) -> dict:
        """Which commands make sense now: action name -> bool."""
        state, current, total = self.runner.state, self.session.current, len(self.session)
        stepping = (total > 0 and current < total - 1) or state == "paused"
        return {"run": has_model and not self.live, "run_svi": has_model and not self.live,
                "step": stepping, "step_message": stepping, "step_out": stepping, "continue": stepping,
                "pause": state == "running", "stop": self.live, "restart": has_model, "back": current > 0,
                "save_recording": total > 0}


def _short(where: str) -> str:
    """"/long/path/model.py:12" -> "model.py:12"."""
    file, _, line = where.rpartition(":")
    return f"{file.rsplit('/', 1)[-1]}:{line}" if file else where
