"""Classroom: the gallery, the lesson text, presentation mode and the themes."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.models.lessons import lesson_html, read_lesson
from gui.views.palette import THEMES, theme_name
from resources import examples_dir

EXAMPLES = sorted(examples_dir().glob("*.py"))


def test_the_gallery_lists_every_lesson_and_opens_one(qtbot, window):
    gallery = window.gallery
    assert gallery.count() == len(EXAMPLES)
    titles = [gallery.item(i).text().splitlines()[0] for i in range(gallery.count())]
    assert "Eight schools" in titles
    item = gallery.item(titles.index("Eight schools"))
    gallery.scrollToItem(item)
    qtbot.mouseClick(gallery.viewport(), Qt.LeftButton, pos=gallery.visualItemRect(item).center())  # one click
    assert window.model_path.name == "eight_schools.py"
    assert "partial pooling" in window.lesson.toPlainText()
    assert window.svi.elbo.currentText() == "TraceMeanField_ELBO"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_opens_and_traces_in_the_app(qtbot, window, example):
    window.open_model(example)
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    assert window.session.events[len(window.session) - 1]["status"] == "ok"
    assert window.lesson.toPlainText().startswith(read_lesson(example).title)


def test_the_gallery_is_in_teaching_order_with_a_title_and_a_different_line_each(qtbot, window):
    gallery = window.gallery
    files = [Path(gallery.item(i).data(Qt.UserRole)).stem for i in range(gallery.count())]
    assert files[0] == "normal_normal" and files.index("trace_alone") < files.index("replay_block_plate")
    assert all(stem.startswith("pyro_") for stem in files[-5:])  # Pyro mode after the core's lessons
    for i in range(gallery.count()):
        title, summary = gallery.item(i).text().splitlines()
        assert title[0].isupper() and summary and summary[0].isupper(), (title, summary)
        assert title.lower() not in summary.lower() and summary.lower() not in title.lower()


def test_the_status_bar_says_how_to_start(qtbot, window):
    assert "Examples" in window.step_label.text()
    window.open_model(EXAMPLES[0])
    assert window.step_label.text().startswith("Press Ctrl+R to run")
    window.run("trace", start_paused=False)
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    assert window.step_label.text().startswith("Step ")


def test_lesson_text_becomes_a_list():
    html = lesson_html(read_lesson(EXAMPLES[0]))
    assert "<ol>" in html and "<code>" in html


def test_presentation_mode_enlarges_contrasts_and_slows(qtbot, window):
    app = QApplication.instance()
    size = app.font().pointSizeF()
    window.open_model(EXAMPLES[0])
    qtbot.keyClick(window, Qt.Key_F9)
    assert window.presenting and theme_name() == "contrast"
    assert app.font().pointSizeF() == pytest.approx(size * 1.5)
    assert window.source.font().pointSizeF() == pytest.approx(size * 1.5)
    assert window.stack.animation_ms >= 500
    for axis in ("left", "bottom"):  # the plots' ticks and legends grow with the text
        assert window.svi.loss_plot.getAxis(axis).style["tickFont"].pointSizeF() == pytest.approx(size * 1.5)
    assert window.svi.loss_legend.font().pointSizeF() == pytest.approx(size * 1.5)
    qtbot.keyClick(window, Qt.Key_F9)
    assert not window.presenting and theme_name() in ("light", "dark")
    assert app.font().pointSizeF() == pytest.approx(size)
    assert window.stack.animation_ms < 500


def test_zoom_keys(qtbot, window):
    app = QApplication.instance()
    size = app.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key_Equal, Qt.ControlModifier)
    assert app.font().pointSizeF() > size
    qtbot.keyClick(window, Qt.Key_Minus, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_Minus, Qt.ControlModifier)
    assert app.font().pointSizeF() < size
    qtbot.keyClick(window, Qt.Key_0, Qt.ControlModifier)
    assert app.font().pointSizeF() == pytest.approx(size)


@pytest.mark.parametrize("theme", ["light", "dark", "contrast"])
def test_themes_colour_the_window_and_are_remembered(qtbot, window, theme):
    window.apply_theme(theme)
    assert theme_name() == theme
    assert THEMES[theme]["window"] in QApplication.instance().styleSheet()
    assert window.settings.value("theme") == theme
    window.apply_theme(None)  # follow the system
    assert window.settings.value("theme") == "" and theme_name() in ("light", "dark")
