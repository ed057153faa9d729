"""The short texts the panels show for the summaries inside events, without Qt."""

import pytest

from gui.models import text


def tensor(shape, preview, **extra):
    return {"shape": shape, "dtype": "float32", "preview": preview, **extra}


@pytest.mark.parametrize("x, shown", [(3, "3"), (0.123456, "0.1235"), (1e-7, "1e-07"), (True, "True"),
                                      ("nan", "nan"), (None, "None")])
def test_numbers(x, shown):
    assert text.number(x) == shown


def test_tensors_scalars_and_long_previews():
    assert text.value(tensor([], 1.5)) == "1.5"
    assert text.value(tensor([], 0.25, requires_grad=True)) == "0.25 ∇"
    assert text.value(tensor([3], [1.0, 2.0, 3.0])) == "[3] [1, 2, 3]"
    assert text.value(tensor([100], [0.0, 1.0, 2.0, 3.0, 4.0])) == "[100] [0, 1, 2, 3, …]"
    assert text.value(tensor([100], [0.0, 1.0])) == "[100] [0, 1, …]"  # the preview is a prefix
    long = text.value(tensor([2], [1.0, 3.0], min=1.0, mean=2.0, max=3.0), long=True)
    assert long == "[2] [1, 3]   min 1  mean 2  max 3"


def test_distributions_with_shapes():
    normal = {"dist": "Normal", "batch_shape": [3], "event_shape": [],
              "params": {"loc": tensor([], 0.0), "scale": tensor([], 1.0)}}
    assert text.value(normal) == "Normal(0, 1)  batch [3]"
    assert text.value(normal, long=True) == "Normal(loc=0, scale=1)  batch [3]"
    independent = {"dist": "Independent", "batch_shape": [], "event_shape": [2], "params": {},
                   "base": {"dist": "Normal", "batch_shape": [2], "event_shape": [], "params": {}}}
    assert text.value(independent) == "Independent(Normal()  batch [2])  event [2]"


def test_plates_lists_and_dicts():
    frames = [{"plate": "data", "size": 3, "dim": -1}]
    assert text.value(frames) == "data (size 3, dim -1)"
    assert text.value([1, "a"]) == "(1, a)"
    assert text.value({"a": 1}) == "{a: 1}"


def test_what_a_handler_did_to_a_message():
    scalar = {"dist": "Normal", "batch_shape": [], "event_shape": [], "params": {}}
    batched = dict(scalar, batch_shape=[3])
    assert text.changes({"value": [None, tensor([], 1.0)]}) == "value set"
    assert text.changes({"fn": [scalar, batched]}) == "fn broadcast"
    assert text.changes({"fn": [scalar, dict(scalar, dist="Cauchy")]}) == "fn changed"
    assert text.changes({"cond_indep_stack": [[], []], "stop": [False, True]}) == "+plate, stop"
    assert text.changes({"scale": [1.0, 0.5]}) == "scale: 1 → 0.5"


def test_the_timeline_summary_of_each_kind():
    labels = {1: "trace", 2: "block"}
    summary = text.event_summary
    assert summary({"kind": "handler_enter", "label": "trace"}, labels) == "trace"
    assert summary({"kind": "msg_start", "type": "sample", "name": "z",
                    "fields": {"fn": {"dist": "Normal", "params": {}}}}, labels) == "sample z ~ Normal()"
    assert summary({"kind": "msg_start", "type": "param", "name": "w", "fields": {}}, labels) == "param w"
    assert summary({"kind": "process", "handler_id": 2, "changes": {"stop": [False, True]}}, labels) == \
        "block: stop"
    assert summary({"kind": "process", "handler_id": 1, "changes": {}}, labels) == "trace"
    assert summary({"kind": "stop", "handler_id": 2}, labels) == "stopped by block"
    assert summary({"kind": "default", "action": "sampled", "value": tensor([], 0.5)}, labels) == "sampled: 0.5"
    assert summary({"kind": "svi_step", "step": 7, "loss": 1.25}, labels) == "step 7  loss 1.25"
    assert summary({"kind": "loss", "n": 3, "elbo": "Trace_ELBO", "value": 2.5}, labels) == "Trace_ELBO #3  loss 2.5"
    assert summary({"kind": "output", "text": "hello\n"}, labels) == "hello"
    assert summary({"kind": "error", "type": "ValueError", "message": "bad\nmore"}, labels) == "ValueError: bad"
    assert summary({"kind": "structure", "which": "guide", "relations": {"sample_dist": {"a": "N"}}},
                   labels) == "guide: 1 sample sites"
    assert summary({"kind": "run_end", "entry": "trace", "file": "m.py", "seed": 0, "status": "ok"}, labels) == \
        "trace m.py seed 0 (ok)"
