"""The event spine: what a run reports, and how it is kept.

- ``event``      the kinds of event and their fields (one table), Event, JSON lines
- ``summary``    small plain-data summaries of tensors and distributions
- ``recorder``   the core's Observer that turns each step into an Event; ``record``
- ``recording``  recording files: the writer and the (untrusting) reader
- ``sites``      the table of a run's sites, shared by the command line and the app

``event``, ``recording`` and ``sites`` import no torch: the app reads events with them.
"""
