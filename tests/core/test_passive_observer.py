"""Watching a run never changes what it computes (DESIGN section 1): the same losses, to the
bit, with no recorder, with one at each detail, and (tests/runner/test_seeds.py) through the runner."""

import contextlib
import importlib.util
import io
from pathlib import Path

import pytest

import minipyro

MODEL_FILE = Path(__file__).resolve().parents[1] / "runner" / "models" / "numpy_random_init.py"


def plain_losses(seed=0, steps=25, recorder=None):
    """What a plain script does: seed, import the model file, train; optionally recorded."""
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(seed)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), (recorder or contextlib.nullcontext()) as recording:
        spec = importlib.util.spec_from_file_location("numpy_random_init_test", MODEL_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        svi = minipyro.SVI(module.model, module.guide, minipyro.Adam({"lr": 0.05}), minipyro.Trace_ELBO())
        losses = [svi.step(module.DATA) for _ in range(steps)]
    params = {name: value.detach().clone() for name, value in minipyro.get_param_store().items()}
    return losses, params, output.getvalue(), recording


@pytest.mark.parametrize("detail", ["sites", "steps"])
def test_recording_changes_no_loss_no_param_and_no_output(detail):
    losses, params, output, _ = plain_losses()
    recorded, recorded_params, recorded_output, recording = plain_losses(recorder=minipyro.record(detail=detail))
    assert recorded == losses  # floats, to the bit
    assert recorded_params.keys() == params.keys()
    assert all(bool((recorded_params[name] == params[name]).all()) for name in params)
    # the user's code ran exactly as often as without the recorder: its prints say so
    assert recorded_output == output and output.count("guide called") == 25
    kinds = [event.kind for event in recording]
    assert kinds.count("structure") == 2 and kinds.count("svi_step") == 25


def test_a_different_seed_gives_different_losses():
    """The equality above is not vacuous: the losses do depend on the random streams."""
    assert plain_losses(seed=0, steps=3)[0] != plain_losses(seed=1, steps=3)[0]


def test_handler_identities_are_kept_by_the_recorder_not_on_handlers():
    with minipyro.record(detail="sites") as recording:
        tracer = minipyro.trace()
        with tracer:
            minipyro.sample("x", minipyro_normal())
        with tracer:  # the same handler entered again is a new handler in the recording
            minipyro.sample("y", minipyro_normal())
    assert not any(key.startswith("_recorder") for key in vars(tracer))
    enters = [event["handler_id"] for event in recording if event.kind == "handler_enter"]
    assert len(enters) == 2 and enters[0] != enters[1]


def minipyro_normal():
    from pyro.distributions import Normal

    return Normal(0.0, 1.0)
