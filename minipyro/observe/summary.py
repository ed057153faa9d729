"""Small, plain-data summaries of the values inside messages.

Events must be plain data (str, int, float, bool, None, list, dict) so that
they can cross a process boundary, be saved and be replayed. A summary keeps
what a person looks at (shape, dtype, a preview, min/mean/max) and is cheap
enough to take at every step.
"""

from __future__ import annotations

import functools
import math
import types
import warnings
import weakref

import torch

from ..runtime import CondIndepStackFrame

# Under torch.jit.trace (a JitTrace_ELBO's first step) reading a tensor's values for a summary makes
# torch warn that they become constants of the trace, into the user's stderr; a summary only
# reads them. The filter names this package's modules, so it costs the recording's hot path nothing.
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"minipyro\.observe\.")

PREVIEW_LENGTH = 8
PYTHON_STATS_UP_TO = 256  # below this many elements, tolist() and Python's min/max beat torch's ops
REPR_LENGTH = 200
MAX_LOCALS = 30
# What a debugger's variables view leaves out: the names a model imports or defines, not its data.
_NOT_VARIABLES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)


def plain_float(x: float):
    """A float JSON can carry: non-finite values become the strings 'nan', 'inf', '-inf'."""
    return x if math.isfinite(x) else str(x)


_DTYPE_NAMES: dict = {}  # torch.float32 -> "float32"


# id(tensor) -> (a weak reference to it, its version, its summary): the data a model observes is
# the same unchanged tensor at every step, and summarising it is most of a site's cost.
_summaries: dict = {}
MAX_REMEMBERED_SUMMARIES = 256


def summarize_tensor(tensor: torch.Tensor) -> dict:
    """A tensor's summary; an unchanged tensor summarised before gets the same (shared) dict."""
    # Params change every step, scalars are cheap, inference-mode tensors keep no version.
    if tensor.requires_grad or tensor.numel() <= 1 or tensor.is_inference():
        return _summarize_tensor(tensor)
    remembered = _summaries.get(id(tensor))
    version = tensor._version  # bumped by every in-place change
    if remembered is not None and remembered[0]() is tensor and remembered[1] == version:
        return remembered[2]
    summary = _summarize_tensor(tensor)
    if len(_summaries) >= MAX_REMEMBERED_SUMMARIES:
        _summaries.clear()
    _summaries[id(tensor)] = (weakref.ref(tensor), version, summary)
    return summary


def _summarize_tensor(tensor: torch.Tensor) -> dict:
    # Taken at every site of every recorded step: each torch call here counts.
    t = tensor
    dtype = t.dtype
    dtype_name = _DTYPE_NAMES.get(dtype)
    if dtype_name is None:
        dtype_name = _DTYPE_NAMES[dtype] = str(dtype)[6:]
    summary = {"shape": list(t.shape), "dtype": dtype_name, "requires_grad": t.requires_grad}
    n = t.numel()
    if n == 0:
        summary["preview"] = []
        return summary
    if n == 1:
        x = _plain(t.item())
        summary["preview"] = x if t.dim() == 0 else [x]
        summary["min"] = summary["mean"] = summary["max"] = x if not isinstance(x, bool) else int(x)
        return summary
    if dtype == torch.bool:
        t = t.to(torch.uint8)
    if n <= PYTHON_STATS_UP_TO:
        values = t.tolist() if t.dim() == 1 else t.reshape(-1).tolist()
        if dtype is torch.int64 and t.dim() == 1 and values == _indices(n):
            return _indices_summary(n)
        total = sum(values)
        if math.isfinite(total):  # then every value is finite: plain JSON numbers as they are
            summary["preview"] = values[:PREVIEW_LENGTH]
            summary["min"], summary["mean"], summary["max"] = float(min(values)), total / n, float(max(values))
            return summary
        summary["preview"] = [_plain(v) for v in values[:PREVIEW_LENGTH]]
        low, high, mean = min(values), max(values), total / n
        if mean != mean:  # a NaN makes min and max meaningless
            low = high = mean
    else:
        t = t.detach()
        summary["preview"] = [_plain(v) for v in t.reshape(-1)[:PREVIEW_LENGTH].tolist()]
        if not t.is_floating_point():
            t = t.double()
        low, high = torch.aminmax(t)
        low, high, mean = low.item(), high.item(), t.mean().item()
    summary["min"], summary["mean"], summary["max"] = plain_float(float(low)), plain_float(float(mean)), \
        plain_float(float(high))
    return summary


@functools.lru_cache(maxsize=64)
def _indices(n: int) -> list:
    return list(range(n))


# A plate that does not subsample has the indices 0 .. n-1 as its value, a new tensor at every
# step: recognised by comparing with a list (small ints are shared objects, so this is cheap),
# its summary is made once.
@functools.lru_cache(maxsize=64)
def _indices_summary(n: int) -> dict:
    return {"shape": [n], "dtype": "int64", "requires_grad": False, "preview": list(range(min(n, PREVIEW_LENGTH))),
            "min": 0.0, "mean": (n - 1) / 2, "max": float(n - 1)}


MAX_PARAM_ELEMENTS = 1024  # a parameter up to this size is sent whole at every SVI step


