"""``python main.py record SCRIPT.py ARGS``: any script, run as ``python SCRIPT.py ARGS`` runs it,
recorded (DESIGN sections 5 and 7). The scripts are in ``scripts/``, written as Pyro's examples are."""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from minipyro.observe.recording import load_recording

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).with_name("scripts")
PREFIX = b"minipyro-studio: "


def environment() -> dict:
    paths = [str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONHASHSEED": "0"}


def run(args, cwd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environment(), capture_output=True,
                          timeout=180, **kwargs)


def record(args, cwd) -> subprocess.CompletedProcess:
    return run([str(ROOT / "main.py"), "record", *args], cwd)


def without_studio_lines(stderr: bytes) -> bytes:
    return b"".join(line for line in stderr.splitlines(keepends=True) if not line.startswith(PREFIX))


def studio_lines(stderr: bytes) -> list:
    return [line.decode() for line in stderr.splitlines() if line.startswith(PREFIX)]


def printed_losses(stdout: bytes, pattern=r"step \d+ loss (\S+)") -> list:
    return [float(text) for text in re.findall(pattern, stdout.decode("utf-8", "replace"))]


def events_of(path, kind) -> list:
    return [event for event in load_recording(path) if event.kind == kind]


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "sub").mkdir()
    for script in SCRIPTS.glob("*.py"):
        shutil.copy(script, tmp_path / "sub" / script.name)
    return tmp_path


def test_a_script_runs_as_python_runs_it_and_its_losses_are_recorded_to_the_bit(workdir):
    args = ["sub/svi_loop.py", "--seed", "0", "-n", "4", "--exit-code", "3"]
    plain = run(args, workdir)
    recorded = record(args, workdir)

    # The exit status is the script's; its output is byte for byte a plain run's (the
    # script's own --seed follows its path, so it is the script's; nothing else is drawn).
    assert plain.returncode == recorded.returncode == 3
    assert recorded.stdout == plain.stdout
    assert without_studio_lines(recorded.stderr) == plain.stderr
    printed = plain.stdout.decode("utf-8", "replace")
    assert "argv=['sub/svi_loop.py', '--seed', '0', '-n', '4', '--exit-code', '3']" in printed
    assert "name=__main__ " in printed and f"path0={workdir / 'sub'} cwd={workdir} " in printed

    out = workdir / "svi_loop.mpr.jsonl"  # SCRIPT.mpr.jsonl in the current folder
    assert studio_lines(recorded.stderr)[-1].startswith(f"minipyro-studio: recording written to {out}")
    steps = events_of(out, "svi_step")
    assert [event["step"] for event in steps] == [1, 2, 3, 4]
    assert [event["loss"] for event in steps] == printed_losses(plain.stdout)
    recording = load_recording(out)
    kinds = [event.kind for event in recording]
    # The default detail: every site of the first step (the graph, a flow), then SVI only.
    first_step = kinds.index("svi_step")
    assert "msg_end" in kinds[:first_step] and "msg_end" not in kinds[first_step:]
    assert {event["which"] for event in events_of(out, "structure")} == {"model", "guide"}
    assert recording[0]["entry"] == "script" and recording[0]["rank"] == "main"
    assert recording[-1]["kind"] == "run_end" and recording[-1]["exit_code"] == 3
    text = "".join(event["text"] for event in recording if event.kind == "output" and event["stream"] == "stdout")
    assert "héllo, wörld: output is passed through as it is (a line in two writes)\n" in text
    assert "step 3 loss" in text
    assert "raw bytes \\xff\n" in text  # written to sys.stdout.buffer: recorded too (not UTF-8: escaped)


def test_a_jit_compiled_elbo_is_recorded_at_sites_detail_without_a_word_in_the_scripts_output(workdir):
    """Under ``torch.jit.trace`` a tensor's sizes are tensors and reading its values warns: the
    summaries must neither warn into the script's stderr nor fail to encode (which ended the
    script, and left a gap in the events)."""
    args = ["sub/svi_loop.py", "--seed", "0", "-n", "3", "--jit"]
    plain = run(args, workdir)
    recorded = record(["--detail", "sites", "-o", "jit.mpr.jsonl", *args], workdir)
    assert recorded.returncode == plain.returncode == 0, recorded.stderr.decode()
    assert recorded.stdout == plain.stdout
    assert without_studio_lines(recorded.stderr) == plain.stderr
    recording = load_recording(workdir / "jit.mpr.jsonl")
    assert [event["loss"] for event in recording if event.kind == "svi_step"] == printed_losses(plain.stdout)
    ends = {event["name"]: event for event in recording if event.kind == "msg_end"}
    assert ends["obs"]["value"]["shape"] == [50] and ends["loc"]["value"]["shape"] == []


