"""A training script, run as ``python SCRIPT.py ARGS`` would run it, recorded (DESIGN section 5).

The script runs in this process, as ``memray run`` and ``viztracer`` run theirs: as
``__main__``, with its ``sys.argv`` and its folder first on ``sys.path`` (``-m MODULE`` through
``runpy``, as ``python -m`` does); its output goes where it would go (and is recorded as
``output`` events on the way); its exit status is its own.

Nothing of Pyro is imported for it: the recorder starts hearing of Pyro (and minipyro) when the
script imports them (:class:`ImportWatch`), so a script that sets up its environment before
``import torch`` finds it as it would, and a process that never calls Pyro costs nothing.

Python processes the script starts record too, as coverage.py follows subprocesses: the
environment variable :data:`ENV_VAR` says where and how, and a ``sitecustomize`` first on their
``PYTHONPATH`` (see :mod:`.startup`) calls :func:`record_this_process` as each starts. Each
process writes its own file (:func:`process_path`), created at its first Pyro event: a worker
that never calls Pyro leaves none. A forked child (``torch.multiprocessing``) gets its own too.
"""

from __future__ import annotations

import atexit
import builtins
import gc
import importlib.abc
import importlib.machinery
import io
import json
import os
import runpy
import sys
import threading
import time
import types
from pathlib import Path
from typing import Callable, Optional

from ..observe.frames import PACKAGE_DIR, error_frames
from ..observe.recording import SUFFIX, RecordingWriter
from .capture import BytesAsText

ENV_VAR = "MINIPYRO_STUDIO_RECORD"
NO_PYRO = "no Pyro calls were seen"
# Pyro was imported and used, but at svi detail only SVI steps and ELBO evaluations are recorded.
NO_SVI = "no SVI step or ELBO evaluation was seen (svi detail records only those; --detail sites records every site)"
MAX_RECORDED_OUTPUT = 16 * 1024 * 1024  # characters of output kept in a recording, per process
MAX_SOURCE_CHARACTERS = 1024 * 1024
OWN_KINDS = frozenset({"run_start", "run_end", "output", "error"})  # the rest come from Pyro calls
WATCHED = ("pyro", "minipyro")


def stem_of(out) -> str:
    """``runs/fit.mpr.jsonl`` -> ``runs/fit``: the name other processes' files are made from."""
    text = str(out)
    return text[: -len(SUFFIX)] if text.endswith(SUFFIX) else str(Path(text).with_suffix(""))


def process_rank(fallback: Optional[str] = None) -> str:
    """This process's name among a job's: its rank where the launcher set one, else
    ``fallback``, else its pid."""
    rank = os.environ.get("RANK") or os.environ.get("LOCAL_RANK")
    return f"rank{rank}" if rank else (fallback or f"pid{os.getpid()}")


def process_path(out) -> Path:
    """This (started) process's file beside ``out``: ``STEM.rank1.mpr.jsonl``, or
    ``STEM.pid12345.mpr.jsonl`` (also when the rank's name is taken, by a worker that kept it)."""
    stem = stem_of(out)
    path = Path(f"{stem}.{process_rank()}{SUFFIX}")
    return path if not path.exists() else Path(f"{stem}.{process_rank()}.pid{os.getpid()}{SUFFIX}")


