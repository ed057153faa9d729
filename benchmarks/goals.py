"""One line per measured goal, the same for every benchmark, so that ``run_all.py`` can gather them:

    GOAL | 10 000 distinct sites drawn | 0.62 | s | <= 1 | met
"""


def report(name: str, value: float, unit: str, goal: float) -> bool:
    """Print a goal line (``value`` must be at most ``goal``) and return whether it is met."""
    met = value <= goal
    print(f"GOAL | {name} | {value:.3g} | {unit} | <= {goal:g} | {'met' if met else 'NOT met'}", flush=True)
    return met


def parse(line: str):
    """(name, value, unit, goal, met) of a goal line, or None."""
    parts = [part.strip() for part in line.split("|")]
    if len(parts) != 6 or parts[0] != "GOAL":
        return None
    return parts[1], float(parts[2]), parts[3], parts[4], parts[5] == "met"
