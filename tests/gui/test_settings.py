"""Settings hygiene: Recent with one file, presentation mode's theme never remembered, Reset layout."""

from PySide6.QtCore import QSettings

from resources import examples_dir

from .conftest import make_window

EXAMPLE = examples_dir() / "normal_normal.py"


def test_recent_files_with_one_file_are_one_entry(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("recent", [str(EXAMPLE)])
    settings.sync()
    window = make_window(qtbot, tmp_path)  # reads the same file: QSettings gives back a plain string
    assert [action.text() for action in window.recent.menu.actions()] == [str(EXAMPLE)]
    window.open_model(examples_dir() / "coin_beta.py")
    assert [action.text() for action in window.recent.menu.actions()] == \
        [str((examples_dir() / "coin_beta.py").resolve()), str(EXAMPLE)]
    window.close()


def test_quitting_in_presentation_mode_does_not_start_the_next_launch_in_its_theme(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.apply_theme("dark")
    window.toggle_presentation()
    assert window.settings.value("theme") == "dark"
    window.close()
    again = make_window(qtbot, tmp_path)
    assert again.settings.value("theme") == "dark" and not again.presenting
    again.close()


def test_reset_layout_brings_every_panel_back(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.docks["Handler stack"].hide()
    window.docks["Timeline"].setFloating(True)
    window.reset_layout()
    assert all(not dock.isHidden() for dock in window.docks.values())
    assert not window.docks["Timeline"].isFloating()
    assert window.settings.value("window_state") is None
    window.close()
