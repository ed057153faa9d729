"""An ELBO used as a torch module with a torch optimiser (as Pyro's examples/svi_torch.py), run
on two "ranks": rank 0 re-executes this script with LOCAL_RANK=1, as Lightning's DDP launcher
does, and waits for it."""

import argparse
import os
import subprocess
import sys

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.nn import PyroModule, PyroSample


class Regression(PyroModule):
    def __init__(self):
        super().__init__()
        self.linear = PyroModule[torch.nn.Linear](1, 1)
        self.linear.weight = PyroSample(dist.Normal(0.0, 1.0).expand([1, 1]).to_event(2))

    def forward(self, x, y=None):
        mean = self.linear(x).squeeze(-1)
        with pyro.plate("data", x.shape[0]):
            return pyro.sample("obs", dist.Normal(mean, 0.5), obs=y)


def main(args):
    rank = int(os.environ.get("LOCAL_RANK", "0"))
    child = None
    if rank == 0 and args.ranks > 1:
        child = subprocess.Popen([sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]],
                                 env={**os.environ, "LOCAL_RANK": "1"})
    pyro.set_rng_seed(rank)
    x = torch.randn(40, 1)
    y = 2.0 * x.squeeze(-1) + 0.3 * torch.randn(40)
    model = Regression()
    guide = AutoNormal(model)
    loss_fn = Trace_ELBO()(model, guide)
    loss_fn(x, y)  # creates the guide's parameters
    optimizer = torch.optim.Adam(loss_fn.parameters(), lr=0.05)
    for step in range(args.num_steps):
        optimizer.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        print(f"rank {rank} step {step} loss {loss.item()!r}", flush=True)
    if child is not None:
        sys.exit(child.wait())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--num-steps", type=int, default=4)
    parser.add_argument("--ranks", type=int, default=2)
    main(parser.parse_args())
