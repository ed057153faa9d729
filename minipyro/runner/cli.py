"""``python main.py run FILE.py``: run a model file without a window (DESIGN section 7).

The model runs in the runner's child process, as in the app; this process
only reads events. It draws a progress bar on a terminal during SVI, prints
the model's output as it arrives, and ends with a table of the sites (after SVI, the loss
at the start and at the end and the final parameters; ``--csv`` saves every step).
Exit status: 0 on success, 1 when the model failed, 2 for a wrong argument (argparse's),
130 when stopped by Ctrl+C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from ..observe.history import SviHistory, param_elements
from ..observe.sites import site_table
from .controller import DEFAULT_MEMORY_LIMIT, ControllerError, RunnerController, parse_size
from .limits import format_size
from .modelfile import ELBOS, ENGINES, OPTIMIZERS, ModelFileError, choose_engine

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_PRINTED_ELEMENTS = 6


SMOOTHING = 0.6  # the app's default, for the CSV's smoothed loss
MAX_SEED = 2 ** 32 - 1  # numpy's seeds, which every engine's set_rng_seed also sets


def positive_int(text: str) -> int:
    value = _number(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed_int(text: str) -> int:
    value = _number(text, int, "an integer")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is between 0 and {MAX_SEED}, got {value}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a number")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _number(text: str, kind, words: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {words}, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a model file (defines model, and guide for SVI)")
    parser.add_argument("--svi-steps", type=positive_int, metavar="N",
                        help="run N steps of SVI (default: trace the model and guide once)")
    parser.add_argument("--seed", type=seed_int, default=0, help="random seed, 0 to 2**32-1 (default 0)")
    parser.add_argument("--detail", choices=("sites", "steps"), default="sites",
                        help="how much of each message to record (default sites)")
    parser.add_argument("--record", metavar="OUT", help="save the events as a recording (.mpr.jsonl)")
    parser.add_argument("--csv", metavar="OUT",
                        help="with --svi-steps: save the loss (raw and smoothed) and every element of every "
                             "parameter at every step as CSV")
    parser.add_argument("--engine", choices=ENGINES,
                        help="minipyro or pyro (default: a file that imports pyro runs on Pyro, others on minipyro)")
    parser.add_argument("--lr", type=positive_float,
                        help="SVI learning rate (default: the file's svi dict, else 0.01)")
    parser.add_argument("--optimizer", metavar="NAME",
                        help=f"SVI optimiser: {', '.join(OPTIMIZERS)} on minipyro, any of pyro.optim on Pyro "
                             "(default: the file's, else Adam)")
    parser.add_argument("--elbo", metavar="NAME",
                        help=f"SVI ELBO: {', '.join(ELBOS)} on minipyro, any of pyro.infer on Pyro "
                             "(default: the file's, else Trace_ELBO)")
    parser.add_argument("--memory-limit", type=_size, default=DEFAULT_MEMORY_LIMIT, metavar="SIZE",
                        help="memory the model may take, e.g. 512M, 2G; 0 for none (default: half of this "
                             f"machine's, {format_size(DEFAULT_MEMORY_LIMIT)})")
    parser.add_argument("--all-sites", action="store_true",
                        help="list every site in the table (default: repeated sites obs_0, obs_1, ... as one row)")


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def check_arguments(options: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """What argparse's types cannot see: exits 2 with the usage, as argparse does."""
    if options.csv and not options.svi_steps:
        parser.error("--csv saves an SVI run's history: give --svi-steps N too")
    for flag, path in (("--record", options.record), ("--csv", options.csv)):
        if path is not None:
            problem = unwritable(Path(path))
            if problem:
                parser.error(f"{flag} {path}: {problem}")


def unwritable(path: Path) -> str:
    """Why ``path`` cannot be written ("" when it can), before a run spends time on it."""
    folder = path.parent
    if path.is_dir():
        return "is a folder"
    if not folder.is_dir():
        return f"no such folder {folder}"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "permission denied"
    return ""


def check_model_file(path: Path, engine=None) -> str:
    """Why ``path`` is not a model file to run on ``engine`` (its own by default): "" when it is."""
    if not path.is_file():
        return f"{path}: no such file"
    if path.suffix != ".py":
        return f"{path}: not a model file (a Python file, .py, defining model and guide)"
    try:
        choose_engine(path, engine)
    except ModelFileError as error:
        return "" if engine is None else str(error)  # without --engine the run reports it, at the line
    except OSError as error:
        return f"{path}: cannot read it ({error.strerror})"
    return ""


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
    """tqdm's bar on a terminal (steps/s and time left), the loss beside it; nothing elsewhere."""

    def __init__(self, total: int, stream):
        self.bar = tqdm(total=total, file=stream, unit="step", ncols=shutil.get_terminal_size().columns, mininterval=0.1,
                        disable=not (total and stream.isatty()))
        self.step = 0

    def update(self, step: int, loss) -> None:
        if self.step == 0:  # the clock starts at the first step, not at the child's start-up
            self.bar.reset()
        self.bar.update(step - self.step)
        self.step = step
        if not self.bar.disable:
            self.bar.set_postfix_str(f"loss {loss:.4g}" if isinstance(loss, float) else f"loss {loss}", refresh=False)

    def finish(self) -> None:
        self.bar.close()


