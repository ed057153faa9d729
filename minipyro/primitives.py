"""The primitives a model calls: sample, param, deterministic, factor and plate.

Each primitive builds a message and hands it to ``apply_stack``. With no
handler on the stack there is nobody to interpret the message, so ``sample``
and ``param`` take a shortcut and just compute their value.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Optional

import torch
import pyro.distributions
from pyro.distributions import Delta, Distribution, Unit
from pyro.distributions.torch_distribution import TorchDistributionMixin
from torch.distributions import constraints

from .params import PARAM_STORE
from .runtime import PYRO_STACK, CondIndepStackFrame, Messenger, SiteError, apply_stack, new_message

_SAMPLE_KWARGS = frozenset({"sample_shape"})


def sample(name: str, fn, *args, obs=None, infer: Optional[dict] = None, **kwargs):
    """Draw a value for the random variable ``name`` from ``fn``, or observe ``obs``.

    ``kwargs`` go to ``fn``; for a distribution that is ``sample_shape``.
    """
    if not isinstance(name, str):
        raise SiteError(repr(name), "a site name must be a string")
    if kwargs and isinstance(fn, Distribution) and not _SAMPLE_KWARGS.issuperset(kwargs):
        unsupported = ", ".join(sorted(set(kwargs) - _SAMPLE_KWARGS))
        raise SiteError(name, f"sample() got an unsupported argument: {unsupported}")
    infer = {} if infer is None else dict(infer)
    if infer.get("enumerate"):
        raise SiteError(name, "enumeration (infer={'enumerate': ...}) is a feature of full Pyro, not of "
                              "minipyro: write the file with `import pyro`, or run it with --engine pyro")
    is_observed = infer.pop("is_observed", obs is not None)

    # No handlers: nobody would see the message, so skip building it.
    if not PYRO_STACK:
        if obs is not None and not infer.get("_deterministic"):
            warnings.warn(f"trying to observe a value outside of inference at {name}", RuntimeWarning, stacklevel=2)
            return obs
        return fn(*args, **kwargs)

    msg = new_message("sample", name, fn, args, kwargs, value=obs, is_observed=is_observed, infer=infer)
    return apply_stack(msg)["value"]


def param(name: str, init_value=None, constraint: constraints.Constraint = constraints.real,
          event_dim: Optional[int] = None):
    """Read the trainable parameter ``name``, creating it from ``init_value`` the first time.

    ``event_dim`` marks the rightmost dims that are not batch dims, so a
    subsampling plate knows which dim of a local parameter to index.
    """
    args = (name,) if init_value is None else (name, init_value)
    kwargs = {"constraint": constraint, "event_dim": event_dim}
    if not PYRO_STACK:
        return PARAM_STORE.get_param(*args, **kwargs)
    msg = new_message("param", name, PARAM_STORE.get_param, args, kwargs)
    return apply_stack(msg)["value"]


def enable_validation(is_validate: bool = True) -> None:
    """Check distributions' arguments and values (on by default), as ``pyro.enable_validation``."""
    pyro.distributions.enable_validation(is_validate)


@contextlib.contextmanager
def validation_off():
    """Distribution checks off inside, and both switches as they were after: Pyro's and torch's.

    ``pyro.validation_enabled(False)`` would restore torch's switch from Pyro's, undoing a
    script's own ``Distribution.set_default_validate_args(False)``: its model would then raise
    where it runs silently on to NaN without the Studio."""
    pyro_flag = pyro.distributions.is_validation_enabled()
    torch_flag = torch.distributions.Distribution._validate_args
    pyro.distributions.enable_validation(False)
    try:
        yield
    finally:
        pyro.distributions.enable_validation(pyro_flag)
        torch.distributions.Distribution.set_default_validate_args(torch_flag)


def module(name: str, nn_module: torch.nn.Module, update_module_params: bool = False) -> torch.nn.Module:
    """Register ``nn_module``'s parameters as params ``name$$$param_name``, as ``pyro.module``
    does, so that SVI trains them (in place); returns the module."""
    if update_module_params:
        raise NotImplementedError("minipyro.module: update_module_params is not supported; "
                                  "run the file on full Pyro (--engine pyro)")
    for param_name, parameter in nn_module.named_parameters():
        full_name = f"{name}$$${param_name}"
        PARAM_STORE.adopt(full_name, parameter)
        param(full_name)  # through the stack, so that SVI sees the param read
    return nn_module


def deterministic(name: str, value: torch.Tensor, event_dim: Optional[int] = None):
    """Record a value computed from other sites so that it shows in traces.

    It is an observed ``Delta`` with its log-density masked to zero, as in Pyro.
    """
    event_dim = value.ndim if event_dim is None else event_dim
    return sample(name, Delta(value, event_dim=event_dim).mask(False), obs=value,
                  infer={"_deterministic": True})


