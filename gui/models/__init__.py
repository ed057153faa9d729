"""The app's models: plain Python, no Qt (as napari's ``components``).

``session`` (a run's events and the state at any step), ``debug`` (what Step, Step over,
Step out, Continue and the runner's messages do to it), ``follow`` (a recording still being
written), ``svi_runs`` and ``smoothing`` (the SVI monitor's data), ``graph_layout``,
``lessons``, ``site_lines`` and ``text``. Views in ``gui.views`` render them and connect to
their signals; nothing here imports PySide6, pyqtgraph or torch.
"""
