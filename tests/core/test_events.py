"""The event spine: each apply_stack step, in order, with exactly what each handler changed."""

import contextlib
import json
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pyro.distributions import Normal

import minipyro

HERE = __file__

# Each handler a test may stack, with the fields it changes when it
# *processes* the site "x" (sampled at the default step unless conditioned).
HANDLERS = {
    "trace": (lambda: minipyro.trace(), set()),
    "scale": (lambda: minipyro.scale(scale=2.0), {"scale"}),
    "mask": (lambda: minipyro.mask(mask=False), {"mask"}),
    "plate": (lambda: minipyro.plate("p", 3), {"cond_indep_stack", "fn"}),
    "block": (lambda: minipyro.block(hide=["x"]), {"stop"}),
    "block_other": (lambda: minipyro.block(hide=["y"]), set()),
    "condition": (lambda: minipyro.condition(data={"x": torch.tensor(1.0)}), {"value", "is_observed"}),
    "substitute": (lambda: minipyro.substitute(data={"w": torch.tensor(1.0)}), set()),
}


def plain(value):
    """True if value is made only of str, int, float, bool, None, list and dict."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    return False


def record_sample(names, detail="steps"):
    """Enter the named handlers (outermost first), sample x inside; return the events.

    A plate is a site of its own (its indices), so the events of other
    messages are left out: the handler events and x's message remain.
    """
    with minipyro.record(detail=detail) as rec:
        with contextlib.ExitStack() as stack:
            for name in names:
                stack.enter_context(HANDLERS[name][0]())
            minipyro.sample("x", Normal(0.0, 1.0))
    x = next(e["msg_id"] for e in rec if e.kind == "msg_start" and e["name"] == "x")
    return [e for e in rec if e.get("msg_id", x) == x]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(sorted(HANDLERS)), min_size=1, max_size=5, unique=True))
def test_process_top_down_postprocess_bottom_up_over_the_visited_and_exact_changes(names):
    events = record_sample(names)
    enter = {e["handler_id"]: e["label"] for e in events if e.kind == "handler_enter"}
    ids = [e["handler_id"] for e in events if e.kind == "handler_enter"]  # bottom first
    by_id = dict(zip(ids, names))

    top_down = list(reversed(ids))
    stoppers = [i for i in top_down if by_id[i] == "block"]
    visited = top_down[: top_down.index(stoppers[0]) + 1] if stoppers else top_down

    process = [e for e in events if e.kind == "process"]
    postprocess = [e for e in events if e.kind == "postprocess"]
    assert [e["handler_id"] for e in process] == visited
    assert [e["position"] for e in process] == list(range(len(visited)))
    assert [e["handler_id"] for e in postprocess] == list(reversed(visited))
    assert [e["handler_id"] for e in events if e.kind == "stop"] == stoppers[:1]
    for event in process:
        assert set(event["changes"]) == HANDLERS[by_id[event["handler_id"]]][1], enter[event["handler_id"]]
    for event in postprocess:
        assert event["changes"] == {}

    kinds = [e.kind for e in events]
    start, end = kinds.index("msg_start"), kinds.index("msg_end")
    assert kinds[start + 1: end] == ["process"] * len(visited) + ["stop"] * bool(stoppers) + \
        ["default"] + ["postprocess"] * len(visited)
    assert all(a.seq < b.seq for a, b in zip(events, events[1:]))
    assert all(plain(e.to_dict()) for e in events)
    json.dumps([e.to_dict() for e in events], allow_nan=False)


def test_changes_are_before_and_after_summaries():
    events = record_sample(["scale", "condition"])
    scale = next(e for e in events if e.kind == "process" and "scale" in e["changes"])
    assert scale["changes"]["scale"] == [1.0, 2.0]
    condition = next(e for e in events if e.kind == "process" and "value" in e["changes"])
    before, after = condition["changes"]["value"]
    assert before is None and after["preview"] == 1.0 and after["shape"] == []
    default = next(e for e in events if e.kind == "default")
    assert default["action"] == "kept (observed)" and default["changes"] == {"done": [False, True]}


def test_msg_start_knows_the_stack_the_source_line_and_the_fields():
    with minipyro.record() as rec:
        with minipyro.trace(), minipyro.plate("data", 4):
            line = sys._getframe().f_lineno + 1
            minipyro.sample("x", Normal(0.0, 1.0))
    starts = {e["name"]: e for e in rec if e.kind == "msg_start"}
    enters = [e["handler_id"] for e in rec if e.kind == "handler_enter"]
    assert list(starts) == ["data", "x"]  # the plate's indices are a site, sent before it is entered
    assert starts["data"]["stack"] == enters[:1] and starts["data"]["source"] == f"{HERE}:{line - 2}"
    assert starts["data"]["fields"]["fn"] == {"dist": "_Subsample", "params": {"size": 4, "subsample_size": None}}
    start = starts["x"]
    assert start["stack"] == list(reversed(enters))
    assert start["source"] == f"{HERE}:{line}"
    assert start["fields"]["fn"]["dist"] == "Normal"
    labels = [e["label"] for e in rec if e.kind == "handler_enter"]
    assert labels == ["trace", "plate('data', 4, dim=-1)"]
    end = next(e for e in rec if e.kind == "msg_end" and e["msg_id"] == start["msg_id"])
    assert end["value"]["shape"] == [4] and end["log_prob"] == {"shape": [4]}


def test_sites_detail_keeps_only_the_site_level_events():
    kinds = {e.kind for e in record_sample(["trace", "scale", "plate"], detail="sites")}
    assert kinds == {"handler_enter", "handler_exit", "msg_start", "msg_end"}


def test_svi_step_event_reports_loss_params_and_gradient_norms():
    def model():
        minipyro.sample("z", Normal(0.0, 1.0))

    def guide():
        minipyro.sample("z", Normal(minipyro.param("q", torch.tensor(0.5)), 1.0))

    svi = minipyro.SVI(model, guide, minipyro.SGD({"lr": 0.1}), minipyro.Trace_ELBO())
    with minipyro.record(detail="sites") as rec:
        losses = [svi.step() for _ in range(3)]
    steps = [e for e in rec if e.kind == "svi_step"]
    assert [e["step"] for e in steps] == [1, 2, 3]
    structure = [e for e in rec if e.kind == "structure"]
    assert [e["which"] for e in structure] == ["model", "guide"]
    assert structure[1]["relations"]["sample_param"] == {"z": ["q"]}
    assert [e["loss"] for e in steps] == pytest.approx(losses)
    assert steps[-1]["params"]["q"]["preview"] == pytest.approx(minipyro.param("q").item())
    assert steps[0]["grad_norms"]["q"] > 0


def test_error_inside_a_site_names_the_message():
    def model():
        minipyro.sample("x", Normal(0.0, 1.0))
        with minipyro.plate("data", 3):
            minipyro.sample("y", Normal(torch.zeros(2), 1.0))

    with pytest.raises(minipyro.SiteError):
        with minipyro.record() as rec:
            minipyro.trace(model).get_trace()
    error = [e for e in rec if e.kind == "error"]
    assert len(error) == 1
    start = next(e for e in rec if e.kind == "msg_start" and e["name"] == "y")
    assert error[0]["msg_id"] == start["msg_id"] and error[0]["type"] == "SiteError"
    assert any(frame["file"] == HERE for frame in error[0]["frames"])
    assert [e.kind for e in rec][-2:] == ["handler_exit", "handler_exit"]


def test_no_observer_after_the_recording_ends():
    with minipyro.record():
        pass
    assert minipyro.runtime.get_observer() is None
    events = record_sample(["trace"])
    assert events and minipyro.runtime.get_observer() is None


def test_observed_data_changed_in_place_is_summarised_anew():
    # Summaries of an unchanged tensor are remembered between steps; an in-place change must show.
    data = torch.zeros(5)

    def model():
        minipyro.sample("obs", Normal(0.0, 1.0).expand([5]), obs=data)

    with minipyro.record(detail="sites") as rec:
        with minipyro.trace():
            model()
        data.add_(2.0)
        with minipyro.trace():
            model()
    means = [e["value"]["mean"] for e in rec if e.kind == "msg_end"]
    assert means == [0.0, 2.0]


@pytest.mark.parametrize("size", [2, 9, 100, 256])
def test_a_plates_indices_are_summarised_as_any_integer_tensor(size):
    # The indices 0 .. n-1 (a plate's value at every step) take a remembered summary: it must be
    # the one the general path gives (int32 takes that path; only the dtype's name differs).
    from minipyro.observe.summary import summarize

    general = summarize(torch.arange(size, dtype=torch.int32))
    assert summarize(torch.arange(size)) == {**general, "dtype": "int64"}
    shuffled = torch.arange(size).flip(0)
    assert summarize(shuffled)["preview"] == shuffled[:8].tolist()
