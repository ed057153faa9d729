"""Is it fair? A conjugate model, fitted with a Beta guide.

Twenty flips, fourteen heads. The model puts a ``Beta(10, 10)`` prior on the
coin's bias and observes each flip; the guide is a Beta with learnable
positive parameters.

What to watch:
1. ``param("alpha_q")`` and ``param("beta_q")`` are read with ``constraints.positive``:
   the store keeps their logarithm, the message's value is the positive number.
2. ``sample("fairness")`` is drawn in the guide and replayed in the model.
3. ``sample("flips")`` inside ``plate`` is observed: 20 Bernoulli log-densities.
"""

import torch
from pyro.distributions import Bernoulli, Beta
from torch.distributions import constraints

import minipyro as pyro

title = "A coin with a Beta prior"

flips = torch.tensor([1.0] * 14 + [0.0] * 6)
args = (flips,)
svi = {"steps": 1500, "lr": 0.02, "optimizer": "Adam", "elbo": "Trace_ELBO"}


def model(flips):
    fairness = pyro.sample("fairness", Beta(10.0, 10.0))
    with pyro.plate("data", len(flips)):
        pyro.sample("flips", Bernoulli(fairness), obs=flips)


def guide(flips):
    alpha_q = pyro.param("alpha_q", torch.tensor(15.0), constraint=constraints.positive)
    beta_q = pyro.param("beta_q", torch.tensor(15.0), constraint=constraints.positive)
    pyro.sample("fairness", Beta(alpha_q, beta_q))
