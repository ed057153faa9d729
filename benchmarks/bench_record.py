"""What ``main.py record`` costs a training script: ``--detail svi`` (goal <= 1.05x the plain
script) and ``--detail sites`` (goal <= 1.3x), on two scripts in the style of Pyro's examples
(``scripts/``: a loop of ``svi.step``, and an ELBO module with a torch optimiser).

    python benchmarks/bench_record.py [--rounds 7] [--steps 300] [--processes]

``record`` runs a script in its own process, so the scripts run here in this one too, each
round once plain and once as ``record`` runs them (``minipyro.runner.script.run_script``), with
the variants in a shuffled order so that the machine's noise hits them alike.
The training loop's time is the one the script prints (as examples print theirs); the run's CPU
time is measured around it (one torch thread). Reported: the best round of each (noise only
ever adds) and the median of the rounds' paired ratios.
The steady per-step cost of ``svi`` detail is also timed apart from the step (the end-to-end
ratios include the one-off structure of the first step, and the machine's noise).
``--processes`` also times whole processes (``python SCRIPT`` against ``main.py record``),
imports included: on a busy machine that ratio is mostly noise.
"""

import argparse
import contextlib
import io
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from minipyro.runner.script import ProcessRecording, run_as_main, run_script
from goals import report as goal_line

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = {"svi.step loop": HERE / "scripts" / "svi_normal.py",
           "ELBO module + torch optimiser": HERE / "scripts" / "torch_regression.py"}
GOALS = {"svi": 1.05, "sites": 1.3}


def loop_seconds(text: str) -> float:
    return float(re.search(r"trained in (\S+) s", text).group(1))


def run_in_process(script: Path, args: list, detail, folder: str) -> tuple[float, float]:
    """The script's training loop time and the CPU time of its whole run, run here plain (``detail``
    None) or as ``record`` runs it. CPU time is what other processes on a busy machine disturb least."""
    output = io.StringIO()
    cpu = time.process_time()
    with contextlib.redirect_stdout(output):
        if detail is None:
            saved_argv, sys.argv = sys.argv, [str(script), *args]
            try:
                run_as_main(str(script))
            finally:
                sys.argv = saved_argv
        else:
            recording = ProcessRecording(Path(folder) / f"{detail}.mpr.jsonl", detail, None, {"entry": "script"})
            status, _ = run_script(script, None, args, recording)
            recording.finish(status)
    return loop_seconds(output.getvalue()), time.process_time() - cpu


def run_process(command, cwd) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


def measure(variants: dict, rounds: int, order: random.Random) -> dict:
    times = {name: [] for name in variants}
    for _ in range(rounds):
        names = list(variants)
        order.shuffle(names)
        for name in names:
            times[name].append(variants[name]())
    return times


def report(times: dict, unit: str, title: str) -> None:
    for detail, goal in GOALS.items():
        best = min(times[detail]) / min(times["plain"])
        paired = statistics.median(t / p for t, p in zip(times[detail], times["plain"]))
        print(f"  --detail {detail:5s} {unit}: best {best:.3f}x, median of paired rounds {paired:.3f}x")
        goal_line(f"main.py record --detail {detail} / plain script, {title}, {unit} (paired median)", paired,
                  "x", goal)


def svi_hook_cost(steps: int = 200) -> None:
    """What ``--detail svi`` adds to each ``SVI.step``, timed apart from the step (so that a busy
    machine's noise, several times larger, does not hide it): the gradient norms, the constrained
    params and the ``svi_step`` event written to a file, against the step itself."""
    import pyro
    from pyro.infer import SVI, Trace_ELBO
    from pyro.infer.autoguide import AutoNormal
    from pyro.optim import Adam

    from minipyro.observe.pyro_mode import _norm
    from minipyro.observe.recorder import Recorder
    from minipyro.observe.recording import RecordingWriter

    sys.path.insert(0, str(HERE / "scripts"))
    import svi_normal

    groups = torch.arange(8).repeat(25)
    data = torch.randn(len(groups)) + groups.float()
    svi = SVI(svi_normal.model, AutoNormal(svi_normal.model), Adam({"lr": 0.02}), Trace_ELBO())
    svi.step(groups, data)
    store = pyro.get_param_store()
    names = list(store.keys())
    with tempfile.TemporaryDirectory() as folder:
        writer = RecordingWriter(Path(folder) / "cost.mpr.jsonl", "svi")
        recorder = Recorder("svi", writer.write)

        def hooks():
            norms = {name: _norm(store._params[name].grad) for name in names}
            with torch.no_grad():
                params = {name: store[name] for name in names}
            recorder.svi_step(1, 1.0, params, norms)

        def best_cpu_seconds(fn, repeat=5):
            times = []
            for _ in range(repeat):
                start = time.process_time()
                for _ in range(steps):
                    fn()
                times.append((time.process_time() - start) / steps)
            return min(times)

        hook = best_cpu_seconds(hooks)
        step = best_cpu_seconds(lambda: svi.step(groups, data))
        writer.close()
    print(f"svi.step's hooks at --detail svi, timed apart: {hook * 1e6:.0f} us on a {step * 1e3:.2f} ms step "
          f"= {1 + hook / step:.3f}x   goal <= {GOALS['svi']}x   {'met' if 1 + hook / step <= GOALS['svi'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--processes", action="store_true", help="also time whole processes")
    options = parser.parse_args()
    torch.set_num_threads(1)  # the same for every variant; idle threads spinning would add noise
    order = random.Random(0)
    svi_hook_cost()
    with tempfile.TemporaryDirectory() as folder:
        for title, script in SCRIPTS.items():
            args = ["--num-steps", str(options.steps)]
            variants = {name: (lambda detail=detail: run_in_process(script, args, detail, folder))
                        for name, detail in (("plain", None), ("svi", "svi"), ("sites", "sites"))}
            variants["plain"]()  # warm up: imports, first-call costs
            both = measure(variants, options.rounds, order)
            loops = {name: [loop for loop, _ in runs] for name, runs in both.items()}
            cpus = {name: [cpu for _, cpu in runs] for name, runs in both.items()}
            print(f"{title} ({script.name}, {options.steps} steps): plain loop {min(loops['plain']):.2f} s "
                  f"(best of {options.rounds})")
            report(loops, "loop wall time", title)
            report(cpus, "run's CPU time", title)
            if options.processes:
                commands = {"plain": [sys.executable, str(script), *args]}
                for detail in GOALS:
                    commands[detail] = [sys.executable, str(ROOT / "main.py"), "record", "--detail", detail,
                                        "-o", str(Path(folder) / f"{detail}.mpr.jsonl"), str(script), *args]
                processes = {name: (lambda command=command: run_process(command, folder))
                             for name, command in commands.items()}
                report(measure(processes, options.rounds, order), "process", title)


if __name__ == "__main__":
    main()
