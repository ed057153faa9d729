"""Fit a line with uncertainty: priors on slope, intercept and noise.

A line through noisy points, with Normal priors on the slope and intercept and a
HalfNormal prior on the noise. The guide gives the slope and the intercept a Normal
each, with learnable location and scale, and the noise a LogNormal whose location is
learnt and whose scale stays fixed at 0.3.

What to watch:
1. ``sample("slope")``, ``sample("intercept")`` and ``sample("noise")`` are global latents.
2. ``sample("y")`` inside ``plate`` is observed: 50 points, one log-density each.
3. Run SVI: after 2 000 steps (seed 0) the guide's ``param("slope_loc")`` is within
   0.05 of 2, the slope the data were made with.
"""

import torch
from pyro.distributions import HalfNormal, LogNormal, Normal
from torch.distributions import constraints

import minipyro as pyro

title = "Bayesian linear regression"

generator = torch.Generator().manual_seed(4)
x = torch.linspace(-2, 2, 50)
y = 2.0 * x - 1.0 + 0.5 * torch.randn(50, generator=generator)
args = (x, y)
svi = {"steps": 2000, "lr": 0.03, "optimizer": "Adam", "elbo": "Trace_ELBO"}


def model(x, y):
    slope = pyro.sample("slope", Normal(0.0, 5.0))
    intercept = pyro.sample("intercept", Normal(0.0, 5.0))
    noise = pyro.sample("noise", HalfNormal(2.0))
    with pyro.plate("data", len(x)):
        pyro.sample("y", Normal(slope * x + intercept, noise), obs=y)


def guide(x, y):
    for name in ("slope", "intercept"):
        loc = pyro.param(f"{name}_loc", torch.tensor(0.0))
        scale = pyro.param(f"{name}_scale", torch.tensor(1.0), constraint=constraints.positive)
        pyro.sample(name, Normal(loc, scale))
    noise_loc = pyro.param("noise_loc", torch.tensor(0.0))
    pyro.sample("noise", LogNormal(noise_loc, 0.3))
