"""Breakpoints: when a run should pause, decided on events (plain data), never by eval.

A breakpoint is a dict of criteria, all of which must hold:

- ``site``: a glob on the site name (``"obs*"``), checked at ``msg_start``;
- ``type``: the message type (``"sample"``, ``"param"``), checked at ``msg_start``;
- ``handler``: a handler class name (``"plate"``): the message reaching that
  handler (``process``), or the handler being entered;
- ``error``: ``True`` pauses at ``error`` events;
- ``nonfinite``: ``True`` pauses once, at the first step that made a NaN or an infinity: a
  ``process``/``postprocess`` that set a non-finite value, a ``default`` that sampled one, or a
  ``msg_end`` whose value or (NaN watch) log-density is not finite, or an ``svi_step`` whose loss
  is not (its sites unrecorded);
- ``line``: ``"FILE:LINE"`` (FILE as the events carry it, an absolute path): the events whose
  ``source`` is that line, and no others: the sites called there (``msg_start``) and the enter
  and exit of a handler entered there (``handler_enter``, ``handler_exit``, e.g. a ``with plate``);
- ``condition``: an expression on the event's fields, e.g.
  ``value.shape[0] == 100`` or ``fields.is_observed and name != "obs"``. It is
  parsed with :mod:`ast` and evaluated by a small interpreter that knows only
  names, attributes (dict keys), indexing, comparisons, arithmetic and
  ``and``/``or``/``not``: a condition cannot run code.

A breakpoint may also carry an ``id`` (an int) that the debugger reports when it pauses there;
by default its index in the list.
"""

from __future__ import annotations

import ast
import fnmatch
import operator

from ..observe.problems import is_non_finite

_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}
MAX_CONDITION_LENGTH = 500


class BreakpointError(ValueError):
    """A breakpoint that cannot be used; the message says why."""


class _Missing:
    """What an absent name or key evaluates to: compares false with everything."""

    def __getattr__(self, name):
        return self

    def __getitem__(self, key):
        return self

    def __eq__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __ne__(self, other):
        return True

    def __bool__(self):
        return False

    __hash__ = object.__hash__


MISSING = _Missing()


