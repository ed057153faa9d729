"""Stochastic variational inference: the ELBO and SVI.

The ELBO estimates ``E_q[log p(x, z) - log q(z)]`` from one guide sample:
run the guide under ``trace``, then the model under ``trace(replay(...))`` so
that it scores the guide's values. SVI differentiates a *surrogate* of that
estimate and takes an optimiser step. The numbers match ``pyro.infer`` term
for term, including the score-function terms of non-reparameterised sites.
"""

from __future__ import annotations

import math
import os
import sys
import warnings

import torch
from pyro.distributions import is_validation_enabled as validation_enabled_now
from pyro.distributions.score_parts import ScoreParts
from pyro.distributions.util import scale_and_mask
from torch.distributions import kl_divergence

from .handlers import _is_scaled_or_masked, _site_failure, block, replay, site_log_prob, total_of, trace
from .params import PARAM_STORE
from .primitives import is_subsample_site, param, validation_off
from . import runtime
from .runtime import SiteError


def _score_parts(site) -> ScoreParts:
    """Split the guide's log-density into what is differentiated how.

    A reparameterised sample carries gradients through its value, so its log q
    is an ``entropy_term``; a non-reparameterised one needs the score-function
    estimator, so its log q multiplies the (detached) downstream cost.
    """
    if "score_parts" not in site:
        fn = site["fn"]
        try:
            if hasattr(fn, "score_parts"):
                parts = fn.score_parts(site["value"])
            else:  # a plain torch distribution
                log_p = fn.log_prob(site["value"])
                parts = ScoreParts(log_p, 0, log_p) if fn.has_rsample else ScoreParts(log_p, log_p, 0)
        except (ValueError, RuntimeError) as error:
            raise _site_failure(site, error) from error
        site["unscaled_log_prob"] = parts.log_prob
        if _is_scaled_or_masked(site):
            parts = parts.scale_and_mask(site["scale"], site["mask"])
        site["score_parts"] = parts
        site["log_prob"] = parts.log_prob
        site["log_prob_sum"] = total_of(parts.log_prob)
    return site["score_parts"]


def _plus(total, term):
    return term if total is None else total + term


def _minus(total, term):
    return -term if total is None else total - term


def _is_zero(x) -> bool:
    return isinstance(x, (int, float)) and x == 0


# Traces for the ELBO ---------------------------------------------------------

def importance_traces(model, guide, args, kwargs):
    """Trace the guide, then the model replayed against it, with log-densities computed."""
    guide_trace = trace(guide).get_trace(*args, **kwargs)
    model_trace = trace(replay(model, trace=guide_trace)).get_trace(*args, **kwargs)
    # A latent the guide forgot was sampled from its prior by the model: Pyro warns and goes on.
    forgotten = {name for name, site in model_trace.items() if site["type"] == "sample" and
                 not site["is_observed"] and not is_subsample_site(site) and name not in guide_trace}
    if forgotten and validation_enabled_now():
        warnings.warn(f"Found vars in model but not guide: {forgotten}", stacklevel=4)
    for tr in (guide_trace, model_trace):
        for name, site in list(tr.items()):
            if site["type"] != "sample":
                continue
            if is_subsample_site(site):
                del tr[name]  # a plate's indices, not a random variable of the model
            elif tr is model_trace:
                site_log_prob(site)
            else:
                _score_parts(site)
    return model_trace, guide_trace


def _downstream_costs(model_trace, guide_trace) -> dict:
    """``log p - log q`` per site, detached, grouped by the set of plates around it."""
    costs: dict[frozenset, torch.Tensor] = {}
    for name, site in model_trace.items():
        if site["type"] != "sample":
            continue
        cost = site["log_prob"]
        if not site["is_observed"] and name in guide_trace:
            cost = cost - guide_trace[name]["log_prob"]
        frames = frozenset(f for f in site["cond_indep_stack"] if f.vectorized)
        costs[frames] = costs[frames] + cost.detach() if frames in costs else cost.detach()
    return costs


def _sum_to(costs: dict, target_stack) -> torch.Tensor:
    """Sum the costs over every plate not in ``target_stack`` (Pyro's MultiFrameTensor.sum_to)."""
    total = None
    for frames, value in costs.items():
        for frame in frames:
            if frame not in target_stack and value.shape[frame.dim] != 1:
                value = value.sum(frame.dim, True)
        while value.shape and value.shape[0] == 1:
            value = value.squeeze(0)
        total = value if total is None else total + value
    return 0.0 if total is None else total


