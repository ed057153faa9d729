"""The param store: named trainable tensors, kept unconstrained.

Optimisers work in unconstrained space (any real number is a valid step), so
the store keeps ``transform_to(constraint).inv(value)`` and hands out the
constrained value on every read, as ``pyro.get_param_store()`` does.
"""

from __future__ import annotations

import math
import weakref
from typing import Callable, Iterator, Union

import torch
from torch.distributions import constraints, transform_to
from torch.distributions.transforms import AffineTransform, ComposeTransform

from .runtime import SiteError

# Constraints without arguments are module-level singletons in torch; the ones
# with arguments are rebuilt from their bounds. Only these can be saved, so a
# param file never needs to unpickle an object.
_SINGLETON_CONSTRAINTS = {
    name: value
    for name, value in vars(constraints).items()
    if isinstance(value, constraints.Constraint)
}
_BOUNDED_CONSTRAINTS = {
    "interval": (constraints.interval, ("lower_bound", "upper_bound")),
    "half_open_interval": (constraints.half_open_interval, ("lower_bound", "upper_bound")),
    "greater_than": (constraints.greater_than, ("lower_bound",)),
    "greater_than_eq": (constraints.greater_than_eq, ("lower_bound",)),
    "less_than": (constraints.less_than, ("upper_bound",)),
    "integer_interval": (constraints.integer_interval, ("lower_bound", "upper_bound")),
}


def _constraint_to_spec(name: str, constraint: constraints.Constraint) -> dict:
    for spec_name, singleton in _SINGLETON_CONSTRAINTS.items():
        if constraint is singleton:
            return {"name": spec_name}
    for spec_name, (factory, bounds) in _BOUNDED_CONSTRAINTS.items():
        if type(constraint) is factory:
            values = [getattr(constraint, bound) for bound in bounds]
            if all(isinstance(v, (int, float)) for v in values):
                return {"name": spec_name, "bounds": [float(v) for v in values]}
    raise ValueError(f"param '{name}': cannot save constraint {constraint!r}; "
                     "only torch's named constraints with numeric bounds can be saved")


def _constraint_from_spec(name: str, spec) -> constraints.Constraint:
    if isinstance(spec, dict) and spec.get("name") in _SINGLETON_CONSTRAINTS and "bounds" not in spec:
        return _SINGLETON_CONSTRAINTS[spec["name"]]
    if isinstance(spec, dict) and spec.get("name") in _BOUNDED_CONSTRAINTS:
        factory, bounds = _BOUNDED_CONSTRAINTS[spec["name"]]
        values = spec.get("bounds")
        if (isinstance(values, list) and len(values) == len(bounds)
                and all(isinstance(v, float) and not math.isnan(v) for v in values)):
            return factory(*values)
    raise ValueError(f"param '{name}': unknown constraint {spec!r} in the param file")


def _without_identity_parts(transform):
    """``transform_to(positive)`` is exp followed by ``x * 1.0 + 0.0``: the same numbers
    (both operations are exact), two tensor operations more on every read. Drop such parts."""
    if not isinstance(transform, ComposeTransform):
        return transform
    parts = [part for part in transform.parts
             if not (isinstance(part, AffineTransform) and isinstance(part.loc, (int, float))
                     and isinstance(part.scale, (int, float)) and part.loc == 0 and part.scale == 1)]
    if not parts:
        return None  # the identity: the constrained value is the stored tensor itself, as in Pyro
    if len(parts) == len(transform.parts):
        return transform
    return parts[0] if len(parts) == 1 else ComposeTransform(parts)


class UnknownParamError(SiteError, KeyError):
    """A param read by name before anything created it (Pyro raises a KeyError too)."""

    __str__ = SiteError.__str__  # the sentence, not KeyError's quoted repr


