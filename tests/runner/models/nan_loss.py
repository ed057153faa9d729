import pyro.distributions
import torch
from pyro.distributions import Normal

import minipyro

svi = {"steps": 50, "lr": 0.1}
calls = [0]
pyro.distributions.enable_validation(False)  # or the NaN would be refused as an argument


def model():
    calls[0] += 1
    z = minipyro.sample("z", Normal(0.0, 1.0))
    if calls[0] > 12:  # the model "diverges" after a while
        minipyro.factor("diverged", z * float("nan"))


def guide():
    minipyro.sample("z", Normal(minipyro.param("q", torch.tensor(0.0)), 1.0))
