"""Pyro's own ``pyro.contrib.minipyro`` observed, as Pyro mode observes full Pyro.

A script run with ``pyro.generic.pyro_backend("minipyro")`` (Pyro's ``examples/minipyro.py``)
sends its sites through contrib minipyro, which has a stack, handlers, ``apply_stack`` and an
``SVI`` of its own. While Pyro mode is installed (:mod:`.pyro_mode`), ``install`` replaces:

- ``apply_stack`` by the same loop (``pointer``, the ``stop`` break, the value drawn when none
  was given, ``postprocess_message`` for the handlers above the stop), each step reported.
  Its messages lack fields of Pyro's (``is_observed``, ``scale``, ...): those a reader expects
  are added with contrib's meaning (an ``obs=`` value is observed; nothing scales or masks).
- ``Messenger.__enter__``/``__exit__`` (every handler that pushes calls them);
- ``SVI.step``: ``svi_step`` with the loss, the parameters after the step and the gradients
  the optimiser was given.

No ``structure`` is reported: contrib minipyro has no provenance tracking to find it with.
"""

from __future__ import annotations

import weakref

_svi_steps: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # SVI -> steps taken while observed


def install(replace, observer_of, inference_hooks: set) -> None:
    """Hook contrib minipyro: ``replace(owner, name, new)`` keeps each original (Pyro mode puts
    them back); ``observer_of()`` is the observer now; ``inference_hooks`` gets the hooks
    that stay in at ``svi`` detail."""
    from pyro.contrib import minipyro as contrib

    stack = contrib.PYRO_STACK
    replace(contrib, "apply_stack", _observed_apply_stack(contrib, observer_of))
    enter, exit_ = contrib.Messenger.__enter__, contrib.Messenger.__exit__

    def observed_enter(self):
        result = enter(self)
        observer = observer_of()
        if observer is not None:
            observer.handler_enter(self, len(stack) - 1)
        return result

    def observed_exit(self, *exc_info):
        observer = observer_of()
        if observer is not None and stack and stack[-1] is self:
            observer.handler_exit(self, len(stack) - 1)
        return exit_(self, *exc_info)

    replace(contrib.Messenger, "__enter__", observed_enter)
    replace(contrib.Messenger, "__exit__", observed_exit)
    replace(contrib.SVI, "step", _observed_step(contrib, contrib.SVI.step, observer_of))
    inference_hooks.add((contrib.SVI, "step"))


def _completed(msg: dict) -> dict:
    """``msg`` with the fields a reader of Pyro's messages expects, in contrib's meaning."""
    msg.setdefault("kwargs", {})
    msg.setdefault("is_observed", msg["type"] == "sample" and msg["value"] is not None)
    for key, value in (("scale", 1.0), ("mask", None), ("cond_indep_stack", ()), ("done", False),
                       ("stop", False), ("infer", {})):
        msg.setdefault(key, value)
    return msg


def _observed_apply_stack(contrib, observer_of):
    original = contrib.apply_stack
    stack = contrib.PYRO_STACK

    def apply_stack(msg):
        observer = observer_of()
        if observer is None:
            return original(msg)
        msg = _completed(msg)
        observer.message_start(msg, stack)
        try:
            if observer.steps:
                _observed_loop(msg, stack, observer)
            else:
                original(msg)
        except Exception as error:
            observer.message_failed(msg, error)
            raise
        observer.message_end(msg)
        return msg

    return apply_stack


def _observed_loop(msg, stack, observer) -> None:
    """contrib minipyro's ``apply_stack``, the observer told before and after each step."""
    pointer = 0
    for pointer, handler in enumerate(reversed(stack)):
        before = observer.before(msg)
        handler.process_message(msg)
        observer.processed(msg, handler, pointer, before)
        if msg.get("stop"):
            observer.stopped(msg, handler)
            break
    before = observer.before(msg)
    if msg["value"] is None:
        msg["value"] = msg["fn"](*msg["args"])
    observer.defaulted(msg, before)
    top = len(stack) - 1
    for index, handler in enumerate(stack[-pointer - 1:], start=len(stack) - pointer - 1):
        before = observer.before(msg)
        handler.postprocess_message(msg)
        observer.postprocessed(msg, handler, top - index, before)


def _observed_step(contrib, step, observer_of):
    import torch

    def observed_step(self, *args, **kwargs):
        observer = observer_of()
        if observer is None:
            return step(self, *args, **kwargs)
        names = {id(unconstrained): name for name, (unconstrained, _) in contrib.PARAM_STORE.items()}
        measured: dict = {}
        optim = self.optim

        def measuring_optim(params):
            # The gradients as the optimiser gets them (the step zeroes them after).
            for param in params:
                grad = param.grad
                measured[id(param)] = 0.0 if grad is None else (abs(grad.item()) if grad.numel() == 1
                                                                else grad.norm().item())
            return optim(params)

        self.optim = measuring_optim
        try:
            loss = step(self, *args, **kwargs)
        finally:
            self.optim = optim
        names.update((id(unconstrained), name) for name, (unconstrained, _) in contrib.PARAM_STORE.items())
        grad_norms = {names[key]: norm for key, norm in measured.items() if key in names}
        params = {}
        with torch.no_grad():
            for name in grad_norms:
                unconstrained, constraint = contrib.PARAM_STORE[name]
                params[name] = torch.distributions.transform_to(constraint)(unconstrained)
        number = _svi_steps[self] = _svi_steps.get(self, 0) + 1
        observer.svi_step(number, float(loss), params, grad_norms)
        return loss

    return observed_step
