"""A wide guide for 'z' makes its log p - log q, and so the loss, noisy; 'obs' and 'loc' are calm."""
import torch
import pyro.distributions as dist

import minipyro as pyro

data = torch.linspace(-1.0, 1.0, 50) + 2.0
args = (data,)
svi = {"steps": 60, "lr": 0.05, "site_elbo": True}  # the monitor's "per-site ELBO" ticked


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    pyro.sample("z", dist.Normal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(2.0))
    pyro.sample("loc", dist.Normal(q_loc, 0.05))
    pyro.sample("z", dist.Normal(0.0, 3.0))
