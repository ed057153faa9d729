"""MiniPyro Studio's entry point: ``python main.py`` (or the ``minipyro-studio`` command).

Until the app lands, running it without arguments is a headless demo: SVI on
the seed model, printed as it learns.
"""

import argparse
import importlib.util
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "resources" / "examples"


def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo(steps: int) -> int:
    import minipyro

    example = _load_example("normal_normal")
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(0)
    svi = minipyro.SVI(example.model, example.guide, minipyro.Adam({"lr": example.svi["lr"]}),
                       minipyro.Trace_ELBO())
    for step in range(steps + 1):
        loss = svi.step(*example.args)
        if step % max(1, steps // 10) == 0:
            print(f"step {step:5d}  loss {loss:10.3f}")
    mean, sd = example.exact_posterior(*example.args)
    store = minipyro.get_param_store()
    print(f"guide:           loc ~ Normal({store['q_loc'].item():.3f}, {store['q_scale'].item():.3f})")
    print(f"exact posterior: loc ~ Normal({mean:.3f}, {sd:.3f})")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="minipyro-studio", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="SVI steps of the demo (default 1000)")
    options = parser.parse_args(argv)
    return demo(options.steps)


if __name__ == "__main__":
    sys.exit(main())