def svi_summary(history: SviHistory) -> str:
    """The loss at the start and at the end (each averaged over a tenth of the run, as the
    monitor compares them) and every parameter's final value."""
    first, last = history.loss_ends()
    window = history.ends_window()
    lines = [f"SVI: {len(history)} steps, loss {first:.6g} -> {last:.6g} "
             f"(mean of the first and the last {window} step{'s' if window > 1 else ''})"]
    if history.nonfinite_steps:  # the means above are of the finite steps: say what they leave out
        lines[0] += (f"\n  the loss was not finite at {len(history.nonfinite_steps)} of {len(history)} steps, "
                     f"the first at step {history.nonfinite_steps[0]} (`main.py check` finds where it starts)")
    if history.param_summaries:
        lines.append("Final parameters:")
        width = max(map(len, history.param_summaries))
        for name, summary in history.param_summaries.items():
            lines.append(f"  {name:<{width}}  {final_value(name, summary)}")
    return "\n".join(lines)


def final_value(name: str, summary) -> str:
    names, values, total = param_elements(name, summary)
    if total == 1:
        return f"{values[0]:.6g}"
    shape = "x".join(str(n) for n in summary["shape"])
    shown = ", ".join(f"{v:.4g}" for v in values[:MAX_PRINTED_ELEMENTS])
    more = f", ... ({total} values; --csv saves them all)" if total > MAX_PRINTED_ELEMENTS else ""
    return f"[{shown}{more}]  shape {shape}"


def run(options: argparse.Namespace, stdout=sys.stdout, stderr=sys.stderr) -> int:
    path = Path(options.file)
    problem = check_model_file(path, options.engine)
    if problem:
        stderr.write(f"minipyro-studio: {problem}\n")
        return EXIT_USAGE  # as python exits for a script it cannot open
    writer = None
    if options.record:
        from ..observe.recording import RecordingWriter

        try:
            writer = RecordingWriter(options.record, options.detail)
        except OSError as error:
            stderr.write(f"minipyro-studio: cannot write the recording {options.record}: {error.strerror}\n")
            return EXIT_FAILED
    progress = Progress(options.svi_steps or 0, stderr)
    history = SviHistory()
    reader_gone: list = []  # the output's reader closed the pipe

    def on_event(event: dict) -> None:
        if writer is not None:
            writer.write_dict(event)
        kind = event["kind"]
        if kind == "output" and event.get("stream") != "runner":
            try:
                (stderr if event["stream"] == "stderr" else stdout).write(event["text"])
            except BrokenPipeError:  # (`main.py run m.py | head`): on this reader thread; the loop below ends the run
                reader_gone.append(True)
        elif kind == "svi_step":
            history.add(event)
            progress.update(event["step"], event["loss"])

    controller = RunnerController(on_event=on_event, memory_limit=options.memory_limit)
    entry = "svi" if options.svi_steps else "trace"
    svi = {"steps": options.svi_steps} if options.svi_steps else {}
    svi.update({key: value for key, value in (("lr", options.lr), ("optimizer", options.optimizer),
                                                ("elbo", options.elbo)) if value is not None})
    interrupted = False
    try:
        controller.run(path, entry=entry, seed=options.seed, svi=svi, detail=options.detail, engine=options.engine)
        while not controller.wait_until("finished", "dead", timeout=0.2):
            if reader_gone:
                controller.stop()
                raise BrokenPipeError  # main.py ends quietly, as for its own writes
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
    if len(history):
        stdout.write("\n" + svi_summary(history) + "\n")
    if writer is not None:
        stdout.write(f"Recording saved to {os.fspath(options.record)}\n")
    if options.csv:
        try:
            history.write_csv(options.csv, SMOOTHING)
        except OSError as error:
            stderr.write(f"minipyro-studio: cannot write {options.csv}: {error.strerror}\n")
            return EXIT_FAILED
        stdout.write(f"History ({len(history)} steps, {len(history.params)} parameter elements per step) "
                     f"saved to {os.fspath(options.csv)}\n")
    return EXIT_OK
