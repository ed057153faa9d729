"""The seed model (a Normal mean with a Normal prior) and its guide, written in plain Pyro, for
tests that record Pyro programs the way users write them."""

import pyro
import pyro.distributions as dist
import torch


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    pyro.sample("loc", dist.Normal(q_loc, 1.0))