class ProcessRecording:
    """One process's recording of a script: its own events (start, output, errors, end) and,
    once Pyro is imported, the recorder's."""

    def __init__(self, out, detail: str, first_step: Optional[str], run_fields: dict,
                 choose_path: Optional[Callable[[], Path]] = None):
        """``out``: the file of the process the user started; ``choose_path``: where this
        process's file goes, made at the first Pyro event (by default ``out``, made at once)."""
        self.out, self.detail, self.first_step, self.run_fields = out, detail, first_step, run_fields
        self.pid = os.getpid()
        self.start = time.perf_counter()
        self.seq = 0
        self.recorder = None
        self.writer: Optional[RecordingWriter] = None
        self.path = None
        self.pyro_seen = False
        self.counts: dict = {}  # kind -> events written
        self.finished = False
        self.uncaught = False  # an exception ended the process (a started process's excepthook saw it)
        self.unwritable = False  # its file could not be made
        self._choose_path = choose_path or (lambda: Path(out))
        self._pending: list = []  # events before the file exists
        self._output_left = MAX_RECORDED_OUTPUT
        self._lock = threading.RLock()  # output may come from any thread
        self._previous = None  # the observers the recorder replaced
        self._gc_thresholds = None  # the collector's, while recording changes them
        self.emit("run_start", status="running", **{"file": None, "entry": "script", "seed": None, **run_fields})
        if choose_path is None:
            self._open()

    def emit(self, kind: str, **fields) -> None:
        with self._lock:
            if self.recorder is not None:
                self.recorder.emit(kind, **fields)
                return
            event = {"seq": self.seq, "kind": kind, "t": time.perf_counter() - self.start, **fields}
            self.seq += 1
            self._write(event)

    def _write(self, event: dict) -> None:
        kind = event["kind"]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind not in OWN_KINDS:
            self.pyro_seen = True
        if self.writer is None:
            if not self.pyro_seen:
                self._pending.append(event)
            if not self.pyro_seen or self.unwritable:
                return
            try:
                self._open()
            except OSError as error:  # the script goes on as it would: only its recording is lost
                self.unwritable = True
                sys.__stderr__.write(f"minipyro-studio: cannot record this process ({os.getpid()}): {error}\n")
                return
        self.writer.write_dict(event)

    def _open(self) -> None:
        self.path = self._choose_path()
        self.writer = RecordingWriter(self.path, self.detail)
        for event in self._pending:
            self.writer.write_dict(event)
        self._pending = []

    def observe(self) -> None:
        """Pyro (or minipyro) is imported: from now on the recorder hears of it."""
        from ..observe.recorder import GC_THRESHOLD_WHILE_RECORDING, Recorder, observe_engines

        with self._lock:
            if self.recorder is not None or self.finished:
                return
            recorder = Recorder(self.detail, lambda event: self._write(event.to_dict()), first_step=self.first_step)
            recorder.seq, recorder.start = self.seq, self.start
            emit = recorder.emit

            def locked_emit(kind, **fields):
                with self._lock:
                    return emit(kind, **fields)

            recorder.emit = locked_emit
            self.recorder = recorder
            if self.detail != "svi":  # as record() does: many small objects live on (see there)
                self._gc_thresholds = gc.get_threshold()
                gc.set_threshold(max(self._gc_thresholds[0], GC_THRESHOLD_WHILE_RECORDING), *self._gc_thresholds[1:])
            self._previous = observe_engines(recorder)

    def output(self, stream: str, text: str) -> None:
        """The script wrote ``text``: recorded, up to :data:`MAX_RECORDED_OUTPUT` characters."""
        if self._output_left <= 0 or self.finished:
            return
        self._output_left -= len(text)
        self.emit("output", stream=stream, text=text)
        if self._output_left <= 0:
            self.emit("output", stream="runner", text=f"(output beyond {MAX_RECORDED_OUTPUT} characters is not "
                                                      "recorded; the terminal got all of it)\n")

    def error(self, error: BaseException) -> None:
        if self.recorder is not None:
            self.recorder.error(error)
        else:
            self.emit("error", type=type(error).__name__, message=str(error), frames=error_frames(error))

    def only_inference_heard(self) -> bool:
        """Pyro was imported, and the detail (``svi``, from the start) hears only SVI steps and
        ELBO evaluations: an MCMC or importance run uses Pyro unheard."""
        return self.recorder is not None and self.detail == "svi" and not self.first_step

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def finish(self, status: str, exit_code: Optional[int] = None) -> None:
        """The run ended: put the observers back, write ``run_end`` and close the file."""
        with self._lock:
            if self.finished or os.getpid() != self.pid:  # a forked child's inherited copy
                return
            if self._previous is not None:
                from ..observe.recorder import observe_engines

                observe_engines(*self._previous)
            if self._gc_thresholds is not None:
                gc.set_threshold(*self._gc_thresholds)
            ending = {"status": status, **({} if exit_code is None else {"exit_code": exit_code})}
            if not self.pyro_seen:
                ending["note"] = NO_SVI if self.only_inference_heard() else NO_PYRO
            self.emit("run_end", **{key: self.run_fields.get(key) for key in ("file", "entry", "seed")}, **ending)
            self.finished = True
            if self.writer is not None:
                self.writer.close()


class _NotifyingLoader(importlib.abc.Loader):
    """A watched module's loader, telling the watch when the module has been executed."""

    def __init__(self, loader, watch: "ImportWatch"):
        self._loader, self._watch = loader, watch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._watch.depth += 1
        try:
            self._loader.exec_module(module)
        finally:
            self._watch.depth -= 1
        if self._watch.depth == 0:
            self._watch.imported()

    def __getattr__(self, name):  # get_source, get_resource_reader, ...: the real loader's
        return getattr(self._loader, name)