def test_seed_clears_and_seeds_as_the_script_would_itself(workdir):
    plain = run(["sub/svi_loop.py", "--seed", "5", "-n", "2"], workdir)
    recorded = record(["--seed", "5", "-o", "seeded.mpr.jsonl", "sub/svi_loop.py", "-n", "2"], workdir)
    assert recorded.returncode == plain.returncode == 0, recorded.stderr.decode()
    assert printed_losses(recorded.stdout) == printed_losses(plain.stdout)
    assert [event["loss"] for event in events_of(workdir / "seeded.mpr.jsonl", "svi_step")] == \
        printed_losses(plain.stdout)
    assert load_recording(workdir / "seeded.mpr.jsonl")[0]["seed"] == 5


def test_a_process_started_with_a_rank_records_beside_the_first(workdir):
    recorded = record(["-o", "job.mpr.jsonl", "sub/elbo_module_ranks.py", "-n", "3"], workdir)
    assert recorded.returncode == 0, recorded.stderr.decode()
    files = sorted(path.name for path in workdir.glob("*.mpr.jsonl"))
    assert files == ["job.mpr.jsonl", "job.rank1.mpr.jsonl"]
    assert any("job.rank1.mpr.jsonl" in line for line in studio_lines(recorded.stderr))
    for name, rank in (("job.mpr.jsonl", "0"), ("job.rank1.mpr.jsonl", "1")):
        recording = load_recording(workdir / name)
        assert recording[0]["rank"] == ("main" if rank == "0" else "rank1")
        printed = printed_losses(recorded.stdout, rf"rank {rank} step \d+ loss (\S+)")
        losses = [event["value"] for event in recording if event.kind == "loss"]
        # The ELBO module's call that makes the guide's parameters, then one per step, to the bit.
        assert len(losses) == 4 and losses[1:] == printed
        assert {event["elbo"] for event in recording if event.kind == "loss"} == {"Trace_ELBO"}
        assert {"obs", "linear.weight"} <= {event["name"] for event in recording if event.kind == "msg_end"}
        assert recording[-1]["kind"] == "run_end" and recording[-1]["status"] == "ok"


def test_ctrl_c_ends_the_script_as_python_does_and_leaves_a_readable_recording(workdir):
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "record", "sub/until_interrupted.py"],
                               cwd=workdir, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout.readline() == b"training\n"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGINT  # as Python ends on an uncaught KeyboardInterrupt
    assert b"KeyboardInterrupt" in stderr
    recording = load_recording(workdir / "until_interrupted.mpr.jsonl")
    assert len([event for event in recording if event.kind == "svi_step"]) >= 3
    assert recording[-1]["kind"] == "run_end" and recording[-1]["status"] == "stopped"


def test_a_script_that_never_calls_pyro_gives_a_recording_that_says_so(workdir):
    plain = run(["sub/no_pyro.py"], workdir)
    recorded = record(["sub/no_pyro.py"], workdir)
    assert plain.returncode == recorded.returncode == 1
    assert recorded.stdout == plain.stdout
    assert without_studio_lines(recorded.stderr) == plain.stderr  # Python's own traceback
    assert b"RuntimeError: the script's own error" in plain.stderr
    assert any("no Pyro calls were seen" in line for line in studio_lines(recorded.stderr))
    recording = load_recording(workdir / "no_pyro.mpr.jsonl")
    assert recording[-1]["note"] == "no Pyro calls were seen" and recording[-1]["status"] == "error"
    assert [event["type"] for event in recording if event.kind == "error"] == ["RuntimeError"]


def test_pyro_used_without_svi_at_svi_detail_is_not_called_no_pyro(workdir):
    recorded = record(["--detail", "svi", "-o", "importance.mpr.jsonl", "sub/importance_only.py"], workdir)
    assert recorded.returncode == 0, recorded.stderr.decode()
    note = load_recording(workdir / "importance.mpr.jsonl")[-1]["note"]
    assert note.startswith("no SVI step or ELBO evaluation was seen") and "--detail sites" in note
    assert any(note in line for line in studio_lines(recorded.stderr))


