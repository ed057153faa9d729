"""A small HMM with pyro.markov over time, its hidden states enumerated (TraceEnum_ELBO)."""

import pyro
import pyro.distributions as dist
import torch
from torch.distributions import constraints

DATA = torch.tensor([0.1, 0.3, 2.1, 1.9, 2.2, 0.0])


def model(data):
    probs = pyro.param("transition", torch.tensor([[0.8, 0.2], [0.3, 0.7]]), constraint=constraints.simplex)
    locs = pyro.param("locs", torch.tensor([0.0, 1.0]))
    state = 0
    for t in pyro.markov(range(len(data))):
        state = pyro.sample(f"state_{t}", dist.Categorical(probs[state]), infer={"enumerate": "parallel"})
        pyro.sample(f"obs_{t}", dist.Normal(locs[state], 0.5), obs=data[t])


def guide(data):
    pass


args = (DATA,)
svi = {"steps": 15, "lr": 0.05, "elbo": "TraceEnum_ELBO", "elbo_kwargs": {"max_plate_nesting": 0}}
