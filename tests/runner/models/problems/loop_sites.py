"""Flips observed one site per flip: the hint says a plate would vectorise them."""
import torch
import pyro.distributions as dist
from torch.distributions import constraints

import ENGINE as pyro

flips = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
args = (flips,)


def model(flips):
    p = pyro.sample("p", dist.Beta(2.0, 2.0))
    for i in range(len(flips)):
        pyro.sample(f"flip_{i}", dist.Bernoulli(p), obs=flips[i])


def guide(flips):
    a = pyro.param("a", torch.tensor(2.0), constraint=constraints.positive)
    pyro.sample("p", dist.Beta(a, 2.0))
