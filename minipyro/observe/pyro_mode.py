"""Pyro mode: full Pyro reports the events of DESIGN section 3 while an observer is installed.

Nothing of Pyro is changed unless :func:`install` ran, and :func:`uninstall` puts every
original back. While installed:

- ``apply_stack`` is replaced in the four modules that bind it by name (``pyro.poutine.runtime``,
  ``pyro.primitives``, ``pyro.poutine.do_messenger``, ``pyro.poutine.subsample_messenger``) by
  :func:`observed_apply_stack`: Pyro's own loop (``pointer``, the ``stop`` break, the
  ``continuation``) with the observer told before and after each frame. Frames are called
  through ``_process_message``/``_postprocess_message``, as Pyro does, so the Messengers that
  override those (plate, block, mask, scale, ...) are seen too.
- ``Messenger.__enter__``/``__exit__`` report each push and pop (every Messenger calls them).
- ``SVI.step`` reports ``svi_step`` (loss, params after the step, gradient norms before it),
  and on an SVI's first step the model's and guide's ``structure``: what
  ``pyro.infer.inspect.get_model_relations`` gives, computed in linear time by
  :mod:`.pyro_structure` in a run that changes nothing.
- Every ELBO's ``loss``, ``loss_and_grads`` and ``differentiable_loss`` (so an ``ELBOModule``
  too) report ``loss`` when called outside ``SVI.step`` (see :mod:`.losses`).
- Pyro's ``pyro.contrib.minipyro`` (``pyro_backend("minipyro")``) is observed the same way
  (see :mod:`.contrib_minipyro`).

At ``svi`` detail only the last two are wanted: :func:`observe_messages` takes the per-message
hooks (``apply_stack``, ``Messenger`` enter/exit) out and puts them back, so that a training
script's messages run through Pyro's own code at Pyro's own speed.

The observer is a :class:`minipyro.runtime.Observer` (the recorder), the same one minipyro
reports to, so one recording holds either engine's events with the same kinds and keys.
"""

from __future__ import annotations

import contextlib
import importlib
import weakref

from . import contrib_minipyro
from .losses import counting_step, wrap_elbo_methods
from .pyro_structure import structure_fields

APPLY_STACK_MODULES = ("pyro.poutine.runtime", "pyro.primitives", "pyro.poutine.do_messenger",
                       "pyro.poutine.subsample_messenger")

_observer = None
_originals: dict = {}  # (owner, attribute name) -> the original, while installed
_pyro_apply_stack = None  # Pyro's own apply_stack, for messages whose steps are not reported
_pyro_runtime = None  # pyro.poutine.runtime, once installed (an import per message would cost)
_svi_steps: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # SVI -> steps taken while observed
_inference_hooks: set = set()  # the (owner, attribute name) pairs of SVI and ELBO hooks
_message_hooks_out: dict = {}  # (owner, attribute name) -> hook, while the per-message hooks are out


def set_observer(observer):
    """Install ``observer`` (or None) for Pyro and return the one it replaces; hooks are in
    place exactly while an observer is."""
    global _observer
    previous, _observer = _observer, observer
    if observer is not None and not _originals:
        _install()
    elif observer is None and _originals:
        _uninstall()
    if observer is not None:
        observe_messages(getattr(observer, "detail", None) != "svi")
    return previous


def observed_apply_stack(initial_msg) -> None:
    """Pyro's ``apply_stack`` (pyro-ppl 1.9), each step reported to the observer."""
    observer = _observer
    msg = initial_msg
    if observer is None:  # uninstalled while a message was on its way
        return _pyro_apply_stack(msg)
    stack = _pyro_runtime._PYRO_STACK
    observer.message_start(msg, stack)
    try:
        if observer.steps:
            _observed_loop(msg, stack, observer, _pyro_runtime.default_process_message)
        else:  # only the message's start and end are reported: Pyro's own loop runs it
            _pyro_apply_stack(msg)
    except Exception as error:
        observer.message_failed(msg, error)
        raise
    observer.message_end(msg)
    return None


def _observed_loop(msg, stack, observer, default_process_message) -> None:
    """Pyro's apply_stack loop (``pointer``, the ``stop`` break, the ``continuation``), the
    observer told before and after each frame."""
    pointer = 0
    for frame in reversed(stack):
        before = observer.before(msg)
        frame._process_message(msg)
        observer.processed(msg, frame, pointer, before)
        pointer = pointer + 1
        if msg["stop"]:
            observer.stopped(msg, frame)
            break
    before = observer.before(msg)
    default_process_message(msg)
    observer.defaulted(msg, before)
    top = len(stack) - 1
    for index, frame in enumerate(stack[-pointer:] if pointer else [], start=len(stack) - pointer):
        before = observer.before(msg)
        frame._postprocess_message(msg)
        observer.postprocessed(msg, frame, top - index, before)
    cont = msg["continuation"]
    if cont is not None:
        cont(msg)


def pyro_label(handler) -> str:
    """A Pyro Messenger's label, as minipyro's handlers label themselves."""
    name = type(handler).__name__
    if isinstance(getattr(handler, "size", None), int):
        dim = getattr(handler, "dim", None)
        plate = f"{handler.name!r}, {handler.size}" if hasattr(handler, "name") else f"size={handler.size}"
        return f"{name}({plate}" + (f", dim={dim})" if dim is not None else ")")
    return name


