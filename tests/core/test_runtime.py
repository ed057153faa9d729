"""apply_stack's order, stop, exception safety and the three ways to use a handler."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from pyro.distributions import Normal

import minipyro
from minipyro import Messenger


class Recorder(Messenger):
    """Logs each process/postprocess call; optionally stops messages."""

    def __init__(self, name, log, stop=False):
        super().__init__()
        self.name, self.log, self.stop = name, log, stop

    def process_message(self, msg):
        self.log.append(("process", self.name))
        if self.stop:
            msg["stop"] = True

    def postprocess_message(self, msg):
        self.log.append(("postprocess", self.name))


def run_through(handlers):
    with_stack = [h.__enter__() for h in handlers]  # outermost first: the bottom of the stack
    try:
        return minipyro.sample("x", Normal(0.0, 1.0))
    finally:
        for handler in reversed(with_stack):
            handler.__exit__(None, None, None)


@given(st.lists(st.booleans(), min_size=1, max_size=5))
def test_process_runs_top_down_and_postprocess_bottom_up_over_visited(stops):
    log = []
    handlers = [Recorder(i, log, stop) for i, stop in enumerate(stops)]
    run_through(handlers)

    top_down = list(reversed(range(len(stops))))
    first_stop = next((i for i in top_down if stops[i]), None)
    visited = top_down if first_stop is None else top_down[: top_down.index(first_stop) + 1]
    assert log == [("process", i) for i in visited] + [("postprocess", i) for i in reversed(visited)]
    assert minipyro.PYRO_STACK == []


def test_default_behaviour_samples_only_when_no_handler_gave_a_value():
    with minipyro.trace() as tr, minipyro.condition(data={"x": torch.tensor(7.0)}):
        x = minipyro.sample("x", Normal(0.0, 1.0))
    assert x.item() == 7.0 and tr["x"]["done"] and tr["x"]["is_observed"]


def test_exit_pops_handlers_left_above_by_an_exception():
    outer = minipyro.trace()
    with pytest.raises(ZeroDivisionError):
        with outer:
            minipyro.scale(scale=2.0).__enter__()  # never exited: its block "crashed"
            minipyro.block().__enter__()
            1 / 0
    assert minipyro.PYRO_STACK == []


def test_a_handler_cannot_be_entered_twice():
    handler = minipyro.trace()
    with handler:
        with pytest.raises(RuntimeError, match="already on the handler stack"):
            handler.__enter__()
    assert minipyro.PYRO_STACK == []


def test_seed_sits_on_the_stack_like_every_handler():
    with minipyro.seed(rng_seed=3) as handler:
        assert minipyro.PYRO_STACK == [handler]
        first = torch.randn(())
    with minipyro.seed(rng_seed=3):
        assert torch.randn(()) == first


def model():
    minipyro.param("p", torch.tensor(0.5))
    return minipyro.sample("x", Normal(0.0, 1.0))


HANDLERS = {
    "trace": {},
    "replay": {"trace": {"x": {"type": "sample", "is_observed": False, "value": torch.tensor(4.0), "infer": {}}}},
    "block": {"hide": ["x"]},
    "seed": {"rng_seed": 0},
    "condition": {"data": {"x": torch.tensor(4.0)}},
    "substitute": {"data": {"p": torch.tensor(4.0)}},
    "scale": {"scale": 4.0},
    "mask": {"mask": False},
    "do": {"data": {"x": torch.tensor(4.0)}},
    "uncondition": {},
}


@pytest.mark.parametrize("name", HANDLERS)
def test_every_handler_works_as_wrapper_decorator_and_context_manager(name):
    handler, kwargs = getattr(minipyro, name), HANDLERS[name]

    def observed(run):
        with minipyro.trace() as tr:
            value = run()
        return value, {k: (s["type"], s["is_observed"], s["scale"], s["mask"]) for k, s in tr.items()}

    minipyro.get_param_store().clear()
    def managed():
        with handler(**kwargs):
            return model()

    results = []
    for run in (handler(model, **kwargs), handler(**kwargs)(model), managed):
        minipyro.set_rng_seed(1)
        results.append(observed(run))
    wrapped, decorated, managed = results
    assert wrapped[1] == decorated[1] == managed[1]
    assert torch.equal(wrapped[0], decorated[0]) and torch.equal(wrapped[0], managed[0])


def test_handler_without_a_function_says_how_to_give_one():
    with pytest.raises(TypeError, match="has no function to run"):
        minipyro.trace()(1, 2)