def factor(name: str, log_factor: torch.Tensor, *, has_rsample: Optional[bool] = None):
    """Add ``log_factor`` to the model's log-density (an observed ``Unit`` site)."""
    unit = Unit(log_factor, has_rsample=has_rsample)
    sample(name, unit, obs=unit.sample(), infer={"is_auxiliary": True})


class _DimAllocator:
    """Hands out batch dims to plates entered with ``dim=None``, as Pyro does.

    Dims count from the right (-1, -2, ...); an automatic plate takes the
    rightmost dim no enclosing plate holds.
    """

    def __init__(self):
        self._names: list[Optional[str]] = []  # index i holds the plate at dim -1-i

    def allocate(self, name: str, dim: Optional[int]) -> int:
        if name in self._names:
            raise SiteError(name, "a plate of this name is already active")
        if dim is None:
            dim = -1
            while -dim <= len(self._names) and self._names[-1 - dim] is not None:
                dim -= 1
        elif dim >= 0:
            raise SiteError(name, f"plate dim must be negative (it counts from the right), got {dim}")
        while dim < -len(self._names):
            self._names.append(None)
        if self._names[-1 - dim] is not None:
            raise SiteError(name, f"plates '{name}' and '{self._names[-1 - dim]}' collide at dim={dim}; "
                                  f"try dim={dim - 1}")
        self._names[-1 - dim] = name
        return dim

    def free(self, name: str, dim: int) -> None:
        if self._names[-1 - dim] == name:
            self._names[-1 - dim] = None
        while self._names and self._names[-1] is None:
            self._names.pop()


_DIM_ALLOCATOR = _DimAllocator()


class _Subsample(Distribution):
    """The distribution of a plate's subsample indices (uniform without replacement)."""

    def __init__(self, size: int, subsample_size: int):
        self.size = size
        self.subsample_size = subsample_size

    def sample(self, sample_shape=torch.Size()):
        if self.subsample_size is None or self.subsample_size >= self.size:
            return torch.arange(self.size)
        return torch.randperm(self.size)[: self.subsample_size].clone()

    def log_prob(self, value):
        return torch.tensor(0.0)


def is_subsample_site(msg) -> bool:
    return msg["type"] == "sample" and isinstance(msg["fn"], _Subsample)


