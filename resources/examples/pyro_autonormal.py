"""What an autoguide sends down the stack.

This file imports ``pyro``, so the Studio runs it on full Pyro, unchanged. The guide is
``AutoNormal(model)``: Pyro writes it for you by tracing the model once.

What to watch:
1. The first guide call traces the model inside Pyro's own handlers (``TraceMessenger``,
   ``BlockMessenger``, ``InitMessenger``): the autoguide learns the sites it must cover.
2. ``param("AutoNormal.locs.loc")`` and ``param("AutoNormal.scales.loc")``: one location and
   one scale per latent site, made by the guide, trained by SVI.
3. ``sample("loc_unconstrained")`` is drawn in unconstrained space; ``sample("loc")`` is its
   value pushed through the site's support (here the identity: the prior is a Normal).
4. In the model, ``sample("loc")`` is replayed (``ReplayMessenger``); ``sample("obs")`` is observed.
"""

import pyro
import pyro.distributions as dist
import torch
from pyro.infer.autoguide import AutoNormal

title = "Pyro mode: AutoNormal"

data = 3.0 + torch.randn(50, generator=torch.Generator().manual_seed(0))
args = (data,)
svi = {"steps": 500, "lr": 0.05}


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


guide = AutoNormal(model)
