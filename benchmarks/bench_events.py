"""Recording overhead: SVI step time with record(detail="sites") and ("steps", in memory)
relative to no observer, on the seed model and on a 300-site chain.

    python benchmarks/bench_events.py [--rounds 15]

Goals (DESIGN section 9): sites <= 1.2x, steps <= 2.0x. The three variants run
in interleaved rounds so that machine noise hits them alike.
"""

import argparse
import statistics
import time

import torch
from pyro.distributions import Normal
from torch.distributions import constraints

import minipyro

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
    start = time.perf_counter()
    if detail is None:
        for _ in range(steps):
            svi.step(*args)
    else:
        with minipyro.record(detail=detail) as rec:
            for _ in range(steps):
                svi.step(*args)
        assert len(rec) > 0
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    torch.set_num_threads(1)
    goals = {"sites": 1.2, "steps": 2.0}
    for workload, (model, guide, args, steps) in WORKLOADS.items():
        times = {None: [], "sites": [], "steps": []}
        for _ in range(options.rounds):
            for detail in times:
                times[detail].append(timed_steps(model, guide, args, steps, detail))
        base = statistics.median(times[None])
        print(f"{workload}: {base * 1e3:.3f} ms per SVI step without an observer")
        for detail, goal in goals.items():
            ratio = statistics.median(times[detail]) / base
            print(f"  detail={detail:5s} {ratio:5.2f}x   goal <= {goal:.1f}x   {'met' if ratio <= goal else 'NOT met'}")


if __name__ == "__main__":
    main()
