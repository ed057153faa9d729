"""Learn one unknown mean from 100 noisy measurements, and compare with the exact answer.

A single unknown mean ``loc`` with a broad Normal prior, and 100 noisy
measurements of it inside ``plate("data", 100)``. The guide is a Normal with
a learnable location and (positive) scale.

What to watch:
1. ``param("q_loc")`` and ``param("q_scale")`` in the guide: the first SVI step
   creates them in the param store; later steps read them.
2. ``sample("loc")`` in the guide draws a value; in the model the same site is
   *replayed*: it takes the guide's value instead of sampling.
3. ``sample("obs")`` inside the plate is observed: its distribution is broadcast
   to 100 copies, and its log-density scores the data.
4. After 1 000 steps (seed 0) ``q_loc`` is within 0.5 posterior standard deviations
   of the exact posterior mean (``exact_posterior`` computes it: 3.04, sd 0.10), and
   ``q_scale`` within 15% of that sd: SVI's noisy gradients keep both jittering
   around the answer rather than sitting on it.
"""

import torch
from pyro.distributions import Normal
from torch.distributions import constraints

import minipyro as pyro

title = "Normal–Normal, the seed model"

data = 3.0 + torch.randn(100, generator=torch.Generator().manual_seed(0))
args = (data,)
svi = {"steps": 1000, "lr": 0.05, "optimizer": "Adam", "elbo": "Trace_ELBO"}

PRIOR_SCALE = 10.0


def model(data):
    loc = pyro.sample("loc", Normal(0.0, PRIOR_SCALE))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", Normal(loc, 1.0), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    q_scale = pyro.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
    pyro.sample("loc", Normal(q_loc, q_scale))


def exact_posterior(data):
    """The conjugate posterior of ``loc``: (mean, standard deviation)."""
    precision = 1.0 / PRIOR_SCALE**2 + len(data)
    return (data.sum() / precision).item(), precision**-0.5