class Trace_ELBO:
    """The ELBO with Pyro's estimator: pathwise gradients where the guide is
    reparameterised, score-function (REINFORCE) terms where it is not.

    ``loss`` gives a float, ``differentiable_loss`` a tensor, and
    ``loss_and_grads`` (what SVI calls) a float after back-propagating.
    """

    def __init__(self, num_particles: int = 1, max_plate_nesting=float("inf"),
                 vectorize_particles: bool = False, ignore_jit_warnings: bool = False,
                 retain_graph=None, strict_enumeration_warning: bool = True, jit_options=None):
        if not isinstance(num_particles, int) or num_particles < 1:
            raise ValueError(f"num_particles must be a positive int, got {num_particles!r}")
        if vectorize_particles:
            raise NotImplementedError("vectorize_particles is not supported by minipyro; "
                                      "use num_particles without it")
        self.num_particles = num_particles
        self.max_plate_nesting = max_plate_nesting
        self.ignore_jit_warnings = ignore_jit_warnings
        self.retain_graph = retain_graph

    def _particle(self, model_trace, guide_trace):
        """One sample's (loss as a float, surrogate loss as a tensor)."""
        elbo = 0.0  # a Python float, accumulated in Pyro's order, for the reported loss
        for site in model_trace.values():
            if site["type"] == "sample":
                elbo += site["log_prob_sum"].item()
        # The surrogate loss is built negated from the start, guide terms first, so that
        # no extra negation op enters the graph (its gradient is the same either way).
        surrogate_loss = None
        costs = None
        for site in guide_trace.values():
            if site["type"] == "sample":
                _, score_function, entropy_term = site["score_parts"]
                elbo -= site["log_prob_sum"].item()
                if not _is_zero(entropy_term):
                    # Unscaled and unmasked, the entropy term is log q itself: reuse its sum.
                    entropy = site["log_prob_sum"] if entropy_term is site["log_prob"] else entropy_term.sum()
                    surrogate_loss = _plus(surrogate_loss, entropy)
                if not _is_zero(score_function):
                    if costs is None:
                        costs = _downstream_costs(model_trace, guide_trace)
                    downstream = _sum_to(costs, site["cond_indep_stack"])
                    surrogate_loss = _minus(surrogate_loss, (downstream * score_function).sum())
        for site in model_trace.values():
            if site["type"] == "sample":
                surrogate_loss = _minus(surrogate_loss, site["log_prob_sum"])
        return -elbo, (0.0 if surrogate_loss is None else surrogate_loss)

    def _particles(self, model, guide, args, kwargs):
        for _ in range(self.num_particles):
            model_trace, guide_trace = importance_traces(model, guide, args, kwargs)
            yield model_trace, guide_trace, self._particle(model_trace, guide_trace)

    def loss(self, model, guide, *args, **kwargs) -> float:
        loss = 0.0
        with torch.no_grad():
            for _, _, (particle_loss, _) in self._particles(model, guide, args, kwargs):
                loss += particle_loss / self.num_particles
        return _warn_if_nan(loss)

    def differentiable_loss(self, model, guide, *args, **kwargs) -> torch.Tensor:
        loss = 0.0
        surrogate = 0.0
        for _, _, (particle_loss, particle_surrogate) in self._particles(model, guide, args, kwargs):
            loss += particle_loss / self.num_particles
            surrogate = surrogate + particle_surrogate / self.num_particles
        if not isinstance(surrogate, torch.Tensor):
            return torch.tensor(_warn_if_nan(loss))
        # The value of the true loss, the gradient of the surrogate.
        return loss + (surrogate - surrogate.item())

    def loss_and_grads(self, model, guide, *args, **kwargs) -> float:
        loss = 0.0
        for model_trace, guide_trace, (particle_loss, surrogate) in self._particles(model, guide, args, kwargs):
            loss += particle_loss / self.num_particles
            has_params = any(site["type"] == "param" for tr in (model_trace, guide_trace) for site in tr.values())
            if has_params and getattr(surrogate, "requires_grad", False):
                if self.num_particles > 1:  # dividing by one would cost an op, forward and backward
                    surrogate = surrogate / self.num_particles
                surrogate.backward(retain_graph=self.retain_graph)
        return _warn_if_nan(loss)

    # minipyro's convention: the loss is a function returning a differentiable tensor.
    def __call__(self, model, guide, *args, **kwargs) -> torch.Tensor:
        return self.differentiable_loss(model, guide, *args, **kwargs)