def _replace(owner, attribute: str, new) -> None:
    _originals[(owner, attribute)] = getattr(owner, attribute)
    setattr(owner, attribute, new)


def _install() -> None:
    from pyro.infer.svi import SVI
    from pyro.poutine.messenger import Messenger
    from pyro.poutine import runtime
    from pyro.poutine.runtime import _PYRO_STACK

    global _pyro_apply_stack, _pyro_runtime
    _pyro_apply_stack, _pyro_runtime = runtime.apply_stack, runtime
    for name in APPLY_STACK_MODULES:
        _replace(importlib.import_module(name), "apply_stack", observed_apply_stack)

    enter, exit_ = Messenger.__enter__, Messenger.__exit__

    def observed_enter(self):
        result = enter(self)
        if _observer is not None:
            _observer.handler_enter(self, len(_PYRO_STACK) - 1)
        return result

    def observed_exit(self, exc_type, exc_value, traceback):
        if _observer is not None and self in _PYRO_STACK:
            position = _PYRO_STACK.index(self)
            if exc_type is None:
                _observer.handler_exit(self, position)
            else:  # Pyro pops this handler and every handler above it: report each, top first
                for depth in range(len(_PYRO_STACK) - 1, position - 1, -1):
                    _observer.handler_exit(_PYRO_STACK[depth], depth)
        return exit_(self, exc_type, exc_value, traceback)

    _replace(Messenger, "__enter__", observed_enter)
    _replace(Messenger, "__exit__", observed_exit)
    _replace(SVI, "step", counting_step(_observed_step(SVI.step)))
    _install_elbo_hooks()
    contrib_minipyro.install(_replace, lambda: _observer, _inference_hooks)


def _install_elbo_hooks() -> None:
    import pyro.infer  # noqa: F401  (defines every ELBO class)
    from pyro.infer.elbo import ELBO
    from pyro.infer.svi import SVI

    def replace(owner, attribute, new):
        _inference_hooks.add((owner, attribute))
        _replace(owner, attribute, new)

    _inference_hooks.add((SVI, "step"))
    wrap_elbo_methods(ELBO, lambda: _observer, structure_fields, replace)


def observe_messages(observed: bool) -> None:
    """Report Pyro's messages and handlers (``sites``/``steps`` detail), or leave them to Pyro's
    own code (``svi`` detail: only SVI steps and ELBO evaluations are reported)."""
    if observed:
        for (owner, attribute), hook in _message_hooks_out.items():
            setattr(owner, attribute, hook)
        _message_hooks_out.clear()
        return
    for (owner, attribute), original in _originals.items():
        if (owner, attribute) not in _inference_hooks and (owner, attribute) not in _message_hooks_out:
            _message_hooks_out[(owner, attribute)] = getattr(owner, attribute)
            setattr(owner, attribute, original)


def _uninstall() -> None:
    for (owner, attribute), original in _originals.items():
        setattr(owner, attribute, original)
    _originals.clear()
    _inference_hooks.clear()
    _message_hooks_out.clear()


def _norm(grad) -> float:
    if grad is None:
        return 0.0
    return abs(grad.item()) if grad.numel() == 1 else grad.norm().item()


def _observed_step(step):
    def observed_step(self, *args, **kwargs):
        observer = _observer
        if observer is None:
            return step(self, *args, **kwargs)
        import pyro

        store = pyro.get_param_store()
        measured: dict = {}
        optim = self.optim

        def measuring_optim(params, *optim_args, **optim_kwargs):
            # The gradients as the optimiser gets them (SVI zeroes them after the step).
            params = list(params)
            measured.update((store._param_to_name.get(p), _norm(p.grad)) for p in params)
            return optim(params, *optim_args, **optim_kwargs)

        self.optim = measuring_optim
        try:
            loss = step(self, *args, **kwargs)
        finally:
            self.optim = optim
        number = _svi_steps[self] = _svi_steps.get(self, 0) + 1
        if number == 1 and hasattr(observer, "structure"):
            observer.structure("model", self.model, args, kwargs, fields_of=structure_fields)
            observer.structure("guide", self.guide, args, kwargs, fields_of=structure_fields)
        grad_norms = {name: norm for name, norm in measured.items() if name is not None}
        params = {name: store[name] for name in grad_norms}  # (no_grad around it measured dearer)
        # A loss may be a tuple (ReweightedWakeSleep): its first part is the ELBO's.
        observer.svi_step(number, float(loss[0] if isinstance(loss, tuple) else loss), params, grad_norms)
        return loss

    return observed_step


@contextlib.contextmanager
def _pyro_unseen():
    """A run of the user's model that leaves nothing behind: random streams, Pyro's param store,
    output (see :func:`minipyro.structure.unseen`), and no events."""
    import pyro

    from ..structure import unseen

    store = pyro.get_param_store()
    saved = (dict(store._params), dict(store._constraints), dict(store._param_to_name))
    previous = set_observer(None)
    try:
        with unseen():
            yield
    finally:
        store._params, store._constraints, store._param_to_name = (dict(part) for part in saved)
        set_observer(previous)
