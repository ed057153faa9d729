"""SVI step time on the seed model: minipyro against pyro.contrib.minipyro, full Pyro and plain torch.

Prints median step-time ratios taken in one run. Implementations are timed in
interleaved rounds, so that a noisy neighbour slows all of them alike. Validation (distribution
argument checks) is off for every one of them alike (DESIGN section 9): ``pyro.enable_validation(False)``
sets torch's default too, which the hand-written loop's distributions use.

    python benchmarks/bench_core.py [--rounds 30] [--steps 50]
"""

import argparse
import statistics
import time
import types

import pyro
import pyro.contrib.minipyro as contrib_minipyro
import pyro.distributions as dist
import torch
from torch.distributions import constraints

import minipyro
from goals import report

DATA = 3.0 + torch.randn(100, generator=torch.Generator().manual_seed(0))
LR = 0.05
FULL_PYRO = types.SimpleNamespace(sample=pyro.sample, param=pyro.param, plate=pyro.plate,
                                  get_param_store=pyro.get_param_store, SVI=pyro.infer.SVI)


def seed_model_svi(P, optim, elbo):
    """The seed model (one latent Normal, 100 observations in a plate, a Normal guide) on backend P."""

    def model(data):
        loc = P.sample("loc", dist.Normal(0.0, 10.0))
        with P.plate("data", len(data), dim=-1):
            P.sample("obs", dist.Normal(loc, 1.0), obs=data)

    def guide(data):
        q_loc = P.param("q_loc", torch.tensor(0.0))
        q_scale = P.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
        P.sample("loc", dist.Normal(q_loc, q_scale))

    P.get_param_store().clear()
    svi = P.SVI(model, guide, optim, elbo)
    return lambda: svi.step(DATA)


def torch_loop():
    """The same ELBO and one Adam, written by hand with torch only.

    The distributions are built inside the step, as the model and guide build
    them, so that the ratio measures the framework and not the model code.
    """
    q_loc = torch.tensor(0.0, requires_grad=True)
    q_scale_unconstrained = torch.tensor(0.0, requires_grad=True)
    adam = torch.optim.Adam([q_loc, q_scale_unconstrained], lr=LR)
    Normal = torch.distributions.Normal

    def step():
        guide = Normal(q_loc, q_scale_unconstrained.exp())
        loc = guide.rsample()
        elbo = Normal(0.0, 10.0).log_prob(loc) + Normal(loc, 1.0).log_prob(DATA).sum() - guide.log_prob(loc)
        loss = -elbo
        loss.backward()
        adam.step()
        adam.zero_grad(set_to_none=False)
        return loss.item()

    return step


def implementations():
    return {
        "minipyro (this core)": seed_model_svi(minipyro, minipyro.Adam({"lr": LR}), minipyro.Trace_ELBO()),
        "pyro.contrib.minipyro": seed_model_svi(contrib_minipyro, contrib_minipyro.Adam({"lr": LR}),
                                                contrib_minipyro.elbo),
        "full Pyro": seed_model_svi(FULL_PYRO, pyro.optim.Adam({"lr": LR}), pyro.infer.Trace_ELBO()),
        "hand-written torch": torch_loop(),
    }


def measure(rounds: int, steps: int) -> dict:
    steps_of = implementations()
    for step in steps_of.values():  # warm up
        for _ in range(steps):
            step()
    times = {name: [] for name in steps_of}
    for _ in range(rounds):
        for name, step in steps_of.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(samples) for name, samples in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=50)
    options = parser.parse_args()
    torch.set_num_threads(1)
    pyro.enable_validation(False)
    pyro.set_rng_seed(0)
    medians = measure(options.rounds, options.steps)
    ours = medians["minipyro (this core)"]
    print(f"median SVI step time, seed model ({options.rounds} rounds x {options.steps} steps)")
    for name, median in medians.items():
        print(f"  {name:24s} {median * 1e6:8.1f} us")
    goals = {"pyro.contrib.minipyro": 1.0, "full Pyro": 0.65, "hand-written torch": 1.15}
    print("ratios (this core / other)")
    for name, goal in goals.items():
        report(f"core SVI step / {name} (seed model)", ours / medians[name], "x", goal)


if __name__ == "__main__":
    main()
