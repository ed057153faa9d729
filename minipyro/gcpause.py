"""Cyclic garbage collection paused around work that allocates many long-lived objects."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collection_paused():
    """No cyclic garbage collection meanwhile: tracing or drawing 10 000 sites allocates enough
    objects to start it again and again (nearly half the time, and each full pass holds the GIL
    for a third of a second, freezing the GUI), and frees nothing it could."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
