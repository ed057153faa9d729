"""Effect handlers: each one a short Messenger that changes messages in one way.

Every handler works as ``h(fn, ...)``, as a decorator ``@h(...)`` and as a
context manager ``with h(...):``. Their signatures follow ``pyro.poutine``.
"""

from __future__ import annotations

import numbers
import random
from typing import Callable, Optional

import numpy as np
import torch
from pyro.distributions.util import scale_and_mask

from .runtime import Messenger, SiteError, apply_stack


# Log-densities of trace sites: what a Trace is scored with.

def _site_failure(site, error) -> SiteError:
    fn = site["fn"]
    shapes = f"batch_shape={tuple(getattr(fn, 'batch_shape', ()))}, value shape={tuple(getattr(site['value'], 'shape', ()))}"
    return SiteError(site["name"], f"cannot compute log_prob ({error}); {shapes}")


def site_log_prob(site) -> torch.Tensor:
    """The site's log-density, scaled and masked; memoised on the site as Pyro does."""
    if "log_prob" not in site:
        try:
            log_p = site["fn"].log_prob(site["value"])
        except (ValueError, RuntimeError) as error:
            raise _site_failure(site, error) from error
        site["unscaled_log_prob"] = log_p
        if _is_scaled_or_masked(site):
            log_p = scale_and_mask(log_p, site["scale"], site["mask"])
        site["log_prob"] = log_p
        site["log_prob_sum"] = total_of(log_p)
    return site["log_prob"]


def total_of(log_p: torch.Tensor) -> torch.Tensor:
    """``log_p.sum()``; a scalar is its own sum (no op in the graph: the same numbers, forward
    and backward)."""
    return log_p if log_p.dim() == 0 else log_p.sum()


def _is_scaled_or_masked(site) -> bool:
    scale = site["scale"]
    return site["mask"] is not None or isinstance(scale, torch.Tensor) or scale != 1.0



class Trace(dict):
    """The sites a model visited, by name, in the order they ran.

    A plain dict of messages (dicts keep their insertion order); ``.nodes`` is
    the dict itself, so code written for Pyro's ``Trace.nodes`` reads it too.
    """

    @property
    def nodes(self) -> "Trace":
        return self

    def log_prob_sum(self) -> torch.Tensor:
        """The sum of the scaled, masked log-densities of all sample sites."""
        total = torch.tensor(0.0)
        for site in self.values():
            if site["type"] == "sample":
                total = total + site_log_prob(site).sum()
        return total

    def format_shapes(self) -> str:
        """A table of each site's shapes, like Pyro's ``Trace.format_shapes``."""
        rows = [("Trace Shapes:", "", "", "")]
        for name, site in self.items():
            if site["type"] == "param":
                rows.append((f"{name} ", "", "", " ".join(map(str, site["value"].shape))))
            elif site["type"] == "sample":
                fn = site["fn"]
                batch = " ".join(map(str, getattr(fn, "batch_shape", ())))
                event = " ".join(map(str, getattr(fn, "event_shape", ())))
                rows.append((f"{name} dist", batch, "|", event))
                rows.append(("value", " ".join(map(str, site["value"].shape)), "", ""))
                rows.append(("log_prob", " ".join(map(str, site_log_prob(site).shape)), "", ""))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(f"{a:>{widths[0]}} {b:>{widths[1]}} {c} {d:<{widths[3]}}".rstrip()
                         for a, b, c, d in rows)


