"""Seeds are a contract (DESIGN section 5): the runner and ``main.py run`` give the losses of a
plain script with the same seed, to the last bit, for a model drawing numpy and torch random
numbers with a random guide init."""

import subprocess
import sys
from pathlib import Path

import pytest

import minipyro
from minipyro.runner.controller import RunnerController

from ..core.test_passive_observer import MODEL_FILE, plain_losses

ROOT = Path(__file__).resolve().parents[2]


def runner_losses(detail: str, seed: int = 0) -> list:
    controller = RunnerController()
    try:
        controller.run(MODEL_FILE, entry="svi", seed=seed, detail=detail)
        assert controller.wait_until("finished", timeout=120)
    finally:
        controller.close()
    assert controller.status == "ok", [e for e in controller.events if e["kind"] == "error"]
    return [e["loss"] for e in controller.events if e["kind"] == "svi_step"]


@pytest.mark.parametrize("detail", ["sites", "steps"])
def test_the_runner_gives_the_plain_scripts_losses(detail):
    assert runner_losses(detail) == plain_losses(seed=0)[0]


def test_main_py_run_records_the_plain_scripts_losses(tmp_path):
    out = tmp_path / "run.mpr.jsonl"
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "run", str(MODEL_FILE), "--svi-steps", "25",
                             "--seed", "4", "--record", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    recorded = [e["loss"] for e in minipyro.load_recording(out) if e.kind == "svi_step"]
    assert recorded == plain_losses(seed=4)[0]
    # the guide ran once per step, as in the plain script: its prints say so
    assert result.stdout.count("guide called") == 25
