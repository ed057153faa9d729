"""A run in the runner's child: load the model file, then trace it or train it with SVI,
with the recorder's events going to the channel and the debugger consulted after each."""

from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

from ..observe.event import DETAILS
from ..observe.frames import error_frames, traceback_user_source, user_frames
from .breakin import LineTracer
from .capture import OutputStream
from .debugger import Debugger, RunStopped
from .engines import ENGINES
from .protocol import Channel, Commands


ENTRIES = ("trace", "svi", "structure")  # structure: the model's and guide's structure events only


class NonFiniteLoss(Exception):
    def __init__(self, step: int, loss: float):
        self.step = step
        super().__init__(f"the loss became {loss} at step {step}; stopping")


def _run_recorder(detail: str, channel: Channel, commands: Commands, debugger: Debugger):
    """A Recorder whose events go to the channel (from any thread, in one numbering),
    with the debugger consulted after each event the model's own thread emits."""
    from ..observe.recorder import Recorder

    main_thread = threading.main_thread()

    class RunRecorder(Recorder):
        lock = threading.Lock()
        debugging = True  # off for the run's last event, which nothing may pause or stop

        def emit(self, kind, **fields):
            if kind == "error":
                fields["frames"], fields["folded"] = user_frames(fields["frames"])
            with self.lock:
                event = super().emit(kind, **fields)
            commands.progress += 1
            if self.debugging and threading.current_thread() is main_thread:
                if commands.stop_requested:
                    raise RunStopped()
                debugger.after(self.last_dict)
            return event

    def send(event):
        recorder.last_dict = event.to_dict()  # the debugger reads the same dict
        channel.event(recorder.last_dict)

    recorder = RunRecorder(detail, send)
    return recorder


def _between_steps(recorder):
    """The observer of the SVI steps nobody asked to see: messages pass unobserved, each
    step is reported. (The first step is observed in full: it reports the structure.)"""
    from .. import runtime

    class SviObserver(runtime.Observer):
        def svi_step(self, step, loss, params, grad_norms):
            recorder.svi_step(step, loss, params, grad_norms)

    return SviObserver()


def _error_fields(error: BaseException) -> dict:
    fields = {"type": type(error).__name__, "message": str(error), "frames": error_frames(error)}
    if isinstance(error, NonFiniteLoss):
        fields["step"] = error.step
    return fields


def _stopped_at(stop: BaseException) -> str | None:
    """``file:line`` where the user's code was when the stop reached it. A stop raised there may
    meet another on its way out (a handler's exit event raises RunStopped too): the first counts."""
    first = stop
    while isinstance(first.__context__, (RunStopped, KeyboardInterrupt)):
        first = first.__context__
    return traceback_user_source(first)


def _trace_entry(model_file, recorder, engine, observed_run: bool = True) -> None:
    """Trace the model and the guide, each once, then report its structure (``observed_run``
    False: the structure only, as ``main.py graph`` needs)."""
    for which in ("model", "guide"):
        fn = getattr(model_file, which)
        if fn is None:
            continue
        if observed_run:
            engine.trace(fn, model_file.args, model_file.kwargs)
        recorder.structure(which, fn, model_file.args, model_file.kwargs, fields_of=engine.structure_fields())


def _svi_entry(model_file, settings: dict, recorder, commands: Commands, engine) -> None:
    from ..observe.recorder import observe_engines

    if model_file.guide is None:
        raise ValueError(f"{model_file.path}: SVI needs a function named 'guide'")
    # Nothing runs before the first step that a plain script would not run: the first step,
    # observed at the run's detail, shows every site and reports the structure.
    svi = engine.svi(model_file.model, model_file.guide, settings)
    between_steps = _between_steps(recorder)
    detail = recorder.detail
    for step in range(1, int(settings["steps"]) + 1):
        observer = recorder if step == 1 else between_steps
        if commands.capture_requested:  # this step in full, for the debugger panels
            commands.capture_requested = False
            recorder.emit("output", stream="runner", text=f"capturing SVI step {step}\n")
            recorder.set_detail("steps")
            observer = recorder
        previous = observe_engines(observer)
        try:
            loss = svi.step(*model_file.args, **model_file.kwargs)
        finally:
            observe_engines(*previous)
            recorder.set_detail(detail)
        if not math.isfinite(loss):
            if settings.get("stop_on_nonfinite", True):
                raise NonFiniteLoss(step, loss)
            recorder.emit("output", stream="stderr", text=f"the loss is {loss} at step {step}; going on\n")
    if settings.get("predictive"):
        _predictive(model_file, settings["predictive"], recorder, engine)


