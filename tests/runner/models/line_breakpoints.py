"""Two plates, and a site of the same name in the model and the guide: a breakpoint on a line
stops at that line's events only."""
import torch
from pyro.distributions import Normal

import minipyro as pyro


def model():
    with pyro.plate("outer", 2):  # the model's outer plate
        pyro.sample("z", Normal(0.0, 1.0))  # the model's z
    with pyro.plate("inner", 3):
        pyro.sample("obs", Normal(0.0, 1.0), obs=torch.zeros(3))


def guide():
    with pyro.plate("outer", 2):
        pyro.sample("z", Normal(0.0, 1.0))
