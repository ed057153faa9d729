"""The shapes of a partial trace: every site of one step up to a failing site, as Pyro's
``Trace.format_shapes`` shows a whole trace (which a failing run does not have).

Plain data in (events, a problem's ``seq``), rows out: the ``check`` command prints them and the
Problems panel shows them. The offending dim of a ``shape`` problem is marked ``[n]``.
"""

from __future__ import annotations

from .sites import shape_text

HEADER = ("site", "type", "distribution", "batch | event", "value", "log_prob", "plates (dim: size)")


def _plates(frames) -> str:
    return ", ".join(f"{f.get('plate')} ({f.get('dim')}: {f.get('size')})" for f in frames or []
                     if isinstance(f, dict))


def _marked(shape, dim) -> str:
    """``shape`` as text with the size at ``dim`` (negative) in brackets."""
    if dim is None or not shape or -dim > len(shape):
        return shape_text(shape)
    cells = [str(n) for n in shape]
    cells[len(shape) + dim] = f"[{cells[len(shape) + dim]}]"
    return " ".join(cells)


def step_events(events: list, seq: int) -> list:
    """The events of the step that holds event ``seq``, up to it: after the last ``svi_step``
    before it (or from the start)."""
    start = 0
    for k in range(min(seq, len(events) - 1), -1, -1):
        if events[k]["kind"] == "svi_step" and k < seq:
            start = k + 1
            break
    return [events[k] for k in range(start, seq + 1)]  # (events: any sequence, the app's store too)


def partial_trace_rows(events: list, problem) -> list[tuple]:
    """One row per site of the problem's step up to its site (HEADER's columns), the problem's
    site last, marked ``▶``; a site that raised before its end is shown from its start."""
    part = step_events(events, problem.seq)
    starts, rows, ended = {}, {}, set()
    for event in part:
        kind = event["kind"]
        if kind == "msg_start":
            starts[event["msg_id"]] = event
        elif kind == "msg_end" and event.get("type") == "sample":
            ended.add(event["msg_id"])
            row = _row(event, starts.get(event["msg_id"], {}), problem)
            if row[2] != "_Subsample":  # a plate's own indices
                rows.pop(event.get("name"), None)  # a latent's guide site, then its model site: the model's
                rows[event.get("name")] = row
    open_sites = [start for msg_id, start in starts.items() if msg_id not in ended and start.get("type") == "sample"]
    if open_sites:  # the message an error was raised inside
        start = open_sites[-1]
        rows[start.get("name")] = _row({"name": start.get("name"), "type": "sample"}, start, problem, failed=True)
    return list(rows.values())


def _row(end: dict, start: dict, problem, failed: bool = False) -> tuple:
    fields = start.get("fields") or {}
    fn = end.get("fn") if isinstance(end.get("fn"), dict) else fields.get("fn")
    fn = fn if isinstance(fn, dict) else {}
    value = end.get("value") if isinstance(end.get("value"), dict) else {}
    log_prob = end.get("log_prob") if isinstance(end.get("log_prob"), dict) else {}
    here = end.get("name") == problem.site
    dim = problem.details.get("dim") if here else None
    name = f"▶ {end.get('name')}" if here else str(end.get("name"))
    if failed:
        name += " (raised here)"
    batch = f"{shape_text(fn.get('batch_shape'))} | {shape_text(fn.get('event_shape'))}".strip() if fn else ""
    return (name, end.get("type", ""), fn.get("dist", ""), batch, shape_text(value.get("shape")),
            _marked(log_prob.get("shape"), dim), _plates(end.get("plates") or fields.get("cond_indep_stack")))


def format_rows(rows: list[tuple], indent: str = "    ") -> str:
    widths = [max(len(str(row[i])) for row in [HEADER] + rows) for i in range(len(HEADER))]
    lines = [indent + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [HEADER] + rows]
    return "\n".join(lines)
