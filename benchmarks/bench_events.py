"""Recording overhead: SVI step time with record(detail="sites") and ("steps", in memory)
relative to no observer, on the seed model and on a 300-site chain.

    python benchmarks/bench_events.py [--rounds 15]

Goals (DESIGN section 9, issue 16): sites <= 1.10x, steps <= 1.6x. The three variants run
in interleaved rounds so that machine noise hits them alike; distribution validation is off
for all of them (as in bench_core).
"""

import argparse
import statistics
import time

import torch
from pyro.distributions import Normal
from torch.distributions import constraints

import minipyro
from goals import report

SEED_DATA = 3.0 + torch.randn(100, generator=torch.Generator().manual_seed(0))
CHAIN_LENGTH = 300


def seed_model(data):
    loc = minipyro.sample("loc", Normal(0.0, 10.0))
    with minipyro.plate("data", len(data)):
        minipyro.sample("obs", Normal(loc, 1.0), obs=data)


def seed_guide(data):
    q_loc = minipyro.param("q_loc", torch.tensor(0.0))
    q_scale = minipyro.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
    minipyro.sample("loc", Normal(q_loc, q_scale))


def chain_model():
    x = torch.tensor(0.0)
    for i in range(CHAIN_LENGTH):
        x = minipyro.sample(f"z{i}", Normal(x, 1.0))
    minipyro.sample("y", Normal(x, 1.0), obs=torch.tensor(1.0))


def chain_guide():
    q = minipyro.param("q", torch.zeros(CHAIN_LENGTH))
    for i in range(CHAIN_LENGTH):
        minipyro.sample(f"z{i}", Normal(q[i], 1.0))


WORKLOADS = {
    "seed model": (seed_model, seed_guide, (SEED_DATA,), 50),
    f"{CHAIN_LENGTH}-site chain": (chain_model, chain_guide, (), 3),
}


def timed_steps(model, guide, args, steps, detail):
    minipyro.get_param_store().clear()
    svi = minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.01}), minipyro.Trace_ELBO())
    svi.step(*args)  # create the params outside the timing
    if detail is None:
        start = time.perf_counter()
        for _ in range(steps):
            svi.step(*args)
        return (time.perf_counter() - start) / steps
    with minipyro.record(detail=detail) as rec:
        # A recording's first step also reports the model's and guide's structure (once per
        # run): the steady cost per step is what is compared, after it.
        svi.step(*args)
        start = time.perf_counter()
        for _ in range(steps):
            svi.step(*args)
        elapsed = time.perf_counter() - start
    assert len(rec) > 0
    return elapsed / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    torch.set_num_threads(1)
    torch.distributions.Distribution.set_default_validate_args(False)
    goals = {"sites": 1.10, "steps": 1.6}
    for workload, (model, guide, args, steps) in WORKLOADS.items():
        times = {None: [], "sites": [], "steps": []}
        for _ in range(options.rounds):
            for detail in times:
                times[detail].append(timed_steps(model, guide, args, steps, detail))
        base = statistics.median(times[None])
        print(f"{workload}: {base * 1e3:.3f} ms per SVI step without an observer")
        for detail, goal in goals.items():
            if detail == "sites" and workload != "seed model":
                continue  # issue 16's table: sites on the seed model, steps on both
            report(f"{detail} recording / unrecorded SVI step, {workload}", statistics.median(times[detail]) / base,
                   "x", goal)


if __name__ == "__main__":
    main()
