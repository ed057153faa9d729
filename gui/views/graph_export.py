"""``python main.py graph FILE.py --out model.svg``: the model's plate diagram as SVG or PNG,
without a window (the model runs in the runner's child process, as in the app)."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

FORMATS = (".svg", ".png")


def export_graph(file, out, include_guide: bool = True) -> int:
    """Exit status 0 when the picture is written; 1 with the reason on stderr otherwise."""
    from minipyro.runner.cli import check_model_file, unwritable

    problem = check_model_file(Path(file))
    if not problem and Path(out).suffix.lower() not in FORMATS:
        problem = f"{out}: the graph is saved as SVG or PNG (.svg or .png), not {Path(out).suffix or 'without a suffix'}"
    if not problem and unwritable(Path(out)):
        problem = f"cannot write {out}: {unwritable(Path(out))}"
    if problem:
        sys.stderr.write(f"minipyro-studio: {problem}\n")
        return 1
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    gc.disable()  # a one-shot command: reading a big model's structure would start it again and again
    from PySide6.QtWidgets import QApplication

    from minipyro.runner.cli import format_error
    from minipyro.runner.controller import ControllerError, RunnerController

    from ..models.session import Session
    from .panels.graph import GraphPanel

    controller = RunnerController()
    try:
        controller.run(Path(file), entry="structure", detail="sites")
        controller.wait_until("finished", "dead", timeout=300)
    except ControllerError as error:
        sys.stderr.write(f"minipyro-studio: {error}\n")
        return 1
    finally:
        controller.close()
    errors = [e for e in controller.events if e["kind"] == "error"]
    for error in errors:
        sys.stderr.write(format_error(error) + "\n")
    structures = {e["which"]: e for e in controller.events if e["kind"] == "structure"}
    if not include_guide:
        structures.pop("guide", None)
    if "model" not in structures:
        sys.stderr.write(f"minipyro-studio: {file}: no model structure to draw\n")
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = GraphPanel(Session())
    panel.show_structures(structures)
    started = time.time()
    panel.export(out)
    del app
    written = Path(out)
    if not written.is_file() or written.stat().st_size == 0 or written.stat().st_mtime < started - 1:
        sys.stderr.write(f"minipyro-studio: could not write {out}\n")
        return 1
    print(f"Model graph saved to {out}")
    return 0
