"""Events: the plain-data record of every step of a run (DESIGN section 3).

An :class:`Event` is frozen and holds only str, int, float, bool, None, lists
and dicts, so the same event can be shown, sent to another process, saved and
replayed. This module imports nothing heavy: the app reads events without torch.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import NamedTuple

# "svi": SVI steps, ELBO evaluations, structure, output and errors only (cheap for any training job);
# "sites": each message's start and end and each handler's entry and exit, too; "steps": everything.
DETAILS = ("svi", "sites", "steps")

# Every kind of event, and the fields it always carries besides seq, kind and t.
KINDS = {
    "run_start": ("file", "entry", "seed", "status"),
    "run_end": ("file", "entry", "seed", "status"),
    "handler_enter": ("handler_id", "handler", "label", "depth"),
    "handler_exit": ("handler_id", "handler", "label", "depth"),
    "msg_start": ("msg_id", "type", "name", "stack", "fields", "source"),
    "process": ("msg_id", "handler_id", "position", "changes"),
    "stop": ("msg_id", "handler_id"),
    "default": ("msg_id", "value"),
    "postprocess": ("msg_id", "handler_id", "position", "changes"),
    "msg_end": ("msg_id", "type", "name", "value", "log_prob"),
    "svi_step": ("step", "loss", "params", "grad_norms"),
    "loss": ("n", "elbo", "value"),  # an ELBO evaluated outside SVI.step (n: 0, 1, ... per process)
    "structure": ("which", "relations", "plates"),
    "output": ("stream", "text"),
    "error": ("type", "message", "frames"),
    "line": ("file", "line", "function"),  # paused in plain Python, at a line between sites
}
# The fields a kind carries only sometimes.
OPTIONAL_FIELDS = {
    # A crash reports what it can. source_text: the model file's text (format version 2: a recording
    # opens with its source anywhere). "svi": the settings an SVI run starts with (steps, lr,
    # optimizer, elbo, ...). A script's run (entry "script") names its process: "rank" ("main",
    # "rank1", ... or "pid12345"), "pid" and the script's "argv".
    "run_start": ("file", "entry", "seed", "status", "engine", "svi", "rank", "pid", "argv", "source_text"),
    # stopped_at: the user's line, when stopped; a script's "exit_code", and a "note" such as
    # "no Pyro calls were seen".
    "run_end": ("file", "entry", "seed", "status", "stopped_at", "exit_code", "note"),
    # The user's Python ("steps" detail): "frames" (file, line, function), outermost first, and the
    # innermost frame's "locals", name -> summary.
    "msg_start": ("frames", "locals"),
    "line": ("frames", "locals"),
    # "source": the user's line that entered the handler, on its exit too (None when no user code did).
    "handler_enter": ("source",),
    "handler_exit": ("source",),
    # action: "sampled", "computed" (a param), "kept (observed)" or "kept (replayed)" (a handler had
    # set the value); changes: field -> [before, after], as in process.
    "default": ("action", "changes"),
    # fn: the distribution as the handlers left it; with the NaN watch on (observe/watch.py), a sample
    # site's plates and log_prob_sum, and its cause, support_outside and infer flags when there is something to say
    "msg_end": ("fn", "plates", "log_prob_sum", "cause", "support_outside", "infer"),
    "structure": ("deterministic_relations", "site_plates"),
    # with the NaN watch on (observe/watch.py): each sample site's log p - log q in the step; where a
    # non-finite loss started (the lazy watch of every SVI run)
    "svi_step": ("site_elbo", "nonfinite_site"),
    # inside a site; a non-finite loss's step; frames folded away; sources: file -> text of the
    # files in the model's folder that the frames point at (the model file's is in run_start)
    "error": ("msg_id", "step", "folded", "sources"),
}
MESSAGE_FIELDS = ("type", "name", "fn", "is_observed", "args", "kwargs", "value", "scale", "mask",
                  "cond_indep_stack", "done", "stop", "infer")
# At "sites" detail msg_start carries only the fields that are cheap to summarise
# (not args, kwargs, value, infer); the value is in msg_end.


class Event(NamedTuple):
    """One step of a run. ``fields`` holds the kind's own fields (plain data only).

    A named tuple rather than a frozen dataclass: immutable all the same, and made in about half
    the time (0.53 µs, not 0.95 µs; every recorded step makes twenty or more).
    ``event["name"]`` reads a field by name.
    """

    seq: int
    kind: str
    t: float
    fields: dict

    def __getitem__(self, key):
        if key == "seq":
            return self.seq
        if key == "kind":
            return self.kind
        if key == "t":
            return self.t
        return self.fields[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "t": self.t, **self.fields}

    @classmethod
    def from_dict(cls, data: dict) -> "Event":
        fields = {k: v for k, v in data.items() if k not in ("seq", "kind", "t")}
        return cls(data["seq"], data["kind"], data["t"], fields)


# One encoder for every JSON line the Studio writes (recordings and the runner's channel):
# compact, UTF-8 as is, and NaN refused (it is not JSON).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def json_line(data: dict) -> str:
    """``data`` as one line of JSON, newline included."""
    try:
        return _encode(data) + "\n"
    except (TypeError, ValueError):  # a value no summary expected: written as plain data, never lost
        return _encode(_plain_data(data)) + "\n"


def _plain_data(value):
    """``value`` with what JSON cannot carry made plain: a non-finite float as its text ('nan'), a
    tensor (a size under ``torch.jit.trace`` is one) as its list or number, anything else as
    ``<TypeName>``."""
    if isinstance(value, dict):
        return {str(key): _plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_data(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if callable(getattr(value, "tolist", None)):
        with warnings.catch_warnings():  # a traced tensor warns that it becomes a constant: it is only read
            warnings.simplefilter("ignore")
            return _plain_data(value.tolist())
    return f"<{type(value).__name__}>"
