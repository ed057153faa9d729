"""What the Studio ships besides code: the lessons (``examples/``), found the same way in a
checkout and in an installed wheel (``importlib.resources``)."""

from importlib.resources import files
from pathlib import Path


def examples_dir() -> Path:
    """The folder of the lessons (plain model files, run by the runner like any other)."""
    return Path(str(files(__name__) / "examples"))


# The lessons in teaching order: the seed model, then one handler at a time, then models,
# then Pyro mode. A lesson not named here comes after these, by file name.
LESSON_ORDER = (
    "normal_normal", "trace_alone", "seed_reproducibility", "condition_vs_obs", "replay_elbo", "block_hiding",
    "replay_block_plate", "scale_and_mask", "param_constraints", "nested_plates", "coin_beta", "loop_vs_plate",
    "linear_regression", "eight_schools", "gaussian_mixture", "debugging_a_nan", "pyroapi_generic", "pyro_autonormal",
    "pyro_bayesian_regression", "pyro_predictive", "pyro_enumeration", "pyro_vae",
)
