"""A run in the runner's child: load the model file, then trace it or train it with SVI,
with the recorder's events going to the channel and the debugger consulted after each."""

from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

from ..observe.event import DETAILS
from ..observe.frames import error_frames, is_user_code, traceback_user_source, user_frames
from .breakin import LineTracer
from .capture import CapturedOutput
from .debugger import Debugger, RunStopped
from .engines import ENGINES
from .limits import MemoryLimit, end_other_processes_of_group, is_out_of_memory
from .protocol import Channel, Commands
from .sources import error_sources, source_text
from .script import NO_PYRO
from .script_debug import PAUSE_KINDS, DebugDetail
from .script_entry import run_script_entry


ENTRIES = ("trace", "svi", "structure", "script")  # structure: the model's and guide's structure events only


class NonFiniteLoss(Exception):
    def __init__(self, step: int, loss: float):
        self.step = step
        super().__init__(f"the loss became {loss} at step {step}; stopping")


def _run_recorder(detail: str, channel: Channel, commands: Commands, debugger: Debugger, model_file,
                  memory_limit: MemoryLimit, first_step=None):
    """A Recorder whose events go to the channel (from any thread, in one numbering),
    with the debugger consulted after each event the model's own thread emits. An error
    carries the text of the files in the model's folder that its frames point at; one of
    running out of memory under the limit says so. ``output`` (a CapturedOutput, once the run
    has one) is sent before any other event, so that prints keep their place."""
    from ..observe.recorder import Recorder

    main_thread = threading.main_thread()

    class RunRecorder(Recorder):
        lock = threading.Lock()
        debugging = True  # off for the run's last event, which nothing may pause or stop
        output = None
        dataflow = None  # a trace run's Dataflow, told every message that ends
        debug_detail = None  # a script's DebugDetail, told each time a step or ELBO evaluation ends
        pyro_seen = False  # a message went through apply_stack (a run's first step is observed)

        def message_start(self, msg, stack=None):
            self.pyro_seen = True
            super().message_start(msg, stack)

        def _stepped(self):
            super()._stepped()
            if self.debug_detail is not None:
                self.debug_detail.update()

        def message_end(self, msg):
            super().message_end(msg)
            if self.dataflow is not None:
                self.dataflow.site_ended(msg)

        def emit(self, kind, **fields):
            if kind != "output" and self.output is not None:
                self.output.send()
            if kind == "error":
                fields["frames"], fields["folded"] = user_frames(fields["frames"])
                if memory_limit.limit and is_out_of_memory(fields["type"], fields["message"]):
                    where = [f"{f['file']}:{f['line']}" for f in fields["frames"] if is_user_code(f["file"])]
                    fields["message"] = memory_limit.message(where[-1] if where else None)
                sources = error_sources(fields["frames"], model_file) if model_file else {}
                if sources:
                    fields["sources"] = sources
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

    recorder = RunRecorder(detail, send, first_step=first_step)
    return recorder


def _between_steps(recorder):
    """The observer of the SVI steps nobody asked to see: messages pass unobserved, each
    step is reported. (The first step is observed in full: it reports the structure.)"""
    from .. import runtime

    class SviObserver(runtime.Observer):
        def message_end(self, msg):
            if recorder.watch is not None:  # the lazy NaN watch keeps the step's sites
                recorder.watch.message_end(msg)

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
    """Trace the model, then the guide: each called once, its structure read from that very run
    (``observed_run`` False: the structure only, from one unobserved run, as ``main.py graph`` needs)."""
    from .dataflow import Dataflow

    for which in ("model", "guide"):
        fn = getattr(model_file, which)
        if fn is None:
            continue
        if not observed_run:
            recorder.structure(which, fn, model_file.args, model_file.kwargs, fields_of=engine.structure_fields())
            continue
        recorder.dataflow = dataflow = Dataflow()
        try:
            with dataflow:
                trace = engine.trace(fn, model_file.args, model_file.kwargs)
        finally:
            recorder.dataflow = None
        try:
            fields = engine.structure_of_run(dataflow, trace)
        except Exception:  # the structure is a view; a model it cannot read still ran
            continue
        recorder.emit("structure", which=which, **fields)


def _svi_entry(model_file, settings: dict, recorder, commands: Commands, engine) -> None:
    from ..observe.recorder import observe_engines

    if model_file.guide is None and recorder.watch is not None:  # a check of a model alone: one trace
        recorder.emit("output", stream="runner", text="no guide: the model is traced once\n")
        _trace_entry(model_file, recorder, engine)
        return
    if model_file.guide is None:
        raise ValueError(f"{model_file.path}: SVI needs a function named 'guide'")
    # Nothing runs before the first step that a plain script would not run: the first step,
    # observed at the run's detail, shows every site and reports the structure.
    svi = engine.svi(model_file.model, model_file.guide, settings)
    between_steps = _between_steps(recorder)
    detail = recorder.detail
    for step in range(1, int(settings["steps"]) + 1):
        # With the eager NaN watch every step is seen: a NaN may start at any of them.
        observer = recorder if step == 1 or (recorder.watch is not None and recorder.watch.eager) else between_steps
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


