"""Pyro mode's cost: a full-Pyro SVI step with no recorder after Pyro mode has been used (its hooks
must be gone: goal <= 1.02x plain Pyro) and with record(detail="sites") (goal <= 1.3x).

    python benchmarks/bench_pyro_mode.py [--rounds 15]

Validation is off on both sides (DESIGN section 9). "plain" is measured before minipyro.observe
has installed anything; "after" once a recording has come and gone. Rounds interleave the
variants in a shuffled order so that machine noise hits them alike; the best times (the
intrinsic cost: noise only ever adds) and the median of per-round ratios are both reported.
"""

import argparse
import random
import statistics
import time

import pyro
import pyro.distributions as dist
import torch
from pyro.infer import SVI, Trace_ELBO
from pyro.optim import Adam
from torch.distributions import constraints

import minipyro
from goals import report

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
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    pyro.enable_validation(False)
    first_plain = [timed_steps() for _ in range(3)]  # warm up, and plain measures untouched by any hook
    times = {"plain": [], "after a recording": [], "sites": []}
    variants = {"plain": lambda: timed_steps(), "after a recording": lambda: timed_steps(),
                "sites": lambda: timed_steps("sites")}
    order = random.Random(0)
    for _ in range(rounds):
        names = list(variants)
        order.shuffle(names)  # so that drift in the machine's speed favours no variant
        for name in names:
            times[name].append(variants[name]())
    base = min(times["plain"] + first_plain)
    print(f"full Pyro, seed model: {base * 1e3:.3f} ms per SVI step (validation off, best of {rounds + 3})")
    for name, goal in (("after a recording", 1.02), ("sites", 1.3)):
        best = min(times[name]) / base
        paired = statistics.median(t / p for t, p in zip(times[name], times["plain"]))
        print(f"  {name:18s} best {best:.3f}x, median of paired rounds {paired:.3f}x")
        report(f"Pyro mode, {name} / plain Pyro (paired median)", paired, "x", goal)


if __name__ == "__main__":
    main()
