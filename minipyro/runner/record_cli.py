"""``python main.py record [-o OUT] [--seed S] [--detail svi|sites|steps] [--engine pyro|minipyro]
SCRIPT.py [ARGS...]`` (or ``-m MODULE [ARGS...]``): run any script as Python would, recorded.

Everything after the script's path (or the module's name) belongs to the script. The script
runs in this process, as ``memray run`` and ``viztracer`` run theirs: its output reaches the
terminal byte for byte and its exit status is this command's. The Studio's own lines go to
stderr, each starting with ``minipyro-studio:``. The recording goes to OUT
(``SCRIPT.mpr.jsonl`` in the current folder by default); processes the script starts write
``STEM.rank1.mpr.jsonl``, ... beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from ..observe.event import DETAILS
from ..observe.recording import SUFFIX
from .engines import ENGINES
from .modelfile import ModelFileError, choose_engine
from .script import (NO_PYRO, NO_SVI, ProcessRecording, ScriptError, child_environment, process_rank,
                     resolve_script, run_script, source_text, stem_of)
from .startup import hook_folder

PREFIX = "minipyro-studio: "
FIRST_STEP_DETAIL = "sites"  # without --detail: svi, with every site of the first step
_OPTIONS_WITH_VALUES = ("-o", "--out", "--seed", "--detail", "--engine")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="minipyro-studio record", usage="%(prog)s [options] SCRIPT.py [ARGS...] | -m MODULE [ARGS...]",
        description="Run a Python script as `python SCRIPT.py ARGS` would, recording what Pyro does.")
    p.add_argument("-o", "--out", metavar="OUT", help=f"the recording (default: SCRIPT{SUFFIX} in this folder)")
    p.add_argument("--seed", type=int, metavar="S",
                   help="clear the param store and seed the engine before the script runs (default: no seeding)")
    p.add_argument("--detail", choices=DETAILS,
                   help="svi: losses, params, structure, output; sites: every message too; steps: everything "
                        "(default: svi, with every site of the first step)")
    p.add_argument("--engine", choices=ENGINES, help="the engine --seed seeds (default: the one the script imports)")
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m does")
    p.add_argument("script", nargs="?", help="the script; the arguments after it are the script's")
    return p


def split_arguments(argv: list) -> tuple[list, list]:
    """(the Studio's arguments, the script's): the script's begin after its path or module name."""
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "-m":
            return argv[: index + 2], argv[index + 2:]
        if arg in _OPTIONS_WITH_VALUES:
            index += 2
        elif arg.startswith("-") and arg != "-":
            index += 1
        else:
            return argv[: index + 1], argv[index + 1:]
    return argv, []


def engine_of(script, requested):
    """The engine ``--seed`` seeds: as for model files (DESIGN section 5), Pyro when in doubt."""
    if requested is not None or script is None:
        return requested or "pyro"
    try:
        return choose_engine(script)
    except (ModelFileError, OSError):
        return "pyro"


def seeding(engine_name: str, seed):
    """What runs just before the script: DESIGN section 5's seed contract, or nothing."""
    def reset():
        if seed is None:
            return
        if engine_name == "pyro":
            import pyro

            pyro.clear_param_store()
            pyro.set_rng_seed(seed)
        else:
            import minipyro

            minipyro.get_param_store().clear()
            minipyro.set_rng_seed(seed)

    return reset


def say(text: str) -> None:
    sys.stderr.write(f"{PREFIX}{text}\n")
    sys.stderr.flush()


def main(argv: list) -> int:
    ours, script_args = split_arguments(argv)
    options = parser().parse_args(ours)
    if (options.script is None) == (options.module is None):
        parser().error("give a script to run (SCRIPT.py [ARGS...]) or a module (-m MODULE [ARGS...])")
    script = None
    if options.script is not None:
        try:
            script = resolve_script(options.script)
        except ScriptError as error:
            say(str(error))
            return 2
    else:
        import importlib.util

        sys.path.insert(0, os.getcwd())
        try:
            found = importlib.util.find_spec(options.module)
        except (ImportError, ValueError):
            found = None
        finally:
            sys.path.pop(0)
        if found is None:
            say(f"no module named {options.module!r}")
            return 1
    name = Path(options.script).stem if script is not None else options.module.rpartition(".")[2]
    out = Path(options.out) if options.out else Path.cwd() / f"{name}{SUFFIX}"
    detail = options.detail or "svi"
    first_step = None if options.detail else FIRST_STEP_DETAIL
    engine = engine_of(script, options.engine)
    started = time.time()
    try:
        recording = ProcessRecording(out, detail, first_step, {
            "file": str(script.resolve()) if script is not None else options.module, "entry": "script",
            "seed": options.seed, "engine": engine, "rank": process_rank("main"), "pid": os.getpid(),
            "argv": [options.script or options.module, *script_args],
            "source_text": source_text(script) if script is not None else None})
    except OSError as error:
        say(f"cannot write the recording {out}: {error.strerror}")
        return 2
    hooks = hook_folder(Path(__file__).resolve().parents[2])
    saved_environment = {key: os.environ.get(key) for key in ("MINIPYRO_STUDIO_RECORD", "PYTHONPATH")}
    os.environ.update(child_environment(out, detail, first_step, hooks))
    try:
        status, exit_code = run_script(script, options.module, script_args, recording,
                                       before_run=seeding(engine, options.seed))
    finally:
        _restore(saved_environment)
        shutil.rmtree(hooks, ignore_errors=True)
    recording.finish(status, exit_code)
    if os.getpid() != recording.pid:  # a child the script forked, come back here: it is not the run
        return exit_code
    _report(recording, out, started)
    if status == "stopped":  # as Python itself ends on Ctrl+C: by SIGINT, for the shell to see
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return exit_code


def _restore(saved: dict) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _report(recording: ProcessRecording, out: Path, started: float) -> None:
    if not recording.pyro_seen:
        what = NO_SVI if recording.only_inference_heard() else NO_PYRO
        say(f"{what}; {out} holds the script's output only")
    else:
        counts = recording.counts
        parts = [f"{counts.get('svi_step', 0)} SVI steps"] if counts.get("svi_step") else []
        parts += [f"{counts['loss']} losses"] if counts.get("loss") else []
        parts += [f"{counts['msg_end']} messages"] if counts.get("msg_end") else []
        say(f"recording written to {out}" + (f" ({', '.join(parts)})" if parts else ""))
    others = sorted(path for path in out.parent.glob(f"{Path(stem_of(out)).name}.*{SUFFIX}")
                    if path != out and path.stat().st_mtime >= started - 1)
    for path in others:
        say(f"a process the script started wrote {path}")