def test_a_missing_script_or_one_that_is_not_python_is_refused_clearly(workdir):
    missing = record(["nowhere.py", "--flag"], workdir)
    assert missing.returncode == 2
    assert studio_lines(missing.stderr) == [f"minipyro-studio: can't open file {str(workdir / 'nowhere.py')!r}: "
                                            "no such file"]
    (workdir / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    binary = record(["picture.png"], workdir)
    assert binary.returncode == 2
    assert "picture.png is not a Python script" in studio_lines(binary.stderr)[0]
    assert not list(workdir.glob("*.mpr.jsonl"))


def test_forked_workers_that_train_record_and_one_that_does_not_leaves_no_file(workdir):
    recorded = record(["-o", "pool.mpr.jsonl", "sub/forked_workers.py"], workdir)
    assert recorded.returncode == 0, recorded.stderr.decode()
    files = sorted(workdir.glob("pool.pid*.mpr.jsonl"))
    assert len(files) == 2  # the idle worker wrote none
    printed = {seed: printed_losses(recorded.stdout, rf"worker {seed} step \d+ loss (\S+)") for seed in (1, 2)}
    recorded_losses = []
    for path in files:
        recording = load_recording(path)
        assert recording[0]["rank"] == path.name.split(".")[1]
        assert recording[-1]["kind"] == "run_end"  # ended by multiprocessing's exit, written whole
        recorded_losses.append([event["loss"] for event in recording if event.kind == "svi_step"])
    assert sorted(recorded_losses) == sorted(printed.values())
    assert load_recording(workdir / "pool.mpr.jsonl")[-1]["note"] == "no Pyro calls were seen"


def test_stored_output_is_capped_and_the_recording_says_so(tmp_path, monkeypatch):
    from minipyro.runner import script

    monkeypatch.setattr(script, "MAX_RECORDED_OUTPUT", 100)
    recording = script.ProcessRecording(tmp_path / "chatty.mpr.jsonl", "svi", None, {"entry": "script"})
    for _ in range(30):
        recording.output("stdout", "ten chars\n")
    recording.finish("ok", 0)
    texts = [event["text"] for event in load_recording(tmp_path / "chatty.mpr.jsonl") if event.kind == "output"]
    assert texts[:10] == ["ten chars\n"] * 10 and len(texts) == 11
    assert "output beyond 100 characters is not recorded" in texts[-1]


def test_a_flood_of_output_reaches_the_terminal_whole_and_the_recording_caps_it(workdir):
    from minipyro.runner.script import MAX_RECORDED_OUTPUT

    lines = MAX_RECORDED_OUTPUT // (1 << 20) + 4  # lines of a MiB each: past the cap
    (workdir / "floods.py").write_text(f"import sys\nfor n in range({lines}):\n"
                                       "    sys.stdout.write(str(n % 10) * ((1 << 20) - 1) + '\\n')\n")
    plain = run(["floods.py"], workdir)
    recorded = record(["floods.py"], workdir)
    assert recorded.returncode == plain.returncode == 0
    assert len(recorded.stdout) == lines << 20 and recorded.stdout == plain.stdout
    outputs = [event for event in load_recording(workdir / "floods.mpr.jsonl") if event.kind == "output"]
    stored = sum(len(event["text"]) for event in outputs if event["stream"] == "stdout")
    assert MAX_RECORDED_OUTPUT <= stored < MAX_RECORDED_OUTPUT + (1 << 20)
    assert outputs[-1]["stream"] == "runner"
    assert f"output beyond {MAX_RECORDED_OUTPUT} characters is not recorded" in outputs[-1]["text"]


def test_a_script_on_pyros_contrib_minipyro_is_recorded_step_by_step(workdir):
    """``pyro_backend("minipyro")`` runs Pyro's own single-file minipyro: its handlers, messages
    and SVI steps are recorded as full Pyro's are."""
    args = ["sub/generic_backend.py", "-n", "3"]
    plain = run(args, workdir)
    recorded = record(["--detail", "steps", "-o", "contrib.mpr.jsonl", *args], workdir)
    assert recorded.returncode == plain.returncode == 0, recorded.stderr.decode()
    assert recorded.stdout == plain.stdout
    recording = load_recording(workdir / "contrib.mpr.jsonl")
    steps = [event for event in recording if event.kind == "svi_step"]
    assert [event["loss"] for event in steps] == printed_losses(plain.stdout) and len(steps) == 3
    assert set(steps[0]["params"]) == set(steps[0]["grad_norms"]) == {"log_concentration", "log_rate"}
    assert all(norm > 0 for norm in steps[0]["grad_norms"].values())
    # Each step: the guide's two params and one sample, then the model's two samples, replayed.
    names = [event["name"] for event in recording if event.kind == "msg_start"]
    assert names == ["log_concentration", "log_rate", "rate", "rate", "count"] * 3
    observed = next(event for event in recording if event.kind == "msg_start" and event["name"] == "count")
    assert observed["fields"]["is_observed"] is True
    labels = {event["label"] for event in recording if event.kind == "handler_enter"}
    assert {"trace", "block", "replay", "PlateMessenger(size=30, dim=-1)"} <= labels
    plate_steps = [event for event in recording if event.kind == "process" and event["changes"].get("fn")]
    assert plate_steps and all("[30]" in str(event["changes"]["fn"][1]) for event in plate_steps)
    actions = [event["action"] for event in recording if event.kind == "default"]
    assert actions[:5] == ["computed", "computed", "sampled", "kept (replayed)", "kept (observed)"]
