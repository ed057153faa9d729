"""A Pyro model's ``structure`` event in time linear in its number of sites.

``pyro.infer.inspect.get_model_relations`` orders each site's parents by scanning the whole
trace (``sort_by_time``), so a model of 10 000 sites costs 10 000 scans of 10 000 names, and
it computes every log-density with argument validation on (four times slower under provenance
tracking). This is the same algorithm on Pyro's own pieces (``TrackProvenance``, its
provenance tensors, its rules for subsample, deterministic and masked sites), ordering by a
rank table instead, from one traced run that also gives the plates. Its result equals
``get_model_relations``'s (``tests/core/test_pyro_structure.py`` checks it on many models).
"""

from __future__ import annotations


def _trace_with_provenance(fn, args, kwargs):
    import torch
    import pyro
    from pyro import poutine
    from pyro.infer.inspect import TrackProvenance
    from pyro.ops.provenance import ProvenanceTensor

    from ..primitives import validation_off
    from ..provenance import FastProvenanceTensor

    class FastTrackProvenance(TrackProvenance):
        """Pyro's rules for which sites start a provenance, with the cheaper tensor."""

        def _postprocess_message(self, msg):
            super()._postprocess_message(msg)
            if type(msg["value"]) is ProvenanceTensor:
                msg["value"] = FastProvenanceTensor(msg["value"]._t, msg["value"]._provenance)

    with torch.random.fork_rng(), torch.no_grad(), validation_off():
        with FastTrackProvenance():
            return poutine.trace(fn).get_trace(*args, **kwargs)


def _upstream_of_sites(nodes) -> dict:
    """Each sample site's direct upstream names (the provenance of its log-density), as
    ``get_model_relations`` reads them, keyed by kind as :func:`minipyro.structure.relations_of_trace` wants."""
    import pyro
    from pyro.infer.inspect import site_is_deterministic
    from pyro.poutine.util import site_is_subsample

    from ..primitives import validation_off
    from ..provenance import LogProbProvenance
    from ..structure import PYRO

    upstream, log_prob_provenance = {}, LogProbProvenance()
    with validation_off():  # checks of the values, which tell nothing about provenance
        for name, site in nodes.items():
            if site["type"] != "sample" or site_is_subsample(site):
                continue
            fn = site["fn"].base_dist if site_is_deterministic(site) else site["fn"]
            upstream[name] = {PYRO: set(log_prob_provenance(fn, site["value"])) - {name}}
    return upstream


def pyro_relations(fn, args=(), kwargs=None, nodes=None) -> dict:
    """What ``get_model_relations(fn, args, kwargs)`` returns (``nodes``: a provenance trace's, if run)."""
    from pyro.poutine.util import site_is_subsample

    from ..structure import PYRO, relations_of_trace

    if nodes is None:
        nodes = _trace_with_provenance(fn, args, kwargs or {}).nodes
    return relations_of_trace(nodes, PYRO, _upstream_of_sites(nodes), is_subsample=site_is_subsample)


def structure_fields(fn, args=(), kwargs=None) -> dict:
    """What a ``structure`` event carries, for a Pyro model: ``get_model_relations``'s dict and the
    sizes and membership of its vectorised plates. Runs the model once, unseen. (No
    ``deterministic_relations``: they would repeat the relations, and a reader falls back on them.)"""
    from pyro.poutine.util import site_is_subsample

    from ..gcpause import collection_paused
    from .pyro_mode import _pyro_unseen

    with _pyro_unseen(), collection_paused():
        nodes = _trace_with_provenance(fn, args, kwargs or {}).nodes
        relations = pyro_relations(fn, nodes=nodes)
    plates, site_plates = {}, {}
    for name, site in nodes.items():
        if site["type"] != "sample" or site_is_subsample(site):
            continue
        frames = [frame for frame in site["cond_indep_stack"] if frame.vectorized]
        site_plates[name] = [frame.name for frame in frames]
        for frame in frames:
            plates[frame.name] = frame.full_size if getattr(frame, "full_size", None) else frame.size
    return {"relations": relations, "plates": plates, "site_plates": site_plates}
