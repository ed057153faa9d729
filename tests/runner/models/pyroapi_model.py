"""Written against pyroapi: runs on minipyro here, and on Pyro under pyro_backend("pyro")."""
import torch
from pyroapi import distributions as dist
from pyroapi import pyro

args = (torch.tensor([1.0, 2.0, 3.0]),)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", dist.Normal(pyro.param("q", torch.tensor(0.0)), 1.0))
