"""Data drawn with numpy at import, a guide whose init is random and that draws numpy and
``random`` numbers on every call: the model file a passive observer must not disturb."""

import random

import numpy as np
import torch
from pyro.distributions import Normal
from torch.distributions import constraints

import minipyro

DATA = torch.tensor(np.random.normal(1.5, 2.0, size=20), dtype=torch.float32)


def model(data):
    loc = minipyro.sample("loc", Normal(0.0, 10.0))
    with minipyro.plate("data", len(data)):
        minipyro.sample("obs", Normal(loc, 2.0), obs=data)


def guide(data):
    q_loc = minipyro.param("q_loc", lambda: torch.randn(()))
    q_scale = minipyro.param("q_scale", lambda: torch.rand(()) + 0.5, constraint=constraints.positive)
    # numpy's and random's streams move on every call (a jittered init, a dropout mask...)
    jitter = float(np.random.uniform(-1e-3, 1e-3)) + random.uniform(-1e-3, 1e-3)
    print("guide called")
    minipyro.sample("loc", Normal(q_loc + jitter, q_scale))


args = (DATA,)
svi = {"steps": 25, "lr": 0.05}
