"""A training script (no module-level ``model``) opened in the app: Run executes it as
``python SCRIPT.py ARGS`` in the runner's child, and the SVI monitor fills from its steps."""

import re
from pathlib import Path

from minipyro.runner.script_files import is_script

SCRIPTS = Path(__file__).resolve().parents[1] / "runner" / "scripts"


def test_a_file_without_a_model_or_with_a_main_block_is_a_script(tmp_path):
    assert is_script(SCRIPTS / "svi_loop.py")  # defines model, trains it under __main__
    assert is_script(SCRIPTS / "no_pyro.py")  # no model, no main block
    model_file = tmp_path / "model_file.py"
    model_file.write_text("import pyro\n\ndef model():\n    pass\n")
    assert not is_script(model_file)
    assigned = tmp_path / "assigned.py"
    assigned.write_text("from mylib import make\nmodel = make()\n")
    assert not is_script(assigned)


def test_run_executes_the_script_with_its_arguments_and_fills_the_monitor(qtbot, window):
    # An ELBO module stepped by a torch optimiser: its loss events are the monitor's curve.
    window.open_model(SCRIPTS / "elbo_module_ranks.py", ["--num-steps", "6", "--ranks", "1"])
    assert window.actions_by_name["run"].text() == "Run script"
    window.run()
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=120000)
    window.bridge.flush()
    qtbot.waitUntil(lambda: window.svi.current is not None and len(window.svi.current) == 7, timeout=10000)
    events = [window.session.events[k] for k in range(len(window.session.events))]
    output = "".join(event["text"] for event in events if event["kind"] == "output")
    printed = [float(loss) for loss in re.findall(r"rank 0 step \d+ loss (\S+)", output)]
    assert len(printed) == 6
    assert list(window.svi.current.losses.values[1:]) == printed  # after the call that makes the params
    assert events[-1]["kind"] == "run_end" and events[-1]["status"] == "ok"
    kinds = {event["kind"] for event in events}
    assert {"msg_start", "msg_end", "structure", "loss"} <= kinds  # the first step's sites too


def test_a_lesson_with_a_main_block_is_still_a_model_file(tmp_path):
    # A lesson (its svi dict or title set) may be runnable with Python too; a training script that
    # keeps its SVI object at module level is still a script.
    lesson = tmp_path / "lesson.py"
    lesson.write_text('title = "A lesson"\nsvi = {"steps": 10}\n\ndef model():\n    pass\n\n'
                      'if __name__ == "__main__":\n    model()\n')
    assert not is_script(lesson)
    script = tmp_path / "train.py"
    script.write_text('svi = make_svi()\n\ndef model():\n    pass\n\nif __name__ == "__main__":\n    svi.step()\n')
    assert is_script(script)
