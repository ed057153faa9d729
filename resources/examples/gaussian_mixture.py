"""A discrete latent cannot be reparameterised: score-function gradients.

Each point belongs to one of two clusters. The assignment ``sample("assignment")`` is
discrete, so it cannot be reparameterised: ``Trace_ELBO`` gives it a score-function
(REINFORCE) term, as Pyro does.

What to watch:
1. ``param("locs")`` and ``param("weights")`` (a ``simplex``) are the model's params.
2. Inside ``plate``, ``sample("assignment")`` is a ``Categorical`` draw in the guide and
   replayed in the model; ``sample("obs")`` uses it to pick a cluster.
"""

import torch
from pyro.distributions import Categorical, Normal
from torch.distributions import constraints

import minipyro as pyro

title = "Gaussian mixture"

data = torch.cat([torch.randn(10, generator=torch.Generator().manual_seed(2)) - 3.0,
                  torch.randn(10, generator=torch.Generator().manual_seed(3)) + 3.0])
args = (data,)
svi = {"steps": 500, "lr": 0.05, "optimizer": "Adam", "elbo": "Trace_ELBO"}


def model(data):
    locs = pyro.param("locs", torch.tensor([-1.0, 1.0]))
    weights = pyro.param("weights", torch.tensor([0.5, 0.5]), constraint=constraints.simplex)
    with pyro.plate("data", len(data)):
        assignment = pyro.sample("assignment", Categorical(weights))
        pyro.sample("obs", Normal(locs[assignment], 1.0), obs=data)


def guide(data):
    probs = pyro.param("assignment_probs", torch.full((len(data), 2), 0.5), constraint=constraints.simplex)
    with pyro.plate("data", len(data)):
        pyro.sample("assignment", Categorical(probs))
