"""The recorder: the observer that turns every apply_stack step into an Event.

``with minipyro.record(detail="steps") as rec:`` installs a :class:`Recorder`
as the runtime's observer. From then on every handler entry and exit, every
message and (at ``"steps"`` detail) every ``process_message``, default
behaviour and ``postprocess_message`` becomes an :class:`Event`: a frozen
record of plain data that can be shown, sent to another process, saved and
replayed. The kinds and their fields are DESIGN section 3.
"""

from __future__ import annotations

import gc
import sys
import time
import types
from typing import Callable, Optional

import torch

from .. import runtime
from ..structure import structure_fields
from . import losses
from .event import DETAILS, MESSAGE_FIELDS, Event
from .frames import error_frames, innermost_user_frame, source_of, user_source, user_stack
from .pyro_mode import pyro_label
from .recording import Recording, RecordingWriter
from .summary import (distribution_shapes, log_prob_shape, plain_float, summarize, summarize_locals,
                      summarize_param)

GC_THRESHOLD_WHILE_RECORDING = 50_000
_new_event = tuple.__new__
_FUNCTIONS = (types.FunctionType, types.MethodType)


def handler_label(handler) -> str:
    """A minipyro handler's own label; a Pyro Messenger's from Pyro mode."""
    if isinstance(handler, runtime.Messenger):
        return handler.label()
    return pyro_label(handler)


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


