"""Random models written against pyroapi (so they run on both engines), for property tests of
structure: sites with random parents, distributions, plates, observations and repeated names."""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from pyroapi import distributions as dist
from pyroapi import pyro

PLATES = {"a": 2, "b": 3}


@st.composite
def site_specs(draw, max_sites: int = 8):
    """A list of (name, dist, parents, plates, observed, deterministic), in program order."""
    count = draw(st.integers(1, max_sites))
    specs = []
    for i in range(count):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=2)) if i else []
        specs.append((f"{draw(st.sampled_from(['x', 'obs', 'z']))}_{i}",
                      draw(st.sampled_from(["Normal", "Bernoulli"])), parents,
                      draw(st.sampled_from([(), ("a",), ("a", "b")])), draw(st.booleans()),
                      draw(st.booleans()) and i > 0))
    return specs


def model_of(specs):
    """A model that draws each spec'd site in order, its parameter summed from its parents."""
    def model():
        plates = {name: pyro.plate(name, size, dim=-1 - i) for i, (name, size) in enumerate(PLATES.items())}
        values = []
        for name, dist_name, parents, plates_of_site, observed, deterministic in specs:
            total = sum((values[p].sum() for p in parents), torch.tensor(0.0))
            if deterministic:
                values.append(pyro.deterministic(name, total * 2))
                continue
            with _within(plates_of_site, plates):
                shape = tuple(PLATES[p] for p in reversed(plates_of_site))
                fn = dist.Normal(total, 1.0) if dist_name == "Normal" else dist.Bernoulli(logits=total)
                fn = fn.expand(shape) if shape else fn
                obs = torch.ones(shape) if observed else None
                values.append(pyro.sample(name, fn, obs=obs))
    return model


class _within:
    """Enter the named plates (created once per run: a plate is a site of its own)."""

    def __init__(self, names, plates):
        self.plates = [plates[name] for name in names]

    def __enter__(self):
        for plate in self.plates:
            plate.__enter__()

    def __exit__(self, *exc):
        for plate in reversed(self.plates):
            plate.__exit__(*exc)
