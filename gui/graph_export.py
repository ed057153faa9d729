"""Temporary: main.py still imports ``gui.graph_export.export_graph``; it lives in ``gui.views.graph_export``."""

from .views.graph_export import export_graph  # noqa: F401
