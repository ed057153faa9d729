"""``main.py check``: each kind of problem found at its site, on both engines, and no false alarm
on the lessons (their own models, run as the check runs them)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minipyro.runner.check_cli import expected_problems, find_problems
from minipyro.runner.controller import RunnerController
from resources import LESSON_ORDER, examples_dir

FIXTURES = Path(__file__).parent / "models" / "problems"
ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("minipyro", "pyro")


@pytest.fixture(scope="module")
def controller():
    controller = RunnerController()
    yield controller
    controller.close()


def fixture_for(name: str, engine: str, tmp_path: Path) -> Path:
    """The fixture model written for ``engine`` (``import minipyro as pyro`` or ``import pyro``)."""
    path = tmp_path / f"{name}_{engine}.py"
    path.write_text((FIXTURES / f"{name}.py").read_text().replace("import ENGINE as pyro", f"import {engine} as pyro"))
    return path


def check(name, engine, tmp_path, controller, steps=5):
    problems, _, _ = find_problems(fixture_for(name, engine, tmp_path), steps, engine=engine, controller=controller)
    return problems


def kinds_at(problems) -> set:
    return {(p.kind, p.site) for p in problems}


@pytest.mark.parametrize("engine", ENGINES)
def test_silent_nan_names_the_site_the_argument_and_the_param(engine, tmp_path, controller):
    problems = check("silent_nan", engine, tmp_path, controller)
    nan = [p for p in problems if p.kind == "nan"]
    assert [(p.site, p.step) for p in nan] == [("obs", 2)]
    assert "Normal scale = -0.2" in nan[0].message and "from param 'noise'" in nan[0].message
    assert "Validation is off" in nan[0].message
    assert nan[0].source.endswith(":18")  # the line of pyro.sample("obs", ...)


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_switched_off_at_torch_level_stays_off_after_the_studio_looks(engine, tmp_path, controller):
    """``Distribution.set_default_validate_args(False)`` (torch's switch, not Pyro's) is what many
    scripts write: the check's own unvalidated looks at the model must not switch it back on."""
    path = fixture_for("silent_nan", engine, tmp_path)
    path.write_text(path.read_text().replace(
        "dist.enable_validation(False)", "torch.distributions.Distribution.set_default_validate_args(False)"))
    problems, _, _ = find_problems(path, 5, engine=engine, controller=controller)
    assert [(p.kind, p.site, p.step) for p in problems if not p.is_hint] == [("nan", "obs", 2)]


@pytest.mark.parametrize("engine", ENGINES)
def test_column_observation_in_a_plate_is_a_shape_problem_naming_the_dim(engine, tmp_path, controller):
    problems = check("column_obs", engine, tmp_path, controller)
    shape = [p for p in problems if p.kind == "shape"]
    assert [p.site for p in shape] == ["obs"]
    assert shape[0].details["dim"] == -2 and shape[0].details["shape"] == [6, 6]
    assert "(6, 1) broadcasts" in shape[0].message and "'data' (dim -1, size 6)" in shape[0].message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_nan_names_the_distribution_as_written_not_its_base(engine, tmp_path, controller):
    path = fixture_for("silent_nan", engine, tmp_path)
    path.write_text(path.read_text().replace("dist.Normal(loc, noise), obs=data", "dist.LogNormal(loc, noise), obs=data.exp()"))
    nan = [p for p in find_problems(path, 5, engine=engine, controller=controller)[0] if p.kind == "nan"]
    assert nan and "LogNormal scale = " in nan[0].message and " Normal scale" not in nan[0].message


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name, fix", [
    ("column_loc", "give the distribution's arguments the plates' shape (6,)"),
    ("row_in_column_plate", "give the value the plates' shape (6, 1) (e.g. `y.reshape(6, 1)`)"),
])
def test_a_shape_fix_names_the_side_that_does_not_fit_the_plates(engine, name, fix, tmp_path, controller):
    shape = [p for p in check(name, engine, tmp_path, controller) if p.kind == "shape"]
    assert [p.site for p in shape] == ["obs"] and fix in shape[0].message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_forgotten_latent_and_an_extra_guide_site(engine, tmp_path, controller):
    problems = check("forgotten_latent", engine, tmp_path, controller)
    assert {("missing_in_guide", "scale"), ("missing_in_model", "lcoation")} <= kinds_at(problems)
    assert not [p for p in problems if p.kind == "missing_in_guide" and p.site != "scale"]
    missing = next(p for p in problems if p.kind == "missing_in_guide")
    assert missing.source.endswith(":14")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_real_line_guide_for_a_positive_latent(engine, tmp_path, controller):
    problems = check("real_guide_positive", engine, tmp_path, controller)
    support = [p for p in problems if p.kind == "support"]
    assert [p.site for p in support] == ["rate"]
    assert "the real line" in support[0].message and "x >= 0" in support[0].message
    assert support[0].source.endswith(":19")  # the guide's line


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exception_at_a_site(engine, tmp_path, controller):
    problems = check("raises", engine, tmp_path, controller)
    errors = [p for p in problems if p.kind == "error"]
    assert len(errors) == 1 and errors[0].source.endswith(":12") and errors[0].step == 1


