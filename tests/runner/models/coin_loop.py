"""Eight flips observed one site at a time, and a chain of five: repeated sites for the debugger."""
import torch
from pyro.distributions import Bernoulli, Beta, Normal

import minipyro as pyro

flips = torch.tensor([1.0, 0.0] * 4)
args = (flips,)


def model(flips):
    fairness = pyro.sample("latent_fairness", Beta(10.0, 10.0))
    for i in range(len(flips)):
        pyro.sample(f"obs_{i}", Bernoulli(fairness), obs=flips[i])
    x = pyro.sample("x_0", Normal(0.0, 1.0))
    for i in range(1, 5):
        x = pyro.sample(f"x_{i}", Normal(x, 1.0))
