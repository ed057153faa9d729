"""A Gaussian mixture with the assignment enumerated: config_enumerate, TraceEnum_ELBO, AutoDelta."""

import pyro
import pyro.distributions as dist
import torch
from pyro import poutine
from pyro.infer import config_enumerate
from pyro.infer.autoguide import AutoDelta

DATA = torch.tensor([0.0, 1.0, 10.0, 11.0, 12.0])


@config_enumerate
def model(data):
    weights = pyro.sample("weights", dist.Dirichlet(0.5 * torch.ones(2)))
    scale = pyro.sample("scale", dist.LogNormal(0.0, 2.0))
    with pyro.plate("components", 2):
        locs = pyro.sample("locs", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        assignment = pyro.sample("assignment", dist.Categorical(weights))
        pyro.sample("obs", dist.Normal(locs[assignment], scale), obs=data)


guide = AutoDelta(poutine.block(model, expose=["weights", "locs", "scale"]))
args = (DATA,)
svi = {"steps": 20, "lr": 0.1, "elbo": "TraceEnum_ELBO", "elbo_kwargs": {"max_plate_nesting": 1}}
