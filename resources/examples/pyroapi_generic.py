"""One model file, run on minipyro here and on full Pyro unchanged.

``from pyroapi import pyro`` dispatches to the backend in force. The app runs this file
inside ``pyro_backend("minipyro_studio")``; under ``pyro_backend("pyro")`` the same code
runs on full Pyro.

What to watch:
1. The backend's ``seed`` handler is on the stack: pyroapi seeds every backend.
2. ``sample("loc")`` and ``sample("obs")`` inside ``plate`` are ordinary minipyro sites.
"""

import torch
from pyroapi import distributions as dist
from pyroapi import pyro

title = "A pyroapi-generic model"

data = torch.tensor([0.2, 0.9, 1.4, 0.7])
args = (data,)


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", dist.Normal(pyro.param("loc_q", torch.tensor(0.0)), 1.0))
