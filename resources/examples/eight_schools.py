"""A hierarchical model, the classic example of partial pooling.

Each school's effect ``theta`` is drawn around a shared mean ``mu`` with spread ``tau``;
each school reports one noisy estimate ``obs`` with a known standard error.

What to watch:
1. ``plate("schools", 8)`` makes ``sample("theta")`` and ``sample("obs")`` eight independent
   copies: their distributions are broadcast to batch shape [8] and ``cond_indep_stack``
   names the plate.
2. ``sample("mu")`` and ``sample("tau")`` are outside the plate: one value for every school.
3. In the model graph, theta depends on mu and tau, obs on theta.
"""

import torch
from pyro.distributions import HalfCauchy, LogNormal, Normal
from torch.distributions import constraints

import minipyro as pyro

title = "Eight schools"

y = torch.tensor([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
sigma = torch.tensor([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
args = (sigma, y)
svi = {"steps": 2000, "lr": 0.02, "optimizer": "Adam", "elbo": "TraceMeanField_ELBO"}


def model(sigma, y):
    mu = pyro.sample("mu", Normal(0.0, 5.0))
    tau = pyro.sample("tau", HalfCauchy(5.0))
    with pyro.plate("schools", len(y)):
        theta = pyro.sample("theta", Normal(mu, tau))
        pyro.sample("obs", Normal(theta, sigma), obs=y)


def guide(sigma, y):
    pyro.sample("mu", Normal(pyro.param("mu_loc", torch.tensor(0.0)),
                             pyro.param("mu_scale", torch.tensor(1.0), constraint=constraints.positive)))
    pyro.sample("tau", LogNormal(pyro.param("tau_loc", torch.tensor(1.0)),
                                 pyro.param("tau_scale", torch.tensor(0.5), constraint=constraints.positive)))
    theta_loc = pyro.param("theta_loc", torch.zeros(len(y)))
    theta_scale = pyro.param("theta_scale", torch.ones(len(y)), constraint=constraints.positive)
    with pyro.plate("schools", len(y)):
        pyro.sample("theta", Normal(theta_loc, theta_scale))
