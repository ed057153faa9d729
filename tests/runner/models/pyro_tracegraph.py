"""A non-reparameterised guide trained with TraceGraph_ELBO (score-function terms, baselines)."""

import pyro
import pyro.distributions as dist
import torch
from torch.distributions import constraints

DATA = torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])


def model(data):
    p = pyro.sample("p", dist.Beta(2.0, 2.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Bernoulli(p), obs=data)


def guide(data):
    a = pyro.param("a", torch.tensor(3.0), constraint=constraints.positive)
    b = pyro.param("b", torch.tensor(3.0), constraint=constraints.positive)
    pyro.sample("p", dist.Beta(a, b))


args = (DATA,)
svi = {"steps": 15, "lr": 0.05, "elbo": "TraceGraph_ELBO"}
