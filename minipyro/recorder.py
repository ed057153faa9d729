"""The recorder: the observer that turns every apply_stack step into an Event.

``with minipyro.record(detail="steps") as rec:`` installs a :class:`Recorder`
as the runtime's observer. From then on every handler entry and exit, every
message and (at ``"steps"`` detail) every ``process_message``, default
behaviour and ``postprocess_message`` becomes an :class:`Event`: a frozen
record of plain data that can be shown, sent to another process, saved and
replayed. The kinds and their fields are DESIGN section 3.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import time
import traceback
from typing import Callable, Optional

import torch

from . import runtime
from .event import DETAILS, MESSAGE_FIELDS, Event, Recording
from .summary import log_prob_shape, summarize

GC_THRESHOLD_WHILE_RECORDING = 50_000


_CORE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules.get("pyroapi"), sys.modules.get("contextlib"))
    if module is not None and getattr(module, "__file__", None)
)


def user_source() -> Optional[str]:
    """``file:line`` of the innermost frame outside minipyro: the user's sample/param call."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_CORE_DIR) and not filename.startswith(_LIBRARY_DIRS):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def error_frames(error: BaseException, outer_frame=None) -> list:
    """The traceback as (file, line, function) dicts, innermost last.

    An error caught on its way up has a traceback only from the catching
    frame down; ``outer_frame`` adds the callers above it (the user's code).
    """
    outer = traceback.extract_stack(outer_frame) if outer_frame is not None else []
    return [{"file": f.filename, "line": f.lineno, "function": f.name}
            for f in outer + traceback.extract_tb(error.__traceback__)]


def _same(a, b) -> bool:
    """Unchanged for the reader: the same object, or equal plain values (a new dict with the
    same contents, as replay gives ``infer``). Values holding tensors compare by identity only."""
    if a is b:
        return True
    if type(a) is not type(b) or type(a) not in (int, float, bool, str, dict, list, tuple):
        return False
    try:
        return bool(a == b)
    except (RuntimeError, TypeError, ValueError):
        return False


