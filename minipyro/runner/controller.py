"""The controller: starts ``python -m minipyro.runner``, sends it commands and hands its events on.

Qt-free, so the command line and the tests use it as the app does (the app
wraps it and moves the callbacks onto its own thread). Importing this module
does not import torch: the app's process never needs it. For example::

    controller = RunnerController(on_event=print)
    controller.run("model.py", entry="trace", start_paused=True)
    controller.wait_until("paused")
    controller.step()
    controller.stop()
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import orjson

from ..observe.frames import PACKAGE_DIR, is_user_code, user_frames

PACKAGE_PARENT = str(Path(PACKAGE_DIR).parent)  # on the child's path, so that it imports this minipyro
RUNNER_MAIN = os.path.join(PACKAGE_DIR, "runner", "__main__.py")  # the outermost frame of the model's thread
STOP_TIMEOUT = 1.0  # seconds from stop to a dead child, whatever the model is doing
LAST_WORDS_WAIT = 0.2  # seconds a dead child's stderr may take to arrive in full
_FAULT_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')


def _fault_frames(dump: str) -> list:
    """One thread's frames from faulthandler's dump of it, outermost first."""
    frames = [{"file": m["file"], "line": int(m["line"]), "function": m["function"]}
              for m in _FAULT_FRAME.finditer(dump)]
    frames.reverse()  # faulthandler lists the innermost frame first
    return frames


def physical_memory() -> int:
    """The machine's memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


DEFAULT_MEMORY_LIMIT = physical_memory() // 2
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"1G"``, ``"512M"``, ``"1.5g"``, ``"2048"`` (bytes) -> bytes; ValueError for anything else."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 512M, 1G, 2.5G)")
    return int(float(match[1]) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[match[2].upper()])


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the child's process group (the child leads it: start_new_session)."""
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is empty: nothing left to end


class ControllerError(RuntimeError):
    """The child could not be started, or a command was refused."""


