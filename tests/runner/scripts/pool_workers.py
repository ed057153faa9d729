"""Training in a pool of forked workers, closed by its ``with`` block: ``Pool.__exit__`` terminates
the workers with SIGTERM as soon as the results are in."""

import multiprocessing

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import SVI, Trace_ELBO
from pyro.optim import Adam


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 1.0))


def train(seed):
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = torch.randn(20) + 3.0
    svi = SVI(model, guide, Adam({"lr": 0.05}), Trace_ELBO())
    return [svi.step(data) for _ in range(20)]


if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for losses in pool.map(train, [1, 2]):
            print(f"last loss {losses[-1]!r}")
