"""Positive scales and simplex weights, optimised in unconstrained space.

A scale must be positive and probabilities must sum to one, but gradient steps
move freely. The param store keeps ``transform_to(constraint).inv(value)`` and every
read transforms back.

What to watch:
1. ``param("location")`` is unconstrained: the value is the stored tensor.
2. ``param("spread")`` has ``constraints.positive``: the store holds its logarithm.
3. ``param("weights")`` has ``constraints.simplex``: three numbers that sum to one.
"""

import torch
from pyro.distributions import Categorical, Normal
from torch.distributions import constraints

import minipyro as pyro

title = "Constrained parameters"


def model():
    location = pyro.param("location", torch.tensor(0.0))
    spread = pyro.param("spread", torch.tensor(2.0), constraint=constraints.positive)
    weights = pyro.param("weights", torch.tensor([0.2, 0.3, 0.5]), constraint=constraints.simplex)
    k = pyro.sample("k", Categorical(weights))
    pyro.sample("y", Normal(location + k, spread), obs=torch.tensor(1.0))
