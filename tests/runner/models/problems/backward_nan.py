"""A finite loss with a NaN gradient: sqrt at 0 has an infinite derivative."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

args = ()


def model():
    pyro.sample("x", dist.Normal(0.0, 1.0))


def guide():
    width = pyro.param("width", torch.tensor(0.0))
    pyro.sample("x", dist.Normal(0.0, torch.sqrt(width * width) + 1.0))
