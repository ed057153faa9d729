"""The table of a run's sites, from its events: what ``main.py run`` prints and the app's graph shows."""

from __future__ import annotations


def shape_text(shape) -> str:
    return " ".join(str(size) for size in shape) if shape else ""


def site_rows(events: list[dict]) -> list[tuple]:
    """(site, type, distribution, batch | event, value shape, log_prob shape) for each site, first
    appearance first: like Pyro's Trace.format_shapes, from msg_start and msg_end events."""
    starts = {e["msg_id"]: e for e in events if e["kind"] == "msg_start"}
    rows, seen = [], set()
    for end in (e for e in events if e["kind"] == "msg_end"):
        start = starts.get(end["msg_id"], {})
        key = (end["name"], end["type"])
        if key in seen or end["type"] not in ("sample", "param"):
            continue
        seen.add(key)
        fn = end.get("fn") or start.get("fields", {}).get("fn")
        value = end.get("value")
        value_shape = shape_text(value["shape"]) if isinstance(value, dict) and "shape" in value else ""
        if end["type"] == "param" or not isinstance(fn, dict):
            dist, shapes, log_prob = "", "", ""
        else:
            dist = fn.get("dist", "")
            shapes = f"{shape_text(fn.get('batch_shape'))} | {shape_text(fn.get('event_shape'))}".strip()
            log_prob = shape_text((end.get("log_prob") or {}).get("shape", []))
        rows.append((end["name"], end["type"], dist, shapes, value_shape, log_prob))
    return rows


def grouped_rows(rows: list[tuple], events: list[dict]) -> list[tuple]:
    """``rows`` with each group of repeated sites (see :mod:`.site_groups`, found in the run's
    ``structure`` events) as one row, where its first member was: ``obs_i ×10 000``, the
    members' range, and their shapes where all members share them (else ``various``)."""
    from .site_groups import group_sites

    groups = [group for e in events if e["kind"] == "structure"
              for group in group_sites(e.get("deterministic_relations") or e["relations"], e.get("site_plates"))]
    by_name = {row[0]: row for row in rows}
    group_of = {}
    for group in groups:
        if all(name in by_name and name not in group_of for name in group.members):
            group_of.update(dict.fromkeys(group.members, group))
    result, done = [], set()
    for row in rows:
        group = group_of.get(row[0])
        if group is None:
            result.append(row)
        elif id(group) not in done:
            done.add(id(group))
            members = [by_name[name] for name in group.members]
            shared = [cells.pop() if len(cells) == 1 else "various"
                      for cells in ({member[c] for member in members} for c in range(1, len(row)))]
            count = f"{group.size:,}".replace(",", " ")
            result.append((f"{group.label} ×{count} ({group.span})", *shared))
    return result


def site_table(events: list[dict], all_sites: bool = False) -> str:
    """:func:`site_rows` as aligned text, repeated sites as one row unless ``all_sites``."""
    rows = site_rows(events)
    if not all_sites:
        rows = grouped_rows(rows, events)
    header = ("site", "type", "distribution", "batch | event", "value", "log_prob")
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
