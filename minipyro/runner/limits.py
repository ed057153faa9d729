"""What the runner's child does so that no model can hurt the machine: a memory limit on each
run, and no process of a stopped run left behind.

The limit is on address space (``RLIMIT_AS``) beyond what the runner holds when the run starts
(Python, torch and Pyro already imported), so ``--memory-limit 1G`` gives the model one
gigabyte of its own. Reaching it makes the allocation fail (``MemoryError``, or torch's
"can't allocate memory"); the run's error then says so, naming the user's line.
"""

from __future__ import annotations

import os
import resource
import signal
from typing import Optional


def format_size(size: int) -> str:
    """Bytes as the command line writes them: 1073741824 -> ``1G``, 1536 MiB -> ``1536M``;
    a size that is no whole number of a unit, rounded: 12637999104 -> ``11.8G``."""
    units = (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10))
    for unit, factor in units:
        if size >= factor and size % factor == 0 and size // factor < 10000:
            return f"{size // factor}{unit}"
    for unit, factor in units:
        if size >= factor:
            return f"{size / factor:.1f}{unit}"
    return f"{size}B"


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def is_out_of_memory(type_name: str, message: str) -> bool:
    return type_name == "MemoryError" or (type_name in ("RuntimeError", "OutOfMemoryError")
                                          and "can't allocate memory" in message)


class MemoryLimit:
    """``limit`` bytes for each run beyond the runner's own (0: no limit)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._unlimited = resource.getrlimit(resource.RLIMIT_AS)
        self.active = False

    @property
    def label(self) -> str:
        return format_size(self.limit)

    def __enter__(self):
        if self.limit > 0:
            try:
                resource.setrlimit(resource.RLIMIT_AS, (_address_space() + self.limit, self._unlimited[1]))
                self.active = True
            except (OSError, ValueError):  # no /proc, or a hard limit below: run without ours
                self.active = False
        return self

    def __exit__(self, *exc_info):
        if self.active:
            resource.setrlimit(resource.RLIMIT_AS, self._unlimited)
            self.active = False

    def message(self, where: Optional[str]) -> str:
        return f"memory limit of {self.label} reached" + (f" at {where}" if where else "") + \
            " (--memory-limit, or Run > Memory limit for runs… in the app)"


def end_other_processes_of_group() -> int:
    """Kill every other process of this process's group (what a stopped model started, such as
    ``subprocess.Popen(["sleep", "1000"])``); how many. Reads Linux's /proc; elsewhere none."""
    group, me, killed = os.getpgrp(), os.getpid(), 0
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # after the name: state, ppid, pgrp
                os.kill(pid, signal.SIGKILL)
                killed += 1
        except (OSError, ValueError, IndexError):
            continue  # gone already, or not ours to see
    return killed
