"""The two engines a model file runs on: minipyro (the lessons' core) and full Pyro (Pyro mode).

Each says how a run starts from a clean state (DESIGN section 5: clear the param store, seed,
then import the file), how a model is traced, which optimisers and ELBOs a file's ``svi`` dict
may name, and how a traced run's structure is read.
"""

from __future__ import annotations

import contextlib


def _literal_kwargs(kwargs) -> dict:
    """A file's ``*_kwargs`` dict, lists standing for tuples (``betas: [0.9, 0.99]``)."""
    if not isinstance(kwargs, dict):
        raise ValueError(f"optimizer_kwargs and elbo_kwargs must be dicts, got {kwargs!r}")
    return {key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()}


class Minipyro:
    name = "minipyro"

    def reset(self, seed: int) -> None:
        import pyro.distributions

        import minipyro

        minipyro.get_param_store().clear()
        pyro.distributions.enable_validation(True)
        minipyro.set_rng_seed(seed)

    def loading(self, path, seed: int):
        """Where the file is imported: inside pyroapi's backend for a pyroapi-written file."""
        from .modelfile import backend_for

        @contextlib.contextmanager
        def context():
            import minipyro

            with backend_for(path):
                minipyro.set_rng_seed(seed)  # pyroapi's backend seeds with its own default
                yield

        return context()

    def trace(self, fn, args, kwargs):
        """``fn``'s trace: its sites by name, in order."""
        import minipyro

        return minipyro.trace(fn).get_trace(*args, **kwargs)

    def svi(self, model, guide, settings: dict):
        import minipyro

        from .modelfile import ELBOS, OPTIMIZERS

        optimizer, elbo = settings["optimizer"], settings["elbo"]
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r} on minipyro; choose one of {', '.join(OPTIMIZERS)} "
                             "(--engine pyro runs any of pyro.optim)")
        if elbo not in ELBOS:
            raise ValueError(f"unknown elbo {elbo!r} on minipyro; choose one of {', '.join(ELBOS)} "
                             "(--engine pyro runs any of pyro.infer)")
        optim_args = {"lr": float(settings["lr"]), **_literal_kwargs(settings.get("optimizer_kwargs", {}))}
        return minipyro.SVI(model, guide, getattr(minipyro, optimizer)(optim_args),
                            getattr(minipyro, elbo)(**_literal_kwargs(settings.get("elbo_kwargs", {}))))

    def predictive(self, model, guide, options: dict, args, kwargs) -> dict:
        raise ValueError("Predictive is a feature of full Pyro, not of minipyro: "
                         "write the file with `import pyro`, or run it with --engine pyro")

    def structure_of_run(self, dataflow, trace) -> dict:
        """A ``structure`` event's fields from a traced run and its :class:`~.dataflow.Dataflow`."""
        return dataflow.structure_fields(trace)

    def structure_fields(self):
        """How to find a model's structure without running it observed (``main.py graph``)."""
        from ..structure import structure_fields

        return structure_fields

    def clear_stack(self) -> None:
        from minipyro import runtime

        del runtime.PYRO_STACK[:]


class Pyro:
    name = "pyro"

    def reset(self, seed: int) -> None:
        import pyro

        pyro.clear_param_store()
        pyro.enable_validation(True)  # Pyro's default; an earlier run may have changed it
        pyro.set_rng_seed(seed)

    def loading(self, path, seed: int):
        return contextlib.nullcontext()

    def trace(self, fn, args, kwargs):
        """``fn``'s ``pyro.poutine.Trace``."""
        from pyro import poutine

        return poutine.trace(fn).get_trace(*args, **kwargs)

    def svi(self, model, guide, settings: dict):
        import pyro.infer
        import pyro.optim

        optimizer = getattr(pyro.optim, str(settings["optimizer"]), None)
        elbo = getattr(pyro.infer, str(settings["elbo"]), None)
        if not callable(optimizer):
            raise ValueError(f"unknown optimizer {settings['optimizer']!r}: pyro.optim has none of that name")
        if not isinstance(elbo, type):
            raise ValueError(f"unknown elbo {settings['elbo']!r}: pyro.infer has no ELBO of that name")
        optim_args = {"lr": float(settings["lr"]), **_literal_kwargs(settings.get("optimizer_kwargs", {}))}
        return pyro.infer.SVI(model, guide, optimizer(optim_args),
                              elbo(**_literal_kwargs(settings.get("elbo_kwargs", {}))))

    def predictive(self, model, guide, options: dict, args, kwargs) -> dict:
        """``Predictive(model, guide=guide, **options)(*args, **kwargs)``: samples by site name."""
        from pyro.infer import Predictive

        return Predictive(model, guide=guide, **options)(*args, **kwargs)

    def structure_of_run(self, dataflow, trace) -> dict:
        return dataflow.pyro_structure_fields(trace)

    def structure_fields(self):
        """How to find a model's structure without running it observed (``main.py graph``)."""
        from ..observe.pyro_structure import structure_fields

        return structure_fields

    def clear_stack(self) -> None:
        from pyro.poutine.runtime import _PYRO_STACK

        del _PYRO_STACK[:]


ENGINES = {"minipyro": Minipyro(), "pyro": Pyro()}
