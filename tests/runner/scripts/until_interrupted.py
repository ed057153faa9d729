"""SVI until Ctrl+C: says "training" once a few steps are done."""
import sys

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.optim import Adam


def model():
    pyro.sample("z", dist.Normal(0.0, 1.0))


svi = SVI(model, AutoNormal(model), Adam({"lr": 0.01}), Trace_ELBO())
step = 0
while True:
    svi.step()
    step += 1
    if step == 3:
        print("training", flush=True)
