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


def lesson_text(stem: str) -> str:
    path = next(e for e in EXAMPLES if e.stem == stem)
    return " ".join(ast.get_docstring(ast.parse(path.read_text())).split())  # one line: claims wrap


def train(controller, stem: str, steps: int) -> dict:
    """The parameters after ``steps`` SVI steps at the lesson's settings, seed 0: name -> value(s)."""
    controller.run(next(e for e in EXAMPLES if e.stem == stem), entry="svi", seed=0, svi={"steps": steps})
    assert controller.wait_until("finished", "dead", timeout=300)
    last = [e for e in controller.events if e["kind"] == "svi_step"][-1]
    assert last["step"] == steps
    return {name: summary.get("values", summary["preview"]) for name, summary in last["params"].items()}


def test_normal_normal_ends_where_its_lesson_says(controller):
    from minipyro.runner.modelfile import load_model_file

    text = lesson_text("normal_normal")
    steps = int(re.search(r"After ([\d ]+) steps \(seed 0\)", text).group(1).replace(" ", ""))
    within_sd = float(re.search(r"within ([\d.]+) posterior standard deviations", text).group(1))
    stated_mean, stated_sd = map(float, re.search(r"computes it: ([\d.]+), sd ([\d.]+)", text).groups())
    scale_percent = float(re.search(r"``q_scale`` within (\d+)% of that sd", text).group(1))
    example = load_model_file(next(e for e in EXAMPLES if e.stem == "normal_normal"))
    mean, sd = example.module.exact_posterior(*example.args)
    assert (round(mean, 2), round(sd, 2)) == (stated_mean, stated_sd)
    params = train(controller, "normal_normal", steps)
    assert abs(params["q_loc"] - mean) <= within_sd * sd
    assert abs(params["q_scale"] / sd - 1) <= scale_percent / 100


def test_linear_regression_ends_where_its_lesson_says(controller):
    text = lesson_text("linear_regression")
    claim = re.search(r"after ([\d ]+) steps \(seed 0\) the guide's ``param\(\"slope_loc\"\)`` is within "
                      r"([\d.]+) of (\d+), the slope the data were made with", text)
    steps, tolerance, slope = int(claim.group(1).replace(" ", "")), float(claim.group(2)), float(claim.group(3))
    source = next(e for e in EXAMPLES if e.stem == "linear_regression").read_text()
    assert f"y = {slope:g}.0 * x" in source  # the slope the data were made with
    assert "LogNormal(noise_loc, 0.3)" in source and "scale stays fixed at 0.3" in text
    assert "mean-field" not in text
    assert abs(train(controller, "linear_regression", steps)["slope_loc"] - slope) <= tolerance


def test_coin_beta_has_the_flips_and_the_prior_its_lesson_states():
    from minipyro.runner.modelfile import load_model_file

    text = lesson_text("coin_beta")
    words = {"Twenty": 20, "fourteen": 14}
    flips, heads = (words[w] for w in re.search(r"(\w+) flips, (\w+) heads", text).groups())
    prior = tuple(float(n) for n in re.search(r"``Beta\((\d+), (\d+)\)`` prior", text).groups())
    example = load_model_file(next(e for e in EXAMPLES if e.stem == "coin_beta"))
    (data,) = example.args
    assert (len(data), int(data.sum())) == (flips, heads)
    assert f"Beta({prior[0]}, {prior[1]})" in example.path.read_text()


def test_debugging_a_nan_finds_what_its_lesson_says(controller, tmp_path):
    from minipyro.runner.check_cli import find_problems

    text = lesson_text("debugging_a_nan")
    path = next(e for e in EXAMPLES if e.stem == "debugging_a_nan")
    claim = re.search(r"The Problems panel names it: (log_prob of 'obs' is NaN at step (\d+): Normal scale = "
                      r"(-[\d.]+), from param 'noise')", text)
    step = int(claim.group(2))
    assert f"at step {step} (seed 0)" in text
    problems, _, events = find_problems(path, step + 2, controller=controller)
    assert [(p.kind, p.site, p.step) for p in problems] == [("nan", "obs", step)]
    assert problems[0].message.startswith(claim.group(1))
    noise = [e["params"]["noise"]["preview"] for e in events if e["kind"] == "svi_step"]
    before, after = re.search(r"Step (\d+) takes ``param\(\"noise\"\)`` from ([\d.]+) to just below zero", text) \
        .group(1, 2)
    assert int(before) == step - 1 and round(noise[step - 3], 3) == float(after) and -0.01 < noise[step - 2] < 0
    fixed = tmp_path / "fixed.py"
    fixed.write_text(path.read_text() + "\nmodel = fixed_model\n")
    problems, status, _ = find_problems(fixed, 40, controller=controller)
    assert status == "ok" and problems == []
