"""The runner: ``python -m minipyro.runner`` runs model files in a child process.

User code never runs in the app's process (a hung, crashing or memory-hungry
model is stopped by killing this process). The channel is this process's
pipes, one JSON object per line:

- in on stdin, commands: ``{"cmd": "run", "file": ..., "entry": "trace"|"svi", "seed": 0,
  "svi": {...}, "detail": "steps"|"sites", "breakpoints": [...], "start_paused": false}``,
  ``step``, ``step_message``, ``step_out``, ``continue``, ``pause``, ``stop``,
  ``set_breakpoints`` (``"breakpoints": [...]``), ``capture`` (record the next SVI step in
  full), ``quit``;
- out on stdout: ``{"events": [event, ...]}`` (batched, at most ~30 lines a second while
  running) and ``{"control": "ready" | "paused" | "finished" | "refused", ...}``.

While paused the process blocks inside ``apply_stack`` until the next command.
The user's own output (``print``, and writes to file descriptors 1 and 2)
becomes ``output`` events; the process's original stderr stays with the
parent for the interpreter's own last words (faulthandler) if it dies.
"""

from __future__ import annotations

import faulthandler
import json
import math
import os
import queue
import sys
import threading
import time
import traceback
from pathlib import Path

SEND_INTERVAL = 1 / 30  # seconds between event batches while running
MAX_BATCH = 2000
STOP_GRACE = 0.2  # seconds a stop waits for the run to reach an event before interrupting it


class RunStopped(BaseException):
    """Raised inside the user's code to end a run on ``stop`` (BaseException: user code's
    ``except Exception`` must not swallow it)."""


class NonFiniteLoss(Exception):
    def __init__(self, step: int, loss: float):
        self.step = step
        super().__init__(f"the loss became {loss} at step {step}; stopping")


# The channel --------------------------------------------------------------------

class Channel:
    """Our end of the protocol pipe: JSON lines out, events batched."""

    def __init__(self, fd: int):
        self._out = os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 16)
        self._lock = threading.RLock()
        self._batch: list[dict] = []
        self._last_send = 0.0
        self._closed = threading.Event()
        threading.Thread(target=self._flush_periodically, name="channel-flush", daemon=True).start()

    _encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

    def _write(self, obj: dict) -> None:
        self._out.write(self._encode(obj) + "\n")
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


# The user's output ---------------------------------------------------------------

