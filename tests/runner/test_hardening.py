"""The runner survives whatever a model does: odd output, closed descriptors, forged protocol
lines, reading stdin, eating memory, starting processes, ignoring a stop; and its own failures
reach the controller with their traceback."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from minipyro.runner.controller import RunnerController

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def controller():
    controller = RunnerController(memory_limit=1 << 30)
    controller.start()
    yield controller
    controller.close()


def model_file(tmp_path, body, name="model.py"):
    path = tmp_path / name
    path.write_text("import minipyro\nfrom pyro.distributions import Normal\n" + textwrap.dedent(body))
    return path


def run(controller, path, timeout=60, **options):
    controller.run(path, **options)
    assert controller.wait_until("finished", "dead", timeout=timeout), controller.state
    return controller.events


def outputs(events, stream="stdout"):
    return "".join(e["text"] for e in events if e["kind"] == "output" and e["stream"] == stream)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid, seconds=5.0):
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_a_lone_surrogate_is_printed_escaped(controller, tmp_path):
    path = model_file(tmp_path, """
        print("before \\udcff after")
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
    """)
    events = run(controller, path)
    assert controller.status == "ok"
    assert outputs(events) == "before \\udcff after\n"


def test_a_model_closing_its_stdout_and_stderr_breaks_nothing(controller, tmp_path):
    path = model_file(tmp_path, """
        import os
        os.close(1)
        os.close(2)
        print("python's print still arrives")
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
    """)
    events = run(controller, path)
    assert controller.status == "ok" and "python's print still arrives" in outputs(events)
    again = model_file(tmp_path, """
        import os
        os.write(1, b"C-level output\\n")
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
    """, "again.py")
    events = run(controller, again)  # the same child, its descriptors put back
    assert controller.status == "ok" and "C-level output" in outputs(events)


def test_forged_protocol_lines_on_every_descriptor_do_not_desynchronise(controller, tmp_path):
    path = model_file(tmp_path, """
        import os
        forged = b'{"control": "finished", "status": "forged"}\\n{"events": [{"seq": 0, "kind": "x"}]}\\n'
        for fd in range(3, 1024):
            try:
                os.write(fd, forged)
            except OSError:
                pass
        print("the real end")
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
    """)
    events = run(controller, path)
    assert controller.status == "ok" and "the real end" in outputs(events)
    assert [e["seq"] for e in events] == list(range(len(events)))
    second = run(controller, model_file(tmp_path, "def model():\n    minipyro.sample('y', Normal(0.0, 1.0))\n",
                                        "second.py"))
    assert controller.status == "ok" and second[0]["kind"] == "run_start" and second[0]["file"].endswith("second.py")


def test_stdin_is_at_end_of_file(controller, tmp_path):
    path = model_file(tmp_path, """
        import sys
        print(repr(sys.stdin.read()))
        try:
            input("name? ")
        except EOFError:
            print("EOFError")
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
    """)
    events = run(controller, path, timeout=20)
    assert outputs(events) == "''\nname? EOFError\n"  # the prompt, then end-of-file


@pytest.mark.parametrize("allocation, kind", [
    ("torch.ones(2_500_000_000 // 4)", "torch"),
    ("bytearray(2_500_000_000)", "python"),
])
def test_the_memory_limit_ends_a_hungry_model_naming_the_line(controller, tmp_path, allocation, kind):
    path = model_file(tmp_path, f"""
        import torch
        def model():
            x = minipyro.sample("x", Normal(0.0, 1.0))
            big = {allocation}
            return big
    """)
    events = run(controller, path)
    assert controller.status == "error"
    error = next(e for e in events if e["kind"] == "error")
    assert error["message"].startswith(f"memory limit of 1G reached at {path}:7"), error["message"]
    assert run(controller, model_file(tmp_path, "def model():\n    minipyro.sample('y', Normal(0.0, 1.0))\n",
                                      "after.py")) and controller.status == "ok"  # the limit is per run


def test_stop_ends_what_the_model_started_and_says_stopped(controller, tmp_path):
    pid_file = tmp_path / "sleep.pid"
    path = model_file(tmp_path, f"""
        import subprocess, time
        def model():
            child = subprocess.Popen(["sleep", "1000"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            while True:
                try:
                    time.sleep(0.05)
                except BaseException:  # a model that swallows even KeyboardInterrupt
                    pass
    """)
    controller.run(path)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    assert alive(pid)
    controller.stop()
    assert controller.wait_until("finished", "dead", timeout=10)
    assert controller.status == "stopped"
    assert wait_gone(pid)


def test_a_blocked_model_stopped_is_stopped_not_crashed(controller, tmp_path):
    path = model_file(tmp_path, """
        import time
        def model():
            print("sleeping", flush=True)
            time.sleep(1000)
    """)
    controller.run(path)
    assert controller.wait_for_event(lambda e: e["kind"] == "output", timeout=30)
    controller.stop()
    assert controller.wait_until("finished", "dead", timeout=10)
    assert controller.status == "stopped" and controller.events[-1]["status"] == "stopped"


def test_the_runners_own_failure_reaches_the_controller_with_its_traceback(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent("""
        from minipyro.runner import capture
        def broken(self, emit):
            raise RuntimeError("the runner's own bug")
        capture.CapturedOutput.__init__ = broken
    """))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(site), os.environ.get("PYTHONPATH", "")]))
    controller = RunnerController()
    try:
        events = run(controller, model_file(tmp_path, "def model():\n    minipyro.sample('x', Normal(0., 1.))\n"))
    finally:
        controller.close()
    error = next(e for e in events if e["kind"] == "error")
    assert error["type"] == "RunnerError" and "the runner's own bug" in error["message"]
    assert "Traceback" in error["message"] and "capture" in error["message"]
    assert controller.status == "crashed" and "RuntimeError" in controller.runner_traceback


def test_a_run_does_not_wait_for_the_child_to_start(tmp_path):
    """The app's Run button must not freeze while the child imports: the command waits in the
    child's stdin, and the "ready" that comes after it does not make the run look idle."""
    controller = RunnerController()
    try:
        controller.run(model_file(tmp_path, "print('ran')\ndef model():\n    minipyro.sample('x', Normal(0., 1.))\n"),
                       entry="trace")
        assert controller.state == "running"  # at once, not "starting" nor "idle"
        assert controller.wait_until("finished", "dead", timeout=60)
        assert controller.status == "ok" and outputs(controller.events) == "ran\n"
    finally:
        controller.close()


def test_a_child_that_cannot_start_is_a_crashed_run_with_its_last_words(tmp_path):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'cannot start: no torch here' >&2\nexit 3\n")
    python.chmod(0o755)
    controller = RunnerController(python=str(python))
    try:
        events = run(controller, model_file(tmp_path, "def model():\n    pass\n"))
    finally:
        controller.close()
    error = next(e for e in events if e["kind"] == "error")
    assert error["type"] == "RunnerError" and "not your model" in error["message"]
    assert "exit status 3" in error["message"] and "cannot start: no torch here" in error["message"]
    assert controller.status == "crashed"


def test_a_run_right_after_a_stop_is_not_taken_for_the_old_childs_death(tmp_path):
    """Restart is stop() then run(): the stopped child's reader must not mark the new run's child dead."""
    controller = RunnerController()
    slow = model_file(tmp_path, "import time\ndef model():\n    time.sleep(30)\n    minipyro.sample('x', Normal(0., 1.))\n",
                      name="slow.py")
    quick = model_file(tmp_path, "def model():\n    minipyro.sample('x', Normal(0., 1.))\n", name="quick.py")
    try:
        for _ in range(3):
            controller.run(slow, entry="trace")
            controller.wait_for_event(lambda e: e["kind"] == "run_start", timeout=60)
            controller.stop()
            assert controller.status == "stopped"
            for _ in range(2):
                events = run(controller, quick, entry="trace")
                assert controller.status == "ok", [e for e in events if e["kind"] == "error"]
    finally:
        controller.close()


def main_py_run(*args):
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_on_main_py_run_leaves_no_process_behind(tmp_path):
    pid_file = tmp_path / "sleep.pid"
    path = model_file(tmp_path, f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "1000"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        def model():
            time.sleep(1000)
    """)
    cli = main_py_run(path)
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 130, err
    assert "stopped by you" in err
    assert wait_gone(pid)


def test_main_py_run_with_a_memory_limit(tmp_path):
    path = model_file(tmp_path, """
        import torch
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
            return torch.ones(2_500_000_000 // 4)
    """)
    cli = main_py_run(path, "--memory-limit", "1G")
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 1
    assert f"memory limit of 1G reached at {path}:7" in err


def test_main_py_run_prints_a_lone_surrogate(tmp_path):
    path = model_file(tmp_path, 'print("\\udcff")\ndef model():\n    minipyro.sample("x", Normal(0.0, 1.0))\n')
    cli = main_py_run(path)
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    assert out.startswith("\\udcff\n")


def test_a_recording_carries_the_text_of_the_model_and_of_its_helpers_in_an_error(controller, tmp_path):
    (tmp_path / "helper.py").write_text("def fail():\n    raise ValueError('from the helper')\n")
    path = model_file(tmp_path, """
        import helper
        def model():
            minipyro.sample("x", Normal(0.0, 1.0))
            helper.fail()
    """)
    events = run(controller, path)
    assert events[0]["source_text"] == path.read_text()
    error = next(e for e in events if e["kind"] == "error")
    assert error["sources"] == {str(tmp_path / "helper.py"): (tmp_path / "helper.py").read_text()}
