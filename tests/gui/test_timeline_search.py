"""The timeline's search over a run that arrives in chunks: small runs are made searchable in the
background; one that grows past the limit is searched on demand, so that its background work
does not slow every jump (measured: 85 ms jumps in a million-event file, from that work)."""

from gui.models.session import Session
from gui.views.panels import timeline
from gui.views.panels.timeline import TimelinePanel
from tests.gui.recordings import trace_events


def test_a_run_grown_past_the_limit_is_searched_on_demand(qtbot, monkeypatch):
    events = list(trace_events("replay_block_plate"))
    monkeypatch.setattr(timeline, "PREPARE_LIMIT", len(events) // 2)
    session = Session()
    panel = TimelinePanel(session)
    qtbot.addWidget(panel)
    session.add_events(events[:10])
    assert panel._preparing.isActive()  # small so far: made searchable in the background
    session.add_events(events[10:])
    panel._prepare_search()
    assert not panel._preparing.isActive() and len(panel.model.haystacks) < len(events)

    panel.search.setText("noise")  # the haystacks not made yet are made now
    assert list(panel.model.rows) and all("noise" in panel.model.haystack(k) for k in panel.model.rows)
    assert any(events[k].get("name") == "noise" for k in panel.model.rows)