def _announced_settings(file, command: dict) -> dict:
    """The SVI settings a run starts with, for its run_start event (the monitor labels the run
    with them): the file's literal ``svi`` dict, read without executing it, and the command's."""
    from .modelfile import SVI_DEFAULTS, read_info

    try:
        settings = dict(read_info(file).svi)
    except (OSError, TypeError, ValueError):
        settings = dict(SVI_DEFAULTS)
    settings.update(command.get("svi") or {})
    return settings


def run(command: dict, channel: Channel, commands: Commands, fd_output: dict, captures=()) -> str:
    from ..observe.recorder import observe_engines
    from .modelfile import ModelFileError, choose_engine, load_model_file

    channel.run_id = command.get("id")
    file, entry = command.get("file"), command.get("entry", "trace")
    seed, detail = command.get("seed", 0), command.get("detail", "steps")
    memory_limit = command.get("memory_limit", 0)  # bytes beyond the runner's own; 0: none
    if (entry not in ENTRIES or detail not in DETAILS or not isinstance(seed, int)
            or not isinstance(file, str) or not isinstance(memory_limit, int)):
        channel.control("refused", command="run", id=command.get("id"), reason="file must be a path, entry "
                        "trace, svi, structure or script, detail sites or steps, seed and memory_limit ints")
        return "refused"
    try:  # (the command reader cleared the requests as it read this run command)
        debugger = Debugger(commands, channel, command.get("breakpoints"), bool(command.get("start_paused")))
    except ValueError as error:
        channel.control("refused", command="run", id=command.get("id"), reason=str(error))
        return "refused"
    try:
        engine, engine_error = ENGINES[choose_engine(file, command.get("engine"))], None
    except (ModelFileError, OSError) as error:  # reported as the run's error, below
        engine, engine_error = ENGINES["minipyro"], error
    memory_limit = MemoryLimit(memory_limit)
    # A script runs at svi detail after its first step (which is seen at the run's detail).
    recorder = _run_recorder("svi" if entry == "script" else detail, channel, commands, debugger, file, memory_limit,
                             first_step=detail if entry == "script" else None)
    if entry in ("trace", "svi"):
        from ..observe.watch import NanWatch

        # Eager (every site's log-density at its end) when asked; else lazy, for every SVI run.
        eager = bool(command.get("watch") or (command.get("svi") or {}).get("site_elbo"))
        recorder.watch = NanWatch(guide_first=entry != "trace", eager=eager) if eager or entry == "svi" else None
    line_tracer = LineTracer(recorder, debugger)
    if entry == "script":  # every site while debugged, only its losses otherwise
        recorder.debug_detail = DebugDetail(recorder, debugger, commands, detail)
        debugger.on_resume = commands.on_request = recorder.debug_detail.update
        debugger.pause_kinds = PAUSE_KINDS
    stdout, stderr = sys.stdout, sys.stderr

    def emit_output(stream, text):
        recorder.emit("output", stream=stream, text=text)

    fd_output["emit"] = emit_output

    status, stopped_at = "ok", None
    # The child serves run after run: start each from the same state.
    for capture in captures:
        capture.restore()  # the last model may have closed fd 1 or 2
    engine.reset(seed)
    commands.break_in = line_tracer.break_in
    commands.running = True
    recorder.emit("run_start", file=file, entry=entry, seed=seed, status="running", engine=engine.name,
                  source_text=source_text(file) if file else None,
                  **({"svi": _announced_settings(file, command)} if entry == "svi" else {}))
    output = recorder.output = CapturedOutput(emit_output)
    streams = sys.stdout, sys.stderr = output.stream("stdout"), output.stream("stderr")
    previous = observe_engines(recorder)
    try:
        if engine_error is not None:
            raise engine_error
        with memory_limit:
            if entry == "script":
                run_script_entry(file, command.get("args") or [])
            else:
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
        commands.break_in = commands.on_request = None
        line_tracer.end()
        observe_engines(*previous)
        recorder.debugging = False
        for stream in streams:
            stream.flush()
        sys.stdout, sys.stderr = stdout, stderr
        output.close()  # what Python printed, then what C code wrote: as they come
        recorder.output = None
        for capture in captures:
            capture.restore()
            capture.drain()
        engine.clear_stack()
        commands.running = False
    if status == "stopped":
        end_other_processes_of_group()  # what the model started dies with it
    ending = {"stopped_at": stopped_at} if status == "stopped" else {}
    if entry == "script" and not recorder.pyro_seen and status != "stopped":
        ending["note"] = NO_PYRO
    recorder.emit("run_end", file=file, entry=entry, seed=seed, status=status, **ending)
    fd_output.pop("emit", None)
    channel.control("finished", status=status)
    return status
