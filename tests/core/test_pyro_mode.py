"""Pyro mode: full Pyro reports the same events as minipyro, changes no number, and is left as
it was when the recording ends."""

import contextlib
import importlib

import pyro
import pyro.distributions as dist
import pyroapi
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pyro import poutine
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.optim import Adam

import minipyro
from minipyro.observe import pyro_mode

# Pyro's handlers a test may stack; "stops" marks the one that hides the site "x".
PYRO_HANDLERS = {
    "trace": lambda: poutine.trace(),
    "scale": lambda: poutine.scale(scale=2.0),
    "mask": lambda: poutine.mask(mask=False),
    "plate": lambda: pyro.plate("p", 3),
    "block": lambda: poutine.block(hide=["x"]),
    "block_other": lambda: poutine.block(hide=["y"]),
    "condition": lambda: poutine.condition(data={"x": torch.tensor(1.0)}),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(PYRO_HANDLERS)), min_size=1, max_size=5, unique=True))
def test_pyros_messages_obey_minipyros_order_rules(names):
    with minipyro.record(detail="steps") as rec:
        with contextlib.ExitStack() as stack:
            for name in names:
                stack.enter_context(PYRO_HANDLERS[name]())
            pyro.sample("x", dist.Normal(0.0, 1.0))
    events = list(rec)
    enters = [e for e in events if e.kind == "handler_enter"]
    assert [e["depth"] for e in enters] == list(range(len(names)))
    by_id = {e["handler_id"]: name for e, name in zip(enters, names)}
    top_down = [e["handler_id"] for e in reversed(enters)]
    stoppers = [i for i in top_down if by_id[i] == "block"]
    visited = top_down[: top_down.index(stoppers[0]) + 1] if stoppers else top_down

    x = next(e["msg_id"] for e in events if e.kind == "msg_start" and e["name"] == "x")
    steps = [e for e in events if e.get("msg_id") == x]
    assert steps[0].kind == "msg_start" and steps[0]["stack"] == top_down
    assert [e.kind for e in steps[1:]] == ["process"] * len(visited) + ["stop"] * bool(stoppers) + \
        ["default"] + ["postprocess"] * len(visited) + ["msg_end"]
    assert [e["handler_id"] for e in steps if e.kind == "process"] == visited
    assert [e["position"] for e in steps if e.kind == "process"] == list(range(len(visited)))
    assert [e["handler_id"] for e in steps if e.kind == "postprocess"] == list(reversed(visited))
    exits = [e for e in events if e.kind == "handler_exit"]
    assert [e["handler_id"] for e in exits] == top_down and [e["depth"] for e in exits] == list(
        reversed(range(len(names))))
    assert [e.seq for e in events] == list(range(len(events)))


def model(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


DATA = torch.tensor([1.8, 2.4, 1.1, 2.9, 2.2])


def autonormal_losses(steps=8):
    pyro.clear_param_store()
    pyro.set_rng_seed(0)
    svi = SVI(model, AutoNormal(model), Adam({"lr": 0.05}), Trace_ELBO())
    return [svi.step(DATA) for _ in range(steps)]


def test_recording_changes_no_number_of_pyro_and_reports_its_svi():
    plain = autonormal_losses()
    with minipyro.record(detail="steps") as rec:
        recorded = autonormal_losses()
    assert recorded == plain
    steps = [e for e in rec if e.kind == "svi_step"]
    assert [e["loss"] for e in steps] == plain and [e["step"] for e in steps] == list(range(1, 9))
    assert set(steps[0]["grad_norms"]) == {"AutoNormal.locs.loc", "AutoNormal.scales.loc"}
    structures = {e["which"]: e for e in rec if e.kind == "structure"}
    assert structures["model"]["relations"] == pyro.infer.inspect.get_model_relations(model, (DATA,))
    assert structures["model"]["plates"] == {"data": 5}
    handlers = {e["handler"] for e in rec if e.kind == "handler_enter"}
    assert {"TraceMessenger", "ReplayMessenger", "plate"} <= handlers  # pyro.plate is its own class


def test_nothing_of_pyro_is_changed_outside_a_recording():
    from pyro.poutine.messenger import Messenger

    originals = [importlib.import_module(name).apply_stack for name in pyro_mode.APPLY_STACK_MODULES]
    enter, step = Messenger.__enter__, SVI.step
    with minipyro.record(detail="sites"):
        assert all(importlib.import_module(name).apply_stack is pyro_mode.observed_apply_stack
                   for name in pyro_mode.APPLY_STACK_MODULES)
    assert [importlib.import_module(name).apply_stack for name in pyro_mode.APPLY_STACK_MODULES] == originals
    assert Messenger.__enter__ is enter and SVI.step is step


def generic_model():
    from pyroapi import pyro as api

    loc = api.sample("loc", dist.Normal(0.0, 1.0))
    with api.plate("n", 3):
        api.sample("obs", dist.Normal(loc, 1.0), obs=torch.zeros(3))
    api.sample("tail", dist.Normal(loc, 2.0))


def sample_sites(backend):
    with pyroapi.pyro_backend(backend), minipyro.record(detail="sites") as rec:
        from pyroapi import handlers

        handlers.trace(generic_model).get_trace()
    return [e["name"] for e in rec if e.kind == "msg_start" and e["type"] == "sample"]


def test_both_engines_list_the_same_sample_sites_in_the_same_order():
    # The plate "n" is a site on both engines: its indices, as Pyro's _Subsample message.
    assert sample_sites("minipyro_studio") == sample_sites("pyro") == ["loc", "n", "obs", "tail"]


def test_an_escape_from_the_model_is_control_flow_not_an_error():
    """``poutine.queue`` (Search, sequential enumeration) stops a model by raising NonlocalExit at
    the first unexplored site: that message ends there, and the run has no error."""
    import queue

    def model():
        pyro.sample("a", dist.Bernoulli(0.3))
        pyro.sample("b", dist.Bernoulli(0.6))

    pending = queue.Queue()
    pending.put(poutine.Trace())
    with minipyro.record(detail="sites") as rec:
        while not pending.empty():
            poutine.trace(poutine.queue(model, queue=pending)).get_trace()
    kinds = [event.kind for event in rec]
    assert "error" not in kinds
    started = [event["msg_id"] for event in rec if event.kind == "msg_start"]
    assert sorted(started) == sorted(event["msg_id"] for event in rec if event.kind == "msg_end")
