"""The effect-handler runtime: global state, messages, Messenger and apply_stack.

Read this file first. Everything else in ``minipyro`` is built from three ideas:

1. A **message** (a small dict) describes one effectful operation: "sample the
   site ``x`` from ``Normal(0, 1)``" or "read the parameter ``loc``".
2. **Handlers** (``Messenger`` subclasses) sit on a global stack, ``PYRO_STACK``.
   Each one may change a message on its way down (``process_message``) and on
   its way back up (``postprocess_message``).
3. **apply_stack** walks a message through the stack and, in between, performs
   the default behaviour (draw the sample, read the parameter).

This mirrors ``pyro.poutine.runtime`` and ``pyro.contrib.minipyro``.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, NamedTuple, NotRequired, Optional, TypedDict

# Pyro keeps track of two kinds of global state:
#   i)  the effect handler stack, which gives primitives like sample() their
#       non-standard interpretations (see Messenger below);
#  ii)  trainable parameters in the param store (see minipyro.params).
# The stack is a plain list: its *top* is its last element, the innermost
# (most recently entered) handler.
PYRO_STACK: list["Messenger"] = []

# Whoever is watching (see Observer below). None unless a recording is
# active, so unobserved code pays one check per message and per handler.
_observer: Optional["Observer"] = None


def set_observer(observer: Optional["Observer"]) -> Optional["Observer"]:
    """Install ``observer`` (or None) and return the one it replaces."""
    global _observer
    previous, _observer = _observer, observer
    return previous


def get_observer() -> Optional["Observer"]:
    return _observer


class SiteError(ValueError):
    """A model the core cannot run: the message names the site and the reason."""

    def __init__(self, site: Optional[str], reason: str):
        self.site = site
        self.reason = reason
        where = f"site '{site}'" if site is not None else "model"
        super().__init__(f"{where}: {reason}")


class CondIndepStackFrame(NamedTuple):
    """One plate that encloses a site, as Pyro records it in ``cond_indep_stack``.

    ``size`` is the (sub)sample size seen by the site, ``full_size`` the size of
    the whole plate; ``dim`` is ``None`` for a sequential (iterated) plate.
    """

    name: str
    dim: Optional[int]
    size: int
    counter: int
    full_size: Optional[int] = None

    @property
    def vectorized(self) -> bool:
        return self.dim is not None


class Message(TypedDict):
    """A message travelling through the handler stack (Pyro's keys).

    type:             "sample", "param", or another effect's name.
    name:             the site name.
    fn:               the distribution (sample) or the function computing the value.
    is_observed:      True when the value was given (``obs=`` or ``condition``).
    args, kwargs:     arguments for ``fn``.
    value:            the result; ``None`` until a handler or the default sets it.
    scale:            multiplies the site's log-density (``scale``, subsampling plates).
    mask:             None, a bool, or a bool tensor that zeroes log-density terms.
    cond_indep_stack: the enclosing plates, outermost first (a tuple of frames).
    done:             True once a value is final; the default behaviour is skipped.
    stop:             set by a handler to hide the message from handlers below it.
    infer:            per-site inference options (``is_auxiliary``, ``_deterministic``...).

    Written later on a trace's sites, by the ELBOs (memoised as Pyro does):
    log_prob, unscaled_log_prob, log_prob_sum, score_parts; and by ``do``:
    _intervener_id (the handler that intervened, so it skips the message's copy).
    """

    type: str
    name: str
    fn: Callable
    is_observed: bool
    args: tuple
    kwargs: dict
    value: Any
    scale: Any
    mask: Any
    cond_indep_stack: tuple
    done: bool
    stop: bool
    infer: dict
    log_prob: NotRequired[Any]
    unscaled_log_prob: NotRequired[Any]
    log_prob_sum: NotRequired[Any]
    score_parts: NotRequired[Any]
    _intervener_id: NotRequired[str]


def new_message(type: str, name: str, fn: Callable, args: tuple = (), kwargs: Optional[dict] = None,
                value: Any = None, is_observed: bool = False, infer: Optional[dict] = None) -> Message:
    """A fresh message with every Pyro key at its neutral value."""
    return {
        "type": type,
        "name": name,
        "fn": fn,
        "is_observed": is_observed,
        "args": args,
        "kwargs": {} if kwargs is None else kwargs,
        "value": value,
        "scale": 1.0,
        "mask": None,
        "cond_indep_stack": (),
        "done": False,
        "stop": False,
        "infer": {} if infer is None else infer,
    }


class Observer:
    """What the core tells whoever is watching it: every method is a no-op here.

    The core calls these and nothing else of the observer (``minipyro.observe``'s
    recorder is one). An observer is passive: it must not change the message,
    draw random numbers or run user code, so that watching a run never changes
    what it computes. ``steps`` says whether ``apply_stack`` should report each
    handler's step (``before`` then ``processed``/``postprocessed``) or only the
    message's start and end.
    """

    steps: bool = False

    # Pyro mode (minipyro.observe.pyro_mode) calls the same methods for full Pyro, passing
    # what differs there: a handler's depth on Pyro's stack, and that stack.
    def handler_enter(self, handler: "Messenger", depth: Optional[int] = None) -> None:
        """``handler`` was pushed: it is now the top of the stack."""

    def handler_exit(self, handler: "Messenger", depth: Optional[int] = None) -> None:
        """``handler`` is about to be popped: it is still the top of the stack."""

    def message_start(self, msg: Message, stack: Optional[list] = None) -> None:
        """``apply_stack`` received ``msg``."""

    def before(self, msg: Message) -> Any:
        """Called before each step when ``steps``; what it returns is handed to the step's report."""

    def processed(self, msg: Message, handler: "Messenger", position: int, before: Any) -> None:
        """``handler.process_message`` returned; ``position`` counts from the top (0)."""

    def stopped(self, msg: Message, handler: "Messenger") -> None:
        """``handler`` set ``msg["stop"]``: no handler below it sees the message."""

    def defaulted(self, msg: Message, before: Any) -> None:
        """The default behaviour ran (or was skipped because the value was given)."""

    def postprocessed(self, msg: Message, handler: "Messenger", position: int, before: Any) -> None:
        """``handler.postprocess_message`` returned."""

    def message_end(self, msg: Message) -> None:
        """``apply_stack`` is returning ``msg`` with its final value."""

    def message_failed(self, msg: Message, error: BaseException) -> None:
        """A handler or the default behaviour raised ``error`` while applying ``msg``."""

    def svi_step(self, step: int, loss: float, params: dict, grad_norms: dict) -> None:
        """SVI took its step number ``step`` (1, 2, ...): the loss before it, each param's
        value after it and the norm of its gradient, by name."""

    def traced(self, which: str, fn: Callable, args: tuple, kwargs: dict) -> None:
        """A model (``which="model"``) or guide ran once under inference, at SVI's first step."""


class Messenger:
    """The base effect handler.

    A handler can be used three ways, like every handler in ``pyro.poutine``:

    - wrapping a function: ``h(fn, ...)`` returns a handler that, when called,
      runs ``fn`` with the handler on the stack;
    - as a decorator: ``@h(...)`` (no function yet) applied to ``fn``;
    - as a context manager: ``with h(...): ...``.
    """

    def __init__(self, fn: Optional[Callable] = None):
        if fn is not None and not callable(fn):
            raise TypeError(f"{type(self).__name__}: {fn!r} is not callable; did you mean "
                            "to pass it as a keyword argument?")
        self.fn = fn

    # Handlers push themselves onto PYRO_STACK on entry. The most recently
    # entered handler is the top of the stack and sees each message first.
    def __enter__(self):
        if self in PYRO_STACK:  # Messengers compare by identity
            raise RuntimeError(f"{self.label()} is already on the handler stack; "
                               "a handler instance cannot be entered twice")
        PYRO_STACK.append(self)
        if _observer is not None:
            _observer.handler_enter(self)
        return self

    # Exception-safe: an error raised inside the block may leave handlers
    # above this one on the stack (their own __exit__ never ran). Exit them
    # first, top down, so that they clean up too (a plate frees its dim, a
    # seed restores the RNG), then pop self. Returning None re-raises.
    def __exit__(self, exc_type, exc_value, traceback):
        if self not in PYRO_STACK:
            if exc_type is None:
                raise RuntimeError(f"{self.label()} left the handler stack before its block ended")
            return None
        while PYRO_STACK[-1] is not self:
            PYRO_STACK[-1].__exit__(exc_type, exc_value, traceback)
        if _observer is not None:
            _observer.handler_exit(self)
        PYRO_STACK.pop()
        return None

    def process_message(self, msg: Message) -> None:
        pass

    def postprocess_message(self, msg: Message) -> None:
        pass

    def __call__(self, *args, **kwargs):
        if self.fn is None:
            # Used as a decorator: @handler(...) applied to a function.
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError(f"{type(self).__name__}(...) has no function to run; "
                                "pass one first: handler(fn, ...)")
            bound = copy.copy(self)
            bound.fn = args[0]
            return bound
        with self:
            return self.fn(*args, **kwargs)

    def label(self) -> str:
        """A short human-readable name, e.g. ``plate('data', 100, dim=-1)``."""
        return type(self).__name__


def default_process_message(msg: Message) -> None:
    """The default behaviour: compute the value unless a handler already gave one."""
    if msg["done"] or msg["is_observed"] or msg["value"] is not None:
        msg["done"] = True
        return
    msg["value"] = msg["fn"](*msg["args"], **msg["kwargs"])
    msg["done"] = True


def apply_stack(msg: Message) -> Message:
    """Send ``msg`` through the effect handler stack and return it.

    The stack ``PYRO_STACK`` is a list whose last element is its **top**: the
    innermost, most recently entered handler. Its first element is the
    **bottom**: the outermost handler.

    1. ``process_message`` runs on each handler from the top down.
       If a handler sets ``msg["stop"]``, no handler below it is visited.
    2. The default behaviour runs: if no handler has set a value (and the site
       is not observed or done), ``value = fn(*args, **kwargs)``.
    3. ``postprocess_message`` runs from the bottom up, over only the handlers
       visited in step 1 (so a ``stop`` cuts both directions).
    4. The message, now holding its final value, is returned.

    An observer, when one is installed, is told of the message's start and
    end and, if it asks for ``steps``, of each step in between.
    """
    observer = _observer
    if observer is None:
        return _apply(msg, None)
    observer.message_start(msg)
    try:
        _apply(msg, observer if observer.steps else None)
    except Exception as error:
        observer.message_failed(msg, error)
        raise
    observer.message_end(msg)
    return msg


def _apply(msg: Message, observer: Optional[Observer]) -> Message:
    """apply_stack's steps 1-4; ``observer`` (if any) hears of each step."""
    stack = PYRO_STACK
    top = len(stack) - 1
    visited = 0
    for handler in reversed(stack):
        if observer is None:
            handler.process_message(msg)
        else:
            before = observer.before(msg)
            handler.process_message(msg)
            observer.processed(msg, handler, visited, before)
        visited += 1
        if msg["stop"]:
            if observer is not None:
                observer.stopped(msg, handler)
            break

    if observer is None:
        default_process_message(msg)
    else:
        before = observer.before(msg)
        default_process_message(msg)
        observer.defaulted(msg, before)

    for index in range(len(stack) - visited, len(stack)):
        handler = stack[index]
        if observer is None:
            handler.postprocess_message(msg)
        else:
            before = observer.before(msg)
            handler.postprocess_message(msg)
            observer.postprocessed(msg, handler, top - index, before)
    return msg
