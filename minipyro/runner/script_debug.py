"""A script under the debugger: every site while someone debugs it, losses only otherwise.

A script run from the app records its first step at the run's detail, then at ``svi`` detail
(Pyro's messages pass unobserved, at Pyro's own speed: a training job is watched through its
losses). A debugger needs the messages back whenever it could stop at one: while a pause is
pending (it stops inside the next ``apply_stack``), while the user steps, and while any
breakpoint other than the first-non-finite one is set. :class:`DebugDetail` raises the recorder's detail for exactly those times.

The detail changes in the model's thread only: from the debugger itself (a step command, a
breakpoint met), or, for a request that arrives while the script runs unobserved (Pause, a
breakpoint set from the gutter), from the handler of a signal the command reader sends to
that thread (``Commands.request_main_thread``), so that no message is half observed.
"""

from __future__ import annotations


# Where Pause stops a script: inside the next apply_stack, or at a line of its own Python (a
# handler's exit may belong to one entered before the messages were observed).
PAUSE_KINDS = frozenset({"msg_start", "line", "error"})


class DebugDetail:
    """Keeps ``recorder`` at ``debug_detail`` while ``debugger`` may stop at a message, at
    ``svi`` detail otherwise (once the first step, seen at the run's detail, is over)."""

    def __init__(self, recorder, debugger, commands, debug_detail: str):
        self.recorder, self.debugger, self.commands = recorder, debugger, commands
        self.debug_detail = debug_detail

    def wanted(self) -> bool:
        debugger = self.debugger
        # The first-non-finite pause needs no messages: unobserved, it stops at the step's loss.
        return (self.commands.pause_requested or debugger.mode != "continue"
                or any(not b.nonfinite for b in debugger.breakpoints))

    def update(self) -> None:
        """Set the recorder's detail for what the debugger wants now; in the model's thread."""
        self.debugger.refresh_breakpoints()
        recorder = self.recorder
        if recorder.first_step_pending() or not self._installed():
            return  # the first step's detail ends by itself; a finished run has no observer
        detail = self.debug_detail if self.wanted() else "svi"
        if recorder.detail != detail:
            from ..observe.recorder import observe_engines

            recorder.set_detail(detail)
            observe_engines(recorder)

    def _installed(self) -> bool:
        from .. import runtime
        from ..observe.recorder import InferenceOnly

        observer = runtime.get_observer()
        if isinstance(observer, InferenceOnly):
            observer = observer.recorder
        return observer is self.recorder  # (observe_engines installs it on both engines)
