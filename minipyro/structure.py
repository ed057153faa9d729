"""A model's structure: which sites depend on which, and the plates around them.

As in numpyro's ``infer/inspect.py`` the work goes in steps, each a function:
trace with provenance tracking → relations (Pyro's ``get_model_relations``
schema) → a graph (a ``networkx.DiGraph``) that a renderer can draw.
"""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import torch
from pyro.distributions import ExpandedDistribution, Independent, MaskedDistribution
from pyro.ops.provenance import detach_provenance, get_provenance

from .gcpause import collection_paused
from .graph import graph_from_relations
from .handlers import trace
from .params import PARAM_STORE
from .primitives import is_subsample_site, validation_off
from .provenance import FastProvenanceTensor, LogProbProvenance
from .runtime import Messenger


def _is_deterministic(site) -> bool:
    return site["type"] == "sample" and site["infer"].get("_deterministic", False)


def _base_dist(fn):
    while hasattr(fn, "base_dist"):
        fn = fn.base_dist
    return fn


def _dist_name(fn) -> str:
    # Pyro's rule: see through the wrappers that only reshape or mask a distribution.
    while isinstance(fn, (Independent, ExpandedDistribution, MaskedDistribution)):
        fn = fn.base_dist
    return type(fn).__name__


def _is_random_variable(msg, include_deterministic: bool) -> bool:
    if msg["type"] != "sample" or is_subsample_site(msg):
        return False
    if not include_deterministic:
        if msg["is_observed"] and msg["mask"] is False:
            return False
        if type(_base_dist(msg["fn"])).__name__ == "Delta":
            return False
    return True


# Two dependency graphs come from one run: Pyro's, where a deterministic site is
# transparent (a → d → c gives c the parent a), and the graph panel's, where it is
# a node of its own (c's parent is d). Each value carries provenance tags of both
# kinds, (PYRO, name) and (GRAPH, name), and each kind is cut where its rule says.
PYRO, GRAPH = "pyro", "graph"


class _TrackProvenance(Messenger):
    """Tags each site's value with its own name, so that what is computed from
    it carries the name along (``pyro.ops.provenance``): direct dependencies only."""

    def postprocess_message(self, msg):
        is_param = msg["type"] == "param"
        starts = {PYRO: is_param or _is_random_variable(msg, include_deterministic=False),
                  GRAPH: is_param or _is_random_variable(msg, include_deterministic=True)}
        if not (starts[PYRO] or starts[GRAPH]):
            return
        inherited = get_provenance(msg["value"])
        msg["value"] = FastProvenanceTensor(detach_provenance(msg["value"]), frozenset(
            tag for kind in (PYRO, GRAPH)
            for tag in ({(kind, msg["name"])} if starts[kind] else {t for t in inherited if t[0] == kind})))


@contextlib.contextmanager
def unseen():
    """Run code the user did not ask to run without it leaving a trace: torch's, numpy's and
    ``random``'s random streams are as they were, and its output is dropped."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        with torch.random.fork_rng(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


@contextlib.contextmanager
def _nothing_changes():
    """:func:`unseen`, and the param store as it was."""
    store_state = {name: (PARAM_STORE.constraint(name), value) for name, value in PARAM_STORE.named_parameters()}
    try:
        with unseen():
            yield
    finally:
        PARAM_STORE.restore(store_state)


def provenance_trace(model, args=(), kwargs=None):
    """Run the model once with provenance tracking, changing nothing (no gradients, no
    random numbers drawn from any stream the run uses, no params left behind)."""
    with _nothing_changes(), torch.no_grad(), validation_off():
        with _TrackProvenance():
            return trace(model).get_trace(*args, **(kwargs or {}))


def _resolve_overlapping_plates(plate_sample: dict) -> dict:
    """Pyro's rule for plates that overlap without nesting: split one into a ``__CLONE``."""
    for p_sites in plate_sample.values():
        for q, q_sites in plate_sample.items():
            p_set, q_set = set(p_sites), set(q_sites)
            if p_set & q_set and p_set - q_set and q_set - p_set:
                resolved = dict(plate_sample)
                resolved[q] = p_set & q_set
                resolved[q + "__CLONE"] = q_set - p_set
                return _resolve_overlapping_plates(resolved)
    return plate_sample


def _upstream_of_sites(tr) -> dict:
    """Each sample site's direct upstream, by kind: the provenance of its log-density, computed
    once and read for both kinds of tag."""
    upstream, log_prob_provenance = {}, LogProbProvenance()
    for name, site in tr.items():
        if site["type"] != "sample" or is_subsample_site(site):
            continue
        fn = site["fn"].base_dist if _is_deterministic(site) else site["fn"]
        tags = log_prob_provenance(fn, site["value"])
        upstream[name] = {kind: {u for k, u in tags if k == kind and u != name} for kind in (PYRO, GRAPH)}
    return upstream


