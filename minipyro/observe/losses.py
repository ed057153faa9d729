"""ELBO evaluations outside ``SVI.step``: the ``loss`` events of a loop with a torch optimiser.

A training script need not call ``SVI.step``: Pyro's ``examples/svi_torch.py`` calls an
``ELBOModule`` (``Trace_ELBO()(model, guide)``) and steps a torch optimiser itself, and scripts
call ``elbo.loss``, ``loss_and_grads`` or ``differentiable_loss`` directly. While observed, those
methods are wrapped (on every ELBO class that defines them, for either engine) so that the
outermost evaluation reports its value; one inside ``SVI.step`` is the step's, reported as
``svi_step`` instead. The wrapper returns what the method returned, and draws nothing.
"""

from __future__ import annotations

import functools

ELBO_METHODS = ("loss", "loss_and_grads", "differentiable_loss")

_depth = 0  # SVI steps and ELBO evaluations under way: only the outermost one reports


class inside_evaluation:
    """Marks an SVI step (or an ELBO evaluation) under way: the ELBO calls inside it are its own."""

    def __enter__(self):
        global _depth
        _depth += 1

    def __exit__(self, *exc_info):
        global _depth
        _depth -= 1


def loss_value(value):
    """The float a script would print for what an ELBO method returned (a float, a 0-d
    tensor, or a tuple whose first part is the ELBO's), or None."""
    if isinstance(value, tuple) and value:
        value = value[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    numel = getattr(value, "numel", None)
    if numel is not None and numel() == 1:
        return value.item()
    return None


def reporting(method, observer_of, fields_of):
    """``method`` (an ELBO's ``loss``, ``loss_and_grads`` or ``differentiable_loss``) reporting its
    value to ``observer_of()``'s ``loss`` when it is the outermost evaluation."""

    @functools.wraps(method)
    def evaluate(self, model, guide, *args, **kwargs):
        observer = observer_of()
        if observer is None or _depth or not hasattr(observer, "loss"):
            return method(self, model, guide, *args, **kwargs)
        with inside_evaluation():
            value = method(self, model, guide, *args, **kwargs)
        observer.loss(type(self).__name__, loss_value(value), model, guide, args, kwargs, fields_of)
        return value

    return evaluate


def elbo_classes(base) -> list:
    """``base`` and every subclass defined so far."""
    found, pending = [], [base]
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return found


def wrap_elbo_methods(base, observer_of, fields_of, replace) -> None:
    """Wrap the ELBO methods each class under ``base`` defines itself (subclasses override them,
    so wrapping the base class alone would miss them); ``replace(owner, name, new)`` keeps the original."""
    for cls in elbo_classes(base):
        for name in ELBO_METHODS:
            method = cls.__dict__.get(name)
            if callable(method):
                replace(cls, name, reporting(method, observer_of, fields_of))


def counting_step(step):
    """``SVI.step`` with the ELBO evaluations inside it marked as the step's own."""

    @functools.wraps(step)
    def svi_step(self, *args, **kwargs):
        with inside_evaluation():
            return step(self, *args, **kwargs)

    return svi_step


_minipyro_originals: dict = {}  # (owner, attribute name) -> the original, while minipyro is observed


def observe_minipyro(observed: bool) -> None:
    """Wrap minipyro's ELBO methods and ``SVI.step`` while minipyro has an observer (as Pyro
    mode wraps Pyro's); put the originals back when it has none."""
    from .. import infer, runtime
    from ..structure import structure_fields

    if observed and not _minipyro_originals:
        def replace(owner, attribute, new):
            _minipyro_originals[(owner, attribute)] = getattr(owner, attribute)
            setattr(owner, attribute, new)

        replace(infer.SVI, "step", counting_step(infer.SVI.step))
        wrap_elbo_methods(infer.Trace_ELBO, runtime.get_observer, structure_fields, replace)
    elif not observed:
        for (owner, attribute), original in _minipyro_originals.items():
            setattr(owner, attribute, original)
        _minipyro_originals.clear()
