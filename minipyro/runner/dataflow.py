"""A trace run's structure from the run itself: the model is called once (DESIGN section 6).

Pyro's ``get_model_relations`` finds which sites a site depends on by running the model again
with each site's value wrapped in a ``ProvenanceTensor``. The runner cannot run the user's model
a second time (side effects, output, time), nor hand it wrapped values (it would print them
differently). Instead, while the observed run goes on, a torch function mode notes for every
tensor that torch computes which sites it was computed from, the values themselves untouched:
the same tags, by the same rule (a site that is a random variable or a param starts its own tag;
any other passes on what it was computed from), as ``minipyro.structure``'s provenance.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary

from ..primitives import validation_off
from ..structure import (GRAPH, PYRO, _is_random_variable, plate_sizes, relations_of_trace, site_plates,
                         upstream_by_provenance)

_NONE = frozenset()


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _is_subsample(site) -> bool:
    return site["type"] == "sample" and type(site["fn"]).__name__ == "_Subsample"  # either engine's


def _starts(site) -> dict:
    """For each kind of tag, whether this site's value starts its own (else it passes on its inputs')."""
    if site["type"] == "param":
        return {PYRO: True, GRAPH: True}
    if _is_subsample(site):
        return {PYRO: False, GRAPH: False}
    return {PYRO: _is_random_variable(site, include_deterministic=False),
            GRAPH: _is_random_variable(site, include_deterministic=True)}


class Dataflow(TorchFunctionMode):
    """Inside ``with dataflow:``, every torch result is tagged with the sites it was computed
    from; :meth:`site_ended` is told each message that ends (the recorder's ``message_end``)."""

    def __init__(self):
        super().__init__()
        self._tags = WeakIdKeyDictionary()  # tensor -> frozenset of (kind, site name)
        self._sites: dict = {}  # id(value) -> (value, name, starts) of each site's value

    def site_ended(self, msg) -> None:
        # A message a handler stopped (block) never reached the run's trace, the outermost handler.
        if msg["type"] in ("sample", "param") and not msg.get("stop") and isinstance(msg["value"], torch.Tensor):
            self._sites[id(msg["value"])] = (msg["value"], msg["name"], _starts(msg))

    def provenance(self, value) -> frozenset:
        """The tags of ``value``: its own site's if it is a site's value and starts them, else its inputs'."""
        if not isinstance(value, torch.Tensor):
            return _NONE
        inherited = self._tags.get(value, _NONE)
        site = self._sites.get(id(value))
        if site is None or site[0] is not value:
            return inherited
        _, name, starts = site
        return frozenset(tag for kind in (PYRO, GRAPH)
                         for tag in ({(kind, name)} if starts[kind] else {t for t in inherited if t[0] == kind}))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        tags = _NONE
        for tensor in _tensors((args, kwargs)):
            tags = tags | self.provenance(tensor)
        if tags:
            for tensor in _tensors(result):
                self._tags[tensor] = self._tags.get(tensor, _NONE) | tags
        return result

    def structure_fields(self, sites) -> dict:
        """A ``structure`` event's fields for the run's trace ``sites`` (name -> site, in order)."""
        with self, torch.no_grad(), validation_off():
            upstream = upstream_by_provenance(sites, self.provenance)
        return {"relations": relations_of_trace(sites, PYRO, upstream),
                "deterministic_relations": relations_of_trace(sites, GRAPH, upstream),
                "plates": plate_sizes(sites), "site_plates": site_plates(sites)}

    def pyro_structure_fields(self, trace) -> dict:
        """The same for a trace of full Pyro, as ``observe.pyro_structure.structure_fields`` gives it
        (Pyro's relations, with deterministic sites folded; only vectorised plates)."""
        sites = OrderedDict((name, site) for name, site in trace.nodes.items()
                            if site["type"] in ("sample", "param") and not _is_subsample(site))
        with self, torch.no_grad(), validation_off():
            upstream = upstream_by_provenance(sites, self.provenance)
        relations = relations_of_trace(sites, PYRO, upstream)
        plates, plates_of_site = {}, {}
        for name, site in sites.items():
            if site["type"] != "sample":
                continue
            frames = [frame for frame in site["cond_indep_stack"] if frame.vectorized]
            plates_of_site[name] = [frame.name for frame in frames]
            for frame in frames:
                plates[frame.name] = frame.full_size if getattr(frame, "full_size", None) else frame.size
        return {"relations": relations, "deterministic_relations": relations, "plates": plates,
                "site_plates": plates_of_site}
