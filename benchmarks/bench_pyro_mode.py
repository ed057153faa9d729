"""Pyro mode's cost: a full-Pyro SVI step with no recorder after Pyro mode has been used (its hooks
must be gone: goal <= 1.02x plain Pyro) and with record(detail="sites") (goal <= 1.3x).

    python benchmarks/bench_pyro_mode.py [--rounds 15]

Validation is off on both sides (DESIGN section 9). "plain" is measured before minipyro.observe
has installed anything; "after" once a recording has come and gone. Rounds interleave the
variants so that machine noise hits them alike; medians are compared.
"""

import argparse
import statistics
import time

import pyro
import pyro.distributions as dist
import torch
from pyro.infer import SVI, Trace_ELBO
from pyro.optim import Adam
from torch.distributions import constraints

import minipyro

DATA = 3.0 + torch.randn(100, generator=torch.Generator().manual_seed(0))
STEPS = 50


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(0.0))
    q_scale = pyro.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
    pyro.sample("loc", dist.Normal(q_loc, q_scale))


def timed_steps(detail=None) -> float:
    pyro.clear_param_store()
    svi = SVI(model, guide, Adam({"lr": 0.01}), Trace_ELBO())
    svi.step(DATA)
    if detail is None:
        start = time.perf_counter()
        for _ in range(STEPS):
            svi.step(DATA)
        return (time.perf_counter() - start) / STEPS
    with minipyro.record(detail=detail):
        svi.step(DATA)  # the first observed step also reports the structure: a one-off cost
        start = time.perf_counter()
        for _ in range(STEPS):
            svi.step(DATA)
        return (time.perf_counter() - start) / STEPS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    pyro.enable_validation(False)
    plain = [timed_steps() for _ in range(3)]  # warm up, and a first plain measure untouched by hooks
    times = {"plain": plain, "after a recording": [], "sites": []}
    for _ in range(rounds):
        times["sites"].append(timed_steps("sites"))
        times["after a recording"].append(timed_steps())
        times["plain"].append(timed_steps())
    base = statistics.median(times["plain"])
    print(f"full Pyro, seed model: {base * 1e3:.3f} ms per SVI step (validation off)")
    for name, goal in (("after a recording", 1.02), ("sites", 1.3)):
        ratio = statistics.median(times[name]) / base
        print(f"  {name:18s} {ratio:.3f}x   goal <= {goal}x   {'met' if ratio <= goal else 'NOT met'}")


if __name__ == "__main__":
    main()
