"""A script written against ``pyro.generic``, as Pyro's minipyro example is: the backend is an
argument, so the same training runs on Pyro's own ``pyro.contrib.minipyro`` or on full Pyro."""

import argparse

import torch

from pyro.generic import distributions as dist
from pyro.generic import infer, ops, optim, pyro, pyro_backend


def model(counts):
    rate = pyro.sample("rate", dist.Gamma(2.0, 1.0))
    with pyro.plate("days", len(counts), dim=-1):
        pyro.sample("count", dist.Poisson(rate), obs=counts)


def guide(counts):
    concentration = ops.exp(pyro.param("log_concentration", torch.tensor(1.0)))
    inverse_scale = ops.exp(pyro.param("log_rate", torch.tensor(0.0)))
    pyro.sample("rate", dist.Gamma(concentration, inverse_scale))


def main(args):
    torch.manual_seed(1)
    counts = torch.poisson(torch.full((30,), 4.0))
    with pyro_backend(args.backend):
        pyro.get_param_store().clear()
        svi = infer.SVI(model, guide, optim.Adam({"lr": 0.05}), infer.Trace_ELBO())
        for step in range(args.num_steps):
            print(f"step {step} loss {svi.step(counts)!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A Poisson rate, on a backend of pyro.generic")
    parser.add_argument("-b", "--backend", default="minipyro")
    parser.add_argument("-n", "--num-steps", type=int, default=3)
    main(parser.parse_args())
