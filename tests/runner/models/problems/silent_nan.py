"""A noise scale learned without a constraint: one big step takes it below zero, and with
validation off the log-density of 'obs' turns NaN without an error."""
import torch
import pyro.distributions as dist

import ENGINE as pyro

dist.enable_validation(False)
data = 0.001 * torch.arange(-25.0, 25.0) / 25
args = (data,)
svi = {"lr": 0.5}


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    noise = pyro.param("noise", torch.tensor(0.3))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, noise), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    pyro.sample("loc", dist.Normal(q_loc, 0.001))