class ImportWatch(importlib.abc.MetaPathFinder):
    """Calls ``on_import`` once ``pyro`` or ``minipyro`` (or a submodule) has been imported,
    after the outermost such import is complete (minipyro's modules import Pyro's halfway)."""

    def __init__(self, on_import: Callable[[], None]):
        self.on_import = on_import
        self.depth = 0
        self._finding = False

    def install(self) -> None:
        if any(name in sys.modules for name in ("pyro", "minipyro.runtime")):
            self.on_import()
        elif not any(isinstance(finder, ImportWatch) for finder in sys.meta_path):
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname, path, target=None):
        if self._finding or fullname.partition(".")[0] not in WATCHED:
            return None
        self._finding = True
        try:
            spec = next((found for finder in sys.meta_path if finder is not self and hasattr(finder, "find_spec")
                         for found in [finder.find_spec(fullname, path, target)] if found is not None), None)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _NotifyingLoader(spec.loader, self)
        return spec

    def imported(self) -> None:
        if "pyro" not in sys.modules and "minipyro.runtime" not in sys.modules:
            return  # minipyro's package alone (its names load on first use)
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        self.on_import()


class RecordedStream:
    """``sys.stdout``/``sys.stderr`` as the script sees them: every write goes to the real stream,
    unchanged, and is recorded as ``output`` events, a line or more each (``print`` writes each
    argument and separator apart)."""

    def __init__(self, stream, name: str, recording: ProcessRecording):
        self._stream, self._name, self._recording = stream, name, recording
        self._line: list = []  # text written since the last newline
        self._buffer: Optional[BytesAsText] = None

    def write(self, text):
        written = self._stream.write(text)
        if isinstance(text, str) and text:
            self._record(text)
        return written

    def _record(self, text: str) -> None:
        end = text.rfind("\n")
        if end < 0:
            self._line.append(text)
        else:
            self._line.append(text[: end + 1])
            self.record_line()
            if end + 1 < len(text):
                self._line.append(text[end + 1:])

    @property
    def buffer(self) -> BytesAsText:
        """The real stream's ``buffer``: bytes reach it unchanged, and are recorded as text."""
        if self._buffer is None:
            self._buffer = BytesAsText(self._record, raw=self._stream.buffer)
        return self._buffer

    def record_line(self) -> None:
        if self._line:
            text, self._line = "".join(self._line), []
            self._recording.output(self._name, text)

    def flush(self) -> None:
        self._stream.flush()
        self.record_line()

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


_session: Optional[ProcessRecording] = None  # this process's recording


def start_recording(recording: ProcessRecording) -> None:
    """Make ``recording`` this process's: it hears of Pyro from its import on, records the
    output, and hands over to a new recording in a forked child (``torch.multiprocessing``)."""
    global _session
    first = _session is None
    _session = recording
    ImportWatch(lambda: _session.observe()).install()
    sys.stdout = RecordedStream(sys.stdout, "stdout", recording)
    sys.stderr = RecordedStream(sys.stderr, "stderr", recording)
    if first:
        os.register_at_fork(before=lambda: _session is not None and _session.flush(),
                            after_in_child=_forked)


def stop_recording() -> None:
    global _session
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, RecordedStream) and stream._recording is _session:
            stream.record_line()
            setattr(sys, name, stream._stream)
    _session = None


def _unwrapped(stream):
    while isinstance(stream, RecordedStream):
        stream = stream._stream
    return stream


def _forked() -> None:
    """In a forked child: the parent's file stays the parent's; this process gets its own."""
    parent = _session
    if parent is None or parent.finished:
        return
    sys.stdout, sys.stderr = _unwrapped(sys.stdout), _unwrapped(sys.stderr)
    child = ProcessRecording(parent.out, parent.detail, parent.first_step, child_run_fields(parent.run_fields),
                             choose_path=lambda: process_path(parent.out))
    if parent.recorder is not None:
        child.observe()
    start_recording(child)
    finish_at_exit(child)


def finish_at_exit(recording: ProcessRecording) -> None:
    """End ``recording`` when the process ends: at exit, or, in a multiprocessing child (which
    ends by ``os._exit``), with multiprocessing's own finalizers."""
    def finish():
        recording.finish("error" if recording.uncaught else "ok")

    atexit.register(finish)
    util = sys.modules.get("multiprocessing.util")
    if util is not None:  # its finalizers are cleared as the child starts, then after-fork hooks run
        util.register_after_fork(recording, lambda _: util.Finalize(recording, finish, exitpriority=0))


def child_run_fields(fields: dict) -> dict:
    return {**fields, "rank": process_rank(), "pid": os.getpid(), "argv": list(sys.argv)}


