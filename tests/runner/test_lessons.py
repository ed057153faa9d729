"""The lessons: each example's docstring names what really appears in its run."""

import ast
import re
from pathlib import Path

import pytest

from minipyro.runner.controller import RunnerController
from minipyro.runner.modelfile import read_info

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples").glob("*.py"))
HANDLERS = {"trace", "replay", "block", "seed", "condition", "substitute", "scale", "mask", "do", "uncondition",
            "plate"}
SITE = re.compile(r'``(?:sample|param)\("([^"]+)"\)``')
HANDLER = re.compile(r"``(\w+)(?:\(|``)")


@pytest.fixture(scope="module")
def controller():
    controller = RunnerController()
    yield controller
    controller.close()


def test_there_are_at_least_twelve_lessons():
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_the_lesson_names_what_the_trace_shows(controller, example):
    module = ast.parse(example.read_text())
    doc = ast.get_docstring(module)
    assert doc and "What to watch" in doc, "a lesson says what to watch, in order"
    assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "title" for t in n.targets)
               for n in module.body)
    if "predictive" in read_info(example).svi:  # the lesson is about what follows training
        controller.run(example, entry="svi", svi={"steps": 3}, detail="steps")
    else:
        controller.run(example, entry="trace", detail="steps")
    assert controller.wait_until("finished", "dead", timeout=120)
    events = controller.events
    assert events[-1]["status"] == "ok", [e for e in events if e["kind"] == "error"]
    sites = {e["name"] for e in events if e["kind"] == "msg_start"}
    handlers = {e["handler"] for e in events if e["kind"] == "handler_enter"}
    named_sites = set(SITE.findall(doc))
    assert named_sites, "the lesson names at least one site"
    assert named_sites <= sites, f"named in the lesson but not in the run: {named_sites - sites}"
    named_handlers = {h for h in HANDLER.findall(doc) if h in HANDLERS}
    assert named_handlers <= handlers, f"handlers named but never entered: {named_handlers - handlers}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if "svi = " in e.read_text()],
                         ids=lambda e: e.stem)
def test_lessons_with_svi_settings_train(controller, example):
    controller.run(example, entry="svi", svi={"steps": 20})
    assert controller.wait_until("finished", "dead", timeout=120)
    assert controller.events[-1]["status"] == "ok"
    assert [e["step"] for e in controller.events if e["kind"] == "svi_step"] == list(range(1, 21))
