"""Optimisers for parameters that appear while the model runs.

Models create parameters as they run, so the optimiser cannot be given a
parameter list up front (as ``torch.optim`` expects). ``pyro.optim`` keeps
one torch optimiser per parameter. The numbers here are the same, but the
parameters of one step share a single torch optimiser (one param group per
distinct settings) whose per-parameter state persists across steps: one
``step()`` call instead of one per parameter, which matters for small models.
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
        self._states: dict[torch.Tensor, dict] = {}  # param -> its optimiser state, kept across steps
        self._args: dict[torch.Tensor, dict] = {}
        self._last_params: tuple = ()
        self._last_optim = None

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
        params = tuple(params)
        # By identity: == on tensors compares their elements.
        if len(params) != len(self._last_params) or any(a is not b for a, b in zip(params, self._last_params)):
            self._last_params, self._last_optim = params, self._optimiser_for(params)
        if params:
            self._last_optim.step()

    def _optimiser_for(self, params: tuple):
        groups: list[dict] = []
        for param in params:
            args = self._args.get(param)
            if args is None:
                args = self._args[param] = self._args_for(param)
            group = next((g for g in groups if g["args"] is args), None)
            if group is None:
                groups.append({"args": args, "params": [param]})
            else:
                group["params"].append(param)
        if not groups:
            return None
        optim = self.optim_constructor([{"params": g["params"], **g["args"]} for g in groups])
        for param in params:
            # The same dict object: torch updates it in place, so state carries over.
            optim.state[param] = self._states.setdefault(param, {})
        return optim

    def get_state(self) -> dict:
        """Each parameter's optimiser state, by param name."""
        return {PARAM_STORE.param_name(p): state for p, state in self._states.items()}


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
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                # Pyro decays each parameter's own optimiser's rate at every
                # step it takes part in, so the rate lives in its state.
                state["lr"] = state.get("lr", group["lr"]) * group["lrd"]
                if p.grad is None:
                    continue
                grad = p.grad
                grad.clamp_(-group["clip_norm"], group["clip_norm"])
                if "step" not in state:
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
                step_size = state["lr"] * math.sqrt(bias_correction2) / bias_correction1
                p.addcdiv_(exp_avg, denom, value=-step_size)
