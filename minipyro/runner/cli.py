"""``python main.py run FILE.py``: run a model file without a window (DESIGN section 7).

The model runs in the runner's child process, as in the app; this process
only reads events. It draws a progress bar on a terminal during SVI, prints
the model's output as it arrives, and ends with a table of the sites.
Exit status: 0 on success, 1 when the model failed, 130 when stopped by Ctrl+C.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..observe.sites import site_table
from .controller import ControllerError, RunnerController
from .modelfile import ENGINES

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a model file (defines model, and guide for SVI)")
    parser.add_argument("--svi-steps", type=int, metavar="N",
                        help="run N steps of SVI (default: trace the model and guide once)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--detail", choices=("sites", "steps"), default="sites",
                        help="how much of each message to record (default sites)")
    parser.add_argument("--record", metavar="OUT", help="save the events as a recording (.mpr.jsonl)")
    parser.add_argument("--engine", choices=ENGINES,
                        help="minipyro or pyro (default: a file that imports pyro runs on Pyro, others on minipyro)")
    parser.add_argument("--lr", type=float, help="SVI learning rate (default: the file's svi dict, else 0.01)")
    parser.add_argument("--optimizer", help="SVI optimiser, e.g. Adam, ClippedAdam (default: the file's, else Adam)")
    parser.add_argument("--elbo", help="SVI ELBO, e.g. Trace_ELBO (default: the file's, else Trace_ELBO)")
    parser.add_argument("--all-sites", action="store_true",
                        help="list every site in the table (default: repeated sites obs_0, obs_1, ... as one row)")


def format_error(event: dict) -> str:
    lines = []
    frames = event.get("frames") or []
    if frames:
        lines.append("Traceback (your code; frames inside minipyro folded away):")
        for frame in frames:
            lines.append(f'  File "{frame["file"]}", line {frame["line"]}, in {frame["function"]}')
    if event.get("folded"):
        lines.append(f"  ({event['folded']} frames inside minipyro not shown)")
    lines.append(f"{event['type']}: {event['message']}")
    return "\n".join(lines)


def stopped_message(events: list, svi_step: int) -> str:
    """What Ctrl+C did, in words, e.g. ``minipyro-studio: stopped by you at /path/model.py:12 (Ctrl+C).``"""
    end = events[-1] if events and events[-1]["kind"] == "run_end" else {}
    where = f" at {end['stopped_at']}" if end.get("stopped_at") else ""
    after = f", after SVI step {svi_step}" if svi_step else ""
    return f"minipyro-studio: stopped by you{where} (Ctrl+C{after})."


class Progress:
    """A one-line progress bar, redrawn at most ten times a second, on a terminal only."""

    def __init__(self, total: int, stream):
        self.total, self.stream = total, stream
        self.enabled = stream.isatty()
        self.last_draw = 0.0
        self.step, self.loss = 0, None

    def update(self, step: int, loss) -> None:
        self.step, self.loss = step, loss
        now = time.monotonic()
        if self.enabled and (now - self.last_draw > 0.1 or step == self.total):
            self.last_draw = now
            width = 30
            filled = int(width * step / max(1, self.total))
            loss_text = f"{loss:.4g}" if isinstance(loss, float) else str(loss)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] step {step}/{self.total}  "
                              f"loss {loss_text}   ")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.last_draw:
            self.stream.write("\n")


def run(options: argparse.Namespace, stdout=sys.stdout, stderr=sys.stderr) -> int:
    path = Path(options.file)
    if not path.is_file():
        stderr.write(f"minipyro-studio: {path}: no such file\n")
        return EXIT_FAILED
    writer = None
    if options.record:
        from ..observe.recording import RecordingWriter

        writer = RecordingWriter(options.record, options.detail)
    progress = Progress(options.svi_steps or 0, stdout)

    def on_event(event: dict) -> None:
        if writer is not None:
            writer.write_dict(event)
        kind = event["kind"]
        if kind == "output" and event.get("stream") != "runner":
            (stderr if event["stream"] == "stderr" else stdout).write(event["text"])
        elif kind == "svi_step":
            progress.update(event["step"], event["loss"])

    controller = RunnerController(on_event=on_event)
    entry = "svi" if options.svi_steps else "trace"
    svi = {"steps": options.svi_steps} if options.svi_steps else {}
    svi.update({key: value for key, value in (("lr", options.lr), ("optimizer", options.optimizer),
                                                ("elbo", options.elbo)) if value is not None})
    interrupted = False
    try:
        controller.run(path, entry=entry, seed=options.seed, svi=svi, detail=options.detail, engine=options.engine)
        while not controller.wait_until("finished", "dead", timeout=0.2):
            pass
    except KeyboardInterrupt:
        interrupted = True
        controller.stop()
    except ControllerError as error:
        stderr.write(f"minipyro-studio: {error}\n")
        return EXIT_FAILED
    finally:
        controller.close()
        progress.finish()
        if writer is not None:
            writer.close()

    events = controller.events
    errors = [e for e in events if e["kind"] == "error"]
    if interrupted:
        stderr.write("\n" + stopped_message(events, progress.step))
        stderr.write(f" The events so far are in {options.record}.\n" if writer else "\n")
        return EXIT_INTERRUPTED
    for error in errors:
        stderr.write(format_error(error) + "\n")
    if controller.status != "ok":
        stderr.write(f"minipyro-studio: {path}: the run ended with status '{controller.status}'\n")
        return EXIT_FAILED
    stdout.write("\n" + site_table(events, all_sites=getattr(options, "all_sites", False)) + "\n")
    steps = [e for e in events if e["kind"] == "svi_step"]
    if steps:
        first, last = steps[0]["loss"], steps[-1]["loss"]
        stdout.write(f"\nSVI: {len(steps)} steps, loss {first:.6g} -> {last:.6g}\n")
    if writer is not None:
        stdout.write(f"Recording saved to {os.fspath(options.record)}\n")
    return EXIT_OK
