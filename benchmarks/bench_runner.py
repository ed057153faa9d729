"""The runner's cost: SVI throughput in the child (with batched svi_step events) against the
same loop in this process without an observer, and the round trip of one ``step`` command.

    python benchmarks/bench_runner.py [--steps 2000] [--round-trips 300]

Goals (DESIGN section 9 and issue 4): throughput >= 0.9x headless; step round trip <= 2 ms median.
"""

import argparse
import statistics
import time
from pathlib import Path

from goals import report
from minipyro.runner.controller import RunnerController

ROOT = Path(__file__).resolve().parents[1]
SEED_MODEL = ROOT / "resources" / "examples" / "normal_normal.py"
STEPPING_MODEL = ROOT / "tests" / "runner" / "models" / "three_handlers.py"


def headless_steps_per_second(steps: int, model_file=SEED_MODEL) -> float:
    import minipyro
    from minipyro.runner.modelfile import load_model_file

    example = load_model_file(model_file)
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    svi = minipyro.SVI(example.model, example.guide, minipyro.Adam({"lr": example.svi["lr"]}),
                       minipyro.Trace_ELBO())
    start = time.perf_counter()
    for _ in range(steps):
        svi.step(*example.args)
    return steps / (time.perf_counter() - start)


def child_steps_per_second(controller: RunnerController, steps: int) -> float:
    """Steps per second between the first and the last svi_step event (child start-up excluded)."""
    controller.run(SEED_MODEL, entry="svi", svi={"steps": steps})
    assert controller.wait_until("finished", timeout=600) and controller.status == "ok"
    svi_steps = [e for e in controller.events if e["kind"] == "svi_step"]
    first, last = svi_steps[0], svi_steps[-1]
    return (last["step"] - first["step"]) / (last["t"] - first["t"])


def step_round_trips(controller: RunnerController, count: int) -> list:
    times = []
    while len(times) < count:
        controller.run(STEPPING_MODEL, entry="trace", start_paused=True)
        controller.wait_until("paused")
        while controller.state == "paused" and len(times) < count:
            start = time.perf_counter()
            controller.step()
            controller.wait_until("paused", "finished")
            times.append(time.perf_counter() - start)
        if controller.state == "paused":
            controller.stop()
        controller.wait_until("finished")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    controller = RunnerController()
    controller.start()
    try:
        child_steps_per_second(controller, 50)  # warm up: the child imports torch
        headless, child = [], []
        for _ in range(options.rounds):  # interleaved, so that machine noise hits both alike
            headless.append(headless_steps_per_second(options.steps))
            child.append(child_steps_per_second(controller, options.steps))
        ratio = statistics.median(child) / statistics.median(headless)
        print(f"SVI on the seed model: {statistics.median(headless):.0f} steps/s headless in-process, "
              f"{statistics.median(child):.0f} steps/s in the runner")
        report("runner (no app), headless / runner steps per second (goal: runner >= 0.9x)", 1 / ratio, "x",
               round(1 / 0.9, 3))
        times = step_round_trips(controller, options.round_trips)
        median_ms = statistics.median(times) * 1e3
        print(f"step command round trip: median {median_ms:.2f} ms, p90 "
              f"{statistics.quantiles(times, n=10)[-1] * 1e3:.2f} ms over {len(times)} steps")
        report("debugger step command round trip, median", median_ms, "ms", 2)
    finally:
        controller.close()


if __name__ == "__main__":
    main()
