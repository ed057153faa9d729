"""The NaN watch: what only live tensors tell, added to the recorder's ``msg_end`` events.

A recorder with a watch (``Recorder.watch``) gives each sample site's ``msg_end`` these
optional fields, which the model-free analysis (:mod:`.problems`) reads:

- ``plates``: the plates around the site as the handlers left them (``{"plate", "dim", "size"}``;
  ``msg_start`` is too early to show them);
- ``log_prob_sum``: the site's log-density summed as the ELBO sums it (masked, scaled), a float
  or ``"nan"``/``"inf"``/``"-inf"``;
- ``cause`` (only when the value or the log-density is not finite): the distribution's arguments
  outside their constraints (``{"dist": "Normal", "bad_args": {"scale": -0.03}, "params":
  ["noise"], "validation": False}``), ``params`` being the params those arguments were computed
  from (read off the autograd graph);
- ``support_outside`` (a latent site's second message in one SVI step, the model's after the
  guide's): ``{"guide": "Real()", "model": "GreaterThan(lower_bound=0.0)"}`` when the guide's
  support is not inside the model's;
- and on ``svi_step``, ``site_elbo``: each sample site's share of the ELBO in that step, its
  model log p minus its guide log q (a latent's first message in a step is the guide's);
- ``infer``: the site's ``infer`` entries that change what a guide must cover (``enumerate``,
  ``is_auxiliary``), when set.

The watch is passive: it draws no random number and builds no autograd graph. It costs one
``log_prob`` per sample site; with no watch the recorder does not call it at all.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch.distributions import constraints

from .summary import plain_float

MAX_SNAPSHOT = 4096  # a param up to this many elements is copied when read (lazy): see _as_read
INFER_FLAGS = ("enumerate", "is_auxiliary")  # a site the guide need not have, or the model need not
MAX_GRAPH_NODES = 5000  # how far back the autograd graph is walked to find a value's params


class NanWatch:
    """``eager``: every sample site's log-density at its ``msg_end`` (the fields above, and the
    per-site ELBO); else lazy: the step's sites are only kept, and looked at when the step's loss
    is not finite, the first non-finite one reported on ``svi_step`` as ``nonfinite_site``
    (``{"site", "what", "value", "cause"}``). Lazy costs a list append per message: cheap enough
    for every SVI run, even one whose messages go unrecorded."""

    def __init__(self, guide_first: bool = True, eager: bool = True):
        """``guide_first``: a latent's first message in a step is the guide's (as SVI runs them);
        False for a trace of the model, then the guide."""
        self.guide_first = guide_first
        self.eager = eager
        self._step_sites: dict = {}  # name -> the fn of its first sample message in this SVI step
        self._params: dict = {}  # param name -> its latest value, for the params a NaN came from
        self._terms: dict = {}  # site name -> [log-densities of its messages in this step, in order]
        self._model_started = False  # this step has reached the model (a site seen again, or observed)
        self._kept: list = []  # lazy: this step's sample messages (name, fn, value, mask, scale)
        self._snapshots: list = []  # lazy: (param tensor, its values when read) for the leaf params read

    def step_ended(self, loss: float) -> dict:
        """The ``svi_step`` event's fields (eager: ``site_elbo``; lazy: ``nonfinite_site`` when the
        loss is not finite), then a fresh step."""
        fields = {"site_elbo": self._site_elbo()} if self.eager else {}
        if not self.eager and not math.isfinite(loss):
            with self._as_read():
                found = self._first_non_finite()
            if found:
                fields["nonfinite_site"] = found
        self._terms, self._kept, self._snapshots = {}, [], []
        self._model_started = False
        self._step_sites.clear()
        return fields

    def _site_elbo(self) -> dict:
        terms = {}
        for name, ((first, in_model), *later) in self._terms.items():
            if later:  # the guide's message, then the model's
                terms[name] = plain_float(later[-1] - first)
            else:  # one message: the model's (observed, or a latent the guide lacks), or a guide-only site's
                terms[name] = plain_float(first if in_model else -first)
        return terms

    @contextlib.contextmanager
    def _as_read(self):
        """The params as the step read them: the optimiser has updated them in place since, so
        their copies are put back while the step's sites are looked at, then the new values again."""
        with torch.no_grad():
            now = [(param, param.clone()) for param, _ in self._snapshots]
            for param, read in self._snapshots:
                param.copy_(read)
            try:
                yield
            finally:
                for param, new in now:
                    param.copy_(new)

    def _first_non_finite(self) -> dict | None:
        for name, fn, value, mask, scale in self._kept:
            what, bad = ("value", plain_float(float("nan"))) if not _finite(value) else (None, None)
            if what is None:
                total = _log_prob_sum(fn, value, mask, scale)
                if total is None or math.isfinite(total):
                    continue
                what, bad = "log_prob", plain_float(total)
            return {"site": name, "what": what, "value": bad, "cause": self._cause(fn)}
        return None

    def message_end(self, msg) -> dict:
        if msg["type"] == "param":
            value = self._params[msg["name"]] = msg["value"]
            if not self.eager and isinstance(value, torch.Tensor) and value.grad_fn is None \
                    and value.numel() <= MAX_SNAPSHOT:
                self._snapshots.append((value, value.detach().clone()))
            return {}
        fn, value = msg["fn"], msg["value"]
        if msg["type"] != "sample" or not isinstance(fn, torch.distributions.Distribution) \
                or not isinstance(value, torch.Tensor):
            return {}
        if not self.eager:
            self._kept.append((msg["name"], fn, value, msg["mask"], msg["scale"]))
            return {}
        fields = {"plates": [{"plate": f.name, "dim": f.dim, "size": f.size} for f in msg["cond_indep_stack"]]}
        infer = msg.get("infer") or {}
        flags = {key: infer[key] if isinstance(infer[key], (str, bool)) else str(infer[key])
                 for key in INFER_FLAGS if infer.get(key)}
        if flags:
            fields["infer"] = flags
        log_prob_sum = _log_prob_sum(fn, value, msg["mask"], msg["scale"])
        if log_prob_sum is not None:
            fields["log_prob_sum"] = plain_float(log_prob_sum)
            self._add_term(msg["name"], log_prob_sum, msg["is_observed"])
        if (log_prob_sum is not None and not math.isfinite(log_prob_sum)) or not _finite(value):
            fields["cause"] = self._cause(fn)
        name = msg["name"]
        first = self._step_sites.get(name)
        if first is None:
            self._step_sites[name] = fn
        elif not msg["is_observed"]:
            guide_fn, model_fn = (first, fn) if self.guide_first else (fn, first)
            outside = support_outside(guide_fn, model_fn, value)
            if outside:
                fields["support_outside"] = outside
        return fields

    def _add_term(self, name, log_prob_sum: float, observed: bool) -> None:
        seen = self._terms.get(name)
        if seen is None:
            self._model_started = self._model_started or observed
            self._terms[name] = [(log_prob_sum, self._model_started or not self.guide_first)]
        else:
            self._model_started = True
            seen.append(log_prob_sum)

    def _param_of_leaf(self) -> dict:
        """id(leaf tensor) -> param name, for the params seen (walked only when a cause is wanted)."""
        leaves = {}
        for name, value in self._params.items():
            if isinstance(value, torch.Tensor):
                for leaf in _leaves(value):
                    leaves[id(leaf)] = name
        return leaves

    def _cause(self, fn) -> dict:
        # The arguments are checked on the innermost distribution (a LogNormal's loc and scale
        # are its base Normal's); the name is the one the user wrote, under .expand()/.to_event().
        named = fn
        while type(named).__name__ in _WRAPPERS and getattr(named, "base_dist", None) is not None:
            named = named.base_dist
        base = named
        while getattr(base, "base_dist", None) is not None:
            base = base.base_dist
        bad, params, param_of_leaf = {}, [], None
        for name, constraint in getattr(base, "arg_constraints", {}).items():
            arg = base.__dict__.get(name)
            if not isinstance(arg, torch.Tensor) or isinstance(constraint, constraints._Dependent):
                continue
            with torch.no_grad():
                try:
                    ok = constraint.check(arg)
                except (RuntimeError, ValueError, TypeError):
                    continue
                ok = ok & torch.isfinite(arg) if arg.is_floating_point() else ok
                if bool(ok.all()):
                    continue
                bad[name] = plain_float(float(arg.detach().reshape(-1)[~ok.reshape(-1)][0]))
            param_of_leaf = self._param_of_leaf() if param_of_leaf is None else param_of_leaf
            for leaf in _leaves(arg):
                param = param_of_leaf.get(id(leaf))
                if param is not None and param not in params:
                    params.append(param)
        return {"dist": type(named).__name__, "bad_args": bad, "params": params,
                "validation": bool(torch.distributions.Distribution._validate_args)}


