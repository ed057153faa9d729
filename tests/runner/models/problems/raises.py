"""A site whose distribution cannot be built (validation on): the error is at its line."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

args = ()


def model():
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    pyro.sample("obs", dist.Normal(loc, -1.0), obs=torch.zeros(3))


def guide():
    pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 1.0))
