"""A Normal guide for a Gamma latent: the guide proposes negative rates."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

data = torch.tensor([1.0, 3.0, 2.0])
args = (data,)


def model(data):
    rate = pyro.sample("rate", dist.Gamma(2.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Poisson(rate), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(2.0))
    pyro.sample("rate", dist.Normal(q_loc, 0.1))