class ParamStore:
    """A dict-like map from names to constrained parameter values."""

    def __init__(self):
        self._params: dict[str, torch.Tensor] = {}  # name -> unconstrained leaf tensor
        self._constraints: dict[str, constraints.Constraint] = {}
        self._transforms: dict[str, torch.distributions.Transform] = {}  # transform_to(constraint), reused
        self._param_to_name: dict[torch.Tensor, str] = {}

    # dict-like interface: reads give constrained values.
    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, name: str) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def keys(self):
        return self._params.keys()

    def values(self):
        return [self[name] for name in self._params]

    def items(self):
        return [(name, self[name]) for name in self._params]

    def clear(self) -> None:
        self._params.clear()
        self._constraints.clear()
        self._transforms.clear()
        self._param_to_name.clear()

    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            unconstrained = self._params[name]
        except KeyError:
            raise UnknownParamError(name, "param read before it was initialised; give an init_value "
                                          "the first time it is read") from None
        try:
            transform = self._transforms[name]
        except KeyError:
            transform = self._transforms[name] = _without_identity_parts(transform_to(self._constraints[name]))
        constrained = unconstrained if transform is None else transform(unconstrained)
        # The optimiser needs the leaf tensor behind a constrained value.
        constrained.unconstrained = weakref.ref(unconstrained)
        return constrained

    def __setitem__(self, name: str, constrained_value: torch.Tensor) -> None:
        constraint = self._constraints.setdefault(name, constraints.real)
        with torch.no_grad():
            unconstrained = transform_to(constraint).inv(constrained_value.detach())
            self._store_unconstrained(name, unconstrained)

    def _store_unconstrained(self, name: str, unconstrained: torch.Tensor) -> None:
        # clone: the store owns its tensor; optimiser steps must not write
        # into the caller's init_value.
        leaf = unconstrained.detach().clone().contiguous().requires_grad_(True)
        old = self._params.get(name)
        if old is not None:
            self._param_to_name.pop(old, None)
        self._transforms.pop(name, None)
        self._params[name] = leaf
        self._param_to_name[leaf] = name

    def adopt(self, name: str, parameter: torch.Tensor) -> None:
        """Keep ``parameter`` itself (an ``nn.Module``'s weight) as the unconstrained value of
        ``name``: the optimiser then trains the module in place, as ``pyro.module`` does."""
        if name not in self._params:
            self._constraints[name] = constraints.real
            self._params[name] = parameter
            self._param_to_name[parameter] = name

    def __delitem__(self, name: str) -> None:
        self._param_to_name.pop(self._params.pop(name), None)
        self._transforms.pop(name, None)
        del self._constraints[name]

    def setdefault(self, name: str, init_value: Union[torch.Tensor, Callable[[], torch.Tensor]],
                   constraint: constraints.Constraint = constraints.real) -> torch.Tensor:
        """The stored value, initialising it from ``init_value`` the first time."""
        if name not in self._params:
            if callable(init_value):
                init_value = init_value()
            if not isinstance(init_value, torch.Tensor):
                raise SiteError(name, f"param init_value must be a tensor, got {type(init_value).__name__}")
            self._constraints[name] = constraint
            self[name] = init_value
            if not torch.isfinite(self._params[name]).all():
                del self[name]
                raise SiteError(name, f"param init_value lies outside its constraint {constraint}")
        return self[name]

    def get_param(self, name: str, init_value=None, constraint=constraints.real, event_dim=None):
        """What ``param()`` computes by default: read, or initialise then read."""
        if init_value is None:
            return self[name]
        return self.setdefault(name, init_value, constraint)

    def named_parameters(self):
        """``(name, unconstrained leaf tensor)`` pairs, as optimisers see them."""
        return self._params.items()

    def get_all_param_names(self):
        return list(self._params)

    def param_name(self, unconstrained: torch.Tensor):
        return self._param_to_name.get(unconstrained)

    def constraint(self, name: str) -> constraints.Constraint:
        return self._constraints[name]

    def restore(self, snapshot: dict) -> None:
        """Put back a ``{name: (constraint, unconstrained leaf)}`` snapshot taken from
        :meth:`named_parameters`: params made since are dropped, replaced ones come back
        as the very tensors they were (an optimiser's state is keyed by them)."""
        for name in [name for name in self._params if name not in snapshot]:
            del self[name]
        for name, (constraint, leaf) in snapshot.items():
            if self._params.get(name) is not leaf:
                self._param_to_name.pop(self._params.get(name), None)
                self._params[name], self._constraints[name] = leaf, constraint
                self._param_to_name[leaf] = name
                self._transforms.pop(name, None)

    # Saving: tensors, strings and lists only, so loading works with
    # torch.load(weights_only=True) and never unpickles arbitrary objects.
    def get_state(self) -> dict:
        return {
            "params": {name: value.detach().clone() for name, value in self._params.items()},
            "constraints": {name: _constraint_to_spec(name, c) for name, c in self._constraints.items()},
        }

    def set_state(self, state: dict) -> None:
        if not isinstance(state, dict) or set(state) != {"params", "constraints"}:
            raise ValueError("not a minipyro param store state: expected the keys 'params' and 'constraints'")
        params, specs = state["params"], state["constraints"]
        if not isinstance(params, dict) or not isinstance(specs, dict) or set(params) != set(specs):
            raise ValueError("param store state: 'params' and 'constraints' must name the same params")
        loaded = {}
        for name, value in params.items():
            if not isinstance(name, str) or not isinstance(value, torch.Tensor) or not value.is_floating_point():
                raise ValueError(f"param store state: entry {name!r} is not a floating-point tensor")
            loaded[name] = (value, _constraint_from_spec(name, specs[name]))
        for name, (value, constraint) in loaded.items():
            self._constraints[name] = constraint
            self._store_unconstrained(name, value)

    def save(self, path) -> None:
        torch.save(self.get_state(), path)

    def load(self, path) -> None:
        """Load params saved by :meth:`save`, adding to (and overwriting) the store."""
        try:
            state = torch.load(path, weights_only=True, map_location="cpu")
        except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError...
            raise ValueError(f"{path}: not a minipyro param file ({error})") from error
        self.set_state(state)


PARAM_STORE = ParamStore()


def get_param_store() -> ParamStore:
    return PARAM_STORE


def clear_param_store() -> None:
    """Forget every param, as ``pyro.clear_param_store()`` does."""
    PARAM_STORE.clear()