class plate(Messenger):
    """Declare ``size`` conditionally independent copies along batch dim ``dim``.

    Inside ``with plate("data", 100):`` each sample site's distribution is
    broadcast to have size 100 at the plate's dim, and its ``cond_indep_stack``
    records the plate. With ``subsample_size`` the plate draws a random subset
    of indices (returned by ``with``) and scales log-densities by
    ``size / subsample_size``. Iterating (``for i in plate(...)``) makes a
    sequential plate instead.

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> with minipyro.trace() as tr, minipyro.plate("data", 3):
    ...     x = minipyro.sample("x", Normal(0.0, 1.0))
    >>> x.shape, tr["x"]["cond_indep_stack"][0].dim
    (torch.Size([3]), -1)
    """

    def __init__(self, name: str, size: Optional[int] = None, subsample_size: Optional[int] = None,
                 dim: Optional[int] = None, subsample: Optional[torch.Tensor] = None):
        super().__init__()
        if isinstance(size, torch.Tensor) and size.numel() == 1 and not size.is_floating_point():
            size = int(size)  # shapes are tensors while torch.jit traces
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise SiteError(name, f"plate size must be a positive int, got {size!r}")
        if dim is not None and (not isinstance(dim, int) or dim >= 0):
            raise SiteError(name, f"plate dim must be a negative int (it counts from the right), got {dim!r}")
        self.name = name
        self.dim = dim
        self._requested_dim = dim
        self._vectorized: Optional[bool] = None
        self.counter = 0
        self.size, self.subsample_size, self._indices = self._subsample(size, subsample_size, subsample)

    def _subsample(self, size, subsample_size, subsample):
        """The plate's full size, its batch size and its indices, as Pyro's SubsampleMessenger finds them.

        A plate without a size has "any size" (-1, PyTorch's convention): it
        allocates a dim but broadcasts nothing. A plate with a size is itself a
        site of the trace, so that trace nodes equal Pyro's and replay gives the
        model the guide's indices. Drawing the indices takes random numbers only
        when there is something to choose (``subsample_size < size``).
        """
        if size is None:
            if subsample_size is not None or subsample is not None:
                raise SiteError(self.name, "a plate with subsample_size or subsample needs its size")
            return -1, -1, None
        msg = new_message("sample", self.name, _Subsample(size, subsample_size), value=subsample)
        subsample = apply_stack(msg)["value"]
        if subsample_size is None:
            subsample_size = len(subsample)
        elif subsample_size != len(subsample):
            raise SiteError(self.name, f"subsample_size {subsample_size} does not match len(subsample) "
                                       f"{len(subsample)}; did model and guide use different sizes?")
        return size, subsample_size, subsample

    @property
    def indices(self) -> torch.Tensor:
        return torch.arange(0) if self._indices is None else self._indices

    def label(self) -> str:
        dim = "" if self.dim is None else f", dim={self.dim}"
        size = "" if self.size == -1 else f", {self.size}"
        subsample = "" if self.subsample_size == self.size else f", subsample_size={self.subsample_size}"
        return f"plate('{self.name}'{size}{subsample}{dim})"

    def __enter__(self):
        if self._vectorized is not False:
            self._vectorized = True
            self.dim = _DIM_ALLOCATOR.allocate(self.name, self._requested_dim)
        # The frame every message inside gets; fixed until the plate is left.
        self._frame = CondIndepStackFrame(self.name, self.dim, self.subsample_size, self.counter, self.size)
        super().__enter__()
        return self.indices if self._vectorized else None

    def __exit__(self, *exc_info):
        if self._vectorized:
            _DIM_ALLOCATOR.free(self.name, self.dim)
        return super().__exit__(*exc_info)

    def __iter__(self):
        if self._vectorized or self._requested_dim is not None:
            raise SiteError(self.name, "a plate is either vectorized (with) or sequential (for), not both")
        self._vectorized = False
        for index in self.indices.tolist():
            self.counter += 1
            with self:
                yield index

    def __len__(self) -> int:
        return self.subsample_size

    def process_message(self, msg):
        msg["cond_indep_stack"] = (self._frame,) + msg["cond_indep_stack"]
        if self.subsample_size != self.size:
            msg["scale"] = msg["scale"] * self.size / self.subsample_size
        if msg["type"] == "sample" and not msg["done"] and isinstance(msg["fn"], TorchDistributionMixin):
            _broadcast(msg)

    def postprocess_message(self, msg):
        # A local param (event_dim given) inside a subsampling plate is indexed
        # by the subsample, so each step trains only the rows in the batch.
        if msg["type"] != "param" or self.dim is None or self.subsample_size == self.size:
            return
        event_dim = msg["kwargs"].get("event_dim")
        if event_dim is None:
            return
        dim = self.dim - event_dim
        value = msg["value"]
        if value.dim() >= -dim and value.shape[dim] != 1:
            if value.shape[dim] != self.size:
                raise SiteError(msg["name"], f"inside {self.label()} a param with event_dim={event_dim} "
                                             f"must have size {self.size} at dim {dim}, got shape {tuple(value.shape)}")
            unconstrained = value.unconstrained
            value = value.index_select(dim, self._indices)
            value.unconstrained = unconstrained
            msg["value"] = value


def _broadcast(msg) -> None:
    """Expand a site's distribution to the sizes of its enclosing plates (Pyro's BroadcastMessenger)."""
    dist = msg["fn"]
    actual = dist.batch_shape
    target = [None if size == 1 else size for size in actual]
    for frame in msg["cond_indep_stack"]:
        if frame.dim is None or frame.size == -1:  # a plate without a size broadcasts nothing
            continue
        target = [None] * (-frame.dim - len(target)) + target
        if target[frame.dim] is not None and target[frame.dim] != frame.size:
            raise SiteError(msg["name"], f"shape mismatch inside plate('{frame.name}') at dim {frame.dim}: "
                                         f"the plate has size {frame.size} but the distribution has "
                                         f"batch shape {tuple(actual)}")
        target[frame.dim] = frame.size
    for i in range(-len(target) + 1, 1):
        if target[i] is None:
            target[i] = actual[i] if len(actual) >= -i else 1
    if list(actual) != target:
        msg["fn"] = dist.expand(target)
        if msg["fn"].has_rsample != dist.has_rsample:
            msg["fn"].has_rsample = dist.has_rsample  # a custom attribute expand() drops
    value = msg["value"]
    if value is not None and isinstance(value, torch.Tensor):
        _check_value_shape(msg, value)


def _check_value_shape(msg, value) -> None:
    event_dim = len(msg["fn"].event_shape)
    batch_shape = value.shape[: value.dim() - event_dim]
    for frame in msg["cond_indep_stack"]:
        if frame.dim is not None and frame.size != -1 and len(batch_shape) >= -frame.dim \
                and batch_shape[frame.dim] not in (1, frame.size):
            raise SiteError(msg["name"], f"value of shape {tuple(value.shape)} does not fit plate('{frame.name}') "
                                         f"of size {frame.size} at dim {frame.dim}")