def upstream_by_provenance(tr, provenance) -> dict:
    """What :func:`_upstream_of_sites` gives, with ``provenance`` (a tensor -> its tags, as
    ``pyro.ops.provenance.get_provenance`` gives them) finding the tags: the runner tracks
    them while the model runs rather than in a second run."""
    upstream = {}
    for name, site in tr.items():
        if site["type"] != "sample" or is_subsample_site(site):
            continue
        fn = site["fn"].base_dist if _is_deterministic(site) else site["fn"]
        tags = provenance(fn.log_prob(site["value"]))
        upstream[name] = {kind: {u for k, u in tags if k == kind and u != name} for kind in (PYRO, GRAPH)}
    return upstream


def relations_of_trace(tr, kind: str = PYRO, upstream: dict | None = None, is_subsample=is_subsample_site) -> dict:
    """The relations dict of Pyro's ``get_model_relations`` for a provenance trace
    (``kind=GRAPH``: with deterministic sites as nodes). ``upstream``: :func:`_upstream_of_sites`,
    when already computed; ``is_subsample``: the engine's test for a plate's own site (Pyro mode
    passes Pyro's). Linear in the trace's length, as a model of 10 000 sites needs."""
    upstream = _upstream_of_sites(tr) if upstream is None else upstream
    sample_sample, sample_param, sample_dist, param_constraint = {}, {}, {}, {}
    plate_sample: dict = {}
    observed = []
    for name, site in tr.items():
        if site["type"] == "param":
            param_constraint[name] = str(site["kwargs"]["constraint"])
        if site["type"] != "sample" or is_subsample(site):
            continue
        sources = upstream[name][kind]
        sample_sample[name] = [u for u in sources if tr[u]["type"] == "sample"]
        sample_param[name] = [u for u in sources if tr[u]["type"] == "param"]
        sample_dist[name] = "Deterministic" if _is_deterministic(site) else _dist_name(site["fn"])
        for frame in site["cond_indep_stack"]:
            plate_sample.setdefault(frame.name, []).append(name)
        if site["is_observed"]:
            observed.append(name)
    plate_sample = _resolve_overlapping_plates(plate_sample)
    rank = {name: i for i, name in enumerate(tr)}

    def in_trace_order(names):
        return sorted(set(names), key=rank.__getitem__)

    return {
        "sample_sample": {k: in_trace_order(v) for k, v in sample_sample.items()},
        "sample_param": {k: in_trace_order(v) for k, v in sample_param.items()},
        "sample_dist": sample_dist,
        "param_constraint": param_constraint,
        "plate_sample": {k: in_trace_order(v) for k, v in plate_sample.items()},
        "observed": in_trace_order(observed),
    }


def plate_sizes(tr) -> dict:
    """Each plate's full size, by name, as the sites in the trace saw it."""
    sizes = {}
    for site in tr.values():
        for frame in site.get("cond_indep_stack", ()):
            sizes[frame.name] = frame.full_size if frame.full_size is not None else frame.size
    return sizes


def site_plates(tr) -> dict:
    """Each sample site's plates, outermost first: true membership, overlapping plates included."""
    return {name: [frame.name for frame in site["cond_indep_stack"]]
            for name, site in tr.items() if site["type"] == "sample" and not is_subsample_site(site)}


def structure_fields(fn, args=(), kwargs=None) -> dict:
    """What a ``structure`` event carries: Pyro's relations, the relations with deterministic
    sites as nodes of their own (for the graph), plate sizes and each site's plates."""
    with collection_paused():
        tr = provenance_trace(fn, args, kwargs)
        with validation_off():
            upstream = _upstream_of_sites(tr)
        return {"relations": relations_of_trace(tr, PYRO, upstream),
                "deterministic_relations": relations_of_trace(tr, GRAPH, upstream),
                "plates": plate_sizes(tr), "site_plates": site_plates(tr)}


def model_relations(model, *args, **kwargs) -> dict:
    """What ``pyro.infer.inspect.get_model_relations(model, args, kwargs)`` returns, for this core.

    >>> import minipyro
    >>> from pyro.distributions import Normal
    >>> def model():
    ...     m = minipyro.sample("m", Normal(0.0, 1.0))
    ...     with minipyro.plate("N", 3):
    ...         minipyro.sample("obs", Normal(m, 1.0), obs=torch.zeros(3))
    >>> minipyro.model_relations(model)["sample_sample"]
    {'m': [], 'obs': ['m']}
    """
    return relations_of_trace(provenance_trace(model, args, kwargs))


def model_graph(model, *args, **kwargs):
    """The model's dependency graph (see :func:`graph_from_relations`).

    Unlike Pyro's ``render_model``, an edge that passes through a
    ``deterministic`` site is kept: ``a → d → c`` rather than ``a → c``.
    """
    tr = provenance_trace(model, args, kwargs)
    return graph_from_relations(relations_of_trace(tr, GRAPH), plate_sizes(tr), site_plates(tr))