class trace(Messenger):
    """Record every sample and param site into a :class:`Trace`.

    trace illustrates why we need ``postprocess_message``: a site is recorded
    only after every other handler has had its say.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     return minipyro.sample("x", Normal(0.0, 1.0))
    >>> tr = minipyro.trace(model).get_trace()
    >>> list(tr), tr["x"]["type"]
    (['x'], 'sample')
    >>> with minipyro.trace() as tr:
    ...     _ = model()
    >>> list(tr)
    ['x']
    """

    def __init__(self, fn: Optional[Callable] = None, param_only: bool = False):
        super().__init__(fn)
        self.param_only = param_only
        self.trace = Trace()

    def __enter__(self):
        self.trace = Trace()
        super().__enter__()
        return self.trace

    def postprocess_message(self, msg):
        kind = msg["type"]
        if kind != "param" and (kind != "sample" or self.param_only):
            return
        name = msg["name"]
        previous = self.trace.get(name)
        if previous is not None and (previous["type"] != kind or kind == "sample"):
            raise SiteError(name, f"the name is used by two {previous['type']}/{kind} sites; every sample "
                                  "site and plate needs a unique name (make a plate once, enter it often)")
        self.trace[name] = msg.copy()

    def get_trace(self, *args, **kwargs) -> Trace:
        """Run the wrapped function and return its trace."""
        self(*args, **kwargs)
        return self.trace


class replay(Messenger):
    """Reuse the sampled values of ``trace`` at the sites of the same name.

    Composing trace and replay keeps the model's distributions but takes the
    guide's values: this is how the ELBO scores guide samples under the model.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     return minipyro.sample("x", Normal(0.0, 1.0))
    >>> guide_trace = minipyro.trace(lambda: minipyro.sample("x", Normal(5.0, 1.0))).get_trace()
    >>> bool(minipyro.replay(model, trace=guide_trace)() == guide_trace["x"]["value"])
    True
    """

    def __init__(self, fn: Optional[Callable] = None, trace=None, params: Optional[dict] = None,
                 guide_trace=None):
        super().__init__(fn)
        self.trace = guide_trace if trace is None else trace  # guide_trace: minipyro's name
        self.params = params
        if self.trace is None and params is None:
            raise ValueError("replay needs a trace or params to replay against")

    def process_message(self, msg):
        name = msg["name"]
        if msg["type"] == "sample":
            if self.trace is None or name not in self.trace or msg["is_observed"]:
                return
            guide_msg = self.trace[name]
            if guide_msg["type"] != "sample" or guide_msg["is_observed"]:
                raise SiteError(name, "replay needs this site to be sampled in the trace, "
                                      "but there it is observed or not a sample site")
            msg["done"] = True
            msg["value"] = guide_msg["value"]
            msg["infer"] = guide_msg["infer"]
        elif msg["type"] == "param" and self.params is not None and name in self.params:
            msg["done"] = True
            msg["value"] = self.params[name]


class block(Messenger):
    """Hide sites from the handlers below (outside) this one.

    A hidden message gets ``stop = True``, so only the handlers above block
    see it. By default every site is hidden.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     minipyro.sample("a", Normal(0.0, 1.0))
    ...     minipyro.sample("b", Normal(0.0, 1.0))
    >>> list(minipyro.trace(minipyro.block(model, hide=["a"])).get_trace())
    ['b']
    """

    def __init__(self, fn: Optional[Callable] = None, hide_fn: Optional[Callable] = None,
                 expose_fn: Optional[Callable] = None, hide_all: bool = True, expose_all: bool = False,
                 hide: Optional[list] = None, expose: Optional[list] = None,
                 hide_types: Optional[list] = None, expose_types: Optional[list] = None):
        super().__init__(fn)
        if hide_fn is not None and expose_fn is not None:
            raise ValueError("block: give only one of hide_fn and expose_fn")
        if hide_fn is not None:
            self.hide_fn = hide_fn
        elif expose_fn is not None:
            self.hide_fn = lambda msg: not expose_fn(msg)
        else:
            self.hide_fn = _make_hide_fn(hide_all, expose_all, hide, expose, hide_types, expose_types)

    def process_message(self, msg):
        msg["stop"] = bool(self.hide_fn(msg))


