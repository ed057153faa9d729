"""A Gaussian mixture whose assignments are summed out exactly.

``config_enumerate`` marks the discrete site ``assignment`` for parallel enumeration, and
``TraceEnum_ELBO`` sums it out exactly instead of sampling it; ``AutoDelta`` learns point
estimates of the continuous sites.

What to watch:
1. Traced alone, ``sample("assignment")`` is drawn like any site: one component per point,
   shape ``[5]``. Under SVI (run it, or capture a step), ``EnumMessenger`` on the stack gives it
   an enumeration dim of its own: shape ``[2, 1]``, both components, broadcast against the data.
2. ``sample("obs")`` is then scored under both assignments at once.
3. The guide covers only ``sample("weights")``, ``sample("locs")`` and ``sample("scale")``:
   the assignment is summed out, never guessed.
"""

import pyro
import pyro.distributions as dist
import torch
from pyro import poutine
from pyro.infer import config_enumerate
from pyro.infer.autoguide import AutoDelta

title = "Pyro mode: enumeration"

data = torch.tensor([0.0, 1.0, 10.0, 11.0, 12.0])
args = (data,)
svi = {"steps": 200, "lr": 0.1, "elbo": "TraceEnum_ELBO", "elbo_kwargs": {"max_plate_nesting": 1}}


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
