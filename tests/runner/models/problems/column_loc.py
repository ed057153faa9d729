"""A location built as a column, (6, 1), inside a plate over the last dim: the plate broadcasts the
distribution to (6, 6) against the data's (6,), silently. The distribution is off, not the data."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

args = (torch.linspace(-1.0, 1.0, 6),)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    locs = loc + torch.zeros(6, 1)
    with pyro.plate("data", 6):
        pyro.sample("obs", dist.Normal(locs, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 1.0))
