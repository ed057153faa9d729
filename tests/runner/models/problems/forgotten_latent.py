"""The guide forgets the latent 'scale': it stays at its prior; the guide also has an extra site."""
import torch
import pyro.distributions as dist
from torch.distributions import constraints

import ENGINE as pyro

data = torch.tensor([0.5, 1.5, 1.0, 2.0])
args = (data,)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    scale = pyro.sample("scale", dist.LogNormal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, scale), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    q_sd = pyro.param("q_sd", torch.tensor(1.0), constraint=constraints.positive)
    pyro.sample("loc", dist.Normal(q_loc, q_sd))
    pyro.sample("lcoation", dist.Normal(q_loc, 1.0))
