"""MiniPyro Studio's entry point: ``python main.py`` (or the ``minipyro-studio`` command).

- ``python main.py [FILE.py | RUN.mpr.jsonl | FOLDER] [--screenshot PNG]`` opens the app (on a model,
  a recording, or a folder of recordings watched as TensorBoard watches a logdir); with
  ``--screenshot`` it saves a picture of the window and exits.
- ``python main.py RUN.mpr.jsonl --at K1,K2 --panels-json OUT.json`` travels to each step and
  writes what every panel shows, read back from the widgets.
  ``python main.py SCRIPT.py -- ARGS`` opens a script (a file without a ``model``) with its arguments.
- ``python main.py COMMAND ...`` runs one of ``COMMANDS`` without a window: ``run`` a model file,
  ``check`` it for problems, save its ``graph``, the ``demo``. ``python main.py COMMAND -h`` lists a command's options.
- ``python main.py record [-o OUT] [--seed S] SCRIPT.py [ARGS...]`` runs any script as Python
  would, recording what Pyro does (see ``minipyro.runner.record_cli``).
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, NamedTuple

from minipyro.runner import check_cli, cli

PROG = "minipyro-studio"
APP_OPTIONS = "[-h] [FILE.py | RUN.mpr.jsonl | FOLDER] [--screenshot PNG] [--theme T] [--presentation] ..."


class Command(NamedTuple):
    """A command of ``python main.py COMMAND``: its help line, its arguments, what it does
    (given the parsed options and the parser, for errors argparse's types cannot see)."""
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    main: Callable[[argparse.Namespace, argparse.ArgumentParser], int]


def _run(options, parser) -> int:
    cli.check_arguments(options, parser)
    return cli.run(options)


def _check(options, parser) -> int:
    return check_cli.main(options)


def _graph_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a model file")
    parser.add_argument("--out", required=True, metavar="OUT", help="where to save: a .svg or .png file")
    parser.add_argument("--model-only", action="store_true", help="leave the guide out")


def _graph(options, parser) -> int:
    from gui.views.graph_export import export_graph

    return export_graph(options.file, options.out, include_guide=not options.model_only)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=cli.positive_int, default=1000, help="SVI steps (default 1000)")


def _demo(options, parser) -> int:
    import minipyro
    from minipyro.runner.modelfile import load_model_file
    from resources import examples_dir

    example = load_model_file(examples_dir() / "normal_normal.py")
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    svi = minipyro.SVI(example.model, example.guide, minipyro.Adam({"lr": example.svi["lr"]}),
                       minipyro.Trace_ELBO())
    steps = options.steps
    for step in range(steps + 1):
        loss = svi.step(*example.args)
        if step % max(1, steps // 10) == 0:
            print(f"step {step:5d}  loss {loss:10.3f}")
    mean, sd = example.module.exact_posterior(*example.args)
    store = minipyro.get_param_store()
    print(f"guide:           loc ~ Normal({store['q_loc'].item():.3f}, {store['q_scale'].item():.3f})")
    print(f"exact posterior: loc ~ Normal({mean:.3f}, {sd:.3f})")
    return 0


# One entry per command: a new command is one more line here (and its module).
COMMANDS = {
    "run": Command("run a model file without a window (progress, sites, final parameters)", cli.add_arguments, _run),
    "check": Command("run a model and guide for a few SVI steps and report NaNs, shape, guide and support problems",
                     check_cli.add_arguments, _check),
    "graph": Command("save a model file's plate diagram as SVG or PNG", _graph_arguments, _graph),
    "demo": Command("SVI on the seed model in this process, printed as it learns", _demo_arguments, _demo),
}


def _record(argv: list) -> int:
    from minipyro.runner import record_cli

    return record_cli.main(argv)


# Commands that read their own arguments: everything after the script belongs to the script.
RAW_COMMANDS = {
    "record": (Command("run any script as Python would (record SCRIPT.py [ARGS...]), recording what Pyro does",
                       None, None), _record),
}


def usage() -> str:
    """The usage line of every parser: opening a file in the app, and every command."""
    return (f"{PROG} {APP_OPTIONS}\n"
            f"       {PROG} {{{','.join([*COMMANDS, *RAW_COMMANDS])}}} ...   ({PROG} COMMAND -h: the command's options)")


def command_parsers() -> tuple:
    """The parser of ``main.py COMMAND ...``, and each command's own (its errors show its usage)."""
    parser = argparse.ArgumentParser(prog=PROG, usage=usage(), description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {name: commands.add_parser(name, prog=f"{PROG} {name}", help=command.help, description=command.help)
               for name, command in COMMANDS.items()}
    for name, command in COMMANDS.items():
        command.add_arguments(parsers[name])
    return parser, parsers


def app_parser() -> argparse.ArgumentParser:
    helps = {**{name: command.help for name, command in COMMANDS.items()},
             **{name: command.help for name, (command, _) in RAW_COMMANDS.items()}}
    epilog = "commands (no window):\n" + "\n".join(f"  {name:<8} {text}" for name, text in helps.items())
    parser = argparse.ArgumentParser(prog=PROG, usage=usage(), description=__doc__.splitlines()[0], epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?",
                        help="a model file (.py), a recording (.mpr.jsonl), or a folder of recordings")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window and exit")
    parser.add_argument("--show", action="append", choices=("stack", "graph", "svi", "console", "timeline",
                                                            "gallery", "lesson", "inspector", "problems"),
                        help="with --screenshot: bring this panel to the front (repeatable)")
    parser.add_argument("--theme", choices=("light", "dark", "contrast"), help="with --screenshot: the theme")
    parser.add_argument("--presentation", action="store_true", help="with --screenshot: presentation mode")
    parser.add_argument("--svi-steps", type=cli.positive_int, metavar="N",
                        help="with --screenshot: run SVI for N steps first")
    parser.add_argument("--at", type=_steps, metavar="K1,K2,...",
                        help="with --panels-json: the steps (event seq numbers) to read; all steps by default")
    parser.add_argument("--panels-json", metavar="OUT",
                        help="travel to each step, read every panel back from its widgets, write them as JSON")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in RAW_COMMANDS:
        return RAW_COMMANDS[argv[0]][1](argv[1:])
    if argv[:1] and argv[0] in COMMANDS:
        parser, parsers = command_parsers()
        options = parser.parse_args(argv)
        try:
            return COMMANDS[options.command].main(options, parsers[options.command])
        except BrokenPipeError:  # `main.py check m.py | head`: the reader left; no traceback for it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (Python flushes at exit)
            return 1
    argv, script_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, None)
    parser = app_parser()
    options = parser.parse_args(argv)
    if options.panels_json and options.file is None:
        parser.error("--panels-json needs a recording (or a model file, run to its end)")
    if options.file is not None and not Path(options.file).exists():
        parser.error(f"{options.file}: no such file or folder")
    from gui.views.app import main as app_main

    return app_main(options.file, options.screenshot, show=options.show, theme=options.theme,
                    presentation=options.presentation, svi_steps=options.svi_steps or 0, at=options.at,
                    panels_json=options.panels_json, script_args=script_args)


def _steps(text: str) -> list:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps are integers separated by commas, got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
