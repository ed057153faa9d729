"""A minimal event emitter for the models (Qt's signals would tie them to Qt)."""

from __future__ import annotations

from typing import Callable


class Signal:
    """``connect(slot)``, ``emit(*args)``: slots are called in the order they connected."""

    def __init__(self):
        self._slots: list[Callable] = []

    def connect(self, slot: Callable) -> None:
        self._slots.append(slot)

    def emit(self, *args) -> None:
        for slot in list(self._slots):
            slot(*args)