def summarize_param(value):
    """A parameter's summary for an ``svi_step`` event: with every element (``values``, flat,
    in C order) when it has at most MAX_PARAM_ELEMENTS, so the monitor can plot each one."""
    if not isinstance(value, torch.Tensor):
        return summarize(value)
    tensor = value
    summary = dict(_summarize_tensor(tensor))
    if 1 < tensor.numel() <= MAX_PARAM_ELEMENTS:
        summary["values"] = [_plain(v) for v in tensor.detach().reshape(-1).tolist()]
    return summary


def _plain(x):
    return plain_float(x) if isinstance(x, float) else x


def distribution_shapes(fn) -> dict:
    """A distribution's class and shapes: the cheap part of its summary."""
    return {"dist": type(fn).__name__, "batch_shape": list(fn.batch_shape), "event_shape": list(fn.event_shape)}


def summarize_distribution(fn, with_params: bool = True) -> dict:
    summary = distribution_shapes(fn)
    base = getattr(fn, "base_dist", None)
    if base is not None:
        summary["base"] = summarize_distribution(base, with_params)
    elif with_params:
        summary["params"] = {
            name: summarize(getattr(fn, name))
            for name in getattr(fn, "arg_constraints", {})
            if name in fn.__dict__  # set by the constructor, not a lazy property
        }
    return summary


def _is_pyro_frame(value) -> bool:
    """Pyro's own CondIndepStackFrame (Pyro mode): a named tuple with a plate's name, dim and size."""
    fields = getattr(type(value), "_fields", ())
    return isinstance(value, tuple) and "name" in fields and "dim" in fields and "size" in fields


def summarize(value, with_params: bool = True):
    """A plain-data summary of any value found in a message."""
    if isinstance(value, torch.Tensor):
        return summarize_tensor(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return plain_float(value)
    if isinstance(value, torch.distributions.Distribution):
        return summarize_distribution(value, with_params)
    if type(value).__name__ == "_Subsample":  # a plate's indices, on either engine
        return {"dist": "_Subsample", "params": {"size": value.size, "subsample_size": value.subsample_size}}
    if isinstance(value, CondIndepStackFrame) or _is_pyro_frame(value):
        return {"plate": value.name, "dim": value.dim, "size": value.size}
    if isinstance(value, (tuple, list)):
        return [summarize(v, with_params) for v in value[:PREVIEW_LENGTH]]
    if isinstance(value, dict):
        return {str(k): summarize(v, with_params) for k, v in list(value.items())[:PREVIEW_LENGTH]}
    if isinstance(value, torch.distributions.constraints.Constraint):
        return str(value)
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__  # e.g. the param store's get_param, not its repr with an address
    text = repr(value)
    return text if len(text) <= REPR_LENGTH else text[: REPR_LENGTH - 1] + "…"


def log_prob_shape(msg) -> list | None:
    """The shape ``fn.log_prob(value)`` would have, without computing it."""
    fn, value = msg["fn"], msg["value"]
    if not isinstance(fn, torch.distributions.Distribution) or not isinstance(value, torch.Tensor):
        return None
    batch = list(value.shape[: value.dim() - len(fn.event_shape)])
    other = list(fn.batch_shape)
    if batch == other:  # the usual case: the handlers broadcast fn to the value's plates
        return batch
    if len(batch) < len(other):
        batch, other = other, batch
    other = [1] * (len(batch) - len(other)) + other
    shape = []
    for a, b in zip(batch, other):
        if a != b and 1 not in (a, b):
            return None  # does not broadcast: log_prob would fail
        shape.append(max(a, b) if 0 not in (a, b) else 0)
    return shape


def summarize_locals(variables: dict) -> dict:
    """A frame's variables as a debugger lists them: name -> summary, in definition order, at most
    MAX_LOCALS, without ``__dunder__`` names, modules, functions and classes."""
    summaries = {}
    for name, value in variables.items():
        if name.startswith("__") or isinstance(value, _NOT_VARIABLES):
            continue
        summaries[name] = _summarize_variable(value)
        if len(summaries) == MAX_LOCALS:
            break
    return summaries


_PLAIN_TYPES = (type(None), bool, int, float, str)


def _summarize_variable(value, depth: int = 0):
    """A variable's summary that runs none of the user's code: only tensors, distributions, plain
    values and their lists and dicts are looked into. Any other object is named by its type, never
    ``repr``'d (a PyroModule's repr reads its PyroSample attributes: it would sample)."""
    if isinstance(value, str) and len(value) > REPR_LENGTH:  # a file's text read into a variable
        return value[: REPR_LENGTH - 1] + "…"
    if isinstance(value, (*_PLAIN_TYPES, torch.Tensor, torch.distributions.Distribution)):
        return summarize(value)
    if type(value) in (list, tuple) and depth == 0:
        return [_summarize_variable(v, 1) for v in value[:PREVIEW_LENGTH]]
    if type(value) is dict and depth == 0:
        return {str(k): _summarize_variable(v, 1) for k, v in list(value.items())[:PREVIEW_LENGTH]}
    return f"<{type(value).__name__}>"
