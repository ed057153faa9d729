"""Breakpoint specs on plain events: what a line breakpoint matches, and why a spec is refused."""

import pytest

from minipyro.runner.breakpoints import BreakpointError, compile_breakpoints

HERE, ELSEWHERE = "/models/m.py:9", "/models/m.py:19"
SITE = {"kind": "msg_start", "seq": 0, "msg_id": 0, "type": "sample", "name": "z", "stack": [0], "fields": {},
        "source": HERE}
EVENTS = {
    "the site here": SITE,
    "the same site elsewhere": {**SITE, "msg_id": 1, "source": ELSEWHERE},
    "the plate's enter": {"kind": "handler_enter", "seq": 1, "handler_id": 0, "handler": "plate",
                          "label": "plate('p', 2)", "depth": 0, "source": HERE},
    "the plate's exit": {"kind": "handler_exit", "seq": 2, "handler_id": 0, "handler": "plate",
                         "label": "plate('p', 2)", "depth": 0, "source": HERE},
    "another plate": {"kind": "handler_enter", "seq": 3, "handler_id": 1, "handler": "plate",
                      "label": "plate('q', 2)", "depth": 0, "source": ELSEWHERE},
    "the site at the plate": {"kind": "process", "seq": 4, "msg_id": 0, "handler_id": 0, "position": 0,
                              "changes": {}},
    "a pause in plain Python": {"kind": "line", "seq": 5, "file": "/models/m.py", "line": 9,
                                "function": "model"},
}


def matched(spec) -> set:
    [rule] = compile_breakpoints([spec])
    return {name for name, event in EVENTS.items()
            if rule.matches(event, "plate", SITE if event.get("msg_id") == 0 else None)}


@pytest.mark.parametrize("spec, expected", [
    ({"line": HERE}, {"the site here", "the plate's enter", "the plate's exit"}),
    ({"line": "/models/m.py:09"}, {"the site here", "the plate's enter", "the plate's exit"}),
    ({"line": HERE, "site": "z"}, {"the site here"}),
    ({"line": HERE, "handler": "plate"}, {"the plate's enter", "the plate's exit"}),
    ({"line": HERE, "handler": "scale"}, set()),
    ({"line": HERE, "condition": "kind == 'handler_exit'"}, {"the plate's exit"}),
    ({"site": "z"}, {"the site here", "the same site elsewhere"}),
])
def test_a_line_breakpoint_matches_the_events_of_its_line_and_nothing_else(spec, expected):
    assert matched(spec) == expected


@pytest.mark.parametrize("spec, words", [
    ({"line": "m.py"}, 'a line breakpoint is "FILE:LINE"'),
    ({"line": "m.py:nine"}, 'a line breakpoint is "FILE:LINE"'),
    ({"line": ":9"}, 'a line breakpoint is "FILE:LINE"'),
    ({"line": "m.py:0"}, "a line number from 1"),
    ({"line": 9}, "got 9"),
    ({"line": HERE, "id": "first"}, "a breakpoint's id is an int"),
    ({"id": 3}, "at least one criterion"),
])
def test_a_bad_spec_is_refused_saying_why(spec, words):
    with pytest.raises(BreakpointError) as refused:
        compile_breakpoints([spec])
    assert words in str(refused.value)


def test_a_breakpoint_is_known_by_its_id_or_else_its_place_in_the_list():
    assert [b.id for b in compile_breakpoints([{"site": "a"}, {"site": "b", "id": 40}, {"site": "c"}])] == [0, 40, 2]