def test_a_site_refused_before_its_message_is_still_named(tmp_path, controller):
    path = fixture_for("raises", "minipyro", tmp_path)
    path.write_text(path.read_text().replace('pyro.sample("loc", ', 'pyro.sample("loc", infer={"enumerate": "parallel"}, fn='))
    errors = [p for p in find_problems(path, 2, engine="minipyro", controller=controller)[0] if p.kind == "error"]
    assert [p.site for p in errors] == ["loc"] and "enumeration" in errors[0].message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_nan_only_in_the_backward_pass_names_the_param_and_its_sites(engine, tmp_path, controller):
    problems = check("backward_nan", engine, tmp_path, controller)
    nan = [p for p in problems if p.kind == "nan"]
    assert [(p.site, p.step, p.offending) for p in nan] == [("width", 1, "grad_norms")]
    assert "backward pass" in nan[0].message and "'x'" in nan[0].message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_loop_of_sites_is_a_hint_not_a_problem(engine, tmp_path, controller):
    problems = check("loop_sites", engine, tmp_path, controller)
    assert [(p.kind, p.site, p.is_hint) for p in problems] == [("loop", "flip_i", True)]


@pytest.mark.parametrize("lesson", LESSON_ORDER)
def test_no_false_alarm_on_a_lesson(lesson, controller):
    path = examples_dir() / f"{lesson}.py"
    problems, status, _ = find_problems(path, 3, controller=controller)
    assert status == "ok"
    declared = expected_problems(path)  # the NaN lesson's NaN, after step 3
    assert [p.to_json() for p in problems if not p.is_hint and (p.kind, p.site) not in declared] == []


CORRECT_MODELS = ("seed_svi", "pyro_autonormal", "pyro_markov_hmm", "pyro_tracegraph", "pyroapi_model", "coin_loop",
                  "three_handlers", "chatty", "imports_neighbour")


@pytest.mark.parametrize("name", CORRECT_MODELS)
def test_no_false_alarm_on_the_tests_correct_models(name, controller):
    problems, status, _ = find_problems(Path(__file__).parent / "models" / f"{name}.py", 3, controller=controller)
    assert status == "ok" and [p.to_json() for p in problems if not p.is_hint] == []


def test_a_file_declares_the_problems_it_has_on_purpose(tmp_path):
    lesson = examples_dir() / "debugging_a_nan.py"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(lesson), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (done.returncode, json.loads(done.stdout)) == (0, [])
    undeclared = tmp_path / "undeclared.py"
    undeclared.write_text(lesson.read_text().replace("expected_problems = ", "_declared = "))
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(undeclared), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1 and [(p["kind"], p["site"]) for p in json.loads(done.stdout)] == [("nan", "obs")]


def test_the_command_prints_json_and_exits_1_on_problems_0_when_clean(tmp_path):
    path = fixture_for("column_obs", "minipyro", tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(path), "--svi-steps", "2", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert {"kind": "shape", "site": "obs"}.items() <= found[0].items()
    assert set(found[0]) == {"kind", "site", "step", "source", "message"}
    clean = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(examples_dir() / "normal_normal.py"),
                            "--svi-steps", "2", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])


def test_a_run_that_never_ends_is_reported_where_it_is_stuck(tmp_path):
    model = tmp_path / "stuck.py"
    model.write_text("def model():\n    n = 0\n    while True:\n        n += 1\n\n\ndef guide():\n    pass\n")
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(model), "--json", "--timeout", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    [problem] = json.loads(result.stdout)
    assert problem["kind"] == "timeout" and problem["source"] in (f"{model}:3", f"{model}:4")
    assert "had not finished after 2 s" in problem["message"]


def test_a_file_without_a_model_is_told_what_a_model_file_defines(controller):
    problems, _, _ = find_problems(ROOT / "tests" / "runner" / "models" / "no_model.py", 2, controller=controller)
    [problem] = problems
    assert problem.kind == "error" and "defines no function named 'model'" in problem.message
    assert "Fix: a model file defines `def model(...)`" in problem.message


def test_usage_errors_exit_2():
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "x.py", "--svi-steps", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr


@pytest.mark.parametrize("imported, forced", [("minipyro", "pyro"), ("pyro", "minipyro")])
def test_an_engine_the_file_does_not_import_is_refused_not_checked_clean(imported, forced, tmp_path):
    """Forced onto the other engine, the file's sites would run unobserved: nothing would be
    checked, and "no problems" would be a lie."""
    path = fixture_for("silent_nan", imported, tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(path), "--engine", forced],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert f"this file imports {imported}, so its sites run on {imported}, not on {forced}" in done.stderr


def test_a_missing_file_is_a_wrong_argument():
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "no_such_model.py"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "no_such_model.py: no such file" in done.stderr
