"""The NaN watch's cost: an SVI step recorded at ``sites`` detail with the watch on, against the
same step unobserved and recorded at ``sites`` without it; on minipyro and in Pyro mode. Two
watches: the lazy one every SVI run of the runner has (it keeps the step's sites and looks at
them only when the loss is not finite), and the eager one of ``main.py check``, debugger traces
and the monitor's per-site ELBO (a ``log_prob`` per sample site at its end).

    python benchmarks/bench_watch.py [--rounds 15]

Goals: the lazy watch adds at most 2% to a ``sites`` recording; and the speed issue's recording
goals hold with it: minipyro ``sites`` <= 1.10x the unobserved step, Pyro mode <= 1.3x plain
Pyro (the eager watch's cost is printed, with no goal: it is asked for). The watch is an attribute of the recorder: a run with no
recorder does not meet it at all. Validation is off on
every side (DESIGN section 9). Rounds interleave the variants in a shuffled order; the best
times (noise only ever adds) and the median of per-round ratios are reported.
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
from minipyro.observe.watch import NanWatch

DATA = 3.0 + torch.randn(100, generator=torch.Generator().manual_seed(0))
STEPS = 50
GOALS = {"minipyro": 1.10, "pyro": 1.3}
WATCH_GOAL = 1.02  # what the lazy watch may add to a sites recording


def model_on(engine):
    def model(data):
        loc = engine.sample("loc", dist.Normal(0.0, 10.0))
        scale = engine.sample("scale", dist.LogNormal(0.0, 1.0))
        with engine.plate("data", len(data)):
            engine.sample("obs", dist.Normal(loc, scale), obs=data)

    def guide(data):
        q_loc = engine.param("q_loc", torch.tensor(0.0))
        q_scale = engine.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
        engine.sample("loc", dist.Normal(q_loc, q_scale))
        s_loc = engine.param("s_loc", torch.tensor(0.0))
        engine.sample("scale", dist.LogNormal(s_loc, 0.1))

    return model, guide


def make_svi(engine_name: str):
    if engine_name == "pyro":
        pyro.clear_param_store()
        model, guide = model_on(pyro)
        return SVI(model, guide, Adam({"lr": 0.01}), Trace_ELBO())
    minipyro.get_param_store().clear()
    model, guide = model_on(minipyro)
    return minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.01}), minipyro.Trace_ELBO())


def timed_steps(engine_name: str, variant: str) -> float:
    svi = make_svi(engine_name)
    svi.step(DATA)
    if variant == "plain":
        start = time.perf_counter()
        for _ in range(STEPS):
            svi.step(DATA)
        return (time.perf_counter() - start) / STEPS
    with minipyro.record(detail="sites") as recording:
        if variant != "sites":
            recording._recorder.watch = NanWatch(eager=variant == "eager")
        svi.step(DATA)  # the first observed step also reports the structure: a one-off cost
        start = time.perf_counter()
        for _ in range(STEPS):
            svi.step(DATA)
        return (time.perf_counter() - start) / STEPS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    pyro.enable_validation(False)
    torch.set_num_threads(1)
    order = random.Random(0)
    variants = [(engine, variant) for engine in GOALS for variant in ("plain", "sites", "lazy", "eager")]
    times = {key: [] for key in variants}
    for _ in range(options.rounds):
        order.shuffle(variants)
        for key in variants:
            times[key].append(timed_steps(*key))
    for engine, goal in GOALS.items():
        plain = times[(engine, "plain")]
        for variant in ("sites", "lazy", "eager"):
            best = min(times[(engine, variant)]) / min(plain)
            paired = statistics.median(t / p for t, p in zip(times[(engine, variant)], plain))
            print(f"{engine:8s} {variant:5s}: best {best:.3f}x, median of paired rounds {paired:.3f}x "
                  f"({min(times[(engine, variant)]) * 1e6:.0f} us a step, unobserved {min(plain) * 1e6:.0f} us)")
        for variant in ("lazy", "eager"):
            over = statistics.median(w / s for w, s in zip(times[(engine, variant)], times[(engine, "sites")]))
            print(f"{engine:8s} the {variant} watch over sites alone: median of paired rounds {over:.3f}x")
        report(f"{engine} SVI step, sites + lazy NaN watch / sites alone (best)",
               min(times[(engine, "lazy")]) / min(times[(engine, "sites")]), "x", WATCH_GOAL)
        report(f"{engine} SVI step, sites + lazy NaN watch / unobserved (best)",
               min(times[(engine, "lazy")]) / min(plain), "x", goal)


if __name__ == "__main__":
    main()
