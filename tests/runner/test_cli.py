"""``python main.py run``: every example, every bad input, Ctrl+C."""

import csv
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


def test_a_run_that_goes_on_past_a_nan_says_so_in_its_summary():
    """The NaN lesson asks not to stop on a non-finite loss: the summary's means are of the finite
    steps, and it says how many were not, and from which step."""
    result = main_py(ROOT / "resources" / "examples" / "debugging_a_nan.py", "--svi-steps", "15")
    assert result.returncode == 0, result.stderr
    assert "the loss was not finite at 5 of 15 steps, the first at step 11" in result.stdout


def test_missing_file():
    result = main_py(MODELS / "no_such_file.py")
    assert result.returncode == 2 and "no such file" in result.stderr  # as python exits for it


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


def run_main(*args, timeout=120):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


SEED_MODEL = ROOT / "resources" / "examples" / "normal_normal.py"


@pytest.mark.parametrize("args, status, words", [
    (["--svi-steps", "0"], 2, "argument --svi-steps: must be at least 1, got 0"),
    (["--svi-steps", "-5"], 2, "argument --svi-steps: must be at least 1, got -5"),
    (["--seed", "-1"], 2, "argument --seed: a seed is between 0 and 4294967295, got -1"),
    (["--lr", "0"], 2, "argument --lr: must be a positive number, got 0"),
    (["--record", "/nonexistent/x"], 2, "--record /nonexistent/x: no such folder /nonexistent"),
    (["--svi-steps", "5", "--csv", "/nonexistent/x.csv"], 2, "--csv /nonexistent/x.csv: no such folder"),
    (["--csv", "out.csv"], 2, "--csv saves an SVI run's history: give --svi-steps N too"),
    (["--svi-steps", "5", "--optimizer", "Adagrad"], 1, "unknown optimizer 'Adagrad' on minipyro"),
])
def test_wrong_arguments_exit_non_zero_with_a_clear_message(args, status, words):
    result = main_py(SEED_MODEL, *args)
    assert result.returncode == status and words in result.stderr, result.stderr
    assert "Traceback (most recent call last)" not in result.stderr
    if status == 2:  # argparse's: the usage first
        assert result.stderr.startswith("usage: minipyro-studio run")


def test_a_file_that_is_not_a_model_is_refused_by_name():
    result = main_py(ROOT / "README.md")
    assert result.returncode == 2  # a wrong argument
    assert result.stderr.strip() == f"minipyro-studio: {ROOT / 'README.md'}: not a model file (a Python file, .py, " \
                                    "defining model and guide)"


def test_the_usage_line_lists_every_command():
    import main

    result = run_main("--no-such-option")
    assert result.returncode == 2
    usage = result.stderr.split("error:")[0]
    assert "FILE.py | RUN.mpr.jsonl | FOLDER" in usage
    assert all(name in usage for name in main.COMMANDS) and {"run", "graph", "demo"} <= set(main.COMMANDS)


@pytest.mark.parametrize("out, words", [("graph.pdf", "saved as SVG or PNG (.svg or .png), not .pdf"),
                                        ("no/such/folder/graph.svg", "no such folder")])
def test_graph_to_a_format_or_place_it_cannot_write_fails(tmp_path, out, words):
    result = run_main("graph", SEED_MODEL, "--out", tmp_path / out)
    assert result.returncode == 1 and words in result.stderr and "saved" not in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_settings_from_the_command_line_are_the_runs_and_the_summary_shows_where_it_ended(tmp_path):
    out = tmp_path / "run.mpr.jsonl"
    result = main_py(SEED_MODEL, "--svi-steps", "50", "--lr", "0.001", "--optimizer", "SGD", "--elbo",
                     "TraceMeanField_ELBO", "--seed", "7", "--record", out)
    assert result.returncode == 0, result.stderr
    start = minipyro.load_recording(out)[0]
    assert start["svi"] == {"steps": 50, "lr": 0.001, "optimizer": "SGD", "elbo": "TraceMeanField_ELBO"}
    assert start["seed"] == 7
    summary = result.stdout.split("SVI: 50 steps, loss ")[1]
    assert "(mean of the first and the last 5 steps)" in summary.splitlines()[0]
    final = dict(line.split(None, 1) for line in summary.split("Final parameters:\n")[1].splitlines()[:2])
    last = [e for e in minipyro.load_recording(out) if e.kind == "svi_step"][-1]
    assert float(final["q_loc"]) == pytest.approx(last["params"]["q_loc"]["preview"], rel=1e-5)


def test_csv_holds_every_element_of_a_20_by_2_parameter(tmp_path):
    out = tmp_path / "history.csv"
    result = main_py(ROOT / "resources" / "examples" / "gaussian_mixture.py", "--svi-steps", "40", "--csv", out)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and [int(r["step"]) for r in rows] == list(range(1, 41))
    elements = [f"assignment_probs[{i},{j}]" for i in range(20) for j in range(2)]
    assert all(name in rows[0] for name in elements)
    last = [[float(rows[-1][f"assignment_probs[{i},{j}]"]) for j in range(2)] for i in range(20)]
    assert all(abs(sum(pair) - 1) < 1e-5 for pair in last)  # each row a simplex: the real values, in place
    assert len({tuple(pair) for pair in last}) > 10  # not one element copied
    assert {"loss", "loss_smoothed", "grad_norm:assignment_probs"} <= set(rows[0])
    losses = [float(r["loss"]) for r in rows]
    smoothed = [float(r["loss_smoothed"]) for r in rows]
    assert smoothed[0] == losses[0] and smoothed[1:] != losses[1:]
