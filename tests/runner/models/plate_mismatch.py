import torch
from pyro.distributions import Normal

import minipyro as pyro


def model():
    with pyro.plate("data", 100):
        pyro.sample("obs", Normal(0.0, 1.0), obs=torch.zeros(50))
