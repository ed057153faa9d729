"""The File ▸ Recent menu and the folder the file dialogs open in, kept in QSettings."""

from __future__ import annotations

from pathlib import Path

MAX_RECENT = 8


class RecentFiles:
    def __init__(self, settings, menu, open_path):
        self.settings, self.menu, self.open_path = settings, menu, open_path
        self._fill()

    def paths(self) -> list:
        """The remembered paths, newest first. QSettings gives back a one-item list as a plain
        string (and nothing as None): always a list here."""
        value = self.settings.value("recent")
        if value is None:
            return []
        return [value] if isinstance(value, str) else [str(p) for p in value]

    def remember(self, path: Path) -> None:
        recent = [p for p in self.paths() if p != str(path)]
        self.settings.setValue("recent", [str(path)] + recent[: MAX_RECENT - 1])
        self.settings.setValue("last_folder", str(path.parent))
        self._fill()

    def _fill(self) -> None:
        self.menu.clear()
        for path in self.paths():
            self.menu.addAction(path, lambda p=path: self.open_path(p))

    def folder(self) -> Path:
        """Where the last file was opened from (the working folder at first)."""
        return Path(self.settings.value("last_folder") or Path.cwd())
