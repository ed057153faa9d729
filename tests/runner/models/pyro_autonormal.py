"""A Pyro program as Pyro's tutorials start one: pyro.clear_param_store at the top, an
AutoNormal guide, ClippedAdam with its clip_norm given in the svi dict."""

import pyro
import pyro.distributions as dist
import torch
from pyro.infer.autoguide import AutoNormal

pyro.clear_param_store()

DATA = torch.randn(30) * 0.5 + 1.0


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 5.0))
    scale = pyro.sample("scale", dist.LogNormal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, scale), obs=data)


guide = AutoNormal(model)
args = (DATA,)
svi = {"steps": 30, "lr": 0.05, "optimizer": "ClippedAdam", "optimizer_kwargs": {"clip_norm": 5.0}}