def _predictive(model_file, options, recorder, engine) -> None:
    """Pyro's ``Predictive`` after training, observed at the run's detail (the svi dict's
    ``predictive``: Predictive's literal keyword arguments, plus ``kwargs`` that override the
    file's for this call, e.g. ``{"y": None}`` to predict rather than observe ``y``)."""
    if not isinstance(options, dict):
        raise ValueError(f"svi['predictive'] must be a dict of Predictive's arguments, got {options!r}")
    options = dict(options)
    kwargs = {**model_file.kwargs, **options.pop("kwargs", {})}
    # On stdout, as the script's own print of its predictions would be.
    recorder.emit("output", stream="stdout", text=f"Predictive({', '.join(f'{k}={v!r}' for k, v in options.items())}) "
                                                  "after training\n")
    samples = engine.predictive(model_file.model, model_file.guide, options, model_file.args, kwargs)
    for name, value in samples.items():
        value = value.detach().float()
        recorder.emit("output", stream="stdout",
                      text=f"  {name}: shape {tuple(value.shape)}, mean {value.mean():.4g}, sd {value.std():.4g}\n")


def run(command: dict, channel: Channel, commands: Commands, fd_output: dict, captures=()) -> str:
    from ..observe.recorder import observe_engines
    from .modelfile import ModelFileError, choose_engine, load_model_file

    file, entry = command.get("file"), command.get("entry", "trace")
    seed, detail = command.get("seed", 0), command.get("detail", "steps")
    if entry not in ENTRIES or detail not in DETAILS or not isinstance(seed, int):
        channel.control("refused", command="run", reason="entry must be trace, svi or structure, detail sites or steps, "
                                                         "seed an int")
        return "refused"
    try:  # (the command reader cleared the requests as it read this run command)
        debugger = Debugger(commands, channel, command.get("breakpoints"), bool(command.get("start_paused")))
    except ValueError as error:
        channel.control("refused", command="run", reason=str(error))
        return "refused"
    try:
        engine, engine_error = ENGINES[choose_engine(file, command.get("engine"))], None
    except (ModelFileError, OSError) as error:  # reported as the run's error, below
        engine, engine_error = ENGINES["minipyro"], error
    recorder = _run_recorder(detail, channel, commands, debugger)
    line_tracer = LineTracer(recorder, debugger)
    stdout, stderr = sys.stdout, sys.stderr

    def emit_output(stream, text):
        recorder.emit("output", stream=stream, text=text)

    fd_output["emit"] = emit_output

    status, stopped_at = "ok", None
    # The child serves run after run: start each from the same state.
    engine.reset(seed)
    commands.break_in = line_tracer.break_in
    commands.running = True
    recorder.emit("run_start", file=file, entry=entry, seed=seed, status="running", engine=engine.name)
    sys.stdout, sys.stderr = OutputStream("stdout", emit_output), OutputStream("stderr", emit_output)
    previous = observe_engines(recorder)
    try:
        if engine_error is not None:
            raise engine_error
        with engine.loading(Path(file), seed):
            model_file = load_model_file(file)
            settings = dict(model_file.svi)
            settings.update(command.get("svi") or {})
            if entry in ("trace", "structure"):
                _trace_entry(model_file, recorder, engine, observed_run=entry == "trace")
            else:
                _svi_entry(model_file, settings, recorder, commands, engine)
    except (RunStopped, KeyboardInterrupt) as stop:
        status, stopped_at = "stopped", _stopped_at(stop)
    except BaseException as error:  # the user's code: anything it raises is reported, not fatal
        status = "error"
        if not getattr(error, "_minipyro_reported", False):  # errors inside a site already are
            try:
                recorder.emit("error", **_error_fields(error))
            except RunStopped:  # while paused at the error: it is where the run stopped
                status, stopped_at = "stopped", traceback_user_source(error)
    finally:
        commands.break_in = None
        line_tracer.end()
        observe_engines(*previous)
        recorder.debugging = False
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = stdout, stderr
        for capture in captures:
            capture.drain()
        engine.clear_stack()
        commands.running = False
    recorder.emit("run_end", file=file, entry=entry, seed=seed, status=status,
                  **({"stopped_at": stopped_at} if status == "stopped" else {}))
    fd_output.pop("emit", None)
    channel.control("finished", status=status)
    return status
