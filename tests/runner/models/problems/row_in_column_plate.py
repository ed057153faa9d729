"""A plate over dim -2 and data of shape (6,): the data must be a column, (6, 1)."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

args = (torch.linspace(-1.0, 1.0, 6),)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    with pyro.plate("data", 6, dim=-2):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 1.0))
