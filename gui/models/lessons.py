"""The lessons: example model files, read (never run) for their title and docstring."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from minipyro.runner.modelfile import read_info
from resources import LESSON_ORDER, examples_dir


@dataclass
class Lesson:
    path: Path
    title: str
    summary: str  # the docstring's first line: one line that says what the lesson is about
    text: str  # the whole docstring


def read_lesson(path) -> Lesson:
    path = Path(path)
    try:
        info = read_info(path)
    except OSError:
        return Lesson(path, path.stem, "", "")
    title = path.stem.replace("_", " ") if info.title == path.stem else info.title
    summary = info.doc.splitlines()[0].replace("``", "") if info.doc else ""
    return Lesson(path, title, summary, info.doc)


def lessons(folder=None) -> list[Lesson]:
    """The lessons in ``folder`` (the shipped examples by default) in teaching order
    (``LESSON_ORDER``; other files after those, by name)."""
    paths = Path(folder or examples_dir()).glob("*.py")
    order = {stem: position for position, stem in enumerate(LESSON_ORDER)}
    return [read_lesson(path) for path in sorted(paths, key=lambda p: (order.get(p.stem, len(order)), p.name))]


def lesson_html(lesson: Lesson) -> str:
    """The docstring as light HTML: ``code`` in monospace, numbered steps as a list."""
    paragraphs = []

    def inline(text):
        return re.sub(r"``(.+?)``", r"<code>\1</code>", html.escape(text))

    for block in lesson.text.split("\n\n"):
        prose, items = [], []
        for line in block.strip().splitlines():
            numbered = re.match(r"\d+\.\s+(.*)", line)
            if numbered:
                items.append(numbered.group(1))
            elif items:
                items[-1] += " " + line.strip()
            else:
                prose.append(line.strip())
        if prose:
            paragraphs.append(f"<p>{inline(' '.join(prose))}</p>")
        if items:
            paragraphs.append("<ol>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ol>")
    return f"<h2>{html.escape(lesson.title)}</h2>" + "".join(paragraphs)


def lesson_or_placeholder_html(lesson: Lesson) -> str:
    if lesson.text:
        return lesson_html(lesson)
    return f"<h2>{html.escape(lesson.title)}</h2><p>This file has no docstring to show as a lesson.</p>"