def compile_condition(text: str) -> ast.Expression:
    if not isinstance(text, str) or len(text) > MAX_CONDITION_LENGTH:
        raise BreakpointError(f"a condition is a string of at most {MAX_CONDITION_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise BreakpointError(f"condition {text!r}: {error.msg}") from None
    allowed = (ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Name, ast.Attribute,
               ast.Subscript, ast.Constant, ast.List, ast.Tuple, ast.Load, ast.And, ast.Or, ast.Not,
               ast.USub, *_COMPARE, *_ARITHMETIC)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise BreakpointError(f"condition {text!r}: {type(node).__name__} is not allowed")
    return tree


def _lookup(container, key):
    if isinstance(container, dict):
        return container.get(key, MISSING)
    if isinstance(container, (list, tuple)) and isinstance(key, int) and -len(container) <= key < len(container):
        return container[key]
    return MISSING


def _evaluate(node, names: dict):
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, names)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return {"True": True, "False": False, "None": None}.get(node.id, names.get(node.id, MISSING))
    if isinstance(node, ast.Attribute):
        return _lookup(_evaluate(node.value, names), node.attr)
    if isinstance(node, ast.Subscript):
        return _lookup(_evaluate(node.value, names), _evaluate(node.slice, names))
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item, names) for item in node.elts]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, names)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BoolOp):
        values = (_evaluate(v, names) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, names), _evaluate(node.right, names))
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, names)
        for op, right_node in zip(node.ops, node.comparators):
            right = _evaluate(right_node, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise BreakpointError(f"{type(node).__name__} is not allowed")  # unreachable after compile_condition


def check_line(line) -> str:
    """A line breakpoint's ``"FILE:LINE"``, checked."""
    file, colon, number = line.rpartition(":") if isinstance(line, str) else ("", "", "")
    if not colon or not file or not number.isdecimal() or int(number) < 1:
        raise BreakpointError(f"a line breakpoint is \"FILE:LINE\" with a line number from 1, got {line!r}")
    return f"{file}:{int(number)}"


_LINE_KINDS = ("msg_start", "handler_enter", "handler_exit")  # the events that carry a source line


class Breakpoint:
    def __init__(self, spec: dict, index: int = 0):
        if not isinstance(spec, dict):
            raise BreakpointError(f"a breakpoint is a dict of criteria, got {spec!r}")
        unknown = set(spec) - {"site", "type", "handler", "error", "nonfinite", "condition", "line", "id"}
        if unknown:
            raise BreakpointError(f"unknown breakpoint criteria: {', '.join(sorted(unknown))}")
        if not set(spec) - {"id"}:
            raise BreakpointError("a breakpoint needs at least one criterion")
        self.id = spec.get("id", index)
        if type(self.id) is not int:
            raise BreakpointError(f"a breakpoint's id is an int, got {self.id!r}")
        self.spec = dict(spec)
        self.site = spec.get("site")
        self.type = spec.get("type")
        self.handler = spec.get("handler")
        self.error = bool(spec.get("error"))
        self.nonfinite = bool(spec.get("nonfinite"))
        self.fired = False  # a nonfinite breakpoint pauses at the first only
        self.line = check_line(spec["line"]) if "line" in spec else None
        self.condition = compile_condition(spec["condition"]) if spec.get("condition") else None

    def matches(self, event: dict, handler_class: str | None = None, message: dict | None = None) -> bool:
        """Whether to pause at ``event``.

        A ``process`` event names only ids: ``handler_class`` is its handler's
        class and ``message`` the ``msg_start`` event of its message.
        """
        kind = event["kind"]
        if self.error:
            return kind == "error"
        if self.nonfinite:
            if self.fired or not makes_non_finite(event):
                return False
            self.fired = True
            return True
        if self.line is not None:
            if not self._at_line(event):
                return False
        elif self.handler is not None:
            if kind == "handler_enter":
                if event["handler"] != self.handler or self.site or self.type:
                    return False
            elif kind != "process" or handler_class != self.handler:
                return False
        elif kind != "msg_start":
            return False
        message = event if kind == "msg_start" else (message or {})
        if self.site is not None and not fnmatch.fnmatchcase(str(message.get("name", "")), self.site):
            return False
        if self.type is not None and message.get("type") != self.type:
            return False
        if self.condition is not None:
            names = dict(message.get("fields", {}))
            names.update(message)
            names.update(event)
            try:
                return bool(_evaluate(self.condition, names))
            except (TypeError, ValueError, ZeroDivisionError, BreakpointError):
                return False
        return True

    def _at_line(self, event: dict) -> bool:
        """A line breakpoint's own test: the event carries that source line. Site and type narrow
        it to the sites called there, handler to the enter and exit of that handler class."""
        kind = event["kind"]
        if kind not in _LINE_KINDS or event.get("source") != self.line:
            return False
        if kind == "msg_start":
            return self.handler is None
        return not (self.site or self.type) and self.handler in (None, event["handler"])


def makes_non_finite(event: dict) -> bool:
    """Whether this step made a NaN or an infinity (see ``nonfinite`` above)."""
    kind = event["kind"]
    if kind == "default":
        return is_non_finite(event.get("value"))
    if kind in ("process", "postprocess"):
        after = (event.get("changes") or {}).get("value")
        return isinstance(after, list) and len(after) == 2 and is_non_finite(after[1])
    if kind == "svi_step":  # a step whose sites went unrecorded: where its non-finite loss showed
        return is_non_finite(event.get("loss"))
    if kind == "msg_end":
        return is_non_finite(event.get("log_prob_sum")) or (event.get("type") == "sample"
                                                              and is_non_finite(event.get("value")))
    return False


def compile_breakpoints(specs) -> list[Breakpoint]:
    if specs is None:
        return []
    if not isinstance(specs, list):
        raise BreakpointError("breakpoints must be a list")
    return [Breakpoint(spec, index) for index, spec in enumerate(specs)]
