"""The line tracer behind a pause in plain Python: the user's next line becomes a ``line`` event,
and no trace function is left running, nor installed when no pause is pending."""

import sys

from minipyro.runner.breakin import LineTracer


class Debugger:
    """Wants lines while a pause is pending; the pause is served at the first line event."""

    def __init__(self, pending: bool):
        self.pending = pending

    def wants_lines(self) -> bool:
        return self.pending


class Recorder:
    def __init__(self, debugger):
        self.debugger = debugger
        self.lines = []

    def line(self, frame):
        self.lines.append((frame.f_code.co_name, frame.f_lineno, dict(frame.f_locals)))
        self.debugger.pending = False


def busy(tracer):
    n = 41
    tracer.break_in(sys._getframe())  # as the signal handler does, with the frame it interrupted
    n += 1  # the next line
    return n + 1


def tracer_for(pending: bool):
    debugger = Debugger(pending)
    recorder = Recorder(debugger)
    return LineTracer(recorder, debugger), recorder


def test_a_pending_pause_becomes_a_line_event_at_the_next_user_line_and_tracing_ends():
    before = sys.gettrace()
    tracer, recorder = tracer_for(pending=True)
    assert busy(tracer) == 43
    next_line = busy.__code__.co_firstlineno + 3
    assert recorder.lines == [("busy", next_line, {"tracer": tracer, "n": 41})]
    assert sys.gettrace() is before


def test_no_trace_function_is_installed_without_a_pending_pause():
    before = sys.gettrace()
    tracer, recorder = tracer_for(pending=False)
    tracer.break_in(sys._getframe())
    assert sys.gettrace() is before and sys._getframe().f_trace is None
    assert busy(tracer) == 43 and recorder.lines == []
