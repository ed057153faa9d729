"""``python main.py check FILE.py``: run a model and its guide and report what is wrong.

As ``flutter doctor`` or a linter: the model file runs in the runner's child (a trace's worth of
sites, then N SVI steps, every step observed at ``sites`` detail with the NaN watch on), and
:class:`~minipyro.observe.problems.ProblemFinder` reads the events. Each problem is printed once
per kind and site: kind, site, step, the user's ``file:line``, its cause and its fix. ``--json``
prints them as a list of ``{"kind", "site", "step", "source", "message"}``. Hints (a loop of
sites a plate would vectorise) are printed too, and join the JSON with ``--hints``; they never
change the exit status. A file may declare the problems it has on purpose (a lesson about a
NaN), as a linter's ``noqa`` does: ``expected_problems = [{"kind": "nan", "site": "obs"}]``,
read without executing the file; those are printed as expected and count as none.

Exit status: 0 when no problem was found, 1 when some were (or the file could not run), 2 for a
wrong argument (a missing file, or an ``--engine`` the file does not import), 130 when stopped by Ctrl+C.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

from ..observe.problems import Problem, ProblemFinder
from ..observe.shapes_at import format_rows, partial_trace_rows
from .cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, check_model_file, positive_int, seed_int
from .controller import DEFAULT_MEMORY_LIMIT, ControllerError, RunnerController
from .modelfile import ENGINES

DEFAULT_STEPS = 20
DEFAULT_TIMEOUT = 300.0  # seconds: a run still going then is reported where it is, and stopped


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a model file (defines model and guide)")
    parser.add_argument("--svi-steps", type=positive_int, default=DEFAULT_STEPS, metavar="N",
                        help=f"SVI steps to watch (default {DEFAULT_STEPS})")
    parser.add_argument("--seed", type=seed_int, default=0, help="random seed, 0 to 2**32-1 (default 0)")
    parser.add_argument("--engine", choices=ENGINES,
                        help="minipyro or pyro (default: a file that imports pyro runs on Pyro, others on minipyro)")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"kind", "site", "step", "source", "message"}')
    parser.add_argument("--hints", action="store_true", help="with --json: include hints (kind loop)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"a run not finished by then is reported where it is, as kind timeout "
                             f"(default {DEFAULT_TIMEOUT:g})")


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def find_problems(path: Path, steps: int, seed: int = 0, engine=None, on_output=None, controller=None,
                  timeout: float = DEFAULT_TIMEOUT) -> tuple:
    """(problems, status of the run, its events) for the model file at ``path``, run in the
    runner's child (``controller``'s, which is left running, or a new one's). A run still going
    after ``timeout`` seconds (an endless loop) is paused, to learn where it is, and stopped."""

    def on_event(event: dict) -> None:
        if event["kind"] == "output" and event.get("stream") != "runner":
            on_output(event)

    own = controller is None
    if own:
        controller = RunnerController(on_event=on_event if on_output else None, memory_limit=DEFAULT_MEMORY_LIMIT)
    try:
        controller.run(path, entry="svi", seed=seed, svi={"steps": steps, "stop_on_nonfinite": True}, detail="sites",
                       engine=engine, watch=True)
        deadline, stuck = time.monotonic() + timeout, []
        while not stuck and not controller.wait_until("finished", "dead", timeout=0.2):
            if time.monotonic() > deadline:
                stuck.append(_stop_where_stuck(controller, timeout))
    finally:
        if own:
            controller.close()
    return ProblemFinder().feed_all(controller.events) + stuck, controller.status, controller.events


def _stop_where_stuck(controller, timeout: float) -> Problem:
    """Pause the run (a pause in plain Python lands on the user's next line), read where it is, stop it."""
    controller.pause()
    controller.wait_until("paused", "finished", "dead", timeout=5.0)
    events = controller.events
    where = next((e for e in reversed(events) if e["kind"] == "line" or e.get("source")), None)
    source = f"{where['file']}:{where['line']}" if where and where["kind"] == "line" else (where or {}).get("source")
    step = 1 + max((e["step"] for e in events if e["kind"] == "svi_step"), default=0)
    controller.stop()
    at = f" at {source}" if source else ""
    return Problem("timeout", None, step, source,
                   f"the run had not finished after {timeout:g} s: it was{at} in step {step}. "
                   f"Fix: an endless loop or a very slow step? Look at that line, or give more time (--timeout).",
                   events[-1]["seq"] if events else 0)


def expected_problems(path: Path) -> list:
    """The file's literal ``expected_problems`` (kind, site) pairs, read with ``ast``, never run."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "expected_problems" for t in node.targets):
            try:
                declared = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [(item.get("kind"), item.get("site")) for item in declared if isinstance(item, dict)] \
                if isinstance(declared, list) else []
    return []


def format_problem(problem, expected: bool = False) -> str:
    where = f"{problem.source}: " if problem.source else ""
    site = f" '{problem.site}'" if problem.site else ""
    label = "hint" if problem.is_hint else problem.kind
    label = f"expected {label}" if expected else label
    return f"{where}{label}{site} (step {problem.step}): {problem.message}"


def main(options: argparse.Namespace, stdout=sys.stdout, stderr=sys.stderr) -> int:
    path = Path(options.file)
    problem = check_model_file(path, options.engine)
    if problem:
        stderr.write(f"minipyro-studio: {problem}\n")
        return EXIT_USAGE
    try:
        problems, status, events = find_problems(path, options.svi_steps, options.seed, options.engine,
                                                 on_output=lambda event: stderr.write(event["text"]),
                                                 timeout=options.timeout)
    except KeyboardInterrupt:
        stderr.write("\nminipyro-studio: stopped by you (Ctrl+C).\n")
        return EXIT_INTERRUPTED
    except ControllerError as error:
        stderr.write(f"minipyro-studio: {error}\n")
        return EXIT_FAILED
    declared = expected_problems(path)
    expected = [p for p in problems if (p.kind, p.site) in declared]
    found = [p for p in problems if not p.is_hint and p not in expected]
    if options.json:
        shown = [p for p in problems if p not in expected and (options.hints or not p.is_hint)]
        stdout.write(json.dumps([p.to_json() for p in shown], indent=2) + "\n")
    else:
        for p in problems:
            stdout.write(format_problem(p, p in expected) + "\n")
            if p.kind == "shape" or (p.kind == "error" and "shape" in p.message.lower()):
                rows = partial_trace_rows(events, p)
                if rows:
                    up_to = f"'{p.site}'" if p.site else "the error"
                    stdout.write(f"  the sites of step {p.step} up to {up_to}:\n{format_rows(rows)}\n")
        steps = f"{options.svi_steps} SVI step{'s' if options.svi_steps > 1 else ''}"
        summary = f"{len(found)} problem{'' if len(found) == 1 else 's'}" if found else "no problems"
        more = f" ({len(expected)} expected, as the file declares)" if expected else ""
        stdout.write(f"{path}: {summary} found in {steps}{more}.\n")
    if status not in ("ok", "error") and not any(p.kind == "timeout" for p in problems):
        stderr.write(f"minipyro-studio: {path}: the run ended with status '{status}'\n")
        return EXIT_FAILED
    return EXIT_FAILED if found or (status != "ok" and not expected) else EXIT_OK