class RunnerController:
    """One child process running model files; states: ``idle`` (no run), ``running``,
    ``paused``, ``finished`` (after a run), ``dead`` (no child)."""

    def __init__(self, on_event: Optional[Callable[[dict], None]] = None,
                 on_control: Optional[Callable[[dict], None]] = None, python: str = sys.executable,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT):
        self.on_event = on_event
        self.on_control = on_control
        self.python = python
        self.memory_limit = memory_limit  # bytes each run may take beyond the runner's own; 0: no limit
        self.process: Optional[subprocess.Popen] = None
        self.state = "dead"
        self._ready = False  # the child said "ready"
        self.status: Optional[str] = None  # the last run's status: ok, error, stopped, crashed
        self.events: list[dict] = []  # the current run's events
        self.paused_seq: Optional[int] = None
        # Why: "pause", "breakpoint" (then which: its id, or its index), or the step command.
        self.paused_reason: Optional[str] = None
        self.paused_breakpoint: Optional[int] = None
        self._changed = threading.Condition()
        self._stderr: list[str] = []
        self._stderr_reader: Optional[threading.Thread] = None
        self._write_lock = threading.Lock()
        self._stop_requested = False  # by the user: a child killed because of it did not crash
        self._command_ids = itertools.count(1)
        self._run_id: Optional[int] = None  # the id of the current run command: lines of others are ignored
        self.runner_traceback: Optional[str] = None  # the runner's own failure, if it had one

    # The child -------------------------------------------------------------------
    def start(self, timeout: float = 60.0, wait: bool = True) -> None:
        """Start the child and wait until it is ready (``wait``); a run does not wait: its
        command waits in the child's stdin, so that no app freezes while the child starts."""
        if self.process is not None and self.process.poll() is None:
            return
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
        env["PYTHONIOENCODING"] = "utf-8"
        self._stderr = []
        self._ready = False  # until the child says so: a death before it is the runner's, not the model's
        self.process = subprocess.Popen(
            [self.python, "-u", "-m", "minipyro.runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, text=True, encoding="utf-8", errors="replace",
            start_new_session=True,  # Ctrl+C in a terminal reaches us, not the child; Stop ends its group
        )
        self._set_state("starting")
        process = self.process
        threading.Thread(target=self._read_stdout, args=(process,), name="runner-stdout", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, args=(process,), name="runner-stderr",
                                               daemon=True)
        self._stderr_reader.start()
        if not wait:
            return
        if not self.wait_until("idle", "dead", timeout=timeout):
            self.kill()
            raise ControllerError(f"the runner did not start within {timeout} s")
        if self.state == "dead":
            raise ControllerError("the runner exited at start:\n" + "".join(self._stderr))

    def _read_stdout(self, process) -> None:
        for line in process.stdout:
            try:
                # orjson: a 15 MB print is parsed in milliseconds, not a tenth of a second spent
                # holding the interpreter lock while the app waits to draw.
                message = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # not ours: the protocol fd is private, so this does not happen
            if not isinstance(message, dict):
                continue
            control = message.get("control")
            if control not in ("ready", "failed") and message.get("run") != self._run_id:
                continue  # of another run (or forged): it cannot move this run's state
            if isinstance(message.get("events"), list):
                for event in message["events"]:
                    self._event(event)
            elif isinstance(control, str):
                self._control(message)
        process.wait()
        if process is self.process:
            self._child_died(process)

    def _read_stderr(self, process) -> None:
        for line in process.stderr:
            self._stderr.append(line)
            del self._stderr[:-200]

    def _event(self, event: dict) -> None:
        with self._changed:
            if event["kind"] == "run_start":
                self.events = []
            self.events.append(event)
            self._changed.notify_all()
        if self.on_event is not None:
            self.on_event(event)

    def _control(self, message: dict) -> None:
        name = message["control"]
        with self._changed:
            if name == "ready":
                self._ready = True
                if self.state == "starting":  # not a run sent before it was ready
                    self.state = "idle"
            elif name == "paused":
                self.state, self.paused_seq = "paused", message.get("seq")
                self.paused_reason, self.paused_breakpoint = message.get("reason"), message.get("breakpoint")
            elif name == "finished":
                self.state, self.status = "finished", message.get("status")
            elif name == "refused" and message.get("command") == "run":  # it never started
                self.state = "idle"
            self._changed.notify_all()
        if name == "failed":
            self._report_runner_failure(str(message.get("traceback")))
        if self.on_control is not None:
            self.on_control(message)

    def _report_runner_failure(self, traceback_text: str) -> None:
        """The runner broke (not the model): its traceback, as the run's error."""
        self.runner_traceback = traceback_text
        with self._changed:
            was_running = self.state in ("running", "paused")
        if was_running:
            self._event({"seq": self._next_seq(), "kind": "error", "t": self._last_t(), "type": "RunnerError",
                         "message": "MiniPyro Studio's runner failed (not your model; please report this):\n"
                                    + traceback_text.rstrip(), "frames": []})
            self._end_run("crashed")

    def _child_died(self, process) -> None:
        """The child exited: if a run was under way, report how it ended, as events. A child
        already replaced (stopped, and a new run started) changes nothing; one that was not
        running is dead at once, in the same step, so that a run sent meanwhile sees it."""
        with self._changed:
            if process is not self.process:
                return
            if self.state not in ("running", "paused"):
                self.state = "dead"
                self._changed.notify_all()
                return
        self._stderr_reader.join(LAST_WORDS_WAIT)  # faulthandler's traceback, in full
        if self._stop_requested:  # it did not stop in time, and was killed: as the user asked
            self._report_killed_on_stop()
        elif not self._ready:
            self._report_start_failure(process.returncode)
        else:
            self._report_crash(process.returncode)
        with self._changed:
            if process is self.process:  # (a run started after the finished above has a child of its own)
                self.state = "dead"
                self._changed.notify_all()

    def _report_start_failure(self, returncode) -> None:
        """The child died before it was ready: Python, torch or Pyro could not start, not the model."""
        last_words = "".join(self._stderr).strip().splitlines()[-20:]
        self._event({"seq": self._next_seq(), "kind": "error", "t": self._last_t(), "type": "RunnerError",
                     "message": f"MiniPyro Studio's runner could not start (exit status {returncode}; not your "
                                "model):\n" + "\n".join(last_words), "frames": []})
        self._end_run("crashed")

    def _report_crash(self, returncode) -> None:
        if returncode is not None and returncode < 0:
            try:
                how = f"was killed by {signal.Signals(-returncode).name}"
            except ValueError:
                how = f"was killed by signal {-returncode}"
        else:
            how = f"exited with status {returncode}"
        last_words = "".join(self._stderr).strip()
        # faulthandler prints every thread; the one that crashed is "Current thread".
        headline = last_words.splitlines()[0] if last_words else ""
        current = last_words.split("Current thread", 1)[1].split("\n\n", 1)[0] if "Current thread" in last_words else ""
        frames, _ = user_frames(_fault_frames(current))
        message = f"the model's process {how}" + (f" ({headline})" if headline else "")
        self._event({"seq": self._next_seq(), "kind": "error", "t": self._last_t(), "type": "ProcessDied",
                     "message": message, "frames": frames})
        self._end_run("crashed")

    def _report_killed_on_stop(self) -> None:
        """The run was stopped by the user, where faulthandler's traceback of the model's thread
        (printed on SIGTERM) shows the user's code was: stuck in C code, say."""
        threads = "".join(self._stderr).split("\n\n")
        model_thread = next((_fault_frames(dump) for dump in threads if RUNNER_MAIN in dump), [])
        user_lines = [f"{f['file']}:{f['line']}" for f in model_thread if is_user_code(f["file"])]
        self._end_run("stopped", stopped_at=user_lines[-1] if user_lines else None)

    def _next_seq(self) -> int:
        return self.events[-1]["seq"] + 1 if self.events else 0

    def _last_t(self) -> float:
        return self.events[-1]["t"] if self.events else 0.0

    def _end_run(self, status: str, **fields) -> None:
        """The run_end event and finished control the child could not send."""
        run = next((e for e in self.events if e["kind"] == "run_start"), {})
        self._event({"seq": self._next_seq(), "kind": "run_end", "t": self._last_t(), "file": run.get("file"),
                     "entry": run.get("entry"), "seed": run.get("seed"), "status": status, **fields})
        with self._changed:
            self.status = status
        self._control({"control": "finished", "status": status})

    def _set_state(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def wait_until(self, *states: str, timeout: float = 30.0) -> bool:
        """Block until the state is one of ``states``; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.state in states, timeout)

    def wait_for_event(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> Optional[dict]:
        """Block until an event of the current run satisfies ``predicate``; return it."""
        with self._changed:
            found = []

            def check():
                found[:] = [e for e in self.events if predicate(e)][:1]
                return bool(found)

            self._changed.wait_for(check, timeout)
            return found[0] if found else None

    # Commands --------------------------------------------------------------------
    def _send(self, command: dict, command_id: Optional[int] = None) -> int:
        """Send ``command`` with ``command_id`` (by default a fresh one); return the id."""
        process = self.process
        if process is None or process.poll() is not None:
            raise ControllerError("the runner is not running")
        command = {"id": command_id or next(self._command_ids), **command}
        with self._write_lock:
            try:
                process.stdin.write(json.dumps(command) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                raise ControllerError("the runner is gone") from error
        return command["id"]

    def run(self, file, entry: str = "trace", seed: int = 0, svi: Optional[dict] = None,
            detail: str = "steps", breakpoints: Optional[list] = None, start_paused: bool = False,
            engine: Optional[str] = None, args: Optional[list] = None, watch: bool = False) -> None:
        """Start a run (starting the child first if needed). Events arrive at ``on_event``.
        ``engine``: "minipyro" or "pyro"; by default the file's own imports choose. ``args``:
        a script's arguments (entry ``script``). ``watch``: the NaN watch (observe/watch.py) on,
        and every SVI step observed."""
        if self.state in ("running", "paused"):
            raise ControllerError("a run is under way; stop it first")
        self.start(wait=False)
        with self._changed:
            died_starting = self.state == "dead"
            self.events, self.status, self.paused_seq = [], None, None
            self.state = "running"
            self._stop_requested = False
            self._run_id = next(self._command_ids)  # the id the run command is sent with
        if died_starting:  # gone before the run began, so its reader reported nothing
            self._stderr_reader.join(LAST_WORDS_WAIT)
            self._report_start_failure(self.process.returncode)
            self._set_state("dead")
            return
        try:
            self._send({"cmd": "run", "file": str(Path(file).resolve()), "entry": entry, "seed": seed,
                        "svi": svi or {}, "detail": detail, "breakpoints": breakpoints or [],
                        "start_paused": start_paused, "engine": engine, "memory_limit": int(self.memory_limit),
                        "args": list(args or []), "watch": bool(watch)},
                       self._run_id)
        except ControllerError:
            pass  # its stdin is gone, so the child is: its reader reports how, with its last words

    def _resume(self, name: str) -> None:
        with self._changed:
            if self.state != "paused":
                raise ControllerError(f"{name}: the run is not paused")
            self.state = "running"
        self._send({"cmd": name})

    def step(self) -> None:
        """Run to the next event."""
        self._resume("step")

    def step_message(self) -> None:
        """Run to the end of the current message (``msg_end``)."""
        self._resume("step_message")

    def step_out(self) -> None:
        """Run to the exit of the innermost handler."""
        self._resume("step_out")

    def continue_(self) -> None:
        """Run to the next breakpoint or the end."""
        self._resume("continue")

    def pause(self) -> None:
        self._send({"cmd": "pause"})

    def capture(self) -> None:
        """Record the next SVI step at full detail."""
        self._send({"cmd": "capture"})

    def set_breakpoints(self, breakpoints: list) -> None:
        self._send({"cmd": "set_breakpoints", "breakpoints": breakpoints})

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """End the run within ``timeout`` seconds: ask, then terminate, then kill the child."""
        if self.state not in ("running", "paused"):
            return
        self._stop_requested = True
        deadline = time.monotonic() + timeout
        try:
            self._send({"cmd": "stop"})
        except ControllerError:
            pass
        if self.wait_until("finished", "dead", timeout=timeout * 0.5):
            return
        process = self.process
        if process is not None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(max(0.05, (deadline - time.monotonic()) * 0.5))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            _signal_group(process, signal.SIGKILL)  # what the model started, if the runner went first
        self.wait_until("dead", "finished", timeout=max(0.05, deadline - time.monotonic()))

    def kill(self) -> None:
        """End the child and every process of its group at once."""
        process = self.process
        if process is not None:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        """Stop any run and end the child."""
        self.stop()
        process = self.process
        if process is not None and process.poll() is None:
            try:
                self._send({"cmd": "quit"})
                process.wait(1.0)
            except (ControllerError, subprocess.TimeoutExpired):
                pass
        if process is not None:
            self.kill()  # the child if it is still there, and whatever the model left in its group
        self.process = None
