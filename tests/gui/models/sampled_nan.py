"""A latent whose mean is the log of a negative param (validation off): the draw itself is NaN,
and the observation's log-density after it."""
import torch
import pyro.distributions as dist

import minipyro as pyro

dist.enable_validation(False)
args = ()


def model():
    rate = pyro.sample("rate", dist.Normal(0.0, 1.0))
    shape = pyro.param("shape", torch.tensor(-1.0))
    x = pyro.sample("x", dist.Normal(shape.log(), 1.0))
    pyro.sample("obs", dist.Normal(x, rate.exp()), obs=torch.tensor(1.0))


def guide():
    pyro.sample("rate", dist.Normal(pyro.param("q", torch.tensor(0.0)), 1.0))
    pyro.sample("x", dist.Normal(0.0, 1.0))