_WRAPPERS = ("Independent", "ExpandedDistribution", "MaskedDistribution")

def _finite(value: torch.Tensor) -> bool:
    if not value.is_floating_point():
        return True
    with torch.no_grad():
        return bool(torch.isfinite(value).all())


def _log_prob_sum(fn, value, mask, scale):
    """The site's log-density summed as an ELBO sums it, or None when it cannot be computed
    (validation refusing the value: the run itself reports that)."""
    with torch.no_grad():
        try:
            log_prob = fn.log_prob(value)
        except (ValueError, RuntimeError, NotImplementedError, TypeError):
            return None
        if isinstance(mask, torch.Tensor):
            log_prob = torch.where(mask, log_prob, log_prob.new_zeros(()))
        elif mask is False:
            return 0.0
        total = log_prob.sum() * scale
        return float(total)


def _leaves(tensor: torch.Tensor) -> list:
    """The leaf tensors ``tensor`` was computed from (itself when it is one)."""
    if tensor.grad_fn is None:
        return [tensor] if tensor.requires_grad else []
    leaves, seen, todo = [], set(), [tensor.grad_fn]
    while todo and len(seen) < MAX_GRAPH_NODES:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.append(variable)
        todo.extend(next_node for next_node, _ in node.next_functions)
    return leaves