def elbo(model, guide, *args, **kwargs) -> torch.Tensor:
    """The negative ELBO of one guide sample, as a differentiable tensor: minipyro's ``elbo``.

    This is the whole algorithm; :class:`Trace_ELBO` computes the same number
    faster (and adds score-function terms, which this leaves out, for guide
    sites that cannot be reparameterised).
    """
    # Run the guide, recording its random choices...
    guide_trace = trace(guide).get_trace(*args, **kwargs)
    # ...then the model, replaying the guide's choices for its latent sites.
    model_trace = trace(replay(model, trace=guide_trace)).get_trace(*args, **kwargs)
    # log p(x, z) - log q(z), each site's log-density scaled and masked as its handlers say.
    elbo = 0.0
    for site in model_trace.values():
        if site["type"] == "sample" and not is_subsample_site(site):
            elbo = elbo + site_log_prob(site).sum()
    for site in guide_trace.values():
        if site["type"] == "sample" and not is_subsample_site(site):
            elbo = elbo - site_log_prob(site).sum()
    # Minimising the loss maximises the ELBO.
    return -elbo


class TraceMeanField_ELBO(Trace_ELBO):
    """The ELBO with ``KL(q || p)`` computed analytically where torch knows it.

    For a mean-field guide (each latent's guide independent of the others)
    this has lower variance. Every guide site must be reparameterised.
    """

    def _particle(self, model_trace, guide_trace):
        elbo = 0.0
        for name, model_site in model_trace.items():
            if model_site["type"] != "sample":
                continue
            if model_site["is_observed"]:
                elbo = elbo + model_site["log_prob_sum"]
                continue
            guide_site = guide_trace[name]
            _check_reparameterised(guide_site)
            try:
                kl = kl_divergence(guide_site["fn"], model_site["fn"])
            except NotImplementedError:
                elbo = elbo + model_site["log_prob_sum"] - guide_site["score_parts"].entropy_term.sum()
                continue
            kl = scale_and_mask(kl, scale=guide_site["scale"], mask=guide_site["mask"])
            if isinstance(kl, torch.Tensor):
                kl_sum = kl.sum()
            else:
                kl_sum = kl * torch.Size(guide_site["fn"].batch_shape).numel()
            elbo = elbo - kl_sum
        for name, guide_site in guide_trace.items():
            if guide_site["type"] == "sample" and name not in model_trace:
                _check_reparameterised(guide_site)
                elbo = elbo - guide_site["score_parts"].entropy_term.sum()
        loss = -(elbo.item() if isinstance(elbo, torch.Tensor) else elbo)
        return loss, -elbo


def _check_reparameterised(guide_site) -> None:
    if not _is_zero(guide_site["score_parts"].score_function):
        raise SiteError(guide_site["name"], "TraceMeanField_ELBO needs a reparameterised guide "
                                            "distribution here; use Trace_ELBO instead")


