"""Observations shaped (N, 1) inside a plate over N: the log-density broadcasts to (N, N)."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

data = torch.linspace(-1.0, 1.0, 6).reshape(6, 1)
args = (data,)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    with pyro.plate("data", 6):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    pyro.sample("loc", dist.Normal(q_loc, 1.0))