def _unwrap(constraint):
    while isinstance(constraint, constraints.independent):
        constraint = constraint.base_constraint
    return constraint


def _lower(constraint):
    """The lower bound of a constraint bounded below only, or None."""
    if isinstance(constraint, (constraints.greater_than, constraints.greater_than_eq)):
        return float(constraint.lower_bound)
    return None


def support_inside(inner, outer) -> bool | None:
    """Whether every point of ``inner`` lies in ``outer``; None when the constraints say too
    little to tell (then nothing is reported)."""
    inner, outer = _unwrap(inner), _unwrap(outer)
    if isinstance(inner, constraints._Dependent) or isinstance(outer, constraints._Dependent):
        return None
    if inner == outer or type(inner) is type(outer) and repr(inner) == repr(outer):
        return True
    if outer is constraints.real or type(outer) is type(constraints.real):
        return not inner.is_discrete or None
    if type(inner) is type(constraints.real):
        return False
    low_outer = _lower(outer)
    if low_outer is not None:
        low_inner = _lower(inner)
        if low_inner is None and isinstance(inner, (constraints.interval, constraints.half_open_interval)):
            low_inner = float(inner.lower_bound)
        if low_inner is None:
            return None
        return low_inner >= low_outer  # an open or closed end differs by a point only
    if isinstance(outer, (constraints.interval, constraints.half_open_interval)) \
            and isinstance(inner, (constraints.interval, constraints.half_open_interval)):
        return float(outer.lower_bound) <= float(inner.lower_bound) and \
            float(inner.upper_bound) <= float(outer.upper_bound)
    if _lower(inner) is not None and isinstance(outer, (constraints.interval, constraints.half_open_interval)):
        return False  # unbounded above, bounded above
    return None


def support_outside(guide_fn, model_fn, value) -> dict | None:
    """``{"guide", "model"}`` supports when the guide's is not inside the model's, else None.
    A guide that names no support of its own (a point mass, ``Delta``) is judged by its value."""
    try:
        guide_support, model_support = guide_fn.support, model_fn.support
    except NotImplementedError:
        return None
    if type(guide_fn).__name__ == "Delta":
        with torch.no_grad():
            try:
                inside = bool(model_support.check(value).all())
            except (RuntimeError, ValueError, TypeError):
                return None
    else:
        inside = support_inside(guide_support, model_support)
    if inside is None or inside:
        return None
    return {"guide": _name(guide_support), "model": _name(model_support)}


def _name(constraint) -> str:
    """A support in words: "the real line", "x > 0", "0 < x < 1", else its repr."""
    constraint = _unwrap(constraint)
    if type(constraint) is type(constraints.real):
        return "the real line"
    if isinstance(constraint, constraints.greater_than):
        return f"x > {float(constraint.lower_bound):g}"
    if isinstance(constraint, constraints.greater_than_eq):
        return f"x >= {float(constraint.lower_bound):g}"
    if isinstance(constraint, (constraints.interval, constraints.half_open_interval)):
        return f"{float(constraint.lower_bound):g} < x < {float(constraint.upper_bound):g}"
    return repr(constraint)
