"""Temporary: main.py still imports ``gui.app.main``; the app lives in ``gui.views.app``."""

from .views.app import main  # noqa: F401
