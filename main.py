"""MiniPyro Studio's entry point: ``python main.py`` (or the ``minipyro-studio`` command).

- ``python main.py run FILE.py [--svi-steps N] [--seed S] [--detail sites|steps] [--record OUT]``
  runs a model file without a window.
- ``python main.py demo`` runs SVI on the seed model in this process and prints it learning.
"""

import argparse
import sys

from minipyro import cli


def demo(steps: int) -> int:
    from pathlib import Path

    import minipyro
    from minipyro.modelfile import load_model_file

    example = load_model_file(Path(__file__).resolve().parent / "resources" / "examples" / "normal_normal.py")
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
    parser = argparse.ArgumentParser(prog="minipyro-studio", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    cli.add_arguments(commands.add_parser("run", help="run a model file without a window"))
    demo_parser = commands.add_parser("demo", help="SVI on the seed model, printed as it learns")
    demo_parser.add_argument("--steps", type=int, default=1000)
    options = parser.parse_args(argv)
    if options.command == "run":
        return cli.run(options)
    return demo(getattr(options, "steps", 1000))


if __name__ == "__main__":
    sys.exit(main())
