"""``python main.py run``: every example, every bad input, Ctrl+C."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import minipyro

ROOT = Path(__file__).resolve().parents[2]
MODELS = Path(__file__).parent / "models"
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.py"))


def main_py(*args, timeout=120):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "run", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_runs_headless(example):
    result = main_py(example)
    assert result.returncode == 0, result.stderr
    assert "site" in result.stdout and "distribution" in result.stdout


def test_svi_with_a_recording_prints_the_loss_and_saves_the_events(tmp_path):
    out = tmp_path / "run.mpr.jsonl"
    result = main_py(ROOT / "resources" / "examples" / "normal_normal.py", "--svi-steps", "200",
                     "--seed", "3", "--record", out)
    assert result.returncode == 0, result.stderr
    assert "SVI: 200 steps, loss" in result.stdout
    table = result.stdout.split("SVI:")[0]
    assert any(line.split()[:4] == ["obs", "sample", "Normal", "100"] for line in table.splitlines())
    recording = minipyro.load_recording(out)
    assert [e["step"] for e in recording if e.kind == "svi_step"] == list(range(1, 201))
    assert recording[0]["kind"] == "run_start" and recording[0]["seed"] == 3


@pytest.mark.parametrize("name, words", [
    ("syntax_error.py", "SyntaxError: invalid syntax"),
    ("no_model.py", "defines no function named 'model'"),
    ("negative_scale.py", "ValueError: Expected parameter scale"),
    ("duplicate_sites.py", "SiteError: site 'x'"),
    ("plate_mismatch.py", "does not fit plate('data')"),
    ("aborts.py", "SIGABRT"),
    ("segfault.py", "SIGSEGV"),
])
def test_bad_inputs_fail_with_a_clear_message_at_the_users_line(name, words):
    result = main_py(MODELS / name)
    assert result.returncode == 1
    assert words in result.stderr
    if name not in ("no_model.py",):
        assert f'File "{MODELS / name}", line' in result.stderr
    assert "minipyro/runtime.py" not in result.stderr  # the core's frames are folded away


def test_nan_loss_names_the_step():
    result = main_py(MODELS / "nan_loss.py", "--svi-steps", "50")
    assert result.returncode == 1 and "NonFiniteLoss: the loss became nan at step" in result.stderr


def test_missing_file():
    result = main_py(MODELS / "no_such_file.py")
    assert result.returncode == 1 and "no such file" in result.stderr


def test_ctrl_c_stops_cleanly_and_keeps_the_recording(tmp_path):
    out = tmp_path / "stopped.mpr.jsonl"
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", str(MODELS / "seed_svi.py"),
                                "--svi-steps", "100000", "--record", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20000):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "minipyro-studio: stopped by you" in stderr and "after SVI step" in stderr and str(out) in stderr
    recording = minipyro.load_recording(out)
    assert recording[-1]["kind"] == "run_end" and recording[-1]["status"] == "stopped"


def test_ctrl_c_says_at_which_line_of_yours_the_run_stopped(tmp_path):
    out = tmp_path / "loop.mpr.jsonl"
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", str(MODELS / "busy_loop.py"),
                                "--record", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and '"msg_end"' in out.read_text(encoding="utf-8")):
        time.sleep(0.1)
    time.sleep(0.5)  # in the loop after the site
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    loop = next(n for n, line in enumerate((MODELS / "busy_loop.py").read_text().splitlines(), start=1)
                if "while True" in line)
    assert process.returncode == 130
    assert f"minipyro-studio: stopped by you at {MODELS / 'busy_loop.py'}:{loop} (Ctrl+C)." in stderr
    assert "crashed" not in stderr