class Recorder:
    """The runtime's observer: turns each step into an Event and hands it to ``sink``."""

    def __init__(self, detail: str, sink: Callable[[Event], None]):
        if detail not in DETAILS:
            raise ValueError(f"detail must be one of {DETAILS}, got {detail!r}")
        self.detail = detail
        self.steps = detail == "steps"
        self.sink = sink
        self.seq = 0
        self.start = time.perf_counter()
        self._next_handler_id = 0
        self._next_msg_id = 0
        self._msg_ids: list[int] = []  # the messages being applied, innermost last

    def emit(self, kind: str, **fields) -> Event:
        event = Event(self.seq, kind, time.perf_counter() - self.start, fields)
        self.seq += 1
        self.sink(event)
        return event

    # Handlers ----------------------------------------------------------------
    def handler_id(self, handler) -> int:
        # Kept on the handler itself (tagged with this recorder): cheaper than a weak map.
        tag = handler.__dict__.get("_recorder_id")
        if tag is None or tag[0] is not self:
            tag = handler.__dict__["_recorder_id"] = (self, self._next_handler_id)
            self._next_handler_id += 1
        return tag[1]

    def handler_enter(self, handler) -> None:
        # The handler is the top of the stack both when it enters and when it exits; its
        # label is made once, here (a plate's dim is known from now on), and kept for the exit.
        handler.__dict__["_recorder_label"] = label = handler.label()
        self.emit("handler_enter", handler_id=self.handler_id(handler), handler=type(handler).__name__,
                  label=label, depth=len(runtime.PYRO_STACK) - 1)

    def handler_exit(self, handler) -> None:
        label = handler.__dict__.get("_recorder_label") or handler.label()
        self.emit("handler_exit", handler_id=self.handler_id(handler), handler=type(handler).__name__,
                  label=label, depth=len(runtime.PYRO_STACK) - 1)

    # Messages ----------------------------------------------------------------
    def apply_stack(self, msg):
        msg_id = self._next_msg_id
        self._next_msg_id += 1
        self._msg_ids.append(msg_id)
        try:
            self.emit("msg_start", msg_id=msg_id, type=msg["type"], name=msg["name"],
                      stack=[self.handler_id(h) for h in reversed(runtime.PYRO_STACK)],
                      fields=self._fields(msg), source=user_source())
            if self.steps:
                runtime.observed_apply_stack(msg, self)
            else:
                runtime.unobserved_apply_stack(msg)
            fn = msg["fn"]
            final_fn = None
            if isinstance(fn, torch.distributions.Distribution):  # as the handlers left it (broadcast)
                final_fn = {"dist": type(fn).__name__, "batch_shape": list(fn.batch_shape),
                            "event_shape": list(fn.event_shape)}
            self.emit("msg_end", msg_id=msg_id, type=msg["type"], name=msg["name"],
                      value=summarize(msg["value"]), log_prob=self._log_prob(msg, final_fn), fn=final_fn)
            return msg
        except Exception as error:
            if not getattr(error, "_minipyro_reported", False):
                error._minipyro_reported = True
                self.error(error, msg_id=msg_id, outer_frame=sys._getframe(1))
            raise
        finally:
            self._msg_ids.pop()

    def _fields(self, msg) -> dict:
        if self.steps:
            return {key: summarize(msg.get(key)) for key in MESSAGE_FIELDS}
        # "sites" detail: only what is cheap, written out rather than summarised generically.
        fn, scale, mask = msg["fn"], msg["scale"], msg["mask"]
        return {
            "type": msg["type"],
            "name": msg["name"],
            "fn": {"dist": type(fn).__name__, "batch_shape": list(fn.batch_shape),
                   "event_shape": list(fn.event_shape)}
            if isinstance(fn, torch.distributions.Distribution) else summarize(fn),
            "is_observed": msg["is_observed"],
            "scale": scale if type(scale) is float else f"tensor of shape {list(scale.shape)}",
            "mask": mask if mask is None or type(mask) is bool else f"tensor of shape {list(mask.shape)}",
            "cond_indep_stack": [{"plate": f.name, "dim": f.dim, "size": f.size} for f in msg["cond_indep_stack"]],
            "done": msg["done"],
            "stop": msg["stop"],
        }

    @staticmethod
    def _log_prob(msg, final_fn):
        """The log-density's shape (computing the log-density itself would cost a distribution op)."""
        if msg["type"] != "sample" or final_fn is None:
            return None
        shape = log_prob_shape(msg)
        return None if shape is None else {"shape": shape}

    def snapshot(self, msg):
        infer = msg.get("infer")
        return dict(msg), (dict(infer) if isinstance(infer, dict) else None)

    def _changes(self, msg, before) -> dict:
        fields, infer = before
        changes = {}
        for key, value in msg.items():
            if key == "infer" and infer is not None and value is fields.get("infer"):
                for infer_key in set(value) | set(infer):
                    if not _same(infer.get(infer_key), value.get(infer_key)):
                        changes[f"infer.{infer_key}"] = [summarize(infer.get(infer_key)),
                                                         summarize(value.get(infer_key))]
            elif key not in fields or not _same(fields[key], value):
                changes[key] = [summarize(fields.get(key)), summarize(value)]
        return changes

    def processed(self, msg, handler, position: int, before) -> None:
        self.emit("process", msg_id=self._msg_ids[-1], handler_id=self.handler_id(handler),
                  position=position, changes=self._changes(msg, before))

    def stopped(self, msg, handler) -> None:
        self.emit("stop", msg_id=self._msg_ids[-1], handler_id=self.handler_id(handler))

    def defaulted(self, msg, before) -> None:
        fields, _ = before
        if fields["done"] or fields["value"] is not None:
            action = "observed" if fields["is_observed"] else "kept"
        else:
            action = "sampled" if msg["type"] == "sample" else "computed"
        self.emit("default", msg_id=self._msg_ids[-1], value=summarize(msg["value"]), action=action)

    def postprocessed(self, msg, handler, position: int, before) -> None:
        self.emit("postprocess", msg_id=self._msg_ids[-1], handler_id=self.handler_id(handler),
                  position=position, changes=self._changes(msg, before))

    # Inference and runs ------------------------------------------------------
    def svi_step(self, step: int, loss: float, params: dict, grad_norms: dict) -> None:
        self.emit("svi_step", step=step, loss=summarize(float(loss)),
                  params={name: summarize(value) for name, value in params.items()},
                  grad_norms={name: summarize(float(norm)) for name, norm in grad_norms.items()})

    def structure(self, which: str, fn, args: tuple = (), kwargs: Optional[dict] = None) -> Optional[Event]:
        """Trace ``fn`` once more (unobserved) and emit its relations and plate sizes."""
        from .structure import structure_fields

        previous = runtime.set_observer(None)
        try:
            # Runs of the model the user did not ask for: their prints are not theirs to read.
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                fields = structure_fields(fn, args, kwargs)
        except Exception:  # the structure is a view; a model that fails here fails visibly elsewhere
            return None
        finally:
            runtime.set_observer(previous)
        return self.emit("structure", which=which, **fields)

    def error(self, error: BaseException, msg_id: Optional[int] = None, outer_frame=None) -> None:
        fields = {"type": type(error).__name__, "message": str(error),
                  "frames": error_frames(error, outer_frame)}
        if msg_id is not None:
            fields["msg_id"] = msg_id
        self.emit("error", **fields)


class record:
    """Record every step of the code run inside it.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> with minipyro.record(detail="sites") as rec:
    ...     with minipyro.trace():
    ...         _ = minipyro.sample("x", Normal(0.0, 1.0))
    >>> [event.kind for event in rec]
    ['handler_enter', 'msg_start', 'msg_end', 'handler_exit']

    With ``path`` the events are streamed to that file (JSON Lines) instead of
    kept in memory, so another process can follow a long run.
    """

    def __init__(self, path=None, detail: str = "steps"):
        if detail not in DETAILS:
            raise ValueError(f"detail must be one of {DETAILS}, got {detail!r}")
        self.path = path
        self.detail = detail

    def __enter__(self) -> Recording:
        if self.path is None:
            self._writer = None
            recording = Recording(self.detail)
            sink = recording.events.append
        else:
            from .recording import RecordingWriter

            self._writer = RecordingWriter(self.path, self.detail)
            recording = Recording(self.detail)
            sink = self._writer.write
        recording._recorder = Recorder(self.detail, sink)
        self.recording = recording
        # A recording creates many small objects that live on. With CPython's
        # default thresholds the cyclic collector would rescan them, and all
        # of torch, several times a step (measured: more than doubling the
        # step time of a 300-site model). Collect less often while recording.
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(max(self._gc_thresholds[0], GC_THRESHOLD_WHILE_RECORDING), *self._gc_thresholds[1:])
        self._previous = runtime.set_observer(recording._recorder)
        return recording

    def __exit__(self, *exc_info):
        runtime.set_observer(self._previous)
        gc.set_threshold(*self._gc_thresholds)
        self.recording._recorder = None
        if self._writer is not None:
            self._writer.close()
        return None
