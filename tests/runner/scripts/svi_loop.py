"""A training script in the style of Pyro's examples: argparse, data made at the top, a loop of
svi.step, the loss printed. It also prints how Python started it, for the record tests."""

import argparse
import os
import sys

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import SVI, JitTrace_ELBO, Trace_ELBO
from pyro.optim import Adam


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    scale = pyro.sample("scale", dist.LogNormal(0.0, 1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, scale), obs=data)


def guide(data):
    loc_loc = pyro.param("loc_loc", torch.tensor(0.0))
    loc_scale = pyro.param("loc_scale", torch.tensor(1.0), constraint=dist.constraints.positive)
    pyro.sample("loc", dist.Normal(loc_loc, loc_scale))
    pyro.sample("scale", dist.LogNormal(pyro.param("log_scale_loc", torch.tensor(0.0)), 0.1))


def main(args):
    print(f"name={__name__} argv={sys.argv} path0={sys.path[0]} cwd={os.getcwd()} file={__file__}")
    print("héllo, wörld: output is passed through as it is", end="")
    print(" (a line in two writes)")
    print("to stderr", file=sys.stderr)
    sys.stdout.buffer.write(b"raw bytes \xff\n")
    sys.stdout.flush()
    data = torch.randn(50) * 2.0 + 3.0
    elbo = JitTrace_ELBO() if args.jit else Trace_ELBO()
    svi = SVI(model, guide, Adam({"lr": args.learning_rate}), elbo)
    for step in range(args.num_steps):
        loss = svi.step(data)
        print(f"step {step} loss {loss!r}")
    sys.exit(args.exit_code)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SVI on a normal model")
    parser.add_argument("-n", "--num-steps", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=None, help="the script's own seed")
    parser.add_argument("--exit-code", type=int, default=0)
    parser.add_argument("--jit", action="store_true")
    args = parser.parse_args()
    if args.seed is not None:
        pyro.set_rng_seed(args.seed)
    main(args)
