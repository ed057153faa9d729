"""What ``main.py record`` costs a training script: ``--detail svi`` (goal <= 1.05x the plain
script) and ``--detail sites`` (goal <= 1.3x), on two scripts in the style of Pyro's examples
(``scripts/``: a loop of ``svi.step``, and an ELBO module with a torch optimiser).

    python benchmarks/bench_record.py [--rounds 3] [--steps 500]

Each variant runs the script as a user would, in a fresh process: ``python SCRIPT`` against
``python main.py record --detail D SCRIPT``. Two ratios per variant: the training loop's time
(the script prints it, as examples print theirs) and the whole process's wall time (the same
imports on both sides, plus the recording's start and end). Rounds run the variants in a
shuffled order so that the machine's noise hits them alike; the best of the rounds counts
(noise only ever adds).
"""

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = {"svi.step loop": HERE / "scripts" / "svi_normal.py",
           "ELBO module + torch optimiser": HERE / "scripts" / "torch_regression.py"}
GOALS = {"svi": 1.05, "sites": 1.3}


def timed_run(command, cwd) -> tuple[float, float]:
    """(the training loop's seconds as the script printed them, the process's wall seconds)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    loop = float(re.search(r"trained in (\S+) s", result.stdout).group(1))
    return loop, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500)
    options = parser.parse_args()
    order = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        for title, script in SCRIPTS.items():
            args = [str(script), "--num-steps", str(options.steps)]
            variants = {"plain": [sys.executable, *args]}
            for detail in GOALS:
                variants[detail] = [sys.executable, str(ROOT / "main.py"), "record", "--detail", detail,
                                    "-o", str(Path(folder) / f"{detail}.mpr.jsonl"), *args]
            times = {name: [] for name in variants}
            for _ in range(options.rounds):
                names = list(variants)
                order.shuffle(names)
                for name in names:
                    times[name].append(timed_run(variants[name], folder))
            plain_loop = min(loop for loop, _ in times["plain"])
            plain_wall = min(wall for _, wall in times["plain"])
            print(f"{title} ({script.name}, {options.steps} steps): plain loop {plain_loop:.2f} s, "
                  f"process {plain_wall:.2f} s (best of {options.rounds})")
            for detail, goal in GOALS.items():
                loop = min(loop for loop, _ in times[detail]) / plain_loop
                wall = min(wall for _, wall in times[detail]) / plain_wall
                verdict = "met" if max(loop, wall) <= goal else "NOT met"
                print(f"  --detail {detail:5s}  loop {loop:.3f}x, process {wall:.3f}x   goal <= {goal}x   {verdict}")


if __name__ == "__main__":
    main()
