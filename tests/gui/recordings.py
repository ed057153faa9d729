"""Real recordings of the lessons, made in the test process with ``minipyro.record`` (tests may
import torch; the app may not), as the events a session receives."""

from __future__ import annotations

import functools

import minipyro
from minipyro.runner.modelfile import load_model_file
from resources import examples_dir


def _run(lesson: str, entry: str, body) -> tuple:
    example = load_model_file(examples_dir() / f"{lesson}.py")
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    run = {"file": str(example.path), "entry": entry, "seed": 0}
    with minipyro.record(detail="steps") as rec:
        rec.emit("run_start", status="running", **run)
        body(example, rec)
        rec.emit("run_end", status="ok", **run)
    return tuple(event.to_dict() for event in rec)


@functools.lru_cache(maxsize=None)
def trace_events(lesson: str) -> tuple:
    """The lesson's model traced once, then its guide, every step recorded (the trace entry)."""
    def body(example, rec):
        for which in ("model", "guide"):
            fn = getattr(example, which)
            if fn is not None:
                minipyro.trace(fn).get_trace(*example.args, **example.kwargs)
    return _run(lesson, "trace", body)


@functools.lru_cache(maxsize=None)
def svi_events(lesson: str, steps: int) -> tuple:
    """``steps`` SVI steps of the lesson, every step recorded (svi_step and structure events too)."""
    def body(example, rec):
        svi = minipyro.SVI(example.model, example.guide, minipyro.Adam({"lr": example.svi["lr"]}),
                           minipyro.Trace_ELBO())
        for _ in range(steps):
            svi.step(*example.args, **example.kwargs)
    return _run(lesson, "svi", body)
