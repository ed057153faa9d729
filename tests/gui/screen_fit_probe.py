"""Run by test_screen_fit.py in a child process whose (offscreen) screen has a given size: the
window as a person would see it there, normal and in presentation mode, measured from the widgets."""

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtWidgets import QApplication, QPushButton, QToolBar


def inside(window, widget) -> bool:
    """Whether all of ``widget`` lies inside the window (nothing of it off-screen or cut)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return window.rect().contains(QRect(top_left, widget.size()))


def measure(window, app) -> dict:
    app.processEvents()
    screen = window.screen().availableGeometry()
    shown = [(name, dock.widget()) for name, dock in window.docks.items()
             if dock.isVisible() and not dock.visibleRegion().isEmpty()]
    if window.centralWidget().isVisible():
        shown.append(("Source", window.centralWidget()))
    monitor_shown = not window.docks["SVI monitor"].visibleRegion().isEmpty()
    buttons = [b for b in window.svi.findChildren(QPushButton) if b.isVisible()] if monitor_shown else []
    return {
        "screen": [screen.width(), screen.height()],
        "window": [window.frameGeometry().x(), window.frameGeometry().y(),
                   window.frameGeometry().width(), window.frameGeometry().height()],
        "on_screen": screen.contains(window.frameGeometry()),
        "panels": {name: {"size": [w.width(), w.height()], "inside": inside(window, w),
                          "below_minimum": w.width() < w.minimumSizeHint().width()
                          or w.height() < w.minimumSizeHint().height()} for name, w in shown},
        "svi_buttons_cut": [b.text() for b in buttons if b.width() < b.minimumSizeHint().width() or not inside(window, b)],
        "loss_plot_height": window.svi.loss_view.height() if monitor_shown else None,
        "params_plot_height": window.svi.param_plot.vb.size().height() if monitor_shown else None,
        "toolbar_hidden": [action.text() for toolbar in window.findChildren(QToolBar) for action in toolbar.actions()
                           if not toolbar.widgetForAction(action).isVisible()
                           or not inside(window, toolbar.widgetForAction(action))],
    }


def main(model: str, out: str) -> None:
    app = QApplication(sys.argv[:1])
    from gui.views.mainwindow import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.show()
    window.open_model(model)
    report = {"normal": measure(window, app)}
    window.docks["SVI monitor"].raise_()
    report["normal, monitor"] = measure(window, app)
    window.run_entry = "svi"  # as after Run SVI: presentation mode shows the plots
    window.toggle_presentation()
    report["presentation, training"] = measure(window, app)
    window.present("stepping")
    report["presentation, stepping"] = measure(window, app)
    window.toggle_presentation()
    report["normal again"] = measure(window, app)
    Path(out).write_text(json.dumps(report, indent=1))
    window.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
