"""A training script in the style of Pyro's examples (for benchmarks/bench_record.py): a
hierarchical normal model, an AutoNormal guide, a loop of svi.step, the loss logged."""

import argparse
import time

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.optim import Adam


def model(groups, data=None):
    mu = pyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = pyro.sample("tau", dist.HalfCauchy(5.0))
    with pyro.plate("groups", groups.max().item() + 1):
        theta = pyro.sample("theta", dist.Normal(mu, tau))
    with pyro.plate("data", len(groups)):
        pyro.sample("obs", dist.Normal(theta[groups], 1.0), obs=data)


def main(args):
    pyro.set_rng_seed(args.seed)
    groups = torch.arange(8).repeat(25)
    data = torch.randn(len(groups)) + groups.float()
    guide = AutoNormal(model)
    svi = SVI(model, guide, Adam({"lr": 0.02}), Trace_ELBO())
    start = time.perf_counter()
    for step in range(args.num_steps):
        loss = svi.step(groups, data)
        if step % 500 == 0:
            print(f"step {step} loss {loss:.4f}")
    print(f"trained in {time.perf_counter() - start:.4f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--num-steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    main(parser.parse_args())
