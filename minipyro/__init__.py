"""minipyro: a small, readable re-creation of Pyro's core, with Pyro's numbers.

Read the modules in this order, as one would read ``pyro.contrib.minipyro``:

1. ``runtime``    global state, messages, Messenger, apply_stack, the Observer hook
2. ``params``     the param store
3. ``handlers``   trace, replay, block, seed, condition, substitute, scale, mask, do, uncondition
4. ``primitives`` sample, param, deterministic, factor, plate
5. ``optim``      Adam, ClippedAdam, SGD
6. ``infer``      the ELBOs and SVI
7. ``structure``  a model's relations; ``graph``, the graph built from them (torch-free)

Around the core, two packages that the core never imports:
``minipyro.observe`` (the event spine: events, the recorder, recording files) and
``minipyro.runner`` (the child process that runs model files, and its controller).

Each public name below is imported from its module on first use, so that the
app's process can import ``minipyro.runner.controller`` without loading torch.
Importing this package registers the pyroapi backend ``"minipyro_studio"``.
"""

import importlib

import pyroapi

_PUBLIC = {
    "runtime": ["PYRO_STACK", "Message", "Messenger", "Observer", "CondIndepStackFrame", "SiteError", "apply_stack"],
    "params": ["ParamStore", "get_param_store", "clear_param_store"],
    "handlers": ["Trace", "trace", "replay", "block", "seed", "set_rng_seed", "condition", "substitute",
                 "scale", "mask", "do", "uncondition"],
    "primitives": ["sample", "param", "deterministic", "factor", "plate", "module", "enable_validation"],
    "optim": ["PyroOptim", "Adam", "ClippedAdam", "SGD"],
    "infer": ["elbo", "Trace_ELBO", "TraceMeanField_ELBO", "JitTrace_ELBO", "SVI"],
    "observe.event": ["Event"],
    "observe.recorder": ["record"],
    "observe.recording": ["Recording", "RecordingError", "load_recording"],
    "structure": ["model_relations", "model_graph"],
    "graph": ["graph_from_relations"],
}
_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = list(_MODULE_OF)


# What Pyro programs use that this small core leaves to full Pyro: named, never silent.
_PYRO_ONLY = {
    "markov": "pyro.markov", "config_enumerate": "enumeration", "TraceEnum_ELBO": "enumeration",
    "TraceGraph_ELBO": "TraceGraph_ELBO", "Predictive": "Predictive", "PyroModule": "PyroModule",
    "AutoNormal": "autoguides", "AutoDiagonalNormal": "autoguides", "AutoDelta": "autoguides",
    "subsample": "pyro.subsample", "iarange": "iarange", "irange": "irange",
}


def __getattr__(name):
    module = _MODULE_OF.get(name)
    if module is None:
        if name in _PYRO_ONLY:
            raise AttributeError(f"minipyro has no {name} ({_PYRO_ONLY[name]} is a feature of full Pyro): "
                                 "write the file with `import pyro`, or run it with --engine pyro")
        raise AttributeError(f"module 'minipyro' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


# Backend-generic models (written against pyroapi) run on this core inside
# ``with pyroapi.pyro_backend("minipyro_studio"):``.
pyroapi.register_backend("minipyro_studio", {
    "distributions": "pyro.distributions",
    "handlers": "minipyro",
    "infer": "minipyro",
    "ops": "torch",
    "optim": "minipyro",
    "pyro": "minipyro",
})
