"""The handler stack panel keeps every box, the default behaviour's included, whole and in view
however little height a small screen leaves it: boxes go to one line, then the text shrinks."""

import pytest

from gui.models.session import Session
from gui.views.panels.stack import StackPanel
from tests.gui.recordings import trace_events


@pytest.mark.parametrize("height", [420, 200, 140])
def test_every_handler_box_is_whole_at_any_height(qtbot, height):
    session = Session()
    session.add_events(list(trace_events("replay_block_plate")))
    panel = StackPanel(session)
    qtbot.addWidget(panel)
    panel.resize(360, height)
    panel.show()
    deepest = max((seq for seq in range(len(session)) if session.state_at(seq).message is not None),
                  key=lambda seq: len(session.state_at(seq).stack))
    session.set_current(deepest)
    panel.grab()  # paints, as the screen would
    painted = panel.painted
    assert len(painted["handlers"]) == 4  # plate, block, replay, trace
    assert [box["inside"] for box in painted["handlers"]] == [True] * 4
    assert painted["default"]["inside"]
