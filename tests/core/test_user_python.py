"""What the events tell of the user's own Python, on both engines: the default behaviour's exact
changes, the call stack and locals at each site ("steps" detail), and the line that entered each
handler."""

import math

import pyro.distributions as dist
import pyroapi
import pytest
import torch
from pyroapi import handlers
from pyroapi import pyro as api

import minipyro

HERE = __file__
BACKENDS = ["minipyro_studio", "pyro"]


def line_of(marker: str) -> str:
    """``HERE:line`` of the line of this file that ends with the comment ``# marker``."""
    with open(HERE, encoding="utf-8") as source:
        numbers = [n for n, text in enumerate(source, start=1) if text.rstrip().endswith(f"# {marker}")]
    assert len(numbers) == 1, marker
    return f"{HERE}:{numbers[0]}"


def record(backend, fn, detail="steps"):
    with pyroapi.pyro_backend(backend), minipyro.record(detail=detail) as rec:
        fn()
    return [e.to_dict() for e in rec]


def by_site(events, kind):
    names = {e["msg_id"]: e["name"] for e in events if e["kind"] == "msg_start"}
    return {names[e["msg_id"]]: e for e in events if e["kind"] == kind}


def condition_vs_obs():
    api.sample("given", dist.Normal(0.0, 1.0), obs=torch.tensor(0.5))
    api.sample("conditioned", dist.Normal(0.0, 1.0))
    api.sample("drawn", dist.Normal(0.0, 1.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_default_behaviour_lists_exactly_what_it_changed(backend):
    def conditioned():
        handlers.trace(handlers.condition(condition_vs_obs, data={"conditioned": torch.tensor(1.0)})).get_trace()

    defaults = by_site(record(backend, conditioned), "default")
    for name in ("given", "conditioned"):  # the value was there before: only done changes
        assert defaults[name]["changes"] == {"done": [False, True]}, name
        assert defaults[name]["action"] == "kept (observed)"
    drawn = defaults["drawn"]
    assert set(drawn["changes"]) == {"value", "done"} and drawn["action"] == "sampled"
    before, after = drawn["changes"]["value"]
    assert before is None and after == drawn["value"] and after["shape"] == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_replayed_value_is_kept_and_nothing_changes(backend):
    def replayed():
        guide_trace = handlers.trace(condition_vs_obs).get_trace()
        handlers.trace(handlers.replay(condition_vs_obs, trace=guide_trace)).get_trace()

    events = record(backend, replayed)
    replay_run = [e for e in events if e["kind"] == "default"][3:]
    assert [(e["action"], e["changes"]) for e in replay_run] == [
        ("kept (observed)", {"done": [False, True]}),  # given: observed, so not replayed
        ("kept (replayed)", {}),  # replay already set the value and done
        ("kept (replayed)", {}),
    ]


class Helper:
    pass


def inner(scale):
    offset = torch.arange(3.0)
    label = "noise"
    module, function, kind, __hidden = math, line_of, Helper, 1
    return api.sample(label, dist.Normal(offset, scale))  # inner's site


def outer():
    return inner(2.0)  # outer calls inner


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_site_at_steps_detail_shows_the_users_call_stack_and_locals(backend):
    start = by_site(record(backend, lambda: handlers.trace(outer).get_trace()), "msg_start")["noise"]
    assert [f"{f['file']}:{f['line']}" for f in start["frames"][-2:]] == [line_of("outer calls inner"),
                                                                         line_of("inner's site")]
    assert [f["function"] for f in start["frames"][-2:]] == ["outer", "inner"]
    assert all("/minipyro/" not in f["file"] and "/pyro/" not in f["file"] and "/torch/" not in f["file"]
               for f in start["frames"])
    # In definition order; not the module, function or class, nor dunder names.
    assert list(start["locals"]) == ["scale", "offset", "label"]
    assert start["locals"]["scale"] == 2.0 and start["locals"]["label"] == "noise"
    assert start["locals"]["offset"]["preview"] == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sites_detail_takes_no_frames_or_locals(backend):
    start = by_site(record(backend, lambda: handlers.trace(outer).get_trace(), detail="sites"), "msg_start")["noise"]
    assert "frames" not in start and "locals" not in start
    assert start["source"] == line_of("inner's site")


def test_at_most_thirty_locals_are_summarised():
    # A module's code with forty variables, as a script's top level is.
    code = "".join(f"v{i} = {i}\n" for i in range(40)) + "api.sample('crowded', dist.Normal(0.0, 1.0))\n"
    events = record("minipyro_studio", lambda: exec(compile(code, "<forty variables>", "exec"),
                                                     {"api": api, "dist": dist}))
    start = by_site(events, "msg_start")["crowded"]
    assert start["frames"][-1] == {"file": "<forty variables>", "line": 41, "function": "<module>"}
    assert start["locals"] == {f"v{i}": i for i in range(30)}


def plated():
    with api.plate("data", 3):  # the plate's line
        api.sample("x", dist.Normal(0.0, 1.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_handler_carries_the_line_that_entered_it_on_its_enter_and_exit(backend):
    events = record(backend, lambda: handlers.trace(plated).get_trace())  # the trace's line
    plate = [e for e in events if e["kind"] in ("handler_enter", "handler_exit") and "'data'" in e["label"]]
    trace = [e for e in events if e["kind"] in ("handler_enter", "handler_exit") and "race" in e["label"]]
    assert [(e["kind"], e["source"]) for e in plate] == [("handler_enter", line_of("the plate's line")),
                                                        ("handler_exit", line_of("the plate's line"))]
    assert [(e["kind"], e["source"]) for e in trace] == [("handler_enter", line_of("the trace's line")),
                                                        ("handler_exit", line_of("the trace's line"))]


def test_summarising_locals_runs_none_of_the_users_code():
    # A PyroModule's repr reads its PyroSample attributes, which samples: a local holding one
    # must be named, not repr'd, or recording at steps detail would add sites (and errors).
    from pyro import poutine
    from pyro.nn import PyroModule, PyroSample

    class Regression(PyroModule):
        def __init__(self):
            super().__init__()
            self.linear = PyroModule[torch.nn.Linear](1, 1)
            self.linear.bias = PyroSample(dist.Normal(0.0, 1.0).expand([1]).to_event(1))

        def forward(self, x):
            return self.linear(x)

    module = Regression()

    def recorded(detail):
        with minipyro.record(detail=detail) as rec:
            poutine.trace(module).get_trace(torch.ones(3, 1))
        return list(rec)

    quiet, full = recorded("sites"), recorded("steps")
    names = [e["name"] for e in full if e.kind == "msg_start"]
    assert names == [e["name"] for e in quiet if e.kind == "msg_start"] == ["linear.weight", "linear.bias"]
    assert not [e for e in full if e.kind == "error"]
    assert next(e for e in full if e.kind == "msg_start")["locals"]["self"] == "<Regression>"
