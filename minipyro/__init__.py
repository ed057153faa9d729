"""minipyro: a small, readable re-creation of Pyro's core, with Pyro's numbers.

Read the modules in this order, as one would read ``pyro.contrib.minipyro``:

1. ``runtime``    global state, messages, Messenger, apply_stack
2. ``params``     the param store
3. ``handlers``   trace, replay, block, seed, condition, substitute, scale, mask, do, uncondition
4. ``primitives`` sample, param, deterministic, factor, plate
5. ``optim``      Adam, ClippedAdam, SGD
6. ``infer``      the ELBOs and SVI
7. ``events``     the observer that turns each step into an Event; ``recording``, their files
8. ``structure``  a model's relations and graph

Importing this package registers the pyroapi backend ``"minipyro_studio"``.
"""

import pyroapi

from .events import Event, Recording, record
from .handlers import (
    Trace,
    block,
    condition,
    do,
    mask,
    replay,
    scale,
    seed,
    set_rng_seed,
    substitute,
    trace,
    uncondition,
)
from .infer import SVI, JitTrace_ELBO, Trace_ELBO, TraceMeanField_ELBO, elbo
from .optim import SGD, Adam, ClippedAdam, PyroOptim
from .params import ParamStore, get_param_store
from .primitives import deterministic, factor, param, plate, sample
from .recording import RecordingError, load_recording
from .structure import graph_from_relations, model_graph, model_relations
from .runtime import PYRO_STACK, CondIndepStackFrame, Message, Messenger, SiteError, apply_stack

__all__ = [
    "PYRO_STACK", "Message", "Messenger", "CondIndepStackFrame", "SiteError", "apply_stack",
    "ParamStore", "get_param_store", "set_rng_seed",
    "Trace", "trace", "replay", "block", "seed", "condition", "substitute", "scale", "mask", "do",
    "uncondition",
    "sample", "param", "deterministic", "factor", "plate",
    "PyroOptim", "Adam", "ClippedAdam", "SGD",
    "elbo", "Trace_ELBO", "TraceMeanField_ELBO", "JitTrace_ELBO", "SVI",
    "Event", "Recording", "record", "RecordingError", "load_recording",
    "model_relations", "model_graph", "graph_from_relations",
]

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