def _make_hide_fn(hide_all, expose_all, hide, expose, hide_types, expose_types):
    """Pyro's rules: naming sites to hide means 'hide only those', naming sites
    to expose means 'hide all the others'. Observed samples count as type "observe"."""
    if hide_all and expose_all:
        raise ValueError("block: cannot hide_all and expose_all")
    hide_all = hide_all and not expose_all
    if hide is not None or hide_types is not None:
        hide_all = False
    if expose is not None or expose_types is not None:
        hide_all = True
    hide, expose = set(hide or ()), set(expose or ())
    hide_types, expose_types = set(hide_types or ()), set(expose_types or ())
    if hide & expose or hide_types & expose_types:
        raise ValueError("block: cannot both hide and expose a site or a site type")

    def hide_fn(msg):
        kind = "observe" if msg["type"] == "sample" and msg["is_observed"] else msg["type"]
        exposed = msg["name"] in expose or kind in expose_types
        return msg["name"] in hide or kind in hide_types or (hide_all and not exposed)

    return hide_fn


class seed(Messenger):
    """Seed torch, ``random`` and numpy on entry; restore their states on exit.

    Unlike Pyro's, this seed sits on the handler stack like any other handler,
    so the app can show where it is.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     return minipyro.sample("x", Normal(0.0, 1.0))
    >>> bool(minipyro.seed(model, rng_seed=0)() == minipyro.seed(model, rng_seed=0)())
    True
    """

    def __init__(self, fn: Optional[Callable] = None, rng_seed: Optional[int] = None):
        super().__init__(fn)
        if not isinstance(rng_seed, int):
            raise TypeError(f"seed: rng_seed must be an int, got {rng_seed!r}")
        self.rng_seed = rng_seed

    def label(self) -> str:
        return f"seed({self.rng_seed})"

    def __enter__(self):
        self.old_state = (torch.get_rng_state(), random.getstate(), np.random.get_state())
        set_rng_seed(self.rng_seed)
        return super().__enter__()

    def __exit__(self, *exc_info):
        torch_state, random_state, numpy_state = self.old_state
        torch.set_rng_state(torch_state)
        random.setstate(random_state)
        np.random.set_state(numpy_state)
        return super().__exit__(*exc_info)


def set_rng_seed(rng_seed: int) -> None:
    """Seed torch, ``random`` and numpy, as ``pyro.set_rng_seed`` does."""
    torch.manual_seed(rng_seed)
    random.seed(rng_seed)
    np.random.seed(rng_seed)


class condition(Messenger):
    """Observe sample sites at the values in ``data`` (as if ``obs=`` were given).

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     return minipyro.sample("x", Normal(0.0, 1.0))
    >>> tr = minipyro.trace(minipyro.condition(model, data={"x": torch.tensor(2.0)})).get_trace()
    >>> tr["x"]["value"].item(), tr["x"]["is_observed"]
    (2.0, True)
    """

    def __init__(self, fn: Optional[Callable] = None, data=None):
        super().__init__(fn)
        if data is None:
            raise ValueError("condition needs data: a dict of site name -> value, or a trace")
        self.data = data

    def process_message(self, msg):
        if msg["type"] == "sample" and msg["name"] in self.data:
            value = self.data[msg["name"]]
            if isinstance(value, dict):  # a site of a Trace
                value = value["value"]
            msg["value"] = value
            msg["is_observed"] = value is not None


class substitute(Messenger):
    """Replace the values of param sites by those in ``data``.

    >>> import minipyro, torch
    >>> def model():
    ...     return minipyro.param("loc", torch.tensor(0.0))
    >>> minipyro.substitute(model, data={"loc": torch.tensor(3.0)})().item()
    3.0
    """

    def __init__(self, fn: Optional[Callable] = None, data: Optional[dict] = None):
        super().__init__(fn)
        if data is None:
            raise ValueError("substitute needs data: a dict of param name -> value")
        self.data = data

    def process_message(self, msg):
        if msg["type"] == "param" and msg["name"] in self.data:
            msg["value"] = self.data[msg["name"]]