class OutputStream:
    """``sys.stdout``/``sys.stderr`` during a run: each complete line becomes an ``output`` event."""

    def __init__(self, stream: str, emit):
        self.stream = stream
        self.emit = emit
        self._pending = ""
        self.encoding = "utf-8"

    def write(self, text) -> int:
        text = str(text)
        self._pending += text
        if "\n" in self._pending:
            complete, self._pending = self._pending.rsplit("\n", 1)
            self.emit(self.stream, complete + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self.emit(self.stream, text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self.stream == "stdout" else 2


class FdCapture:
    """Points file descriptor ``fd`` at a pipe whose text becomes output events: what C code
    (or ``os.write``) writes there. :meth:`drain` waits until all written so far is emitted."""

    MARKER = b"\x00minipyro-drain\x00"

    def __init__(self, fd: int, stream: str, emit):
        self.fd, self.stream, self.emit = fd, stream, emit
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self._drained = threading.Event()
        threading.Thread(target=self._pump, args=(read_end,), name=f"capture-{stream}", daemon=True).start()

    def _pump(self, read_end: int) -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    return
                pending += chunk
                drained = self.MARKER in pending
                text, _, rest = pending.partition(self.MARKER)
                # keep a tail that could be the start of a marker or of a UTF-8 character
                keep = 0 if drained else min(len(text), len(self.MARKER) + 3)
                text, pending = text[: len(text) - keep], text[len(text) - keep:] + rest
                if text:
                    self.emit(self.stream, text.decode("utf-8", errors="replace"))
                if drained:
                    self._drained.set()

    def drain(self, timeout: float = 1.0) -> None:
        self._drained.clear()
        os.write(self.fd, self.MARKER)
        self._drained.wait(timeout)


# Commands from the controller ----------------------------------------------------

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
            if name == "pause":
                self.pause_requested = True
            elif name == "stop":
                self.stop_requested = True
                threading.Thread(target=self._interrupt_if_stuck, daemon=True).start()
            elif name == "capture":
                self.capture_requested = True
            elif name == "set_breakpoints":
                self.breakpoints_update = command.get("breakpoints", [])
            self.queue.put(command)
        os._exit(0)  # the controller closed our stdin: it is gone, so are we

    def _interrupt_if_stuck(self) -> None:
        """A run stuck in a loop with no sample or param never reaches an event to stop at."""
        progress = self.progress
        time.sleep(STOP_GRACE)
        if self.running and self.stop_requested and self.progress == progress:
            import _thread

            _thread.interrupt_main()


# The debugger ------------------------------------------------------------------

class Debugger:
    """Decides after each event whether to pause, and waits for commands while paused."""

    def __init__(self, commands: Commands, channel: Channel, breakpoints, start_paused: bool):
        from .breakpoints import compile_breakpoints

        self.commands = commands
        self.channel = channel
        self.breakpoints = compile_breakpoints(breakpoints)
        self.mode = "step" if start_paused else "continue"
        self.target = None  # msg_id for step_message, depth for step_out
        self.handler_classes: dict[int, str] = {}
        self.messages: dict[int, dict] = {}  # msg_start of the messages in flight

    def after(self, event: dict) -> None:
        kind = event["kind"]
        if kind == "handler_enter":
            self.handler_classes[event["handler_id"]] = event["handler"]
        elif kind == "msg_start":
            self.messages[event["msg_id"]] = event
        if self.commands.breakpoints_update is not None:
            self._update_breakpoints()
        reason = self._reason(event)
        if kind == "msg_end":
            self.messages.pop(event["msg_id"], None)
        if reason is not None:
            self.pause(event, reason)

    def _update_breakpoints(self) -> None:
        from .breakpoints import BreakpointError, compile_breakpoints

        update, self.commands.breakpoints_update = self.commands.breakpoints_update, None
        try:
            self.breakpoints = compile_breakpoints(update)
        except BreakpointError as error:
            self.channel.control("refused", command="set_breakpoints", reason=str(error))

    def _reason(self, event: dict):
        kind = event["kind"]
        if self.commands.pause_requested:
            self.commands.pause_requested = False
            return "pause"
        if self.mode == "step":
            return "step"
        if self.mode == "step_message" and kind == "msg_end" and self.target in (None, event["msg_id"]):
            return "step_message"
        if self.mode == "step_out" and kind == "handler_exit" and event["depth"] == self.target:
            return "step_out"
        if self.breakpoints:
            handler_class = self.handler_classes.get(event.get("handler_id")) if kind == "process" else None
            message = self.messages.get(event.get("msg_id"))
            for breakpoint in self.breakpoints:
                if breakpoint.matches(event, handler_class, message):
                    return "breakpoint"
        return None

    def pause(self, event: dict, reason: str) -> None:
        from . import runtime

        self.commands.running = False
        self.channel.control("paused", seq=event["seq"], reason=reason)
        try:
            while True:
                command = self.commands.queue.get()
                name = command["cmd"]
                if name == "stop":
                    raise RunStopped()
                if name in ("step", "continue"):
                    self.mode, self.target = name, None
                    return
                if name == "step_message":
                    # To the end of the message in flight, or of the next one.
                    in_flight = event.get("msg_id") if event["kind"] != "msg_end" else None
                    self.mode, self.target = "step_message", in_flight
                    return
                if name == "step_out":
                    # To the exit of the innermost handler (at a handler_exit: of the next one out).
                    depth = len(runtime.PYRO_STACK) - 1
                    if event["kind"] == "handler_exit":
                        depth = event["depth"] - 1
                    self.mode, self.target = ("step_out", depth) if depth >= 0 else ("continue", None)
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


# A run ---------------------------------------------------------------------------

def _run_recorder(detail: str, channel: Channel, commands: Commands, debugger: Debugger):
    """A Recorder whose events go to the channel (from any thread, in one numbering),
    with the debugger consulted after each event the model's own thread emits."""
    from .recorder import Recorder

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

        def set_detail(self, detail: str) -> None:
            self.detail, self.steps = detail, detail == "steps"

    def send(event):
        recorder.last_dict = event.to_dict()  # the debugger reads the same dict
        channel.event(recorder.last_dict)

    recorder = RunRecorder(detail, send)
    return recorder


class SviObserver:
    """The observer between captured steps: messages pass unobserved, SVI steps are reported."""

    def __init__(self, recorder):
        from .runtime import unobserved_apply_stack

        self.recorder = recorder
        self.apply_stack = unobserved_apply_stack

    def handler_enter(self, handler):
        pass

    def handler_exit(self, handler):
        pass

    def svi_step(self, *args):
        self.recorder.svi_step(*args)

    def structure(self, *args, **kwargs):
        return None  # the run's trace has reported the structure already


def user_frames(frames: list) -> tuple[list, int]:
    """The frames outside minipyro (and Python's import machinery); how many were folded away."""
    core = str(Path(__file__).resolve().parent) + os.sep
    kept = [f for f in frames
            if not f["file"].startswith(core) and not f["file"].startswith("<frozen")]
    return kept, len(frames) - len(kept)


def _error_fields(error: BaseException) -> dict:
    frames = [{"file": f.filename, "line": f.lineno, "function": f.name}
              for f in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        frames.append({"file": error.filename, "line": error.lineno or 0, "function": "<module>"})
    fields = {"type": type(error).__name__, "message": str(error), "frames": frames}
    if isinstance(error, NonFiniteLoss):
        fields["step"] = error.step
    return fields


def _optimizer(svi_settings: dict):
    import minipyro

    name = svi_settings["optimizer"]
    optimizers = {"Adam": minipyro.Adam, "ClippedAdam": minipyro.ClippedAdam, "SGD": minipyro.SGD}
    if name not in optimizers:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(optimizers)}")
    return optimizers[name]({"lr": float(svi_settings["lr"])})


def _elbo(svi_settings: dict):
    import minipyro

    name = svi_settings["elbo"]
    elbos = {"Trace_ELBO": minipyro.Trace_ELBO, "TraceMeanField_ELBO": minipyro.TraceMeanField_ELBO,
             "JitTrace_ELBO": minipyro.JitTrace_ELBO}
    if name not in elbos:
        raise ValueError(f"unknown elbo {name!r}; choose one of {', '.join(elbos)}")
    return elbos[name]()


def _trace_entry(model_file, recorder) -> None:
    import minipyro

    for which in ("model", "guide"):
        fn = getattr(model_file, which)
        if fn is None:
            continue
        minipyro.trace(fn).get_trace(*model_file.args, **model_file.kwargs)
        recorder.structure(which, fn, model_file.args, model_file.kwargs)


def _svi_entry(model_file, settings: dict, recorder, commands: Commands, debugger: Debugger) -> None:
    import torch

    import minipyro
    from minipyro import runtime

    if model_file.guide is None:
        raise ValueError(f"{model_file.path}: SVI needs a function named 'guide'")
    # The structure and a first look at every site, without disturbing the
    # random state that the SVI steps below will use.
    with torch.random.fork_rng():
        _trace_entry(model_file, recorder)
    svi = minipyro.SVI(model_file.model, model_file.guide, _optimizer(settings), _elbo(settings))
    between_steps = SviObserver(recorder)
    detail = recorder.detail
    for step in range(1, int(settings["steps"]) + 1):
        observer = between_steps
        if commands.capture_requested:  # this step in full, for the debugger panels
            commands.capture_requested = False
            recorder.emit("output", stream="runner", text=f"capturing SVI step {step}\n")
            recorder.set_detail("steps")
            observer = recorder
        previous = runtime.set_observer(observer)
        try:
            loss = svi.step(*model_file.args, **model_file.kwargs)
        finally:
            runtime.set_observer(previous)
            recorder.set_detail(detail)
        if not math.isfinite(loss):
            if settings.get("stop_on_nonfinite", True):
                raise NonFiniteLoss(step, loss)
            recorder.emit("output", stream="stderr", text=f"the loss is {loss} at step {step}; going on\n")


def run(command: dict, channel: Channel, commands: Commands, fd_output: dict, captures=()) -> str:
    import pyro.distributions as pyro_distributions

    import minipyro
    from minipyro import runtime
    from minipyro.modelfile import backend_for, load_model_file

    from .event import DETAILS

    file, entry = command.get("file"), command.get("entry", "trace")
    seed, detail = command.get("seed", 0), command.get("detail", "steps")
    if entry not in ("trace", "svi") or detail not in DETAILS or not isinstance(seed, int):
        channel.control("refused", command="run", reason="entry must be trace or svi, detail sites or steps, "
                                                         "seed an int")
        return "refused"
    commands.stop_requested = commands.pause_requested = commands.capture_requested = False
    try:
        debugger = Debugger(commands, channel, command.get("breakpoints"), bool(command.get("start_paused")))
    except ValueError as error:
        channel.control("refused", command="run", reason=str(error))
        return "refused"
    recorder = _run_recorder(detail, channel, commands, debugger)
    stdout, stderr = sys.stdout, sys.stderr

    def emit_output(stream, text):
        recorder.emit("output", stream=stream, text=text)

    fd_output["emit"] = emit_output

    status = "ok"
    # The child serves run after run: start each from the same state.
    minipyro.get_param_store().clear()
    pyro_distributions.enable_validation(True)
    minipyro.set_rng_seed(seed)
    commands.running = True
    recorder.emit("run_start", file=file, entry=entry, seed=seed, status="running")
    sys.stdout, sys.stderr = OutputStream("stdout", emit_output), OutputStream("stderr", emit_output)
    previous = runtime.set_observer(recorder)
    try:
        with backend_for(Path(file)):
            minipyro.set_rng_seed(seed)  # pyroapi's backend seeds with its own default
            model_file = load_model_file(file)
            settings = dict(model_file.svi)
            settings.update(command.get("svi") or {})
            if entry == "trace":
                _trace_entry(model_file, recorder)
            else:
                _svi_entry(model_file, settings, recorder, commands, debugger)
    except (RunStopped, KeyboardInterrupt):
        status = "stopped"
    except BaseException as error:  # the user's code: anything it raises is reported, not fatal
        status = "error"
        if not getattr(error, "_minipyro_reported", False):  # errors inside a site already are
            try:
                recorder.emit("error", **_error_fields(error))
            except RunStopped:
                status = "stopped"
    finally:
        runtime.set_observer(previous)
        recorder.debugging = False
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = stdout, stderr
        for capture in captures:
            capture.drain()
        del runtime.PYRO_STACK[:]
        commands.running = False
    recorder.emit("run_end", file=file, entry=entry, seed=seed, status=status)
    fd_output.pop("emit", None)
    channel.control("finished", status=status)
    return status


def main() -> None:
    # Our stdout is the protocol channel: keep it for ourselves, and send the
    # file descriptors the user's code (and C libraries) write to elsewhere.
    channel_fd = os.dup(1)
    parent_stderr = os.fdopen(os.dup(2), "w")
    faulthandler.enable(file=parent_stderr)  # a crash's Python traceback reaches the parent
    channel = Channel(channel_fd)
    commands = Commands(sys.stdin)
    fd_output: dict = {}  # "emit": where a run sends what C code writes to fds 1 and 2

    def emit_fd_output(stream, text):
        emit = fd_output.get("emit")
        if emit is not None:
            emit(stream, text)

    captures = [FdCapture(1, "stdout", emit_fd_output), FdCapture(2, "stderr", emit_fd_output)]
    channel.control("ready", pid=os.getpid())
    while True:
        command = commands.queue.get()
        name = command["cmd"]
        if name == "quit":
            channel.flush()
            os._exit(0)
        if name == "run":
            run(command, channel, commands, fd_output, captures)
        elif name not in ("stop", "pause", "set_breakpoints", "capture"):
            channel.control("refused", command=name, reason="no run is active")


if __name__ == "__main__":
    main()
