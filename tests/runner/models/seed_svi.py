import torch
from pyro.distributions import Normal

import minipyro as pyro

data = torch.arange(10.0)
args = (data,)
svi = {"steps": 100000, "lr": 0.01}


def model(data):
    loc = pyro.sample("loc", Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", Normal(loc, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", Normal(pyro.param("q", torch.tensor(0.0)), 1.0))
