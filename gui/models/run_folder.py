"""A folder of recordings watched as TensorBoard watches a logdir: every ``*.mpr.jsonl`` in it is
a run of the SVI monitor, a new file is picked up, a growing one followed. Training jobs on
other machines writing to a shared folder are watched side by side."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from pathlib import Path

from minipyro.observe.recording import SUFFIX, RecordingError, RecordingReader

from .svi_runs import RunFeed, SviRuns

CHUNK_BYTES = 4 * 1024 * 1024  # read per file per poll: a huge file is taken in over several polls
FED_KINDS = ("svi_step", "loss", "run_start", "run_end")


@dataclass
class WatchedFile:
    reader: RecordingReader
    feed: RunFeed | None = None  # made once the header is read
    ended: bool = False
    error: str = ""


class RunFolder:
    """Polled by the view (a timer). ``poll`` returns the problems met this time (a file that is
    not a recording, or went bad), one line each; the other files go on."""

    def __init__(self, folder, runs: SviRuns):
        self.folder = Path(folder)
        self.runs = runs
        self.files: dict[Path, WatchedFile] = {}
        self.caught_up = False  # the last poll found nothing new to read

    def poll(self) -> list[str]:
        problems = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            if path not in self.files and path.is_file():
                self.files[path] = WatchedFile(RecordingReader(path))
        changed = False
        for path, watched in self.files.items():
            if watched.ended or watched.error:
                continue
            try:
                changed = self._read(path, watched) or changed
            except (RecordingError, OSError) as error:
                watched.error = str(error)
                problems.append(watched.error)
        if changed:
            self.runs.sig_changed.emit()
        self.caught_up = not changed
        return problems

    def live(self) -> list[Path]:
        """The files still being written (no run_end yet)."""
        return [path for path, watched in self.files.items() if not watched.ended and not watched.error]

    def _read(self, path: Path, watched: WatchedFile) -> bool:
        pairs = watched.reader.read_new_raw(CHUNK_BYTES)
        if watched.feed is None and watched.reader.header is not None:
            watched.feed = self.runs.feed(path.name.removesuffix(SUFFIX), _created(watched.reader.header))
        changed = False
        for event, _, _ in pairs:
            if event["kind"] in FED_KINDS:
                watched.feed.add(event)
                changed = True
            if event["kind"] == "run_end":
                watched.ended = True
        return changed


def _created(header: dict):
    """The wall clock when the recording started, from its header ("2026-12-03T18:30:00+0000")."""
    try:
        moment = time.strptime(str(header.get("created", "")), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return calendar.timegm(moment) - (moment.tm_gmtoff or 0)
