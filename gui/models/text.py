"""Short, readable text for the plain-data summaries inside events."""

from __future__ import annotations

PREVIEW_ITEMS = 4


def number(x) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{x:.4g}"


def shape(dims) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def value(summary, long: bool = False) -> str:
    """One line for a value summary (tensor, distribution, frames, plain value)."""
    if summary is None:
        return "None"
    if isinstance(summary, bool):
        return str(summary)
    if isinstance(summary, (int, float)):
        return number(summary)
    if isinstance(summary, str):
        return summary
    if isinstance(summary, list):
        if summary and all(isinstance(s, dict) and "plate" in s for s in summary):
            return ", ".join(f"{s['plate']} (size {s['size']}, dim {s['dim']})" for s in summary)
        return "(" + ", ".join(value(s) for s in summary) + ")"
    if not isinstance(summary, dict):
        return str(summary)
    if "dist" in summary:
        return distribution(summary, long)
    if "plate" in summary:
        return f"{summary['plate']} (size {summary['size']}, dim {summary['dim']})"
    if "shape" in summary:
        return tensor(summary, long)
    return "{" + ", ".join(f"{k}: {value(v)}" for k, v in summary.items()) + "}"


def tensor(summary: dict, long: bool = False) -> str:
    preview = summary.get("preview")
    grad = " ∇" if summary.get("requires_grad") else ""
    if not summary["shape"]:
        return f"{number(preview)}{grad}"
    items = preview if isinstance(preview, list) else [preview]
    shown = ", ".join(number(x) for x in items[:PREVIEW_ITEMS])
    more = ", …" if len(items) > PREVIEW_ITEMS or _size(summary["shape"]) > len(items) else ""
    text = f"{shape(summary['shape'])} [{shown}{more}]{grad}"
    if long and "mean" in summary:
        text += f"   min {number(summary['min'])}  mean {number(summary['mean'])}  max {number(summary['max'])}"
    return text


def _size(dims) -> int:
    size = 1
    for d in dims:
        size *= d
    return size


def distribution(summary: dict, long: bool = False) -> str:
    name = summary["dist"]
    params = summary.get("params") or {}
    inner = ", ".join(f"{k}={value(v)}" if long else value(v) for k, v in params.items())
    if "base" in summary and not params:
        inner = value(summary["base"], long)
    batch = summary.get("batch_shape") or []
    event = summary.get("event_shape") or []
    shapes = f"  batch {shape(batch)}" if batch else ""
    shapes += f"  event {shape(event)}" if event else ""
    return f"{name}({inner}){shapes}"


def changes(change_map: dict) -> str:
    """A badge: what a handler did to a message."""
    parts = []
    for key, (before, after) in change_map.items():
        if key == "value":
            parts.append("value set")
        elif key == "fn":
            parts.append("fn broadcast" if _batch(after) != _batch(before) else "fn changed")
        elif key == "cond_indep_stack":
            parts.append("+plate")
        elif key == "stop":
            parts.append("stop")
        else:
            parts.append(f"{key}: {value(before)} → {value(after)}")
    return ", ".join(parts)


def _batch(summary):
    return summary.get("batch_shape") if isinstance(summary, dict) else None


def event_summary(event: dict, handler_labels: dict) -> str:
    """The timeline's summary column."""
    kind = event["kind"]
    if kind in ("handler_enter", "handler_exit"):
        return event["label"]
    if kind == "msg_start":
        fields = event.get("fields") or {}
        return f"{event['type']} {event['name']} ~ {value(fields.get('fn'))}" if event["type"] == "sample" \
            else f"{event['type']} {event['name']}"
    if kind in ("process", "postprocess"):
        label = handler_labels.get(event["handler_id"], str(event["handler_id"]))
        change_text = changes(event.get("changes") or {})
        return f"{label}: {change_text}" if change_text else label
    if kind == "stop":
        return f"stopped by {handler_labels.get(event['handler_id'], event['handler_id'])}"
    if kind == "default":
        return f"{event.get('action', '')}: {value(event.get('value'))}"
    if kind == "msg_end":
        return value(event.get("value"))
    if kind == "svi_step":
        return f"step {event['step']}  loss {number(event['loss'])}"
    if kind == "loss":  # an ELBO evaluated outside SVI.step
        return f"{event['elbo']} #{event['n']}  loss {number(event['value'])}"
    if kind == "output":
        return event["text"][:201].rstrip("\n")[:200]  # never the whole of a 15 MB line
    if kind == "error":
        return f"{event['type']}: {event['message']}".splitlines()[0][:200]
    if kind == "structure":
        return f"{event['which']}: {len(event['relations'].get('sample_dist', {}))} sample sites"
    if kind == "line":  # paused in plain Python
        return f"{event['function']}() at {event['file'].rsplit('/', 1)[-1]}:{event['line']}"
    if kind in ("run_start", "run_end"):
        return f"{event.get('entry')} {event.get('file')} seed {event.get('seed')} ({event.get('status')})"
    return ""
