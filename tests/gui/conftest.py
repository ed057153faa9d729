# The model files here are inputs for the runner, not tests: collecting them for doctests would
# run their module-level code (one turns validation off) in the test process.
collect_ignore_glob = ["models/*"]

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def warm_runner():
    """One runner child for the GUI tests, started once: each run in it starts from the same
    state (the child resets seeds and the param store per run), so tests stay independent
    without each paying for the child's import of torch."""
    from minipyro.runner.controller import RunnerController

    controller = RunnerController()
    controller.start()
    yield controller
    controller.close()


def make_window(qtbot, tmp_path, controller=None):
    from PySide6.QtCore import QSettings

    from gui.views.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(settings, controller)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tmp_path, warm_runner):
    window = make_window(qtbot, tmp_path, warm_runner)
    yield window
    window.close()
    # The next test's run starts from a child with no run under way (or a fresh one).
    assert warm_runner.state in ("idle", "finished", "dead")


@pytest.fixture
def own_window(qtbot, tmp_path):
    """A window with a runner of its own, as the app has: closing it ends its child."""
    window = make_window(qtbot, tmp_path)
    yield window
    window.close()