class Recorder(runtime.Observer):
    """The runtime's observer: turns each step into an Event and hands it to ``sink``."""

    def __init__(self, detail: str, sink: Callable[[Event], None], first_step: Optional[str] = None):
        """``first_step``: the detail up to the end of the first SVI step or ELBO evaluation
        (``detail`` from then on): ``"sites"`` under ``"svi"`` gives a training script's graph and
        one flow of messages, then only what it learns."""
        for level in (detail, first_step or detail):
            if level not in DETAILS:
                raise ValueError(f"detail must be one of {DETAILS}, got {level!r}")
        self.sink = sink
        self._detail_after_first_step = detail if first_step not in (None, detail) else None
        detail = first_step or detail
        self.seq = 0
        self.start = time.perf_counter()
        self.set_detail(detail)
        # Handler identities live here, not on the handlers: id(handler) -> (handler, its id,
        # its label, the user's line that entered it). The handler is held only while it is on
        # the stack, so that its id() is not reused by another object meanwhile (an entry found
        # by id() is therefore that handler's); one entered again is a new handler here.
        self._handlers: dict[int, tuple] = {}
        self._next_handler_id = 0
        self._next_msg_id = 0
        self._msg_ids: dict[int, int] = {}  # id(msg) -> msg_id, for the messages being applied
        # id(msg) -> (its fn, that fn's shapes) as msg_start saw them: msg_end reuses the shapes
        # when no handler replaced the distribution (most sites).
        self._start_fns: dict[int, tuple] = {}
        self._losses = 0  # loss events so far
        self._structured: dict = {}  # id(fn) -> fn, for the models and guides whose structure is out
        self.watch = None  # a NanWatch adds what live tensors tell to msg_end (see .watch)

    def set_detail(self, detail: str) -> None:
        self.detail = detail
        self.steps = detail == "steps"

    def emit(self, kind: str, **fields) -> Event:
        # tuple.__new__ directly: Event(...) would run the named tuple's __new__ in Python.
        event = _new_event(Event, (self.seq, kind, time.perf_counter() - self.start, fields))
        self.seq += 1
        self.sink(event)
        return event

    # Handlers ----------------------------------------------------------------
    def _handler(self, handler, source: Optional[str] = None) -> tuple:
        entry = self._handlers.get(id(handler))
        if entry is None:
            # First seen now (entered before the recording began), or entered now: the label is
            # made once (a plate's dim is known from its entry on) and kept for its exit.
            entry = self._handlers[id(handler)] = (handler, self._next_handler_id, handler_label(handler), source)
            self._next_handler_id += 1
        return entry

    def handler_id(self, handler) -> int:
        return self._handler(handler)[1]

    def handler_enter(self, handler, depth: Optional[int] = None) -> None:
        self._handlers.pop(id(handler), None)  # a handler entered again is a new handler here
        _, handler_id, label, source = self._handler(handler, user_source(2))
        self.emit("handler_enter", handler_id=handler_id, handler=type(handler).__name__, label=label,
                  depth=len(runtime.PYRO_STACK) - 1 if depth is None else depth, source=source)

    def handler_exit(self, handler, depth: Optional[int] = None) -> None:
        _, handler_id, label, source = self._handler(handler)
        # The exit carries the line of the enter, so that a breakpoint on a `with` line stops at
        # both; a handler entered before the recording began has only the line it exits at.
        self.emit("handler_exit", handler_id=handler_id, handler=type(handler).__name__, label=label,
                  depth=len(runtime.PYRO_STACK) - 1 if depth is None else depth,
                  source=source if source is not None else user_source(2))
        del self._handlers[id(handler)]

    # Messages ----------------------------------------------------------------
    def message_start(self, msg, stack: Optional[list] = None) -> None:
        msg_id = self._msg_ids[id(msg)] = self._next_msg_id
        self._next_msg_id += 1
        handlers = self._handlers
        stack = runtime.PYRO_STACK if stack is None else stack
        try:
            ids = [handlers[id(handler)][1] for handler in reversed(stack)]
        except KeyError:  # a handler entered before the recording began
            ids = [self.handler_id(handler) for handler in reversed(stack)]
        if not self.steps:
            self.emit("msg_start", msg_id=msg_id, type=msg["type"], name=msg["name"], stack=ids,
                      fields=self._fields(msg), source=user_source(2))
            return
        frame = innermost_user_frame(sys._getframe(1))
        self.emit("msg_start", msg_id=msg_id, type=msg["type"], name=msg["name"], stack=ids,
                  fields=self._fields(msg), source=source_of(frame), **self._python(frame))

    def line(self, frame) -> None:
        """The user's code is at ``frame``'s current line, between sites (a pause in plain Python)."""
        code = frame.f_code
        self.emit("line", file=code.co_filename, line=frame.f_lineno, function=code.co_name,
                  **self._python(frame))

    @staticmethod
    def _python(frame) -> dict:
        """The user's Python at ``frame`` (their innermost frame, or None): the call stack and its locals."""
        if frame is None:
            return {"frames": [], "locals": {}}
        return {"frames": user_stack(frame), "locals": summarize_locals(frame.f_locals)}

    def message_end(self, msg) -> None:
        msg_id = self._msg_ids.pop(id(msg))
        fn = msg["fn"]
        final_fn = None
        start_fn, start_shapes = self._start_fns.pop(id(msg), (None, None))
        if fn is start_fn:
            final_fn = start_shapes
        elif isinstance(fn, torch.distributions.Distribution):  # as the handlers left it (broadcast)
            final_fn = distribution_shapes(fn)
        if self.watch is None:
            self.emit("msg_end", msg_id=msg_id, type=msg["type"], name=msg["name"],
                      value=summarize(msg["value"]), log_prob=self._log_prob(msg, final_fn), fn=final_fn)
            return
        self.emit("msg_end", msg_id=msg_id, type=msg["type"], name=msg["name"], value=summarize(msg["value"]),
                  log_prob=self._log_prob(msg, final_fn), fn=final_fn, **self.watch.message_end(msg))

    def message_failed(self, msg, error) -> None:
        if type(error).__name__ == "NonlocalExit":
            # Pyro's poutine.escape (Search, queue-based enumeration) leaves a model this way on
            # purpose: the message ends where escape stopped it, and nothing went wrong.
            self.message_end(msg)
            return
        msg_id = self._msg_ids.pop(id(msg))
        self._start_fns.pop(id(msg), None)
        # An error passes up through every message it is raised inside: report it once, at the
        # innermost, with the callers above (the user's code) added to its traceback.
        if not getattr(error, "_minipyro_reported", False):
            error._minipyro_reported = True
            self.error(error, msg_id=msg_id, outer_frame=sys._getframe(1))

    def _msg_id(self, msg) -> int:
        return self._msg_ids[id(msg)]

    def _fields(self, msg) -> dict:
        if self.steps:
            return {key: summarize(msg.get(key)) for key in MESSAGE_FIELDS}
        # "sites" detail: only what is cheap, written out rather than summarised generically.
        fn, scale, mask = msg["fn"], msg["scale"], msg["mask"]
        if isinstance(fn, torch.distributions.Distribution):
            fn_summary = distribution_shapes(fn)
            self._start_fns[id(msg)] = (fn, fn_summary)
        else:  # a param's fn: a function, summarised by its name
            fn_summary = fn.__qualname__ if isinstance(fn, _FUNCTIONS) else summarize(fn)
        return {
            "type": msg["type"],
            "name": msg["name"],
            "fn": fn_summary,
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

    def before(self, msg):
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
        self.emit("process", msg_id=self._msg_id(msg), handler_id=self.handler_id(handler),
                  position=position, changes=self._changes(msg, before))

    def stopped(self, msg, handler) -> None:
        self.emit("stop", msg_id=self._msg_id(msg), handler_id=self.handler_id(handler))

    def defaulted(self, msg, before) -> None:
        fields, _ = before
        # The default behaviour's own test (both engines): a value given by obs= or a handler is kept.
        if fields["done"] or fields["is_observed"] or fields["value"] is not None:
            action = "kept (observed)" if fields["is_observed"] else "kept (replayed)"
        else:
            action = "sampled" if msg["type"] == "sample" else "computed"
        changes = self._changes(msg, before)
        value = changes["value"][1] if "value" in changes else summarize(msg["value"])
        self.emit("default", msg_id=self._msg_id(msg), value=value, action=action, changes=changes)

    def postprocessed(self, msg, handler, position: int, before) -> None:
        self.emit("postprocess", msg_id=self._msg_id(msg), handler_id=self.handler_id(handler),
                  position=position, changes=self._changes(msg, before))

    # Inference and runs ------------------------------------------------------
    def svi_step(self, step: int, loss: float, params: dict, grad_norms: dict) -> None:
        # Every element of each parameter (up to a size): the monitor plots and exports them all.
        watched = {} if self.watch is None else self.watch.step_ended(float(loss))
        self.emit("svi_step", step=step, loss=summarize(float(loss)),
                  params={name: summarize_param(value) for name, value in params.items()},
                  grad_norms={name: summarize(float(norm)) for name, norm in grad_norms.items()}, **watched)
        self._stepped()

    def loss(self, elbo: str, value: Optional[float], model=None, guide=None, args: tuple = (),
             kwargs: Optional[dict] = None, fields_of=structure_fields) -> None:
        """An ELBO (class name ``elbo``) was evaluated outside ``SVI.step`` and gave ``value``;
        a model and guide seen for the first time get their ``structure`` first."""
        if model is not None and not (id(model) in self._structured and id(guide) in self._structured):
            self.structure("model", model, args, kwargs, fields_of=fields_of)
            self.structure("guide", guide, args, kwargs, fields_of=fields_of)
        if value is not None:
            self.emit("loss", n=self._losses, elbo=elbo, value=plain_float(value))
            self._losses += 1
        self._stepped()

    def first_step_pending(self) -> bool:
        """Whether the ``first_step`` detail is still on (no step or ELBO evaluation has ended)."""
        return self._detail_after_first_step is not None

    def _stepped(self) -> None:
        """A step (or an ELBO evaluation) ended: the first one ends the ``first_step`` detail."""
        if self._detail_after_first_step is not None:
            detail, self._detail_after_first_step = self._detail_after_first_step, None
            self.set_detail(detail)
            if runtime.get_observer() is self:
                observe_engines(self)

    def traced(self, which: str, fn, args: tuple, kwargs: dict) -> None:
        self.structure(which, fn, args, kwargs)

    def structure(self, which: str, fn, args: tuple = (), kwargs: Optional[dict] = None,
                  fields_of=structure_fields) -> Optional[Event]:
        """Emit ``fn``'s relations and plate sizes, from one unobserved run that changes nothing
        (``fields_of``: the engine's way of finding them; Pyro mode passes Pyro's)."""
        self._structured[id(fn)] = fn  # held, so that its id stays its own
        previous = runtime.set_observer(None)
        try:
            fields = fields_of(fn, args, kwargs)
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


class InferenceOnly(runtime.Observer):
    """What minipyro reports to at ``svi`` detail: SVI steps and ELBO evaluations reach the
    recorder; messages and handlers go unreported (the base class's methods do nothing)."""

    detail = "svi"

    def __init__(self, recorder: Recorder):
        self.recorder = recorder
        self.svi_step = recorder.svi_step
        self.traced = recorder.traced
        self.loss = recorder.loss


def observe_engines(observer, pyro_observer=None):
    """Install ``observer`` on minipyro and ``pyro_observer`` (by default the same one) on Pyro
    (Pyro mode); return the pair that they replace, to pass back here later. A recorder at
    ``svi`` detail hears only of SVI steps and ELBO evaluations, on either engine."""
    from . import pyro_mode

    pyro_observer = pyro_observer or observer
    if isinstance(observer, Recorder) and observer.detail == "svi":
        observer = InferenceOnly(observer)
    previous = runtime.set_observer(observer), pyro_mode.set_observer(pyro_observer)
    losses.observe_minipyro(observer is not None)
    return previous


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
    kept in memory, so another process can follow a long run. ``detail="svi"`` records only
    SVI steps, ELBO evaluations and structure (cheap enough for any training job);
    ``first_step="sites"`` adds every site of the run up to its first step.
    """

    def __init__(self, path=None, detail: str = "steps", first_step: Optional[str] = None):
        for level in (detail, first_step or detail):
            if level not in DETAILS:
                raise ValueError(f"detail must be one of {DETAILS}, got {level!r}")
        self.path = path
        self.detail = detail
        self.first_step = first_step

    def __enter__(self) -> Recording:
        if self.path is None:
            self._writer = None
            recording = Recording(self.detail)
            sink = recording.events.append
        else:
            self._writer = RecordingWriter(self.path, self.detail)
            recording = Recording(self.detail)
            sink = self._writer.write
        recording._recorder = Recorder(self.detail, sink, first_step=self.first_step)
        self.recording = recording
        # A recording creates many small objects that live on. With CPython's
        # default thresholds the cyclic collector would rescan them, and all
        # of torch, several times a step (measured: more than doubling the
        # step time of a 300-site model). Collect less often while recording.
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(max(self._gc_thresholds[0], GC_THRESHOLD_WHILE_RECORDING), *self._gc_thresholds[1:])
        self._previous = observe_engines(recording._recorder)
        return recording

    def __exit__(self, *exc_info):
        observe_engines(*self._previous)
        gc.set_threshold(*self._gc_thresholds)
        self.recording._recorder = None
        if self._writer is not None:
            self._writer.close()
        return None
