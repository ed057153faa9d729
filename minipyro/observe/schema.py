"""The schema of every event kind (DESIGN sections 3 and 4): each field's JSON type, checked by
the recording reader, since a recording may come from anyone.

A check is a function ``value -> bool``. Only the shapes the app relies on are checked (ids are
integers, names strings, a frame has a file, a line and a function); a value summary may be
any JSON, and the views treat it as such.
"""

from __future__ import annotations

from .event import KINDS, OPTIONAL_FIELDS


def _of(*types):
    # type() rather than isinstance: True is not an int here, and this runs a million times.
    kinds = frozenset(types)
    return lambda value: type(value) in kinds


ANY = lambda value: True  # noqa: E731  (a value summary: any JSON)
STR, INT, BOOL = _of(str), _of(int), _of(bool)
NAT = lambda value: type(value) is int and value >= 0  # noqa: E731  (ids, positions, depths, lines)
NUMBER = _of(int, float)
STR_OR_NONE, INT_OR_NONE = _of(str, type(None)), _of(int, type(None))
DICT, LIST = _of(dict), _of(list)
NUMBER_OR_TEXT = _of(int, float, str)  # a float JSON cannot carry is "nan", "inf" or "-inf"


def list_of(check):
    def checked(value) -> bool:
        if type(value) is not list:
            return False
        for item in value:  # a loop, not all(generator): this runs for every event of a recording
            if not check(item):
                return False
        return True
    return checked


def dict_of(check):
    """A dict with string keys (JSON's) whose values pass ``check``."""
    def checked(value) -> bool:
        if type(value) is not dict:
            return False
        for item in value.values():
            if not check(item):
                return False
        return True
    return checked


def record(**checks):
    """A dict that has at least these keys, each passing its check."""
    fields = tuple(checks.items())

    def checked(value) -> bool:
        if type(value) is not dict:
            return False
        for name, check in fields:
            if name not in value or not check(value[name]):
                return False
        return True
    return checked


def _changes(value) -> bool:
    """field -> [before, after]"""
    if type(value) is not dict:
        return False
    for pair in value.values():
        if type(pair) is not list or len(pair) != 2:
            return False
    return True


FRAME = record(file=STR, line=NAT, function=STR)
FRAMES = list_of(FRAME)
NAMES = list_of(STR)
RELATIONS = record(sample_sample=dict_of(NAMES), sample_param=dict_of(NAMES), sample_dist=dict_of(STR),
                   param_constraint=dict_of(STR), plate_sample=dict_of(NAMES), observed=NAMES)
_RUN = {"file": STR_OR_NONE, "entry": STR_OR_NONE, "seed": INT_OR_NONE, "status": STR}

# kind -> field -> check, for the fields every event of the kind carries.
REQUIRED = {
    "run_start": _RUN,
    "run_end": _RUN,
    "handler_enter": {"handler_id": NAT, "handler": STR, "label": STR, "depth": NAT},
    "handler_exit": {"handler_id": NAT, "handler": STR, "label": STR, "depth": NAT},
    "msg_start": {"msg_id": NAT, "type": STR, "name": STR_OR_NONE, "stack": list_of(NAT), "fields": DICT,
                  "source": STR_OR_NONE},
    "process": {"msg_id": NAT, "handler_id": NAT, "position": NAT, "changes": _changes},
    "stop": {"msg_id": NAT, "handler_id": NAT},
    "default": {"msg_id": NAT, "value": ANY},
    "postprocess": {"msg_id": NAT, "handler_id": NAT, "position": NAT, "changes": _changes},
    "msg_end": {"msg_id": NAT, "type": STR, "name": STR_OR_NONE, "value": ANY, "log_prob": ANY},
    "svi_step": {"step": INT, "loss": ANY, "params": DICT, "grad_norms": DICT},
    "loss": {"n": NAT, "elbo": STR, "value": ANY},
    "structure": {"which": STR, "relations": RELATIONS, "plates": dict_of(INT_OR_NONE)},
    "output": {"stream": STR, "text": STR},
    "error": {"type": STR, "message": STR, "frames": FRAMES},
    "line": {"file": STR, "line": NAT, "function": STR},
}
# kind -> field -> check, for the fields it carries only sometimes.
OPTIONAL = {
    "run_start": {"engine": STR_OR_NONE, "source_text": STR_OR_NONE, "svi": DICT, "rank": STR, "pid": INT,
                  "argv": NAMES},
    "run_end": {"stopped_at": STR_OR_NONE, "exit_code": INT_OR_NONE, "note": STR_OR_NONE},
    "handler_enter": {"source": STR_OR_NONE},
    "handler_exit": {"source": STR_OR_NONE},
    "msg_start": {"frames": FRAMES, "locals": DICT},
    "line": {"frames": FRAMES, "locals": DICT},
    "default": {"action": STR_OR_NONE, "changes": _changes},
    "msg_end": {"fn": ANY, "plates": list_of(record(plate=STR, dim=INT_OR_NONE, size=INT_OR_NONE)), "log_prob_sum": NUMBER_OR_TEXT, "cause": record(dist=STR, bad_args=DICT, params=NAMES),
                "support_outside": record(guide=STR, model=STR), "infer": DICT},
    "structure": {"deterministic_relations": RELATIONS, "site_plates": dict_of(NAMES)},
    "svi_step": {"site_elbo": dict_of(NUMBER_OR_TEXT),
                 "nonfinite_site": record(site=STR, what=STR, value=NUMBER_OR_TEXT, cause=DICT)},
    "error": {"msg_id": INT_OR_NONE, "step": INT_OR_NONE, "folded": NAT, "sources": dict_of(STR)},
}
# A kind the event table gains later is still read (its fields unchecked) rather than refused.
for _kind in KINDS:
    REQUIRED.setdefault(_kind, {name: ANY for name in KINDS[_kind]})
    OPTIONAL.setdefault(_kind, {name: ANY for name in OPTIONAL_FIELDS.get(_kind, ())})
OPTIONAL.update({kind: {} for kind in REQUIRED.keys() - OPTIONAL.keys()})


_CHECKS = {kind: (tuple(REQUIRED[kind].items()), tuple(OPTIONAL[kind].items())) for kind in REQUIRED}


def problem(kind: str, event: dict):
    """What is wrong with an event of a known ``kind`` (a sentence), or None."""
    required, optional = _CHECKS[kind]
    for name, check in required:
        if name not in event:
            missing = [n for n, _ in required if n not in event]
            return f"a {kind} event lacks {', '.join(missing)}"
        if not check(event[name]):
            return f"a {kind} event's {name!r} has the wrong type or shape ({_describe(event[name])})"
    for name, check in optional:
        if name in event and not check(event[name]):
            return f"a {kind} event's {name!r} has the wrong type or shape ({_describe(event[name])})"
    return None


def _describe(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"