def source_text(path) -> Optional[str]:
    """The script's text, for a recording that opens with its source anywhere (None if unreadable)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_SOURCE_CHARACTERS + 1)
    except (OSError, TypeError):
        return None
    return text if len(text) <= MAX_SOURCE_CHARACTERS else None


def child_environment(out, detail: str, first_step: Optional[str], hook_folder, environ=os.environ) -> dict:
    """The environment for the processes a recorded script starts: they record beside ``out``."""
    settings = {"out": str(Path(out).resolve()), "detail": detail, "first_step": first_step}
    paths = [str(hook_folder), *[p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {ENV_VAR: json.dumps(settings), "PYTHONPATH": os.pathsep.join(paths)}


def record_this_process() -> None:
    """Called at interpreter start-up in a process a recorded script started (see ``startup``)."""
    settings = json.loads(os.environ[ENV_VAR])
    out = settings["out"]
    file = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-m") else None
    fields = child_run_fields({"file": file, "entry": "script", "seed": None, "engine": None,
                               "source_text": source_text(file) if file else None})
    recording = ProcessRecording(out, settings["detail"], settings.get("first_step"), fields,
                                 choose_path=lambda: process_path(out))
    start_recording(recording)
    excepthook = sys.excepthook

    def recording_excepthook(kind, error, tb):
        recording.error(error)
        recording.uncaught = True
        excepthook(kind, error, tb)

    sys.excepthook = recording_excepthook
    finish_at_exit(recording)


class ScriptError(Exception):
    """The script cannot be run (missing, not Python, no such module): the message says why."""


def resolve_script(path: str) -> Path:
    """``path`` as a script Python can run, or a :class:`ScriptError` saying why not."""
    script = Path(path)
    if not script.exists():
        raise ScriptError(f"can't open file {str(script.resolve())!r}: no such file")
    if script.is_dir():
        if (script / "__main__.py").is_file():
            return script / "__main__.py"
        raise ScriptError(f"{path} is a folder without a __main__.py, not a script")
    try:
        source = script.read_bytes()
        compile(source, str(script), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        if script.suffix not in (".py", ".pyw"):
            reason = error.msg if isinstance(error, SyntaxError) else str(error)
            raise ScriptError(f"{path} is not a Python script ({reason})") from None
    except OSError as error:
        raise ScriptError(f"can't open file {path!r}: {error.strerror}") from None
    return script


def trimmed_traceback(tb):
    """The traceback without the Studio's frames above the script's, as Python prints it."""
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
        start = start.tb_next
    return start or tb


def run_script(script: Optional[Path], module: Optional[str], args: list, recording: ProcessRecording,
               before_run: Callable[[], None] = lambda: None) -> tuple[str, int]:
    """Run the script (or ``python -m module``) in this process as Python would; return the
    run's status (``ok``, ``error``, ``stopped``) and its exit code (130 when interrupted)."""
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    try:
        if script is not None:
            sys.argv = [str(script), *args]
            sys.path[0] = os.path.dirname(os.path.realpath(script))
        else:
            sys.argv = [module, *args]  # runpy puts the module's file here, as python -m does
            sys.path[0] = os.getcwd()
        start_recording(recording)
        try:
            before_run()
            if script is not None:
                run_as_main(os.path.abspath(script))
            else:
                runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as stop:
            return _exit_status(stop)
        except KeyboardInterrupt as interrupt:
            _print_uncaught(interrupt)
            return "stopped", 130
        except BaseException as error:
            recording.error(error)
            _print_uncaught(error)
            return "error", 1
        return "ok", 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        stop_recording()
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0


def run_as_main(path: str) -> None:
    """Run the file as ``__main__``, as ``python path`` does (``runpy.run_path`` would put the
    absolute path in ``sys.argv[0]``; Python leaves it as typed, and makes ``__file__`` absolute)."""
    with io.open_code(path) as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __builtins__=builtins,
                         __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


def _exit_status(stop: SystemExit) -> tuple[str, int]:
    """What ``sys.exit(code)`` makes of the process, as Python's own exit does."""
    code = stop.code
    if code is None:
        return "ok", 0
    if isinstance(code, int):
        return ("ok" if code == 0 else "error"), code
    print(code, file=sys.stderr)  # sys.exit("message"): printed, status 1
    return "error", 1


def _print_uncaught(error: BaseException) -> None:
    """Python's own last words for an uncaught exception (through ``sys.excepthook``, which
    the script may have set), without the Studio's frames above the script's."""
    error.__traceback__ = trimmed_traceback(error.__traceback__)
    sys.excepthook(type(error), error, error.__traceback__)
