"""Optimisers that create a torch optimiser per parameter, on first sight.

Models create parameters while they run, so the optimiser cannot be given a
parameter list up front (as ``torch.optim`` expects). Like ``pyro.optim``,
each wrapper keeps one torch optimiser for each unconstrained tensor.
"""

from __future__ import annotations

import inspect
import math

import torch

from .params import PARAM_STORE


class PyroOptim:
    """Wrap a torch optimiser class with Pyro's argument conventions.

    ``optim_args`` is a dict of the torch optimiser's arguments, or a function
    of the param name returning such a dict (per-parameter settings).
    """

    def __init__(self, optim_constructor, optim_args):
        if not (isinstance(optim_args, dict) or callable(optim_args)):
            raise TypeError(f"{type(self).__name__}: optim_args must be a dict or a function "
                            f"of the param name, got {type(optim_args).__name__}")
        self.optim_constructor = optim_constructor
        self.optim_args = optim_args
        self.optim_objs: dict[torch.Tensor, torch.optim.Optimizer] = {}

    def _args_for(self, param: torch.Tensor) -> dict:
        if isinstance(self.optim_args, dict):
            return self.optim_args
        name = PARAM_STORE.param_name(param)
        if len(inspect.signature(self.optim_args).parameters) == 2:  # Pyro's older (module, param) form
            args = self.optim_args(None, name)
        else:
            args = self.optim_args(name)
        if not isinstance(args, dict):
            raise TypeError(f"per-param optim_args for '{name}' must return a dict, got {type(args).__name__}")
        return args

    def __call__(self, params) -> None:
        """Take one step for each parameter in ``params``."""
        for param in params:
            optim = self.optim_objs.get(param)
            if optim is None:
                optim = self.optim_objs[param] = self.optim_constructor([param], **self._args_for(param))
            optim.step()

    def get_state(self) -> dict:
        return {PARAM_STORE.param_name(p): optim.state_dict() for p, optim in self.optim_objs.items()}


class Adam(PyroOptim):
    """``torch.optim.Adam``, one per parameter: ``Adam({"lr": 0.01})``."""

    def __init__(self, optim_args):
        super().__init__(torch.optim.Adam, optim_args)


class SGD(PyroOptim):
    """``torch.optim.SGD``, one per parameter: ``SGD({"lr": 0.01, "momentum": 0.9})``."""

    def __init__(self, optim_args):
        super().__init__(torch.optim.SGD, optim_args)


class ClippedAdam(PyroOptim):
    """Adam with each gradient clamped to ``clip_norm`` and the learning rate
    multiplied by ``lrd`` every step, as ``pyro.optim.ClippedAdam``."""

    def __init__(self, optim_args):
        super().__init__(_ClippedAdam, optim_args)


class _ClippedAdam(torch.optim.Optimizer):
    """The torch optimiser behind :class:`ClippedAdam` (Pyro's algorithm, step for step)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 clip_norm=10.0, lrd=1.0, centered_variance=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, clip_norm=clip_norm,
                        lrd=lrd, centered_variance=centered_variance)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            group["lr"] *= group["lrd"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                grad.clamp_(-group["clip_norm"], group["clip_norm"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(grad)
                    state["exp_avg_sq"] = torch.zeros_like(grad)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                grad_var = grad - exp_avg if group["centered_variance"] else grad
                exp_avg_sq.mul_(beta2).addcmul_(grad_var, grad_var, value=1 - beta2)
                denom = exp_avg_sq.sqrt().add_(group["eps"])
                bias_correction1 = 1 - beta1 ** state["step"]
                bias_correction2 = 1 - beta2 ** state["step"]
                step_size = group["lr"] * math.sqrt(bias_correction2) / bias_correction1
                p.addcdiv_(exp_avg, denom, value=-step_size)
