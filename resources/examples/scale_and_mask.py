"""Weight log-density terms, and drop those of missing data.

``scale(scale=10.0)`` multiplies ``scale`` on every message inside it (subsampling
plates do this too); ``mask(mask=...)`` zeroes the log-density where the mask is
False, for missing data.

What to watch:
1. ``sample("weighted")`` passes ``scale``: its ``scale`` changes 1 → 10.
2. ``sample("partly_missing")`` passes ``mask``: its ``mask`` field is set; the
   masked entries will not count in the ELBO.
"""

import torch
from pyro.distributions import Normal

import minipyro as pyro

title = "Scale and mask"

readings = torch.tensor([1.0, 2.0, 0.0, 4.0])
missing = torch.tensor([False, False, True, False])
args = (readings,)


def model(readings):
    with pyro.scale(scale=10.0):
        pyro.sample("weighted", Normal(0.0, 1.0))
    with pyro.plate("data", len(readings)), pyro.mask(mask=~missing):
        pyro.sample("partly_missing", Normal(2.0, 1.0), obs=readings)