class JitTrace_ELBO(Trace_ELBO):
    """Trace_ELBO compiled with ``torch.jit.trace`` on its first call.

    Parameters and positional arguments (tensors) are inputs of the compiled
    function, so their new values are seen at every step. Keyword arguments
    are baked in, as in Pyro's ``pyro.ops.jit``: each distinct set of them is
    compiled once. The model's structure must not change between steps.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._compiled = {}  # (number of args, kwargs key) -> (param names, compiled function)

    def _loss_and_surrogate(self, model, guide, *args, **kwargs):
        if not all(isinstance(arg, torch.Tensor) for arg in args):
            raise NotImplementedError("JitTrace_ELBO takes tensors as positional arguments; pass other "
                                      "values by keyword (they are compiled in) or use Trace_ELBO")
        key = (len(args), _kwargs_key(kwargs))
        if key not in self._compiled:
            self._compiled[key] = self._compile(model, guide, args, kwargs)
        param_names, compiled = self._compiled[key]
        # Reading the params through param() lets SVI see (and optimise) them.
        params = tuple(param(name).unconstrained() for name in param_names)
        return compiled(*(params + args))

    def _compile(self, model, guide, args, kwargs):
        # Run once to create every param and learn their names.
        with block(), trace(param_only=True) as params_seen, block(hide_fn=lambda m: m["type"] != "param"):
            self.loss(model, guide, *args, **kwargs)
        param_names = list(params_seen)
        params = tuple(param(name).unconstrained() for name in param_names)

        def compiled(*params_and_args):
            model_args = params_and_args[len(params):]
            loss = 0.0
            surrogate = 0.0
            for _ in range(self.num_particles):
                model_trace, guide_trace = importance_traces(model, guide, model_args, kwargs)
                particle_loss = sum(site["log_prob_sum"] for site in model_trace.values()
                                    if site["type"] == "sample") \
                    - sum(site["log_prob_sum"] for site in guide_trace.values() if site["type"] == "sample")
                _, particle_surrogate = self._particle(model_trace, guide_trace)
                loss = loss - particle_loss / self.num_particles
                surrogate = surrogate + particle_surrogate / self.num_particles
            return torch.as_tensor(loss), torch.as_tensor(surrogate)

        with validation_off(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            return param_names, torch.jit.trace(compiled, params + args, check_trace=False)

    def loss_and_grads(self, model, guide, *args, **kwargs) -> float:
        loss, surrogate = self._loss_and_surrogate(model, guide, *args, **kwargs)
        if surrogate.requires_grad:
            surrogate.backward(retain_graph=self.retain_graph)
        return _warn_if_nan(loss.item())

    def differentiable_loss(self, model, guide, *args, **kwargs) -> torch.Tensor:
        loss, surrogate = self._loss_and_surrogate(model, guide, *args, **kwargs)
        return loss + (surrogate - surrogate.detach())


def _kwargs_key(kwargs: dict):
    """A hashable stand-in for keyword arguments: lists as tuples, unhashable objects by identity."""
    def hashable(value):
        if isinstance(value, (list, tuple)):
            return tuple(hashable(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((k, hashable(v)) for k, v in value.items()))
        try:
            hash(value)
            return value
        except TypeError:
            return id(value)

    return tuple(sorted((name, hashable(value)) for name, value in kwargs.items()))


def _norm(grad) -> float:
    if grad is None:
        return 0.0
    return abs(grad.item()) if grad.numel() == 1 else grad.norm().item()


def _warn_if_nan(loss: float) -> float:
    if math.isnan(loss):
        warnings.warn("Encountered NaN: loss", RuntimeWarning, stacklevel=_levels_to_caller())
    return loss


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_RUNNER_DIR = os.path.join(_PACKAGE_DIR, "runner") + os.sep  # its SVI loop is the user's loop, run for them


def _levels_to_caller() -> int:
    """The ``stacklevel`` that names the training loop's line (the user's ``svi.step`` or
    ``elbo.loss`` call, or the runner's), however many of minipyro's frames (an observer's
    wrappers too) lie between."""
    level, frame = 2, sys._getframe(2)  # stacklevel 1 is _warn_if_nan, 2 its caller (an ELBO method)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR) or filename.startswith(_RUNNER_DIR):
            return level
        level, frame = level + 1, frame.f_back
    return 3


class SVI:
    """Stochastic variational inference: ``SVI(model, guide, optim, loss).step(*args)``.

    ``loss`` is a Trace_ELBO-like object or, as in minipyro, a function
    ``loss(model, guide, *args, **kwargs)`` returning a differentiable tensor.
    """

    def __init__(self, model, guide, optim, loss, **kwargs):
        if kwargs:
            raise TypeError(f"SVI got unsupported arguments: {', '.join(sorted(kwargs))}")
        if not callable(optim):
            raise TypeError(f"SVI: optim must be a minipyro optimiser such as Adam({{'lr': 0.01}}), got {optim!r}")
        self.model = model
        self.guide = guide
        self.optim = optim
        self.loss = loss
        self.num_steps = 0

    def step(self, *args, **kwargs) -> float:
        """Take one gradient step; return the loss before the step."""
        # Record every param read while computing the loss: those are what we train.
        with trace(param_only=True) as param_capture:
            if hasattr(self.loss, "loss_and_grads"):
                loss = self.loss.loss_and_grads(self.model, self.guide, *args, **kwargs)
            else:
                loss = self.loss(self.model, self.guide, *args, **kwargs)
                loss.backward()
        params = [site["value"].unconstrained() for site in param_capture.values()
                  if hasattr(site["value"], "unconstrained")]
        params = list(dict.fromkeys(p for p in params if p is not None))
        observer = runtime.get_observer()
        if observer is not None:
            grad_norms = {PARAM_STORE.param_name(p): _norm(p.grad) for p in params}
        self.optim(params)
        # Zero the gradients so that they do not accumulate across steps.
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
        self.num_steps += 1
        if observer is not None:
            if self.num_steps == 1:
                observer.traced("model", self.model, args, kwargs)
                observer.traced("guide", self.guide, args, kwargs)
            values = {name: PARAM_STORE[name] for name in grad_norms if name is not None}
            observer.svi_step(self.num_steps, float(loss), values, grad_norms)
        return float(loss)

    def evaluate_loss(self, *args, **kwargs) -> float:
        """The loss without a gradient step."""
        with torch.no_grad():
            if hasattr(self.loss, "loss"):
                return float(self.loss.loss(self.model, self.guide, *args, **kwargs))
            return float(self.loss(self.model, self.guide, *args, **kwargs))
