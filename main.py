"""MiniPyro Studio's entry point: ``python main.py`` (or the ``minipyro-studio`` command).

- ``python main.py [FILE.py | RUN.mpr.jsonl] [--screenshot PNG]`` opens the app (on a model
  or a recording); with ``--screenshot`` it saves a picture of the window and exits.
  ``python main.py SCRIPT.py -- ARGS`` opens a script (a file without a ``model``) with its arguments.
- ``python main.py RUN.mpr.jsonl --at K1,K2 --panels-json OUT.json`` travels to each step and
  writes what every panel shows, read back from the widgets.
- ``python main.py run FILE.py [--svi-steps N] [--seed S] [--detail sites|steps] [--record OUT]``
  runs a model file without a window.
- ``python main.py graph FILE.py --out model.svg`` saves the model's plate diagram.
- ``python main.py record [-o OUT] [--seed S] SCRIPT.py [ARGS...]`` runs any script as Python
  would, recording what Pyro does (see ``minipyro.runner.record_cli``).
- ``python main.py demo`` runs SVI on the seed model in this process and prints it learning.
"""

import argparse
import sys
from pathlib import Path

from minipyro.runner import cli


def demo(steps: int) -> int:
    import minipyro
    from minipyro.runner.modelfile import load_model_file
    from resources import examples_dir

    example = load_model_file(examples_dir() / "normal_normal.py")
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    svi = minipyro.SVI(example.model, example.guide, minipyro.Adam({"lr": example.svi["lr"]}),
                       minipyro.Trace_ELBO())
    for step in range(steps + 1):
        loss = svi.step(*example.args)
        if step % max(1, steps // 10) == 0:
            print(f"step {step:5d}  loss {loss:10.3f}")
    mean, sd = example.module.exact_posterior(*example.args)
    store = minipyro.get_param_store()
    print(f"guide:           loc ~ Normal({store['q_loc'].item():.3f}, {store['q_scale'].item():.3f})")
    print(f"exact posterior: loc ~ Normal({mean:.3f}, {sd:.3f})")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["record"]:  # everything after the script is the script's: its own parser
        from minipyro.runner import record_cli

        return record_cli.main(argv[1:])
    if argv[:1] == ["graph"]:
        parser = argparse.ArgumentParser(prog="minipyro-studio graph",
                                         description="Save a model file's plate diagram (SVG or PNG).")
        parser.add_argument("file", help="a model file")
        parser.add_argument("--out", required=True, help="where to save: .svg or .png")
        parser.add_argument("--model-only", action="store_true", help="leave the guide out")
        options = parser.parse_args(argv[1:])
        from gui.views.graph_export import export_graph

        return export_graph(options.file, options.out, include_guide=not options.model_only)
    if argv[:1] in (["run"], ["demo"]):
        parser = argparse.ArgumentParser(prog="minipyro-studio", description=__doc__.splitlines()[0])
        commands = parser.add_subparsers(dest="command")
        cli.add_arguments(commands.add_parser("run", help="run a model file without a window"))
        demo_parser = commands.add_parser("demo", help="SVI on the seed model, printed as it learns")
        demo_parser.add_argument("--steps", type=int, default=1000)
        options = parser.parse_args(argv)
        return cli.run(options) if options.command == "run" else demo(options.steps)
    argv, script_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(prog="minipyro-studio", description=__doc__.splitlines()[0],
                                     epilog="Also: 'run FILE.py' (no window), 'record SCRIPT.py [ARGS]', 'graph FILE.py --out F', "
                                            "'demo'.")
    parser.add_argument("file", nargs="?", help="a model file (.py) or a recording (.mpr.jsonl)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window and exit")
    parser.add_argument("--show", action="append", choices=("stack", "graph", "svi", "console", "timeline",
                                                            "gallery", "lesson", "inspector"),
                        help="with --screenshot: bring this panel to the front (repeatable)")
    parser.add_argument("--theme", choices=("light", "dark", "contrast"), help="with --screenshot: the theme")
    parser.add_argument("--presentation", action="store_true", help="with --screenshot: presentation mode")
    parser.add_argument("--svi-steps", type=int, default=0, help="with --screenshot: run SVI for N steps first")
    parser.add_argument("--at", type=_steps, metavar="K1,K2,...",
                        help="with --panels-json: the steps (event seq numbers) to read; all steps by default")
    parser.add_argument("--panels-json", metavar="OUT",
                        help="travel to each step, read every panel back from its widgets, write them as JSON")
    options = parser.parse_args(argv)
    if options.panels_json and options.file is None:
        parser.error("--panels-json needs a recording (or a model file, run to its end)")
    if options.file is not None and not Path(options.file).exists():
        parser.error(f"{options.file}: no such file")
    from gui.views.app import main as app_main

    return app_main(options.file, options.screenshot, show=options.show, theme=options.theme,
                    presentation=options.presentation, svi_steps=options.svi_steps, at=options.at,
                    panels_json=options.panels_json, script_args=script_args)


def _steps(text: str) -> list:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps are integers separated by commas, got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