class scale(Messenger):
    """Multiply the log-density of every enclosed site by ``scale`` (> 0).

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> with minipyro.trace() as tr, minipyro.scale(scale=10.0):
    ...     _ = minipyro.sample("x", Normal(0.0, 1.0))
    >>> tr["x"]["scale"]
    10.0
    """

    def __init__(self, fn: Optional[Callable] = None, scale=None):
        super().__init__(fn)
        if isinstance(scale, torch.Tensor):
            if not (scale > 0).all():
                raise ValueError(f"scale must be > 0, got {scale}; use mask() to drop terms")
        elif not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        self.scale = scale

    def label(self) -> str:
        return f"scale({self.scale})"

    def process_message(self, msg):
        msg["scale"] = self.scale * msg["scale"]


class mask(Messenger):
    """Zero the log-density of enclosed sites where ``mask`` is False.

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> with minipyro.trace() as tr, minipyro.mask(mask=torch.tensor([True, False])):
    ...     _ = minipyro.sample("x", Normal(torch.zeros(2), 1.0))
    >>> tr.log_prob_sum().item() == Normal(0.0, 1.0).log_prob(tr["x"]["value"][0]).item()
    True
    """

    def __init__(self, fn: Optional[Callable] = None, mask=None):
        super().__init__(fn)
        if isinstance(mask, torch.Tensor):
            if mask.dtype != torch.bool:
                raise ValueError(f"mask must be a bool tensor, got dtype {mask.dtype}")
        elif mask not in (True, False):
            raise ValueError(f"mask must be a bool or a bool tensor, got {mask!r}")
        self.mask = mask

    def process_message(self, msg):
        msg["mask"] = self.mask if msg["mask"] is None else msg["mask"] & self.mask


class do(Messenger):
    """Intervene: set sites to fixed values, cutting their dependence on their parents.

    Unlike ``condition``, the intervened value does not score under the model:
    the site itself is still sampled (and traced), while the code after it sees
    the intervention, as in Pyro.

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     x = minipyro.sample("x", Normal(0.0, 1.0))
    ...     return minipyro.sample("y", Normal(x, 0.001))
    >>> with minipyro.trace() as tr:
    ...     y = minipyro.do(model, data={"x": torch.tensor(5.0)})()
    >>> list(tr), round(y.item()), tr["x"]["is_observed"]
    (['x', 'y'], 5, False)
    """

    def __init__(self, fn: Optional[Callable] = None, data: Optional[dict] = None):
        super().__init__(fn)
        if data is None:
            raise ValueError("do needs data: a dict of site name -> intervention value")
        self.data = data
        self._intervener_id = str(id(self))

    def process_message(self, msg):
        if msg["type"] != "sample" or self.data.get(msg["name"]) is None:
            return
        if msg.get("_intervener_id") == self._intervener_id:
            return
        msg["_intervener_id"] = self._intervener_id
        # Sample the original site with the handlers below, under its own name...
        original = msg.copy()
        original["cond_indep_stack"] = ()  # the plates above will see it again
        apply_stack(original)
        # ...and let the intervened value flow on under a mangled name.
        intervention = self.data[msg["name"]]
        if isinstance(intervention, numbers.Number):
            intervention = torch.tensor(intervention)
        elif not isinstance(intervention, torch.Tensor):
            raise SiteError(msg["name"], f"do() takes numbers or tensors, got {type(intervention).__name__}")
        msg["name"] = msg["name"] + "__CF"
        msg["value"] = intervention
        msg["is_observed"] = True
        msg["stop"] = True


class uncondition(Messenger):
    """Turn observed sites back into latent ones, sampling them afresh.

    >>> import minipyro, torch
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     return minipyro.sample("x", Normal(0.0, 1.0), obs=torch.tensor(9.0))
    >>> tr = minipyro.trace(minipyro.uncondition(model)).get_trace()
    >>> tr["x"]["is_observed"], tr["x"]["infer"]["obs"].item()
    (False, 9.0)
    """

    def process_message(self, msg):
        if msg["type"] == "sample" and msg["is_observed"]:
            msg["is_observed"] = False
            msg["infer"]["was_observed"] = True
            msg["infer"]["obs"] = msg["value"]
            msg["value"] = None
            msg["done"] = False
