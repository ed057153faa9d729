"""Every benchmark, one after the other, and a table of what each measured against its goal.

    python benchmarks/run_all.py [--only graph,core] [--quick] [--timeout 1800]

Each ``bench_*.py`` runs in its own process. A benchmark reports a goal as one line
``GOAL | name | value | unit | <= goal | met`` (``goals.report``); for those not yet written
that way, its lines that mention a goal are shown as they are. ``--quick`` passes each
benchmark the smaller settings in ``QUICK`` (fewer rounds: noisier figures, same goals).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from goals import parse

HERE = Path(__file__).resolve().parent
QUICK = {"core": ["--rounds", "5"], "events": ["--rounds", "3"], "graph": ["--rounds", "1"],
         "monitor": ["--seconds", "3"], "pyro_mode": ["--rounds", "5"], "runner": ["--rounds", "1"],
         "timeline": ["--events", "200000", "--jumps", "50"], "watch": ["--rounds", "5"]}


def run(name: str, arguments: list, timeout: float) -> tuple:
    """(goal lines parsed, other lines that mention a goal, status text)."""
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py"), *arguments], capture_output=True,
                                text=True, timeout=timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return [], [], f"timed out after {timeout:.0f} s"
    lines = result.stdout.splitlines()
    goals = [goal for goal in map(parse, lines) if goal is not None]
    others = [line.strip() for line in lines if "goal" in line.lower() and parse(line) is None]
    status = f"{time.perf_counter() - start:.0f} s" if result.returncode == 0 else \
        f"failed (exit {result.returncode}): {(result.stderr.strip().splitlines() or [''])[-1]}"
    return goals, others, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names, e.g. graph,core (bench_graph.py, bench_core.py)")
    parser.add_argument("--quick", action="store_true", help="smaller settings for each benchmark")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each benchmark")
    options = parser.parse_args()
    names = sorted(path.stem[len("bench_"):] for path in HERE.glob("bench_*.py"))
    if options.only:
        wanted = options.only.split(",")
        unknown = set(wanted) - set(names)
        if unknown:
            parser.error(f"no benchmark named {', '.join(sorted(unknown))}; there are {', '.join(names)}")
        names = [name for name in names if name in wanted]
    rows, missed = [], 0
    for name in names:
        print(f"running bench_{name}.py ...", flush=True)
        goals, others, status = run(name, QUICK.get(name, []) if options.quick else [], options.timeout)
        for goal_name, value, unit, goal, met in goals:
            rows.append((name, goal_name, f"{value:.3g} {unit}", goal, "met" if met else "NOT met"))
            missed += not met
        rows.extend((name, line, "", "", "") for line in others)
        if not goals and not others:
            rows.append((name, f"(no goal lines: {status})", "", "", ""))
    header = ("bench", "measure", "value", "goal", "")
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    print()
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"\n{missed} goal(s) not met" if missed else "\nevery reported goal met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
