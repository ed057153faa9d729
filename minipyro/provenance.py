"""Provenance tracking as ``pyro.ops.provenance`` does it, with a fast path for the common case.

Pyro's ``ProvenanceTensor`` flattens every torch call's arguments with ``torch.utils._pytree``
and rebuilds them, about 100 µs per call: a structure of 10 000 sites took seconds. This
subclass gives the same provenance (the union of the arguments' provenance, attached to every
tensor the call returns) by walking plain tuples, lists and dicts itself, and hands anything
else to Pyro's implementation. Being a ``ProvenanceTensor``, it is read and detached by Pyro's
``get_provenance`` and ``detach_provenance``.
"""

from __future__ import annotations

import torch
from pyro.ops.provenance import ProvenanceTensor

_LEAVES = frozenset({int, float, bool, complex, str, type(None), slice, type(Ellipsis), torch.dtype,
                     torch.device, torch.Size, torch.layout, torch.memory_format, torch.Tensor,
                     torch.nn.Parameter})


class _Unusual(Exception):
    """An argument the fast path does not know: Pyro's own implementation takes the call."""


def _detach(x, provenance: list):
    kind = type(x)
    if kind is FastProvenanceTensor or kind is ProvenanceTensor:
        provenance.append(x._provenance)
        return x._t
    if kind is tuple or kind is list:
        return kind([_detach(part, provenance) for part in x])
    if kind is dict:
        return {key: _detach(value, provenance) for key, value in x.items()}
    if kind in _LEAVES:
        return x
    raise _Unusual


def _track(x, provenance: frozenset):
    kind = type(x)
    if kind is torch.Tensor or kind is torch.nn.Parameter:
        return FastProvenanceTensor(x, provenance)
    if kind is tuple or kind is list:
        return kind([_track(part, provenance) for part in x])
    if isinstance(x, tuple) and hasattr(kind, "n_fields"):  # torch.return_types (a structseq)
        return kind([_track(part, provenance) for part in x])
    if kind in _LEAVES:
        return x
    raise _Unusual


class FastProvenanceTensor(ProvenanceTensor):
    """A ``ProvenanceTensor`` whose torch calls are cheap; see the module's docstring."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        provenance: list = []
        try:
            plain_args = _detach(args, provenance)
            plain_kwargs = _detach(kwargs, provenance) if kwargs else {}
        except _Unusual:
            return super().__torch_function__(func, types, args, kwargs)
        result = func(*plain_args, **plain_kwargs)
        if not provenance:
            return result
        union = frozenset().union(*provenance)
        if not union:
            return result
        try:
            return _track(result, union)
        except _Unusual:
            from pyro.ops.provenance import track_provenance

            return track_provenance(result, union)


class _Opaque(Exception):
    """A distribution holding something the fingerprint cannot read: compute, do not reuse."""


_DIST_MODULES = ("torch.distributions", "pyro.distributions")


def _fingerprint(fn, value) -> tuple:
    """(signature, tag sets): the shape of everything ``fn.log_prob(value)`` can read (classes,
    attribute names, tensor shapes and dtypes, other values), and each tensor's provenance."""
    signature, tags = [], []

    def walk(obj, depth):
        kind = type(obj)
        if isinstance(obj, ProvenanceTensor):  # read through it: its own attributes cost a torch call
            tags.append(obj._provenance)
            signature.append((tuple(obj._t.shape), obj._t.dtype))
        elif isinstance(obj, torch.Tensor):
            tags.append(frozenset())
            signature.append((tuple(obj.shape), obj.dtype))
        elif kind in _LEAVES:
            signature.append(obj)
        elif (kind is tuple or kind is list) and depth < 8:
            signature.append((kind, len(obj)))
            for part in obj:
                walk(part, depth + 1)
        elif kind.__module__.startswith(_DIST_MODULES) and hasattr(obj, "__dict__") and depth < 8:
            signature.append(kind)
            for name, part in sorted(vars(obj).items()):
                signature.append(name)
                walk(part, depth + 1)
        else:
            raise _Opaque

    walk(fn, 0)
    walk(value, 0)
    return tuple(signature), tags


class LogProbProvenance:
    """The provenance of ``fn.log_prob(value)`` for many sites, each computed as Pyro computes it,
    or, for a site shaped exactly like one computed before (same classes, attributes, shapes and
    dtypes: so the same torch calls), read off that one: which of its inputs' provenance reached
    the result. A loop of 10 000 ``Bernoulli(f)`` sites costs one log-density instead of 10 000."""

    def __init__(self):
        self.memo: dict = {}

    def __call__(self, fn, value) -> frozenset:
        from pyro.ops.provenance import get_provenance

        try:
            signature, tags = _fingerprint(fn, value)
        except _Opaque:
            return get_provenance(fn.log_prob(value))
        classes = list(dict.fromkeys(t for t in tags if t))
        key = (signature, tuple(classes.index(t) if t else -1 for t in tags))
        try:
            used = self.memo.get(key)
        except TypeError:  # an unhashable value among the attributes
            return get_provenance(fn.log_prob(value))
        if used is not None:
            return frozenset().union(*(classes[c] for c in used))
        result = get_provenance(fn.log_prob(value))
        used = [c for c, t in enumerate(classes) if t <= result]
        disjoint = sum(len(t) for t in classes) == len(frozenset().union(*classes))
        explained = frozenset().union(*(classes[c] for c in used)) == result
        self.memo[key] = used if disjoint and explained else None
        return result
