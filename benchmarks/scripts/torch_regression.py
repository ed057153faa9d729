"""A training script in the style of Pyro's examples/svi_torch.py (for benchmarks/bench_record.py):
a Bayesian regression as a PyroModule, its ELBO as a torch module, a torch optimiser."""

import argparse
import time

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.nn import PyroModule, PyroSample


class Regression(PyroModule):
    def __init__(self, features):
        super().__init__()
        self.linear = PyroModule[torch.nn.Linear](features, 1)
        self.linear.weight = PyroSample(dist.Normal(0.0, 1.0).expand([1, features]).to_event(2))
        self.linear.bias = PyroSample(dist.Normal(0.0, 10.0).expand([1]).to_event(1))

    def forward(self, x, y=None):
        sigma = pyro.sample("sigma", dist.Uniform(0.0, 10.0))
        mean = self.linear(x).squeeze(-1)
        with pyro.plate("data", x.shape[0]):
            return pyro.sample("obs", dist.Normal(mean, sigma), obs=y)


def main(args):
    pyro.set_rng_seed(args.seed)
    x = torch.randn(500, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.3 * torch.randn(500)
    model = Regression(4)
    guide = AutoNormal(model)
    loss_fn = Trace_ELBO()(model, guide)
    loss_fn(x, y)  # makes the guide's parameters
    optimizer = torch.optim.Adam(loss_fn.parameters(), lr=0.02)
    start = time.perf_counter()
    for step in range(args.num_steps):
        optimizer.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        if step % 500 == 0:
            print(f"step {step} loss {loss.item():.4f}")
    print(f"trained in {time.perf_counter() - start:.4f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--num-steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    main(parser.parse_args())
