"""The app with hostile recordings: each refused with its line in a dialog, the app still up;
a recording naming a local secret never shows it; events that pass the schema, whatever their
values, are shown at every step without an exception."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMessageBox, QPlainTextEdit, QTextEdit

HERE = Path(__file__).parent.parent / "core"
CORPUS = sorted((HERE / "hostile_recordings").glob("*.mpr.jsonl"))
VALID = [json.loads(line) for line in (HERE / "all_kinds.mpr.jsonl").read_text().splitlines()]


def everything_shown(window) -> str:
    """The text of every panel: editors, labels and every cell of every table and list."""
    texts = [w.toPlainText() for kind in (QPlainTextEdit, QTextEdit) for w in window.findChildren(kind)]
    texts += [w.text() for w in window.findChildren(QLabel)]
    for view in window.findChildren(QAbstractItemView):
        model = view.model()
        if model is not None:
            root = view.rootIndex()
            try:
                columns = model.columnCount(root)
            except TypeError:  # a list model's is private: one column
                columns = 1
            texts += [str(model.index(r, c, root).data()) for r in range(min(model.rowCount(root), 500))
                      for c in range(columns)]
    return "\n".join(texts)


def step_through(window):
    for step in range(len(window.session)):
        window.travel(step)


def test_every_hostile_recording_is_refused_in_a_dialog_and_the_app_stays_up(qtbot, window, monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    for path in CORPUS:
        assert not window.open_recording(path)
        line = path.name.split(".")[-3][1:]
        assert f"line {line}: " in shown[-1], (path.name, shown[-1])
    assert len(shown) == len(CORPUS) and len(window.session) == 0
    assert window.open_recording(HERE / "all_kinds.mpr.jsonl")  # still working
    step_through(window)


def test_a_recording_naming_a_local_secret_never_shows_it(qtbot, window, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-do-not-show\n" * 3)
    events = []
    for event in VALID[1:]:
        event = dict(event)
        for key in ("file", "stopped_at"):
            if key in event:
                event[key] = str(secret)
        if "source" in event:
            event["source"] = f"{secret}:2"
        if "frames" in event:
            event["frames"] = [{"file": str(secret), "line": 1, "function": "model"}]
        event.pop("source_text", None)
        events.append(event)
    path = tmp_path / "names-a-secret.mpr.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [VALID[0]] + events) + "\n")
    assert window.open_recording(path)
    for step in range(len(window.session)):
        window.travel(step)
        assert "TOPSECRET" not in everything_shown(window)
    assert str(secret) in window.source.toPlainText()  # where the step is, as text


def test_the_recordings_own_source_text_is_shown_not_the_file(qtbot, window, tmp_path):
    model = tmp_path / "model.py"
    model.write_text("# the file on this machine\n")
    events = [dict(e) for e in VALID]
    events[1].update(file=str(model), source_text="import minipyro\n\ndef model():  # the recording's copy\n")
    events[5]["source"] = f"{model}:3"  # msg_start
    path = tmp_path / "carries-its-source.mpr.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert window.open_recording(path)
    window.travel(4)
    assert "the recording's copy" in window.source.toPlainText()
    assert window.source.current_text() == "def model():  # the recording's copy"
    assert "this machine" not in everything_shown(window)


SCALARS = (st.none() | st.booleans() | st.integers(-2**53, 2**53)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6))
JSON = st.recursive(SCALARS,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)
# The fields whose schema says "any JSON" (value summaries) or "a dict" (message fields, params).
LOOSE = {"value", "log_prob", "loss", "fields", "params", "grad_norms", "fn", "locals"}


# Integers the schema only bounds below: ids that name nothing, depths and positions out of range.
IDS = {"msg_id", "handler_id", "position", "depth", "step", "n", "line", "seed"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_any_values_the_schema_allows_are_shown_at_every_step(qtbot, window, tmp_path, monkeypatch, data):
    refused = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: refused.append(text))
    events = [VALID[0]]
    for event in data.draw(st.permutations(VALID[1:])):  # any order: an exit before its enter, ...
        event = dict(event)
        for key in sorted(LOOSE & event.keys()):
            loose = data.draw(JSON if key not in ("fields", "params", "grad_norms", "locals")
                              else st.dictionaries(st.text(max_size=5), JSON, max_size=3))
            event[key] = loose
        for key in sorted(IDS & event.keys()):
            event[key] = data.draw(st.integers(0, 5))
        if "stack" in event:
            event["stack"] = data.draw(st.lists(st.integers(0, 5), max_size=3))
        events.append(event)
    for seq, event in enumerate(events[1:]):
        event["seq"] = seq
    path = tmp_path / "loose.mpr.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert window.open_recording(path), refused
    step_through(window)


def test_the_memory_limit_is_a_setting_of_the_app(qtbot, window, tmp_path):
    assert window.set_memory_limit("1G")
    assert window.settings.value("runner/memory_limit") == str(1 << 30)
    model = tmp_path / "hungry.py"
    model.write_text("import torch, minipyro\nfrom pyro.distributions import Normal\n\ndef model():\n"
                     "    minipyro.sample('x', Normal(0.0, 1.0))\n    return torch.ones(2_500_000_000 // 4)\n")
    window.open_model(model)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    qtbot.waitUntil(lambda: f"memory limit of 1G reached at {model}:6" in window.console.toPlainText())
    assert window.set_memory_limit("0")  # none: as a user may choose
