"""Pyro programs, unchanged, through ``main.py run``: Pyro's own numbers, Pyro's own sites."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pyro
import pyro.infer
import pyro.optim
import pytest

import minipyro

ROOT = Path(__file__).resolve().parents[2]
MODELS = Path(__file__).parent / "models"


def plain_pyro(path, seed, steps, optimizer, optim_args, elbo="Trace_ELBO", elbo_kwargs=None):
    """What a plain script does with the same file: seed, import, train."""
    pyro.clear_param_store()
    pyro.set_rng_seed(seed)
    spec = importlib.util.spec_from_file_location(f"plain_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    svi = pyro.infer.SVI(module.model, module.guide, getattr(pyro.optim, optimizer)(optim_args),
                         getattr(pyro.infer, elbo)(**(elbo_kwargs or {})))
    return [svi.step(*module.args) for _ in range(steps)]


def main_py_run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "run", *map(str, args)],
                          capture_output=True, text=True, timeout=180)


EXAMPLES = ROOT / "resources" / "examples"


@pytest.mark.parametrize("path, optimizer, optim_args, site, elbo, elbo_kwargs", [
    (MODELS / "pyro_autonormal.py", "ClippedAdam", {"lr": 0.05, "clip_norm": 5.0}, "loc", "Trace_ELBO", None),
    (EXAMPLES / "pyro_bayesian_regression.py", "ClippedAdam", {"lr": 0.05}, "linear.weight", "Trace_ELBO", None),
    (EXAMPLES / "pyro_vae.py", "Adam", {"lr": 0.01}, "decoder$$$fc1.weight", "Trace_ELBO", None),
    (EXAMPLES / "pyro_enumeration.py", "Adam", {"lr": 0.1}, "assignment", "TraceEnum_ELBO", {"max_plate_nesting": 1}),
    (MODELS / "pyro_markov_hmm.py", "Adam", {"lr": 0.05}, "state_5", "TraceEnum_ELBO", {"max_plate_nesting": 0}),
    (MODELS / "pyro_tracegraph.py", "Adam", {"lr": 0.05}, "p", "TraceGraph_ELBO", None),
], ids=lambda value: value.stem if isinstance(value, Path) else None)
def test_a_pyro_program_runs_unchanged_with_pyros_losses(tmp_path, path, optimizer, optim_args, site, elbo,
                                                         elbo_kwargs):
    out = tmp_path / "run.mpr.jsonl"
    steps = 12
    result = main_py_run(path, "--svi-steps", steps, "--seed", 3, "--detail", "sites", "--optimizer", optimizer,
                         "--record", out)
    assert result.returncode == 0, result.stderr
    recording = minipyro.load_recording(out)
    assert recording[0]["engine"] == "pyro"
    losses = [e["loss"] for e in recording if e.kind == "svi_step"]
    assert losses == plain_pyro(path, 3, steps, optimizer, optim_args, elbo, elbo_kwargs)
    assert site in {e["name"] for e in recording if e.kind == "msg_start"}
    assert len(set(losses)) > 1  # it trains (the ELBO was 0.0 at every step before Pyro mode)


def test_a_file_mixing_the_engines_is_refused_at_its_line():
    result = main_py_run(MODELS / "mixed_engines.py")
    assert result.returncode == 1
    assert "mixed_engines.py:1" in result.stderr and "both Pyro and minipyro" in result.stderr


def test_the_engine_can_be_chosen():
    result = main_py_run(ROOT / "resources" / "examples" / "pyroapi_generic.py", "--engine", "pyro")
    assert result.returncode == 0, result.stderr
    assert "loc" in result.stdout


def test_stepping_and_breakpoints_pause_inside_pyros_apply_stack():
    from minipyro.runner.controller import RunnerController

    controller = RunnerController()
    try:
        controller.run(EXAMPLES / "pyro_bayesian_regression.py", entry="trace", breakpoints=[{"site": "obs"}])
        assert controller.wait_until("paused", "finished", timeout=120)
        assert controller.state == "paused"
        paused = controller.events[-1]
        assert paused["kind"] == "msg_start" and paused["name"] == "obs"
        assert paused["stack"], "paused with Pyro's handlers on the stack"
        controller.step_message()  # to this message's msg_end
        assert controller.wait_until("paused", timeout=30)
        assert controller.events[-1]["kind"] == "msg_end" and controller.events[-1]["name"] == "obs"
        controller.step_out()  # to the exit of the innermost Pyro handler
        assert controller.wait_until("paused", timeout=30)
        assert controller.events[-1]["kind"] == "handler_exit"
        controller.set_breakpoints([])
        controller.continue_()
        assert controller.wait_until("finished", timeout=60)
        assert controller.status == "ok"
    finally:
        controller.close()


def test_predictive_after_training_prints_the_predictions_and_shows_its_messages(tmp_path):
    out = tmp_path / "predictive.mpr.jsonl"
    result = main_py_run(EXAMPLES / "pyro_predictive.py", "--svi-steps", 5, "--seed", 0, "--detail", "sites",
                         "--record", out)
    assert result.returncode == 0, result.stderr
    assert "Predictive(num_samples=200, parallel=True) after training" in result.stdout
    assert "obs: shape (200, 40)" in result.stdout
    recording = list(minipyro.load_recording(out))
    after_training = recording[max(i for i, e in enumerate(recording) if e.kind == "svi_step"):]
    obs_ends = [e for e in after_training if e.kind == "msg_end" and e["name"] == "obs"]
    assert obs_ends[-1]["value"]["shape"] == [200, 40]  # sampled, not the data: y=None
    plates = {e["label"] for e in after_training if e.kind == "handler_enter"}
    assert "plate('_num_predictive_samples', 200, dim=-2)" in plates


def test_predictive_on_minipyro_names_full_pyro(tmp_path):
    model = tmp_path / "model.py"
    model.write_text("import minipyro, torch\nfrom pyro.distributions import Normal\n"
                     "svi = {'steps': 2, 'predictive': {'num_samples': 5}}\n"
                     "def model():\n    minipyro.sample('x', Normal(minipyro.param('m', torch.tensor(0.)), 1.))\n"
                     "def guide():\n    pass\n")
    result = main_py_run(model, "--svi-steps", 2)
    assert result.returncode == 1
    assert "Predictive is a feature of full Pyro" in result.stderr and "--engine pyro" in result.stderr
